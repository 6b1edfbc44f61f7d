"""The deputy's tablet: log in, check in, vote; propose projects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import anyio
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from lifecycle import notifications, proposals, supervision
from lifecycle.stages import STAGES
from lifecycle.tables import Proposal
from reports.pdf import font_file
from voting import accounts, ballot_box, help_requests, languages, polls, sittings, translations
from voting.accounts import Viewer
from voting.ballot_box import OpenBallot, Outcome
from voting.errors import NotFound, Refused
from voting.rules import APPROVAL_VALUES, SATISFACTION_VALUES, VALUE_LABELS
from voting.tables import Term
from web import public
from web.auth import (client_of, login_cookies, login_tag, login_token, logout_cookies, require_deputy, return_to,
                      viewer_of, who_of)
from web.pages import form_dict, page
from web.scrutiny_tablet import scrutiny_entry

CHOICES = {"approval": APPROVAL_VALUES, "satisfaction": SATISFACTION_VALUES}


async def _session_of(viewer: Viewer) -> dict[str, Any] | None:
    return await sittings.current_session_for_term(viewer.term_id) if viewer.term_id else None


async def _home_context(viewer: Viewer) -> dict[str, Any]:
    session = await _session_of(viewer)
    if session is None:
        return {"session": None, "checked_in": False, "polls": [], "attendance": None}
    checked_in = await sittings.is_checked_in(session["id"], viewer.id)
    rows = []
    for poll in await polls.polls_of_session(session["id"]):
        if poll["status"] == "draft":
            continue
        voted = await ballot_box.has_voted(poll["id"], viewer.id)
        rows.append({**poll, "voted": voted})
    return {"session": session, "checked_in": checked_in, "polls": rows,
            "attendance": await sittings.attendance(session["id"], max_age=3.0)}


async def _congress_of(viewer: Viewer) -> int | None:
    row = await Term.select(Term.congress).where(Term.id == viewer.term_id).first() if viewer.term_id else None
    return row["congress"] if row else None


async def _propose_rounds(viewer: Viewer) -> list[dict[str, Any]]:
    """The open collection rounds of the deputy's own congress."""
    congress = await _congress_of(viewer)
    return [r for r in await proposals.open_rounds() if r["congress"] == congress]


async def _next_round(viewer: Viewer) -> dict[str, Any] | None:
    congress, today = await _congress_of(viewer), proposals.today()
    later = [r for r in await proposals.rounds() if r["congress"] == congress and r["opens_on"] > today]
    return min(later, key=lambda r: r["opens_on"]) if later else None


async def _my_proposals(viewer: Viewer) -> list[dict[str, Any]]:
    rows = await Proposal.select(Proposal.code, Proposal.title, Proposal.stage).where(
        Proposal.deputy == viewer.id).order_by(Proposal.id, ascending=False)
    return [{**r, "stage_label": STAGES.get(r["stage"], r["stage"])} for r in rows]


async def _check_session(ballot: OpenBallot, viewer: Viewer) -> None:
    session = await _session_of(viewer)
    if session is None or ballot.poll["session"] != session["id"]:
        raise Refused("这次票决不属于您所在的会议。", code="not_yours")


async def _ballot_for_deputy(poll_id: FromPath[int], viewer: Viewer) -> OpenBallot:
    ballot = await ballot_box.open_ballot(poll_id)  # kept a moment while open; the box decides again
    await _check_session(ballot, viewer)
    return ballot


class TabletController(Controller):
    path = "/tablet"

    @get("/login", name="tablet_login")
    async def login_form(self, request: Request) -> Template | Redirect:
        viewer = await viewer_of(request)
        asked = return_to(request.query_params.get("next"), "/tablet")
        if viewer is not None and viewer.kind == "deputy":
            return Redirect(asked or "/tablet")
        return page("tablet/login.html", request, next=asked)

    @post("/login")
    async def login(self, request: Request) -> Template | Redirect:
        form = await request.form()
        code = str(form.get("code") or "")
        try:
            token, _ = await accounts.deputy_login(code, client_of(request))
        except Refused as refused:
            return page("tablet/login.html", request, error=refused.message, code=code,
                        next=return_to(str(form.get("next") or ""), "/tablet"), status_code=refused.status_code)
        return Redirect(return_to(str(form.get("next") or ""), "/tablet") or "/tablet",
                        cookies=login_cookies(token, deputy=True))

    @get("/l/{token:str}")
    async def link_login(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        try:
            session_token, _ = await accounts.link_login(token, client_of(request))
        except Refused as refused:
            return page("tablet/login.html", request, error=refused.message, status_code=refused.status_code)
        return Redirect("/tablet", cookies=login_cookies(session_token, deputy=True))

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        await accounts.logout(login_token(request), await viewer_of(request))
        return Redirect("/tablet/login", cookies=logout_cookies())

    @post("/text-size")
    async def text_size(self, request: Request) -> Redirect | Response:
        """大字 on or off, kept with the deputy. The tablet's script sends it without leaving the
        page (the ballot's marks live only in the page) and gets 204; a plain form returns to the
        page it came from."""
        viewer = await require_deputy(request)
        form = form_dict(await request.form())
        await accounts.set_large_text(viewer, form.get("large") == "1")
        if request.headers.get("x-requested-with") == "piaojue":
            return Response(content=b"", status_code=204)
        return Redirect(return_to(str(form.get("next") or ""), "/tablet") or "/tablet")

    @post("/help")
    async def help(self, request: Request) -> Redirect | Response:
        """请求协助: recorded for the secretariat's console. The tablet's script sends it without
        leaving the page, so no mark is lost, and shows the answer (200, text); a plain form
        returns to the page it came from with the answer."""
        viewer = await require_deputy(request)
        form = form_dict(await request.form())
        said = await help_requests.ask(viewer, form.get("place", ""))
        if request.headers.get("x-requested-with") == "piaojue":
            return Response(content=said, media_type="text/plain; charset=utf-8", status_code=200)
        back = return_to(str(form.get("next") or ""), "/tablet") or "/tablet"
        return Redirect(back + ("&" if "?" in back else "?") + urlencode({"help": "1"}))

    @get("/", name="tablet_home")
    async def home(self, request: Request) -> Template:
        viewer = await require_deputy(request)
        return page("tablet/home.html", request, viewer, my_proposals=await _my_proposals(viewer),
                    scrutiny_entry=await scrutiny_entry(viewer),
                    supervision_groups=await supervision.groups_of_deputy(viewer.id),
                    notices=await notifications.of("deputy", viewer.id, limit=20), **await _home_context(viewer))

    @get("/status")
    async def status(self, request: Request) -> Template:
        """The live part of the home page (refreshed every few seconds)."""
        viewer = await require_deputy(request)
        return page("tablet/_status.html", request, viewer, **await _home_context(viewer))

    @get("/fonts/{code:str}", cache=False)
    async def font(self, code: FromPath[str]) -> Response[bytes]:
        """A second language's font (static/bilingual.css), for tablets that lack it: the hall has
        it for printing (Debian fonts-noto-core). Not secret, so served without a login."""
        lang = languages.language(code.removesuffix(".ttf"))
        found = font_file(lang.font) if lang and code.endswith(".ttf") else None
        if found is None:
            raise NotFound("没有这种文字的字体。")
        return Response(await anyio.Path(found).read_bytes(), media_type="font/ttf",
                        headers={"Cache-Control": "public, max-age=86400"})

    @post("/check-in")
    async def check_in(self, request: Request) -> Redirect:
        viewer = await require_deputy(request)
        session = await _session_of(viewer)
        if session is None:
            raise Refused("目前没有可以签到的会议。")
        await sittings.check_in(session["id"], viewer.id, viewer.actor)
        return Redirect("/tablet")

    # --- the ballot: filled in and reviewed on the tablet, sealed there, cast (post-redirect-get) ---

    async def _ballot_page(self, request: Request, viewer: Viewer, ballot: OpenBallot) -> Template | None:
        """Why this deputy cannot fill in the ballot now (voted, poll not open), as a page; None if they may."""
        refusal = await ballot_box.issue(ballot.poll["id"], viewer.id)
        if refusal is Outcome.already_voted:
            return page("tablet/voted.html", request, viewer, poll=ballot.poll,
                        message=ballot_box.OUTCOME_MESSAGES[refusal], status_code=200)
        if refusal is not None:
            return page("tablet/closed.html", request, viewer, poll=ballot.poll,
                        message=ballot_box.OUTCOME_MESSAGES[refusal], status_code=409)
        return None

    @get("/polls/{poll_id:int}")
    async def ballot(self, request: Request, poll_id: FromPath[int]) -> Template:
        """The ballot, always blank: the marks are made, reviewed and sealed in the page and never
        come back from the server (they never reach it)."""
        viewer = await require_deputy(request)
        ballot = await ballot_box.ballot_for(poll_id)  # the poll's key as of now, not the moment's cache
        await _check_session(ballot, viewer)
        refused = await self._ballot_page(request, viewer, ballot)
        if refused is not None:
            return refused
        return page("tablet/ballot.html", request, viewer, ballot=ballot, choices=CHOICES[ballot.poll["method"]],
                    labels=VALUE_LABELS, bi=await translations.for_poll(ballot.poll))

    @post("/polls/{poll_id:int}/cast")
    async def cast(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """确认投票: the sealed box made on this page under this login goes in; a form of another
        login (the tablet handed on, a replayed page) casts nothing."""
        viewer = await require_deputy(request)
        await _ballot_for_deputy(poll_id, viewer)
        form = form_dict(await request.form())
        if form.get("login") != login_tag(login_token(request)):
            return Redirect(f"/tablet/polls/{poll_id}", status_code=303)
        try:
            outcome = await ballot_box.cast(poll_id, viewer.id, str(form.get("sealed") or ""))
        except Refused as refused:
            ballot = await ballot_box.ballot_for(poll_id)
            return page("tablet/closed.html", request, viewer, poll=ballot.poll, message=refused.message,
                        retry=True, status_code=refused.status_code)
        if outcome is Outcome.accepted:
            return Redirect(f"/tablet/polls/{poll_id}/done", status_code=303)
        return Redirect(f"/tablet/polls/{poll_id}", status_code=303)

    @get("/polls/{poll_id:int}/done")
    async def done(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_deputy(request)
        ballot = await _ballot_for_deputy(poll_id, viewer)
        if not await ballot_box.has_voted(poll_id, viewer.id):
            return Redirect(f"/tablet/polls/{poll_id}", status_code=303)
        return page("tablet/done.html", request, viewer, poll=ballot.poll,
                    message=ballot_box.OUTCOME_MESSAGES[Outcome.accepted])

    @get("/propose")
    async def propose_form(self, request: Request) -> Template:
        viewer = await require_deputy(request)
        rounds = await _propose_rounds(viewer)
        upcoming = None if rounds else await _next_round(viewer)
        return page("tablet/propose.html", request, viewer, upcoming=upcoming and public.round_choice(upcoming),
                    **public.form_context(rounds, action="/tablet/propose", public=False))

    @post("/propose", request_max_body_size=public.MAX_BODY,
          exception_handlers={RequestEntityTooLarge: public.too_large})
    async def propose(self, request: Request) -> Template | Redirect:
        """A deputy's own proposal: channel 代表建议, credited to the deputy (never shown in public)."""
        viewer = await require_deputy(request)
        rounds = await _propose_rounds(viewer)
        outcome = await public.handle_submission(request, rounds, who_of(viewer), channel="deputy",
                                                 action="/tablet/propose", public=False, deputy_id=viewer.id)
        if not outcome.code:
            upcoming = None if rounds else await _next_round(viewer)
            return page("tablet/propose.html", request, viewer, status_code=outcome.status_code,
                        upcoming=upcoming and public.round_choice(upcoming), **outcome.context)
        return Redirect(f"/tablet/propose/done?{urlencode({'code': outcome.code})}", status_code=303)

    @get("/propose/done")
    async def proposed(self, request: Request) -> Template:
        viewer = await require_deputy(request)
        code = proposals.normalise_code(str(request.query_params.get("code") or ""))
        row = await Proposal.select(Proposal.code, Proposal.title, Proposal.stage).where(
            (Proposal.code == code) & (Proposal.deputy == viewer.id)).first()
        if row is None:
            raise NotFound("没有找到您的这条建议。")
        return page("tablet/proposed.html", request, viewer, item=row)

