"""The scrutineers' pages on the tablet (监票): rulings on disputed paper ballots, confirming the count."""

import re

from tests.hall import STAFF, counting_team, csrf_of, login_deputy, signed_confirmation
from voting import ballot_box, paper, polls, scrutiny, signed_seal
from voting.paper import Counter, Entry
from voting.tables import AuditEntry, PaperEntry
from tests import sealed


async def disputed_poll(hall, method="approval", first=None, second=None, void_second=False):
    """A poll with tablet ballots and one paper ballot whose two entries differ, being counted,
    and the session's team: deputies 0 chief scrutineer, 1 scrutineer, 2 and 3 counters."""
    await hall.check_in()
    if method == "approval":
        poll_id = await hall.poll(candidates=4, seats=2)
        tablet_marks = {"P01": "for", "P02": "for"}
    else:
        poll_id = await hall.poll(candidates=2, method="satisfaction")
        tablet_marks = {"P01": "satisfied", "P02": "dissatisfied"}
    for deputy in hall.deputy_ids[3:22]:
        await sealed.cast(poll_id, deputy, tablet_marks)
    serials = await paper.register_print_run(poll_id, 3, STAFF)
    await paper.issue_paper(poll_id, hall.deputy_ids[25], STAFF)
    await polls.stop_voting(poll_id, STAFF)
    alice, bob = await counting_team(hall, (2, 3))
    assert await paper.enter(poll_id, serials[0], first or {"P01": "for", "P03": "for"}, False, alice) is Entry.first
    assert await paper.enter(poll_id, serials[0], second or {"P01": "for", "P03": "against"}, void_second,
                             bob) is Entry.disputed
    return poll_id, serials[0]


async def log_in_as(client, hall, deputy):
    client.cookies.clear()
    await login_deputy(client, hall.codes[deputy])


async def test_the_chief_scrutineer_sees_both_entries_and_rules(client, hall):
    poll_id, serial = await disputed_poll(hall)
    chief = hall.deputy_ids[0]
    await log_in_as(client, hall, chief)
    home = await client.get("/tablet/")
    assert 'href="/tablet/scrutiny"' in home.text and "监票" in home.text and "1 项待办" in home.text
    assert "总监票人" in home.text

    page = await client.get("/tablet/scrutiny")
    assert page.status_code == 200 and serial in page.text
    assert all(f"计票人 {hall.numbers[hall.deputy_ids[n]]}" in page.text for n in (2, 3))
    row = re.search(r"<tr class=\"differs\"><th scope=\"row\">3\. 候选项目03</th>\s*<td>(.*?)</td><td>(.*?)</td>",
                    page.text)
    assert row and row.groups() == ("赞成", "不赞成")  # the two entries side by side, the difference flagged
    assert re.search(r'<tr class=""><th scope="row">1\. 候选项目01</th>\s*<td>赞成</td><td>赞成</td>', page.text)
    assert 'name="m_P04" value="none"' in page.text and "未划" in page.text
    # the form starts with what both entries agree on; the scrutineer rules where they differ
    ruling_form = page.text.split('class="ruling"')[1]
    assert re.search(r'name="m_P01" value="for"\s+checked', ruling_form)
    assert re.search(r'name="m_P02" value="none"\s+checked', ruling_form)
    assert re.search(r'name="m_P04" value="none"\s+checked', ruling_form)
    assert not re.search(r'name="m_P03" value="\w+"\s+checked', ruling_form)
    assert f'action="/tablet/scrutiny/polls/{poll_id}/rule"' in page.text and 'data-confirm="' in page.text
    assert 'name="_csrf_token"' in page.text and "<script>" not in page.text and "style=" not in page.text

    token = csrf_of(client)
    early = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm", data={"seal": "", "_csrf_token": token})
    assert early.status_code == 409 and '<p class="card notice notice-error" role="alert">计票完成后才能确认。' in early.text
    # Not every candidate decided: refused, what was chosen is kept.
    partial = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data={
        "serial": serial, "m_P01": "for", "m_P02": "none", "reason": "对照原票", "_csrf_token": token})
    assert partial.status_code == 400 and "还有 2 个候选项目没有裁定" in partial.text
    assert re.search(r'name="m_P01" value="for"\s+checked', partial.text)
    assert re.search(r'name="m_P02" value="none"\s+checked', partial.text) and "对照原票" in partial.text
    # A forged form (a candidate not on the ballot): the engine's message, in Chinese, choices kept.
    forged = {"serial": serial, "m_P01": "for", "m_P02": "none", "m_P03": "for", "m_P04": "none", "m_P09": "for",
              "_csrf_token": token}
    refused = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data=forged)
    assert refused.status_code == 400 and "不存在的候选项目「P09」" in refused.text
    assert re.search(r'name="m_P03" value="for"\s+checked', refused.text)
    assert (await paper.paper_state(poll_id))["disputed"]

    ruling = {"serial": serial, "m_P01": "for", "m_P02": "none", "m_P03": "for", "m_P04": "abstain",
              "reason": "原票第3项划“赞成”", "_csrf_token": token}
    done = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data=ruling)
    assert done.status_code == 303 and done.headers["location"].startswith("/tablet/scrutiny?ruled=")
    state = await paper.paper_state(poll_id)
    assert state["counted"] == 1 and not state["disputed"]
    entry = await PaperEntry.select().where((PaperEntry.poll == poll_id) & (PaperEntry.kind == "ruling")).first()
    assert entry["by_key"] == f"deputy:{chief}" and entry["by_label"].startswith("总监票人 ")
    assert await AuditEntry.exists().where((AuditEntry.action == "paper_ballot_ruled")
                                           & (AuditEntry.reason == "原票第3项划“赞成”"))
    after = await client.get(done.headers["location"])
    assert f"选票 <span class=\"mono\">{serial}</span> 已按您的裁定计入" in after.text
    assert "暂无需要裁定的选票" in after.text

    again = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data=ruling)  # a second tap, or too late
    assert again.status_code == 409 and "没有等待裁定的录入" in again.text

    result = await sealed.close_poll(poll_id, STAFF)
    counts = {c["id"]: (c["for"], c["abstain"]) for c in result["candidates"]}
    assert counts == {"P01": (20, 0), "P02": (19, 0), "P03": (1, 0), "P04": (0, 1)}


async def test_a_void_entry_shows_and_a_ballot_can_be_ruled_void(client, hall):
    poll_id, serial = await disputed_poll(hall, method="satisfaction", first={"P01": "satisfied"}, second={},
                                          void_second=True)
    await log_in_as(client, hall, hall.deputy_ids[1])
    page = await client.get("/tablet/scrutiny")
    assert re.search(r"整张选票</th><td class=\"entry-valid\">有效</td><td class=\"entry-void\">作废</td>", page.text)
    for label in ("满意", "基本满意", "不满意", "弃权", "未划"):
        assert f"<span>{label}</span>" in page.text
    assert "choices-5" in page.text
    done = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data={
        "serial": serial, "void": "1", "reason": "两项都划了又涂改，无法辨认", "_csrf_token": csrf_of(client)})
    assert done.status_code == 303
    assert (await paper.paper_state(poll_id))["counted"] == 1
    result = await sealed.close_poll(poll_id, STAFF)
    assert (result["returned"], result["invalid"]) == (20, 1)


async def test_only_the_scrutiny_team_gets_in_and_counters_only_enter(client, hall):
    poll_id, serial = await disputed_poll(hall)
    outsider = hall.deputy_ids[5]
    await log_in_as(client, hall, outsider)
    home = await client.get("/tablet/")
    assert "/tablet/scrutiny" not in home.text
    page = await client.get("/tablet/scrutiny")
    assert page.status_code == 403 and "您不是本次会议的监票人" in page.text and serial not in page.text
    forged = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data={
        "serial": serial, "void": "1", "_csrf_token": csrf_of(client)})
    assert forged.status_code == 403 and "您不是本次会议的监票人" in forged.text
    assert (await paper.paper_state(poll_id))["disputed"]

    counter = hall.deputy_ids[2]
    await log_in_as(client, hall, counter)
    home = await client.get("/tablet/")
    assert 'href="/tablet/scrutiny"' in home.text and "计票人" in home.text
    page = await client.get("/tablet/scrutiny")
    assert page.status_code == 200 and serial not in page.text
    assert f'href="/tablet/scrutiny/polls/{poll_id}/entry"' in page.text and "录入纸质选票" in page.text
    forged = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data={
        "serial": serial, "void": "1", "_csrf_token": csrf_of(client)})
    assert forged.status_code == 403 and (await paper.paper_state(poll_id))["disputed"]

    # Without the form's CSRF token nothing is ruled.
    await log_in_as(client, hall, hall.deputy_ids[0])
    stale = await client.post(f"/tablet/scrutiny/polls/{poll_id}/rule", data={"serial": serial, "void": "1"})
    assert stale.status_code == 403 and "页面已过期" in stale.text
    assert (await paper.paper_state(poll_id))["disputed"]


async def test_a_scrutineer_confirms_the_count_from_the_tablet_once(client, hall):
    poll_id, serial = await disputed_poll(hall)
    await paper.rule(poll_id, serial, {"P01": "for", "P03": "for"}, False, Counter(hall.deputy_ids[0], "总监票人"))
    await sealed.close_poll(poll_id, STAFF)
    chief, scrutineer = hall.deputy_ids[0], hall.deputy_ids[1]
    await scrutiny.confirm(poll_id, chief, "paper", STAFF)

    await log_in_as(client, hall, scrutineer)
    assert "1 项待办" in (await client.get("/tablet/")).text
    page = await client.get("/tablet/scrutiny")
    assert page.status_code == 200 and "确认计票结果" in page.text
    for figure in ("应到", "实到", "发出", "收回", "有效票", "无效票"):
        assert figure in page.text
    assert re.search(r"候选项目01</th>\s*<td class=\"num\">20</td>", page.text)  # 19 tablets + the ruled sheet
    assert "确定的项目（" in page.text
    chief_name = (await scrutiny.members(hall.session_id))[0]["name"]
    assert re.search(rf"总监票人 {chief_name}</span>\s*<span class=\"state state-ok\">✓ 已确认（纸质签字，", page.text)
    assert "尚未确认" in page.text
    seal = re.search(r'name="seal" value="([0-9a-f]{64})"', page.text).group(1)

    token = csrf_of(client)
    wrong_seal = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm", data={"seal": "0" * 64,
                                                                                      "_csrf_token": token})
    assert wrong_seal.status_code == 409 and "计票结果刚刚更正过" in wrong_seal.text
    unsigned = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm", data={"seal": seal, "_csrf_token": token})
    assert unsigned.status_code == 400 and "平板没有送来签名" in unsigned.text
    forged = {**signed_confirmation(page, scrutineer), "signature": signed_confirmation(page, chief)["signature"]}
    wrong_key = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm",
                                  data={"seal": seal, "_csrf_token": token, **forged})
    assert wrong_key.status_code == 400 and "签名与确认内容不符" in wrong_key.text
    as_chief = signed_confirmation(page, scrutineer)
    as_chief = sealed.signed_form(as_chief["statement"].replace(
        re.search(r"signer: (.*)", as_chief["statement"]).group(1), f"总监票人 {chief_name}"), scrutineer)
    impostor = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm",
                                 data={"seal": seal, "_csrf_token": token, **as_chief})
    assert impostor.status_code == 400 and "不是您本人" in impostor.text
    assert not (await scrutiny.confirmation_state(poll_id))["complete"]
    done = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm",
                             data={"seal": seal, "_csrf_token": token, **signed_confirmation(page, scrutineer)})
    assert done.status_code == 303 and done.headers["location"] == f"/tablet/scrutiny#poll-{poll_id}"
    state = await scrutiny.confirmation_state(poll_id)
    mine = next(m for m in state["team"] if m["deputy"] == scrutineer)
    assert mine["confirmation"]["how"] == "tablet" and state["complete"]
    assert await AuditEntry.exists().where((AuditEntry.action == "count_confirmed")
                                           & AuditEntry.actor.like(f"%{hall.numbers[scrutineer]}%"))

    after = await client.get("/tablet/scrutiny")
    assert "您已确认" in after.text and "确认时间：" in after.text and "（平板）" in after.text
    fingerprint = signed_seal.key_fingerprint(signed_confirmation(page, scrutineer)["public_key"])
    assert f"您的签名钥匙指纹：<span class=\"mono\">{fingerprint}</span>" in after.text
    assert 'action="/tablet/scrutiny/polls/' not in after.text and "尚未确认" not in after.text
    assert "项待办" not in (await client.get("/tablet/")).text

    twice = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm",
                              data={"seal": seal, "_csrf_token": token, **signed_confirmation(page, scrutineer)})
    assert twice.status_code == 409 and "您已确认过这次计票结果" in twice.text
    assert sum(1 for m in (await scrutiny.confirmation_state(poll_id))["team"] if m["confirmation"]) == 2


async def test_a_corrected_count_shows_and_is_confirmed_again(client, hall):
    poll_id, serial = await disputed_poll(hall)
    await paper.rule(poll_id, serial, {"P01": "for"}, False, Counter(hall.deputy_ids[0], "总监票人"))
    await sealed.close_poll(poll_id, STAFF)
    scrutineer = hall.deputy_ids[1]
    await sealed.confirm_on_tablet(poll_id, scrutineer, STAFF)
    await scrutiny.correct_paper_ballot(poll_id, serial, {"P01": "for", "P03": "for"}, False,
                                        "复核原票，第3项划了“赞成”", STAFF)
    await log_in_as(client, hall, scrutineer)
    page = await client.get("/tablet/scrutiny")
    assert "复核原票，第3项划了“赞成”" in page.text and "须重新确认" in page.text
    assert re.search(r"候选项目03</th>\s*<td class=\"num\">1</td>", page.text)  # the corrected count
    assert "确认计票结果" in page.text and "您已确认" not in page.text
    seal = re.search(r'name="seal" value="([0-9a-f]{64})"', page.text).group(1)
    done = await client.post(f"/tablet/scrutiny/polls/{poll_id}/confirm",
                             data={"seal": seal, "_csrf_token": csrf_of(client), **signed_confirmation(page, scrutineer)})
    assert done.status_code == 303 and "您已确认" in (await client.get("/tablet/scrutiny")).text


async def test_nothing_to_do_and_another_sessions_poll(client, hall):
    from tests.hall import make_hall

    await scrutiny.set_members(hall.session_id, hall.deputy_ids[0], [hall.deputy_ids[1]], [], STAFF)
    await log_in_as(client, hall, hall.deputy_ids[0])
    page = await client.get("/tablet/scrutiny")
    assert page.status_code == 200 and "目前没有需要您处理的事项" in page.text
    other = await make_hall(deputies=3)
    foreign = await other.poll(candidates=2, seats=1)
    response = await client.post(f"/tablet/scrutiny/polls/{foreign}/confirm", data={"_csrf_token": csrf_of(client)})
    assert response.status_code == 400 and "不属于您所在的会议" in response.text
    response = await client.get("/tablet/scrutiny?ruled=<b>假消息</b>")
    assert "假消息" not in response.text
