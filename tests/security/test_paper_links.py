"""A paper sheet's serial and what it counted as, once the scrutineers have signed the count.

Two counters enter each returned sheet by its serial, so while the sheets are being counted the
database pairs serial → marks (as the sheet itself does). Issue 14: "paper entries keep only what
reconciliation needs once counted". When the whole scrutiny team has confirmed the count in
force, each counted serial's content is sealed to the poll's key and the entries keep who
entered which serial, and when, but no marks. The insider then reads the storage and finds no
serial next to any marks; a correction by serial needs k of the poll's key cards again.
"""

from __future__ import annotations

import json
import re

import pytest

from tests import sealed
from tests.hall import STAFF, counting_team
from tests.security.test_storage_attacks import db_path, postgresql_only, sqlite_only, stored_bytes, wal_path
from voting import database, paper, polls, scrutiny, secrecy
from voting.database import fetch, fetch_value
from voting.errors import Conflict, Refused
from voting.tables import AuditEntry, PaperEntry, ResultCorrection

SHEETS = [{"P01": "for"}, {"P02": "for", "P03": "against"}, {}, {"P01": "for", "P02": "for"},
          {"P03": "abstain"}, {"P02": "against"}]


async def counted_paper_poll(hall) -> tuple[int, list[str], dict[str, tuple[str, bool]]]:
    """A poll where six deputies vote on paper (one sheet void, one disputed and ruled), a few on
    tablets, counted: returns the poll, the counted serials and what each sheet said."""
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, seats=2)
    alice, bob, carol = await counting_team(hall, (2, 3, 4))
    serials = sorted(await paper.register_print_run(poll_id, 8, STAFF))[:6]
    for deputy in hall.deputy_ids[10:16]:
        await paper.issue_paper(poll_id, deputy, STAFF)
    for deputy in hall.deputy_ids[16:20]:
        await sealed.cast(poll_id, deputy, {"P04": "for"})
    await polls.stop_voting(poll_id, STAFF)
    said = {}
    for n, (serial, marks) in enumerate(zip(serials, SHEETS)):
        void = n == 2
        await paper.enter(poll_id, serial, marks, void, alice)
        if n == 4:  # the second counter read it otherwise: the chief scrutineer rules
            await paper.enter(poll_id, serial, {"P03": "against"}, False, bob)
            await paper.rule(poll_id, serial, marks, False, paper.Counter(hall.deputy_ids[0], "总监票人"))
        else:
            await paper.enter(poll_id, serial, marks, void, carol)
        said[serial] = paper._content(marks, void)
    await sealed.close_poll(poll_id, STAFF)
    return poll_id, serials, said


async def confirm_all(hall, poll_id: int) -> None:
    await sealed.confirm_on_tablet(poll_id, hall.deputy_ids[0], STAFF)
    await scrutiny.confirm(poll_id, hall.deputy_ids[1], "paper", STAFF)


async def entries(poll_id: int) -> list[dict]:
    return await PaperEntry.select().where(PaperEntry.poll == poll_id).order_by(PaperEntry.id)


async def test_until_the_team_confirms_the_entries_keep_their_marks_and_then_only_sealed_links(hall):
    poll_id, serials, said = await counted_paper_poll(hall)
    await sealed.confirm_on_tablet(poll_id, hall.deputy_ids[0], STAFF)  # one of two: not yet signed
    settled = {}
    for e in await entries(poll_id):
        settled.setdefault(e["serial"], []).append(e)
    assert {s: (paper.settled_entry(es)["marks"], paper.settled_entry(es)["void"]) for s, es in settled.items()} == said
    await scrutiny.confirm(poll_id, hall.deputy_ids[1], "paper", STAFF)

    rows = await entries(poll_id)
    kept = [e for e in rows if e["kind"] != "sealed"]
    assert len(kept) == 13  # two entries per sheet, one extra for the disputed one, its ruling
    assert {(e["serial"], e["by_label"]) for e in kept} >= {(serials[0], "计票人 " + hall.numbers[hall.deputy_ids[2]])}
    assert all(e["marks"] == "" and not e["void"] for e in kept)  # who entered which serial, and no marks
    links = {e["serial"]: e["marks"] for e in rows if e["kind"] == "sealed"}
    assert sorted(links) == serials
    assert len({len(box) for box in links.values()}) == 1  # a link's size says nothing of its sheet
    assert all("{" not in box for box in links.values())

    poll = await polls.get_poll(poll_id)
    cards = sealed.CARDS[poll_id]
    for serial, box in links.items():  # k cards open exactly what the count took for each serial
        private = secrecy.recover_private_key(bytes.fromhex((await fetch(
            "SELECT public_key FROM poll_key WHERE poll = {}", poll_id))[0]["public_key"]),
            [secrecy.read_share(c) for c in cards[:2]])
        marks, void = secrecy.open_paper_link(private, poll["ref"], serial, box)
        assert paper._content(marks, void) == said[serial]
        other = serials[(serials.index(serial) + 1) % len(serials)]
        assert secrecy.open_paper_link(private, poll["ref"], other, box) is None  # a link is its serial's only

    sealed_entry = await AuditEntry.select().where(AuditEntry.action == "paper_links_sealed").order_by(
        AuditEntry.id, ascending=False).first()
    assert sealed_entry["detail"] in ({"count": 6}, json.dumps({"count": 6}))
    assert (await paper.paper_state(poll_id))["reconciliation"]["problems"] == []  # reconciliation needs no marks
    assert (await polls.verify(poll_id))["intact"]


async def test_a_correction_after_the_team_signed_needs_k_cards_and_changes_nothing_without_them(hall):
    poll_id, serials, said = await counted_paper_poll(hall)
    await confirm_all(hall, poll_id)
    before_ballots = await fetch("SELECT id, marks, void FROM ballot WHERE poll = {} ORDER BY id", poll_id)
    cards = sealed.CARDS[poll_id]

    with pytest.raises(Refused, match="加密封存.*钥匙卡") as no_cards:
        await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "against"}, False, "复核原票", STAFF)
    assert no_cards.value.code == "cards_needed"
    with pytest.raises(Refused, match="需要 2 张钥匙卡，现在只有 1 张") as one_card:
        await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "against"}, False, "复核原票", STAFF,
                                            cards[:1])
    assert "不能按编号更正" in one_card.value.message
    other_poll = await hall.poll(candidates=4, seats=2)
    with pytest.raises(Refused, match="钥匙卡"):
        await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "against"}, False, "复核原票", STAFF,
                                            sealed.CARDS[other_poll][:2])
    assert not await ResultCorrection.exists().where(ResultCorrection.poll == poll_id)
    assert await fetch("SELECT id, marks, void FROM ballot WHERE poll = {} ORDER BY id", poll_id) == before_ballots

    with pytest.raises(Conflict, match="与已计入的相同"):  # the link opened: it said P01 for
        await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "for"}, False, "复核原票", STAFF, cards[1:])
    result = await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "against"}, False,
                                                 "复核原票，第1项划的是“反对”", STAFF, cards[1:])
    tallies = {c["id"]: c for c in result["candidates"]}
    assert tallies["P01"]["for"] == 1 and tallies["P01"]["against"] == 1
    assert (await polls.verify(poll_id))["intact"]
    corrected = await AuditEntry.select().where(AuditEntry.action == "result_corrected").order_by(
        AuditEntry.id, ascending=False).first()
    detail = corrected["detail"] if isinstance(corrected["detail"], dict) else json.loads(corrected["detail"])
    assert detail["opened_sealed_link"] is True

    # The correction's content is in the clear until the team confirms the corrected count; then sealed again.
    assert [e["marks"] for e in await entries(poll_id) if e["kind"] == "correction"] == ['{"P01": "against"}']
    await confirm_all(hall, poll_id)
    rows = await entries(poll_id)
    assert all(e["marks"] == "" for e in rows if e["kind"] != "sealed")
    assert [e["serial"] for e in rows if e["kind"] == "sealed"].count(serials[0]) == 1  # the older link dropped
    with pytest.raises(Conflict, match="与已计入的相同"):
        await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "against"}, False, "再核", STAFF, cards[:2])


async def test_sqlite_file_pairs_no_serial_with_marks_once_the_team_signed(hall):
    """The insider reads the database file, its log and its free pages for an entry's record: the
    counter's name, followed by the marks column, as SQLite lays the record down."""
    sqlite_only()
    poll_id, serials, said = await counted_paper_poll(hall)
    labels = {e["by_label"].encode() for e in await entries(poll_id) if e["kind"] == "entry"}  # 计票人 T…
    data = stored_bytes(db_path())
    assert [label for label in labels if re.search(re.escape(label) + rb"\{", data)]  # while counting: there
    await confirm_all(hall, poll_id)
    data = stored_bytes(db_path()) + stored_bytes(wal_path())
    assert [label for label in labels if re.search(re.escape(label) + rb"\{", data)] == []
    for serial in serials:  # nor a serial within a record's reach of marks
        assert not re.search(re.escape(serial.encode()) + rb".{0,120}\{\"P0", data, re.S), serial


async def test_postgresql_pages_pair_no_serial_with_marks_once_the_team_signed(hall):
    """The insider reads paper_entry's heap pages raw (pageinspect), live and dead row versions
    alike: after the team signed, no marks are left on them."""
    postgresql_only()
    try:
        await database.engine().run_ddl("CREATE EXTENSION IF NOT EXISTS pageinspect")
    except Exception as error:  # noqa: BLE001 (not a superuser, or contrib not installed)
        pytest.skip(f"pageinspect is not available here: {error}")
    poll_id, serials, said = await counted_paper_poll(hall)

    async def paired() -> list[str]:  # a row lays out serial, kind, who, marks: one after the other
        blocks = await fetch_value("SELECT pg_relation_size('paper_entry') / current_setting('block_size')::int")
        data = b"".join([await fetch_value("SELECT get_raw_page('paper_entry', {})", b) for b in range(blocks)])
        return [s for s in serials if re.search(re.escape(s.encode()) + rb".{0,120}\{\"P0", data, re.S)]

    assert len(await paired()) >= 4  # while counting: there (the void sheet has no marks to find)
    await confirm_all(hall, poll_id)
    assert await paired() == []


async def test_a_link_an_insider_replaced_is_refused_at_the_correction_and_changes_nothing(hall):
    """The insider swaps one serial's sealed link for another serial's (each is a valid box of this
    poll): with the cards, the correction finds it names the wrong serial, says so, and stops."""
    poll_id, serials, said = await counted_paper_poll(hall)
    await confirm_all(hall, poll_id)
    other = (await fetch("SELECT marks FROM paper_entry WHERE poll = {} AND serial = {} AND kind = {}",
                         poll_id, serials[1], "sealed"))[0]["marks"]
    await fetch("UPDATE paper_entry SET marks = {} WHERE poll = {} AND serial = {} AND kind = {}",
                other, poll_id, serials[0], "sealed")
    before = await fetch("SELECT id, marks, void FROM ballot WHERE poll = {} ORDER BY id", poll_id)
    with pytest.raises(Conflict, match="封存的录入内容无法开启，可能被改动过") as broken:
        await scrutiny.correct_paper_ballot(poll_id, serials[0], {"P01": "against"}, False, "复核原票", STAFF,
                                            sealed.CARDS[poll_id][:2])
    assert broken.value.code == "link_broken"
    assert not await ResultCorrection.exists().where(ResultCorrection.poll == poll_id)
    assert await fetch("SELECT id, marks, void FROM ballot WHERE poll = {} ORDER BY id", poll_id) == before
