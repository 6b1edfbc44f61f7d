"""The demo's year before: ten proposals voted on at a session, eight projects chosen, and each
taken to a different point of its life, so a newcomer sees the dashboard, the progress bulletin
and the public timelines without running a vote first.

Loaded by `lifecycle.demo` into an empty database, after the voting demo. Everything goes through
the project's own use cases, the vote included: a collection round and its proposals, screening,
the candidate list, a key ceremony, check-in at an open sitting, sealed tablet ballots, the count
opened with the scrutineers' cards, their confirmation, publication and the presidium's notice.
So the seal holds and `python -m voting verify <poll>` passes for it. The vote is the term's
第一次会议; its 第二次会议 evaluates the first project finished. (The voting demo's own session, the
第三次会议 with its draft poll, keeps its fixed dates in January 2025.)

Dates are relative to the day the demo is loaded (any day): the vote was held on 10 January of
the projects' year, at least 240 days ago; the plans start five weeks after it; what happened
since is placed at fractions of the time from the plans' start to today (`Calendar.at`), so every
status light is what it says on any day. The times the use cases stamp (when a proposal came in, a
poll was counted, a history entry made) are then set to those days (`Story`), so the public
history reads as the year went; the audit log keeps the real time of loading:

| project | stage | light |
| --- | --- | --- |
| 溪滨社区老年食堂 | evaluated (满意), custodians and a maintenance log | green |
| 上庄村饮水工程 | accepted last week (certificate), awaiting evaluation | green |
| 东溪镇中心小学运动场 | completed, awaiting acceptance; a rectification closed | green |
| 杨梅岭村健身步道 | implementing on schedule, photos with each report | green |
| 岭头镇农贸市场 | implementing, 15 points behind; a rectification open | yellow |
| 白沙镇垃圾中转站 | implementing, 50 points behind; a reply awaiting verification | red |
| 石门乡留守儿童之家 | suspended by a decision of the standing committee | grey |
| 桃源乡高山茶园机耕路 | plan returned once, submitted again, awaiting review | green |

Two candidates are not chosen and go to the reserve pool.
"""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from typing import Any

from PIL import Image, ImageDraw

from lifecycle import (acceptance, candidate_lists, evaluation, maintenance, projects, proposals, screening,
                       supervision, uploads)
from lifecycle.projects import MilestoneInput, PlanInput
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from lifecycle.tables import (Acceptance, CollectionRound, Decision, Inspection, MaintenanceEntry, ProgressReport,
                              Project, Proposal, ProposalEvent, ProposalReview, Rectification, RectificationReply)
from voting import ballot_box, key_ceremony, notices, polls, scrutiny, sittings
from voting.audit import Actor
from voting.database import write_transaction
from voting.poll_settings import PollSettings
from voting.tables import CheckIn, Confirmation, Deputy, Notice, Poll, PollKey, Sitting
from voting.times import BEIJING

SECRETARIAT = Who(Actor.system(), "secretariat")
SCREENER = Who(Actor("staff", None, "初审部门 县发改局"), "screener")
LEAD_DAYS = 240  # the vote was at least this long before the demo is loaded
VOTE_DAY = (1, 10)  # the session votes on 10 January
PLAN_AFTER_VOTE = 35  # days from the vote to the plans' start
ABSENT_EVERY = 23  # every 23rd deputy is away from the sitting


@dataclass(frozen=True)
class Calendar:
    """The previous year's dates, from the day the demo is loaded."""

    today: date

    @property
    def year(self) -> int:
        """The latest year whose vote (VOTE_DAY) is at least LEAD_DAYS ago."""
        latest = self.today - timedelta(days=LEAD_DAYS)
        return latest.year if date(latest.year, *VOTE_DAY) <= latest else latest.year - 1

    @property
    def vote(self) -> date:
        return date(self.year, *VOTE_DAY)

    @property
    def plans_start(self) -> date:
        return self.vote + timedelta(days=PLAN_AFTER_VOTE)

    def at(self, share: float) -> date:
        """The day `share` of the way from the plans' start (0) to today (1); beyond 1 is the future."""
        return self.plans_start + timedelta(days=round(share * (self.today - self.plans_start).days))

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)


@dataclass(frozen=True)
class Idea:
    key: str
    title: str
    township: str
    village: str
    category: str
    cost_wan: int
    beneficiaries: int
    channel: str
    description: str
    supporters: int
    approval: float  # the share of deputies who approve it in the demo's vote


IDEAS = (
    Idea("canteen", "城关镇溪滨社区老年食堂", "城关镇", "溪滨社区", "elderly_childcare", 90, 1500, "home_visit",
         "社区 60 岁以上老人 1500 多人，独居和空巢老人多，希望建一个价格实惠、能送餐上门的老年食堂。", 36, 0.90),
    Idea("water", "桃源乡上庄村饮水工程提标改造", "桃源乡", "上庄村", "water", 420, 3800, "village_committee",
         "上庄村和周边 4 个自然村仍用山塘水，旱季断水、雨季浑浊，老水管漏损严重。", 28, 0.88),
    Idea("field", "东溪镇中心小学运动场改造", "东溪镇", "", "education", 130, 1100, "deputy",
         "学校运动场是泥土操场，下雨后积水，体育课和课间活动常常停止。", 19, 0.84),
    Idea("trail", "枫林乡杨梅岭村健身步道和照明", "枫林乡", "杨梅岭村", "culture_sport", 85, 4200, "questionnaire",
         "村民晚上散步只能走公路，没有路灯，希望沿溪建步道并装照明。", 24, 0.80),
    Idea("market", "岭头镇农贸市场改造", "岭头镇", "", "rural", 320, 18000, "evening_talk",
         "市场棚顶漏雨、地面积水，摊位拥挤，赶集日周边道路堵塞。", 41, 0.78),
    Idea("transfer", "白沙镇生活垃圾压缩中转站", "白沙镇", "", "environment", 280, 21000, "department",
         "镇区垃圾露天转运，夏季异味重、蚊蝇多，清运车次不够。", 17, 0.76),
    Idea("children", "石门乡留守儿童之家", "石门乡", "", "elderly_childcare", 50, 400, "liaison_station",
         "乡里留守儿童 400 多名，放学后无人照看，希望有课后托管和心理辅导的地方。", 22, 0.74),
    Idea("tea_road", "桃源乡高山茶园机耕路", "桃源乡", "梅岙村", "rural", 160, 1400, "village_committee",
         "高山茶园采摘季靠人挑肩扛，需要修建 5 公里机耕路方便运输。", 15, 0.72),
    Idea("toilets", "城关镇老城区公厕改造", "城关镇", "", "environment", 70, 9000, "online",
         "老城区几座公厕设施陈旧、无障碍设施缺失，游客和老人使用不便。", 12, 0.36),
    Idea("hall", "龙潭镇潭头村文化礼堂", "龙潭镇", "潭头村", "culture_sport", 110, 2300, "liaison_station",
         "村里没有开会和办活动的场所，红白喜事只能在晒谷场搭棚。", 9, 0.30),
)

# key: department, lead official, funding, targets, (start, end) as shares of Calendar.at, milestones
# (title, weight, due share), reports (share filed, percent per milestone, spent 万元, narrative)
PLANS: dict[str, tuple[str, str, str, str, tuple[float, float], tuple[tuple[str, int, float], ...],
                       tuple[tuple[float, tuple[int, ...], int, str], ...]]] = {
    "canteen": ("县民政局", "陈建华", "县财政 60 万元，福彩公益金 30 万元",
                "改造溪滨社区闲置用房 400 平方米，设餐位 80 个，日供餐 200 人次，为 80 岁以上和困难老人送餐上门。",
                (0.0, 0.35), (("场地改造装修", 50, 0.2), ("设备购置和开业运营", 50, 0.35)),
                ((0.18, (100, 20), 40, "场地改造装修完成，通过消防验收；厨房设备已完成招标。"),
                 (0.34, (100, 100), 86, "设备安装调试完毕，已开业试运营，日均就餐老人 150 人次，送餐 40 份。"))),
    "water": ("县水利局", "李国平", "县财政 220 万元，省级农村饮水补助 200 万元",
              "新建取水坝和净水站各 1 座，铺设主管网 12 公里、入户管道 980 户，解决 3800 人饮水安全问题。",
              (0.02, 0.9), (("取水和主管网铺设", 60, 0.55), ("入户管道改造", 40, 0.9)),
              ((0.3, (45, 0), 150, "取水坝完工，主管网铺设 5.4 公里；雨季施工有所放缓。"),
               (0.6, (100, 30), 300, "主管网全线贯通并试压合格，入户改造已完成上庄村 290 户。"),
               (0.88, (100, 100), 415, "入户管道全部完成，水质检测 42 项指标全部合格，已正式通水。"))),
    "field": ("县教育局", "吴海燕", "县财政 130 万元",
              "将泥土操场改造为 200 米塑胶跑道和人造草坪足球场，配套排水沟和围网，惠及全校 1100 名师生。",
              (0.1, 0.95), (("基础和排水施工", 40, 0.6), ("面层铺装和划线", 60, 0.95)),
              ((0.5, (60, 0), 30, "场地平整完成，排水管铺设过半。"),
               (0.8, (100, 50), 70, "基础和排水施工完成；面层材料已到场，正在铺装。"),
               (0.97, (100, 100), 122, "面层铺装和划线全部完成，第三方检测合格，具备验收条件。"))),
    "trail": ("县文化广电旅游体育局", "周文军", "县财政 85 万元",
              "沿杨梅岭溪建设健身步道 3.2 公里，安装太阳能路灯 120 盏和健身器材 4 组。",
              (0.05, 1.45), (("步道铺设", 70, 1.0), ("照明和健身器材", 30, 1.45)),
              ((0.35, (30, 0), 20, "完成步道线路测量和征求村民意见，开工铺设第一段 1 公里。"),
               (0.7, (70, 0), 45, "步道铺设 2.2 公里，沿线护栏同步安装。"),
               (0.97, (95, 10), 62, "步道主体基本完成，首批 12 盏路灯已安装调试。"))),
    "market": ("县市场监督管理局", "黄志强", "县财政 200 万元，镇自筹 120 万元",
               "更换市场棚顶 3200 平方米，改造排水和地面，重新规划摊位 180 个，新建管理用房。",
               (0.05, 1.6), (("棚顶和排水改造", 50, 0.8), ("摊位改造", 30, 1.3), ("管理用房", 20, 1.6)),
               ((0.4, (40, 0, 0), 60, "旧棚顶拆除完成，新钢结构进场；为不影响赶集，分区施工。"),
                (0.75, (70, 10, 0), 110, "棚顶完成七成，东区排水沟开挖；摊位改造开始试点。"),
                (0.96, (80, 20, 0), 140, "棚顶主体基本完成，排水管接入市政管网的手续仍在办理。"))),
    "transfer": ("县综合行政执法局", "郑永明", "县财政 280 万元",
                 "新建日处理 60 吨的生活垃圾压缩中转站 1 座，配置压缩设备 2 套、转运车 2 辆。",
                 (0.05, 1.1), (("选址和土建", 50, 0.6), ("设备安装", 30, 0.9), ("试运行", 20, 1.1)),
                 ((0.45, (40, 0, 0), 50, "因周边群众对原选址有意见，重新选址，土建推迟开工。"),
                  (0.95, (80, 0, 0), 120, "新址土建完成八成；压缩设备招标一次流标，正在重新招标。"))),
    "children": ("县民政局", "陈建华", "县财政 50 万元",
                 "利用石门乡中心小学闲置校舍建设留守儿童之家，配备图书室、活动室和心理辅导室。",
                 (0.1, 1.2), (("场所装修", 60, 0.6), ("开展服务", 40, 1.2)),
                 ((0.45, (30, 0), 8, "完成设计和装修招标，装修进场。"),)),
    "tea_road": ("县农业农村局", "林德胜", "县财政 100 万元，上级以奖代补 60 万元",
                 "修建高山茶园机耕路 5 公里，路面宽 3.5 米，配套错车道和排水边沟。",
                 (1.05, 1.9), (("路基", 50, 1.5), ("路面和边沟", 50, 1.9)), ()),
}
PHOTOS_OF = {"canteen", "water", "field", "trail", "market", "transfer"}  # whose reports come with site photos
DEPUTY_INSPECTIONS = {  # key: (share held, findings, rectification, its due in days, replied, closed)
    "field": (0.85, "跑道面层铺装质量总体良好，东侧排水沟盖板有两处松动，存在学生绊倒隐患。",
              "更换东侧排水沟松动盖板，并对全部盖板进行加固。", 14, True, True),
    "market": (0.95, "棚顶新旧接缝处仍有漏水，东区排水沟尚未接通市政管网，雨天地面积水。",
               "修复棚顶接缝漏水，尽快办结排水接管手续并接通市政管网。", 21, False, False),
    "transfer": (0.9, "新址土建进度明显滞后于计划，压缩设备尚未到位，镇区垃圾仍露天转运。",
                 "制定赶工计划，加快设备招标，中转站建成前落实临时转运点的防臭防蝇措施。", 30, True, False),
}


def site_photo(seed: int, progress: int, width: int = 480, height: int = 320) -> bytes:
    """A small JPEG drawn here, no file from anywhere: a site under a sky, built up to `progress`."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.62)
    for y in range(horizon):
        shade = 150 + int(90 * y / horizon)
        draw.line([(0, y), (width, y)], fill=(shade - 60, shade - 20, 255))
    draw.polygon([(0, horizon), (width // 3, horizon - 70 - rng.randint(0, 30)), (width // 2, horizon)],
                 fill=(96, 140, 96))
    draw.polygon([(width // 3, horizon), (2 * width // 3, horizon - 90 - rng.randint(0, 30)), (width, horizon)],
                 fill=(70, 120, 80))
    draw.rectangle([0, horizon, width, height], fill=(150 + rng.randint(0, 30), 125, 90))
    built = max(1, progress) * (width - 120) // 100
    draw.rectangle([60, horizon - 80, 60 + built, horizon], fill=(200, 200, 195), outline=(90, 90, 90))
    for x in range(70, 60 + built, 36):
        draw.rectangle([x, horizon - 65, x + 18, horizon - 45], fill=(90, 120, 160))
    draw.line([(width - 70, horizon), (width - 70, 40), (width - 200, 40)], fill=(230, 170, 40), width=6)
    draw.ellipse([width - 60, 20, width - 20, 60], fill=(255, 230, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def _photos(key: str, n: int, progress: int, name: str) -> tuple[uploads.StoredUpload, ...]:
    """One photo of the site, stored as an upload is (lifecycle.uploads)."""
    seed = sum(map(ord, key)) * 100 + n
    return await uploads.store_all([(site_photo(seed, progress), name)])


def deputy_who(deputy: Mapping[str, Any]) -> Who:
    return Who(Actor("deputy", deputy["id"], f"代表 {deputy['number']} {deputy['name']}"), "deputy")


async def _roster(term_id: int) -> list[dict[str, Any]]:
    return await Deputy.select(Deputy.id, Deputy.number, Deputy.name,
                               Deputy.delegation.name.as_alias("delegation")).where(
        (Deputy.term == term_id) & (Deputy.active == True)).order_by(Deputy.number)  # noqa: E712


def _local(roster: list[dict[str, Any]], township: str) -> list[dict[str, Any]]:
    """The deputies of the project's township's delegation (the county's own when it has none)."""
    found = [d for d in roster if d["delegation"] == f"{township}代表团"]
    return found or [d for d in roster if d["delegation"] == "县直机关代表团"]


async def _vote(session_id: int, held_on: date, poll_id: int, roster: list[dict[str, Any]], team: slice,
                marks_of: Callable[[random.Random, int], dict[str, str]],
                seed: int) -> Callable[[], Awaitable[None]]:
    """A sitting of the session as the hall runs it: the scrutiny team, the key ceremony, check-in,
    the poll opened with its quorum and every present deputy's sealed ballot. Returns the count,
    a step of its own: the box opened with two of the cards, the chief scrutineer's and scrutineers'
    confirmations (signed on the tally sheet, recorded by the secretariat), publication, and the
    sitting closed."""
    actor = SECRETARIAT.actor
    ids = [d["id"] for d in roster]
    chief, scrutineers, counters = ids[team][0], ids[team][1:3], ids[team][3:5]
    await scrutiny.set_members(session_id, chief, scrutineers, counters, actor)
    sitting_id = await sittings.create_sitting(session_id, held_on, "09:00", "11:30", actor)
    cards = [card.share.text for card in (await key_ceremony.hold(poll_id, actor)).cards]
    await sittings.move_sitting(sitting_id, "open", actor)
    present = [d for n, d in enumerate(ids, start=1) if n % ABSENT_EVERY]
    await asyncio.gather(*(sittings.check_in(session_id, d, actor) for d in present))
    await polls.open_poll(poll_id, actor)
    ballot = await ballot_box.ballot_for(poll_id)
    rng = random.Random(seed)
    boxes = [(d, ballot_box.seal_for(ballot, marks_of(rng, len(ballot.candidates)))) for d in present]
    outcomes = await asyncio.gather(*(ballot_box.cast(poll_id, d, box) for d, box in boxes))
    assert all(o is ballot_box.Outcome.accepted for o in outcomes), outcomes

    async def count() -> None:
        await polls.close_poll(poll_id, actor, cards[:2])
        for member in (chief, *scrutineers):
            await scrutiny.confirm(poll_id, member, "paper", actor)
        await scrutiny.publish(poll_id, actor)
        await sittings.move_sitting(sitting_id, "closed", actor)
    return count


def approvals(rng: random.Random, seats: int) -> dict[str, str]:
    """One deputy's marks on the candidate list: each idea approved with its share, at most `seats`."""
    marks = {}
    for n, idea in enumerate(IDEAS, start=1):
        roll = rng.random()
        marks[f"P{n:02d}"] = "for" if roll < idea.approval else "against" if roll < idea.approval + 0.1 else "abstain"
    for ref in [ref for ref, mark in marks.items() if mark == "for"][seats:]:
        marks[ref] = "abstain"
    return marks


# What the use cases stamp with the time they run: set to the story's day afterwards (Story.run).
# The audit log is left as it is: it says when the demo was loaded, and its hash chain holds.
STAMPED = (
    (CollectionRound, ("created_at",)), (Proposal, ("created_at", "updated_at", "released_at")),
    (ProposalEvent, ("at",)), (ProposalReview, ("created_at",)),
    (Project, ("plan_submitted_at", "plan_published_at", "updated_at")), (ProgressReport, ("at",)),
    (Inspection, ("at",)), (Rectification, ("at", "replied_at", "closed_at")), (RectificationReply, ("at", "verdict_at")),
    (Decision, ("at",)), (Acceptance, ("at",)), (MaintenanceEntry, ("at",)),
    (Sitting, ("opened_at", "closed_at")), (CheckIn, ("at",)), (Poll, ("opened_at", "closed_at", "published_at")),
    (PollKey, ("made_at", "forgotten_at")), (Confirmation, ("at",)), (Notice, ("issued_at",)),
)


class Story:
    """Steps on their days, run in the order of the days (the order given within a day). After each
    step, every time it stamped (in STAMPED) becomes that day's, from 09:00 Beijing time, twenty
    minutes a step: so the public history, the printed tally sheet and notice, and the deputies'
    records tell the year as it went, whatever day the demo is loaded."""

    def __init__(self) -> None:
        self.steps: list[tuple[date, int, Callable[[], Awaitable[Any]]]] = []

    def on(self, day: date, step: Callable[[], Awaitable[Any]]) -> None:
        self.steps.append((day, len(self.steps), step))

    async def run(self) -> None:
        earlier: dict[date, int] = {}
        for day, _, step in sorted(self.steps, key=lambda s: s[:2]):
            started = datetime.now(timezone.utc) - timedelta(seconds=1)
            await step()
            earlier[day] = earlier.get(day, -1) + 1
            moment = datetime.combine(day, time(9), BEIJING) + timedelta(minutes=20 * earlier[day])
            async with write_transaction():
                for table, columns in STAMPED:
                    for name in columns:
                        column = getattr(table, name)
                        await table.update({column: moment}).where(column >= started)


async def load(congress_id: int, term_id: int, calendar: Calendar) -> int:
    """The previous year, start to finish; returns its counted poll's id."""
    year, roster = calendar.year, await _roster(term_id)
    ideas = {idea.key: idea for idea in IDEAS}
    story = Story()
    made: dict[str, int] = {}  # idea key -> proposal id
    chosen: dict[str, dict[str, Any]] = {}  # idea key -> project
    groups: dict[str, list[dict[str, Any]]] = {}  # idea key -> its supervision group, the lead first
    rects: dict[str, int] = {}
    ids: dict[str, int] = {}  # round, session, poll, second session, evaluation poll

    async def open_round() -> None:
        ids["round"] = await proposals.create_round(congress_id, year, f"{year} 年民生实事项目征集",
                                                    date(year - 1, 9, 1), date(year - 1, 10, 31), 1800, SECRETARIAT)
    story.on(date(year - 1, 8, 25), open_round)

    async def propose(idea: Idea) -> None:
        data = ProposalInput(title=idea.title, description=idea.description, township=idea.township,
                             village=idea.village, category=idea.category, cost_wan=idea.cost_wan,
                             beneficiaries=idea.beneficiaries, channel=idea.channel, supporters=idea.supporters)
        made[idea.key] = (await proposals.submit(ids["round"], data, SECRETARIAT))["id"]
    for n, idea in enumerate(IDEAS):
        story.on(date(year - 1, 9, 2) + timedelta(days=4 * n), partial(propose, idea))

    async def screen() -> None:
        for proposal_id in made.values():
            await proposals.record_review(proposal_id, dict.fromkeys(screening.CRITERIA, "meets"), {}, "", SCREENER)
            await proposals.move(proposal_id, "shortlisted", SCREENER)
    story.on(date(year - 1, 11, 10), screen)

    seats = 8

    async def candidate_list() -> None:  # 第一次会议: ten candidates for eight places
        ids["session"] = await sittings.create_session(term_id, 1, calendar.vote, calendar.vote + timedelta(days=2),
                                                       SECRETARIAT.actor)
        await candidate_lists.add(ids["session"], list(made.values()), SECRETARIAT)
        ids["poll"] = await candidate_lists.make_poll(ids["session"], PollSettings(
            title=f"{year}年青溪县民生实事项目票决", method="approval", seats=seats, max_approvals=None,
            non_competitive=False, threshold_base="entitled", threshold_fraction="1/2", threshold_strict=True,
            quorum_fraction="2/3"), SECRETARIAT)
    story.on(date(year - 1, 12, 18), candidate_list)

    counts: dict[str, Callable[[], Awaitable[None]]] = {}  # each vote's count, a step after its casting

    async def vote() -> None:
        counts["poll"] = await _vote(ids["session"], calendar.vote, ids["poll"], roster, slice(10, 15),
                                     lambda rng, _: approvals(rng, seats), year)

    async def result() -> None:
        await counts["poll"]()
        await notices.issue_notice(ids["poll"], SECRETARIAT.actor)
        for key, proposal_id in made.items():
            row = await Project.select().where(Project.proposal == proposal_id).first()
            if row:
                chosen[key] = row
        assert set(chosen) == set(PLANS), sorted(chosen)
    story.on(calendar.vote, vote)
    story.on(calendar.vote, result)

    async def plans() -> None:
        departments: dict[str, int] = {}
        for key, (department, lead, funding, targets, (start, end), stones, _) in PLANS.items():
            if department not in departments:
                departments[department] = await projects.create_department(congress_id, department, SECRETARIAT)
            plan = PlanInput(departments[department], lead, chosen[key]["budget_wan"], funding, targets,
                             calendar.at(start), calendar.at(end),
                             tuple(MilestoneInput(title, weight, calendar.at(due)) for title, weight, due in stones))
            await projects.save_plan(chosen[key]["id"], plan, SECRETARIAT)
            await projects.submit_plan(chosen[key]["id"], SECRETARIAT)
    story.on(calendar.vote + timedelta(days=20), plans)

    async def return_plan() -> None:
        await projects.return_plan(chosen["tea_road"]["id"], "用地手续尚未落实：请补充林地使用审批意见，并核实 3 公里"
                                   "以上路段的边坡防护设计后再报。", SECRETARIAT)
    story.on(calendar.vote + timedelta(days=28), return_plan)
    story.on(calendar.days(-10), lambda: projects.submit_plan(chosen["tea_road"]["id"], SECRETARIAT))

    async def publish(key: str) -> None:
        await projects.move_project(chosen[key]["id"], "implementing", SECRETARIAT)
        groups[key] = _local(roster, ideas[key].township)[:3]
        await supervision.set_group(chosen[key]["id"], groups[key][0]["id"], [d["id"] for d in groups[key][1:]],
                                    SECRETARIAT)

    async def report(key: str, n: int, filed: date, percents: tuple[int, ...], spent: int, narrative: str) -> None:
        milestones = [m["id"] for m in await projects.milestones(chosen[key]["id"])]
        photos = await _photos(key, n, sum(percents) // len(percents), f"{filed.month}月现场.jpg") \
            if key in PHOTOS_OF else ()
        await projects.file_report(chosen[key]["id"], f"{filed.year}年{filed.month}月", filed,
                                   dict(zip(milestones, percents)), spent, narrative, SECRETARIAT, photos)
    for key in PLANS:
        if key == "tea_road":
            continue  # its plan is still under review
        story.on(calendar.plans_start - timedelta(days=2), partial(publish, key))
        for n, (share, percents, spent, narrative) in enumerate(PLANS[key][6], start=1):
            story.on(calendar.at(share), partial(report, key, n, calendar.at(share), percents, spent, narrative))

    async def inspect(key: str, held_on: date, findings: str, request: str, due_in: int) -> None:
        lead = deputy_who(groups[key][0])
        inspection = await supervision.record_inspection(
            chosen[key]["id"], held_on, [d["id"] for d in groups[key]], f"{PLANS[key][0]}工作人员", findings,
            False, None, lead, await _photos(key, 9, 50, "视察现场.jpg"))
        rects[key] = await supervision.raise_rectification(chosen[key]["id"], inspection, request,
                                                           calendar.days(due_in), lead)

    async def reply(key: str) -> None:
        await supervision.reply_rectification(rects[key], "已按要求整改，整改前后照片附后，请监督小组核实。", SECRETARIAT,
                                              await _photos(key, 10, 80, "整改后.jpg"))
    for key, (share, findings, request, due_in, replied, closed) in DEPUTY_INSPECTIONS.items():
        story.on(calendar.at(share), partial(inspect, key, calendar.at(share), findings, request, due_in))
        if replied:
            story.on(calendar.at(share + 0.03), partial(reply, key))
        if closed:
            story.on(calendar.at(share + 0.05), partial(
                lambda key: supervision.close_rectification(rects[key], deputy_who(groups[key][0]),
                                                            "现场核实，已整改到位。"), key))

    decided = calendar.at(0.7)
    story.on(decided, lambda: projects.record_decision(
        chosen["children"]["id"], "suspend", "县人大常委会", "县第十九届人大常委会第二十次会议", decided,
        f"青人常〔{decided.year}〕21号", "原定场所所在校舍列入学校扩建规划，项目暂停实施，待重新选址后报请恢复。",
        {}, SECRETARIAT))

    def project_id(key: str) -> int:
        return chosen[key]["id"]
    story.on(calendar.at(0.36), lambda: projects.move_project(project_id("canteen"), "completed", SECRETARIAT))
    story.on(calendar.at(0.42), lambda: _accept(project_id("canteen"), calendar.at(0.42), groups["canteen"], roster,
                                                "溪滨社区居民代表 陈阿姨、王大伯", 24))
    story.on(calendar.at(0.43), lambda: maintenance.add_custodian(
        project_id("canteen"), "", groups["canteen"][1]["id"], "管护员：每周检查食堂卫生、消防和送餐登记",
        calendar.at(0.43), SECRETARIAT))
    story.on(calendar.at(0.5), lambda: maintenance.add_custodian(
        project_id("canteen"), "陈秀兰", None, "助餐志愿者，负责就餐登记和送餐排班", calendar.at(0.5), SECRETARIAT))
    for share, note in ((0.6, "检查厨房燃气管道和灭火器，均在有效期内；更换排油烟滤网。"),
                        (0.9, "冬季供餐改为中晚两餐，送餐保温箱增加到 12 个。")):
        story.on(calendar.at(share), partial(lambda on, note: maintenance.log_maintenance(
            project_id("canteen"), on, note, False, SECRETARIAT), calendar.at(share), note))

    evaluated_on = calendar.at(0.8)

    async def evaluation_poll() -> None:  # 第二次会议: the satisfaction evaluation of what is accepted so far
        ids["second"] = await sittings.create_session(term_id, 2, evaluated_on, evaluated_on + timedelta(days=1),
                                                      SECRETARIAT.actor)
        ids["survey"] = await evaluation.open_evaluation(congress_id, year, ids["second"],
                                                         f"{evaluation.default_title(year)}（第一批）", SECRETARIAT,
                                                         [project_id("canteen")])
    story.on(calendar.at(0.76), evaluation_poll)

    async def survey() -> None:
        counts["survey"] = await _vote(ids["second"], evaluated_on, ids["survey"], roster, slice(30, 35),
                                       satisfaction, year + 1)
    story.on(evaluated_on, survey)
    story.on(evaluated_on, lambda: counts["survey"]())

    story.on(calendar.at(0.9), lambda: projects.move_project(project_id("water"), "completed", SECRETARIAT))
    story.on(calendar.days(-6), lambda: _accept(project_id("water"), calendar.days(-6), groups["water"], roster,
                                                "上庄村村民代表 李大伯、张阿姨", 24))
    story.on(calendar.at(0.98), lambda: projects.move_project(project_id("field"), "completed", SECRETARIAT))
    await story.run()
    return ids["poll"]


def satisfaction(rng: random.Random, candidates: int) -> dict[str, str]:
    """One deputy's marks in the evaluation: most satisfied."""
    marks = {}
    for n in range(1, candidates + 1):
        roll = rng.random()
        marks[f"P{n:02d}"] = ("satisfied" if roll < 0.78 else "basically_satisfied" if roll < 0.93
                              else "dissatisfied" if roll < 0.97 else "abstain")
    return marks


async def _accept(project_id: int, held_on: date, group: list[dict[str, Any]], roster: list[dict[str, Any]],
                  representatives: str, warranty_months: int) -> None:
    """The acceptance on site, everything found in order: the group and two more deputies."""
    present = [d["id"] for d in group] + [d["id"] for d in roster[5:7]]
    checklist = {"content": {"ok": True, "note": "按实施方案建成"}, "scale": {"ok": True, "note": "规模与方案一致"},
                 "quality": {"ok": True, "note": "质量检测合格"}}
    await acceptance.record_acceptance(project_id, held_on, present, representatives, checklist,
                                       "项目按实施方案完成，资料齐全，群众反映良好。请承办部门落实管护责任。", "accepted",
                                       warranty_months, SECRETARIAT)
