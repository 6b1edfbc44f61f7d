"""Group commit: writes that arrive together share a transaction, and one bad write sinks no other."""

import asyncio
import uuid

import pytest

from voting import audit
from voting.audit import Actor
from voting.errors import Refused
from voting.group_commit import GroupCommitWriter
from voting.tables import AuditEntry


async def test_one_refused_write_in_a_batch_leaves_the_others_committed():
    writer = GroupCommitWriter()
    tag = uuid.uuid4().hex

    def write(n: int):
        async def operation():
            await audit.record(Actor.system(), "check_in", subject=f"{tag}-{n}")
            if n == 5:
                raise Refused("第 5 个写入被拒绝")
            return n
        return operation

    outcomes = await asyncio.gather(*[writer.run(write(n)) for n in range(10)], return_exceptions=True)
    await writer.stop()
    assert [o for o in outcomes if not isinstance(o, Exception)] == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert isinstance(outcomes[5], Refused) and outcomes[5].message == "第 5 个写入被拒绝"
    stored = await AuditEntry.select(AuditEntry.subject).where(AuditEntry.subject.like(f"{tag}-%"))
    assert sorted(r["subject"] for r in stored) == sorted(f"{tag}-{n}" for n in range(10) if n != 5)


async def test_writes_are_answered_only_after_commit():
    writer = GroupCommitWriter()
    tag = uuid.uuid4().hex

    async def operation():
        await audit.record(Actor.system(), "check_in", subject=tag)

    await writer.run(operation)
    # A separate connection sees the row as soon as the caller has its answer.
    assert await AuditEntry.exists().where(AuditEntry.subject == tag)
    await writer.stop()


@pytest.mark.parametrize("size", [1, 300])
async def test_every_caller_gets_its_own_answer(size):
    writer = GroupCommitWriter()

    def value(n):
        async def operation():
            return n * n
        return operation

    assert await asyncio.gather(*[writer.run(value(n)) for n in range(size)]) == [n * n for n in range(size)]
    await writer.stop()


async def test_batched_operations_next_to_each_other_are_done_in_one_call():
    from voting.group_commit import Batched

    writer = GroupCommitWriter()
    calls: list[list[int]] = []

    async def squares(items: list[int]) -> list[int]:
        calls.append(items)
        return [n * n for n in items]

    async def plain() -> str:
        return "plain"

    operations = [Batched(squares, n) for n in range(5)] + [plain] + [Batched(squares, n) for n in range(5, 8)]
    assert await asyncio.gather(*[writer.run(op) for op in operations]) == \
        [0, 1, 4, 9, 16, "plain", 25, 36, 49]
    await writer.stop()
    assert sum(calls, []) == list(range(8)) and len(calls) < 8  # batched, in order, around the plain one


async def test_a_failing_batch_is_retried_one_item_at_a_time():
    from voting.group_commit import Batched

    writer = GroupCommitWriter()

    async def picky(items: list[int]) -> list[int]:
        if 3 in items and len(items) > 1:
            raise RuntimeError("one bad item sinks the shared call")
        if items == [3]:
            raise Refused("第 3 项被拒绝")
        return items

    outcomes = await asyncio.gather(*[writer.run(Batched(picky, n)) for n in range(6)], return_exceptions=True)
    await writer.stop()
    assert [o for o in outcomes if not isinstance(o, Exception)] == [0, 1, 2, 4, 5]
    assert isinstance(outcomes[3], Refused)


async def test_a_hall_checking_in_at_once_is_each_answered_for_itself():
    """When the chair opens the sitting, every tablet checks in within seconds: the check-ins share
    commits, yet each deputy is present once, a second tap changes nothing, and a deputy of another
    term is refused without holding up the rest."""
    from tests.hall import STAFF, make_hall
    from voting import sittings
    from voting.errors import NotFound
    from voting.tables import CheckIn

    hall, other = await make_hall(deputies=120), await make_hall(deputies=2)
    asked = hall.deputy_ids + hall.deputy_ids[:10]
    asked.insert(40, other.deputy_ids[0])
    answers = await asyncio.gather(*(sittings.check_in(hall.session_id, deputy, STAFF) for deputy in asked),
                                   return_exceptions=True)
    stranger = answers.pop(40)
    assert isinstance(stranger, NotFound) and stranger.message == "这位代表不属于本届人大。"
    firsts, again = answers[:120], answers[120:]
    assert firsts == [True] * 120 and again == [False] * 10  # the repeats came after the first taps
    rows = await CheckIn.select(CheckIn.deputy).where(CheckIn.session == hall.session_id)
    assert sorted(r["deputy"] for r in rows) == sorted(hall.deputy_ids)
    assert not await CheckIn.exists().where(CheckIn.session == other.session_id)


async def test_a_hall_logging_in_at_once_gets_a_working_session_each():
    from tests.hall import make_hall
    from voting import accounts

    hall = await make_hall(deputies=100)
    logins = await asyncio.gather(*(accounts.deputy_login(hall.codes[d], "hall-wifi") for d in hall.deputy_ids))
    tokens = [token for token, _ in logins]
    assert len(set(tokens)) == 100 and [viewer.id for _, viewer in logins] == hall.deputy_ids
    viewers = await asyncio.gather(*(accounts.viewer_for_token(token) for token in tokens))
    assert [v.id for v in viewers] == hall.deputy_ids
    labels = [viewer.actor.label for _, viewer in logins]
    entries = await AuditEntry.select(AuditEntry.actor).where(
        (AuditEntry.action == "login") & AuditEntry.actor.is_in(labels))
    assert sorted(e["actor"] for e in entries) == sorted(labels)  # each login on record, once
