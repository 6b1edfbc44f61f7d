"""The console's counting desk: paper handed out and exchanged, entered twice, ruled, counted,
confirmed, published; a tie goes to a further vote with one click."""

import re

import httpx

from tests.hall import STAFF, csrf_of, login_staff
from voting import ballot_box, paper, polls
from voting.paper import Counter


async def second_counter(app_client) -> httpx.AsyncClient:
    from app import app

    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.8", 50001)),
                              base_url="http://hall.local")
    await login_staff(other, "counter2", "second-counter-9")
    return other


async def test_paper_ballots_from_issue_to_published_result(hall, client):
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    serials = await paper.register_print_run(poll_id, 5, STAFF)
    await login_staff(client)
    base = f"/console/polls/{poll_id}"
    number = hall.numbers[hall.deputy_ids[0]]
    issued = await client.post(f"{base}/paper/issue", data={"_csrf_token": csrf_of(client), "number": number})
    assert issued.status_code in (302, 303)
    page = await client.get(issued.headers["location"])
    assert f"已向代表证号 {number} 的代表发放纸质选票" in page.text and "结束投票，录入纸质选票" in page.text
    again = await client.post(f"{base}/paper/issue", data={"_csrf_token": csrf_of(client), "number": number})
    assert again.status_code == 409 and "已领取纸质选票" in again.text
    unknown = await client.post(f"{base}/paper/issue", data={"_csrf_token": csrf_of(client), "number": "X-404"})
    assert unknown.status_code == 400 and "没有代表证号“X-404”" in unknown.text
    no_reason = await client.post(f"{base}/paper/exchange", data={"_csrf_token": csrf_of(client),
                                                                  "serial": serials[0], "reason": " "})
    assert no_reason.status_code == 400 and "换票须写明原因" in no_reason.text
    await client.post(f"{base}/paper/exchange", data={"_csrf_token": csrf_of(client), "serial": serials[0],
                                                      "reason": "写错了"})
    for deputy in hall.deputy_ids[1:21]:
        await ballot_box.cast(poll_id, deputy, {"P02": "for"})
    stopped = await client.post(f"{base}/stop", data={"_csrf_token": csrf_of(client)})
    assert stopped.headers["location"] == f"{base}/paper"

    entry = {"_csrf_token": csrf_of(client), "serial": serials[1], "m_P01": "for", "m_P02": "", "m_P03": "against"}
    first = await client.post(f"{base}/paper", data=entry)
    assert "请另一位计票人再录入一次" in first.text
    same = await client.post(f"{base}/paper", data={**entry, "_csrf_token": csrf_of(client)})
    assert same.status_code == 409 and "须由另一位计票人" in same.text and 'value="for" checked' in same.text
    voided = await client.post(f"{base}/paper", data={**entry, "serial": serials[0], "_csrf_token": csrf_of(client)})
    assert voided.status_code == 409 and "已作废（写错了）" in voided.text
    other = await second_counter(client)
    try:
        differing = await other.post(f"{base}/paper", data={**entry, "m_P01": "against",
                                                           "_csrf_token": csrf_of(other)})
        assert "两次录入不一致，这张选票等待监票人裁定" in differing.text
    finally:
        await other.aclose()
    blocked = await client.post(f"{base}/count", data={"_csrf_token": csrf_of(client)})
    assert blocked.status_code == 409 and "两次录入不一致" in blocked.text

    team = await client.post(f"/console/sessions/{hall.session_id}/scrutiny", data={
        "_csrf_token": csrf_of(client), "chief": hall.numbers[hall.deputy_ids[28]],
        "scrutineers": f"{hall.numbers[hall.deputy_ids[29]]}，{hall.numbers[hall.deputy_ids[27]]}", "counters": ""})
    assert team.status_code in (302, 303)
    await paper.rule(poll_id, serials[1], {"P01": "for", "P03": "against"}, False, hall.deputy_ids[28],
                     Counter("deputy:chief", "总监票人"))
    counted = await client.post(f"{base}/count", data={"_csrf_token": csrf_of(client)})
    assert counted.status_code in (302, 303)
    result = polls.stored_result(await polls.get_poll(poll_id))
    assert result["returned"] == 21 and {c["id"]: c["for"] for c in result["candidates"]} == {
        "P01": 1, "P02": 20, "P03": 0}

    page = await client.get(base)
    assert "总监票人和全体监票人确认后才能公布结果" in page.text and "发布主席团公告" not in page.text
    for deputy in hall.deputy_ids[27:30]:
        await client.post(f"{base}/confirmations", data={"_csrf_token": csrf_of(client), "deputy": str(deputy)})
    page = await client.get(base)
    assert page.text.count("纸质签字，") == 3 and "公布结果" in page.text
    published = await client.post(f"{base}/publish", data={"_csrf_token": csrf_of(client)})
    assert published.status_code in (302, 303)
    page = await client.get(base)
    assert "结果已于" in page.text and "发布主席团公告" in page.text


async def test_a_tie_goes_to_a_further_vote_with_one_click(hall, client):
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    plan = [{"P01": "for"}] * 14 + [{"P02": "for"}] * 14 + [{}] * 2
    for deputy, marks in zip(hall.deputy_ids, plan):
        await ballot_box.cast(poll_id, deputy, marks)
    await polls.close_poll(poll_id, STAFF)  # 14 and 14 of 30 do not pass a bar of 16: no runoff yet
    assert polls.stored_result(await polls.get_poll(poll_id))["runoff"] == []
    tie = await hall.poll(candidates=3, seats=1, threshold_base="none")
    for deputy, marks in zip(hall.deputy_ids, plan):
        await ballot_box.cast(tie, deputy, marks)
    await polls.close_poll(tie, STAFF)
    await login_staff(client)
    page = await client.get(f"/console/polls/{tie}")
    assert "开始另行票决" in page.text
    opened = await client.post(f"/console/polls/{tie}/runoff", data={"_csrf_token": csrf_of(client)})
    runoff_path = opened.headers["location"]
    runoff = await client.get(runoff_path)
    assert "（另行票决）" in runoff.text and "这是第 2 轮另行票决" in runoff.text
    runoff_id = int(re.search(r"/console/polls/(\d+)", runoff_path).group(1))
    for deputy in hall.deputy_ids[:20]:
        await ballot_box.cast(runoff_id, deputy, {"P02": "for"})
    await polls.close_poll(runoff_id, STAFF)
    page = await client.get(f"/console/polls/{tie}")
    assert "各轮合计确定的项目（1 个）" in page.text and "开始另行票决" not in page.text
    assert "候选项目02 <span class=\"muted small\">第 2 轮</span>" in page.text
