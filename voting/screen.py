"""What the hall's big screen (大屏) shows, gathered from the database alone.

`screen_state(session_id)` reads everything afresh, so every app worker answers the
same and no broker is needed between workers: a screen connected to any worker sees
what was written through any other. The state is a plain dict, ready for JSON:

- the session's name and attendance (应到, 实到, 法定人数, whether it is met);
- the poll on screen: the newest poll of the session that is not a draft, an open or
  counting one first. Its title, round, status and the phase the screen shows
  (`voting`, `counting`, `awaiting` the scrutineers' confirmation, `published`);
- its figures: present, issued and returned (returned counts every `Ballot` row, so
  paper ballots already counted are included with the tablets' ones);
- per-candidate running counts only when the poll's `show_running_totals` is set and
  the vote is not yet closed, and then only in steps that never reveal one ballot
  (voting.disclosure: tallies of 20 ballots or more, shown 20 ballots late);
- while a poll is open, each check-in or new login code a second staff member approved
  from the console (代表 X 由工作人员补签到 / 代表 X 重置登录码, voting.approvals);
- the result only once `Poll.published_at` is set: winners in order, runoff candidates,
  the bar (`required`) and each candidate's approvals or verdict, from the result in
  force (`scrutiny.current_result`: the newest correction's, else the count at the close).
  A further vote (另行票决) also lists the projects chosen in the published earlier rounds.

Nothing here reads who voted: only counts of the register, counts of the ballot box and
the published result. The one place a deputy is named is the announcement of a staff
check-in or new login code, which the hall must see. `version` is a hash of the rest, so a
client (or the event stream) can tell an unchanged state at a glance.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

from voting import approvals, ballot_opening, disclosure, polls, rules, scrutiny, sittings
from voting.database import fetch, fetch_value, is_sqlite, write_transaction
from voting.poll_settings import parse_fraction, to_rules
from voting.rules import DEFAULT_QUORUM, STATUS_LABELS, VERDICT_LABELS
from voting.tables import Candidate, Poll, ResultCorrection, ScreenTally
from voting.times import beijing

LIVE = ("open", "counting")
PHASE_LABELS = {
    "idle": "等待票决",
    "voting": "投票进行中",
    "counting": "投票结束，正在计票",
    "awaiting": "计票完毕，待监票人确认",
    "published": "票决结果",
}


def round_label(number: int) -> str:
    """第二轮另行票决 for a further vote; nothing for the first round."""
    return f"第{sittings.chinese_number(number)}轮另行票决" if number and number > 1 else ""


def _phase(poll: dict[str, Any]) -> str:
    if poll["status"] == "open":
        return "voting"
    if poll["status"] == "counting":
        return "counting"
    return "published" if poll["published_at"] is not None else "awaiting"


async def _poll_on_screen(session_id: int) -> dict[str, Any] | None:
    rows = await fetch("SELECT id, status FROM poll WHERE session = {} AND status <> {} ORDER BY id DESC",
                       session_id, "draft")
    if not rows:
        return None
    chosen = next((r for r in rows if r["status"] in LIVE), rows[0])
    return await Poll.select().where(Poll.id == chosen["id"]).first()


def _version(state: dict[str, Any]) -> str:
    text = json.dumps(state, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def screen_state(session_id: int) -> dict[str, Any]:
    """Everything the big screen shows for a session; raises NotFound for no such session."""
    session = await sittings.session_context(session_id)
    poll = await _poll_on_screen(session_id)
    quorum = (parse_fraction(poll["quorum_fraction"]) if poll else None) or DEFAULT_QUORUM
    attendance = await sittings.attendance(session_id, quorum, sitting_id=poll["sitting"] if poll else None)
    sitting = attendance.sitting
    state: dict[str, Any] = {
        "session": {"id": session_id, "name": session["name"]},
        "sitting": {"name": sitting["name"], "status": sitting["status"]} if sitting else None,
        "announcements": (await approvals.announcements(session_id, poll["opened_at"])
                          if poll is not None and poll["status"] == "open" else []),
        "attendance": {"entitled": attendance.entitled, "present": attendance.present,
                       "quorum_needed": attendance.quorum_needed, "quorum_met": attendance.quorum_met},
        "phase": "idle",
        "phase_label": PHASE_LABELS["idle"],
        "poll": None,
    }
    if poll is not None:
        state["poll"] = await _poll_state(poll, attendance)
        state["phase"] = state["poll"]["phase"]
        state["phase_label"] = state["poll"]["phase_label"]
    state["version"] = _version(state)
    return state


async def _poll_state(poll: dict[str, Any], attendance: sittings.Attendance) -> dict[str, Any]:
    phase = _phase(poll)
    issued = int(await fetch_value("SELECT COUNT(*) AS n FROM poll_voter WHERE poll = {}", poll["id"]))
    returned = await ballot_opening.in_box(poll["id"])
    if poll["status"] == "closed" and poll["present"] is not None:
        # The figures the count used, frozen at the close (people checking in later do not change them).
        entitled, present, issued = poll["entitled"], poll["present"], poll["issued"]
    else:
        entitled, present = attendance.entitled, attendance.present
    candidates = await Candidate.select(Candidate.ref, Candidate.title).where(
        Candidate.poll == poll["id"]).order_by(Candidate.position)
    label = PHASE_LABELS[phase]
    if phase == "published" and poll["method"] == "satisfaction":
        label = "测评结果"
    state: dict[str, Any] = {
        "ref": poll["ref"],
        "title": poll["title"],
        "method": poll["method"],
        "seats": poll["seats"],
        "candidate_count": len(candidates),
        "round": poll["round"] or 1,
        "round_label": round_label(poll["round"] or 1),
        "runoff_of": None,
        "status": poll["status"],
        "phase": phase,
        "phase_label": label,
        "figures": {"entitled": entitled, "present": present, "issued": issued, "returned": returned},
        "running": None,
        "result": None,
    }
    if poll["runoff_of"]:
        earlier = await Poll.select(Poll.title).where(Poll.id == poll["runoff_of"]).first()
        state["runoff_of"] = earlier["title"] if earlier else None
    if poll["status"] in LIVE and poll["show_running_totals"]:
        # Tablet ballots stay sealed until the count: running totals cover opened (paper) ballots only.
        opened = int(await fetch_value("SELECT COUNT(*) AS n FROM ballot WHERE poll = {}", poll["id"]))
        state["running"] = await _running(poll, candidates, entitled, present, issued, opened)
    if phase == "published":
        state["result"] = await _published(poll, candidates)
    return state


async def _running(poll: dict[str, Any], candidates: list[dict[str, Any]], entitled: int, present: int,
                   issued: int, returned: int) -> dict[str, Any] | None:
    """The count as of the tally the screen may show (voting.disclosure), over valid ballots, by
    the same rules the close applies; None while there is none to show yet."""
    taken = [r["returned"] for r in await ScreenTally.select(ScreenTally.returned).where(ScreenTally.poll == poll["id"])]
    if disclosure.take_tally(returned, taken):
        taken.append(await _take_tally(poll, candidates, entitled, present, issued))
    shown = disclosure.tally_to_show(returned, taken)
    if shown is None:
        return None
    row = await ScreenTally.select(ScreenTally.totals).where(
        (ScreenTally.poll == poll["id"]) & (ScreenTally.returned == shown)).output(load_json=True).first()
    return {**row["totals"], "returned": shown} if row else None


async def _take_tally(poll: dict[str, Any], candidates: list[dict[str, Any]], entitled: int, present: int,
                      issued: int) -> int:
    """Count the ballot box now and keep it as a tally, unless another worker just took one
    within a step (the check and the insert run under one lock per poll). Returns its count."""
    async with write_transaction():
        if not is_sqlite():
            await fetch("SELECT pg_advisory_xact_lock(7301, {})", poll["id"])
        ballots = await polls.stored_ballots(poll["id"])
        taken = [r["returned"] for r in await ScreenTally.select(ScreenTally.returned).where(
            ScreenTally.poll == poll["id"])]
        if not disclosure.take_tally(len(ballots), taken):
            return max(taken)
        poll_rules = to_rules(poll, candidates, entitled, present, issued)
        counted = rules.count(poll_rules, ballots)
        titles = {c["ref"]: c["title"] for c in candidates}
        values = rules.METHOD_VALUES[poll["method"]]
        totals = {
            "valid": counted.valid,
            "required": counted.required if poll["method"] == "approval"
            else _satisfaction_bar(poll_rules, counted.valid),
            "candidates": [{"ref": line.id, "title": titles[line.id], **{v: line.counts[v] for v in values}}
                           for line in counted.candidates],
        }
        await ScreenTally.insert(ScreenTally(poll=poll["id"], returned=len(ballots), totals=totals))
    return len(ballots)


def _satisfaction_bar(poll_rules: rules.PollRules, valid: int) -> int:
    return rules.required_votes(rules.threshold_base_count(poll_rules, valid), poll_rules.threshold)


async def _published(poll: dict[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    result = await scrutiny.current_result(poll)  # the latest correction's, or the count at the close
    if result is None:
        return None
    titles = {c["ref"]: c["title"] for c in candidates}
    method = result["method"]
    values = rules.METHOD_VALUES[method]
    winners = list(result.get("winners") or [])
    runoff = list(result.get("runoff") or [])
    lines = []
    for entry in result["candidates"]:
        line: dict[str, Any] = {"ref": entry["id"], "title": titles.get(entry["id"], entry["id"])}
        line.update((v, entry.get(v, 0)) for v in values)
        if method == "approval":
            line["passed"] = bool(entry.get("passed"))
            line["rank"] = entry.get("rank")
            line["outcome"] = ("winner" if entry["id"] in winners else "runoff" if entry["id"] in runoff else "")
        else:
            line["verdict"] = entry.get("verdict")
            line["verdict_label"] = VERDICT_LABELS.get(entry.get("verdict") or "", "")
        lines.append(line)
    if method == "approval":  # by rank, the way the result is read out; ties keep the ballot's order
        lines.sort(key=lambda line: (line["rank"] is None, line["rank"] or 0))
    required = result.get("required")
    if method == "satisfaction":
        poll_rules = to_rules(poll, candidates, poll["entitled"] or 0, poll["present"] or 0, poll["issued"] or 0)
        required = _satisfaction_bar(poll_rules, result["valid"])
    return {
        "status": result["status"],
        "status_label": STATUS_LABELS.get(result["status"], result["status"]),
        "returned": result["returned"],
        "valid": result["valid"],
        "invalid": result["invalid"],
        "required": required,
        "candidates": lines,
        "winners": [titles.get(ref, ref) for ref in winners],
        "chosen": await _chosen(poll, titles, winners, result["status"]) if method == "approval" else [],
        "runoff": [titles.get(ref, ref) for ref in runoff],
        "runoff_seats": result.get("runoff_seats", 0),
        "shortfall": result.get("shortfall", 0),
        "corrected": await ResultCorrection.exists().where(ResultCorrection.poll == poll["id"]),
        "published_at": beijing(poll["published_at"]),
    }


async def published_result(poll: dict[str, Any]) -> dict[str, Any] | None:
    """A poll's result as the screen, the tablets and the open-data feed show it; None until
    the scrutineers have confirmed the count in force and it is published."""
    if poll["published_at"] is None or poll["status"] != "closed":
        return None
    return await _published(poll, await polls.candidates_of(poll["id"]))


async def _chosen(poll: dict[str, Any], titles: dict[str, str], winners: list[str],
                  status: str) -> list[dict[str, Any]]:
    """The projects chosen so far over every round up to this one (a further vote adds to the
    first round's winners), each with its round; only published rounds count."""
    if status != "valid":
        return []
    if (poll["round"] or 1) <= 1:
        return [{"title": titles.get(ref, ref), "round": 1} for ref in winners]
    chosen: list[dict[str, Any]] = []
    for earlier in await polls.rounds_of(poll["id"]):
        if earlier["id"] == poll["id"]:
            break
        result = await scrutiny.current_result(earlier) if earlier["published_at"] is not None else None
        if not result or result.get("status") != "valid":
            return [{"title": titles.get(ref, ref), "round": poll["round"]} for ref in winners]
        names = {c["ref"]: c["title"] for c in await polls.candidates_of(earlier["id"])}
        chosen += [{"title": names.get(ref, ref), "round": earlier["round"] or 1} for ref in result.get("winners", [])]
    return chosen + [{"title": titles.get(ref, ref), "round": poll["round"]} for ref in winners]


async def published_decision(poll_id: int) -> dict[str, Any] | None:
    """What a deputy's tablet shows of a vote once its result is published, read as the screen reads it
    (`_published`): every round of the vote this poll belongs to, first round first, up to the first
    round not yet published; and the decision over those rounds, the chosen projects in rank order
    (a further vote's winners after the first round's), each with its approvals in its own round.
    None while this poll's own result is not published: a count not yet confirmed is never shown."""
    chain = await polls.rounds_of(poll_id)
    if not any(r["id"] == poll_id and r["published_at"] is not None for r in chain):
        return None
    rounds: list[dict[str, Any]] = []
    for poll in chain:
        result = await published_result(poll)
        if result is None:
            break
        rounds.append({"id": poll["id"], "ref": poll["ref"], "title": poll["title"], "method": poll["method"],
                       "round": poll["round"] or 1, "round_label": round_label(poll["round"] or 1),
                       "result": result})
    if not rounds:  # an earlier round's corrected count is not yet confirmed again
        return None
    chosen: list[dict[str, Any]] = []
    for shown in rounds:
        result = shown["result"]
        if shown["method"] != "approval" or result["status"] != "valid":
            break
        winners = sorted((c for c in result["candidates"] if c["outcome"] == "winner"), key=lambda c: c["rank"] or 0)
        chosen += [{"title": c["title"], "for": c["for"], "round": shown["round"]} for c in winners]
    last = rounds[-1]
    following = len(rounds) < len(chain)
    return {"title": rounds[0]["title"], "method": last["method"], "rounds": rounds, "chosen": chosen,
            "status_label": last["result"]["status_label"], "valid": last["result"]["status"] == "valid",
            "runoff": last["result"]["runoff"] if last["result"]["status"] == "valid" else [],
            "runoff_under_way": following, "complete": not following and not last["result"]["runoff"]}


# --- many screens, one count ------------------------------------------------------------

_recent: dict[int, tuple[float, dict[str, Any]]] = {}
_in_flight: dict[tuple[int, int], asyncio.Task[dict[str, Any]]] = {}


async def recent_screen_state(session_id: int, max_age: float = 0.5) -> dict[str, Any]:
    """`screen_state`, reused for `max_age` seconds within this process.

    However many screens and fallback pollers watch a session, a worker then counts at
    most about twice a second for it; callers arriving while a count runs wait for that
    one. The shared count is shielded: a screen that goes away does not cancel it for
    the others.
    """
    hit = _recent.get(session_id)
    if hit is not None and time.monotonic() - hit[0] <= max_age:
        return hit[1]
    key = (id(asyncio.get_running_loop()), session_id)
    task = _in_flight.get(key)
    if task is None:
        task = asyncio.ensure_future(_refresh(session_id))
        _in_flight[key] = task
        task.add_done_callback(lambda done: (_in_flight.pop(key, None),
                                             done.cancelled() or done.exception()))
    return await asyncio.shield(task)


async def _refresh(session_id: int) -> dict[str, Any]:
    started = time.monotonic()
    state = await screen_state(session_id)
    _recent[session_id] = (started, state)
    return state
