"""/tablet/results: a vote's published result on the deputy's tablet.

Only a result the scrutineers confirmed and the secretariat published is shown (the same
reading as the hall's big screen, `voting.screen.published_decision`); a count waiting for
confirmation is "not found" here (404), with a page that says so. A deputy sees the votes of their own term's sessions.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from voting import polls, screen, sittings
from voting.errors import NotFound
from web.auth import require_deputy
from web.pages import page

NOT_PUBLISHED = "这次票决的结果尚未公布。公布后，首页的票决一栏会出现“查看结果”。"


class TabletResultsController(Controller):
    path = "/tablet/results"

    @get("/{poll_id:int}")
    async def result(self, request: Request, poll_id: FromPath[int]) -> Template:
        viewer = await require_deputy(request)
        poll = await polls.get_poll(poll_id)
        session = await sittings.session_context(poll["session"])
        if session["term_id"] != viewer.term_id:
            raise NotFound("这次票决不属于您所在的人大。")
        decision = await screen.published_decision(poll_id)
        if decision is None:  # the deputy's own page, saying when the result will be here
            return page("tablet/results.html", request, viewer, status_code=404, decision=None, session=session,
                        message=NOT_PUBLISHED)
        return page("tablet/results.html", request, viewer, decision=decision, session=session)
