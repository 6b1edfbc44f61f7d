"""The ballot box through its use cases, on the engine under test."""

import asyncio
import base64
import json

import pytest

from tests.hall import STAFF
from voting import ballot_box, polls
from voting.ballot_box import Outcome
from voting.ballot_file import load_ballot_file
from voting.errors import Conflict, Refused
from voting.rules import count
from voting.tables import AuditEntry, Ballot, PollVoter, SealedBallot
from tests import sealed


async def ballots_of(poll_id):
    """What is in the box: sealed tablet ballots while the poll is open, opened ones after the count."""
    return await SealedBallot.select().where(SealedBallot.poll == poll_id) + \
        await Ballot.select().where(Ballot.poll == poll_id)


async def test_a_present_deputy_votes_once(hall):
    await hall.check_in(hall.deputy_ids[0])
    poll_id = await hall.poll()
    deputy = hall.deputy_ids[0]
    assert await sealed.cast(poll_id, deputy, {"P01": "for", "P02": "against"}) is Outcome.accepted
    assert await sealed.cast(poll_id, deputy, {"P03": "for"}) is Outcome.already_voted
    stored = await ballots_of(poll_id)
    assert len(stored) == 1 and "marks" not in stored[0]  # sealed: the marks are inside the box only
    assert b'"P01"' not in base64.b64decode(stored[0]["box"]) and b'"for"' not in base64.b64decode(stored[0]["box"])
    assert await ballot_box.has_voted(poll_id, deputy)
    await sealed.close_poll(poll_id, STAFF)
    opened = await ballots_of(poll_id)
    assert len(opened) == 1 and json.loads(opened[0]["marks"]) == {"P01": "for", "P02": "against"}


async def test_absent_deputy_and_closed_poll_store_nothing(hall):
    poll_id = await hall.poll()
    assert await sealed.cast(poll_id, hall.deputy_ids[1], {"P01": "for"}) is Outcome.not_present
    draft = await hall.poll(open_=False)
    await hall.check_in(hall.deputy_ids[1])
    assert await sealed.cast(draft, hall.deputy_ids[1], {"P01": "for"}) is Outcome.poll_not_open
    assert await ballots_of(poll_id) == [] and await ballots_of(draft) == []
    assert await PollVoter.count().where(PollVoter.poll.is_in([poll_id, draft])) == 0


@pytest.mark.parametrize("marks, words", [
    ({"P99": "for"}, "不存在"),
    ({"P01": "yes"}, "P01"),
    ({"P01": "for", "P02": "for", "P03": "for", "P04": "for"}, "不能超过 3"),
])
async def test_bad_ballots_are_refused_with_a_reason_and_not_stored(hall, marks, words):
    await hall.check_in(hall.deputy_ids[2])
    poll_id = await hall.poll(candidates=5, seats=3)
    with pytest.raises(Refused) as refused:
        await sealed.cast(poll_id, hall.deputy_ids[2], marks)
    assert words in refused.value.message
    assert await ballots_of(poll_id) == []
    assert not await ballot_box.has_voted(poll_id, hall.deputy_ids[2])


async def test_fifty_simultaneous_submissions_count_once(hall):
    deputy = hall.deputy_ids[3]
    await hall.check_in(deputy)
    poll_id = await hall.poll()
    outcomes = await asyncio.gather(*[sealed.cast(poll_id, deputy, {"P01": "for"}) for _ in range(50)])
    assert outcomes.count(Outcome.accepted) == 1
    assert outcomes.count(Outcome.already_voted) == 49
    assert len(await ballots_of(poll_id)) == 1


async def test_close_counts_seals_and_matches_the_recount_of_the_export(hall):
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, seats=2)
    plan = {0: {"P01": "for", "P02": "for"}, 1: {"P01": "for", "P03": "for"}, 2: {"P01": "for"},
            3: {"P02": "for", "P04": "against"}, 4: {}}
    for index, marks in plan.items():
        assert await sealed.cast(poll_id, hall.deputy_ids[index], marks) is Outcome.accepted
    result = await sealed.close_poll(poll_id, STAFF)
    # 30 deputies entitled, all present: 16 approvals needed (more than half of 30).
    assert result["status"] == "valid" and result["returned"] == 5 and result["required"] == 16
    assert result["winners"] == [] and result["shortfall"] == 2
    by_id = {c["id"]: c for c in result["candidates"]}
    assert by_id["P01"]["for"] == 3 and by_id["P01"]["rank"] == 1 and by_id["P04"]["against"] == 1
    exported = await polls.export_ballot_file(poll_id)
    rules, ballots = load_ballot_file(exported)
    assert rules.entitled == 30 and rules.present == 30 and rules.issued == 5
    assert count(rules, ballots).to_json() == result
    poll = await polls.get_poll(poll_id)
    assert polls.stored_result(poll) == result and len(poll["ballots_sha256"]) == 64
    with pytest.raises(Conflict):
        await sealed.close_poll(poll_id, STAFF)
    assert await sealed.cast(poll_id, hall.deputy_ids[9], {"P01": "for"}) is Outcome.poll_not_open
    actions = [e["action"] for e in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.subject.like(f"%{poll['ref']}%"))]
    assert {"poll_created", "poll_opened", "poll_closed"} <= set(actions)


async def test_rules_are_frozen_once_the_poll_opens(hall):
    poll_id = await hall.poll()
    poll = await polls.get_poll(poll_id)
    settings = polls.settings_of(poll, await polls.candidates_of(poll_id))
    with pytest.raises(Conflict) as refused:
        await polls.update_poll(poll_id, settings, STAFF)
    assert "不能再修改" in refused.value.message


async def test_a_poll_does_not_open_without_quorum_and_says_the_figures(hall):
    await hall.check_in(*hall.deputy_ids[:19])  # 19 of 30 present: 2/3 needs 20
    poll_id = await hall.poll(candidates=3, seats=1, threshold_base="none", open_=False)
    with pytest.raises(Conflict) as refused:
        await sealed.open_poll(poll_id, STAFF)
    assert refused.value.message == "不足法定人数，不能开始投票：应到 30 人，实到 19 人，需要 20 人。"
    assert (await polls.get_poll(poll_id))["status"] == "draft"
    assert await sealed.cast(poll_id, hall.deputy_ids[0], {"P01": "for"}) is Outcome.poll_not_open
    await hall.check_in(hall.deputy_ids[19])
    await sealed.open_poll(poll_id, STAFF)
    poll = await polls.get_poll(poll_id)
    assert poll["status"] == "open" and poll["sitting"] == hall.sitting_id


async def test_a_count_without_quorum_has_no_winners(hall):
    """Opening needs the quorum, but a count can still lack it (deputies struck off the roll
    mid-vote, results stored before the rule): the count says no_quorum."""
    from voting.tables import CheckIn

    await hall.check_in(*hall.deputy_ids[:20])
    poll_id = await hall.poll(candidates=3, seats=1, threshold_base="none")
    for deputy in hall.deputy_ids[:19]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await CheckIn.delete().where(CheckIn.deputy == hall.deputy_ids[19])
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["status"] == "no_quorum" and result["winners"] == []
    assert result["candidates"][0]["for"] == 19


async def test_a_batch_cast_together_gets_the_outcomes_of_casting_one_by_one(hall):
    """The writer casts the ballots waiting together in a few set-wise statements
    (ballot_box._cast_many): the same deputy twice, an absent one, one who took a paper
    ballot, a poll not open, each still gets what casting them in order would give."""
    from voting import paper
    from voting.database import write_transaction

    twice, absent, on_paper, fine = hall.deputy_ids[10:14]
    await hall.check_in(*[d for d in hall.deputy_ids if d != absent])
    poll_id = await hall.poll()
    draft = await hall.poll(open_=False)
    await paper.issue_paper(poll_id, on_paper, STAFF)
    ballot = await ballot_box.ballot_for(poll_id)
    box = {name: sealed.seal(ballot, marks) for name, marks in
           (("first", {"P01": "for"}), ("blank", {}), ("second", {"P02": "for"}), ("fine", {"P03": "against"}))}
    items = [(poll_id, twice, box["first"]), (poll_id, absent, box["blank"]), (poll_id, on_paper, box["blank"]),
             (poll_id, twice, box["second"]), (draft, fine, box["blank"]), (poll_id, fine, box["fine"])]
    async with write_transaction():
        outcomes = await ballot_box._cast_many(items)
    assert outcomes == [Outcome.accepted, Outcome.not_present, Outcome.paper_issued, Outcome.already_voted,
                        Outcome.poll_not_open, Outcome.accepted]
    stored = sorted(b["box"] for b in await ballots_of(poll_id))
    assert stored == sorted([box["first"], box["fine"]])
    assert await ballots_of(draft) == []
    assert await sealed.cast(poll_id, fine, {"P01": "for"}) is Outcome.already_voted


async def test_a_crowd_casting_at_once_through_the_writer_counts_each_deputy_once(hall):
    await hall.check_in()
    poll_id = await hall.poll()
    # Every deputy twice, all at once: the writer batches them; one ballot each goes in.
    outcomes = await asyncio.gather(*(sealed.cast(poll_id, deputy, {"P01": "for"})
                                      for deputy in hall.deputy_ids * 2))
    assert outcomes.count(Outcome.accepted) == len(hall.deputy_ids)
    assert outcomes.count(Outcome.already_voted) == len(hall.deputy_ids)
    assert len(await ballots_of(poll_id)) == len(hall.deputy_ids)
    assert await PollVoter.count().where((PollVoter.poll == poll_id) & (PollVoter.voted == True)) \
        == len(hall.deputy_ids)  # noqa: E712
