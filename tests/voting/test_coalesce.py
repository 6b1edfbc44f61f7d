"""Logins asked about together share one query, and each tablet still gets its own answer,
as of the moment it asked."""

from __future__ import annotations

import asyncio

import pytest

from tests.hall import make_hall
from voting import accounts
from voting.coalesce import Coalesced
from voting.database import write_transaction


async def test_three_hundred_tablets_asking_at_once_each_get_their_own_deputy():
    hall = await make_hall(deputies=300)
    tokens = {}
    for deputy_id in hall.deputy_ids:
        tokens[deputy_id], _ = await accounts.deputy_login(hall.codes[deputy_id], "test")
    asked = list(tokens.items()) * 2 + [(None, "not-a-token"), (None, "")]
    viewers = await asyncio.gather(*(accounts.viewer_for_token(token) for _, token in asked))
    for (deputy_id, _), viewer in zip(asked, viewers):
        if deputy_id is None:
            assert viewer is None
        else:
            assert viewer is not None and viewer.kind == "deputy" and viewer.id == deputy_id
            assert viewer.number == hall.numbers[deputy_id]


async def test_a_login_ended_while_others_are_asked_about_is_refused_at_once():
    hall = await make_hall(deputies=20)
    tokens = [(await accounts.deputy_login(hall.codes[d], "test"))[0] for d in hall.deputy_ids]
    ended = tokens[7]
    assert await accounts.viewer_for_token(ended) is not None
    await accounts.logout(ended, None)
    viewers = await asyncio.gather(*(accounts.viewer_for_token(t) for t in tokens))
    assert viewers[7] is None
    assert [v.id for n, v in enumerate(viewers) if n != 7] == [d for n, d in enumerate(hall.deputy_ids) if n != 7]


async def test_asking_from_inside_a_write_transaction_does_not_borrow_its_connection():
    hall = await make_hall(deputies=3)
    token, _ = await accounts.deputy_login(hall.codes[hall.deputy_ids[0]], "test")
    async with write_transaction():
        viewer = await accounts.viewer_for_token(token)
    assert viewer is not None and viewer.id == hall.deputy_ids[0]


async def test_callers_waiting_together_share_one_read_and_each_hear_its_failure():
    reads: list[list[int]] = []
    gate = asyncio.Event()

    async def squares(keys: list[int]) -> dict[int, int]:
        reads.append(sorted(keys))
        await gate.wait()
        if 13 in keys:
            raise ValueError("unlucky")
        return {k: k * k for k in keys if k != 5}

    reader: Coalesced[int, int] = Coalesced(squares, max_keys=50)
    first = asyncio.ensure_future(reader.get(1))
    await asyncio.sleep(0)
    others = [asyncio.ensure_future(reader.get(k)) for k in range(2, 102)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 1
    results = await asyncio.gather(*others, return_exceptions=True)
    assert reads[0] == [1]  # the first asker did not wait for company
    assert reads[1:] == [list(range(2, 52)), list(range(52, 102))]  # the rest in reads of at most 50
    for key, result in zip(range(2, 102), results):
        if 2 <= key < 52:  # 13 was in this read: everyone in it hears the error
            assert isinstance(result, ValueError)
        elif key == 5:
            assert result is None
        else:
            assert result == key * key
    assert await reader.get(4) == 16  # a failed read leaves the reader working
    with pytest.raises(ValueError):
        await reader.get(13)


async def test_a_caller_that_gives_up_does_not_stop_the_others():
    gate = asyncio.Event()

    async def doubles(keys: list[int]) -> dict[int, int]:
        await gate.wait()
        return {k: 2 * k for k in keys}

    reader: Coalesced[int, int] = Coalesced(doubles)
    callers = [asyncio.ensure_future(reader.get(k)) for k in range(10)]
    await asyncio.sleep(0)
    callers[3].cancel()
    gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert isinstance(results[3], asyncio.CancelledError)
    assert [r for n, r in enumerate(results) if n != 3] == [2 * k for k in range(10) if k != 3]


async def test_tablets_of_several_terms_asking_together_each_get_their_terms_latest_session():
    from tests.hall import STAFF
    from voting import sittings

    first, second = await make_hall(deputies=2), await make_hall(deputies=2)
    later = await sittings.create_session(second.term_id, 4, None, None, STAFF)  # the next session of that term
    asked = [first.term_id, second.term_id] * 50 + [-1]
    sessions = await asyncio.gather(*(sittings.current_session_for_term(term) for term in asked))
    assert sessions[-1] is None
    assert {s["id"] for s in sessions[0:-1:2]} == {first.session_id}
    assert {s["id"] for s in sessions[1:-1:2]} == {later}
