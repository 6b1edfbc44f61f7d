"""The JSON API: what tablets, rehearsal clients and other systems call. Errors are problem details."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath, JSONBody
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import HTTPException

from voting import accounts, ballot_box, key_ceremony, polls, rehearsal_data, sittings
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

    @get("/polls/{poll_id:int}/ballot")
    async def ballot(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        """What a tablet needs to fill in and seal the ballot: the candidates, the cap on approvals,
        the poll's public key and the length every ballot is padded to (docs/secret-ballot.md)."""
        await require_deputy(request)
        ballot = await ballot_box.ballot_for(poll_id)  # not the moment's cache: the key must be this poll's
        return {"poll": ballot.poll["ref"], "status": ballot.poll["status"], "method": ballot.poll["method"],
                "cap": ballot.cap, "candidates": [c["ref"] for c in ballot.candidates],
                "public_key": ballot.public_key, "padded_length": ballot.padded_length}

    @post("/polls/{poll_id:int}/ballot", status_code=201)
    async def cast(self, request: Request, poll_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict[str, str]:
        """A sealed ballot: {"sealed": base64}. Plain marks are refused: the server never takes them."""
        viewer = await require_deputy(request)
        if "marks" in data:
            raise Refused("选票必须在平板上加密后提交（sealed），服务器不接收明文的选票。", code="not_sealed")
        sealed = data.get("sealed")
        if not isinstance(sealed, str):
            raise Refused("sealed 必须是加密后的选票（base64 字符串）。", code="bad_body")
        outcome = await ballot_box.cast(poll_id, viewer.id, sealed)
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

    @post("/rehearsals/{congress_id:int}/outcome", status_code=201)
    async def rehearsal_outcome(self, request: Request, congress_id: FromPath[int],
                                data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """What the rehearsal client found (passed, accepted, throughput, p99), checked against the
        stored count and kept for the pre-flight check."""
        viewer = await require_staff(request)
        return await rehearsal_data.record_outcome(congress_id, data.get("poll", ""), data, viewer.actor)

    @delete("/rehearsals/{congress_id:int}", status_code=200)
    async def remove_rehearsal(self, request: Request, congress_id: FromPath[int]) -> dict[str, Any]:
        """Everything of a rehearsal congress, in one transaction; 409 for a real congress."""
        viewer = await require_staff(request)
        return {"congress_id": congress_id, "removed": await rehearsal_data.remove(congress_id, viewer.actor)}

    @post("/polls/{poll_id:int}/key-ceremony", status_code=201)
    async def key_ceremony(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        """The key ceremony of a rehearsal poll: its key cards, handed to the rehearsal's simulated
        scrutineers (the client). Real polls hold theirs at the counting desk, in the console."""
        viewer = await require_staff(request)
        await rehearsal_data.rehearsal_poll(poll_id)
        ceremony = await key_ceremony.hold(poll_id, viewer.actor)
        return {"poll_id": poll_id, "fingerprint": ceremony.fingerprint, "threshold": ceremony.threshold,
                "cards": [{"holder": card.holder, "card": card.share.text, "check": card.share.check_code}
                          for card in ceremony.cards]}

    @post("/polls/{poll_id:int}/open", status_code=200)
    async def open_poll(self, request: Request, poll_id: FromPath[int]) -> dict[str, Any]:
        """Open a rehearsal poll (real polls are opened from the console)."""
        viewer = await require_staff(request)
        await rehearsal_data.rehearsal_poll(poll_id)
        await polls.open_poll(poll_id, viewer.actor)
        return {"poll_id": poll_id, "status": "open"}

    @post("/polls/{poll_id:int}/close", status_code=200)
    async def close_poll(self, request: Request, poll_id: FromPath[int],
                         data: JSONBody[dict[str, Any] | None] = None) -> dict[str, Any]:
        """Close and count a rehearsal poll with its key cards ({"cards": [text, …]}); the piaojue-result/1 object."""
        viewer = await require_staff(request)
        await rehearsal_data.rehearsal_poll(poll_id)
        cards = (data or {}).get("cards") or []
        if not isinstance(cards, list) or not all(isinstance(c, str) for c in cards):
            raise Refused("cards 必须是钥匙卡内容（字符串）的数组。", code="bad_body")
        return await polls.close_poll(poll_id, viewer.actor, cards)
