"""The JSON API: what tablets, rehearsal clients and other systems call. Errors are problem details."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath, JSONBody
from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException

from voting import accounts, ballot_box, polls, sittings
from voting.ballot_box import Outcome
from voting.database import engine_name
from voting.errors import Refused
from web.auth import client_of, login_cookie, require_deputy, require_staff


def _json_only(request: Request) -> None:
    """A browser form cannot send application/json across sites, so this stands in for a CSRF token."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(status_code=415, detail="请求体必须是 application/json。")


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok", "database": engine_name()}


class ApiController(Controller):
    path = "/api"

    @post("/tablet/login")
    async def tablet_login(self, request: Request, data: JSONBody[dict[str, Any]]) -> Any:
        from litestar import Response

        _json_only(request)
        token, viewer = await accounts.deputy_login(str(data.get("code") or ""), client_of(request))
        return Response({"deputy": viewer.number, "name": viewer.name},
                        cookies=[login_cookie(token, deputy=True)], status_code=200)

    @post("/tablet/check-in", status_code=200)
    async def check_in(self, request: Request) -> dict[str, Any]:
        _json_only(request)
        viewer = await require_deputy(request)
        session = await sittings.current_session_for_term(viewer.term_id) if viewer.term_id else None
        if session is None:
            raise Refused("目前没有可以签到的会议。")
        changed = await sittings.check_in(session["id"], viewer.id, viewer.actor)
        return {"session": session["id"], "checked_in": True, "changed": changed}

    @post("/polls/{poll_id:int}/ballot", status_code=201)
    async def cast(self, request: Request, poll_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict[str, str]:
        _json_only(request)
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
        result = polls.stored_result(poll)
        if result is None:
            raise Refused("投票结束后才有计票结果。", code="not_closed")
        return result
