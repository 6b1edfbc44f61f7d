"""The candidate list (候选项目名单) for a session: built from the shortlist, ordered, turned
into a poll's candidates, locked once the poll opens, and moved on by the poll's result.

A proposal on the list has stage `candidate`, the list's session and its position; the
poll made from the list carries the proposal's tracking code as each candidate's
`reference`, which is how the result finds its way back (voting never imports this).
"""

from __future__ import annotations

from typing import Any

from lifecycle import projects, stages
from lifecycle.proposals import Who, get_proposal, move
from lifecycle.tables import Project, Proposal
from voting import audit, polls
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused
from voting.poll_settings import CandidateInput, PollSettings
from voting.tables import Poll, Session

LOCKED = "投票已经开始，候选项目名单已锁定，不能再修改。"


async def candidates(session_id: int) -> list[dict[str, Any]]:
    """The session's list in ballot order; after the vote it still shows where each went."""
    return await Proposal.select(Proposal.all_columns(), Proposal.round.year.as_alias("year")).where(
        Proposal.session == session_id).order_by(Proposal.position)


async def shortlist(session_id: int) -> list[dict[str, Any]]:
    """Shortlisted proposals of the session's congress, ready to go on the list."""
    session = await Session.select(Session.term.congress.as_alias("congress")).where(Session.id == session_id).first()
    if session is None:
        raise NotFound("没有这次会议。")
    return await Proposal.select(Proposal.all_columns(), Proposal.round.year.as_alias("year")).where(
        (Proposal.stage == "shortlisted") & (Proposal.round.congress == session["congress"])).order_by(
        Proposal.supporters, ascending=False)


async def list_poll(session_id: int) -> dict[str, Any] | None:
    """The poll made from this session's list (its newest), if any."""
    row = await Proposal.select(Proposal.poll).where(
        (Proposal.session == session_id) & Proposal.poll.is_not_null()).order_by(Proposal.poll, ascending=False).first()
    return await polls.get_poll(row["poll"]) if row else None


async def _check_unlocked(session_id: int) -> None:
    poll = await list_poll(session_id)
    if poll is not None and poll["status"] != "draft":
        raise Conflict(LOCKED, code="list_locked")


def _require(who: Who) -> None:
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()


async def add(session_id: int, proposal_ids: list[int], who: Who) -> None:
    _require(who)
    async with write_transaction():
        await _check_unlocked(session_id)
        shortlisted = {p["id"] for p in await shortlist(session_id)}
        on_list = await candidates(session_id)
        position = max((p["position"] or 0 for p in on_list), default=0)
        for proposal_id in proposal_ids:
            if proposal_id not in shortlisted:
                proposal = await get_proposal(proposal_id)
                raise Conflict(f"“{proposal['title']}”不是本届人大初审入围的建议，不能列入候选项目。")
            position += 1
            await move(proposal_id, "candidate", who, changes={Proposal.session: session_id,
                                                              Proposal.position: position})


async def remove(session_id: int, proposal_id: int, who: Who, reason: str) -> None:
    _require(who)
    async with write_transaction():
        await _check_unlocked(session_id)
        proposal = await get_proposal(proposal_id)
        if proposal["session"] != session_id:
            raise NotFound("这条建议不在本次会议的候选项目名单上。")
        await move(proposal_id, "shortlisted", who, reason,
                   changes={Proposal.session: None, Proposal.position: None, Proposal.poll: None})
        await _renumber(session_id)


async def _renumber(session_id: int, order: list[int] | None = None) -> None:
    ids = order or [p["id"] for p in await candidates(session_id)]
    for position, proposal_id in enumerate(ids, start=1):
        await Proposal.update({Proposal.position: position}).where(Proposal.id == proposal_id)


async def reorder(session_id: int, order: list[int], who: Who) -> None:
    """Put the list in the given order of proposal ids: that is the order on the ballot."""
    _require(who)
    async with write_transaction():
        await _check_unlocked(session_id)
        current = [p["id"] for p in await candidates(session_id)]
        if sorted(order) != sorted(current):
            raise Refused("排序须包含名单上的每个项目，且每个只出现一次。", code="bad_order")
        await _renumber(session_id, order)
        await audit.record(who.actor, "candidate_list_ordered", subject=str(session_id), detail={"order": order})


def margin(count: int, seats: int) -> dict[str, Any]:
    """How competitive the list is (差额): candidates over seats, as the secretariat reads it."""
    extra = count - seats
    return {"count": count, "seats": seats, "extra": extra, "ratio": round(count / seats, 2) if seats else None,
            "competitive": extra > 0}


def candidate_inputs(rows: list[dict[str, Any]]) -> tuple[CandidateInput, ...]:
    return tuple(CandidateInput(title=p["title"], summary=p["description"][:300],
                                location=f"{p['township']}{p['village']}"[:100], cost_wan=p["cost_wan"],
                                reference=p["code"]) for p in rows)


async def make_poll(session_id: int, settings: PollSettings, who: Who) -> int:
    """The list as a poll's candidates, in list order: a new draft poll, or the list's draft
    poll brought up to date. The rest of the settings (seats, threshold...) come from the form."""
    _require(who)
    async with write_transaction():
        await _check_unlocked(session_id)
        rows = [p for p in await candidates(session_id) if p["stage"] == "candidate"]
        if not rows:
            raise Refused("候选项目名单是空的，请先从初审入围的建议中选择。", code="empty_list")
        settings = PollSettings(**{**settings.__dict__, "method": "approval", "candidates": candidate_inputs(rows)})
        existing = await list_poll(session_id)
        if existing is not None:
            await polls.update_poll(existing["id"], settings, who.actor, reason="按候选项目名单更新")
            poll_id = existing["id"]
        else:
            poll_id = await polls.create_poll(session_id, settings, who.actor)
        await Proposal.update({Proposal.poll: poll_id}).where(Proposal.id.is_in([p["id"] for p in rows]))
    return poll_id


def placements(result: dict[str, Any] | None, codes_by_ref: dict[str, str]) -> dict[str, str]:
    """Where a poll's result puts each listed proposal (by tracking code): `chosen`, `reserve`,
    or `candidate` while undecided (a void poll, one without quorum, a tie awaiting a further
    vote). Pure."""
    codes = {ref: code for ref, code in codes_by_ref.items() if code}
    if not result or result.get("method") != "approval" or result.get("status") != "valid":
        return {code: "candidate" for code in codes.values()}
    winners = {codes.get(ref) for ref in result.get("winners", [])}
    waiting = {codes.get(ref) for ref in result.get("runoff", [])}
    return {code: "chosen" if code in winners else "candidate" if code in waiting else "reserve"
            for code in codes.values()}


async def _listed(poll_id: int) -> tuple[dict[str, Any], dict[str, str], dict[str, dict[str, Any]]]:
    """The poll, its candidates' tracking codes by ref, and the listed proposals by code."""
    poll = await Poll.select(Poll.id, Poll.title).where(Poll.id == poll_id).first()
    codes_by_ref = {c["ref"]: c["reference"] for c in await polls.candidates_of(poll_id)}
    rows = await Proposal.select(Proposal.id, Proposal.code, Proposal.title, Proposal.stage).where(
        (Proposal.poll == await polls.root_of(poll_id)) & Proposal.code.is_in(
            [code for code in codes_by_ref.values() if code] or [""]))
    return poll, codes_by_ref, {row["code"]: row for row in rows}


@polls.on_close
async def apply_result(poll_id: int, result: dict[str, Any], actor: Actor) -> None:
    """The vote's result flows back: winners go on to implementation (`chosen`), the rest to
    the reserve pool for next year. A void poll, one without quorum, and candidates awaiting
    a further vote (另行票决) stay where they are; the further vote, a poll of its own on the
    tied candidates, moves them when it is counted."""
    poll, codes_by_ref, listed = await _listed(poll_id)
    who = Who(actor, "system")
    for code, target in placements(result, codes_by_ref).items():
        row = listed.get(code)
        if row is None or row["stage"] != "candidate" or target == "candidate":
            continue
        if target == "chosen":
            await move(row["id"], "chosen", who, f"经“{poll['title']}”票决确定为民生实事项目", facts=frozenset({"poll"}))
            await projects.create_for(row["id"], who)
        else:
            await move(row["id"], "reserve", who, f"在“{poll['title']}”中未获票决确定，转入储备库",
                       facts=frozenset({"poll"}))


CORRECTED = {"chosen": "确定为民生实事项目", "reserve": "未获票决确定，转入储备库", "candidate": "须另行票决"}


@polls.on_correction
async def apply_correction(poll_id: int, before: dict[str, Any] | None, after: dict[str, Any], actor: Actor) -> None:
    """A corrected count (voting.scrutiny) that changes where a listed proposal goes moves it
    again, in the correction's transaction: out of `chosen` (its project, still without a
    published plan, is withdrawn), into `chosen` (a project is made), to or from a further
    vote. Where that can no longer be done by itself — the proposal has moved on since, the
    project's plan is published, the further vote has begun — the correction is refused with
    the reason, and nothing is recorded."""
    poll, codes_by_ref, listed = await _listed(poll_id)
    was, now = placements(before, codes_by_ref), placements(after, codes_by_ref)
    changed = [code for code in now if now[code] != was.get(code) and code in listed]
    if not changed:
        return
    runoff_changed = any("candidate" in (was.get(code), now[code]) for code in changed) or (
        (before or {}).get("runoff_seats") != after.get("runoff_seats"))
    if runoff_changed and await Poll.exists().where(Poll.runoff_of == poll_id):
        raise Conflict("另行票决已经开始，这项更正会改变需要另行票决的项目或名额，不能记录。"
                       "请由主席团决定处理办法。", code="runoff_started")
    who = Who(actor, "system")
    for code in changed:
        row = listed[code]
        if row["stage"] != was[code]:
            raise Conflict(f"建议“{row['title']}”在票决后已改为“{stages.STAGES[row['stage']]}”，"
                           "不能按更正后的结果自动调整，更正未记录。", code="moved_since")
        project = await Project.select(Project.id, Project.stage).where(Project.proposal == row["id"]).first()
        if was[code] == "chosen" and project is not None:
            if project["stage"] != "planning":
                raise Conflict(f"项目“{row['title']}”已公布实施方案（{stages.PROJECT_STAGES[project['stage']]}），"
                               "更正会取消它的票决确定：请先录入常委会的决定并终止该项目，再记录更正。",
                               code="project_started")
            await projects.move_project(project["id"], "terminated", who, f"“{poll['title']}”的计票结果经更正，"
                                        "本项目未获票决确定，撤销", facts=frozenset({"poll"}))
        if now[code] == "chosen" and project is not None:
            raise Conflict(f"建议“{row['title']}”的项目已因此前的更正撤销，不能再次确定，更正未记录。",
                           code="project_withdrawn")
        await move(row["id"], now[code], who, f"“{poll['title']}”的计票结果经更正，{CORRECTED[now[code]]}",
                   facts=frozenset({"poll"}))
        if now[code] == "chosen":
            await projects.create_for(row["id"], who)
