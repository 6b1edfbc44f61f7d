"""会前演练 data on the server: a rehearsal congress made, used and removed as a whole.

A rehearsal (`python -m voting rehearse`, voting.rehearsal) runs a real vote: real
deputies, login codes, check-ins, a real poll counted by the real code. All of it lives
in a congress of its own marked `Congress.rehearsal`, so it is never mixed with real
work: the console's lists leave rehearsal congresses out (voting.sittings), a real term,
session, roster or poll cannot be put into one and a rehearsal poll cannot go into a
real session (voting.polls.create_poll), and `remove` deletes everything of a rehearsal
congress in one transaction and refuses any other congress.

The audit log keeps what happened during a rehearsal (it is only ever added to); its
entries name the rehearsal deputies (numbers `R0001` …, names `演练代表0001` …).
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timezone
from typing import Any

from voting import accounts, audit, polls
from voting.audit import Actor
from voting.database import fetch, fetch_value, write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.poll_settings import MAX_CANDIDATES, CandidateInput, PollSettings
from voting.tables import Congress, Delegation, Deputy, Poll, ScrutinyMember, Session, Sitting, Term

log = logging.getLogger("piaojue.rehearsal")

MAX_DEPUTIES = 5000
DEPUTIES_PER_DELEGATION = 100
INSERT_CHUNK = 1000  # rows per INSERT, well under the engines' 32,766 parameters
NAME_PREFIX = "会前演练"


MIN_DEPUTIES = 3


def problems(deputies: Any, candidates: Any, seats: Any) -> list[str]:
    """Every reason a rehearsal of this size cannot be made (Chinese); empty when it can."""
    found = []
    if not _is_int(deputies) or not MIN_DEPUTIES <= deputies <= MAX_DEPUTIES:
        found.append(f"代表人数必须是 {MIN_DEPUTIES} 到 {MAX_DEPUTIES} 之间的整数（其中三位担任演练的总监票人和监票人，保管钥匙卡）。")
    if not _is_int(candidates) or not 2 <= candidates <= MAX_CANDIDATES:
        found.append(f"候选项目数必须是 2 到 {MAX_CANDIDATES} 之间的整数。")
    if not _is_int(seats) or seats < 1:
        found.append("应选项目数必须是不小于 1 的整数。")
    elif _is_int(candidates) and seats >= candidates:
        found.append(f"差额票决的候选项目数（{candidates} 个）必须多于应选数（{seats} 个）。")
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _poll_settings(candidates: int, seats: int, run: int) -> PollSettings:
    return PollSettings(
        title=f"会前演练票决（第 {run} 轮）", method="approval", seats=seats, max_approvals=None,
        non_competitive=False, threshold_base="entitled", threshold_fraction="1/2", threshold_strict=True,
        quorum_fraction="2/3",
        candidates=tuple(CandidateInput(f"演练项目{n:02d}", "会前演练的模拟候选项目", "演练") for n in range(1, candidates + 1)),
    )


async def _rehearsal_poll(session_id: int, candidates: int, seats: int, run: int, actor: Actor) -> int:
    """A draft poll whose ref says it is a rehearsal (`rehearsal-<time>-<id>`): ids are reused
    once a rehearsal is removed, and no exported file should share a real poll's ref."""
    poll_id = await polls.create_poll(session_id, _poll_settings(candidates, seats, run), actor, rehearsal=True)
    stamp = datetime.now().astimezone().strftime("%Y%m%d%H%M%S")
    await Poll.update({Poll.ref: f"rehearsal-{stamp}-{poll_id}"}).where(Poll.id == poll_id)
    return poll_id


async def _rehearsal_congress(congress_id: int) -> dict[str, Any]:
    congress = await Congress.select().where(Congress.id == congress_id).first()
    if congress is None:
        raise NotFound("没有这个人大。")
    if not congress["rehearsal"]:
        raise Conflict("这不是会前演练的数据：正式的人大、会议和票决不能通过演练接口使用或删除。", code="not_rehearsal")
    return congress


async def _describe(congress_id: int, term_id: int, session_id: int, poll_id: int,
                    codes: dict[int, tuple[str, str]]) -> dict[str, Any]:
    poll = await polls.get_poll(poll_id)
    candidates = await polls.candidates_of(poll_id)
    numbers = {d["id"]: d["number"] for d in
               await Deputy.select(Deputy.id, Deputy.number).where(Deputy.term == term_id)}
    ordered = sorted(codes, key=lambda deputy_id: numbers[deputy_id])
    return {
        "congress_id": congress_id, "term_id": term_id, "session_id": session_id, "poll_id": poll_id,
        "poll_ref": poll["ref"], "poll_title": poll["title"], "method": poll["method"], "seats": poll["seats"],
        "max_approvals": poll["max_approvals"] or poll["seats"],
        "threshold": {"base": poll["threshold_base"], "fraction": poll["threshold_fraction"],
                      "strict": bool(poll["threshold_strict"])},
        "quorum": poll["quorum_fraction"],
        "candidates": [c["ref"] for c in candidates],
        "candidate_titles": {c["ref"]: c["title"] for c in candidates},
        "deputies": len(ordered),
        "codes": [codes[deputy_id][0] for deputy_id in ordered],
    }


async def create(deputies: int, candidates: int, seats: int, actor: Actor) -> dict[str, Any]:
    """A rehearsal congress with one term, one session, `deputies` deputies in delegations of
    about a hundred, fresh login codes and a draft approval poll. Returns what a rehearsal
    client needs, the login codes included (they open nothing but this congress)."""
    found = problems(deputies, candidates, seats)
    if found:
        raise Refused("；".join(found), code="invalid_rehearsal")
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    async with write_transaction():
        congress_id = (await Congress.insert(Congress(name=f"{NAME_PREFIX} {stamp}", level="county", place="演练",
                                                      rehearsal=True)))[0]["id"]
        term_id = (await Term.insert(Term(congress=congress_id, number=1, name="第一届")))[0]["id"]
        session_id = (await Session.insert(Session(term=term_id, number=1, name=f"{NAME_PREFIX} {stamp}",
                                                   starts_on=date.today(), ends_on=date.today())))[0]["id"]
        # One sitting, open from the start: the simulated tablets check in to it and the poll opens in it.
        await Sitting.insert(Sitting(session=session_id, number=1, held_on=date.today(), starts_at="00:00",
                                     ends_at="23:59", status="open", opened_at=datetime.now(timezone.utc)))
        groups = max(1, math.ceil(deputies / DEPUTIES_PER_DELEGATION))
        delegation_ids = []
        for position in range(1, groups + 1):
            rows = await Delegation.insert(Delegation(term=term_id, name=f"演练第{position}代表团", position=position))
            delegation_ids.append(rows[0]["id"])
        people = [Deputy(term=term_id, delegation=delegation_ids[(n - 1) % groups], number=f"R{n:04d}",
                         name=f"演练代表{n:04d}", active=True) for n in range(1, deputies + 1)]
        for start in range(0, len(people), INSERT_CHUNK):
            await Deputy.insert(*people[start:start + INSERT_CHUNK])
        ids = [d["id"] for d in await Deputy.select(Deputy.id).where(Deputy.term == term_id)]
        codes = await accounts.issue_login_codes(ids, actor, reason="会前演练")
        # The first three simulated deputies are the rehearsal's scrutiny team: they hold the key cards.
        await ScrutinyMember.insert(*[ScrutinyMember(session=session_id, deputy=deputy_id, role=role)
                                      for deputy_id, role in zip(sorted(ids), ("chief", "scrutineer", "scrutineer"))])
        poll_id = await _rehearsal_poll(session_id, candidates, seats, 1, actor)
        await audit.record(actor, "rehearsal_created", subject=f"{NAME_PREFIX} {stamp}",
                           detail={"congress": congress_id, "deputies": deputies, "candidates": candidates,
                                   "seats": seats})
        return await _describe(congress_id, term_id, session_id, poll_id, codes)


async def add_poll(congress_id: int, candidates: int, seats: int, actor: Actor) -> dict[str, Any]:
    """Reuse a kept rehearsal congress: a new draft poll in its session and fresh login codes
    for its deputies (earlier codes and tablet logins stop working). Check-ins stand."""
    found = problems(MIN_DEPUTIES, candidates, seats)
    if found:
        raise Refused("；".join(found), code="invalid_rehearsal")
    async with write_transaction():
        congress = await _rehearsal_congress(congress_id)
        term = await Term.select(Term.id).where(Term.congress == congress_id).first()
        session = await Session.select(Session.id).where(Session.term == term["id"]).first() if term else None
        if session is None:
            raise NotFound("这个演练人大没有会议。")
        runs = await Poll.count().where(Poll.session == session["id"])
        ids = [d["id"] for d in await Deputy.select(Deputy.id).where(
            (Deputy.term == term["id"]) & (Deputy.active == True))]  # noqa: E712
        codes = await accounts.issue_login_codes(ids, actor, reason="会前演练")
        poll_id = await _rehearsal_poll(session["id"], candidates, seats, runs + 1, actor)
        await audit.record(actor, "rehearsal_poll_created", subject=congress["name"],
                           detail={"congress": congress_id, "poll": poll_id, "candidates": candidates, "seats": seats})
        return await _describe(congress_id, term["id"], session["id"], poll_id, codes)


async def rehearsal_poll(poll_id: int) -> dict[str, Any]:
    """The poll, if it is a rehearsal poll; Conflict for a real one (the console runs those)."""
    poll = await polls.get_poll(poll_id)
    row = await Session.select(Session.term.congress.rehearsal.as_alias("rehearsal")).where(
        Session.id == poll["session"]).first()
    if not (row and row["rehearsal"]):
        raise Conflict("这不是会前演练的票决：正式票决请在秘书处控制台开始和结束。", code="not_rehearsal")
    return poll


async def rehearsals() -> list[dict[str, Any]]:
    """The rehearsal congresses still stored (kept with --keep, or left by an interrupted run)."""
    rows = await Congress.select(Congress.id, Congress.name).where(Congress.rehearsal == True).order_by(  # noqa: E712
        Congress.id)
    found = []
    for row in rows:
        deputies = await fetch_value(
            "SELECT COUNT(*) AS n FROM deputy d JOIN term t ON t.id = d.term WHERE t.congress = {}", row["id"])
        poll_rows = await fetch(
            "SELECT p.id, p.ref, p.status FROM poll p JOIN sitting s ON s.id = p.session "
            "JOIN term t ON t.id = s.term WHERE t.congress = {} ORDER BY p.id", row["id"])
        found.append({"congress_id": row["id"], "name": row["name"], "deputies": int(deputies or 0),
                      "polls": poll_rows})
    return found


# What `remove` deletes, children first: (label, table, column, the ids that column points to).
_POLLS = ("SELECT p.id FROM poll p JOIN sitting s ON s.id = p.session JOIN term t ON t.id = s.term "
          "WHERE t.congress = {}")
_SESSIONS = "SELECT s.id FROM sitting s JOIN term t ON t.id = s.term WHERE t.congress = {}"
_DEPUTIES = "SELECT d.id FROM deputy d JOIN term t ON t.id = d.term WHERE t.congress = {}"
_TERMS = "SELECT t.id FROM term t WHERE t.congress = {}"
_STEPS = (
    ("ballots", "ballot", "poll", _POLLS),
    ("sealed_ballots", "sealed_ballot", "poll", _POLLS),
    ("keys", "poll_key", "poll", _POLLS),
    ("register", "poll_voter", "poll", _POLLS),
    ("register", "poll_voter", "deputy", _DEPUTIES),
    ("paper_entries", "paper_entry", "poll", _POLLS),
    ("paper_serials", "paper_serial", "poll", _POLLS),
    ("confirmations", "confirmation", "poll", _POLLS),
    ("confirmations", "confirmation", "deputy", _DEPUTIES),
    ("corrections", "result_correction", "poll", _POLLS),
    ("screen_tallies", "screen_tally", "poll", _POLLS),
    ("approvals", "staff_approval", "session", _SESSIONS),
    ("approvals", "staff_approval", "deputy", _DEPUTIES),
    ("notices", "notice", "session", _SESSIONS),
    ("candidates", "candidate", "poll", _POLLS),
    ("scrutiny", "scrutiny_member", "session", _SESSIONS),
    ("scrutiny", "scrutiny_member", "deputy", _DEPUTIES),
    ("check_ins", "check_in", "session", _SESSIONS),
    ("check_ins", "check_in", "deputy", _DEPUTIES),
    ("logins", "login_session", "deputy", _DEPUTIES),
    ("login_links", "login_link", "deputy", _DEPUTIES),
    ("help_requests", "help_request", "deputy", _DEPUTIES),
)


async def remove(congress_id: int, actor: Actor) -> dict[str, int]:
    """Delete a rehearsal congress and everything in it, in one transaction, with an audit
    entry; Conflict (nothing deleted) for a real congress. Returns the rows removed by kind."""
    removed: dict[str, int] = {}

    async def delete(label: str, sql: str, *args: Any) -> None:
        rows = await fetch(sql + " RETURNING 1 AS n", *args)
        removed[label] = removed.get(label, 0) + len(rows)

    try:
        async with write_transaction():
            congress = await _rehearsal_congress(congress_id)
            for label, table, column, ids in _STEPS:
                await delete(label, f"DELETE FROM {table} WHERE {column} IN ({ids})", congress_id)
            await fetch(f"UPDATE poll SET runoff_of = NULL WHERE id IN ({_POLLS})", congress_id)
            await delete("polls", f"DELETE FROM poll WHERE id IN ({_POLLS})", congress_id)
            await delete("sittings", f"DELETE FROM plenary_sitting WHERE session IN ({_SESSIONS})", congress_id)
            await delete("sessions", f"DELETE FROM sitting WHERE id IN ({_SESSIONS})", congress_id)
            await delete("deputies", f"DELETE FROM deputy WHERE id IN ({_DEPUTIES})", congress_id)
            await delete("delegations", f"DELETE FROM delegation WHERE term IN ({_TERMS})", congress_id)
            await delete("terms", "DELETE FROM term WHERE congress = {}", congress_id)
            await delete("congress", "DELETE FROM congress WHERE id = {} AND rehearsal = {}", congress_id, True)
            await audit.record(actor, "rehearsal_removed", subject=congress["name"],
                               detail={"congress": congress_id, **removed})
    except Refused:
        raise
    except Exception:  # another module's rows point into the rehearsal congress (a foreign key refuses)
        log.exception("removing rehearsal congress %s failed", congress_id)
        raise Conflict("演练数据被其他记录引用（例如在演练人大中建立了征集或项目），未能删除；数据没有改动。",
                       code="rehearsal_in_use") from None
    return removed


async def record_outcome(congress_id: int, poll_ref: str, found: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """What the rehearsal client found, kept for the pre-flight check (voting.preflight). The
    server checks what it can itself: the poll is this rehearsal's and counted, and its stored
    count took exactly the ballots the client says were accepted, one from each simulated
    deputy. A rehearsal is recorded as passed only if the client and these checks agree."""
    async with write_transaction():
        congress = await _rehearsal_congress(congress_id)
        poll = await polls.get_poll_by_ref(str(poll_ref or ""))
        if poll["id"] not in {row["id"] for row in await fetch(_POLLS, congress_id)}:
            raise Refused("这次票决不属于该演练人大。", code="not_this_rehearsal")
        if poll["status"] != "closed":
            raise Conflict("演练票决计票后才能记录演练结果。", code="not_closed")
        deputies = await fetch_value(f"SELECT COUNT(*) FROM deputy WHERE id IN ({_DEPUTIES})", congress_id)
        returned = (polls.stored_result(poll) or {}).get("returned")
        accepted = found.get("accepted")
        agrees = isinstance(accepted, int) and accepted == returned == deputies
        outcome = {"poll": poll["id"], "deputies": deputies, "accepted": accepted,
                   "passed": bool(found.get("passed")) and agrees,
                   "throughput": round(float(found.get("throughput") or 0), 1),
                   "p99": found.get("p99") if isinstance(found.get("p99"), (int, float)) else None}
        await audit.record(actor, "rehearsal_reported", subject=congress["name"], detail=outcome)
    return outcome
