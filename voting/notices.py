"""Presidium notices (主席团公告): numbered per session, issued once, never edited."""

from __future__ import annotations

from typing import Any

from voting import audit, polls
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, NotFound
from voting.tables import Notice


async def issue_notice(poll_id: int, actor: Actor) -> int:
    """The next notice of the session for a counted poll; returns the notice id."""
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        if poll["status"] != "closed":
            raise Conflict("投票结束并计票后才能发布公告。", code="not_closed")
        if await Notice.exists().where(Notice.poll == poll_id):
            raise Conflict("这次票决的结果已经发布过公告。更正须另发公告。", code="already_issued")
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
