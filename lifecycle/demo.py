"""Demo proposals for 青溪县: a collection round that is open today, proposals from every channel
in every stage, a merged duplicate, and a reviewing department's login; before them, the year
before with its vote counted and its projects in every stage (lifecycle.demo_year).

Loaded by `make run` after the voting demo (`python -m lifecycle demo`), only when no
collection round exists yet. Everything goes through the same use cases as real input.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from config import settings
from lifecycle import demo_year, proposals, screening
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from lifecycle.tables import CollectionRound
from voting import accounts
from voting.audit import Actor
from voting.tables import Congress, StaffAccount, Term

DEPARTMENT_USER = "shencha"
DEPARTMENT_PASSWORD = "qingxi2025"

# (title, township, village, category, cost 万元, beneficiaries, channel, description)
IDEAS = (
    ("上溪村至下溪村道路硬化", "东溪镇", "上溪村", "transport", 260, 2100, "liaison_station", "两村之间 3.2 公里砂石路，雨天泥泞，学生上学、农产品外运都不方便。"),
    ("关于上溪村道路硬化的建议", "东溪镇", "上溪村", "transport", 240, 1800, "online", "上溪村通往下溪村的路坑洼不平，希望硬化并加装路灯。"),
    ("城关镇南塘社区老年食堂", "城关镇", "南塘社区", "elderly_childcare", 85, 1200, "home_visit", "社区老人多、子女不在身边，希望有一个价格实惠的老年食堂。"),
    ("岭头镇中心小学塑胶跑道", "岭头镇", "", "education", 120, 900, "deputy", "学校操场仍是煤渣跑道，下雨积水，体育课无法正常开展。"),
    ("石门乡饮用水管网改造", "石门乡", "石门村", "water", 430, 5200, "village_committee", "老旧水管经常爆裂，夏季用水高峰时高处农户停水。"),
    ("桃源乡卫生院增设康复科", "桃源乡", "", "health", 180, 14000, "department", "全乡老年人慢性病多，康复治疗要跑县城，路远费用高。"),
    ("白沙镇农贸市场提升改造", "白沙镇", "", "rural", 350, 22000, "evening_talk", "市场棚顶漏雨、排水不畅，摊位杂乱，群众意见大。"),
    ("龙潭镇溪滩公园健身步道", "龙潭镇", "溪滩村", "culture_sport", 95, 6000, "questionnaire", "沿溪滩建设 2 公里健身步道和照明，方便群众晚间锻炼。"),
    ("枫林乡农村公厕改造", "枫林乡", "", "environment", 60, 8000, "suggestion_box", "部分村公厕破旧无人管理，游客多的季节问题突出。"),
    ("城关镇东门路口加装红绿灯", "城关镇", "东门社区", "safety", 35, 15000, "online", "学校放学时段车流人流交织，多次发生险情。"),
    ("县城新建政务服务大楼", "城关镇", "", "other", 8000, 0, "online", "建议新建一座更气派的政务服务大楼。"),
    ("东溪镇留守儿童之家", "东溪镇", "", "elderly_childcare", 45, 300, "liaison_station", "为留守儿童提供课后托管和心理辅导场所。"),
    ("岭头镇茶园机耕路", "岭头镇", "茶山村", "rural", 150, 1600, "village_committee", "茶园采摘季运输困难，需要修建 4 公里机耕路。"),
    ("白沙镇小学食堂改造", "白沙镇", "", "education", 110, 700, "deputy", "食堂面积小，学生分三批就餐，厨房设施老化。"),
    ("龙潭镇垃圾中转站", "龙潭镇", "", "environment", 260, 9000, "department", "垃圾清运不及时，夏季异味严重，需要建设压缩中转站。"),
    ("城关镇西街社区充电桩", "城关镇", "西街社区", "transport", 40, 3000, "online", "老旧小区电动车充电难，飞线充电有火灾隐患。"),
    ("石门乡便民服务中心适老化改造", "石门乡", "", "elderly_childcare", 30, 2600, "home_visit", "服务中心台阶多，没有无障碍坡道和扶手。"),
    ("桃源乡山塘水库除险加固", "桃源乡", "桃源村", "safety", 520, 3400, "village_committee", "山塘坝体渗水，汛期对下游村庄构成威胁。"),
)

STAGED = {  # title: (stage, reason) for the ones the demo has already screened
    "城关镇南塘社区老年食堂": ("shortlisted", "群众需求迫切，投资可控，当年可完成"),
    "石门乡饮用水管网改造": ("shortlisted", "事关饮水安全，列入重点"),
    "岭头镇中心小学塑胶跑道": ("shortlisted", ""),
    "县城新建政务服务大楼": ("rejected", "属于楼堂馆所建设，在负面清单内，不予采纳"),
    "桃源乡山塘水库除险加固": ("reserve", "投资超出年度财力安排，列入储备库，明年优先考虑"),
}


async def load_if_empty(today: date | None = None) -> bool:
    if await CollectionRound.exists():
        return False
    congress = await Congress.select(Congress.id).order_by(Congress.id).first()
    if congress is None:
        return False
    today = today or proposals.today()
    term = await Term.select(Term.id).where(Term.congress == congress["id"]).order_by(
        Term.number, ascending=False).first()
    await demo_year.load(congress["id"], term["id"], demo_year.Calendar(today))
    who = Who(Actor.system(), "secretariat")
    round_id = await proposals.create_round(congress["id"], today.year + 1, f"{today.year + 1} 年民生实事项目征集",
                                            today - timedelta(days=20), today + timedelta(days=25), 6000, who)
    rng = random.Random(7)
    made = {}
    for title, town, village, category, cost, people, channel, text in IDEAS:
        data = ProposalInput(title=title, description=text, township=town, village=village, category=category,
                             cost_wan=cost, beneficiaries=people or None, channel=channel,
                             proposer_name=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(("大伯", "阿姨", "先生", "女士")),
                             supporters=rng.randint(1, 40))
        role = Who.citizen() if channel == "online" else who
        made[title] = await proposals.submit(round_id, data, role, client=f"demo-{len(made)}")
    department = Who(Actor("staff", None, "初审部门 县发改局"), "screener")
    await proposals.merge(made["关于上溪村道路硬化的建议"]["id"], made["上溪村至下溪村道路硬化"]["id"], department)
    for title, (stage, reason) in STAGED.items():
        passed = dict.fromkeys(screening.CRITERIA, "meets")
        comments = {}
        if stage == "rejected":
            passed["not_negative_list"] = "fails"
            comments["not_negative_list"] = "楼堂馆所，属负面清单"
        if stage == "reserve":
            passed["affordability"] = "concern"
            comments["affordability"] = "投资 520 万元，超出本年度可安排资金"
        await proposals.record_review(made[title]["id"], passed, comments, "", department)
        await proposals.move(made[title]["id"], stage, department, reason)
    if not await StaffAccount.exists().where(StaffAccount.username == DEPARTMENT_USER):
        await accounts.create_staff(DEPARTMENT_USER, "县发改局 李审", DEPARTMENT_PASSWORD, role="screener")
    logins = settings().data_dir / "demo-logins.txt"
    if logins.exists():
        text = logins.read_text(encoding="utf-8")
        line = f"初审部门  用户名 {DEPARTMENT_USER}  密码 {DEPARTMENT_PASSWORD}"
        logins.write_text(text.replace("\n\n", f"\n{line}\n\n", 1), encoding="utf-8")
    return True
