"""The console's side of counting: paper ballots handed out and exchanged, blank sheets handed
back, sheets declared not returned, the scrutiny team, the count, confirmation and publication,
the further vote on a tie, corrections. The sheets themselves are entered by the session's
counters on their tablets (web.scrutiny_tablet), never by a secretariat account."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from voting import ballot_opening, key_ceremony, paper, polls, roster, scrutiny, sittings
from voting.accounts import Viewer
from voting.database import write_transaction
from voting.errors import Refused
from voting.rules import METHOD_VALUES, VALUE_LABELS
from web.auth import require_staff
from web.console import poll_page
from web.pages import act_on_form, form_dict, page, whole


def cards_of(form: dict[str, str]) -> list[str]:
    """The key cards scanned or typed into the fields card_01, card_02, …, in field order."""
    return [value for name, value in sorted(form.items()) if name.startswith("card_")]


def marks_of(form: dict[str, str]) -> dict[str, str]:
    """The marks an entry form sent (`m_<candidate ref>`; blank means unmarked)."""
    return {key[2:]: value for key, value in form.items() if key.startswith("m_") and value}


async def _deputy_by_number(session_id: int, number: str) -> dict[str, Any]:
    session = await sittings.session_context(session_id)
    row = await roster.deputy_by_number(session["term_id"], number)
    if row is None:
        raise Refused(f"本届代表名册中没有代表证号“{(number or '').strip()}”。", code="unknown_deputy")
    return row


class CountingController(Controller):
    path = "/console"

    # --- paper ballots during the vote -------------------------------------------------

    @post("/polls/{poll_id:int}/paper/issue")
    async def issue_paper(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)

        async def issue(form: dict[str, str]) -> str:
            poll = await polls.get_poll(poll_id)
            deputy = await _deputy_by_number(poll["session"], form.get("number", ""))
            await paper.issue_paper(poll_id, deputy["id"], viewer.actor)
            return f"/console/polls/{poll_id}?issued={deputy['number']}#paper"

        return await act_on_form(request, "paper-issue", issue, partial(poll_page, request, viewer, poll_id))

    @post("/polls/{poll_id:int}/paper/exchange")
    async def exchange(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)

        async def exchange(form: dict[str, str]) -> str:
            serial = await paper.void_serial(poll_id, form.get("serial", ""), form.get("reason", ""), viewer.actor)
            return f"/console/polls/{poll_id}?voided={serial}#paper"

        return await act_on_form(request, "paper-exchange", exchange, partial(poll_page, request, viewer, poll_id))

    @post("/polls/{poll_id:int}/stop")
    async def stop(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        """End the vote: with paper ballots out, to the counting desk; otherwise count at once."""
        viewer = await require_staff(request)
        await polls.stop_voting(poll_id, viewer.actor)
        if await polls.paper_issued(poll_id):
            return Redirect(f"/console/polls/{poll_id}/paper")
        return Redirect(f"/console/polls/{poll_id}/count")

    # --- the paper ballots after the vote: what came back, what did not --------------------

    async def _entry_page(self, request: Request, viewer: Viewer, poll_id: int, status_code: int = 200,
                          **more: Any) -> Template:
        poll = await polls.get_poll(poll_id)
        return page("console/paper_entry.html", request, viewer, poll=poll, status_code=status_code,
                    candidates=await polls.candidates_of(poll_id), state=await paper.paper_state(poll_id),
                    values=METHOD_VALUES[poll["method"]], labels=VALUE_LABELS, poll_status=polls.STATUS_LABELS,
                    saved=request.query_params.get("saved", ""), error=more.pop("error", ""),
                    key=await key_ceremony.key_in_force(poll_id), error_at=more.pop("error_at", ""),
                    form={k: v for k, v in more.pop("form", {}).items() if not k.startswith("card_")}, **more)

    @get("/polls/{poll_id:int}/paper")
    async def entry_form(self, request: Request, poll_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return await self._entry_page(request, viewer, poll_id)

    @post("/polls/{poll_id:int}/paper/unused")
    async def unused(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """Blank sheets handed back, registered by serial so they can never be counted."""
        viewer = await require_staff(request)

        async def register(form: dict[str, str]) -> None:
            await paper.return_unused(poll_id, form.get("serials", ""), viewer.actor)

        return await act_on_form(request, "unused", register, partial(self._entry_page, request, viewer, poll_id),
                                 back=f"/console/polls/{poll_id}/paper")

    @post("/polls/{poll_id:int}/paper/not-returned")
    async def not_returned(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """An issued sheet that never came back, declared with its reason."""
        viewer = await require_staff(request)

        async def declare(form: dict[str, str]) -> None:
            await paper.declare_not_returned(poll_id, form.get("reason", ""), viewer.actor)

        return await act_on_form(request, "not-returned", declare,
                                 partial(self._entry_page, request, viewer, poll_id),
                                 back=f"/console/polls/{poll_id}/paper")

    # --- the count: the scrutineers' key cards open the tablet ballots ---------------------

    async def _count_page(self, request: Request, viewer: Viewer, poll_id: int, status_code: int = 200,
                          **more: Any) -> Template:
        poll = await polls.get_poll(poll_id)
        key = await key_ceremony.key_in_force(poll_id)
        more.pop("form", None)  # a card's text is never shown back
        return page("console/count.html", request, viewer, poll=poll, key=key, status_code=status_code,
                    sealed=await ballot_opening.sealed_count(poll_id), state=await paper.paper_state(poll_id),
                    recovery=key_ceremony.RECOVERY, error=more.pop("error", ""), **more)

    @get("/polls/{poll_id:int}/count")
    async def count_form(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """开启票箱: the cards are scanned (or typed) here, k of them, then the count runs."""
        viewer = await require_staff(request)
        poll = await polls.get_poll(poll_id)
        if poll["status"] not in ("open", "counting"):
            return Redirect(f"/console/polls/{poll_id}")
        return await self._count_page(request, viewer, poll_id)

    @post("/polls/{poll_id:int}/count")
    async def count(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)

        async def count(form: dict[str, str]) -> str:
            await polls.close_poll(poll_id, viewer.actor, cards_of(form))
            return f"/console/polls/{poll_id}"

        return await act_on_form(request, "count", count, partial(self._count_page, request, viewer, poll_id))

    # --- the scrutiny team, confirmation, publication -----------------------------------

    @post("/sessions/{session_id:int}/scrutiny")
    async def set_team(self, request: Request, session_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())

        async def ids(field: str) -> list[int]:
            numbers = [n for n in form.get(field, "").replace("，", ",").replace("、", ",").split(",") if n.strip()]
            return [(await _deputy_by_number(session_id, n))["id"] for n in numbers]

        chief = await ids("chief")
        if len(chief) > 1:
            raise Refused("总监票人只能有一位。", code="two_chiefs")
        threshold = whole(form.get("key_threshold", "")) if form.get("key_threshold", "").strip() else None
        if form.get("key_threshold", "").strip() and threshold is None:
            raise Refused("开启电子选票所需的钥匙卡数请填一个整数。", code="threshold_not_a_number")
        async with write_transaction():  # the team and its threshold together, or neither
            await scrutiny.set_members(session_id, chief[0] if chief else None, await ids("scrutineers"),
                                       await ids("counters"), viewer.actor)
            current = (await sittings.session_context(session_id))["key_threshold"]
            await key_ceremony.set_threshold(session_id, current if threshold is None else threshold, viewer.actor)
        return Redirect(f"/console/sessions/{session_id}#scrutiny")

    @post("/polls/{poll_id:int}/confirmations")
    async def record_signature(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        """A scrutineer signed the tally sheet on paper: the secretariat records it."""
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        deputy = whole(form.get("deputy", ""))
        if deputy is None:
            raise Refused("请选择签字的监票人。")
        await scrutiny.confirm(poll_id, deputy, "paper", viewer.actor)
        return Redirect(f"/console/polls/{poll_id}#confirm")

    @post("/polls/{poll_id:int}/publish")
    async def publish(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        await scrutiny.publish(poll_id, viewer.actor)
        return Redirect(f"/console/polls/{poll_id}#confirm")

    @post("/polls/{poll_id:int}/runoff")
    async def runoff(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        return Redirect(f"/console/polls/{await polls.open_runoff(poll_id, viewer.actor)}")

    @post("/polls/{poll_id:int}/corrections")
    async def correct(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            await scrutiny.correct_paper_ballot(poll_id, form.get("serial", ""), marks_of(form),
                                                form.get("void") == "1", form.get("reason", ""), viewer.actor,
                                                cards_of(form))
        except Refused as refused:
            return await self._entry_page(request, viewer, poll_id, refused.status_code, error=refused.message,
                                          form=form, correcting=True)
        return Redirect(f"/console/polls/{poll_id}#confirm")
