"""Presidium notices (主席团公告): numbered per session, one per decision, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from voting import audit, polls
from voting.audit import Actor
from voting.database import fetch, fetch_value, is_sqlite, write_transaction
from voting.errors import Conflict, NotFound
from voting.tables import Notice, Session


@dataclass(frozen=True)
class RoundState:
    """One round of a vote as the notice rule needs it (a further vote, 另行票决, is a later round)."""

    ref: str
    round: int
    closed: bool
    published: bool
    tied: tuple[str, ...] = ()  # titles of candidates tied at the cut-off in its result in force


@dataclass(frozen=True)
class IssuedNotice:
    title: str
    issued_at: datetime


def notice_refusal(rounds: Sequence[RoundState], target: int, issued: Sequence[IssuedNotice],
                   corrected_at: datetime | None) -> Conflict | None:
    """Why a presidium notice may not be issued now for round `target` (an index into `rounds`,
    first round first), or None if it may. Pure: the use case gathers the facts.

    One decision, one notice: only the final decision of a vote is announced, i.e. a round whose
    result leaves no tie to a further vote and that no later round follows; every round must be
    confirmed and published; and a decision already announced is not announced again, unless a
    correction of the count (in any round) came after that notice, which makes it a new decision."""
    this = rounds[target]
    if not this.closed:
        return Conflict("投票结束并计票后才能发布公告。", code="not_closed")
    later = rounds[target + 1:]
    if later or this.tied:
        tie = f"第{this.round}轮票决中{'、'.join(this.tied)}赞成票相等，" if this.tied else f"第{this.round}轮票决之后"
        if later:
            return Conflict(f"{tie}已另行票决（{later[-1].ref}，第{later[-1].round}轮）。主席团公告只对最终结果发布："
                            f"请在另行票决计票、确认并公布后，在那次票决的页面发布。", code="not_final")
        return Conflict(f"{tie}须另行票决。主席团公告只对最终结果发布：请先开始另行票决，"
                        f"计票、确认并公布后再发布。", code="not_final")
    if not this.published:
        return Conflict("总监票人和监票人确认计票结果并公布后，才能发布公告。", code="not_published")
    unpublished = [r for r in rounds if not r.published]
    if unpublished:
        first = unpublished[0]
        return Conflict(f"第{first.round}轮票决（{first.ref}）的计票结果更正后尚未重新确认并公布，"
                        f"确认并公布后才能发布公告。", code="not_published")
    if issued:
        last = max(issued, key=lambda n: n.issued_at)
        if corrected_at is None or not corrected_at > last.issued_at:
            return Conflict(f"这次票决的结果已经发布过公告（{last.title}）。同一结果只发布一次公告；"
                            f"结果更正后须另发公告。", code="already_issued")
    return None


def _moment(value: Any) -> datetime:
    """A time as the database returned it: a datetime, or ISO text on SQLite."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def _round_state(poll: dict[str, Any]) -> RoundState:
    result = await polls.result_in_force(poll) or {}
    tied: tuple[str, ...] = ()
    if result.get("runoff"):
        titles = {c["ref"]: c["title"] for c in await polls.candidates_of(poll["id"])}
        tied = tuple(titles.get(ref, ref) for ref in result["runoff"])
    return RoundState(ref=poll["ref"], round=poll["round"] or 1, closed=poll["status"] == "closed",
                      published=poll["published_at"] is not None, tied=tied)


async def notice_check(poll_id: int) -> Conflict | None:
    """`notice_refusal` for the poll as the database holds it now (None: a notice may be issued)."""
    rounds = await polls.rounds_of(poll_id)
    target = next(i for i, r in enumerate(rounds) if r["id"] == poll_id)
    states = [await _round_state(r) for r in rounds]
    issued = [IssuedNotice(n["title"], _moment(n["issued_at"])) for n in await notices_of_poll(poll_id)]
    corrected = await fetch_value(
        "SELECT MAX(at) AS at FROM result_correction WHERE poll IN ({})".format(
            ", ".join("{}" for _ in rounds)), *[r["id"] for r in rounds])
    return notice_refusal(states, target, issued, _moment(corrected) if corrected else None)


async def issue_notice(poll_id: int, actor: Actor) -> int:
    """The next notice of the session for the final decision of a vote; returns the notice id.

    The session's row is locked first (PostgreSQL; SQLite lets one writer in at a time), so two
    clicks at once are checked one after the other: the second sees the first's notice."""
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        if not is_sqlite():
            await fetch(f"SELECT id FROM {Session._meta.tablename} WHERE id = {{}} FOR UPDATE", poll["session"])
        refusal = await notice_check(poll_id)
        if refusal is not None:
            raise refusal
        last = await Notice.select(Notice.number).where(Notice.session == poll["session"]).order_by(
            Notice.number, ascending=False).first()
        number = (last["number"] if last else 0) + 1
        rows = await Notice.insert(Notice(session=poll["session"], number=number, poll=poll_id,
                                          title=f"主席团公告（第{number}号）", issued_by=actor.label))
        await audit.record(actor, "notice_issued", subject=f"主席团公告（第{number}号）",
                           detail={"poll": poll["ref"]})
    return rows[0]["id"]


async def get_notice(notice_id: int) -> dict[str, Any]:
    notice = await Notice.select().where(Notice.id == notice_id).first()
    if notice is None:
        raise NotFound("没有这份公告。")
    return notice


async def notices_of_poll(poll_id: int) -> list[dict[str, Any]]:
    return await Notice.select().where(Notice.poll == poll_id).order_by(Notice.number)
