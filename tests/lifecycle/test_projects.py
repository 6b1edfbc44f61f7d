"""A chosen project's plan, progress, decisions and colour, on the real database."""

from datetime import date, timedelta

import pytest

from lifecycle import colours, projects, stages
from lifecycle.projects import MilestoneInput, PlanInput
from lifecycle.proposals import Who
from lifecycle.tables import Project
from tests.hall import STAFF
from tests.lifecycle.test_proposals import SECRETARIAT, listed_poll
from voting import accounts, audit, ballot_box, polls
from voting.audit import Actor
from voting.errors import Conflict, Forbidden, Refused
from tests import sealed


async def chosen_project(hall) -> dict:
    ids, poll_id = await listed_poll(hall, 2, 1)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    row = await Project.select().where(Project.proposal == ids[0]).first()
    assert row is not None and not await Project.exists().where(Project.proposal == ids[1])
    return row


async def department_who(hall, name="县交通运输局", username="jiaotong") -> tuple[int, Who]:
    from voting.tables import StaffAccount

    department = await projects.create_department(hall.congress_id, name, SECRETARIAT)
    existing = await StaffAccount.select(StaffAccount.id).where(StaffAccount.username == username).first()
    staff_id = existing["id"] if existing else await accounts.create_staff(username, "交通局 王工", "dept-pass-123",
                                                                           role="department")
    await projects.assign_staff(department, staff_id, SECRETARIAT)
    return department, Who(Actor("staff", staff_id, "承办部门 交通局 王工"), "department")


async def publish(project_id: int, submitter: Who = SECRETARIAT) -> None:
    """The plan submitted for review (by its department, or the secretariat drawing it up itself)
    and published by the secretariat."""
    await projects.submit_plan(project_id, submitter)
    await projects.move_project(project_id, "implementing", SECRETARIAT)


def plan(department: int, start: date) -> PlanInput:
    return PlanInput(department, "王局长", 120, "县财政 80 万元，上级补助 40 万元", "硬化村道 3 公里", start,
                     start + timedelta(days=200), (MilestoneInput("路基", 40, start + timedelta(days=60)),
                                                   MilestoneInput("路面", 60, start + timedelta(days=180))))


async def test_a_chosen_project_is_planned_published_and_reported_by_its_own_department(hall):
    project = await chosen_project(hall)
    assert project["stage"] == "planning" and project["title"] == "候选民生项目01"
    department, dept = await department_who(hall)
    other, stranger = await department_who(hall, "县水利局", "shuili")
    start = date(2027, 1, 1)
    with pytest.raises(Forbidden):
        await projects.save_plan(project["id"], plan(department, start), dept)  # not assigned yet
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await projects.save_plan(project["id"], plan(department, start), dept)
    with pytest.raises(Forbidden):
        await projects.file_report(project["id"], "一季度", start, {}, 0, "进展顺利，路基完成一半。", stranger)
    await publish(project["id"], dept)
    with pytest.raises(Conflict, match="须有常委会"):
        await projects.save_plan(project["id"], plan(department, start), dept)
    stones = await projects.milestones(project["id"])
    await projects.file_report(project["id"], "2027年第一季度", start + timedelta(days=90),
                               {stones[0]["id"]: 100, stones[1]["id"]: 10}, 50, "路基全部完成，路面开始铺设。", dept)
    row = await projects.get_project(project["id"])
    assert (row["progress"], row["spent_wan"]) == (46, 50)  # 40×100 + 60×10 over 100
    with pytest.raises(Refused, match="不能低于上次报告"):
        await projects.file_report(project["id"], "二季度", start + timedelta(days=120), {stones[1]["id"]: 5}, 60,
                                   "路面铺设有所反复，部分返工。", dept)
    assert await projects.colour_of(row, start + timedelta(days=90)) == "green"  # expected 45 %, reported 46 %
    assert await projects.colour_of(row, start + timedelta(days=150)) == "red"  # expected 75 %


async def test_a_plan_is_submitted_then_published_or_returned_with_a_reason_by_the_secretariat(hall):
    from lifecycle.tables import ProposalEvent

    project = await chosen_project(hall)
    department, dept = await department_who(hall)
    start = date(2027, 1, 1)
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    with pytest.raises(Conflict, match="须先提交审定"):  # nobody publishes a plan not submitted
        await projects.move_project(project["id"], "implementing", SECRETARIAT)
    await projects.submit_plan(project["id"], dept)
    with pytest.raises(Conflict, match="审定期间不能修改"):
        await projects.save_plan(project["id"], plan(department, start + timedelta(days=1)), dept)
    with pytest.raises(Conflict, match="已提交审定"):
        await projects.submit_plan(project["id"], dept)
    with pytest.raises(Conflict, match="承办部门不能公布实施方案"):  # its own department cannot publish it
        await projects.move_project(project["id"], "implementing", dept)
    with pytest.raises(Forbidden):
        await projects.return_plan(project["id"], "里程碑日期过于宽松", dept)
    with pytest.raises(Refused, match="写明需要修改的内容"):
        await projects.return_plan(project["id"], "  ", SECRETARIAT)

    await projects.return_plan(project["id"], "路面里程碑应在汛期前完成，请调整日期", SECRETARIAT)
    row = await projects.get_project(project["id"])
    assert row["stage"] == "planning" and row["plan_submitted_at"] is None
    with pytest.raises(Conflict, match="须先提交审定"):
        await projects.move_project(project["id"], "implementing", SECRETARIAT)
    assert (await projects.plan_history(row))[0]["text"] == "实施方案退回修改：路面里程碑应在汛期前完成，请调整日期"
    await projects.save_plan(project["id"], plan(department, start), dept)  # editable again
    await projects.submit_plan(project["id"], dept)
    await projects.move_project(project["id"], "implementing", SECRETARIAT)
    row = await projects.get_project(project["id"])
    assert row["stage"] == "implementing" and row["plan_published_at"] is not None
    texts = [e["text"] for e in await ProposalEvent.select(ProposalEvent.text).where(
        ProposalEvent.proposal == row["proposal"]).order_by(ProposalEvent.id)]
    assert texts[-4:] == ["提交实施方案，待人大常委会工作机构审定", "实施方案退回修改：路面里程碑应在汛期前完成，请调整日期",
                          "提交实施方案，待人大常委会工作机构审定", "公布实施方案"]
    logged = [e["action"] for e in await audit.entries(limit=6) if e["subject"] == row["title"]]
    assert logged[:4] == ["project_moved", "plan_submitted", "plan_saved", "plan_returned"]


async def test_changing_course_needs_a_recorded_decision_which_the_history_shows(hall):
    project = await chosen_project(hall)
    department, dept = await department_who(hall, "县卫健局", "weijian")
    await projects.save_plan(project["id"], plan(department, date(2027, 1, 1)), SECRETARIAT)
    await publish(project["id"], SECRETARIAT)
    with pytest.raises(Conflict, match="须先录入常委会"):
        await projects.move_project(project["id"], "suspended", SECRETARIAT, "汛期停工")
    with pytest.raises(Forbidden):
        await projects.record_decision(project["id"], "suspend", "县人大常委会", "第十二次会议", date(2027, 6, 1),
                                       "青人常〔2027〕8号", "汛期停工", {}, dept)
    with pytest.raises(Refused, match="文号"):
        await projects.record_decision(project["id"], "suspend", "县人大常委会", "第十二次会议", date(2027, 6, 1),
                                       "", "汛期停工", {}, SECRETARIAT)
    await projects.record_decision(project["id"], "suspend", "县人大常委会", "第十二次会议", date(2027, 6, 1),
                                   "青人常〔2027〕8号", "汛期停工，待汛期后恢复", {}, SECRETARIAT)
    assert (await projects.get_project(project["id"]))["stage"] == "suspended"
    await projects.record_decision(project["id"], "adjust", "县人大常委会", "第十三次会议", date(2027, 8, 1),
                                   "青人常〔2027〕11号", "工期顺延两个月", {"ends_on": date(2027, 9, 19)}, SECRETARIAT)
    row = await projects.get_project(project["id"])
    assert row["ends_on"] == date(2027, 9, 19) and await projects.colour_of(row) == "grey"
    from lifecycle import proposals

    texts = [e["text"] for e in await proposals.history(row["proposal"])]
    assert any("青人常〔2027〕8号" in t and "暂停" in t for t in texts)
    assert any("青人常〔2027〕11号" in t and "调整" in t for t in texts)


async def test_published_milestones_change_only_by_a_decision_and_keep_what_was_reported(hall):
    project = await chosen_project(hall)
    department, dept = await department_who(hall)
    start = date(2027, 1, 1)
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"], dept)
    base, surface = await projects.milestones(project["id"])  # 路基 40, 路面 60
    await projects.file_report(project["id"], "2027年第一季度", start + timedelta(days=50),
                               {base["id"]: 100, surface["id"]: 0}, 30, "路基全部完成，路面尚未开工。", dept)
    with pytest.raises(Conflict, match="须有常委会"):  # the plan form is closed once published
        await projects.save_plan(project["id"], plan(department, start), dept)

    def decide(after, **changes):
        return projects.record_decision(project["id"], "adjust", "县人大常委会", "第十三次会议", date(2027, 4, 1),
                                        "青人常〔2027〕12号", "增加排水工程，调整里程碑", changes, SECRETARIAT,
                                        milestones_after=after)

    drain = MilestoneInput("排水沟", 20, start + timedelta(days=150))
    with pytest.raises(Refused, match="已报告完成 100%，不能删除"):
        await decide((MilestoneInput("路面", 100, surface["due_on"], surface["id"]),))
    with pytest.raises(Refused, match="权重合计须为 100（现在是 120）"):
        await decide((MilestoneInput("路基", 40, base["due_on"], base["id"]),
                      MilestoneInput("路面", 60, surface["due_on"], surface["id"]), drain))
    with pytest.raises(Refused, match="开工与完成日期之间"):
        await decide((MilestoneInput("路基", 40, base["due_on"], base["id"]),
                      MilestoneInput("路面", 40, surface["due_on"], surface["id"]),
                      MilestoneInput("排水沟", 20, date(2028, 3, 1))))
    with pytest.raises(Refused, match="调整须写明调整的内容"):  # the list as it stands is no change
        await decide((MilestoneInput("路基", 40, base["due_on"], base["id"]),
                      MilestoneInput("路面", 60, surface["due_on"], surface["id"])))
    assert len(await projects.decisions(project["id"])) == 0

    await decide((MilestoneInput("路基", 40, base["due_on"], base["id"]),
                  MilestoneInput("沥青路面", 40, surface["due_on"], surface["id"]), drain))
    stones = await projects.milestones(project["id"])
    assert [(m["title"], m["weight"], m["percent"]) for m in stones] == [
        ("路基", 40, 100), ("沥青路面", 40, 0), ("排水沟", 20, 0)]
    assert stones[0]["id"] == base["id"] and stones[1]["id"] == surface["id"]
    assert (await projects.get_project(project["id"]))["progress"] == 40  # 40 × 100 % of 100
    decision = (await projects.decisions(project["id"]))[-1]
    assert decision["changes"]["milestones"] == {
        "before": f"路基 40（{base['due_on']}）；路面 60（{surface['due_on']}）",
        "after": f"路基 40（{base['due_on']}）；沥青路面 40（{surface['due_on']}）；排水沟 20（{drain.due_on}）"}
    # A dropped milestone never reported on simply goes.
    await decide((MilestoneInput("路基", 50, base["due_on"], base["id"]),
                  MilestoneInput("沥青路面", 50, surface["due_on"], surface["id"])))
    assert [m["title"] for m in await projects.milestones(project["id"])] == ["路基", "沥青路面"]
    assert (await projects.get_project(project["id"]))["progress"] == 50


def test_the_colour_rule_reads_the_schedule_and_the_rectifications():
    start, end = date(2027, 1, 1), date(2027, 12, 31)
    on = date(2027, 7, 2)  # half the time gone
    standing = colours.Standing("implementing", 45, start, end, last_report_on=date(2027, 6, 30))
    assert colours.colour(standing, on) == "green"
    assert colours.colour(colours.Standing("implementing", 35, start, end, last_report_on=on), on) == "yellow"
    assert colours.colour(colours.Standing("implementing", 20, start, end, last_report_on=on), on) == "red"
    assert colours.colour(colours.Standing("implementing", 60, start, end, (on + timedelta(days=3),), on), on) == \
        "yellow"
    assert colours.colour(colours.Standing("implementing", 60, start, end, (on - timedelta(days=1),), on), on) == "red"
    assert colours.colour(colours.Standing("implementing", 60, start, end, (), date(2027, 1, 10)), on) == "yellow"
    assert colours.colour(colours.Standing("suspended", 0, start, end), on) == "grey"
    assert colours.weighted_progress([(40, 100), (60, 10)]) == 46
    assert stages.check_project_move("planning", "implementing", "secretariat", facts=frozenset({"plan", "submitted"}))
