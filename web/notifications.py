"""Where people read their notifications (lifecycle.notifications) and mark them read, and the
secretariat's view of the SMS outbox (lifecycle.sms).

- an implementing department: the console's 通知 page, its own only (the count is in its menu);
  the secretariat sees everyone's there, read-only;
- a deputy: marks theirs read from the tablet's home page, which lists them;
- a proposer: marks theirs read from the public tracking page, by the tracking code;
- the secretariat: 通知短信 (`/console/sms`), whether SMS is configured (and if not, what is
  missing), the outbox with each message's delivery status, and a button to run the pass now.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from config import settings
from lifecycle import notifications, projects, proposals, reminders, sms
from voting.audit import Actor
from voting.errors import Forbidden, NotFound, Refused
from web.auth import require_deputy, require_project_staff, require_staff
from web.pages import form_dict, page, whole
from web.public import public_http_error, public_refused

RUN_COUNTS = ("reminders", "sent", "queued", "failed")
PROPOSER = Actor("citizen", None, "建议人（凭查询码）")


def _which(form: dict[str, str]) -> int | None:
    """The one notification a form names (`id`), or None for all of them; a bad id changes nothing."""
    if not form.get("id", ""):
        return None
    chosen = whole(form["id"])
    if chosen is None:
        raise NotFound("没有这条通知。")
    return chosen


class NotificationConsoleController(Controller):
    path = "/console"

    @get("/notifications")
    async def notifications_page(self, request: Request) -> Template:
        viewer = await require_project_staff(request)
        if viewer.role != "department":
            return page("console/notifications.html", request, viewer, rows=await notifications.recent(), own=False)
        department = await projects.department_of(viewer.id)
        rows = await notifications.of("department", department) if department is not None else []
        return page("console/notifications.html", request, viewer, rows=rows, own=True,
                    saved=request.query_params.get("saved", ""))

    @post("/notifications/read")
    async def mark_read(self, request: Request) -> Redirect:
        viewer = await require_project_staff(request)
        department = await projects.department_of(viewer.id) if viewer.role == "department" else None
        if department is None:
            raise Forbidden("通知由收到它的承办部门标为已读；秘书处在这里只查看。")
        chosen = _which(form_dict(await request.form()))
        await notifications.mark_read("department", department, viewer.actor, chosen)
        return Redirect("/console/notifications?saved=read")

    @get("/sms")
    async def sms_page(self, request: Request) -> Template:
        viewer = await require_staff(request)
        ran = {key: whole(request.query_params.get(key, "")) for key in RUN_COUNTS}
        return page("console/sms.html", request, viewer, missing=sms.config().missing, rows=await sms.outbox(),
                    counts=await sms.status_counts(), labels=sms.STATUS_LABELS,
                    minutes=settings().notify_minutes, ran=ran if ran["reminders"] is not None else None)

    @post("/sms/run")
    async def run_now(self, request: Request) -> Redirect:
        viewer = await require_staff(request)
        done = await reminders.run_by_hand(viewer.actor)
        return Redirect("/console/sms?" + urlencode({key: done[key] for key in RUN_COUNTS}))


class NotificationTabletController(Controller):
    path = "/tablet/notifications"

    @post("/read")
    async def mark_read(self, request: Request) -> Redirect:
        viewer = await require_deputy(request)
        chosen = _which(form_dict(await request.form()))
        await notifications.mark_read("deputy", viewer.id, viewer.actor, chosen)
        return Redirect("/tablet#notices")


class PublicNotificationController(Controller):
    path = "/public/notifications"
    exception_handlers = {Refused: public_refused, HTTPException: public_http_error}

    @post("/read")
    async def mark_read(self, request: Request) -> Redirect:
        """A proposer marks the notices of their proposal read, by its tracking code."""
        form = form_dict(await request.form())
        found = await proposals.track(form.get("code", "")[:20])
        chosen = _which(form)
        await notifications.mark_read("proposer", found["own"]["id"], PROPOSER, chosen)
        return Redirect("/public/track?" + urlencode({"code": found["own"]["code"]}) + "#notices")
