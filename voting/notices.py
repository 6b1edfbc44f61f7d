"""Presidium notices (主席团公告): numbered per session, issued once, never edited."""

from __future__ import annotations

from typing import Any

from voting import audit, polls
from voting.audit import Actor
from voting.database import fetch_value, write_transaction
from voting.errors import Conflict, NotFound
from voting.tables import Notice


async def issue_notice(poll_id: int, actor: Actor) -> int:
    """The next notice of the session for a counted poll; returns the notice id."""
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        if poll["status"] != "closed":
            raise Conflict("投票结束并计票后才能发布公告。", code="not_closed")
        if poll["published_at"] is None:
            raise Conflict("总监票人和监票人确认计票结果并公布后，才能发布公告。", code="not_published")
        previous = await Notice.select(Notice.issued_at).where(Notice.poll == poll_id).order_by(
            Notice.issued_at, ascending=False).first()
        corrected = await fetch_value("SELECT MAX(at) AS at FROM result_correction WHERE poll = {}", poll_id)
        if previous and not (corrected and _later(corrected, previous["issued_at"])):
            raise Conflict("这次票决的结果已经发布过公告。结果更正后须另发公告。", code="already_issued")
        last = await Notice.select(Notice.number).where(Notice.session == poll["session"]).order_by(
            Notice.number, ascending=False).first()
        number = (last["number"] if last else 0) + 1
        rows = await Notice.insert(Notice(session=poll["session"], number=number, poll=poll_id,
                                          title=f"主席团公告（第{number}号）", issued_by=actor.label))
        await audit.record(actor, "notice_issued", subject=f"主席团公告（第{number}号）",
                           detail={"poll": poll["ref"]})
    return rows[0]["id"]


def _later(a: Any, b: Any) -> bool:
    """Whether time `a` (as the database returned it: a datetime, or text on SQLite) is after `b`."""
    from datetime import datetime

    def moment(x: Any) -> datetime:
        return x if isinstance(x, datetime) else datetime.fromisoformat(str(x))
    return moment(a) > moment(b)


async def get_notice(notice_id: int) -> dict[str, Any]:
    notice = await Notice.select().where(Notice.id == notice_id).first()
    if notice is None:
        raise NotFound("没有这份公告。")
    return notice


async def notices_of_poll(poll_id: int) -> list[dict[str, Any]]:
    return await Notice.select().where(Notice.poll == poll_id).order_by(Notice.number)
