"""The ballot box: issuing a ballot to a present deputy and taking it back, once.

Casting writes two rows that share nothing readable: the register row (`poll_voter`: this
deputy has voted) and the sealed ballot (`sealed_ballot`: a random id and the marks sealed
on the tablet to the poll's key, voting.secrecy). The server never sees the marks of a
tablet ballot; they are opened only at the count, with the scrutineers' key cards
(voting.ballot_opening). One
statement decides whether the deputy may still vote — an upsert on the register
that only succeeds while `voted` is false — so two tablets, a double tap or a
replayed request can never put in a second ballot, whatever the concurrency.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Mapping

from voting import box_stamps, key_ceremony, rules, secrecy
from voting.database import fetch, is_sqlite
from voting.errors import Conflict, NotFound, Refused
from voting.group_commit import Batched, writer
from voting.tables import Candidate, Poll


class Outcome(str, Enum):
    accepted = "accepted"
    already_voted = "already_voted"
    poll_not_open = "poll_not_open"
    not_present = "not_present"
    paper_issued = "paper_issued"


OUTCOME_MESSAGES = {
    Outcome.accepted: "您的选票已投入票箱。",
    Outcome.already_voted: "已投票：您在本次票决中已经投过票，不能再次投票。",
    Outcome.poll_not_open: "本次票决现在没有在投票，选票未被接收。",
    Outcome.not_present: "您尚未签到，请先签到再投票。",
    Outcome.paper_issued: "您已领取纸质选票，请在纸质选票上投票；平板不能再投票。",
}


def register_key(poll_id: int, deputy_id: int) -> str:
    return f"{poll_id:010d}:{deputy_id:010d}"


def new_ballot_id() -> str:
    return "b-" + secrets.token_hex(10)


@dataclass(frozen=True)
class OpenBallot:
    """What a deputy's tablet needs to show the ballot."""

    poll: dict[str, Any]
    candidates: list[dict[str, Any]]
    cap: int | None
    public_key: str = ""  # hex: what the tablet seals the marks to ("" before a key ceremony)

    @property
    def padded_length(self) -> int:
        return secrecy.plaintext_length(len(self.candidates))


def seal_for(ballot: OpenBallot, marks: Mapping[str, str]) -> str:
    """What a tablet sends for these marks: sealed to the ballot's key (static/sealed_ballot.js does it
    in the browser; the rehearsal client, the printed samples and the tests here)."""
    cleaned = {ref: value for ref, value in marks.items() if value}
    return secrecy.seal_marks(bytes.fromhex(ballot.public_key), ballot.poll["ref"], cleaned, len(ballot.candidates))


async def ballot_for(poll_id: int) -> OpenBallot:
    poll = await Poll.select().where(Poll.id == poll_id).first()
    if poll is None:
        raise NotFound("没有这次票决。")
    candidates = await Candidate.select().where(Candidate.poll == poll_id).order_by(Candidate.position)
    cap = (poll["max_approvals"] or poll["seats"]) if poll["method"] == "approval" else None
    key = await key_ceremony.key_in_force(poll_id)
    return OpenBallot(poll, candidates, cap, key["public_key"] if key else "")


# The ballot of an open poll as `cast` checks marks against it, kept a moment: its rules and
# candidates are frozen once it opens, and whether it is still open is decided again inside
# the casting transaction. In a full hall this saves two queries on every ballot, and the
# hundreds of ballots arriving together when it is not yet kept wait for one lookup.
OPEN_BALLOT_MAX_AGE = 2.0
_open_ballots: dict[tuple[int, int], tuple[float, asyncio.Future[OpenBallot]]] = {}


async def open_ballot(poll_id: int) -> OpenBallot:
    now = time.monotonic()
    key = (id(asyncio.get_running_loop()), poll_id)
    kept = _open_ballots.get(key)
    if kept is not None and now - kept[0] <= OPEN_BALLOT_MAX_AGE:
        return await asyncio.shield(kept[1])
    lookup = asyncio.ensure_future(ballot_for(poll_id))
    _open_ballots[key] = (now, lookup)
    try:
        ballot = await asyncio.shield(lookup)
    except BaseException:
        if _open_ballots.get(key, (0, None))[1] is lookup:
            del _open_ballots[key]
        raise
    if ballot.poll["status"] != "open" and _open_ballots.get(key, (0, None))[1] is lookup:
        del _open_ballots[key]
    return ballot


def check_marks(ballot: OpenBallot, marks: Mapping[str, str]) -> dict[str, str]:
    """Clean marks (blank choices dropped) or Refused with every problem in Chinese."""
    cleaned = {ref: value for ref, value in marks.items() if value}
    found = rules.ballot_problems(ballot.poll["method"], [c["ref"] for c in ballot.candidates], ballot.cap, cleaned)
    if found:
        raise Refused("；".join(found), code="invalid_ballot")
    return cleaned


async def _poll_open_in_sitting(poll_id: int) -> int | None:
    """The sitting the poll opened in, if it is open. On PostgreSQL the row is share-locked, so
    closing waits until every ballot already being written is in."""
    lock = "" if is_sqlite() else " FOR SHARE"
    rows = await fetch("SELECT status, sitting FROM poll WHERE id = {}" + lock, poll_id)
    if not rows or rows[0]["status"] != "open":
        return None
    return rows[0]["sitting"] or 0


async def _present(sitting_id: int, deputy_id: int) -> bool:
    rows = await fetch("SELECT 1 AS yes FROM check_in WHERE sitting = {} AND deputy = {}", sitting_id, deputy_id)
    return bool(rows)


async def _issue_in_transaction(poll_id: int, deputy_id: int) -> Outcome | None:
    sitting_id = await _poll_open_in_sitting(poll_id)
    if sitting_id is None:
        return Outcome.poll_not_open
    if not await _present(sitting_id, deputy_id):
        return Outcome.not_present
    await fetch(
        "INSERT INTO poll_voter (key, poll, deputy, voted, stamp) VALUES ({}, {}, {}, {}, {}) ON CONFLICT (key) DO NOTHING",
        register_key(poll_id, deputy_id), poll_id, deputy_id, False,
        box_stamps.register_stamp(poll_id, deputy_id, False, "electronic"),
    )
    voted = await fetch("SELECT voted, medium FROM poll_voter WHERE key = {}", register_key(poll_id, deputy_id))
    if voted and voted[0]["medium"] == "paper":
        return Outcome.paper_issued
    return Outcome.already_voted if voted and voted[0]["voted"] else None


def _rows(count: int, columns: int) -> str:
    """`({}, {}), ({}, {})`: placeholders for a multi-row VALUES or an IN list (columns=1)."""
    row = ", ".join(["{}"] * columns)
    return ", ".join([f"({row})" if columns > 1 else row] * count)


async def _cast_many(items: list[tuple[int, int, str]]) -> list[Outcome]:
    """Cast a batch of sealed ballots (poll, deputy, sealed box) inside the shared transaction.

    Each gets the outcome it would get if they were cast one after another in this
    order, with a handful of statements for the whole batch: the polls (share-locked on
    PostgreSQL, so closing waits for these ballots), who of them is present, one upsert on
    the register that takes the ballot only where the deputy has not voted (the single
    statement that decides, as before), and one insert of the ballots taken. Register rows
    go in key order and the ballots in a random order, so the order they are stored in
    does not pair a ballot with a deputy.
    """
    outcomes: list[Outcome | None] = [None] * len(items)
    polls = sorted({poll_id for poll_id, _, _ in items})
    lock = "" if is_sqlite() else " FOR SHARE"
    rows = await fetch(f"SELECT id, status, sitting FROM poll WHERE id IN ({_rows(len(polls), 1)}) ORDER BY id{lock}",
                       *polls)
    open_in = {r["id"]: r["sitting"] or 0 for r in rows if r["status"] == "open"}
    present: set[tuple[int, int]] = set()
    for poll_id, sitting_id in open_in.items():
        deputies = sorted({deputy_id for p, deputy_id, _ in items if p == poll_id})
        found = await fetch(f"SELECT deputy FROM check_in WHERE sitting = {{}} AND deputy IN ({_rows(len(deputies), 1)})",
                            sitting_id, *deputies)
        present |= {(poll_id, r["deputy"]) for r in found}

    first: dict[str, int] = {}  # register key -> the first item of the batch for it
    for n, (poll_id, deputy_id, _) in enumerate(items):
        if poll_id not in open_in:
            outcomes[n] = Outcome.poll_not_open
        elif (poll_id, deputy_id) not in present:
            outcomes[n] = Outcome.not_present
        else:
            first.setdefault(register_key(poll_id, deputy_id), n)
    if first:
        keys = sorted(first)
        values: list[Any] = []
        for key in keys:
            poll_id, deputy_id, _ = items[first[key]]
            values += [key, poll_id, deputy_id, True, box_stamps.register_stamp(poll_id, deputy_id, True, "electronic")]
        taken = {r["key"] for r in await fetch(
            f"""INSERT INTO poll_voter (key, poll, deputy, voted, stamp) VALUES {_rows(len(keys), 5)}
                ON CONFLICT (key) DO UPDATE SET voted = excluded.voted, stamp = excluded.stamp
                  WHERE poll_voter.voted = {{}} AND poll_voter.medium = {{}}
                RETURNING key""", *values, False, "electronic")}
        refused = [key for key in keys if key not in taken]
        media = {r["key"]: r["medium"] for r in await fetch(
            f"SELECT key, medium FROM poll_voter WHERE key IN ({_rows(len(refused), 1)})", *refused)} if refused else {}
        ballots: list[tuple[str, int, str, str]] = []
        for key in keys:
            n = first[key]
            if key in taken:
                outcomes[n] = Outcome.accepted
                poll_id, _, box = items[n]
                ballots.append((new_ballot_id(), poll_id, box, box_stamps.box_stamp(poll_id, box)))
            else:
                outcomes[n] = Outcome.paper_issued if media.get(key) == "paper" else Outcome.already_voted
        for n, (poll_id, deputy_id, _) in enumerate(items):  # the same deputy again in this batch
            if outcomes[n] is None:
                earlier = outcomes[first[register_key(poll_id, deputy_id)]]
                outcomes[n] = Outcome.already_voted if earlier is Outcome.accepted else earlier
        if ballots:
            ballots = secrecy.shuffled(ballots)
            await fetch(f"INSERT INTO sealed_ballot (id, poll, box, stamp) VALUES {_rows(len(ballots), 4)}",
                        *[value for ballot in ballots for value in ballot])
    return [outcome for outcome in outcomes if outcome is not None]


async def issue(poll_id: int, deputy_id: int) -> Outcome | None:
    """Hand the ballot to a present deputy's tablet (recorded as issued).

    None when the deputy may now vote; otherwise why not.
    """
    return await writer.run(partial(_issue_in_transaction, poll_id, deputy_id))


async def cast(poll_id: int, deputy_id: int, sealed: str) -> Outcome:
    """Put a deputy's sealed ballot in the box. Returns only once it is durably stored (or refused).

    The marks inside are the tablet's to check (the cap on approvals); whatever opens at the
    count to something the rules refuse is counted as an invalid ballot, like a spoiled sheet."""
    ballot = await open_ballot(poll_id)
    if ballot.poll["status"] != "open":
        return Outcome.poll_not_open
    if not isinstance(sealed, str) or not sealed:
        raise Refused("选票没有加密，未被接收。请刷新选票页面后重新投票；如仍不行，请向工作人员领取纸质选票。",
                      code="not_sealed")
    try:
        secrecy.read_sealed(sealed, len(ballot.candidates))
    except ValueError:
        raise Refused("选票加密数据不完整或不属于这次票决，未被接收。请刷新选票页面后重新投票。",
                      code="bad_sealed_ballot") from None
    return await writer.run(Batched(_cast_many, (poll_id, deputy_id, sealed.strip())))


async def has_voted(poll_id: int, deputy_id: int) -> bool:
    rows = await fetch("SELECT voted FROM poll_voter WHERE key = {}", register_key(poll_id, deputy_id))
    return bool(rows and rows[0]["voted"])


def raise_for(outcome: Outcome) -> None:
    """Turn a refusal outcome into the error a page or the API shows."""
    if outcome is Outcome.accepted:
        return
    if outcome in (Outcome.already_voted, Outcome.paper_issued):
        raise Conflict(OUTCOME_MESSAGES[outcome], code=outcome.value)
    raise Refused(OUTCOME_MESSAGES[outcome], code=outcome.value)
