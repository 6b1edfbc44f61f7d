"""Paper ballots reconciled and never stuffed: returned ≤ issued per medium, every printed
serial accounted for, a spoiled sheet counted as invalid, the count waiting for every issued
sheet, and nothing in the database that pairs a deputy handed paper with a serial."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hall import STAFF, counting_team, csrf_of, login_deputy, login_staff
from voting import ballot_box, paper, polls, rules, scrutiny
from voting.database import fetch, is_sqlite
from voting.errors import Conflict, Refused
from voting.paper import Counter, Entry
from voting.serials import make_serial, parse_serial
from voting.tables import AuditEntry, PaperEntry, PaperSerial
from tests import sealed

# --- the pure rule --------------------------------------------------------------------------


@st.composite
def hall_figures(draw):
    printed = draw(st.integers(0, 60))
    voided = draw(st.integers(0, printed))
    unused = draw(st.integers(0, printed - voided))
    rest = printed - voided - unused
    counted = draw(st.integers(0, rest))
    entering = draw(st.integers(0, rest - counted))
    issued = draw(st.integers(0, 60))
    not_returned = draw(st.integers(0, max(0, issued - counted - entering)))
    tablet_issued = draw(st.integers(0, 300))
    return rules.PaperReconciliation(
        tablet_issued=tablet_issued, tablet_returned=draw(st.integers(0, tablet_issued)), paper_issued=issued,
        paper_returned=counted, entering=entering, not_returned=not_returned, printed=printed, voided=voided,
        unused=unused)


@given(hall_figures())
def test_every_printed_serial_is_counted_voided_handed_back_or_missing(figures):
    shown = figures.to_dict()
    serials = shown["serials"]
    assert serials["printed"] == serials["counted"] + serials["voided"] + serials["unused"] + serials["missing"]
    assert 0 <= serials["unexplained"] <= serials["missing"]
    paper_figures = shown["media"]["paper"]
    assert paper_figures["issued"] == (paper_figures["returned"] + figures.entering + paper_figures["not_returned"]
                                       + paper_figures["outstanding"]) or figures.paper_returned + figures.entering \
        + figures.not_returned > figures.paper_issued
    assert shown["issued"] == figures.tablet_issued + figures.paper_issued
    # the count may go ahead exactly when every issued sheet is settled and none too many came back
    may_count = (figures.entering == 0 and paper_figures["outstanding"] == 0
                 and figures.paper_returned <= figures.paper_issued)
    assert (shown["problems"] == []) == may_count
    assert shown["balanced"] == (may_count and serials["unexplained"] == 0)


def test_the_reconciliation_of_a_hall_by_hand():
    figures = rules.PaperReconciliation(tablet_issued=300, tablet_returned=298, paper_issued=12, paper_returned=10,
                                        entering=0, not_returned=1, printed=40, voided=2, unused=26)
    shown = figures.to_dict()
    assert shown["media"] == {"tablet": {"issued": 300, "returned": 298},
                              "paper": {"issued": 12, "returned": 10, "not_returned": 1, "outstanding": 1}}
    assert shown["serials"] == {"printed": 40, "counted": 10, "voided": 2, "unused": 26, "missing": 2,
                                "entering": 0, "not_returned": 1, "unexplained": 1}
    assert shown["problems"] == ["还有 1 张发出的纸质选票既没有录入，也没有登记为未交回（发出 12 张，已计入 10 张，登记未交回 1 张）"]
    assert not shown["balanced"]


# --- the use cases, on the engine under test ------------------------------------------------


async def counting_poll(hall, sheets=6, on_paper=3, seats=1, during_the_vote=None):
    """A poll with `sheets` printed (number order, for the test's bookkeeping), `on_paper`
    deputies handed paper, 10 tablet ballots, stopped for the count, and two counters."""
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=seats)
    serials = sorted(await paper.register_print_run(poll_id, sheets, STAFF))
    for deputy in hall.deputy_ids[20:20 + on_paper]:
        await paper.issue_paper(poll_id, deputy, STAFF)
    for deputy in hall.deputy_ids[5:15]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    if during_the_vote:
        await during_the_vote(poll_id, serials)
    await polls.stop_voting(poll_id, STAFF)
    alice, bob = await counting_team(hall, (2, 3))
    return poll_id, serials, alice, bob


async def twice(poll_id, serial, marks, alice, bob, void=False):
    assert await paper.enter(poll_id, serial, marks, void, alice) is Entry.first
    return await paper.enter(poll_id, serial, marks, void, bob)


async def test_stuffed_sheets_are_refused_each_with_its_reason(hall):
    async def exchange_and_hand_back(poll_id, serials):
        await paper.void_serial(poll_id, serials[7], "代表填写错误，申请更换", STAFF)
        assert await paper.return_unused(poll_id, f"{serials[6]}\n{serials[5].replace('-', '')}", STAFF) == \
            sorted([serials[5], serials[6]])

    poll_id, serials, alice, bob = await counting_poll(hall, sheets=8, on_paper=3,
                                                       during_the_vote=exchange_and_hand_back)
    for serial, words in ((make_serial(poll_id, 99), "没有印制过"), (serials[7], "已作废"),
                          (serials[6], "已作为空白选票交回"), (serials[5], "已作为空白选票交回")):
        with pytest.raises(Refused, match=words):
            await paper.enter(poll_id, serial, {"P01": "for"}, False, alice)
    assert await twice(poll_id, serials[0], {"P01": "for"}, alice, bob) is Entry.counted
    with pytest.raises(Conflict, match="已经录入计票，不能重复录入"):
        await paper.enter(poll_id, serials[0], {"P01": "for"}, False, alice)
    await twice(poll_id, serials[1], {"P02": "for"}, alice, bob)
    await paper.enter(poll_id, serials[2], {}, False, alice)  # the third issued sheet, entered once so far
    with pytest.raises(Conflict, match="多出来了：纸质选票发出 3 张，已录入 3 张"):  # a fourth sheet: stuffed
        await paper.enter(poll_id, serials[3], {"P01": "for"}, False, bob)
    assert await paper.enter(poll_id, serials[2], {}, False, bob) is Entry.counted
    with pytest.raises(Conflict, match="多出来了"):
        await paper.enter(poll_id, serials[4], {"P01": "for"}, False, alice)
    assert await PaperEntry.count().where(PaperEntry.serial.is_in([serials[3], serials[4]])) == 0
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["returned"] == 13 and result["status"] == "valid"
    recon = await paper.reconciliation(poll_id)
    assert recon["serials"] == {"printed": 8, "counted": 3, "voided": 1, "unused": 2, "missing": 2, "entering": 0,
                                "not_returned": 0, "unexplained": 2}
    assert recon["media"] == {"tablet": {"issued": 10, "returned": 10},
                              "paper": {"issued": 3, "returned": 3, "not_returned": 0, "outstanding": 0}}
    assert recon["voided_reasons"] == [{"serial": serials[7], "reason": "代表填写错误，申请更换"}]


async def test_handing_back_blank_sheets_is_all_or_nothing(hall):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=5, on_paper=1)
    await twice(poll_id, serials[0], {"P01": "for"}, alice, bob)
    with pytest.raises(Conflict) as refused:
        await paper.return_unused(poll_id, f"{serials[1]}，{serials[0]}、{serials[1]} {make_serial(poll_id, 77)}",
                                  STAFF)
    assert "已经录入计票" in refused.value.message and "输入了两次" in refused.value.message
    assert "没有印制过" in refused.value.message
    assert await PaperSerial.count().where((PaperSerial.poll == poll_id) & (PaperSerial.status == "unused")) == 0
    with pytest.raises(Refused, match="请扫描或输入"):
        await paper.return_unused(poll_id, " \n ", STAFF)
    assert await paper.return_unused(poll_id, " ".join(serials[1:]), STAFF) == serials[1:]
    entry = await AuditEntry.select(AuditEntry.detail).where(
        AuditEntry.action == "paper_ballots_returned_unused").order_by(AuditEntry.id, ascending=False).first()
    assert '"count": 4' in str(entry["detail"]).replace("'", '"')


async def test_the_count_waits_for_every_issued_sheet_or_a_declared_reason(hall):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=6, on_paper=3)
    await twice(poll_id, serials[0], {"P01": "for"}, alice, bob)
    await twice(poll_id, serials[1], {"P02": "for"}, alice, bob)
    with pytest.raises(Conflict, match="还有 1 张发出的纸质选票既没有录入，也没有登记为未交回") as refused:
        await sealed.close_poll(poll_id, STAFF)
    assert "发出 3 张，已计入 2 张，登记未交回 0 张" in refused.value.message
    assert (await polls.get_poll(poll_id))["status"] == "counting"
    with pytest.raises(Refused, match="请写明未交回的原因"):
        await paper.declare_not_returned(poll_id, "  ", STAFF)
    await paper.declare_not_returned(poll_id, "代表未交回，已离开会场", STAFF)
    with pytest.raises(Conflict, match="没有可登记为未交回的选票"):  # a second declaration: nothing left to declare
        await paper.declare_not_returned(poll_id, "又一张", STAFF)
    with pytest.raises(Conflict, match="多出来了"):  # declared not returned, so a third sheet is one too many
        await paper.enter(poll_id, serials[2], {"P01": "for"}, False, alice)
    audit = await AuditEntry.select().where(AuditEntry.action == "paper_ballot_not_returned").order_by(
        AuditEntry.id, ascending=False).first()  # this poll's: the newest (other tests declare too)
    assert audit["reason"] == "代表未交回，已离开会场" and audit["actor"] == STAFF.label
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["returned"] == 12
    recon = await paper.reconciliation(poll_id)
    assert recon["media"]["paper"] == {"issued": 3, "returned": 2, "not_returned": 1, "outstanding": 0}
    assert recon["serials"]["missing"] == 4 and recon["serials"]["unexplained"] == 3
    assert [r["reason"] for r in recon["not_returned_reasons"]] == ["代表未交回，已离开会场"]
    assert recon["not_returned_reasons"][0]["recorded_by"] == STAFF.label


async def test_a_sheet_half_entered_or_disputed_holds_the_count(hall):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=3, on_paper=1)
    await paper.enter(poll_id, serials[0], {"P01": "for"}, False, alice)
    with pytest.raises(Conflict, match="只录入了一次或两次录入不一致"):
        await sealed.close_poll(poll_id, STAFF)
    with pytest.raises(Conflict, match="没有可登记为未交回"):  # it came back: it is being entered
        await paper.declare_not_returned(poll_id, "代表未交回", STAFF)
    assert await paper.enter(poll_id, serials[0], {"P02": "for"}, False, bob) is Entry.disputed
    with pytest.raises(Conflict, match="只录入了一次或两次录入不一致"):
        await sealed.close_poll(poll_id, STAFF)
    await paper.rule(poll_id, serials[0], {"P01": "for"}, False, Counter(hall.deputy_ids[0], "总监票人"))
    assert (await sealed.close_poll(poll_id, STAFF))["returned"] == 11


async def test_a_spoiled_sheet_is_entered_as_it_reads_and_counted_invalid(hall):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=4, on_paper=3, seats=1)
    too_many = {"P01": "for", "P02": "for"}  # two approvals where one is allowed
    assert await twice(poll_id, serials[0], too_many, alice, bob) is Entry.counted
    assert await paper.sheet_note(poll_id, too_many, False) == "这张选票划了 2 个赞成，超过 1 个，计为无效票。"
    assert await twice(poll_id, serials[1], {}, alice, bob, void=True) is Entry.counted  # written on: void
    assert await paper.sheet_note(poll_id, {}, True) == "整张选票作废，计为无效票。"
    assert await twice(poll_id, serials[2], {"P03": "for"}, alice, bob) is Entry.counted
    assert await paper.sheet_note(poll_id, {"P03": "for"}, False) == ""
    result = await sealed.close_poll(poll_id, STAFF)
    assert (result["returned"], result["valid"], result["invalid"]) == (13, 11, 2)
    assert [c["for"] for c in result["candidates"]] == [10, 0, 1]  # the spoiled sheet's marks count for no one
    assert (await polls.verify(poll_id))["intact"]


async def test_only_the_sessions_counters_enter(hall):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=3, on_paper=1)
    for outsider in (Counter(hall.deputy_ids[0], "总监票人"), Counter(hall.deputy_ids[1], "监票人"),
                     Counter(hall.deputy_ids[9], "代表")):
        with pytest.raises(Refused, match="只有本次会议的计票人才能录入") as refused:
            await paper.enter(poll_id, serials[0], {"P01": "for"}, False, outsider)
        assert refused.value.status_code == 403
    assert await PaperEntry.count().where(PaperEntry.poll == poll_id) == 0
    await scrutiny.set_members(hall.session_id, hall.deputy_ids[0], [hall.deputy_ids[1]], [], STAFF)
    with pytest.raises(Refused, match="只有本次会议的计票人"):  # no longer a counter
        await paper.enter(poll_id, serials[0], {"P01": "for"}, False, alice)


async def test_a_secretariat_account_cannot_enter_a_sheet(hall, client):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=3, on_paper=1)
    await login_staff(client)
    form = {"serial": serials[0], "m_P01": "for", "_csrf_token": csrf_of(client)}
    assert (await client.post(f"/console/polls/{poll_id}/paper", data=form)).status_code == 405
    for method in ("GET", "POST"):
        answer = await client.request(method, f"/tablet/scrutiny/polls/{poll_id}/entry",
                                      data=form if method == "POST" else None)
        assert answer.status_code in (302, 303) and answer.headers["location"].startswith("/tablet/login")
    client.cookies.clear()
    await login_deputy(client, hall.codes[hall.deputy_ids[0]])  # the chief scrutineer rules, does not enter
    answer = await client.post(f"/tablet/scrutiny/polls/{poll_id}/entry", data={**form, "_csrf_token": csrf_of(client)})
    assert answer.status_code == 403 and "纸质选票由计票人录入" in answer.text
    assert await PaperEntry.count().where(PaperEntry.poll == poll_id) == 0


async def test_a_counter_enters_on_the_tablet_and_sees_the_serial_as_printed(hall, client):
    poll_id, serials, alice, bob = await counting_poll(hall, sheets=3, on_paper=2)
    await login_deputy(client, hall.codes[hall.deputy_ids[2]])
    home = await client.get("/tablet/scrutiny")
    assert f'href="/tablet/scrutiny/polls/{poll_id}/entry"' in home.text
    at = f"/tablet/scrutiny/polls/{poll_id}/entry"
    page = await client.get(at)
    assert page.status_code == 200 and 'name="m_P01" value="for"' in page.text and "保存录入" in page.text
    typed = "ＰＪ1|x|" + serials[0].replace("-", "")  # scanned with a full-width input method left on
    sent = await client.post(at, data={"serial": typed, "m_P01": "for", "m_P02": "for", "m_P03": "none",
                                       "_csrf_token": csrf_of(client)})
    assert sent.status_code == 303
    shown = await client.get(sent.headers["location"])
    assert f'<span class="mono serial">{serials[0]}</span>：已录入。' in shown.text
    bad = await client.post(at, data={"serial": serials[0][:-1] + "0" if serials[0][-1] != "0" else serials[0][:-1] + "1",
                                      "m_P01": "for", "_csrf_token": csrf_of(client)})
    assert bad.status_code == 400 and "校验位不符" in bad.text and 'value="for" checked' in bad.text
    forged = await client.get(f"{at}?entered=<b>x</b>&outcome=counted")
    assert "<b>x</b>" not in forged.text and "&lt;b&gt;" not in forged.text


# --- secrecy: an insider with the database cannot pair a deputy handed paper with a serial ---


async def test_print_runs_come_off_shuffled_and_the_register_keeps_no_stack_order(hall):
    poll_id = await hall.poll(candidates=3, seats=1, open_=False)
    stacks = [await paper.register_print_run(poll_id, 20, STAFF) for _ in range(3)]
    for n, stack in enumerate(stacks):
        assert sorted(parse_serial(s)[1] for s in stack) == list(range(20 * n + 1, 20 * n + 21))
    assert sum(stack == sorted(stack) for stack in stacks) == 0  # 1 in 20! each, were it not shuffled
    rows = await PaperSerial.select(PaperSerial.id, PaperSerial.serial, PaperSerial.printed_at).where(
        PaperSerial.poll == poll_id).order_by(PaperSerial.id)
    assert [r["serial"] for r in rows] == sorted(s for stack in stacks for s in stack)
    assert [r["printed_at"] for r in rows] == sorted(r["printed_at"] for r in rows)  # number order, not stack order


async def test_an_insider_cannot_pair_the_issue_record_with_the_serials(hall):
    """The clerk hands out sheets from the top of the printed stack; the sheets come back into a
    box that is mixed before counting. Reading every table (ids, timestamps, on PostgreSQL the
    rows' transaction ids), the insider lines up the issues in every order there is against the
    serials in every order there is: no line-up pairs deputies with their serials beyond chance."""
    n = 16
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=2)
    stack = await paper.register_print_run(poll_id, n, STAFF)  # the order the sheets lie in
    takers = hall.deputy_ids[10:10 + n]
    truth = dict(zip(takers, stack))  # the first to ask gets the top sheet
    for deputy in takers:
        await paper.issue_paper(poll_id, deputy, STAFF)
    await polls.stop_voting(poll_id, STAFF)
    alice, bob = await counting_team(hall, (2, 3))
    box = list(stack)
    random.Random(13).shuffle(box)  # the box, mixed before it is counted
    for serial in box:
        await twice(poll_id, serial, {"P01": "for"}, alice, bob)
    await sealed.close_poll(poll_id, STAFF)

    columns = await fetch("SELECT * FROM poll_voter WHERE poll = {} LIMIT 1", poll_id)
    assert set(columns[0]) == {"key", "poll", "deputy", "voted", "medium", "stamp"}  # no id, no time, no serial
    number_of = {v: k for k, v in hall.numbers.items()}
    issue_orders = {
        "register key": [r["deputy"] for r in await fetch(
            "SELECT deputy FROM poll_voter WHERE poll = {} AND medium = {} ORDER BY key", poll_id, "paper")],
        "audit id": [number_of[e["detail"]["deputy"]] for e in await AuditEntry.select(AuditEntry.detail).where(
            (AuditEntry.action == "paper_ballot_issued")).order_by(AuditEntry.id).output(load_json=True)
            if e["detail"]["deputy"] in number_of],
    }
    if not is_sqlite():
        issue_orders["transaction id"] = [r["deputy"] for r in await fetch(
            "SELECT deputy FROM poll_voter WHERE poll = {} AND medium = {} ORDER BY xmin::text::bigint, ctid",
            poll_id, "paper")]
    serial_orders = {
        "register id": [r["serial"] for r in await PaperSerial.select(PaperSerial.serial).where(
            PaperSerial.poll == poll_id).order_by(PaperSerial.id)],
        "printed at": [r["serial"] for r in await PaperSerial.select(PaperSerial.serial).where(
            PaperSerial.poll == poll_id).order_by(PaperSerial.printed_at)],
        "entry id": list(dict.fromkeys(r["serial"] for r in await PaperEntry.select(PaperEntry.serial).where(
            PaperEntry.poll == poll_id).order_by(PaperEntry.id))),
        "entry time": list(dict.fromkeys(r["serial"] for r in await PaperEntry.select(PaperEntry.serial).where(
            PaperEntry.poll == poll_id).order_by(PaperEntry.at))),
    }
    assert issue_orders["audit id"] == takers  # the issue order is on record, as the hall saw it…
    assert serial_orders["register id"] == sorted(stack)  # …but the register holds serials in number order
    for issue_name, deputies in issue_orders.items():
        assert sorted(deputies) == sorted(takers)
        for serial_name, serials in serial_orders.items():
            for order in (serials, serials[::-1]):
                paired = sum(truth[d] == s for d, s in zip(deputies, order))
                assert paired < n // 2, f"{issue_name} against {serial_name} pairs {paired} of {n}"


async def test_a_result_is_not_published_before_the_session_has_its_scrutiny_team(hall):
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    with pytest.raises(Conflict, match="确定本次会议的总监票人"):
        await scrutiny.publish(poll_id, STAFF)
