"""The hall's console pages: sittings, quorum at the open button, approvals, the deputies list."""

import re

from tests import sealed
from tests.hall import STAFF, csrf_of, login_staff
from voting import approvals, sittings
from voting.tables import CheckIn, Poll, Sitting, StaffApproval


async def test_a_sitting_outside_the_session_is_refused_beside_its_form_and_the_typed_kept(client, hall):
    from datetime import date

    session_id = await sittings.create_session(hall.term_id, 5, date(2027, 3, 1), date(2027, 3, 3), STAFF)
    await login_staff(client)
    await client.get(f"/console/sessions/{session_id}")
    response = await client.post(f"/console/sessions/{session_id}/sittings", data={
        "_csrf_token": csrf_of(client), "held_on": "2027-03-09", "starts_at": "09:00", "ends_at": "11:30"})
    assert response.status_code == 400
    form_at = response.text.index(f'action="/console/sessions/{session_id}/sittings"')
    message_at = response.text.index("不在本次会议的会期")
    assert 0 < form_at - message_at < 400  # the message stands just above the form
    assert 'value="2027-03-09"' in response.text and 'value="11:30"' in response.text
    assert await Sitting.count().where(Sitting.session == session_id) == 0
    response = await client.post(f"/console/sessions/{session_id}/sittings", data={
        "_csrf_token": csrf_of(client), "held_on": "2027-03-01", "starts_at": "09:00", "ends_at": "11:30"})
    assert response.status_code in (302, 303)
    sitting = await Sitting.select().where(Sitting.session == session_id).first()
    response = await client.post(f"/console/sittings/{sitting['id']}/open", data={"_csrf_token": csrf_of(client),
                                                                                  "reason": "主持人宣布开会"})
    assert response.status_code in (302, 303)
    page = (await client.get(f"/console/sessions/{session_id}")).text
    assert "第一次全体会议" in page and "进行中" in page and "结束全体会议" in page


async def test_opening_without_quorum_keeps_the_poll_page_with_the_figures_beside_the_button(client, hall):
    await hall.check_in(*hall.deputy_ids[:12])
    poll_id = await hall.poll(open_=False)
    await sealed.give_key(poll_id)
    await login_staff(client)
    page = (await client.get(f"/console/polls/{poll_id}")).text
    confirm = re.search(r'action="/console/polls/\d+/open"[^>]*data-confirm="([^"]*)"', page)[1]
    assert "应到 30 人，实到 12 人，需要 20 人，不足法定人数" in confirm
    response = await client.post(f"/console/polls/{poll_id}/open", data={"_csrf_token": csrf_of(client)})
    assert response.status_code == 409
    assert 'id="open-error"' in response.text
    assert "不足法定人数，不能开始投票：应到 30 人，实到 12 人，需要 20 人。" in response.text
    assert response.text.index("开始投票</button>") < response.text.index('id="open-error"')
    assert (await Poll.select(Poll.status).where(Poll.id == poll_id).first())["status"] == "draft"


async def test_search_with_all_delegations_and_the_changed_row_after_a_check_in(client, hall):
    await login_staff(client)
    number = hall.numbers[hall.deputy_ids[6]]
    response = await client.get(f"/console/sessions/{hall.session_id}/deputies", params={"delegation": "", "q": number})
    assert response.status_code == 200 and number in response.text and "没有找到代表" not in response.text
    assert response.text.count('<tr id="d') == 1
    response = await client.post(f"/console/sessions/{hall.session_id}/deputies/{hall.deputy_ids[6]}/check-in",
                                 data={"_csrf_token": csrf_of(client)})
    assert response.status_code in (302, 303)
    assert f"changed={hall.deputy_ids[6]}" in response.headers["location"]
    page = (await client.get(response.headers["location"])).text
    assert f'<tr id="d{hall.deputy_ids[6]}" class="row-changed"' in page and "已代为签到" in page


async def test_a_refused_check_in_keeps_the_page_with_the_message_beside_the_row(client, hall):
    await sittings.move_sitting(hall.sitting_id, "closed", STAFF)
    await login_staff(client)
    deputy = hall.deputy_ids[2]
    response = await client.post(f"/console/sessions/{hall.session_id}/deputies/{deputy}/check-in",
                                 data={"_csrf_token": csrf_of(client)})
    assert response.status_code == 409
    row_at = response.text.index(f'<tr id="d{deputy}"')
    message_at = response.text.index("没有正在进行的全体会议，不能签到。请等")
    next_row = response.text.find('<tr id="d', row_at + 10)
    assert row_at < message_at < next_row  # right under that deputy's row
    assert await CheckIn.count().where(CheckIn.deputy == deputy) == 0


async def test_during_a_vote_a_second_staff_member_approves_on_the_deputies_page(client, hall):
    from httpx import AsyncClient

    await hall.check_in(*hall.deputy_ids[:20])
    await hall.poll()
    absent = hall.deputy_ids[25]
    await login_staff(client, "clerk1", "correct-horse-9")
    deputies = f"/console/sessions/{hall.session_id}/deputies"
    page = (await client.get(deputies)).text
    assert "申请补签到" in page and "须由另一位工作人员批准" in page
    response = await client.post(f"{deputies}/{absent}/check-in", data={"_csrf_token": csrf_of(client)})
    assert "did=requested" in response.headers["location"]
    page = (await client.get(response.headers["location"])).text
    assert "等待另一位工作人员批准" in page and "/approve" not in page  # no approve button for the one who asked
    request_id = (await approvals.pending(hall.session_id))[0]["id"]
    response = await client.post(f"/console/approvals/{request_id}/approve", data={"_csrf_token": csrf_of(client)})
    assert response.status_code == 409 and "不能批准自己提出的申请" in response.text
    assert not await sittings.is_checked_in(hall.session_id, absent)

    async with AsyncClient(transport=client._transport, base_url=str(client.base_url)) as second:
        await login_staff(second, "clerk2", "correct-horse-9")
        page = (await second.get(deputies)).text
        assert f"/console/approvals/{request_id}/approve" in page
        response = await second.post(f"/console/approvals/{request_id}/approve", data={"_csrf_token": csrf_of(second)})
        assert response.status_code in (302, 303) and "did=approved" in response.headers["location"]
        assert await sittings.is_checked_in(hall.session_id, absent)
        # a new code during the vote: asked by the second, approved by the first, shown to the approver
        response = await second.post(f"{deputies}/{hall.deputy_ids[1]}/login-code",
                                     data={"_csrf_token": csrf_of(second), "reason": "登录码遗失"})
        assert "did=requested" in response.headers["location"]
    request_id = (await approvals.pending(hall.session_id))[0]["id"]
    response = await client.post(f"/console/approvals/{request_id}/approve", data={"_csrf_token": csrf_of(client)})
    assert response.status_code == 200 and "登录码" in response.text
    code = re.search(r"\b(\d{4}[ -]?\d{4})\b", response.text)
    assert code and await StaffApproval.count().where(
        (StaffApproval.session == hall.session_id) & (StaffApproval.status == "approved")) == 2
    state = (await client.get(f"/screen/sessions/{hall.session_id}/state")).json()
    assert len(state["announcements"]) == 2 and "由工作人员补签到" in state["announcements"][0]
    assert "重置登录码" in state["announcements"][1]
