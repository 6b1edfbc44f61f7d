"""The deputy's tablet: log in, check in, vote; propose projects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from lifecycle import proposals, supervision
from lifecycle.stages import STAGES
from lifecycle.tables import Proposal
from voting import accounts, ballot_box, paper, polls, scrutiny, sittings
from voting.accounts import Viewer
from voting.ballot_box import OpenBallot, Outcome
from voting.errors import Forbidden, NotFound, Refused
from voting.paper import Counter
from voting.rules import (APPROVAL_VALUES, SATISFACTION_VALUES, STATUS_LABELS as RESULT_STATUS_LABELS,
                          VALUE_LABELS, VERDICT_LABELS)
from voting.serials import SerialError, make_serial, parse_serial
from voting.tables import Term
from web import public
from web.auth import client_of, login_cookies, login_token, logout_cookies, require_deputy, viewer_of, who_of
from web.ballot_drafts import cleared_cookie, draft_cookie, read_draft
from web.pages import form_dict, page

CHOICES = {"approval": APPROVAL_VALUES, "satisfaction": SATISFACTION_VALUES}


def marks_from_form(form: Any, ballot: OpenBallot) -> dict[str, str]:
    """The marks a ballot form sent: field `m_<candidate ref>`; any other `m_` field too,
    so a forged candidate is refused by the rules rather than silently dropped."""
    return {key[2:]: value for key, value in form.items() if key.startswith("m_") and isinstance(value, str)}


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


async def _ballot_for_deputy(poll_id: FromPath[int], viewer: Viewer) -> OpenBallot:
    ballot = await ballot_box.open_ballot(poll_id)  # kept a moment while open; the box decides again
    session = await _session_of(viewer)
    if session is None or ballot.poll["session"] != session["id"]:
        raise Refused("这次票决不属于您所在的会议。", code="not_yours")
    return ballot


# --- the scrutineers' pages (监票) ------------------------------------------------------

NO_MARK = "none"  # the ruling form's 未划: the candidate is not marked on the sheet
HOW_LABELS = {"tablet": "平板", "paper": "纸质签字"}
NOT_A_MEMBER = "您不是本次会议的监票人。"


async def _scrutiny_role(viewer: Viewer) -> tuple[dict[str, Any] | None, str | None]:
    """The deputy's current session and their part in its scrutiny team (chief, scrutineer, counter or None)."""
    session = await _session_of(viewer)
    return session, (await scrutiny.role_of(session["id"], viewer.id) if session else None)


def _dispute_rows(dispute: dict[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """A disputed ballot's two entries side by side, candidate by candidate, differences flagged."""
    entries = dispute["entries"]

    def shown(entry: dict[str, Any], ref: str) -> str:
        if entry["void"]:
            return "作废"
        value = entry["marks"].get(ref)
        return VALUE_LABELS.get(value, value) if value else "未划"

    rows = []
    for c in candidates:
        cells = [shown(e, c["ref"]) for e in entries]
        rows.append({"candidate": c, "cells": cells, "differs": len(set(cells)) > 1})
    voids = ["作废" if e["void"] else "有效" for e in entries]
    return {"serial": dispute["serial"], "entries": entries, "rows": rows,
            "voids": voids if any(e["void"] for e in entries) else None}


async def _scrutiny_items(session: dict[str, Any], viewer: Viewer, role: str) -> list[dict[str, Any]]:
    """What the session's polls hold for a chief scrutineer or scrutineer: paper ballots to rule on
    while a poll is being counted, counts to confirm (or confirmed) once it is closed."""
    if role not in scrutiny.CONFIRMING:
        return []
    items: list[dict[str, Any]] = []
    for poll in await polls.polls_of_session(session["id"]):
        if poll["status"] == "counting":
            candidates = await polls.candidates_of(poll["id"])
            state = await paper.paper_state(poll["id"])
            items.append({"kind": "counting", "poll": poll, "candidates": candidates,
                          "choices": CHOICES[poll["method"]], "waiting": len(state["waiting"]),
                          "counted": state["counted"], "issued": state["issued"],
                          "disputes": [_dispute_rows(d, candidates) for d in state["disputed"]],
                          "pending": len(state["disputed"])})
        elif poll["status"] == "closed":
            confirmation = await scrutiny.confirmation_state(poll["id"])
            mine = next((m for m in confirmation["team"] if m["deputy"] == viewer.id), None)
            if mine is None:
                continue
            candidates = await polls.candidates_of(poll["id"])
            items.append({"kind": "closed", "poll": poll, "by_ref": {c["ref"]: c for c in candidates},
                          "result": await scrutiny.current_result(poll), "confirmation": confirmation,
                          "mine": mine["confirmation"], "seal": scrutiny.seal_in_force(poll, confirmation["corrections"]),
                          "pending": 0 if mine["confirmation"] else 1})
    return items


async def _scrutiny_entry(viewer: Viewer) -> dict[str, Any] | None:
    """The home page's 监票 entry: shown to the session's scrutiny team, with what awaits them."""
    session, role = await _scrutiny_role(viewer)
    if session is None or role is None:
        return None
    items = await _scrutiny_items(session, viewer, role)
    return {"role": role, "role_label": scrutiny.ROLES[role], "pending": sum(i["pending"] for i in items)}


def _ruled_serial(text: str) -> str:
    """The serial named in the `ruled=` of the page address, if it is one (nothing else is echoed)."""
    try:
        return make_serial(*parse_serial(text)) if text else ""
    except (SerialError, ValueError):
        return ""


def _ruling_from(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str], bool]:
    """The ruling form as sent: every choice as chosen (kept for the page), the marks for the box
    (未划 dropped), and whether the whole sheet is ruled void."""
    chosen = {key[2:]: value for key, value in form.items() if key.startswith("m_") and value}
    marks = {ref: value for ref, value in chosen.items() if value != NO_MARK}
    return chosen, marks, form.get("void") == "1"


def _missing_choices(chosen: dict[str, str], candidates: list[dict[str, Any]]) -> str:
    missing = [f"第{n}项“{c['title']}”" for n, c in enumerate(candidates, start=1) if c["ref"] not in chosen]
    if not missing:
        return ""
    return (f"还有 {len(missing)} 个候选项目没有裁定：{'、'.join(missing)}。"
            "请对照纸质选票逐项选择；选票上没有划的，请选“未划”。")


class TabletController(Controller):
    path = "/tablet"

    @get("/login", name="tablet_login")
    async def login_form(self, request: Request) -> Template | Redirect:
        viewer = await viewer_of(request)
        if viewer is not None and viewer.kind == "deputy":
            return Redirect("/tablet")
        return page("tablet/login.html", request)

    @post("/login")
    async def login(self, request: Request) -> Template | Redirect:
        form = await request.form()
        code = str(form.get("code") or "")
        try:
            token, _ = await accounts.deputy_login(code, client_of(request))
        except Refused as refused:
            return page("tablet/login.html", request, error=refused.message, code=code,
                        status_code=refused.status_code)
        return Redirect("/tablet", cookies=login_cookies(token, deputy=True))

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

    @get("/", name="tablet_home")
    async def home(self, request: Request) -> Template:
        viewer = await require_deputy(request)
        return page("tablet/home.html", request, viewer, my_proposals=await _my_proposals(viewer),
                    scrutiny_entry=await _scrutiny_entry(viewer),
                    supervision_groups=await supervision.groups_of_deputy(viewer.id), **await _home_context(viewer))

    @get("/status")
    async def status(self, request: Request) -> Template:
        """The live part of the home page (refreshed every few seconds)."""
        viewer = await require_deputy(request)
        return page("tablet/_status.html", request, viewer, **await _home_context(viewer))

    @post("/check-in")
    async def check_in(self, request: Request) -> Redirect:
        viewer = await require_deputy(request)
        session = await _session_of(viewer)
        if session is None:
            raise Refused("目前没有可以签到的会议。")
        await sittings.check_in(session["id"], viewer.id, viewer.actor)
        return Redirect("/tablet")

    # --- the ballot: fill in, review, cast (post-redirect-get; marks kept in web.ballot_drafts) ---

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
    async def ballot(self, request: Request, poll_id: FromPath[int], check: FromQuery[int] = 0) -> Template:
        """The ballot, with the marks this deputy made under this login if they came back to change them
        (返回修改); `check=1`: the marks were refused, say why beside them."""
        viewer = await require_deputy(request)
        ballot = await _ballot_for_deputy(poll_id, viewer)
        refused = await self._ballot_page(request, viewer, ballot)
        if refused is not None:
            return refused
        draft = read_draft(request, poll_id, login_token(request))
        marks, error = (draft.marks if draft else {}), ""
        if check and draft:
            try:
                ballot_box.check_marks(ballot, draft.marks)
            except Refused as refusal:
                error = refusal.message
        return page("tablet/ballot.html", request, viewer, ballot=ballot, marks=marks,
                    choices=CHOICES[ballot.poll["method"]], labels=VALUE_LABELS, error=error,
                    status_code=400 if error else 200)

    @post("/polls/{poll_id:int}/review")
    async def review(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        """下一步: keep the marks for this login and show them back on a page of their own."""
        viewer = await require_deputy(request)
        ballot = await _ballot_for_deputy(poll_id, viewer)
        marks = marks_from_form(await request.form(), ballot)
        cookie, _ = draft_cookie(poll_id, marks, login_token(request))
        try:
            ballot_box.check_marks(ballot, marks)
        except Refused:
            return Redirect(f"/tablet/polls/{poll_id}?check=1", status_code=303, cookies=[cookie])
        return Redirect(f"/tablet/polls/{poll_id}/review", status_code=303, cookies=[cookie])

    @get("/polls/{poll_id:int}/review")
    async def review_page(self, request: Request, poll_id: FromPath[int], changed: FromQuery[int] = 0) -> Template | Redirect:
        """核对选票: the marks kept under this login, or back to an empty ballot if there are none."""
        viewer = await require_deputy(request)
        ballot = await _ballot_for_deputy(poll_id, viewer)
        refused = await self._ballot_page(request, viewer, ballot)
        if refused is not None:
            return refused
        draft = read_draft(request, poll_id, login_token(request))
        if draft is None:
            return Redirect(f"/tablet/polls/{poll_id}", status_code=303)
        try:
            cleaned = ballot_box.check_marks(ballot, draft.marks)
        except Refused:
            return Redirect(f"/tablet/polls/{poll_id}?check=1", status_code=303)
        unmarked = sum(1 for c in ballot.candidates if c["ref"] not in cleaned)
        return page("tablet/review.html", request, viewer, ballot=ballot, marks=cleaned, labels=VALUE_LABELS,
                    approvals=sum(1 for v in cleaned.values() if v == "for"), unmarked=unmarked,
                    nonce=draft.nonce, changed=bool(changed))

    @post("/polls/{poll_id:int}/cast")
    async def cast(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        """确认投票: the marks reviewed under this login (the form names them by their nonce) go in."""
        viewer = await require_deputy(request)
        await _ballot_for_deputy(poll_id, viewer)
        draft = read_draft(request, poll_id, login_token(request))
        if draft is None:  # reviewed under another login, or never: nothing of anyone's is cast
            return Redirect(f"/tablet/polls/{poll_id}", status_code=303)
        if form_dict(await request.form()).get("draft") != draft.nonce:  # changed in another tab meanwhile
            return Redirect(f"/tablet/polls/{poll_id}/review?changed=1", status_code=303)
        try:
            outcome = await ballot_box.cast(poll_id, viewer.id, draft.marks)
        except Refused:
            return Redirect(f"/tablet/polls/{poll_id}?check=1", status_code=303)
        if outcome is Outcome.accepted:
            return Redirect(f"/tablet/polls/{poll_id}/done", status_code=303, cookies=[cleared_cookie()])
        return Redirect(f"/tablet/polls/{poll_id}", status_code=303, cookies=[cleared_cookie()])

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

    # --- the scrutineers' pages (监票) ---------------------------------------------------

    async def _scrutiny_page(self, request: Request, viewer: Viewer, status_code: int = 200,
                             error: dict[str, Any] | None = None) -> Template:
        session, role = await _scrutiny_role(viewer)
        if session is None or role is None:
            raise Forbidden(NOT_A_MEMBER)
        items = await _scrutiny_items(session, viewer, role)
        # A refusal is shown on the form it concerns; if that form is gone (another scrutineer
        # ruled first, the count was corrected), at the top of the page.
        page_error = ""
        if error:
            target = next((i for i in items if i["poll"]["id"] == error["poll"]), None)
            if target is None:
                shown_on_form = False
            elif error.get("serial"):
                shown_on_form = any(d["serial"] == error["serial"] for d in target.get("disputes", []))
            else:
                shown_on_form = target["kind"] == "closed"
            page_error = "" if shown_on_form else error["message"]
        return page("tablet/scrutiny.html", request, viewer, status_code=status_code, session=session, role=role,
                    role_label=scrutiny.ROLES[role], items=items, labels=VALUE_LABELS, no_mark=NO_MARK,
                    how_labels=HOW_LABELS, roles=scrutiny.ROLES, status_labels=polls.STATUS_LABELS,
                    result_status_labels=RESULT_STATUS_LABELS, verdict_labels=VERDICT_LABELS,
                    ruled=_ruled_serial(str(request.query_params.get("ruled") or "")),
                    error=error or {}, page_error=page_error)

    async def _scrutiny_poll(self, viewer: Viewer, poll_id: int) -> tuple[dict[str, Any], str]:
        """The poll a scrutineer acts on: of their current session, and they chief or scrutineer in it."""
        session, role = await _scrutiny_role(viewer)
        if session is None or role is None:
            raise Forbidden(NOT_A_MEMBER)
        if role not in scrutiny.CONFIRMING:
            raise Forbidden("计票人在计票台录入纸质选票；裁定和确认由总监票人、监票人进行。")
        poll = await polls.get_poll(poll_id)
        if poll["session"] != session["id"]:
            raise Refused("这次票决不属于您所在的会议。", code="not_yours")
        return poll, role

    @get("/scrutiny")
    async def scrutiny_home(self, request: Request) -> Template:
        """监票: disputed paper ballots to rule on, counts to confirm, for the session's scrutiny team."""
        viewer = await require_deputy(request)
        return await self._scrutiny_page(request, viewer)

    @post("/scrutiny/polls/{poll_id:int}/rule")
    async def scrutiny_rule(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """A ruling on a paper ballot whose two entries differ: what the sheet says goes into the box."""
        viewer = await require_deputy(request)
        _, role = await self._scrutiny_poll(viewer, poll_id)
        form = form_dict(await request.form())
        serial = form.get("serial", "").strip()
        chosen, marks, void = _ruling_from(form)
        reason = form.get("reason", "").strip()[:500]
        try:
            missing = "" if void else _missing_choices(chosen, await polls.candidates_of(poll_id))
            if missing:
                raise Refused(missing, code="incomplete_ruling")
            await paper.rule(poll_id, serial, marks, void, viewer.id,
                             Counter(f"deputy:{viewer.id}", f"{scrutiny.ROLES[role]} {viewer.name}"), reason)
        except Refused as refused:
            return await self._scrutiny_page(request, viewer, refused.status_code, error={
                "poll": poll_id, "serial": serial, "message": refused.message, "marks": chosen, "void": void,
                "reason": reason})
        return Redirect(f"/tablet/scrutiny?{urlencode({'ruled': serial})}#poll-{poll_id}", status_code=303)

    @post("/scrutiny/polls/{poll_id:int}/confirm")
    async def scrutiny_confirm(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """The scrutineer confirms the count in force, as the page showed it (its seal)."""
        viewer = await require_deputy(request)
        poll, _ = await self._scrutiny_poll(viewer, poll_id)
        form = form_dict(await request.form())
        try:
            await scrutiny.confirm(poll_id, viewer.id, "tablet", viewer.actor, seen_seal=form.get("seal", ""))
        except Refused as refused:
            return await self._scrutiny_page(request, viewer, refused.status_code,
                                             error={"poll": poll_id, "message": refused.message})
        return Redirect(f"/tablet/scrutiny#poll-{poll_id}", status_code=303)
