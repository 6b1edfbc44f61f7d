"""Supervision of chosen projects: groups, lots, inspections and rectifications, on the real database,
with every refusal the rules make."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta

import pytest
from PIL import Image

from lifecycle import projects, proposals, supervision, uploads
from lifecycle.proposals import Who
from lifecycle.tables import Inspection, Project, ProjectAttachment, Rectification
from tests.hall import STAFF, make_hall
from tests.lifecycle.test_projects import chosen_project, department_who, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT, idea, open_round
from voting import audit, sittings
from voting.audit import Actor
from voting.errors import Conflict, Forbidden, NotFound, Refused

_names = itertools.count(1)


def deputy(hall, n: int) -> Who:
    """Deputy number n of the hall (0-based) as lifecycle sees a tablet user."""
    deputy_id = hall.deputy_ids[n]
    return Who(Actor("deputy", deputy_id, f"代表 {hall.numbers[deputy_id]}"), "deputy")


def png(colour: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def department(hall, name: str = "县交通运输局") -> tuple[int, Who]:
    return await department_who(hall, name, f"sv-dept-{next(_names)}")


async def implementing(hall, department_id: int | None = None, count: int = 1,
                       titles: tuple[str, ...] = ()) -> list[int]:
    """Projects of the hall's congress being implemented (made directly: the vote is tested elsewhere)."""
    round_id = await open_round(hall)
    ids = []
    for n in range(count):
        title = titles[n] if n < len(titles) else f"监督测试项目{next(_names)}"
        made = await proposals.submit(round_id, idea(title=title), SECRETARIAT)
        project_id = await projects.create_for(made["id"], Who.system())
        await Project.update({Project.stage: "implementing", Project.department: department_id,
                              Project.starts_on: date(2027, 1, 1), Project.ends_on: date(2027, 12, 31)}).where(
            Project.id == project_id)
        ids.append(project_id)
    return ids


async def with_group(hall, project_id: int, lead: int = 0, members: tuple[int, ...] = (1, 2)) -> None:
    await supervision.set_group(project_id, hall.deputy_ids[lead], [hall.deputy_ids[m] for m in members],
                                SECRETARIAT)


async def actions(name: str) -> list[dict]:
    return await audit.entries(action=name, limit=500)


# --- the group ------------------------------------------------------------------------------


async def test_the_secretariat_sets_a_group_of_current_deputies_with_one_lead(hall):
    project = await chosen_project(hall)
    _, dept = await department(hall)
    lead, members = hall.deputy_ids[0], hall.deputy_ids[1:4]
    with pytest.raises(Forbidden):
        await supervision.set_group(project["id"], lead, members, dept)
    with pytest.raises(Forbidden):
        await supervision.set_group(project["id"], lead, members, deputy(hall, 0))
    with pytest.raises(Refused, match="组长"):
        await supervision.set_group(project["id"], None, members, SECRETARIAT)
    with pytest.raises(Refused, match="两种职务"):
        await supervision.set_group(project["id"], lead, [lead, *members], SECRETARIAT)
    elsewhere = await make_hall(deputies=3)
    with pytest.raises(Refused, match="本届人大代表"):
        await supervision.set_group(project["id"], lead, [elsewhere.deputy_ids[0]], SECRETARIAT)
    before = len(await actions("supervision_group_set"))
    await supervision.set_group(project["id"], lead, members, SECRETARIAT)
    group = await supervision.group_of(project["id"])
    assert [(m["deputy"], m["role"]) for m in group] == [(lead, "lead")] + [(m, "member") for m in members]
    assert len(await actions("supervision_group_set")) == before + 1
    mine = await supervision.groups_of_deputy(members[0])
    assert [(p["id"], p["role"], p["open_rectifications"]) for p in mine] == [(project["id"], "member", 0)]
    # A group is replaced as a whole; only the lead alone is enough.
    await supervision.set_group(project["id"], members[0], [], SECRETARIAT)
    assert await supervision.groups_of_deputy(lead) == []
    assert (await supervision.groups_of_deputy(members[0]))[0]["role"] == "lead"
    # Once the congress has a new term, the old term's deputies can no longer be chosen.
    await sittings.create_term(hall.congress_id, 20, STAFF)
    with pytest.raises(Refused, match="本届人大代表"):
        await supervision.set_group(project["id"], lead, [], SECRETARIAT)


# --- inspections ------------------------------------------------------------------------------


async def test_a_member_records_an_inspection_with_photos_and_the_public_sees_it(hall):
    department_id, dept = await department(hall)
    [project_id] = await implementing(hall, department_id)
    await with_group(hall, project_id)
    went = [hall.deputy_ids[0], hall.deputy_ids[1]]
    findings = "路基已完成，东段排水沟未按设计施工，部分路段压实度不足。" * 8
    photo = await uploads.store(png(), "现场.png")
    today = proposals.today()

    stranger = deputy(hall, 5)  # a deputy of the congress, not in this group
    with pytest.raises(Forbidden, match="监督小组"):
        await supervision.record_inspection(project_id, today, [hall.deputy_ids[5]], "", findings, False, None,
                                            stranger)
    with pytest.raises(Forbidden):
        await supervision.record_inspection(project_id, today, went, "", findings, False, None, dept)
    with pytest.raises(Refused, match="监督小组的成员"):
        await supervision.record_inspection(project_id, today, [*went, hall.deputy_ids[5]], "", findings, False,
                                            None, deputy(hall, 1))
    with pytest.raises(Refused, match="10 到 4000 字"):
        await supervision.record_inspection(project_id, today, went, "", "太短了", False, None, deputy(hall, 1))
    with pytest.raises(Refused, match="不能晚于今天"):
        await supervision.record_inspection(project_id, today + timedelta(days=1), went, "", findings, False, None,
                                            deputy(hall, 1))
    with pytest.raises(Refused, match="勾选"):
        await supervision.record_inspection(project_id, today, [], "", findings, False, None, deputy(hall, 1))
    assert not await Inspection.exists().where(Inspection.project == project_id)

    before = len(await actions("inspection_recorded"))
    inspection_id = await supervision.record_inspection(project_id, today - timedelta(days=1), went,
                                                        "县交通局 李科长；村民代表 2 人", findings, True, None,
                                                        deputy(hall, 1), (photo,))
    assert len(await actions("inspection_recorded")) == before + 1
    attached = await ProjectAttachment.select().where(ProjectAttachment.project == project_id)
    assert [(a["kind"], a["record"], a["sha256"]) for a in attached] == [("inspection", inspection_id, photo.sha256)]
    [shown] = await supervision.inspections(project_id)
    assert shown["who_went"] == [await _name(went[0]), await _name(went[1])]
    assert shown["unannounced"] and [p["sha256"] for p in shown["photos"]] == [photo.sha256]
    assert (await supervision.supervision_photo(photo.sha256))["record"] == inspection_id

    project = await projects.get_project(project_id)
    events = [e for e in await proposals.history(project["proposal"]) if e["kind"] == "inspection"]
    assert len(events) == 1 and "不打招呼" in events[0]["text"] and "排水沟" in events[0]["text"]
    assert events[0]["text"].endswith("（附照片 1 张）") and "……" in events[0]["text"]  # a summary, not all of it
    assert events[0]["role"] == "deputy"

    await supervision.record_inspection(project_id, today, went, "", "秘书处随同视察，现场查看施工进度。", False, None,
                                        SECRETARIAT)
    assert len(await supervision.inspections(project_id)) == 2

    await Project.update({Project.stage: "terminated"}).where(Project.id == project_id)
    with pytest.raises(Conflict, match="不再记录"):
        await supervision.record_inspection(project_id, today, went, "", findings, False, None, deputy(hall, 0))
    with pytest.raises(NotFound):
        await supervision.supervision_photo("0" * 64)


async def _name(deputy_id: int) -> str:
    from voting.tables import Deputy

    return (await Deputy.select(Deputy.name).where(Deputy.id == deputy_id).first())["name"]


# --- rectifications ----------------------------------------------------------------------------


async def test_a_rectification_is_raised_answered_by_its_own_department_and_closed_by_the_group(hall):
    department_id, dept = await department(hall)
    _, other_dept = await department(hall, "县水利局")
    [project_id] = await implementing(hall, department_id)
    await with_group(hall, project_id)
    member, lead, stranger = deputy(hall, 2), deputy(hall, 0), deputy(hall, 9)
    today = proposals.today()
    inspection_id = await supervision.record_inspection(project_id, today, [hall.deputy_ids[2]], "",
                                                        "东段排水沟未按设计施工，须返工。", False, None, member)

    with pytest.raises(Refused, match="今天之后"):
        await supervision.raise_rectification(project_id, inspection_id, "排水沟按设计返工", today, member)
    with pytest.raises(Refused, match="今天之后"):
        await supervision.raise_rectification(project_id, inspection_id, "排水沟按设计返工",
                                              today - timedelta(days=3), member)
    with pytest.raises(Forbidden):
        await supervision.raise_rectification(project_id, None, "排水沟按设计返工", today + timedelta(days=30),
                                              stranger)
    with pytest.raises(Forbidden):
        await supervision.raise_rectification(project_id, None, "排水沟按设计返工", today + timedelta(days=30), dept)
    [other_project] = await implementing(hall, department_id)
    await with_group(hall, other_project)
    other_inspection = await supervision.record_inspection(other_project, today, [hall.deputy_ids[0]], "",
                                                           "另一个项目的视察记录内容。", False, None, SECRETARIAT)
    with pytest.raises(Refused, match="不属于这个项目"):
        await supervision.raise_rectification(project_id, other_inspection, "排水沟按设计返工",
                                              today + timedelta(days=30), member)

    rect_id = await supervision.raise_rectification(project_id, inspection_id, "东段排水沟按设计返工",
                                                    today + timedelta(days=30), member)
    assert (await supervision.groups_of_deputy(hall.deputy_ids[0]))[0]["open_rectifications"] == 1

    # Nobody closes a request the department has not answered, except the secretariat with a reason.
    with pytest.raises(Conflict, match="还没有答复"):
        await supervision.close_rectification(rect_id, lead, "看过了")
    with pytest.raises(Refused, match="理由"):
        await supervision.close_rectification(rect_id, SECRETARIAT, "")

    # Only the project's own department (or the secretariat) answers.
    with pytest.raises(Forbidden):
        await supervision.reply_rectification(rect_id, "已返工完毕。", other_dept)
    with pytest.raises(Forbidden):
        await supervision.reply_rectification(rect_id, "已返工完毕。", member)
    with pytest.raises(Refused, match="4 到 4000 字"):
        await supervision.reply_rectification(rect_id, "好", dept)
    await supervision.reply_rectification(rect_id, "已按设计返工，排水沟全线贯通。", dept)
    with pytest.raises(Conflict, match="已经答复"):
        await supervision.reply_rectification(rect_id, "再答复一次。", dept)
    assert (await supervision.rectification(rect_id))["status"] == "replied"

    with pytest.raises(Forbidden):
        await supervision.close_rectification(rect_id, stranger)
    with pytest.raises(Forbidden):
        await supervision.close_rectification(rect_id, dept)
    await supervision.close_rectification(rect_id, member, "现场核实，排水沟已返工")
    row = await supervision.rectification(rect_id)
    assert row["status"] == "closed" and row["closed_by"] == member.actor.label and row["closed_at"] is not None
    with pytest.raises(Conflict, match="已经销号"):
        await supervision.close_rectification(rect_id, lead)
    with pytest.raises(Conflict, match="已经销号"):
        await supervision.reply_rectification(rect_id, "迟到的答复内容。", dept)

    # The secretariat may close one never answered, with its reason on record.
    second = await supervision.raise_rectification(project_id, None, "补设警示标志", today + timedelta(days=10),
                                                   SECRETARIAT)
    await supervision.close_rectification(second, SECRETARIAT, "项目调整，该路段取消")
    closings = await actions("rectification_closed")
    assert any(e["reason"] == "项目调整，该路段取消" for e in closings)

    project = await projects.get_project(project_id)
    kinds = [e["kind"] for e in await proposals.history(project["proposal"])]
    assert kinds.count("rectification") == 2 and kinds.count("rect_replied") == 1 and kinds.count("rect_closed") == 2
    texts = [e["text"] for e in await proposals.history(project["proposal"])]
    due = today + timedelta(days=30)
    assert any(f"{due.year}年{due.month}月{due.day}日" in t and "东段排水沟按设计返工" in t for t in texts)
    assert any("排水沟全线贯通" in t for t in texts)
    for name in ("rectification_raised", "rectification_replied", "rectification_closed"):
        assert any(e["subject"] == project["title"] for e in await actions(name))


async def test_a_reply_sent_back_is_answered_again_with_photos_and_every_round_stays(hall):
    department_id, dept = await department(hall)
    [project_id] = await implementing(hall, department_id)
    await with_group(hall, project_id)
    member, stranger = deputy(hall, 2), deputy(hall, 9)
    today = proposals.today()
    rect_id = await supervision.raise_rectification(project_id, None, "东段排水沟按设计返工",
                                                    today + timedelta(days=30), member)
    with pytest.raises(Conflict, match="还没有答复"):
        await supervision.send_back_rectification(rect_id, "还没看到整改", member)
    await supervision.reply_rectification(rect_id, "已返工完毕，排水沟贯通。", dept)

    with pytest.raises(Forbidden):
        await supervision.send_back_rectification(rect_id, "现场仍有积水", stranger)
    with pytest.raises(Forbidden):
        await supervision.send_back_rectification(rect_id, "现场仍有积水", dept)
    with pytest.raises(Refused, match="不予销号须写明理由"):
        await supervision.send_back_rectification(rect_id, "  ", member)
    await supervision.send_back_rectification(rect_id, "现场核查，东段仍有 30 米积水", member)
    assert (await supervision.rectification(rect_id))["status"] == "open"
    with pytest.raises(Conflict, match="还没有答复"):  # sent back: the department answers again first
        await supervision.close_rectification(rect_id, member)

    fixed = (await uploads.store(png("navy"), "返工后.png"),)
    await supervision.reply_rectification(rect_id, "已加深东段沟底并清淤，现场无积水。", dept, fixed)
    await supervision.close_rectification(rect_id, member, "复查无积水")
    [rect] = await supervision.rectifications(project_id)
    assert [(r["round"], r["verdict"], r["verdict_note"]) for r in rect["rounds"]] == [
        (1, "sent_back", "现场核查，东段仍有 30 米积水"), (2, "closed", "复查无积水")]
    assert [p["sha256"] for p in rect["rounds"][1]["photos"]] == [fixed[0].sha256] and not rect["rounds"][0]["photos"]
    assert (await supervision.supervision_photo(fixed[0].sha256))["kind"] == "rect_reply"

    project = await projects.get_project(project_id)
    texts = [e["text"] for e in await proposals.history(project["proposal"]) if e["kind"].startswith("rect")]
    assert texts == ["提出整改要求（视察，限 {}前完成）：东段排水沟按设计返工".format(supervision.cn_date(today + timedelta(days=30)) + " "),
                     "承办部门答复整改要求“东段排水沟按设计返工”：已返工完毕，排水沟贯通。",
                     "监督小组核实，整改要求“东段排水沟按设计返工”不予销号：现场核查，东段仍有 30 米积水",
                     "承办部门第 2 次答复整改要求“东段排水沟按设计返工”（附照片 1 张）：已加深东段沟底并清淤，现场无积水。",
                     "监督小组核实，整改要求“东段排水沟按设计返工”销号：复查无积水"]
    sent_back = await actions("rectification_sent_back")
    assert sent_back[0]["reason"] == "现场核查，东段仍有 30 米积水" and sent_back[0]["subject"] == project["title"]


async def test_open_rectifications_list_overdue_first_and_turn_the_project_red(hall):
    department_id, dept = await department(hall)
    _, other_dept = await department(hall, "县住建局")
    first, second = await implementing(hall, department_id, count=2)
    today = proposals.today()
    late = await supervision.raise_rectification(first, None, "清理施工垃圾", today + timedelta(days=20), SECRETARIAT)
    soon = await supervision.raise_rectification(second, None, "补种行道树", today + timedelta(days=3), SECRETARIAT)
    later = await supervision.raise_rectification(second, None, "修复破损路灯", today + timedelta(days=40), SECRETARIAT)
    await Rectification.update({Rectification.due_on: today - timedelta(days=2)}).where(Rectification.id == late)
    rows = await supervision.open_rectifications(department_id=department_id)
    assert [r["id"] for r in rows] == [late, soon, later]
    assert [r["overdue"] for r in rows] == [True, False, False] and rows[0]["days_left"] == -2
    assert rows[0]["project_title"] and rows[0]["status_label"] == "待答复"
    assert await supervision.open_rectifications(department_id=department_id + 10_000) == []
    assert [r["id"] for r in await supervision.open_rectifications(project_id=second)] == [soon, later]
    assert await projects.colour_of(await projects.get_project(first)) == "red"
    assert await supervision.check_department_access(late, dept)
    with pytest.raises(Forbidden):
        await supervision.check_department_access(late, other_dept)


# --- lots ---------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_draw():
    pool = list(range(101, 131))
    assert supervision.draw(pool, 4, "5f1c0a9e2b7d4c31") == supervision.draw(pool, 4, "5f1c0a9e2b7d4c31")
    assert supervision.draw(tuple(pool), 4, "5f1c0a9e2b7d4c31") == supervision.draw(pool, 4, "5f1c0a9e2b7d4c31")
    assert len(set(supervision.draw(pool, 4, "abc"))) == 4 and set(supervision.draw(pool, 4, "abc")) <= set(pool)
    assert len({tuple(supervision.draw(pool, 4, f"seed-{n}")) for n in range(20)}) > 1
    import random

    assert supervision.draw(pool, 3, "公开的种子") == random.Random("公开的种子").sample(pool, 3)


async def test_lots_are_drawn_from_the_year_s_implementing_projects_and_can_be_repeated(hall):
    pool = await implementing(hall, count=5)
    planning = await chosen_project(hall)  # same congress and year, but still planning: not in the pool
    year = planning["year"]
    assert await supervision.draw_pool(hall.congress_id, year) == pool
    await with_group(hall, pool[0], lead=0, members=(1,))
    member, lead = deputy(hall, 1), deputy(hall, 0)

    with pytest.raises(Forbidden, match="组长"):
        await supervision.draw_lots(hall.congress_id, year, 2, member)
    other = await make_hall(deputies=3)
    with pytest.raises(Forbidden):
        await supervision.draw_lots(other.congress_id, year, 1, lead)  # leads a group of another congress only
    with pytest.raises(Refused, match="1 到 5"):
        await supervision.draw_lots(hall.congress_id, year, 6, SECRETARIAT)
    with pytest.raises(Conflict, match="没有实施中的项目"):
        await supervision.draw_lots(hall.congress_id, year + 5, 1, SECRETARIAT)

    before = len(await actions("lots_drawn"))
    made = await supervision.draw_lots(hall.congress_id, year, 2, SECRETARIAT, seed="0123456789abcdef")
    assert made["pool"] == pool and made["seed"] == "0123456789abcdef"
    assert made["drawn"] == supervision.draw(pool, 2, "0123456789abcdef") and supervision.repeats(made)
    assert len(await actions("lots_drawn")) == before + 1

    by_lead = await supervision.draw_lots(hall.congress_id, year, 3, lead)
    assert len(by_lead["seed"]) == 16 and int(by_lead["seed"], 16) >= 0
    assert by_lead["drawn"] == supervision.draw(by_lead["pool"], 3, by_lead["seed"])
    assert by_lead["by"] == lead.actor.label
    listed = await supervision.draws(hall.congress_id)
    assert [d["id"] for d in listed][:2] == [by_lead["id"], made["id"]] and all(d["repeats"] for d in listed)

    # An inspection can name the draw that picked its project, and then it was unannounced.
    drawn, not_drawn = by_lead["drawn"][0], next(p for p in pool if p not in by_lead["drawn"])
    for project_id in (drawn, not_drawn):
        await with_group(hall, project_id, lead=0, members=(1,))
    today = proposals.today()
    with pytest.raises(Refused, match="没有抽中"):
        await supervision.record_inspection(not_drawn, today, [hall.deputy_ids[0]], "", "抽签后不打招呼的视察。",
                                            False, by_lead["id"], lead)
    inspection_id = await supervision.record_inspection(drawn, today, [hall.deputy_ids[0]], "",
                                                        "抽签后不打招呼的视察，施工现场安全措施到位。", False,
                                                        by_lead["id"], lead)
    row = await Inspection.select().where(Inspection.id == inspection_id).first()
    assert row["unannounced"] and row["lot_draw"] == by_lead["id"]
    project = await projects.get_project(drawn)
    [event] = [e for e in await proposals.history(project["proposal"]) if e["kind"] == "inspection"]
    assert "抽签确定" in event["text"] and event["detail"]["lot_draw"]["seed"] == by_lead["seed"]


async def test_a_department_plan_then_group_then_inspection_uses_the_real_project(hall):
    """The chosen project of a real vote, planned and published, is supervised like any other."""
    project = await chosen_project(hall)
    department_id, dept = await department(hall)
    await projects.save_plan(project["id"], plan(department_id, date(2027, 1, 1)), SECRETARIAT)
    await publish(project["id"], dept)
    await with_group(hall, project["id"])
    today = proposals.today()
    await supervision.record_inspection(project["id"], today, [hall.deputy_ids[0]], "", "实施方案公布后首次视察。",
                                        False, None, deputy(hall, 0))
    rect = await supervision.raise_rectification(project["id"], None, "按月报送进度", today + timedelta(days=7),
                                                 deputy(hall, 0))
    await supervision.reply_rectification(rect, "已建立月报制度。", dept)
    await supervision.close_rectification(rect, deputy(hall, 1))
    assert (await supervision.rectification(rect))["status"] == "closed"
