"""The dashboard's figures and colours, the participation record, on the real database."""

import io
from datetime import date, timedelta

import openpyxl

from lifecycle import dashboard, participation, projects, proposals
from lifecycle.dashboard import Scope
from lifecycle.tables import (
    Acceptance,
    CollectionRound,
    Custodian,
    Department,
    Inspection,
    Project,
    Proposal,
    Rectification,
    Supervisor,
    SupervisionSettings,
)
from tests.hall import STAFF, make_hall
from tests.lifecycle.test_proposals import SECRETARIAT, idea
from voting import ballot_box, paper, polls
from tests import sealed

YEAR = 2027
START, END = date(2027, 1, 1), date(2027, 12, 31)
ON = date(2027, 7, 2)  # half the year gone: 50 % expected


async def project_round(congress_id: int, year: int = YEAR) -> int:
    row = (await CollectionRound.insert(CollectionRound(
        congress=congress_id, year=year, title=f"{year} 年民生实事项目征集", opens_on=date(year - 1, 9, 1),
        closes_on=date(year - 1, 9, 30))).returning(CollectionRound.id))[0]
    return row["id"]


async def add_project(congress_id: int, round_id: int, title: str, *, year: int = YEAR, deputy: int | None = None,
                      proposer_name: str = "", contact: str = "", **columns) -> dict:
    """A chosen proposal and its project, put straight into the tables (as the use cases would leave them)."""
    code = proposals._new_code()
    proposal = (await Proposal.insert(Proposal(
        round=round_id, code=code, title=title[:60], description=f"{title}：群众反映强烈。", township="城关镇",
        village="东岭村", category=columns.get("category", "transport"), channel="liaison_station", stage="chosen",
        deputy=deputy, proposer_name=proposer_name, contact=contact)).returning(Proposal.id))[0]
    values = {"stage": "implementing", "category": "transport", "starts_on": START, "ends_on": END,
              "budget_wan": 100, **columns}
    row = (await Project.insert(Project(proposal=proposal["id"], congress=congress_id, year=year, title=title,
                                        **values)).returning(Project.id))[0]
    return {"id": row["id"], "code": code, "proposal": proposal["id"]}


async def add_department(congress_id: int, name: str) -> int:
    return (await Department.insert(Department(congress=congress_id, name=name)).returning(Department.id))[0]["id"]


async def test_the_figures_are_grouped_in_sql_by_stage_category_progress_and_verdict():
    hall = await make_hall(deputies=3)
    round_id = await project_round(hall.congress_id)
    water = await add_department(hall.congress_id, "县水利局")
    rows = [
        ("村道硬化", dict(category="transport", budget_wan=120, spent_wan=60, progress=55, department=water)),
        ("桥梁维修", dict(category="transport", budget_wan=80, spent_wan=80, progress=100, stage="completed")),
        ("饮水管网", dict(category="water", budget_wan=300, spent_wan=10, progress=5)),
        ("老年食堂", dict(category="elderly_childcare", budget_wan=50, spent_wan=50, progress=100, stage="evaluated",
                      verdict="satisfied")),
        ("卫生院改造", dict(category="health", budget_wan=None, spent_wan=0, progress=0, stage="planning")),
        ("停车场", dict(category="transport", budget_wan=40, spent_wan=5, progress=10, stage="terminated")),
    ]
    for title, columns in rows:
        await add_project(hall.congress_id, round_id, title, **columns)
    other = await make_hall(deputies=3)  # another congress's project never counts
    await add_project(other.congress_id, await project_round(other.congress_id), "别县的项目", budget_wan=999)

    figures = await dashboard.aggregates(Scope(YEAR, hall.congress_id))
    assert figures["total"] == 6
    assert figures["by_stage"] == {"planning": 1, "implementing": 2, "suspended": 0, "completed": 1, "accepted": 0,
                                   "evaluated": 1, "terminated": 1}
    assert (figures["budget"], figures["spent"]) == (590, 205)
    assert figures["average_progress"] == (55 + 100 + 5 + 100 + 0) // 5  # terminated left out
    by_category = {c["key"]: (c["n"], c["budget"], c["spent"]) for c in figures["categories"]}
    assert by_category == {"transport": (3, 240, 145), "water": (1, 300, 10), "elderly_childcare": (1, 50, 50),
                           "health": (1, 0, 0)}
    assert figures["categories"][0]["key"] == "water"  # the largest budget first
    histogram = figures["histogram"]  # under way or done: not the planning or the terminated one
    assert sum(histogram) == 4 and histogram[0] == 1 and histogram[5] == 1 and histogram[10] == 2
    assert figures["verdicts"] == {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 0, "not_rated": 5}
    department_only = await dashboard.aggregates(Scope(YEAR, hall.congress_id, water))
    assert department_only["total"] == 1 and department_only["budget"] == 120
    assert (await dashboard.aggregates(Scope(YEAR + 1, hall.congress_id)))["total"] == 0


async def test_colours_for_a_whole_year_agree_with_the_rule_project_by_project():
    hall = await make_hall(deputies=3)
    round_id = await project_round(hall.congress_id)
    made = {
        "on time": await add_project(hall.congress_id, round_id, "按期项目", progress=50, last_report_on=ON),
        "behind": await add_project(hall.congress_id, round_id, "滞后项目", progress=36, last_report_on=ON),
        "far behind": await add_project(hall.congress_id, round_id, "严重滞后", progress=20, last_report_on=ON),
        "no report": await add_project(hall.congress_id, round_id, "未报告", progress=60,
                                       last_report_on=date(2027, 2, 1)),
        "overdue fix": await add_project(hall.congress_id, round_id, "整改逾期", progress=60, last_report_on=ON),
        "near fix": await add_project(hall.congress_id, round_id, "整改临近", progress=60, last_report_on=ON),
        "closed fix": await add_project(hall.congress_id, round_id, "整改完成", progress=60, last_report_on=ON),
        "suspended": await add_project(hall.congress_id, round_id, "暂停项目", stage="suspended", progress=10),
        "accepted late fix": await add_project(hall.congress_id, round_id, "验收后整改", stage="accepted",
                                               progress=100),
    }

    async def fix(key: str, due: date, status: str = "open") -> None:
        await Rectification.insert(Rectification(project=made[key]["id"], source="inspection", request="护栏缺失",
                                                 due_on=due, status=status, raised_by="测试"))

    await fix("overdue fix", ON - timedelta(days=3))
    await fix("overdue fix", ON + timedelta(days=3))  # a later one does not soften it
    await fix("near fix", ON + timedelta(days=5))
    await fix("near fix", ON + timedelta(days=40))
    await fix("closed fix", ON - timedelta(days=30), "closed")
    await fix("accepted late fix", ON - timedelta(days=1), "replied")  # replied is still open until closed

    found = await dashboard.colours_of(Scope(YEAR, hall.congress_id), ON)
    expected = {"on time": "green", "behind": "yellow", "far behind": "red", "no report": "yellow",
                "overdue fix": "red", "near fix": "yellow", "closed fix": "green", "suspended": "grey",
                "accepted late fix": "red"}
    for key, made_row in made.items():
        row = await projects.get_project(made_row["id"])
        assert found["colours"][made_row["id"]] == expected[key] == await projects.colour_of(row, ON), key
    assert found["open"][made["near fix"]["id"]] == (ON + timedelta(days=5), 2)

    # the congress's own thresholds apply: with a 20-point yellow gap, 14 points behind is green
    await SupervisionSettings.insert(SupervisionSettings(congress=hall.congress_id, yellow_gap=20, red_gap=40))
    again = await dashboard.colours_of(Scope(YEAR, hall.congress_id), ON)
    assert again["colours"][made["behind"]["id"]] == "green"
    assert again["colours"][made["far behind"]["id"]] == "yellow"

    page = await dashboard.dashboard(Scope(YEAR, hall.congress_id), on=ON)
    assert page["by_colour"] == {"green": 3, "yellow": 3, "red": 2, "grey": 1}
    assert page["open_rectifications"] == 5
    for scope in (Scope(YEAR, hall.congress_id), Scope(YEAR)):  # one congress, and every congress at once
        one_by_one = await dashboard.colours_of(scope, ON)
        counted = {c: list(one_by_one["colours"].values()).count(c) for c in dashboard.COLOUR_ORDER}
        grouped = await dashboard.colour_counts(scope, ON)
        assert grouped["by_colour"] == counted
        assert grouped["open_rectifications"] == sum(n for _, n in one_by_one["open"].values())
    province = await dashboard.dashboard(Scope(YEAR), on=ON)
    assert not province["colour_filter"] and province["by_colour"] == grouped["by_colour"]
    assert all(row["colour"] == one_by_one["colours"][row["id"]] for row in province["rows"])


async def test_the_project_list_pages_and_filters_by_colour(monkeypatch):
    hall = await make_hall(deputies=3)
    round_id = await project_round(hall.congress_id)
    ids = []
    for n in range(7):
        made = await add_project(hall.congress_id, round_id, f"第{n}个项目", progress=50 if n % 2 else 10,
                                 last_report_on=ON)
        ids.append(made["id"])
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 3)
    scope = Scope(YEAR, hall.congress_id)
    first = await dashboard.dashboard(scope, 1, on=ON)
    assert [r["id"] for r in first["rows"]] == ids[:3] and first["pages"] == 3
    assert first["rows"][0]["colour_word"] == "红灯" and first["rows"][1]["colour_word"] == "绿灯"
    last = await dashboard.dashboard(scope, 99, on=ON)
    assert last["page"] == 3 and [r["id"] for r in last["rows"]] == ids[6:]
    red = await dashboard.dashboard(scope, 1, "red", on=ON)
    assert red["listed"] == 4 and all(r["colour"] == "red" for r in red["rows"]) and red["pages"] == 2


async def test_a_department_sees_only_its_own_projects_in_its_own_congress():
    hall = await make_hall(deputies=3)
    round_id = await project_round(hall.congress_id)
    from tests.lifecycle.test_projects import department_who

    department, who = await department_who(hall, "县住建局", "zhujian-dash")
    mine = await add_project(hall.congress_id, round_id, "本局项目", department=department)
    await add_project(hall.congress_id, round_id, "别的部门的项目")
    other = await make_hall(deputies=3)
    scope = await dashboard.scope_for(who, YEAR, other.congress_id)  # asking for another congress changes nothing
    assert scope == Scope(YEAR, hall.congress_id, department)
    page = await dashboard.dashboard(scope, on=ON)
    assert [r["id"] for r in page["rows"]] == [mine["id"]] and page["total"] == 1
    assert await dashboard.scope_for(SECRETARIAT, YEAR, other.congress_id) == Scope(YEAR, other.congress_id)


async def test_the_participation_record_counts_what_each_deputy_did_and_never_a_choice():
    hall = await make_hall(deputies=6)
    today = proposals.today()
    year = today.year
    a, b, c, d = hall.deputy_ids[:4]
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    assert await sealed.cast(poll_id, a, {"P01": "for"}) is ballot_box.Outcome.accepted
    await paper.issue_paper(poll_id, b, STAFF)  # took a paper ballot: took part
    await ballot_box.issue(poll_id, c)  # opened the ballot on the tablet but never cast it: not counted

    round_id = await proposals.create_round(hall.congress_id, year + 1, "征集", today - timedelta(days=3),
                                            today + timedelta(days=5), None, SECRETARIAT)
    from lifecycle.proposals import Who

    deputy_who = Who(STAFF, "deputy")
    await proposals.submit(round_id, idea(title="代表提出的建议一"), deputy_who, deputy_id=a)
    await proposals.submit(round_id, idea(title="代表提出的建议二", village="西岭村"), deputy_who, deputy_id=a)

    project_round_id = await project_round(hall.congress_id, year)
    project = await add_project(hall.congress_id, project_round_id, "代表监督的项目", year=year)
    here = date(year, 5, 1)
    await Inspection.insert(Inspection(project=project["id"], held_on=here, deputies=[a, b], findings="进度正常",
                                       by="测试"))
    await Inspection.insert(Inspection(project=project["id"], held_on=here, deputies=[str(a)], findings="复查",
                                       by="测试"))  # ids kept as text count too
    await Inspection.insert(Inspection(project=project["id"], held_on=date(year - 1, 5, 1), deputies=[a],
                                       findings="去年的视察", by="测试"))
    await Acceptance.insert(Acceptance(project=project["id"], held_on=here, deputies=[b, d], result="accepted",
                                       by="测试"))
    await Supervisor.insert(Supervisor(project=project["id"], deputy=a, role="lead"),
                            Supervisor(project=project["id"], deputy=d, role="member"))
    await Custodian.insert(Custodian(project=project["id"], name="人大代表", deputy=d, duty="路长", since=here),
                           Custodian(project=project["id"], name="村民张三", duty="保洁", since=here))

    rows = {r["id"]: r for r in await participation.term_counts(hall.term_id, year)}
    assert len(rows) == 6
    keys = list(participation.COLUMNS)
    assert [rows[a][k] for k in keys] == [1, 2, 2, 0, 1, 0]
    assert [rows[b][k] for k in keys] == [1, 0, 1, 1, 0, 0]
    assert [rows[c][k] for k in keys] == [0, 0, 0, 0, 0, 0]
    assert [rows[d][k] for k in keys] == [0, 0, 0, 1, 1, 1]
    last_year = {r["id"]: r for r in await participation.term_counts(hall.term_id, year - 1)}
    assert [last_year[a][k] for k in keys] == [0, 0, 1, 0, 0, 0]  # only last year's inspection

    record = await participation.record(a, year)
    assert record["counts"] == dict(zip(keys, [1, 2, 2, 0, 1, 0]))
    assert [p["title"] for p in record["items"]["proposals"]] == ["代表提出的建议一", "代表提出的建议二"]
    assert record["items"]["supervision"][0]["role_label"] == "组长"
    assert "marks" not in str(record) and "for" not in [v for p in record["items"]["polls"] for v in p.values()]
    assert (await participation.record(d, year))["items"]["custodian"][0]["duty"] == "路长"

    term = await participation.term_info(hall.term_id)
    book = openpyxl.load_workbook(io.BytesIO(participation.xlsx(term, year, list(rows.values()))))
    sheet = book.active
    assert [cell.value for cell in sheet[2]][:5] == ["序号", "代表证号", "姓名", "代表团", "参加票决（次）"]
    by_name = {r[2]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert by_name[rows[a]["name"]][4:] == (1, 2, 2, 0, 1, 0, 6)


async def test_a_paper_ballot_still_counts_once_the_poll_has_closed():
    hall = await make_hall(deputies=3)
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    await sealed.cast(poll_id, hall.deputy_ids[0], {"P01": "for"})
    await paper.issue_paper(poll_id, hall.deputy_ids[1], STAFF)
    await polls.stop_voting(poll_id, STAFF)
    await paper.declare_not_returned(poll_id, "代表未交回选票", STAFF)  # the count waits for every issued sheet
    await sealed.close_poll(poll_id, STAFF)
    rows = {r["id"]: r["polls"] for r in await participation.term_counts(hall.term_id, proposals.today().year)}
    assert [rows[d] for d in hall.deputy_ids] == [1, 1, 0]
