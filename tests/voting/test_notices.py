"""One decision, one notice: the presidium announces only a vote's final decision, and only once."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from tests.hall import STAFF, scrutinize
from voting import ballot_box, notices, polls
from voting.errors import Conflict
from voting.notices import IssuedNotice, RoundState, notice_refusal
from voting.tables import AuditEntry, Notice
from tests import sealed

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)


# --- the rule, pure ------------------------------------------------------------------------

def test_a_round_that_sent_a_tie_to_a_further_vote_gets_no_notice():
    first = RoundState("2026-s1-1", 1, closed=True, published=True, tied=("乡村道路", "老年食堂"))
    refusal = notice_refusal([first], 0, [], None)
    assert refusal is not None and refusal.code == "not_final"
    assert "乡村道路、老年食堂赞成票相等" in refusal.message and "须另行票决" in refusal.message
    runoff = RoundState("2026-s1-2", 2, closed=False, published=False)
    refusal = notice_refusal([first, runoff], 0, [], None)
    assert refusal.code == "not_final" and "2026-s1-2" in refusal.message and "第2轮" in refusal.message
    assert notice_refusal([first, runoff], 1, [], None).code == "not_closed"


def test_the_final_round_gets_one_notice_and_a_correction_makes_a_new_decision():
    first = RoundState("2026-s1-1", 1, closed=True, published=True, tied=("乡村道路", "老年食堂"))
    final = RoundState("2026-s1-2", 2, closed=True, published=True)
    assert notice_refusal([first, final], 1, [], None) is None
    issued = [IssuedNotice("主席团公告（第3号）", T0)]
    again = notice_refusal([first, final], 1, issued, None)
    assert again.code == "already_issued" and "主席团公告（第3号）" in again.message
    assert notice_refusal([first, final], 1, issued, T0 - timedelta(minutes=1)).code == "already_issued"
    assert notice_refusal([first, final], 1, issued, T0 + timedelta(minutes=1)) is None


def test_every_round_of_the_decision_must_be_published():
    first = RoundState("2026-s1-1", 1, closed=True, published=False, tied=("乡村道路",))
    final = RoundState("2026-s1-2", 2, closed=True, published=True)
    refusal = notice_refusal([first, final], 1, [], None)
    assert refusal.code == "not_published" and "第1轮票决（2026-s1-1）" in refusal.message
    alone = RoundState("2026-s1-3", 1, closed=True, published=False)
    assert "确认计票结果并公布后" in notice_refusal([alone], 0, [], None).message


# --- the use case, on the engine under test ---------------------------------------------------

async def tied_first_round(hall) -> int:
    """4 candidates for 2 seats: 候选项目01 wins, 候选项目02 and 候选项目03 tie for the last seat."""
    await hall.check_in()
    first = await hall.poll(candidates=4, seats=2)
    plan = ([{"P01": "for", "P02": "for"}] * 10 + [{"P01": "for", "P03": "for"}] * 10
            + [{"P02": "for", "P03": "for"}] * 6 + [{"P04": "for"}] * 4)
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(first, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(first, STAFF)
    assert polls.stored_result(await polls.get_poll(first))["runoff"] == ["P02", "P03"]
    return first


async def decided_runoff(hall, first: int) -> int:
    runoff = await polls.open_runoff(first, STAFF)
    for deputy in hall.deputy_ids[:18]:
        await sealed.cast(runoff, deputy, {"P02": "for"})  # 候选项目03
    await sealed.close_poll(runoff, STAFF)
    await scrutinize(hall, runoff)
    return runoff


async def test_after_a_runoff_only_the_final_decision_gets_a_notice(hall):
    first = await tied_first_round(hall)
    await scrutinize(hall, first)
    with pytest.raises(Conflict, match="候选项目02、候选项目03赞成票相等，须另行票决") as before_runoff:
        await notices.issue_notice(first, STAFF)
    assert before_runoff.value.code == "not_final"
    runoff = await polls.open_runoff(first, STAFF)
    runoff_ref = (await polls.get_poll(runoff))["ref"]
    with pytest.raises(Conflict, match=f"已另行票决（{runoff_ref}，第2轮）"):
        await notices.issue_notice(first, STAFF)
    with pytest.raises(Conflict, match="投票结束并计票后"):
        await notices.issue_notice(runoff, STAFF)
    for deputy in hall.deputy_ids[:18]:
        await sealed.cast(runoff, deputy, {"P02": "for"})
    await sealed.close_poll(runoff, STAFF)
    with pytest.raises(Conflict, match="确认计票结果并公布后"):
        await notices.issue_notice(runoff, STAFF)
    await scrutinize(hall, runoff)
    notice_id = await notices.issue_notice(runoff, STAFF)
    assert (await notices.get_notice(notice_id))["poll"] == runoff
    with pytest.raises(Conflict, match="已另行票决"):  # the first round still gets none
        await notices.issue_notice(first, STAFF)
    with pytest.raises(Conflict, match="已经发布过公告（主席团公告（第1号））") as twice:
        await notices.issue_notice(runoff, STAFF)
    assert twice.value.code == "already_issued"
    rows = await Notice.select(Notice.poll, Notice.number).where(Notice.session == hall.session_id)
    assert rows == [{"poll": runoff, "number": 1}]
    assert await AuditEntry.count().where(AuditEntry.action == "notice_issued") >= 1


async def test_two_clicks_at_once_issue_one_notice(hall):
    first = await tied_first_round(hall)
    await scrutinize(hall, first)
    runoff = await decided_runoff(hall, first)
    # Two at once (PostgreSQL's pool keeps two connections ready: more would queue for a connection
    # and no longer overlap); without the lock in issue_notice both pass the check on PostgreSQL.
    answers = await asyncio.gather(*(notices.issue_notice(runoff, STAFF) for _ in range(2)), return_exceptions=True)
    issued = [a for a in answers if isinstance(a, int)]
    refused = [a for a in answers if not isinstance(a, int)]
    assert len(issued) == 1, answers
    assert all(isinstance(a, Conflict) and a.code == "already_issued" for a in refused), answers
    assert await Notice.count().where(Notice.poll == runoff) == 1


async def test_notices_issued_at_once_for_two_decisions_get_two_numbers(hall):
    await hall.check_in()
    one, other = await hall.poll(candidates=3, seats=1), await hall.poll(candidates=3, seats=1)
    for poll_id in (one, other):
        await sealed.close_poll(poll_id, STAFF)
        await scrutinize(hall, poll_id)
    ids = await asyncio.gather(notices.issue_notice(one, STAFF), notices.issue_notice(other, STAFF))
    numbers = sorted([(await notices.get_notice(n))["number"] for n in ids])
    assert numbers == [1, 2]
