"""The secretariat's side of 请求协助: the deputies waiting for help, and 已到场 to clear one."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from voting import help_requests
from web.auth import require_staff, return_to
from web.pages import form_dict, page


class HelpDeskController(Controller):
    path = "/console/help"

    @get("/")
    async def waiting(self, request: Request) -> Template:
        """Who asked for help and from which page, oldest first (refreshed every few seconds)."""
        viewer = await require_staff(request)
        return page("console/help.html", request, viewer, waiting=await help_requests.waiting(),
                    places=help_requests.PLACES)

    @get("/waiting")
    async def waiting_part(self, request: Request) -> Template:
        """The list alone, for the console pages that show it live (the poll page during a vote);
        已到场协助 returns to the page showing it (htmx names it)."""
        viewer = await require_staff(request)
        shown_on = urlsplit(request.headers.get("hx-current-url", "")).path
        return page("console/_help_waiting.html", request, viewer, waiting=await help_requests.waiting(),
                    places=help_requests.PLACES, help_back=return_to(shown_on, "/console") or "/console/help")

    @post("/{request_id:int}/handled")
    async def handled(self, request: Request, request_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        await help_requests.handle(request_id, viewer.actor)
        back = return_to(form_dict(await request.form()).get("next", ""), "/console") or "/console/help"
        return Redirect(back.split("#")[0] + "#help")
