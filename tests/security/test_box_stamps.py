"""The database insider who stuffs the box while the poll is open.

They can write to the database and they know the poll's public key (it is stored; tablets fetch
it), so they can seal ballots of their own exactly as a tablet does, add them to the box, and
mark deputies who never voted as having voted, keeping the count's old check (ballots =
deputies who voted) satisfied. Each sealed ballot and register row carries the server's stamp,
made with a key the database does not hold: the count refuses a box with anything unstamped,
says so in Chinese, and changes nothing. On both engines.
"""

from __future__ import annotations

import pytest

from tests import sealed
from tests.hall import STAFF
from voting import ballot_box, box_stamps, polls, secrecy
from voting.ballot_box import Outcome
from voting.database import fetch, fetch_value
from voting.errors import Conflict

VOTERS = 12


async def open_vote(hall) -> tuple[int, str]:
    """A poll open in a checked-in hall, 12 deputies having voted on tablets; returns the poll and
    its public key, as the insider reads it from the database."""
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    for deputy in hall.deputy_ids[:VOTERS]:
        assert await sealed.cast(poll_id, deputy, {"P01": "for"}) is Outcome.accepted
    public_key = await fetch_value("SELECT public_key FROM poll_key WHERE poll = {} ORDER BY id DESC LIMIT 1", poll_id)
    return poll_id, public_key


async def poll_ref(poll_id: int) -> str:
    return (await polls.get_poll(poll_id))["ref"]


async def stuff(poll_id: int, public_key: str, deputy_id: int, *, register_stamp: str = "",
                box_stamp: str = "") -> None:
    """One more sealed ballot for P02, and the register row of a deputy who never voted."""
    box = secrecy.seal_marks(bytes.fromhex(public_key), await poll_ref(poll_id), {"P02": "for"}, 3)
    await fetch("INSERT INTO poll_voter (key, poll, deputy, voted, medium, stamp) VALUES ({}, {}, {}, {}, {}, {})",
                ballot_box.register_key(poll_id, deputy_id), poll_id, deputy_id, True, "electronic", register_stamp)
    await fetch("INSERT INTO sealed_ballot (id, poll, box, stamp) VALUES ({}, {}, {}, {})",
                ballot_box.new_ballot_id(), poll_id, box, box_stamp)


async def assert_count_refused(poll_id: int, *, boxes: int, register: int) -> None:
    before = await fetch_value("SELECT COUNT(*) FROM sealed_ballot WHERE poll = {}", poll_id)
    with pytest.raises(Conflict, match="没有服务器的印记.*不能计票.*主席团") as refused:
        await sealed.close_poll(poll_id, STAFF)
    assert refused.value.code == "box_unstamped"
    found = await box_stamps.unstamped(poll_id)
    assert (found.boxes, found.register) == (boxes, register)
    poll = await polls.get_poll(poll_id)
    assert poll["status"] == "counting" or poll["status"] == "open"
    assert poll["result"] in (None, {}, "null", "{}") and not poll["ballots_sha256"]  # nothing counted
    assert await fetch_value("SELECT COUNT(*) FROM sealed_ballot WHERE poll = {}", poll_id) == before  # box kept
    assert await fetch_value("SELECT COUNT(*) FROM ballot WHERE poll = {}", poll_id) == 0


async def test_ballots_stuffed_for_deputies_who_never_voted_stop_the_count(hall):
    poll_id, public_key = await open_vote(hall)
    for deputy in hall.deputy_ids[VOTERS:VOTERS + 3]:  # present and silent, or absent: the insider votes for them
        await stuff(poll_id, public_key, deputy)
    assert await fetch_value("SELECT COUNT(*) FROM sealed_ballot WHERE poll = {}", poll_id) == VOTERS + 3
    await assert_count_refused(poll_id, boxes=3, register=3)


async def test_stamps_copied_from_genuine_rows_do_not_check(hall):
    """The insider copies a genuine register stamp and a genuine box stamp onto their rows."""
    poll_id, public_key = await open_vote(hall)
    register = await fetch("SELECT stamp FROM poll_voter WHERE poll = {} LIMIT 1", poll_id)
    box = await fetch("SELECT stamp FROM sealed_ballot WHERE poll = {} LIMIT 1", poll_id)
    assert len(register[0]["stamp"]) == 64 and len(box[0]["stamp"]) == 64
    await stuff(poll_id, public_key, hall.deputy_ids[VOTERS], register_stamp=register[0]["stamp"],
                box_stamp=box[0]["stamp"])
    await assert_count_refused(poll_id, boxes=1, register=1)


async def test_a_deputys_ballot_swapped_for_the_insiders_stops_the_count(hall):
    """No row added: one genuine sealed ballot's content is replaced, its stamp kept."""
    poll_id, public_key = await open_vote(hall)
    victim = (await fetch("SELECT id FROM sealed_ballot WHERE poll = {} LIMIT 1", poll_id))[0]["id"]
    box = secrecy.seal_marks(bytes.fromhex(public_key), await poll_ref(poll_id), {"P03": "for"}, 3)
    await fetch("UPDATE sealed_ballot SET box = {} WHERE id = {}", box, victim)
    await assert_count_refused(poll_id, boxes=1, register=0)


async def test_stamps_made_with_another_key_or_moved_to_another_poll_do_not_check(hall, monkeypatch):
    """The insider guesses a server key (an old one, a default) and stamps with it; or moves a
    stamped ballot from another open poll into this one."""
    poll_id, public_key = await open_vote(hall)
    monkeypatch.setenv("PIAOJUE_SECRET", "guessed-server-key")
    deputy = hall.deputy_ids[VOTERS]
    box = secrecy.seal_marks(bytes.fromhex(public_key), await poll_ref(poll_id), {"P02": "for"}, 3)
    forged_register = box_stamps.register_stamp(poll_id, deputy, True, "electronic")
    forged_box = box_stamps.box_stamp(poll_id, box)
    monkeypatch.undo()
    await fetch("INSERT INTO poll_voter (key, poll, deputy, voted, medium, stamp) VALUES ({}, {}, {}, {}, {}, {})",
                ballot_box.register_key(poll_id, deputy), poll_id, deputy, True, "electronic", forged_register)
    await fetch("INSERT INTO sealed_ballot (id, poll, box, stamp) VALUES ({}, {}, {}, {})",
                ballot_box.new_ballot_id(), poll_id, box, forged_box)
    await assert_count_refused(poll_id, boxes=1, register=1)

    other = await hall.poll(candidates=3, seats=1)
    assert await sealed.cast(other, hall.deputy_ids[VOTERS + 1], {"P01": "for"}) is Outcome.accepted
    await fetch("DELETE FROM sealed_ballot WHERE poll = {} AND stamp = {}", poll_id, forged_box)
    await fetch("DELETE FROM poll_voter WHERE poll = {} AND stamp = {}", poll_id, forged_register)
    await fetch("UPDATE sealed_ballot SET poll = {} WHERE poll = {}", poll_id, other)
    await fetch("UPDATE poll_voter SET poll = {}, key = {} WHERE poll = {}", poll_id,
                ballot_box.register_key(poll_id, hall.deputy_ids[VOTERS + 1]), other)
    await assert_count_refused(poll_id, boxes=1, register=1)


async def test_an_untouched_box_counts_and_the_stamps_leave_with_the_sealed_ballots(hall):
    poll_id, _ = await open_vote(hall)
    await ballot_box.issue(poll_id, hall.deputy_ids[VOTERS])  # the tablet opened the ballot, nothing cast
    assert not await box_stamps.unstamped(poll_id)
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["returned"] == VOTERS
    assert await fetch_value("SELECT COUNT(*) FROM sealed_ballot WHERE poll = {}", poll_id) == 0


async def test_the_migration_stamps_the_box_of_a_poll_open_during_the_upgrade(hall):
    """Rows written by the version before stamps (stamp empty) in a poll still open: the
    migration stamps them with the server key, so the count goes ahead after the upgrade."""
    import importlib

    migration = importlib.import_module("voting.piccolo_migrations.voting_2026_12_06t21_10_00_000000")
    poll_id, _ = await open_vote(hall)
    await fetch("UPDATE sealed_ballot SET stamp = {} WHERE poll = {}", "", poll_id)
    await fetch("UPDATE poll_voter SET stamp = {} WHERE poll = {}", "", poll_id)
    found = await box_stamps.unstamped(poll_id)
    assert (found.boxes, found.register) == (VOTERS, VOTERS)
    assert await migration.stamp_live_rows() >= 2 * VOTERS
    assert not await box_stamps.unstamped(poll_id)
    assert (await sealed.close_poll(poll_id, STAFF))["returned"] == VOTERS
