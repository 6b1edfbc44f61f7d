"""One login code opens one deputy's tablet, and issuing codes works however many clerks (or
rehearsals on several app workers) issue them at the same moment: before issuing was serialised,
two issuers drawing the same code made the second fail on the unique index (a server error)."""

from __future__ import annotations

import asyncio
import itertools

from tests.hall import STAFF, make_hall
from voting import accounts
from voting.tables import Deputy


async def test_two_issuers_at_once_never_give_two_deputies_one_code(monkeypatch):
    first, second = await make_hall(deputies=6), await make_hall(deputies=6)
    # Both issuers draw the same codes in the same order, as two workers might by chance: each must
    # see the codes the other gave before it gives its own.
    draws: dict[asyncio.Task, itertools.count] = {}

    def same_sequence() -> str:
        counter = draws.setdefault(asyncio.current_task(), itertools.count(41_000_000))
        return str(next(counter))

    monkeypatch.setattr(accounts, "new_login_code", same_sequence)
    issued_a, issued_b = await asyncio.gather(accounts.issue_login_codes(first.deputy_ids, STAFF),
                                              accounts.issue_login_codes(second.deputy_ids, STAFF))
    codes = [code for code, _ in [*issued_a.values(), *issued_b.values()]]
    assert len(set(codes)) == len(codes) == 12
    for issued in (issued_a, issued_b):
        for deputy_id, (code, _) in issued.items():
            _, viewer = await accounts.deputy_login(code, f"10.8.{deputy_id % 250}.1")
            assert viewer.id == deputy_id


async def test_the_database_refuses_a_second_deputy_with_the_same_code():
    hall = await make_hall(deputies=2)
    taken = (await Deputy.select(Deputy.login_code_hash).where(Deputy.id == hall.deputy_ids[0]).first())
    try:
        await Deputy.update({Deputy.login_code_hash: taken["login_code_hash"]}).where(Deputy.id == hall.deputy_ids[1])
    except Exception as error:  # sqlite3.IntegrityError / asyncpg.UniqueViolationError
        assert "unique" in str(error).lower()
    else:
        raise AssertionError("two deputies were given one login code")
