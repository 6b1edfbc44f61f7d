"""Counting: the console hands out and exchanges paper, the session's counters enter each sheet
twice on their tablets, a scrutineer rules, the console counts, records signatures and
publishes; a tie goes to a further vote with one click."""

import re

import httpx

from tests.hall import STAFF, csrf_of, login_deputy, login_staff
from voting import ballot_box, paper, polls, scrutiny
from voting.paper import Counter
from voting.tables import Deputy, PaperEntry
from tests import sealed


async def tablet_of(hall, deputy: int, port: int) -> httpx.AsyncClient:
    """A deputy's own tablet, logged in with their code."""
    from app import app

    tablet = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.8", port)),
                               base_url="http://hall.local")
    await login_deputy(tablet, hall.codes[deputy])
    return tablet


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
    # the poll page again, the message beside the issue form, the number still typed in it
    form = again.text.split(f'action="/console/polls/{poll_id}/paper/issue"')[1].split("</form>")[0]
    assert "已领取纸质选票" in form and f'value="{number}"' in form and "发放与更换纸质选票" in again.text
    unknown = await client.post(f"{base}/paper/issue", data={"_csrf_token": csrf_of(client), "number": "X-404"})
    assert unknown.status_code == 400 and "没有代表证号“X-404”" in unknown.text
    no_reason = await client.post(f"{base}/paper/exchange", data={"_csrf_token": csrf_of(client),
                                                                  "serial": serials[0], "reason": " "})
    assert no_reason.status_code == 400 and "换票须写明原因" in no_reason.text
    form = no_reason.text.split(f'action="/console/polls/{poll_id}/paper/exchange"')[1].split("</form>")[0]
    assert "换票须写明原因" in form and f'value="{serials[0]}"' in form
    await client.post(f"{base}/paper/exchange", data={"_csrf_token": csrf_of(client), "serial": serials[0],
                                                      "reason": "写错了"})
    for deputy in hall.deputy_ids[1:21]:
        await sealed.cast(poll_id, deputy, {"P02": "for"})
    stopped = await client.post(f"{base}/stop", data={"_csrf_token": csrf_of(client)})
    assert stopped.headers["location"] == f"{base}/paper"

    team = await client.post(f"/console/sessions/{hall.session_id}/scrutiny", data={
        "_csrf_token": csrf_of(client), "chief": hall.numbers[hall.deputy_ids[28]],
        "scrutineers": f"{hall.numbers[hall.deputy_ids[29]]}，{hall.numbers[hall.deputy_ids[27]]}",
        "counters": f"{hall.numbers[hall.deputy_ids[25]]},{hall.numbers[hall.deputy_ids[26]]}"})
    assert team.status_code in (302, 303)
    desk = await client.get(f"{base}/paper")
    assert "纸质选票由计票人在平板上录入" in desk.text and 'name="m_P01"' not in desk.text

    entry = {"serial": serials[1].replace("-", ""), "m_P01": "for", "m_P02": "none", "m_P03": "against"}
    staff_entry = await client.post(f"{base}/paper", data={**entry, "_csrf_token": csrf_of(client)})
    assert staff_entry.status_code == 405  # the secretariat does not enter sheets
    at = f"/tablet/scrutiny/polls/{poll_id}/entry"
    alice, bob = await tablet_of(hall, hall.deputy_ids[25], 50001), await tablet_of(hall, hall.deputy_ids[26], 50002)
    try:
        first = await alice.post(at, data={**entry, "_csrf_token": csrf_of(alice)})
        assert first.status_code == 303
        shown = await alice.get(first.headers["location"])
        assert f'<span class="mono serial">{serials[1]}</span>：已录入。请另一位计票人再录入一次' in shown.text
        same = await alice.post(at, data={**entry, "_csrf_token": csrf_of(alice)})
        assert same.status_code == 409 and "须由另一位计票人" in same.text
        assert re.search(r'value="for" checked', same.text) and serials[1].replace("-", "") in same.text
        voided = await alice.post(at, data={**entry, "serial": serials[0], "_csrf_token": csrf_of(alice)})
        assert voided.status_code == 409 and "已作废（写错了）" in voided.text
        differing = await bob.post(at, data={**entry, "m_P01": "against", "_csrf_token": csrf_of(bob)})
        assert "两次录入不一致，这张选票等待监票人裁定" in (await bob.get(differing.headers["location"])).text
    finally:
        await alice.aclose()
        await bob.aclose()
    assert {e["by_label"] for e in await PaperEntry.select(PaperEntry.by_label).where(PaperEntry.poll == poll_id)} \
        == {f"计票人 {d['name']}" for d in await Deputy.select(Deputy.name).where(
            Deputy.id.is_in(hall.deputy_ids[25:27]))}
    blocked = await client.post(f"{base}/count", data={"_csrf_token": csrf_of(client)})
    assert blocked.status_code == 409 and "两次录入不一致" in blocked.text

    await paper.rule(poll_id, serials[1], {"P01": "for", "P03": "against"}, False,
                     Counter(hall.deputy_ids[28], "总监票人"))
    cards = await sealed.give_key(poll_id)
    counted = await client.post(f"{base}/count", data={"_csrf_token": csrf_of(client), "card_1": cards[0],
                                                      "card_2": cards[1]})
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

    # Signed by the whole team: a serial's content is sealed, and a correction asks for the cards.
    desk = await client.get(f"{base}/paper")
    form = desk.text.split(f'action="{base}/corrections"')[1].split("</form>")[0]
    assert "钥匙卡（须 2 张）" in form and 'name="card_01"' in form and "已加密封存" in form
    fix = {"serial": serials[1], "m_P03": "for", "reason": "复核原票，第3项划的是赞成"}
    refused = await client.post(f"{base}/corrections", data={**fix, "_csrf_token": csrf_of(client),
                                                              "card_01": cards[0]})
    assert refused.status_code == 400 and "需要 2 张钥匙卡，现在只有 1 张" in refused.text
    assert cards[0] not in refused.text and "复核原票，第3项划的是赞成" in refused.text  # a card is never shown back
    assert (await scrutiny.confirmation_state(poll_id))["corrections"] == []
    done = await client.post(f"{base}/corrections", data={**fix, "_csrf_token": csrf_of(client),
                                                           "card_01": cards[2], "card_02": cards[1]})
    assert done.status_code in (302, 303)
    state = await scrutiny.confirmation_state(poll_id)
    assert len(state["corrections"]) == 1 and not state["complete"]
    assert {c["id"]: c["for"] for c in state["corrections"][0]["result"]["candidates"]} == {"P01": 0, "P02": 20, "P03": 1}


async def test_a_tie_goes_to_a_further_vote_with_one_click(hall, client):
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    plan = [{"P01": "for"}] * 14 + [{"P02": "for"}] * 14 + [{}] * 2
    for deputy, marks in zip(hall.deputy_ids, plan):
        await sealed.cast(poll_id, deputy, marks)
    await sealed.close_poll(poll_id, STAFF)  # 14 and 14 of 30 do not pass a bar of 16: no runoff yet
    assert polls.stored_result(await polls.get_poll(poll_id))["runoff"] == []
    tie = await hall.poll(candidates=3, seats=1, threshold_base="none")
    for deputy, marks in zip(hall.deputy_ids, plan):
        await sealed.cast(tie, deputy, marks)
    await sealed.close_poll(tie, STAFF)
    await login_staff(client)
    page = await client.get(f"/console/polls/{tie}")
    assert "开始另行票决" in page.text
    opened = await client.post(f"/console/polls/{tie}/runoff", data={"_csrf_token": csrf_of(client)})
    runoff_path = opened.headers["location"]
    runoff = await client.get(runoff_path)
    assert "（另行票决）" in runoff.text and "这是第 2 轮另行票决" in runoff.text
    runoff_id = int(re.search(r"/console/polls/(\d+)", runoff_path).group(1))
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(runoff_id, deputy, {"P02": "for"})
    await sealed.close_poll(runoff_id, STAFF)
    page = await client.get(f"/console/polls/{tie}")
    assert "各轮合计确定的项目（1 个）" in page.text and "开始另行票决" not in page.text
    assert "候选项目02 <span class=\"muted small\">第 2 轮</span>" in page.text


async def test_the_session_sets_how_many_key_cards_open_its_polls_with_the_team(hall, client):
    from voting import scrutiny, sittings
    from voting.tables import AuditEntry

    await login_staff(client)
    numbers = [hall.numbers[d] for d in hall.deputy_ids[:4]]
    at = f"/console/sessions/{hall.session_id}/scrutiny"

    def form(**more: str) -> dict[str, str]:
        return {"_csrf_token": csrf_of(client), "chief": numbers[0], "scrutineers": f"{numbers[1]},{numbers[2]}",
                "counters": numbers[3], **more}

    saved = await client.post(at, data=form(key_threshold="3"))
    assert saved.status_code in (302, 303)
    assert (await sittings.session_context(hall.session_id))["key_threshold"] == 3
    assert await AuditEntry.exists().where(AuditEntry.action == "key_threshold_set")
    page = await client.get(f"/console/sessions/{hall.session_id}")
    assert "开启电子选票须 <b>3</b> 张钥匙卡" in page.text and 'name="key_threshold"' in page.text

    # More cards than the team holds, or not a number: refused, and neither the team nor k changes.
    too_many = await client.post(at, data=form(scrutineers=numbers[1], key_threshold="3"))
    assert too_many.status_code == 400 and "不能超过 2 张" in too_many.text
    assert len(await scrutiny.members(hall.session_id)) == 4
    assert (await sittings.session_context(hall.session_id))["key_threshold"] == 3
    typed = await client.post(at, data=form(key_threshold="三"))
    assert typed.status_code == 400 and "请填一个整数" in typed.text
    too_few = await client.post(at, data=form(key_threshold="1"))
    assert too_few.status_code == 400 and "至少为 2 张" in too_few.text
    assert (await sittings.session_context(hall.session_id))["key_threshold"] == 3
