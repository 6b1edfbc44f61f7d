"""A deputy asks for help from their tablet (请求协助): the secretariat's console shows who and
where, a staff member goes over, and marks it handled.

Nothing of a ballot is in a request: the tablet sends its login and the kind of page it is on
(选票, 核对选票, …), never a mark, and the page does not change, so the marks the deputy has
chosen stay where they are (they live only in the page). A deputy has at most one request
waiting; asking again while one waits says that help is on the way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from voting import audit
from voting.accounts import Viewer
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, NotFound
from voting.tables import HelpRequest

PLACES = {"ballot": "选票页面", "review": "核对选票页面", "home": "平板首页", "other": "其他页面"}
ASKED = "已通知会场工作人员，请稍候，工作人员会到您的座位旁。您已作的选择仍保留在本页。"
ALREADY = "工作人员已收到您的请求，正在赶来，请稍候。您已作的选择仍保留在本页。"


async def ask(viewer: Viewer, place: str) -> str:
    """Record the deputy's request (once while one waits); returns what the tablet tells them."""
    place = place if place in PLACES else "other"
    async with write_transaction():
        if await HelpRequest.exists().where((HelpRequest.deputy == viewer.id) & HelpRequest.handled_at.is_null()):
            return ALREADY
        await HelpRequest.insert(HelpRequest(deputy=viewer.id, place=place))
        await audit.record(viewer.actor, "help_requested", subject=f"代表 {viewer.number} {viewer.name}",
                           detail={"place": PLACES[place]})
    return ASKED


async def waiting() -> list[dict[str, Any]]:
    """Requests not yet handled, oldest first, with the deputy's name, number and delegation."""
    return await HelpRequest.select(
        HelpRequest.id, HelpRequest.place, HelpRequest.asked_at, HelpRequest.deputy.name.as_alias("name"),
        HelpRequest.deputy.number.as_alias("number"), HelpRequest.deputy.delegation.name.as_alias("delegation"),
    ).where(HelpRequest.handled_at.is_null()).order_by(HelpRequest.asked_at).order_by(HelpRequest.id)


async def waiting_count() -> int:
    return await HelpRequest.count().where(HelpRequest.handled_at.is_null())


async def handle(request_id: int, actor: Actor) -> None:
    """A staff member went over: the request leaves the list, with who and when on record."""
    async with write_transaction():
        row = await HelpRequest.select(HelpRequest.handled_at, HelpRequest.deputy.name, HelpRequest.deputy.number).where(
            HelpRequest.id == request_id).first()
        if row is None:
            raise NotFound("没有这条协助请求。")
        if row["handled_at"] is not None:
            raise Conflict("这条协助请求已经处理过了。", code="already_handled")
        await HelpRequest.update({HelpRequest.handled_at: datetime.now(timezone.utc),
                                  HelpRequest.handled_by: actor.label}).where(HelpRequest.id == request_id)
        await audit.record(actor, "help_given", subject=f"代表 {row['deputy.number']} {row['deputy.name']}")
