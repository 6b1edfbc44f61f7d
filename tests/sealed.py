"""The sealed ballot as tests drive it: a key for each poll opened, marks sealed as a tablet seals
them, and the count opened with the cards.

`open_poll` stands in for the key ceremony when a test is not about it: it stores a poll key
(k = 2 of 3) the way voting.key_ceremony does, without asking for a scrutiny team, and keeps
the cards here, as the scrutineers would keep them in their envelopes. The ceremony itself, with
its preconditions, is tested in tests/voting/test_key_ceremony.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from voting import ballot_box, key_ceremony, polls, scrutiny, secrecy, signed_seal
from voting.audit import Actor
from voting.tables import Poll, PollKey

CARDS: dict[int, list[str]] = {}
HOLDERS = json.dumps([{"x": 1, "role": "chief", "role_label": "总监票人", "name": "测试甲", "number": "T1"},
                      {"x": 2, "role": "scrutineer", "role_label": "监票人", "name": "测试乙", "number": "T2"},
                      {"x": 3, "role": "presidium", "role_label": "主席团（备用）", "name": "主席团", "number": ""}],
                     ensure_ascii=False)


async def give_key(poll_id: int) -> list[str]:
    """The poll's cards (a key made now if it has none yet; a further vote's are its first round's)."""
    if poll_id in CARDS and await key_ceremony.key_in_force(poll_id) is not None:
        return CARDS[poll_id]
    row = await Poll.select(Poll.runoff_of).where(Poll.id == poll_id).first()
    if row and row["runoff_of"]:
        CARDS[poll_id] = await give_key(row["runoff_of"])
        return CARDS[poll_id]
    key = secrecy.make_poll_key(2, 3)
    await PollKey.insert(PollKey(poll=poll_id, public_key=key.public_key.hex(), fingerprint=key.fingerprint,
                                 threshold=2, holders=HOLDERS, made_by="测试"))
    CARDS[poll_id] = [s.text for s in key.shares]
    return CARDS[poll_id]


async def open_poll(poll_id: int, actor: Actor) -> None:
    await give_key(poll_id)
    await polls.open_poll(poll_id, actor)


seal = ballot_box.seal_for


async def cast(poll_id: int, deputy_id: int, marks: Mapping[str, str], *, check: bool = True) -> ballot_box.Outcome:
    """A tablet's cast: the marks checked as the tablet checks them (unless `check` is off: a forged
    tablet), sealed to the poll's key, sent."""
    ballot = await ballot_box.ballot_for(poll_id)
    if not ballot.public_key:  # no ceremony yet: the poll is a draft, the box refuses whatever comes
        return await ballot_box.cast(poll_id, deputy_id, "")
    if check and ballot.poll["status"] == "open":
        ballot_box.check_marks(ballot, marks)
    return await ballot_box.cast(poll_id, deputy_id, seal(ballot, marks))


async def close_poll(poll_id: int, actor: Actor, cards: int = 2) -> dict:
    """The count, with `cards` of the poll's key cards presented."""
    await give_key(poll_id)
    return await polls.close_poll(poll_id, actor, CARDS.get(poll_id, [])[:cards])


def signing_seed(deputy_id: int) -> bytes:
    """The signing key a scrutineer's tablet keeps (one per deputy, the same across polls)."""
    return hashlib.sha256(f"piaojue-test-signing-key-{deputy_id}".encode()).digest()


def signed_form(statement: str, deputy_id: int) -> dict[str, str]:
    """What the tablet's static/seal_signature.js adds to the confirm form: public key and signature."""
    public_key, signature = signed_seal.sign(signing_seed(deputy_id), statement)
    return {"statement": statement, "public_key": public_key, "signature": signature}


async def confirm_on_tablet(poll_id: int, deputy_id: int, actor: Actor) -> None:
    """A scrutineer confirms on their tablet: the statement the page would show, signed."""
    statement = await scrutiny.statement_for(await polls.get_poll(poll_id), deputy_id)
    form = signed_form(statement.text if statement else "", deputy_id)
    await scrutiny.confirm(poll_id, deputy_id, "tablet", actor,
                           signed=scrutiny.Signed(form["statement"], form["public_key"], form["signature"]))
