"""Published results on the deputy's tablet, and the console's notice button after a runoff."""

import re

from tests.hall import STAFF, csrf_of, login_deputy, login_staff, make_hall, scrutinize
from tests.voting.test_notices import tied_first_round
from voting import ballot_box, polls, scrutiny
from voting.tables import Notice
from tests import sealed


async def ranked_poll(hall) -> int:
    """5 candidates for 2 seats, counted: 候选项目03 has 25 approvals, 候选项目01 17, 候选项目02 10."""
    await hall.check_in()
    poll_id = await hall.poll(candidates=5, seats=2)
    plan = [{"P03": "for", "P01": "for"}] * 12 + [{"P03": "for", "P02": "for"}] * 10 + [{"P03": "for"}] * 3 \
        + [{"P01": "for"}] * 5
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(poll_id, STAFF)
    return poll_id


def plain(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


async def test_a_deputy_sees_a_result_only_once_it_is_published(client, hall):
    poll_id = await ranked_poll(hall)
    deputy = hall.deputy_ids[10]
    await login_deputy(client, hall.codes[deputy])
    link = f'href="/tablet/results/{poll_id}"'
    for step in ("counted", "one confirmation"):
        if step == "one confirmation":
            await scrutiny.set_members(hall.session_id, hall.deputy_ids[0], [hall.deputy_ids[1]], [], STAFF)
            await scrutiny.confirm(poll_id, hall.deputy_ids[0], "paper", STAFF)
        home, status = await client.get("/tablet"), await client.get("/tablet/status")
        assert link not in home.text and link not in status.text and "查看结果" not in status.text, step
        page = await client.get(f"/tablet/results/{poll_id}")
        assert page.status_code == 404 and "结果尚未公布" in page.text, step
        assert "候选项目03" not in page.text and "赞成 25" not in page.text, step
    await scrutiny.confirm(poll_id, hall.deputy_ids[1], "paper", STAFF)
    await scrutiny.publish(poll_id, STAFF)
    status = await client.get("/tablet/status")
    assert link in status.text and "查看结果" in status.text
    page = await client.get(f"/tablet/results/{poll_id}")
    assert page.status_code == 200
    text = plain(page.text)
    assert "确定的民生实事项目（2个）" in text
    chosen = plain(page.text.split('class="chosen-list">')[1].split("</ol>")[0])
    assert chosen == "候选项目03赞成25票候选项目01赞成17票"  # rank order, each with its approvals
    bars = re.findall(r'<svg[^>]*class="result-bar"[^>]*aria-label="赞成 (\d+) 票"', page.text)
    assert bars == ["25", "17", "10", "0", "0"]  # one bar per candidate, by rank
    assert "style=" not in page.text and "<script>" not in page.text


async def test_after_a_runoff_the_tablet_shows_the_final_decision(client, hall):
    first = await tied_first_round(hall)
    await scrutinize(hall, first)
    await login_deputy(client, hall.codes[hall.deputy_ids[20]])
    page = await client.get(f"/tablet/results/{first}")
    text = plain(page.text)
    assert "确定的民生实事项目（1个）" in text and "候选项目01赞成20票" in text
    assert "候选项目02、候选项目03赞成票相等，须另行票决" in text
    runoff = await polls.open_runoff(first, STAFF)
    for deputy in hall.deputy_ids[:18]:
        await sealed.cast(runoff, deputy, {"P02": "for"})  # 候选项目03
    await sealed.close_poll(runoff, STAFF)
    counted = plain((await client.get(f"/tablet/results/{first}")).text)
    assert "另行票决的结果公布后在此显示" in counted and "赞成18票" not in counted  # counted, not yet published
    assert (await client.get(f"/tablet/results/{runoff}")).status_code == 404
    await scrutinize(hall, runoff)
    for poll_id in (first, runoff):
        final = await client.get(f"/tablet/results/{poll_id}")
        chosen = plain(final.text.split('class="chosen-list">')[1].split("</ol>")[0])
        assert chosen == "候选项目01赞成20票（第1轮）候选项目03赞成18票（第2轮）"
        assert "须另行票决" not in plain(final.text) and "第二轮另行票决" in final.text


async def test_a_deputy_of_another_congress_sees_nothing(client, hall):
    poll_id = await ranked_poll(hall)
    await scrutinize(hall, poll_id)
    other = await make_hall(deputies=3)
    await login_deputy(client, other.codes[other.deputy_ids[0]])
    page = await client.get(f"/tablet/results/{poll_id}")
    assert page.status_code == 404 and "候选项目03" not in page.text
    client.cookies.clear()
    assert (await client.get(f"/tablet/results/{poll_id}")).status_code in (302, 303)  # log in first


async def test_console_offers_the_notice_only_for_the_final_decision(client, hall):
    first = await tied_first_round(hall)
    await scrutinize(hall, first)
    await login_staff(client)
    page = await client.get(f"/console/polls/{first}")
    assert f'action="/console/polls/{first}/notices"' not in page.text
    assert "候选项目02、候选项目03赞成票相等，须另行票决。主席团公告只对最终结果发布" in page.text
    refused = await client.post(f"/console/polls/{first}/notices", data={"_csrf_token": csrf_of(client)})
    assert refused.status_code == 409 and "须另行票决" in refused.text
    runoff = await polls.open_runoff(first, STAFF)
    for deputy in hall.deputy_ids[:18]:
        await sealed.cast(runoff, deputy, {"P02": "for"})
    await sealed.close_poll(runoff, STAFF)
    await scrutinize(hall, runoff)
    runoff_ref = (await polls.get_poll(runoff))["ref"]
    page = await client.get(f"/console/polls/{first}")
    assert f'action="/console/polls/{first}/notices"' not in page.text and f"已另行票决（{runoff_ref}" in page.text
    page = await client.get(f"/console/polls/{runoff}")
    assert f'action="/console/polls/{runoff}/notices"' in page.text and "发布本次票决最终结果的主席团公告" in page.text
    issued = await client.post(f"/console/polls/{runoff}/notices", data={"_csrf_token": csrf_of(client)})
    assert issued.status_code in (302, 303)
    page = await client.get(f"/console/polls/{runoff}")
    assert f'action="/console/polls/{runoff}/notices"' not in page.text
    assert "已经发布过公告（主席团公告（第1号））" in page.text and "主席团公告（第1号）（PDF）" in page.text
    again = await client.post(f"/console/polls/{runoff}/notices", data={"_csrf_token": csrf_of(client)})
    assert again.status_code == 409
    assert await Notice.count().where(Notice.session == hall.session_id) == 1
