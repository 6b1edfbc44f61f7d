"""The ballot box: issuing a ballot to a present deputy and taking it back, once.

Casting writes two rows that share nothing: the register row (`poll_voter`: this
deputy has voted) and the ballot (`ballot`: a random id and the marks). One
statement decides whether the deputy may still vote — an upsert on the register
that only succeeds while `voted` is false — so two tablets, a double tap or a
replayed request can never put in a second ballot, whatever the concurrency.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Mapping

from voting import rules
from voting.database import fetch, is_sqlite
from voting.errors import Conflict, NotFound, Refused
from voting.group_commit import writer
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


async def ballot_for(poll_id: int) -> OpenBallot:
    poll = await Poll.select().where(Poll.id == poll_id).first()
    if poll is None:
        raise NotFound("没有这次票决。")
    candidates = await Candidate.select().where(Candidate.poll == poll_id).order_by(Candidate.position)
    cap = (poll["max_approvals"] or poll["seats"]) if poll["method"] == "approval" else None
    return OpenBallot(poll, candidates, cap)


def check_marks(ballot: OpenBallot, marks: Mapping[str, str]) -> dict[str, str]:
    """Clean marks (blank choices dropped) or Refused with every problem in Chinese."""
    cleaned = {ref: value for ref, value in marks.items() if value}
    found = rules.ballot_problems(ballot.poll["method"], [c["ref"] for c in ballot.candidates], ballot.cap, cleaned)
    if found:
        raise Refused("；".join(found), code="invalid_ballot")
    return cleaned


async def _poll_open_in_session(poll_id: int) -> int | None:
    """The poll's session if it is open. On PostgreSQL the row is share-locked, so
    closing waits until every ballot already being written is in."""
    lock = "" if is_sqlite() else " FOR SHARE"
    rows = await fetch("SELECT status, session FROM poll WHERE id = {}" + lock, poll_id)
    if not rows or rows[0]["status"] != "open":
        return None
    return rows[0]["session"]


async def _present(session_id: int, deputy_id: int) -> bool:
    rows = await fetch("SELECT 1 AS yes FROM check_in WHERE session = {} AND deputy = {}", session_id, deputy_id)
    return bool(rows)


async def _issue_in_transaction(poll_id: int, deputy_id: int) -> Outcome | None:
    session_id = await _poll_open_in_session(poll_id)
    if session_id is None:
        return Outcome.poll_not_open
    if not await _present(session_id, deputy_id):
        return Outcome.not_present
    await fetch(
        "INSERT INTO poll_voter (key, poll, deputy, voted) VALUES ({}, {}, {}, {}) ON CONFLICT (key) DO NOTHING",
        register_key(poll_id, deputy_id), poll_id, deputy_id, False,
    )
    voted = await fetch("SELECT voted, medium FROM poll_voter WHERE key = {}", register_key(poll_id, deputy_id))
    if voted and voted[0]["medium"] == "paper":
        return Outcome.paper_issued
    return Outcome.already_voted if voted and voted[0]["voted"] else None


async def _cast_in_transaction(poll_id: int, deputy_id: int, marks_json: str) -> Outcome:
    session_id = await _poll_open_in_session(poll_id)
    if session_id is None:
        return Outcome.poll_not_open
    if not await _present(session_id, deputy_id):
        return Outcome.not_present
    taken = await fetch(
        """INSERT INTO poll_voter (key, poll, deputy, voted) VALUES ({}, {}, {}, {})
           ON CONFLICT (key) DO UPDATE SET voted = excluded.voted
             WHERE poll_voter.voted = {} AND poll_voter.medium = {}
           RETURNING key""",
        register_key(poll_id, deputy_id), poll_id, deputy_id, True, False, "electronic",
    )
    if not taken:
        medium = await fetch("SELECT medium FROM poll_voter WHERE key = {}", register_key(poll_id, deputy_id))
        return Outcome.paper_issued if medium and medium[0]["medium"] == "paper" else Outcome.already_voted
    await fetch("INSERT INTO ballot (id, poll, marks, void) VALUES ({}, {}, {}, {})",
                new_ballot_id(), poll_id, marks_json, False)
    return Outcome.accepted


async def issue(poll_id: int, deputy_id: int) -> Outcome | None:
    """Hand the ballot to a present deputy's tablet (recorded as issued).

    None when the deputy may now vote; otherwise why not.
    """
    return await writer.run(partial(_issue_in_transaction, poll_id, deputy_id))


async def cast(poll_id: int, deputy_id: int, marks: Mapping[str, str]) -> Outcome:
    """Put a deputy's ballot in the box. Returns only once it is durably stored (or refused)."""
    ballot = await ballot_for(poll_id)
    if ballot.poll["status"] != "open":
        return Outcome.poll_not_open
    cleaned = check_marks(ballot, marks)
    marks_json = json.dumps(cleaned, sort_keys=True, ensure_ascii=False)
    return await writer.run(partial(_cast_in_transaction, poll_id, deputy_id, marks_json))


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
