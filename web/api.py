"""The JSON API: what tablets, rehearsal clients and other systems call. Errors are problem details."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath, JSONBody
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import HTTPException

from voting import accounts, ballot_box, polls, rehearsal_data, sittings
from voting.ballot_box import Outcome
from voting.database import engine_name
from voting.errors import Refused
from web.guards import plausible_address
from web.auth import client_of, login_cookies, require_deputy, require_staff


async def _before_api_request(request: Request) -> None:
    """The app's own checks of the address (this hook stands in for the app's), then: every POST
    here takes JSON. A browser form cannot send application/json across sites, so
    this stands in for a CSRF token. Checked before the body is read: a form or text body is
    answered 415 (unsupported media type), whatever it holds."""
    await plausible_address(request)
    if request.method == "POST" and \
            request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(status_code=415, detail="请求体必须是 application/json。")


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok", "database": engine_name()}


class ApiController(Controller):
    path = "/api"
    before_request = _before_api_request

    @post("/tablet/login")
    async def tablet_login(self, request: Request, data: JSONBody[dict[str, Any]]) -> Any:
        token, viewer = await accounts.deputy_login(str(data.get("code") or ""), client_of(request))
        return Response({"deputy": viewer.number, "name": viewer.name},
                        cookies=login_cookies(token, deputy=True), status_code=200)

    @post("/tablet/check-in", status_code=200)
    async def check_in(self, request: Request) -> dict[str, Any]:
        viewer = await require_deputy(request)
        session = await sittings.current_session_for_term(viewer.term_id) if viewer.term_id else None
        if session is None:
            raise Refused("目前没有可以签到的会议。")
        changed = await sittings.check_in(session["id"], viewer.id, viewer.actor)
        return {"session": session["id"], "checked_in": True, "changed": changed}

    @post("/polls/{poll_id:int}/ballot", status_code=201)
    async def cast(self, request: Request, poll_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict[str, str]:
        viewer = await require_deputy(request)
        marks = data.get("marks")
        if not isinstance(marks, dict) or not all(isinstance(v, str) for v in marks.values()):
            raise Refused("marks 必须是 {候选项目编号: 标记} 的对象。", code="bad_body")
        outcome = await ballot_box.cast(poll_id, viewer.id, {str(k): v for k, v in marks.items()})
        ballot_box.raise_for(outcome)
        return {"status": Outcome.accepted.value, "message": ballot_box.OUTCOME_MESSAGES[outcome]}

    @get("/polls/{poll_id:int}/progress")
    async def progress(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        await require_staff(request)
        return await polls.progress(poll_id)

    @get("/polls/{poll_id:int}/result")
    async def result(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        await require_staff(request)
        poll = await polls.get_poll(poll_id)
        result = await polls.result_in_force(poll)  # a correction, if any
        if result is None:
            raise Refused("投票结束后才有计票结果。", code="not_closed")
        return result

    # --- the secretariat: log in, and run 会前演练 rehearsals (python -m voting rehearse) -------

    @post("/staff/login")
    async def staff_login(self, request: Request, data: JSONBody[dict[str, Any]]) -> Response:
        """The console's login for a program: the same cookie as /console/login."""
        token, viewer = await accounts.staff_login(str(data.get("username") or ""), str(data.get("password") or ""),
                                                   client_of(request))
        return Response({"ok": True, "name": viewer.name, "role": viewer.role},
                        cookies=login_cookies(token, deputy=False), status_code=200)

    @get("/rehearsals")
    async def rehearsals(self, request: Request) -> list[dict[str, Any]]:
        await require_staff(request)
        return await rehearsal_data.rehearsals()

    @post("/rehearsals", status_code=201)
    async def create_rehearsal(self, request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """A rehearsal congress with `deputies` simulated deputies, their login codes and a draft poll."""
        viewer = await require_staff(request)
        return await rehearsal_data.create(data.get("deputies"), data.get("candidates", 12), data.get("seats", 10),
                                           viewer.actor)

    @post("/rehearsals/{congress_id:int}/polls", status_code=201)
    async def reuse_rehearsal(self, request: Request, congress_id: FromPath[int],
                              data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Another run in a kept rehearsal congress: a new draft poll and fresh login codes."""
        viewer = await require_staff(request)
        return await rehearsal_data.add_poll(congress_id, data.get("candidates", 12), data.get("seats", 10),
                                             viewer.actor)

    @delete("/rehearsals/{congress_id:int}", status_code=200)
    async def remove_rehearsal(self, request: Request, congress_id: FromPath[int]) -> dict[str, Any]:
        """Everything of a rehearsal congress, in one transaction; 409 for a real congress."""
        viewer = await require_staff(request)
        return {"congress_id": congress_id, "removed": await rehearsal_data.remove(congress_id, viewer.actor)}

    @post("/polls/{poll_id:int}/open", status_code=200)
    async def open_poll(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        """Open a rehearsal poll (real polls are opened from the console)."""
        viewer = await require_staff(request)
        await rehearsal_data.rehearsal_poll(poll_id)
        await polls.open_poll(poll_id, viewer.actor)
        return {"poll_id": poll_id, "status": "open"}

    @post("/polls/{poll_id:int}/close", status_code=200)
    async def close_poll(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        """Close and count a rehearsal poll; the piaojue-result/1 object."""
        viewer = await require_staff(request)
        await rehearsal_data.rehearsal_poll(poll_id)
        return await polls.close_poll(poll_id, viewer.actor)
