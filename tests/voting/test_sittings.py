"""Sittings (全体会议), quorum before the vote, and a second staff member's approval, on the engine under test."""

from datetime import date

import pytest

from tests.hall import STAFF, make_hall
from voting import accounts, approvals, ballot_box, polls, screen, sittings
from voting.audit import Actor
from voting.ballot_box import Outcome
from voting.errors import Conflict, Refused
from voting.tables import AuditEntry, CheckIn, StaffApproval
from tests import sealed

OTHER = Actor("staff", 9001, "秘书处 李静")
CLERK = Actor("staff", 9002, "秘书处 王强")


async def actions(subject_like: str) -> list[str]:
    rows = await AuditEntry.select(AuditEntry.action).where(AuditEntry.subject.like(f"%{subject_like}%")).order_by(
        AuditEntry.id)
    return [r["action"] for r in rows]


async def test_check_in_outside_an_open_sitting_is_refused_in_chinese(hall):
    await sittings.move_sitting(hall.sitting_id, "closed", STAFF, "上午会议结束")
    with pytest.raises(Conflict) as refused:
        await sittings.check_in(hall.session_id, hall.deputy_ids[0], Actor("deputy", hall.deputy_ids[0], "代表"))
    assert "没有正在进行的全体会议" in refused.value.message
    assert await CheckIn.count().where(CheckIn.deputy == hall.deputy_ids[0]) == 0
    with pytest.raises(Conflict, match="已经结束，不能再开始"):
        await sittings.move_sitting(hall.sitting_id, "open", STAFF)
    planned = await sittings.create_sitting(hall.session_id, date.today(), "14:30", "17:00", STAFF)
    with pytest.raises(Conflict):  # planned, not yet open: still refused
        await sittings.check_in(hall.session_id, hall.deputy_ids[0], STAFF)
    await sittings.move_sitting(planned, "open", STAFF, "下午会议开始")
    assert await sittings.check_in(hall.session_id, hall.deputy_ids[0], STAFF)
    entries = await AuditEntry.select().where(AuditEntry.action.is_in(["sitting_opened", "sitting_closed"])).order_by(
        AuditEntry.id)
    assert [(e["action"], e["reason"]) for e in entries][-3:] == [
        ("sitting_opened", ""), ("sitting_closed", "上午会议结束"), ("sitting_opened", "下午会议开始")]


async def test_attendance_is_per_sitting(hall):
    await hall.check_in(*hall.deputy_ids[:25])
    assert (await sittings.attendance(hall.session_id)).present == 25
    await sittings.move_sitting(hall.sitting_id, "closed", STAFF)
    second = await sittings.create_sitting(hall.session_id, date.today(), "14:30", "17:00", STAFF)
    await sittings.move_sitting(second, "open", STAFF)
    figures = await sittings.attendance(hall.session_id)
    assert figures.present == 0 and figures.sitting["id"] == second  # a new sitting: everyone checks in again
    await hall.check_in(*hall.deputy_ids[:3])
    assert (await sittings.attendance(hall.session_id)).present == 3
    assert (await sittings.attendance(hall.session_id, sitting_id=hall.sitting_id)).present == 25
    assert not await sittings.is_checked_in(hall.session_id, hall.deputy_ids[10])


async def test_a_sitting_dated_outside_the_session_or_with_a_bad_window_is_refused():
    term_hall = await make_hall(deputies=3)
    session_id = await sittings.create_session(term_hall.term_id, 4, date(2027, 3, 1), date(2027, 3, 3), STAFF)
    with pytest.raises(Refused) as refused:
        await sittings.create_sitting(session_id, date(2027, 3, 4), "09:00", "11:00", STAFF)
    assert refused.value.message == "全体会议的日期 2027-03-04 不在本次会议的会期（2027-03-01 至 2027-03-03）之内。"
    with pytest.raises(Refused, match="结束时间必须晚于开始时间"):
        await sittings.create_sitting(session_id, date(2027, 3, 2), "11:00", "09:00", STAFF)
    with pytest.raises(Refused, match="格式不对"):
        await sittings.create_sitting(session_id, date(2027, 3, 2), "9点", "11:00", STAFF)
    assert await sittings.sittings_of(session_id) == []
    made = await sittings.create_sitting(session_id, date(2027, 3, 1), "09:00", "11:00", STAFF)
    assert [s["name"] for s in await sittings.sittings_of(session_id)] == ["第一次全体会议"] and made


async def test_only_one_sitting_is_open_and_none_closes_under_an_open_poll(hall):
    other = await sittings.create_sitting(hall.session_id, date.today(), "14:30", "17:00", STAFF)
    with pytest.raises(Conflict, match="另有一次全体会议正在进行"):
        await sittings.move_sitting(other, "open", STAFF)
    await hall.check_in()
    poll_id = await hall.poll()
    with pytest.raises(Conflict, match="还有 1 个票决正在投票"):
        await sittings.move_sitting(hall.sitting_id, "closed", STAFF)
    await sealed.close_poll(poll_id, STAFF)
    await sittings.move_sitting(hall.sitting_id, "closed", STAFF)


async def test_a_poll_opens_only_within_an_open_sitting_with_its_quorum_and_counts_that_sitting(hall):
    await hall.check_in(*hall.deputy_ids[:20])
    await sittings.move_sitting(hall.sitting_id, "closed", STAFF)
    poll_id = await hall.poll(open_=False)
    with pytest.raises(Conflict) as refused:
        await sealed.open_poll(poll_id, STAFF)
    assert "没有正在进行的全体会议" in refused.value.message
    second = await sittings.create_sitting(hall.session_id, date.today(), "14:30", "17:00", STAFF)
    await sittings.move_sitting(second, "open", STAFF)
    await hall.check_in(*hall.deputy_ids[:19])  # the morning's 20 do not count this afternoon
    with pytest.raises(Conflict) as refused:
        await sealed.open_poll(poll_id, STAFF)
    assert refused.value.message == "不足法定人数，不能开始投票：应到 30 人，实到 19 人，需要 20 人。"
    assert (await polls.get_poll(poll_id))["status"] == "draft"
    await hall.check_in(hall.deputy_ids[25])
    await sealed.open_poll(poll_id, STAFF)
    # present this afternoon: may vote; present only this morning: may not
    assert await sealed.cast(poll_id, hall.deputy_ids[25], {"P01": "for"}) is Outcome.accepted
    assert await sealed.cast(poll_id, hall.deputy_ids[19], {"P01": "for"}) is Outcome.not_present
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["returned"] == 1
    poll = await polls.get_poll(poll_id)
    assert poll["present"] == 20 and poll["entitled"] == 30 and poll["sitting"] == second
    opened = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "poll_opened").order_by(
        AuditEntry.id, ascending=False).output(load_json=True).first()
    assert opened["detail"]["present"] == 20 and opened["detail"]["quorum_needed"] == 20


async def test_with_no_poll_open_a_console_check_in_and_a_new_code_take_effect_at_once(hall):
    deputy = hall.deputy_ids[4]
    assert await approvals.console_check_in(hall.session_id, deputy, STAFF) == "checked_in"
    assert await approvals.console_check_in(hall.session_id, deputy, STAFF) == "already"
    did, code = await approvals.console_reissue(hall.session_id, deputy, STAFF, "卡片遗失")
    assert did == "issued" and code is not None
    token, viewer = await accounts.deputy_login(code[0], "test")
    assert token and viewer.id == deputy
    assert await StaffApproval.count().where(StaffApproval.deputy == deputy) == 0
    assert {"check_in", "login_code_reissued"} <= set(await actions(hall.numbers[deputy]))


async def test_while_a_poll_is_open_a_second_different_staff_member_must_approve(hall):
    await hall.check_in(*hall.deputy_ids[:20])
    poll_id = await hall.poll()
    absent, lost_card = hall.deputy_ids[27], hall.deputy_ids[3]
    name = hall.numbers[absent]
    assert await approvals.console_check_in(hall.session_id, absent, CLERK) == "requested"
    assert not await sittings.is_checked_in(hall.session_id, absent)  # not yet
    assert await sealed.cast(poll_id, absent, {"P01": "for"}) is Outcome.not_present
    with pytest.raises(Conflict, match="已在等待批准"):
        await approvals.console_check_in(hall.session_id, absent, OTHER)
    did, code = await approvals.console_reissue(hall.session_id, lost_card, CLERK, "平板登录码遗失")
    assert did == "requested" and code is None
    old_code = hall.codes[lost_card]
    token, _ = await accounts.deputy_login(old_code, "test")  # the old code still works until approved
    assert token

    pending = await approvals.pending(hall.session_id)
    assert [(p["kind"], p["requested_by"]) for p in pending] == [("check_in", CLERK.label), ("login_code", CLERK.label)]
    with pytest.raises(Conflict) as refused:  # the one who asked cannot approve
        await approvals.approve(pending[0]["id"], CLERK)
    assert refused.value.message == "不能批准自己提出的申请，须由另一位工作人员批准。"
    assert not await sittings.is_checked_in(hall.session_id, absent)

    state = await screen.screen_state(hall.session_id)
    assert state["announcements"] == []
    await approvals.approve(pending[0]["id"], OTHER)
    assert await sittings.is_checked_in(hall.session_id, absent)
    approved = await approvals.approve(pending[1]["id"], OTHER)
    new_code = approved["code"][0]
    assert new_code != old_code
    with pytest.raises(Refused):
        await accounts.deputy_login(old_code, "test")
    with pytest.raises(Conflict, match="已经处理过了"):
        await approvals.approve(pending[1]["id"], STAFF)

    state = await screen.screen_state(hall.session_id)
    deputy_names = {r["id"]: r["name"] for r in await sittings.deputies_with_presence(hall.session_id)}
    assert state["announcements"] == [f"代表 {deputy_names[absent]} 由工作人员补签到",
                                      f"代表 {deputy_names[lost_card]} 重置登录码"]
    assert {"staff_request_made", "staff_request_approved", "check_in"} <= set(await actions(name))
    check_in = await AuditEntry.select(AuditEntry.detail).where(
        (AuditEntry.action == "check_in") & AuditEntry.subject.like(f"%{name}%")).output(load_json=True).first()
    assert check_in["detail"]["how"] == f"工作人员补签到（{CLERK.label} 申请，{OTHER.label} 批准）"
    await sealed.close_poll(poll_id, STAFF)
    assert (await screen.screen_state(hall.session_id))["announcements"] == []


async def test_a_withdrawn_request_changes_nothing_and_cannot_be_approved(hall):
    await hall.check_in(*hall.deputy_ids[:20])
    await hall.poll()
    deputy = hall.deputy_ids[28]
    await approvals.console_check_in(hall.session_id, deputy, CLERK)
    request = (await approvals.pending(hall.session_id))[0]
    await approvals.withdraw(request["id"], CLERK, "代表本人已到场，用平板签到")
    with pytest.raises(Conflict):
        await approvals.approve(request["id"], OTHER)
    assert not await sittings.is_checked_in(hall.session_id, deputy)
    assert await approvals.pending(hall.session_id) == []
    assert "staff_request_withdrawn" in await actions(hall.numbers[deputy])


async def test_a_deputy_checking_in_on_the_tablet_needs_no_approval_during_a_vote(hall):
    await hall.check_in(*hall.deputy_ids[:20])
    await hall.poll()
    deputy = hall.deputy_ids[29]
    assert await sittings.check_in(hall.session_id, deputy, Actor("deputy", deputy, "代表"))
    assert await sittings.is_checked_in(hall.session_id, deputy)
    assert await StaffApproval.count().where(StaffApproval.deputy == deputy) == 0
