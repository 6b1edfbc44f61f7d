"""Acceptance (验收), satisfaction evaluation (满意度测评) and maintenance (运维) of chosen projects,
on the real database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from lifecycle import acceptance, evaluation, maintenance, projects, proposals
from lifecycle.proposals import Who
from lifecycle.tables import Acceptance, Project, Rectification
from tests.hall import STAFF, make_hall
from tests.lifecycle.test_projects import chosen_project, department_who, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT, listed_poll
from voting import audit, ballot_box, polls, sittings
from voting.errors import Conflict, Forbidden, Refused
from voting.tables import CheckIn, Deputy
from tests import sealed

_accounts = itertools.count(1)
ALL_OK = {key: {"ok": True, "note": ""} for key in acceptance.CHECKLIST}


async def a_department(hall, name: str = "县交通运输局") -> tuple[int, Who]:
    return await department_who(hall, name, f"acc-dept-{next(_accounts)}")


async def complete(project_id: int, department: int) -> None:
    """Plan (begun eight months ago), publish, report every milestone finished and the money
    spent, and report completion: the project awaits acceptance."""
    start = proposals.today() - timedelta(days=240)
    await projects.save_plan(project_id, plan(department, start), SECRETARIAT)
    await publish(project_id, SECRETARIAT)
    await finish_works(project_id, start + timedelta(days=200))
    await projects.move_project(project_id, "completed", SECRETARIAT)


async def finish_works(project_id: int, on: date, spent_wan: int = 118) -> None:
    """A final progress report: every milestone at 100 %."""
    stones = await projects.milestones(project_id)
    await projects.file_report(project_id, "完工报告", on, {m["id"]: 100 for m in stones}, spent_wan,
                               "路基和路面全部完工，已清理现场。", SECRETARIAT)


async def completed_project(hall) -> tuple[dict, int, Who]:
    project = await chosen_project(hall)
    department, dept = await a_department(hall)
    await complete(project["id"], department)
    return await projects.get_project(project["id"]), department, dept


async def chosen_projects(hall, n: int) -> list[dict]:
    """n projects chosen by one vote of the hall (n + 1 candidates for n seats)."""
    ids, poll_id = await listed_poll(hall, n + 1, n)
    marks = {f"P{i:02d}": "for" for i in range(1, n + 1)}
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(poll_id, deputy, marks)
    await sealed.close_poll(poll_id, STAFF)
    return [await Project.select().where(Project.proposal == i).first() for i in ids[:n]]


async def accept(project_id: int, hall, held_on: date | None = None, months: int = 24, noted: bool = False) -> int:
    return await acceptance.record_acceptance(
        project_id, held_on or proposals.today(), hall.deputy_ids[:3], "东岭村 王大伯、李大妈", ALL_OK,
        "", "accepted", months, SECRETARIAT, noted=noted)


def test_warranty_months_are_added_to_the_calendar():
    assert acceptance.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert acceptance.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert acceptance.add_months(date(2027, 11, 15), 24) == date(2029, 11, 15)
    assert acceptance.warranty_until(date(2027, 6, 1), 0) is None


async def test_acceptance_is_refused_until_completed_without_notes_or_by_a_department(hall):
    project = await chosen_project(hall)
    department, dept = await a_department(hall)
    today = proposals.today()
    with pytest.raises(Conflict, match="完工待验收的项目才能验收"):
        await accept(project["id"], hall)  # still planning
    await complete(project["id"], department)
    with pytest.raises(Forbidden, match="秘书处"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", ALL_OK, "", "accepted", 24,
                                           dept)
    missing_note = {**ALL_OK, "quality": {"ok": False, "note": "  "}}
    with pytest.raises(Refused, match="“工程质量”评定为不符合，请写明问题"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", missing_note,
                                           "路面有裂缝", "accepted_after_rectification", 24, SECRETARIAT)
    unassessed = {"content": {"ok": True, "note": ""}, "scale": {"ok": True, "note": ""}}
    with pytest.raises(Refused, match="请对“工程质量”作出评定"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", unassessed, "", "accepted",
                                           24, SECRETARIAT)
    wanting = {**ALL_OK, "scale": {"ok": False, "note": "实际硬化 2.6 公里，少于计划的 3 公里"}}
    with pytest.raises(Refused, match="不能为“验收合格”"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", wanting, "", "accepted", 24,
                                           SECRETARIAT)
    with pytest.raises(Refused, match="须写明验收意见"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", wanting, "",
                                           "accepted_after_rectification", 24, SECRETARIAT)
    with pytest.raises(Refused, match="请选择参加验收的人大代表"):
        await acceptance.record_acceptance(project["id"], today, [], "", ALL_OK, "", "accepted", 24, SECRETARIAT)
    with pytest.raises(Refused, match="验收日期不能晚于今天"):
        await accept(project["id"], hall, held_on=today + timedelta(days=1))
    stranger = await make_hall(deputies=3)
    with pytest.raises(Refused, match="不是本级人大的代表"):
        await acceptance.record_acceptance(project["id"], today, stranger.deputy_ids[:1], "", ALL_OK, "", "accepted",
                                           24, SECRETARIAT)
    assert await Acceptance.count().where(Acceptance.project == project["id"]) == 0
    assert (await projects.get_project(project["id"]))["stage"] == "completed"

    held_on = today - timedelta(days=3)
    record_id = await accept(project["id"], hall, held_on=held_on, months=24)
    row = await projects.get_project(project["id"])
    assert row["stage"] == "accepted" and row["warranty_until"] == acceptance.add_months(held_on, 24)
    [record] = await acceptance.acceptances_of(project["id"])
    assert record["id"] == record_id and record["deputies"] == sorted(hall.deputy_ids[:3])
    assert record["checklist"]["quality"] == {"ok": True, "note": ""} and record["result"] == "accepted"
    history = [e["text"] for e in await proposals.history(project["proposal"])]
    assert any("人大代表 3 名和群众代表现场验收，验收合格，质保期 24 个月" in t for t in history)
    assert (await audit.entries(action="acceptance_recorded"))[0]["subject"] == row["title"]
    with pytest.raises(Conflict, match="完工待验收的项目才能验收"):
        await accept(project["id"], hall)  # once only


async def test_not_accepted_goes_back_to_the_department_with_rectification_requests(hall):
    project, department, dept = await completed_project(hall)
    today = proposals.today()
    wanting = {"content": {"ok": True, "note": ""},
               "scale": {"ok": False, "note": "实际硬化 2.6 公里，少于计划的 3 公里"},
               "quality": {"ok": False, "note": "K1+200 处路面开裂"}}
    with pytest.raises(Refused, match="须填写整改期限"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", wanting,
                                           "规模和质量未达到实施方案要求。", "not_accepted", 0, SECRETARIAT)
    with pytest.raises(Refused, match="整改期限应晚于验收日期"):
        await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", wanting,
                                           "规模和质量未达到实施方案要求。", "not_accepted", 0, SECRETARIAT,
                                           rectify_by=today)
    due = today + timedelta(days=60)
    await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "", wanting,
                                       "规模和质量未达到实施方案要求。", "not_accepted", 24, SECRETARIAT, rectify_by=due)
    row = await projects.get_project(project["id"])
    assert row["stage"] == "implementing" and row["warranty_until"] is None
    raised = await Rectification.select().where(Rectification.project == project["id"]).order_by(Rectification.id)
    assert [(r["source"], r["due_on"], r["status"]) for r in raised] == [("acceptance", due, "open")] * 2
    assert "2.6 公里" in raised[0]["request"] and "路面开裂" in raised[1]["request"]
    history = [e["text"] for e in await proposals.history(project["proposal"])]
    assert any("验收不合格，退回继续实施。验收意见：规模和质量未达到实施方案要求。" in t for t in history)
    assert any(f"验收提出整改要求 2 项，限 {due.isoformat()} 前整改完毕" in t for t in history)

    # put right, reported finished again, accepted after rectification
    await projects.move_project(project["id"], "completed", dept)
    await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "",
                                       {**ALL_OK, "quality": {"ok": False, "note": "个别路肩尚待修补"}},
                                       "路面已返工，规模达到 3 公里。", "accepted_after_rectification", 12, SECRETARIAT)
    row = await projects.get_project(project["id"])
    assert row["stage"] == "accepted" and row["warranty_until"] == acceptance.add_months(today, 12)
    assert [a["result"] for a in await acceptance.acceptances_of(project["id"])] == [
        "not_accepted", "accepted_after_rectification"]
    assert await Rectification.count().where(Rectification.project == project["id"]) == 2  # no deadline: none new


async def test_custodians_and_a_defect_in_the_warranty_period_becomes_a_rectification(hall):
    project, department, dept = await completed_project(hall)
    other, stranger = await a_department(hall, "县水利局")
    today = proposals.today()
    with pytest.raises(Conflict, match="验收通过后"):
        await maintenance.add_custodian(project["id"], "", hall.deputy_ids[0], "路长", today, SECRETARIAT)
    await accept(project["id"], hall, held_on=today - timedelta(days=30), months=24)

    custodian = await maintenance.add_custodian(project["id"], "", hall.deputy_ids[0], "路长，每周巡查一次",
                                                today, SECRETARIAT)
    await maintenance.add_custodian(project["id"], "王大伯", None, "保洁员", today, dept)
    with pytest.raises(Forbidden):
        await maintenance.add_custodian(project["id"], "李大妈", None, "保洁员", today, stranger)
    with pytest.raises(Refused, match="请填写管护员姓名"):
        await maintenance.add_custodian(project["id"], " ", None, "保洁员", today, dept)
    far = await make_hall(deputies=2)
    with pytest.raises(Refused, match="不是本级人大的代表"):
        await maintenance.add_custodian(project["id"], "", far.deputy_ids[0], "路长", today, SECRETARIAT)
    listed = await maintenance.custodians_of(project["id"])
    deputy = await Deputy.select(Deputy.name).where(Deputy.id == hall.deputy_ids[0]).first()
    assert [(c["id"] == custodian, c["deputy"] is not None) for c in listed] == [(True, True), (False, False)]
    assert listed[0]["name"] == deputy["name"] and listed[1]["name"] == "王大伯"

    await maintenance.log_maintenance(project["id"], today, "巡查一遍，路面完好，清理边沟落叶。", False, dept)
    with pytest.raises(Refused, match="请填写整改期限"):
        await maintenance.log_maintenance(project["id"], today, "K0+500 处路面出现裂缝约 2 米。", True, SECRETARIAT)
    entry = await maintenance.log_maintenance(project["id"], today, "K0+500 处路面出现裂缝约 2 米。", True, SECRETARIAT,
                                              due_on=today + timedelta(days=30))
    [raised] = await Rectification.select().where(Rectification.project == project["id"])
    assert raised["source"] == "warranty" and raised["due_on"] == today + timedelta(days=30)
    assert "裂缝约 2 米" in raised["request"] and raised["status"] == "open"
    log = await maintenance.maintenance_log(project["id"])
    assert [e["id"] == entry for e in log].count(True) == 1
    assert {e["id"]: e["rectification"] for e in log}[entry] == raised["id"]
    assert sum(1 for e in log if e["rectification"] is None) == 1
    history = [e["text"] for e in await proposals.history(project["proposal"])]
    assert any("质保期内发现问题，要求承办部门于" in t and "裂缝" in t for t in history)
    assert any("确定管护人员：群众管护员，保洁员" in t for t in history)  # a villager stays unnamed in public
    assert not any("王大伯" in t for t in history)
    assert any(f"确定管护人员：人大代表{deputy['name']}，路长" in t for t in history)
    with pytest.raises(Forbidden):
        await maintenance.log_maintenance(project["id"], today, "看过一遍，一切正常。", False, stranger)


async def test_a_defect_after_the_warranty_is_only_logged(hall):
    project, department, dept = await completed_project(hall)
    today = proposals.today()
    # Dated before the plan's start (to have a warranty over by now): the clerk has noted the warning.
    await accept(project["id"], hall, held_on=today - timedelta(days=400), months=12, noted=True)
    assert (await projects.get_project(project["id"]))["warranty_until"] < today
    await maintenance.log_maintenance(project["id"], today, "路面出现坑槽两处，村里组织修补。", True, dept)
    [entry] = await maintenance.maintenance_log(project["id"])
    assert entry["defect"] and entry["rectification"] is None
    assert await Rectification.count().where(Rectification.project == project["id"]) == 0
    # a defect found on the warranty's last day still counts as within it
    row = await projects.get_project(project["id"])
    assert maintenance.in_warranty(row, row["warranty_until"])
    assert not maintenance.in_warranty(row, row["warranty_until"] + timedelta(days=1))


async def evaluation_ready(hall, n: int = 3, accepted: int = 2) -> list[dict]:
    chosen = await chosen_projects(hall, n)
    department, _ = await a_department(hall)
    for project in chosen:
        await complete(project["id"], department)
    for project in chosen[:accepted]:
        await accept(project["id"], hall)
    return [await projects.get_project(p["id"]) for p in chosen]


async def test_an_evaluation_poll_on_the_accepted_projects_writes_each_verdict(hall):
    made = await evaluation_ready(hall, 3, accepted=2)
    year = made[0]["year"]
    _, dept = await a_department(hall, "县卫健局")
    with pytest.raises(Forbidden):
        await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", dept)
    with pytest.raises(Refused, match="没有已验收、待测评的项目"):
        await evaluation.open_evaluation(hall.congress_id, year + 5, hall.session_id, "", SECRETARIAT)
    with pytest.raises(Refused, match="不是 .* 年度已验收、待测评的项目"):
        await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", SECRETARIAT,
                                         [made[0]["id"], made[2]["id"]])  # the third is not accepted
    elsewhere = await make_hall(deputies=3)
    with pytest.raises(Refused, match="本级人大的会议"):
        await evaluation.open_evaluation(hall.congress_id, year, elsewhere.session_id, "", SECRETARIAT)

    poll_id = await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", SECRETARIAT)
    poll = await polls.get_poll(poll_id)
    assert poll["method"] == "satisfaction" and poll["title"] == f"{year}年民生实事项目满意度测评"
    candidates = await polls.candidates_of(poll_id)
    assert [(c["title"], c["reference"]) for c in candidates] == [(p["title"], p["code"]) for p in made[:2]]
    with pytest.raises(Conflict, match="已在满意度测评"):
        await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", SECRETARIAT, [made[1]["id"]])

    await sealed.open_poll(poll_id, STAFF)
    # 30 deputies: 满意 needs more than 15
    plan_ = ([{"P01": "satisfied", "P02": "basically_satisfied"}] * 16
             + [{"P01": "basically_satisfied", "P02": "dissatisfied"}] * 10 + [{"P01": "abstain"}] * 2)
    for deputy, marks in zip(hall.deputy_ids, plan_):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["status"] == "valid"
    rows = [await projects.get_project(p["id"]) for p in made]
    assert [(r["stage"], r["verdict"]) for r in rows] == [
        ("evaluated", "satisfied"), ("evaluated", "basically_satisfied"), ("completed", None)]
    history = [e["text"] for e in await proposals.history(made[0]["proposal"])]
    assert any(f"经“{poll['title']}”满意度测评：满意（满意 16 票，基本满意 10 票" in t for t in history)
    listed = [e for e in await evaluation.evaluations(hall.congress_id) if e["id"] == poll_id]
    assert listed and [p["counted"] for p in listed[0]["projects"]] == ["satisfied", "basically_satisfied"]
    assert listed[0]["stale"] == [] and await evaluation.apply_correction(poll_id, SECRETARIAT) == 0
    with pytest.raises(Refused, match="没有已验收、待测评的项目"):
        await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", SECRETARIAT)


async def evaluate(hall, year: int, marks: dict[str, str], voters: int = 20) -> dict:
    """An evaluation poll of the year's projects awaiting it, `voters` deputies casting `marks`, counted."""
    poll_id = await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", SECRETARIAT)
    await sealed.open_poll(poll_id, STAFF)
    for deputy in hall.deputy_ids[:voters]:
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["status"] == "valid"
    return await polls.get_poll(poll_id)


async def test_a_dissatisfied_verdict_opens_a_rectification_and_the_project_is_evaluated_again(hall):
    from lifecycle import colours, supervision

    made = await evaluation_ready(hall, 2, accepted=2)
    year, today = made[0]["year"], proposals.today()
    first = await evaluate(hall, year, {"P01": "satisfied", "P02": "dissatisfied"})
    good, bad = [await projects.get_project(p["id"]) for p in made]
    assert (good["verdict"], bad["verdict"]) == ("satisfied", "dissatisfied")
    assert await supervision.rectifications(good["id"]) == []
    [rect] = await supervision.rectifications(bad["id"])
    assert rect["source"] == "evaluation" and rect["status"] == "open" and rect["due_on"] == today + timedelta(days=90)
    assert rect["request"].startswith(f"满意度测评“{first['title']}”结果为不满意（满意 0 票，基本满意 0 票，不满意 20 票）")
    # It is answered and verified like any other; the project goes on the next evaluation.
    again = await evaluation.awaiting(hall.congress_id, year + 1)
    assert [(p["id"], p.get("again")) for p in again] == [(bad["id"], True)]

    second = await evaluate(hall, year + 1, {"P01": "basically_satisfied"})
    assert [c["reference"] for c in await polls.candidates_of(second["id"])] == [bad["code"]]
    bad = await projects.get_project(bad["id"])
    assert (bad["stage"], bad["verdict"]) == ("evaluated", "basically_satisfied")
    history = [e["text"] for e in await proposals.history(bad["proposal"])]
    assert any(t.startswith(f"经“{first['title']}”满意度测评：不满意") for t in history)
    assert any(t.startswith(f"再次经“{second['title']}”满意度测评：基本满意") for t in history)
    assert len(await supervision.rectifications(bad["id"])) == 1  # 基本满意 needs none by default
    assert await evaluation.awaiting(hall.congress_id, year + 1) == []

    # A congress that asks it: 基本满意 opens one too, due in its own number of days, and asks again.
    await projects.set_thresholds(hall.congress_id, colours.Thresholds(rectify_basically=True,
                                                                      verdict_rectify_days=30), SECRETARIAT)
    assert [p["id"] for p in await evaluation.awaiting(hall.congress_id, year + 1)] == [bad["id"]]
    await evaluate(hall, year + 1, {"P01": "basically_satisfied"})
    latest = (await supervision.rectifications(bad["id"]))[0]
    assert latest["source"] == "evaluation" and latest["due_on"] == today + timedelta(days=30)
    logged = await audit.entries(limit=50)
    assert any(e["action"] == "rectification_raised" and e["subject"] == bad["title"]
               and '"source": "evaluation"' in str(e["detail"]) for e in logged)


async def test_an_evaluation_without_quorum_changes_nothing(hall):
    made = await evaluation_ready(hall, 2, accepted=2)
    year = made[0]["year"]
    later = await sittings.create_session(hall.term_id, 4, None, None, STAFF)
    poll_id = await evaluation.open_evaluation(hall.congress_id, year, later, "年底测评", SECRETARIAT)
    await sittings.move_sitting(hall.sitting_id, "closed", STAFF)
    sitting = await sittings.create_sitting(later, date.today(), "09:00", "11:00", STAFF)
    await sittings.move_sitting(sitting, "open", STAFF)
    for deputy in hall.deputy_ids[:20]:
        await sittings.check_in(later, deputy, STAFF)
    await sealed.open_poll(poll_id, STAFF)
    for deputy in hall.deputy_ids[:5]:
        await sealed.cast(poll_id, deputy, {"P01": "satisfied", "P02": "satisfied"})
    # 5 of 30 still counted present at the close (the others struck from the sitting's list): no quorum
    await CheckIn.delete().where((CheckIn.sitting == sitting) & CheckIn.deputy.not_in(hall.deputy_ids[:5]))
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["status"] == "no_quorum"
    rows = [await projects.get_project(p["id"]) for p in made]
    assert [(r["stage"], r["verdict"]) for r in rows] == [("accepted", None)] * 2
    again = await evaluation.open_evaluation(hall.congress_id, year, hall.session_id, "", SECRETARIAT)
    assert len(await polls.candidates_of(again)) == 2


async def test_a_satisfaction_poll_without_project_references_leaves_projects_alone(hall):
    made = await evaluation_ready(hall, 1, accepted=1)
    poll_id = await hall.poll(candidates=2, method="satisfaction")  # typed in by hand: no references
    for deputy in hall.deputy_ids:
        await sealed.cast(poll_id, deputy, {"P01": "satisfied", "P02": "satisfied"})
    await sealed.close_poll(poll_id, STAFF)
    assert (await projects.get_project(made[0]["id"]))["stage"] == "accepted"


async def test_accepted_after_rectification_with_a_deadline_raises_what_is_left_to_put_right(hall):
    project, _, _ = await completed_project(hall)
    today = proposals.today()
    due = today + timedelta(days=30)
    await acceptance.record_acceptance(project["id"], today, hall.deputy_ids[:2], "",
                                       {**ALL_OK, "quality": {"ok": False, "note": "两处路肩未压实"}},
                                       "主体合格，路肩限期修补。", "accepted_after_rectification", 24, SECRETARIAT,
                                       rectify_by=due)
    row = await projects.get_project(project["id"])
    assert row["stage"] == "accepted" and row["warranty_until"] == acceptance.add_months(today, 24)
    [raised] = await Rectification.select().where(Rectification.project == project["id"])
    assert raised["source"] == "acceptance" and raised["due_on"] == due and "两处路肩未压实" in raised["request"]
