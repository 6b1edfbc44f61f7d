"""Deterministic demo data for a fictional county: 青溪县.

青溪县人民代表大会, 第十九届, 第三次会议 (2025-01-15 .. 2025-01-17), 231
deputies in 9 delegations, and the 12 candidate livelihood projects for the
2025 vote (12 candidates, 10 seats). All places, people and phone numbers are
invented. Nothing random happens at import; functions that need randomness use
their own ``random.Random(2025)``, so every call returns the same data.
"""

from __future__ import annotations

import random
from datetime import date
from functools import lru_cache

from voting.roster_import import DeputyRow

__all__ = [
    "CONGRESS",
    "TERM",
    "SESSION",
    "POLL",
    "candidate_projects",
    "delegations",
    "deputies",
]

CONGRESS = {
    "name": "青溪县人民代表大会",
    "level": "county",
    "place": "青溪县",
}

TERM = {
    "name": "第十九届",
    "number": 19,
    "starts_on": date(2023, 1, 10),
    "ends_on": date(2028, 1, 9),
}
# The session's sittings (全体会议): date, time window (Beijing time).
SITTINGS = [(date(2025, 1, 15), "09:00", "11:30"), (date(2025, 1, 17), "09:00", "11:00")]

SESSION = {
    "name": "青溪县第十九届人民代表大会第三次会议",
    "number": 3,
    "starts_on": date(2025, 1, 15),
    "ends_on": date(2025, 1, 17),
    "place": "青溪县人民会堂",
}

POLL = {
    "title": "2025年青溪县民生实事项目票决",
    "method": "approval",
    "seats": 10,
    "candidates": 12,
}

# delegation -> (number of deputies, town name or None, villages/communities)
_DELEGATIONS: tuple[tuple[str, int, str | None, tuple[str, ...]], ...] = (
    ("城关镇代表团", 35, "城关镇", (
        "东门社区", "西街社区", "南塘社区", "北山社区", "溪滨社区", "解放路社区",
        "溪口村", "前洋村", "后山村", "水南村", "官庄村", "塔山村",
    )),
    ("东溪镇代表团", 30, "东溪镇", (
        "东溪村", "上坪村", "下洋村", "茶园村", "岭脚村", "樟树村", "洋坑村",
        "大路村", "新屋村", "田心村", "溪头村", "枫树湾村",
    )),
    ("岭头镇代表团", 27, "岭头镇", (
        "岭头村", "竹坑村", "石狮村", "后湾村", "高岭村", "岩下村", "坪上村",
        "松岙村", "三源村", "里洋村", "外塘村",
    )),
    ("白沙镇代表团", 26, "白沙镇", (
        "白沙村", "沙洲村", "渡头村", "新塘村", "柿林村", "埠头村", "河西村",
        "中洲村", "芦浦村", "江边村", "横路村",
    )),
    ("石门乡代表团", 23, "石门乡", (
        "石门村", "龙井村", "坑口村", "黄泥岗村", "上宅村", "石壁村", "茶坪村",
        "双溪村", "岩头村",
    )),
    ("桃源乡代表团", 22, "桃源乡", (
        "桃源村", "桃花坞村", "上庄村", "梅岙村", "李家村", "下庄村", "岙底村",
        "花园村", "柴岭村",
    )),
    ("龙潭镇代表团", 20, "龙潭镇", (
        "龙潭村", "溪南村", "水碓村", "塘下村", "龙山村", "潭头村", "金竹村",
        "长田村", "泉塘村",
    )),
    ("枫林乡代表团", 18, "枫林乡", (
        "枫林村", "西坑村", "大坪村", "杨梅岭村", "东岗村", "小溪村", "高坑村",
        "垟心村",
    )),
    ("县直机关代表团", 30, None, ()),
)

# Common surnames with rough weights (per mille of the population).
_SURNAMES = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31),
    ("黄", 22), ("赵", 21), ("吴", 20), ("周", 19), ("徐", 15), ("孙", 15),
    ("马", 13), ("朱", 13), ("胡", 12), ("郭", 11), ("何", 11), ("高", 10),
    ("林", 10), ("罗", 9), ("郑", 8), ("梁", 7), ("谢", 6), ("宋", 6),
    ("唐", 5), ("许", 5), ("韩", 5), ("冯", 5), ("邓", 5), ("曹", 5),
    ("彭", 4), ("曾", 4), ("肖", 4), ("田", 4), ("董", 4), ("袁", 4),
    ("潘", 4), ("叶", 4), ("蒋", 3), ("蔡", 3), ("余", 3), ("杜", 3),
    ("程", 3), ("苏", 3), ("魏", 3), ("吕", 3), ("丁", 3), ("任", 3),
    ("沈", 3), ("姚", 2), ("卢", 2), ("金", 2), ("钟", 2), ("汪", 2),
    ("范", 2), ("陆", 2), ("石", 2), ("夏", 2), ("方", 2), ("应", 2),
)

_MALE_FIRST = "建志国永明文海德春晓振伟立俊新宏家长云世少小成庆学光金"
_MALE_SECOND = "华军平强勇杰涛斌峰磊辉刚成东林波明亮超宇浩鹏飞荣忠良生清松龙彬"
_MALE_SINGLE = "伟强军勇杰涛斌峰磊辉刚波亮超鹏飞军彬健坤"
_FEMALE_FIRST = "秀丽海晓春美玉雪红慧静亚小金彩素月凤文佳"
_FEMALE_SECOND = "英芳娟敏燕霞红梅玲萍兰琴艳慧婷洁晶莉华珍丹琳娜霞"
_FEMALE_SINGLE = "丽芳娟敏静燕霞红梅玲萍琴艳婷洁莉丹琳"

# Roles: (template, weight, female share, shared). {t}=town, {v}=village,
# {c}=company. A role that is not shared is a post one person holds, so it
# appears at most once in the roster.
_TOWN_ROLES = (
    ("{t}{v}党支部书记、村委会主任", 30, 0.15, False),
    ("{t}{v}村委会主任", 8, 0.20, False),
    ("{t}{v}妇联主席", 3, 1.00, False),
    ("{t}{v}农民", 8, 0.35, True),
    ("{t}{v}种粮大户", 4, 0.10, True),
    ("{t}{v}家庭农场负责人", 4, 0.25, True),
    ("{t}卫生院院长", 2, 0.30, False),
    ("{t}卫生院医生", 3, 0.55, True),
    ("{t}中心小学教师", 4, 0.70, True),
    ("{t}中心小学校长", 2, 0.30, False),
    ("{t}中学教师", 3, 0.60, True),
    ("{t}个体工商户", 6, 0.35, True),
    ("{t}农民专业合作社理事长", 4, 0.20, True),
    ("{t}企业负责人", 6, 0.15, True),
    ("{t}人民政府干部", 3, 0.35, True),
    ("{t}派出所所长", 1, 0.00, False),
    ("{t}便民服务中心主任", 2, 0.50, False),
)
_CITY_ROLES = (
    ("城关镇{v}党委书记、居委会主任", 8, 0.45, False),
    ("城关镇{v}干部", 5, 0.60, True),
    ("城关镇街道干部", 4, 0.40, True),
    ("城关镇个体工商户", 5, 0.40, True),
    ("青溪县{c}有限公司总经理", 6, 0.15, False),
    ("青溪县{c}有限公司车间主任", 3, 0.30, True),
    ("县第一小学教师", 2, 0.75, True),
    ("县人民医院护士长", 2, 1.00, True),
    ("城关镇社区卫生服务中心医生", 2, 0.55, True),
    ("城关镇{v}农民", 2, 0.30, True),
)
_COUNTY_ROLES = (
    "青溪县人民政府县长",
    "县人民政府副县长",
    "县人大常委会主任",
    "县人大常委会副主任",
    "县人大常委会代表工作委员会主任",
    "县人民法院院长",
    "县人民检察院检察长",
    "县发展和改革局局长",
    "县财政局局长",
    "县教育局局长",
    "县卫生健康局局长",
    "县民政局局长",
    "县交通运输局局长",
    "县水利局局长",
    "县农业农村局局长",
    "县住房和城乡建设局局长",
    "县人民医院院长",
    "县中医院主任医师",
    "县第一中学校长",
    "县职业技术学校教师",
    "县妇女联合会主席",
    "县总工会副主席",
    "县残疾人联合会理事长",
    "县供电公司总经理",
    "县融媒体中心记者",
    "县公安局交警大队大队长",
    "县市场监督管理局局长",
    "县工商业联合会副主席",
    "县律师协会会长",
    "县退役军人事务局局长",
)
_COUNTY_FEMALE = {
    "县人大常委会代表工作委员会主任",
    "县民政局局长",
    "县妇女联合会主席",
    "县职业技术学校教师",
    "县融媒体中心记者",
    "县中医院主任医师",
    "县律师协会会长",
    "县市场监督管理局局长",
}
_COMPANIES = ("溪源茶业", "青溪竹木制品", "白云机械", "宏达纺织", "绿谷农业开发", "青山建材", "恒通物流")

_PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "157", "158", "159",
    "180", "181", "182", "183", "186", "187", "188", "189",
)


def delegations() -> list[str]:
    """The 9 delegations of 青溪县第十九届人大, in roster order."""
    return [name for name, *_ in _DELEGATIONS]


def deputies() -> list[DeputyRow]:
    """The 231 deputies, numbered D001..D231, grouped by delegation."""
    return list(_deputies())


@lru_cache(maxsize=1)
def _deputies() -> tuple[DeputyRow, ...]:
    rng = random.Random(2025)
    surnames = [s for s, _ in _SURNAMES]
    weights = [w for _, w in _SURNAMES]
    used_names: set[str] = set()
    used_phones: set[str] = set()
    used_posts: set[str] = set()
    rows: list[DeputyRow] = []

    def make_name(female: bool) -> str:
        while True:
            surname = rng.choices(surnames, weights)[0]
            if rng.random() < 0.18:
                given = rng.choice(_FEMALE_SINGLE if female else _MALE_SINGLE)
            elif female:
                given = rng.choice(_FEMALE_FIRST) + rng.choice(_FEMALE_SECOND)
            else:
                given = rng.choice(_MALE_FIRST) + rng.choice(_MALE_SECOND)
            if len(given) == 2 and given[0] == given[1]:
                continue
            name = surname + given
            if name not in used_names:
                used_names.add(name)
                return name

    def make_phone() -> str:
        while True:
            phone = rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in used_phones:
                used_phones.add(phone)
                return phone

    county_roles = list(_COUNTY_ROLES)
    rng.shuffle(county_roles)
    for delegation, size, town, villages in _DELEGATIONS:
        for i in range(size):
            if town is None:
                affiliation = county_roles[i % len(county_roles)]
                female = affiliation in _COUNTY_FEMALE or rng.random() < 0.12
            else:
                if town == "城关镇" and rng.random() < 0.6:
                    roles = _CITY_ROLES
                else:
                    roles = _TOWN_ROLES
                if i == 0:  # each town delegation is led by its Party secretary
                    affiliation, share = f"{town}党委书记", 0.15
                elif i == 1:
                    affiliation, share = f"{town}人民政府{town[-1]}长", 0.20
                else:
                    while True:
                        template, _, share, shared = rng.choices(roles, [r[1] for r in roles])[0]
                        urban = "居委会" in template or template.endswith("{v}干部")
                        places = [v for v in villages if v.endswith("社区") == urban]
                        affiliation = template.format(
                            t=town, v=rng.choice(places), c=rng.choice(_COMPANIES)
                        )
                        if shared or affiliation not in used_posts:
                            break
                used_posts.add(affiliation)
                female = rng.random() < share
            number = f"D{len(rows) + 1:03d}"
            rows.append(
                DeputyRow(
                    number=number,
                    name=make_name(female),
                    gender="女" if female else "男",
                    delegation=delegation,
                    affiliation=affiliation,
                    phone=make_phone(),
                )
            )
    return tuple(rows)


_PROJECTS = (
    {
        "id": "P01",
        "title": "东溪至岭头村道提升改造工程",
        "summary": "对东溪镇至岭头镇的12.6公里村道实施拓宽改造，路面由4.5米拓宽至6.5米，"
        "增设错车道18处、波形护栏3.2公里，完善排水设施，惠及沿线9个村约2.1万名群众，"
        "2025年11月底前完工通车。",
        "location": "东溪镇、岭头镇",
        "cost_wan": 2680,
        "category": "交通出行",
        "department": "县交通运输局",
    },
    {
        "id": "P02",
        "title": "城区老年食堂（助餐点）建设",
        "summary": "在城关镇东门、西街、南塘等社区新建老年食堂2家、助餐点6个，配备厨房设备和送餐电动车，"
        "为城区80周岁以上老人和困难老人提供优惠助餐和上门送餐，日供餐能力1200人次，2025年9月底前投入运营。",
        "location": "城关镇",
        "cost_wan": 460,
        "category": "养老服务",
        "department": "县民政局",
    },
    {
        "id": "P03",
        "title": "农村饮用水提标改造",
        "summary": "新建石门乡、桃源乡两座规模化水厂配套管网，改造老旧供水管道46公里，"
        "新增净化消毒设备12套，解决14个行政村约1.6万人季节性缺水和水质不稳定问题，2025年12月底前完成通水。",
        "location": "石门乡、桃源乡",
        "cost_wan": 1850,
        "category": "饮水安全",
        "department": "县水利局",
    },
    {
        "id": "P04",
        "title": "县第二小学食堂及运动场改造",
        "summary": "拆除重建县第二小学食堂约1600平方米，可同时容纳900名学生就餐；"
        "将原煤渣跑道改造为200米塑胶跑道和人造草坪足球场，惠及全校1850名师生，2025年8月底前完工，秋季开学投入使用。",
        "location": "城关镇",
        "cost_wan": 920,
        "category": "教育",
        "department": "县教育局",
    },
    {
        "id": "P05",
        "title": "乡镇卫生院发热门诊建设",
        "summary": "在白沙镇、龙潭镇、枫林乡3家卫生院按标准改建发热门诊，每家设独立诊室、留观室和检验室，"
        "配备DR、血常规和核酸检测设备，服务人口约6.8万人，2025年10月底前投入使用。",
        "location": "白沙镇、龙潭镇、枫林乡",
        "cost_wan": 780,
        "category": "医疗卫生",
        "department": "县卫生健康局",
    },
    {
        "id": "P06",
        "title": "城区公共停车泊位扩容",
        "summary": "利用县人民医院周边和老城区边角地新建公共停车场4处，新增停车泊位620个，"
        "其中充电车位120个，同步接入县智慧停车平台，缓解老城区和就医停车难，2025年10月底前建成开放。",
        "location": "城关镇",
        "cost_wan": 1200,
        "category": "交通出行",
        "department": "县住房和城乡建设局",
    },
    {
        "id": "P07",
        "title": "农村生活垃圾分类处理提升",
        "summary": "为全县126个行政村配置分类垃圾桶5000只、分类清运车16辆，"
        "新建东溪镇、白沙镇两座易腐垃圾资源化处理站，日处理能力各10吨，农村生活垃圾分类覆盖率达到95%，2025年11月底前完成。",
        "location": "全县各乡镇",
        "cost_wan": 650,
        "category": "环境",
        "department": "县综合行政执法局",
    },
    {
        "id": "P08",
        "title": "村级文化礼堂及全民健身场地建设",
        "summary": "新建和提升村级文化礼堂12个，每个配备舞台、音响和农家书屋；"
        "新建笼式多功能运动场8片、健身步道15公里，方便群众就近开展文体活动，惠及约5.2万人，2025年12月底前完工。",
        "location": "全县各乡镇",
        "cost_wan": 560,
        "category": "文体",
        "department": "县文化广电旅游体育局",
    },
    {
        "id": "P09",
        "title": "零工市场（就业驿站）建设",
        "summary": "在县城汽车站旁建设零工市场约800平方米，在8个乡镇各设就业驿站1个，"
        "提供岗位发布、技能培训和劳动维权服务，全年组织招聘活动24场、提供就业岗位3000个以上，2025年6月底前运营。",
        "location": "城关镇及各乡镇",
        "cost_wan": 150,
        "category": "就业",
        "department": "县人力资源和社会保障局",
    },
    {
        "id": "P10",
        "title": "龙潭溪堤防加固及滨水步道建设",
        "summary": "加固龙潭镇段龙潭溪堤防5.4公里，防洪标准由10年一遇提高到20年一遇，"
        "沿堤建设滨水步道4.2公里和休闲节点3处，保护沿岸4个村1.1万名群众和3200亩农田，2025年汛期前完成主体工程。",
        "location": "龙潭镇",
        "cost_wan": 2300,
        "category": "防灾减灾",
        "department": "县水利局",
    },
    {
        "id": "P11",
        "title": "城区小区电动自行车充电设施建设",
        "summary": "在城区48个老旧小区和安置小区建设集中充电棚，新增智能充电端口3600个，"
        "配备烟感报警和自动灭火装置，解决电动自行车“飞线充电”和楼道停放安全隐患，2025年9月底前全部投用。",
        "location": "城关镇",
        "cost_wan": 320,
        "category": "公共安全",
        "department": "县住房和城乡建设局",
    },
    {
        "id": "P12",
        "title": "婴幼儿托育服务点建设",
        "summary": "依托城关镇、东溪镇社区服务中心和幼儿园新建普惠性托育服务点5个，"
        "新增托位300个，收费不高于当地平均水平，配备保育人员并开展入户育儿指导，2025年9月底前开园招生。",
        "location": "城关镇、东溪镇",
        "cost_wan": 240,
        "category": "托育服务",
        "department": "县卫生健康局",
    },
)


def candidate_projects() -> list[dict]:
    """The 12 candidate projects of the 2025 vote, in ballot order (P01..P12).

    Keys: id, title (≤ 20 chars), summary, location, cost_wan (万元, int),
    category, department. Fresh dicts on every call.
    """
    return [dict(p) for p in _PROJECTS]
