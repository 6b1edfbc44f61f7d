"""The secretariat's console: set up the sitting, run the vote, count, export, audit."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from typing import Any

from litestar.params import FromPath, FromQuery
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from reports import ballots, documents, login_cards
from reports.login_cards import scalable_qr_svg
from voting import accounts, approvals, audit, audit_chain, help_requests, key_ceremony, notices, paper, polls, poll_settings, scrutiny, sittings
from voting.serials import qr_text
from voting.times import BEIJING
from voting.errors import NotFound, Refused
from voting.poll_settings import CandidateInput
from voting.rules import STATUS_LABELS, VALUE_LABELS
from voting.accounts import Viewer
from web import audit_log, translations_console
from web.addresses import tablet_address
from web.auth import (COOKIE, STAFF_HOMES, client_of, login_cookies, logout_cookies, require_staff, return_to,
                      viewer_of)
from web.pages import DB_INT, act_on_form, document_preview, download, form_dict, page, typed_date, whole

CANDIDATE_ROWS = 15


def typed_candidates(form: dict[str, str]) -> list[dict[str, str]]:
    """Candidate rows c<n>_title/summary/location/cost as typed, in row order; blank rows dropped."""
    numbers = sorted({whole(key[1:].split("_")[0]) for key in form if key.startswith("c") and "_" in key} - {None})
    rows = []
    for n in numbers:
        row = {field: form.get(f"c{n}_{field}", "").strip() for field in ("title", "summary", "location", "cost")}
        if any(row.values()):
            row["reference"] = form.get(f"c{n}_reference", "").strip()[:80]
            rows.append(row)
    return rows


def candidates_from_form(form: dict[str, str]) -> list[CandidateInput]:
    candidates = []
    for position, row in enumerate(typed_candidates(form), start=1):
        cost = whole(row["cost"]) if row["cost"] else None
        if row["cost"] and cost is None:
            raise Refused(f"第 {position} 个候选项目的投资额必须是整数（万元），现在是“{row['cost']}”。")
        candidates.append(CandidateInput(row["title"], row["summary"], row["location"], cost, row["reference"]))
    return candidates


def _pdf(content: bytes, filename: str) -> Response[bytes]:
    return download(content, "application/pdf", filename)


async def poll_page(request: Request, viewer: Viewer, poll_id: int, status_code: int = 200,
                    **more: Any) -> Template:
    """The poll's console page; `more` carries a refused form's message and what was typed."""
    poll = await polls.get_poll(poll_id)
    candidates = await polls.candidates_of(poll_id)
    result = await scrutiny.current_result(poll)
    closed = poll["status"] == "closed"
    return page("console/poll.html", request, viewer, status_code=status_code, poll=poll, candidates=candidates,
                notices=await notices.notices_of_poll(poll_id), paper=await paper.paper_state(poll_id),
                notice_refusal=await notices.notice_check(poll_id) if closed else None,
                confirmation=await scrutiny.confirmation_state(poll_id) if closed else None,
                outcome=await polls.final_outcome(poll_id) if closed and poll["method"] == "approval" else None,
                roles=scrutiny.ROLES, issued_number=request.query_params.get("issued", ""),
                voided_serial=request.query_params.get("voided", ""),
                session=await sittings.session_context(poll["session"]),
                rules_text=poll_settings.describe(poll), result=result,
                by_ref={c["ref"]: c for c in candidates}, labels=VALUE_LABELS, status_labels=STATUS_LABELS,
                poll_status=polls.STATUS_LABELS, progress=await polls.progress(poll_id),
                base_label=poll_settings.THRESHOLD_BASES.get(poll["threshold_base"], ""),
                quorum=await polls.quorum_figures(poll) if poll["status"] == "draft" else None,
                poll_key=await key_ceremony.key_in_force(poll_id),
                waiting=await help_requests.waiting() if poll["status"] == "open" else [], places=help_requests.PLACES,
                help_back=f"/console/polls/{poll_id}",
                translations_needed=await translations_console.poll_needs(poll),  # 双语: texts still untranslated
                open_error=more.get("error", "") if more.get("error_at") == "open" else "",
                error=more.pop("error", ""), error_at=more.pop("error_at", ""), form=more.pop("form", {}), **more)


class ConsoleController(Controller):
    path = "/console"

    @get("/login", name="console_login")
    async def login_form(self, request: Request) -> Template:
        return page("console/login.html", request, next=return_to(request.query_params.get("next"), "/console"))

    @post("/login")
    async def login(self, request: Request) -> Template | Redirect:
        form = form_dict(await request.form())
        try:
            token, viewer = await accounts.staff_login(form.get("username", ""), form.get("password", ""),
                                                  client_of(request))
        except Refused as refused:
            return page("console/login.html", request, error=refused.message, username=form.get("username", ""),
                        next=return_to(form.get("next"), "/console"), status_code=refused.status_code)
        # back to the page that was asked for, or where each kind of staff begins
        home = return_to(form.get("next"), "/console") or STAFF_HOMES.get(viewer.role, "/console")
        return Redirect(home, cookies=login_cookies(token, deputy=False))

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        await accounts.logout(request.cookies.get(COOKIE), await viewer_of(request))
        return Redirect("/console/login", cookies=logout_cookies())

    # --- overview and setup ---------------------------------------------------------

    @get("/", name="console_home")
    async def home(self, request: Request) -> Template:
        viewer = await require_staff(request)
        sessions = await sittings.sessions_overview()
        return page("console/home.html", request, viewer, sessions=sessions,
                    congresses=await sittings.congresses(), terms=await sittings.terms_overview())

    @post("/congresses")
    async def create_congress(self, request: Request) -> Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        if len(form.get("name", "").strip()) > 100 or len(form.get("place", "").strip()) > 100:
            raise Refused("人大名称和所在地各不超过 100 字。")  # the columns' width (PostgreSQL refuses more)
        await sittings.create_congress(form.get("name", ""), form.get("level", "county"), form.get("place", ""),
                                       viewer.actor)
        return Redirect("/console")

    @post("/terms")
    async def create_term(self, request: Request) -> Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        congress_id, number = whole(form.get("congress", "")), whole(form.get("number", ""))
        if congress_id is None or number is None:
            raise Refused("请选择人大并填写届次（数字）。")
        await sittings.create_term(congress_id, number, viewer.actor)
        return Redirect("/console")

    @post("/sessions")
    async def create_session(self, request: Request) -> Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        term_id, number = whole(form.get("term", "")), whole(form.get("number", ""))
        if term_id is None or number is None:
            raise Refused("请选择届次并填写会次（数字）。")
        session_id = await sittings.create_session(term_id, number, typed_date(form.get("starts_on", ""), "开幕日期", optional=True),
                                                   typed_date(form.get("ends_on", ""), "闭幕日期", optional=True), viewer.actor)
        return Redirect(f"/console/sessions/{session_id}")

    # --- a session: attendance and polls ---------------------------------------------

    async def _session_page(self, request: Request, viewer: Any, session_id: int, status_code: int = 200,
                            **more: Any) -> Template:
        return page("console/session.html", request, viewer, session=await sittings.session_context(session_id),
                    attendance=await sittings.attendance(session_id), team=await scrutiny.members(session_id),
                    roles=scrutiny.ROLES, sittings=await sittings.sittings_of(session_id),
                    polls=await polls.polls_of_session(session_id), poll_status=polls.STATUS_LABELS,
                    status_code=status_code, error=more.pop("error", ""), error_at=more.pop("error_at", ""),
                    form=more.pop("form", {}), **more)

    @get("/sessions/{session_id:int}")
    async def session(self, request: Request, session_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return await self._session_page(request, viewer, session_id)

    @post("/sessions/{session_id:int}/sittings")
    async def create_sitting(self, request: Request, session_id: FromPath[int]) -> Template | Redirect:
        """Plan a sitting (全体会议); refused with the reason beside the form, what was typed kept."""
        viewer = await require_staff(request)

        async def action(form: dict[str, str]) -> str:
            await sittings.create_sitting(session_id, typed_date(form.get("held_on", ""), "全体会议的日期"),
                                          form.get("starts_at", ""), form.get("ends_at", ""), viewer.actor)
            return f"/console/sessions/{session_id}#sittings"

        return await act_on_form(request, "sittings", action,
                                 lambda status, **more: self._session_page(request, viewer, session_id, status, **more))

    @post("/sittings/{sitting_id:int}/{move:str}")
    async def move_sitting(self, request: Request, sitting_id: FromPath[int], move: FromPath[str]) -> Template | Redirect:
        """Open (`open`) or close (`close`) a sitting, with the reason typed; refusals beside its row."""
        viewer = await require_staff(request)
        if move not in ("open", "close"):
            raise NotFound("没有这个操作。")
        sitting = await sittings.sitting_row(sitting_id)

        async def action(form: dict[str, str]) -> str:
            await sittings.move_sitting(sitting_id, "open" if move == "open" else "closed", viewer.actor,
                                        form.get("reason", ""))
            return f"/console/sessions/{sitting['session']}#sittings"

        return await act_on_form(request, f"sitting{sitting_id}", action,
                                 lambda status, **more: self._session_page(request, viewer, sitting["session"],
                                                                           status, **more))

    @get("/sessions/{session_id:int}/attendance")
    async def attendance(self, request: Request, session_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return page("console/_attendance.html", request, viewer, session={"id": session_id},
                    attendance=await sittings.attendance(session_id))

    async def _deputies_page(self, request: Request, viewer: Any, session_id: int, status_code: int = 200,
                             **more: Any) -> Template:
        session = await sittings.session_context(session_id)
        q = request.query_params.get("q", "")
        delegation = whole(request.query_params.get("delegation", ""))  # "" (全部) or an id
        changed = whole(request.query_params.get("changed", ""))
        return page("console/deputies.html", request, viewer, session=session, status_code=status_code,
                    deputies=await sittings.deputies_with_presence(session_id, delegation, q.strip()),
                    delegations=await sittings.delegations_of(session["term_id"]), q=q, delegation=delegation,
                    sitting=await sittings.open_sitting_of(session_id), pending=await approvals.pending(session_id),
                    polls_open=await approvals.polls_open(session_id), changed=changed,
                    did=request.query_params.get("did", ""), me=approvals.staff_key(viewer.actor),
                    address=tablet_address(request),
                    error=more.pop("error", ""), error_at=more.pop("error_at", ""), **more)

    def _back_to_deputies(self, session_id: int, deputy_id: int, did: str) -> str:
        return f"/console/sessions/{session_id}/deputies?changed={deputy_id}&did={did}#d{deputy_id}"

    @get("/sessions/{session_id:int}/deputies")
    async def deputies(self, request: Request, session_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return await self._deputies_page(request, viewer, session_id)

    async def _on_deputy(self, request: Request, session_id: int, deputy_id: int, viewer: Any,
                         action: Any) -> Template | Redirect:
        """A form of a deputy's row: refused, the page stays with the message beside that row."""
        return await act_on_form(request, f"d{deputy_id}", action,
                                 lambda status, **more: self._deputies_page(request, viewer, session_id, status,
                                                                            **more))

    @post("/sessions/{session_id:int}/deputies/{deputy_id:int}/check-in")
    async def mark_present(self, request: Request, session_id: FromPath[int],
                           deputy_id: FromPath[int]) -> Template | Redirect:
        """Check a deputy in; while a poll is open, only a request for a second staff member."""
        viewer = await require_staff(request)

        async def action(form: dict[str, str]) -> str:
            did = await approvals.console_check_in(session_id, deputy_id, viewer.actor)
            return self._back_to_deputies(session_id, deputy_id, did)

        return await self._on_deputy(request, session_id, deputy_id, viewer, action)

    @post("/sessions/{session_id:int}/deputies/{deputy_id:int}/undo-check-in")
    async def undo_present(self, request: Request, session_id: FromPath[int],
                           deputy_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)

        async def action(form: dict[str, str]) -> str:
            await sittings.undo_check_in(session_id, deputy_id, viewer.actor, form.get("reason", ""))
            return self._back_to_deputies(session_id, deputy_id, "undone")

        return await self._on_deputy(request, session_id, deputy_id, viewer, action)

    def _code_page(self, request: Request, viewer: Any, session_id: int, deputy: dict[str, Any],
                   code: tuple[str, str]) -> Template:
        return page("console/login_code.html", request, viewer, session={"id": session_id}, deputy=deputy,
                    code=accounts.format_code(code[0]),
                    link=tablet_address(request).url + f"/tablet/l/{code[1]}")

    @post("/sessions/{session_id:int}/deputies/{deputy_id:int}/login-code")
    async def reissue_code(self, request: Request, session_id: FromPath[int],
                           deputy_id: FromPath[int]) -> Template | Redirect:
        """A new login code; while a poll is open, only a request for a second staff member."""
        viewer = await require_staff(request)
        deputy = next((d for d in await sittings.deputies_with_presence(session_id) if d["id"] == deputy_id), None)
        if deputy is None:  # before a code is issued: another congress's deputy keeps theirs
            raise NotFound("这位代表不属于本届人大。")
        issued: dict[str, Any] = {}

        async def action(form: dict[str, str]) -> str | None:
            did, code = await approvals.console_reissue(session_id, deputy_id, viewer.actor, form.get("reason", ""))
            issued["code"] = code
            return None if code else self._back_to_deputies(session_id, deputy_id, did)

        answer = await self._on_deputy(request, session_id, deputy_id, viewer, action)
        return self._code_page(request, viewer, session_id, deputy, issued["code"]) if issued.get("code") else answer

    @post("/approvals/{request_id:int}/{decision:str}")
    async def decide_request(self, request: Request, request_id: FromPath[int],
                             decision: FromPath[str]) -> Template | Redirect:
        """A second staff member approves (`approve`) a pending check-in or new code, or anyone
        withdraws it (`withdraw`); refusals beside the pending list."""
        viewer = await require_staff(request)
        if decision not in ("approve", "withdraw"):
            raise NotFound("没有这个操作。")
        row = await approvals.request_row(request_id)
        done: dict[str, Any] = {}

        async def action(form: dict[str, str]) -> str | None:
            if decision == "withdraw":
                await approvals.withdraw(request_id, viewer.actor, form.get("reason", ""))
                return self._back_to_deputies(row["session"], row["deputy"], "withdrawn")
            done.update(await approvals.approve(request_id, viewer.actor))
            return None if done["code"] else self._back_to_deputies(row["session"], row["deputy"], "approved")

        answer = await act_on_form(request, "approvals", action,
                                   lambda status, **more: self._deputies_page(request, viewer, row["session"], status,
                                                                              **more))
        if done.get("code"):
            deputy = {"id": row["deputy"], "name": row["deputy_name"], "number": row["deputy_number"]}
            return self._code_page(request, viewer, row["session"], deputy, done["code"])
        return answer

    # --- polls ------------------------------------------------------------------------

    def _poll_form(self, request: Request, viewer: Any, session: dict[str, Any], values: dict[str, Any],
                   candidates: list[dict[str, Any]], poll: dict[str, Any] | None = None, error: str = "",
                   status_code: int = 200) -> Template:
        rows = max(CANDIDATE_ROWS, len(candidates) + 3)
        return page("console/poll_form.html", request, viewer, session=session, values=values, poll=poll,
                    candidates=candidates + [{}] * (rows - len(candidates)), error=error,
                    bases=poll_settings.THRESHOLD_BASES, methods=poll_settings.METHOD_LABELS, status_code=status_code)

    @get("/sessions/{session_id:int}/polls/new")
    async def new_poll(self, request: Request, session_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        session = await sittings.session_context(session_id)
        values = {"method": "approval", "threshold_base": "entitled", "threshold_fraction": "1/2",
                  "threshold_strict": True, "quorum_fraction": "2/3"}
        return self._poll_form(request, viewer, session, values, [])

    async def _save_poll(self, request: Request, session_id: FromPath[int], poll_id: int | None) -> Template | Redirect:
        viewer = await require_staff(request)
        session = await sittings.session_context(session_id)
        form = form_dict(await request.form())
        poll = await polls.get_poll(poll_id) if poll_id else None
        shown = [{**row, "cost_wan": row["cost"]} for row in typed_candidates(form)]
        try:
            candidates = candidates_from_form(form)
            settings = poll_settings.from_form(form, candidates)
            if isinstance(settings, list):
                raise Refused("；".join(settings))
            if poll_id:
                await polls.update_poll(poll_id, settings, viewer.actor, form.get("reason", ""))
            else:
                poll_id = await polls.create_poll(session_id, settings, viewer.actor)
        except Refused as refused:
            values = {**form, "threshold_strict": form.get("threshold_strict") == "on",
                      "non_competitive": form.get("non_competitive") == "on",
                      "show_running_totals": form.get("show_running_totals") == "on"}
            return self._poll_form(request, viewer, session, values, shown, poll, refused.message, 400)
        return Redirect(f"/console/polls/{poll_id}")

    @post("/sessions/{session_id:int}/polls")
    async def create_poll(self, request: Request, session_id: FromPath[int]) -> Template | Redirect:
        return await self._save_poll(request, session_id, None)

    @get("/polls/{poll_id:int}/edit")
    async def edit_poll(self, request: Request, poll_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        poll = await polls.get_poll(poll_id)
        if poll["status"] != "draft":
            raise Refused("投票已经开始，票决办法和候选项目不能再修改。")
        session = await sittings.session_context(poll["session"])
        return self._poll_form(request, viewer, session, poll, await polls.candidates_of(poll_id), poll)

    @post("/polls/{poll_id:int}/edit")
    async def update_poll(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        poll = await polls.get_poll(poll_id)
        return await self._save_poll(request, poll["session"], poll_id)

    @get("/polls/{poll_id:int}")
    async def poll(self, request: Request, poll_id: FromPath[int]) -> Template:
        return await poll_page(request, await require_staff(request), poll_id)

    @get("/polls/{poll_id:int}/progress")
    async def poll_progress(self, request: Request, poll_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return page("console/_progress.html", request, viewer, progress=await polls.progress(poll_id),
                    poll=await polls.get_poll(poll_id))

    @post("/polls/{poll_id:int}/open")
    async def open_poll(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """Open the vote; refused (no quorum, no open sitting) with the figures beside the button."""
        viewer = await require_staff(request)

        async def action(form: dict[str, str]) -> str:
            await polls.open_poll(poll_id, viewer.actor)
            return f"/console/polls/{poll_id}"

        return await act_on_form(request, "open", action,
                                 lambda status, **more: poll_page(request, viewer, poll_id, status, **more))

    @post("/polls/{poll_id:int}/key-ceremony")
    async def key_ceremony(self, request: Request, poll_id: FromPath[int]) -> Template:
        """The key ceremony at the counting desk: the poll's key is made and its cards shown once,
        to be printed and sealed in envelopes in front of the scrutineers. Nothing of a card is kept."""
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            ceremony = await key_ceremony.hold(poll_id, viewer.actor, form.get("reason", ""))
        except Refused as refused:
            return await poll_page(request, viewer, poll_id, refused.status_code, error=refused.message,
                                   error_at="key", form=form)
        return page("console/key_cards.html", request, viewer, ceremony=ceremony, poll=ceremony.poll,
                    cards=[{"holder": c.holder, "text": c.share.text, "check": c.share.check_code,
                            "qr": scalable_qr_svg(c.share.text)} for c in ceremony.cards])

    @post("/polls/{poll_id:int}/delete")
    async def delete_poll(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        poll = await polls.get_poll(poll_id)
        await polls.delete_poll(poll_id, viewer.actor, form_dict(await request.form()).get("reason", ""))
        return Redirect(f"/console/sessions/{poll['session']}")

    @get("/polls/{poll_id:int}/ballots.json")
    async def export(self, request: Request, poll_id: FromPath[int]) -> Response[str]:
        await require_staff(request)
        poll = await polls.get_poll(poll_id)
        return Response(await polls.export_ballot_file(poll_id), media_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{poll["ref"]}-ballots.json"'})

    @get("/polls/{poll_id:int}/result.json")
    async def result_file(self, request: Request, poll_id: FromPath[int]) -> Response[str]:
        from voting.ballot_file import dumps

        await require_staff(request)
        poll = await polls.get_poll(poll_id)
        result = await polls.result_in_force(poll)  # a correction, if any
        if result is None:
            raise Refused("投票结束后才有计票结果。")
        return Response(dumps(result), media_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{poll["ref"]}-result.json"'})

    # --- printed documents -------------------------------------------------------------

    @post("/polls/{poll_id:int}/paper-ballots", status_code=200)
    async def paper_ballots(self, request: Request, poll_id: FromPath[int]) -> Response[bytes]:
        """Register a print run of numbered ballots and return them as one PDF."""
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            count = int(form.get("count", "").strip())
        except ValueError:
            raise Refused("请填写要打印的选票张数（整数）。") from None
        poll = await polls.get_poll(poll_id)
        candidates = await polls.candidates_of(poll_id)
        words = await ballots.ballot_words(poll, candidates)  # refused before any serial is registered
        serials = await paper.register_print_run(poll_id, count, viewer.actor)
        content = await ballots.ballots_pdf(poll, candidates, await sittings.session_context(poll["session"]),
                                            [(serial, qr_text(poll["ref"], serial)) for serial in serials],
                                            words=words)
        kind = "满意度测评表" if poll["method"] == "satisfaction" else "选票"
        return _pdf(content, f"{poll['ref']}-{kind}-{min(serials)}至{max(serials)}.pdf")  # printed shuffled

    async def _poll_document(self, request: Request, poll_id: int, kind: str, pdf: bool) -> Response[Any]:
        await require_staff(request)
        poll = await polls.get_poll(poll_id)
        content = await documents.poll_document(kind, poll_id, pdf=pdf)
        if pdf:
            return _pdf(content, f"{poll['ref']}-{documents.POLL_DOCUMENTS[kind][2]}.pdf")
        return document_preview(content)

    @get("/polls/{poll_id:int}/tally.pdf")
    async def tally_pdf(self, request: Request, poll_id: FromPath[int]) -> Response[bytes]:
        return await self._poll_document(request, poll_id, "tally", pdf=True)

    @get("/polls/{poll_id:int}/tally.html")
    async def tallydocument_preview(self, request: Request, poll_id: FromPath[int]) -> Response[str]:
        return await self._poll_document(request, poll_id, "tally", pdf=False)

    @get("/polls/{poll_id:int}/satisfaction.pdf")
    async def satisfaction_pdf(self, request: Request, poll_id: FromPath[int]) -> Response[bytes]:
        return await self._poll_document(request, poll_id, "satisfaction", pdf=True)

    @get("/polls/{poll_id:int}/satisfaction.html")
    async def satisfactiondocument_preview(self, request: Request, poll_id: FromPath[int]) -> Response[str]:
        return await self._poll_document(request, poll_id, "satisfaction", pdf=False)

    @post("/polls/{poll_id:int}/notices")
    async def issue_notice(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        await notices.issue_notice(poll_id, viewer.actor)
        return Redirect(f"/console/polls/{poll_id}")

    @get("/notices/{notice_id:int}/pdf")
    async def notice_pdf(self, request: Request, notice_id: FromPath[int]) -> Response[bytes]:
        await require_staff(request)
        notice = await notices.get_notice(notice_id)
        return _pdf(await documents.notice_pdf(notice_id), f"{notice['title']}.pdf")

    @get("/notices/{notice_id:int}/html")
    async def noticedocument_preview(self, request: Request, notice_id: FromPath[int]) -> Response[str]:
        await require_staff(request)
        return document_preview(await documents.notice_html(notice_id))

    @post("/sessions/{session_id:int}/login-cards", status_code=200)
    async def login_cards(self, request: Request, session_id: FromPath[int]) -> Response[bytes]:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        session = await sittings.session_context(session_id)
        delegation = whole(form.get("delegation", ""))
        deputies = [d for d in await sittings.deputies_with_presence(session_id, delegation) if d["active"]]
        if not deputies:
            raise Refused("没有可以打印登录卡的代表。")
        address = tablet_address(request)
        if address.problem and form.get("address_ok") != address.url:
            raise Refused(address.problem + "如确认平板能访问该地址，请在打印表单中勾选确认后再打印。", code="tablet_address")
        content = await login_cards.issue_and_print(deputies, address.url, session["name"], viewer.actor)
        return _pdf(content, "代表登录卡.pdf")

    # --- 会前检查 ----------------------------------------------------------------------

    @get("/preflight")
    async def preflight(self, request: Request) -> Template:
        """会前检查: HTTPS, disk, database, today's backup, fonts, a passed rehearsal, the clock."""
        viewer = await require_staff(request)
        from reports.pdf import font_families
        from voting import preflight as checks

        now = datetime.now(timezone.utc)
        found = await checks.run(set(await asyncio.to_thread(font_families)), now)
        return page("console/preflight.html", request, viewer, checks=found, server_time=now,
                    beijing=BEIJING, states={"ok": "正常", "warn": "注意", "fail": "不通过"})

    # --- audit ------------------------------------------------------------------------

    @get("/audit")
    async def audit_log(self, request: Request, action: FromQuery[str] = "", actor: FromQuery[str] = "",
                        day: FromQuery[str] = "", page_number: FromQuery[int] = 1) -> Template:
        viewer = await require_staff(request)
        since = until = None
        start = typed_date(day, "日期", optional=True)  # None for a day left blank (or only spaces)
        if start is not None:
            if not date.min < start < date.max:  # its Beijing day would begin or end outside what a time can hold
                raise Refused(f"日期“{day.strip()}”超出范围。")
            since = datetime(start.year, start.month, start.day, tzinfo=BEIJING)
            until = since + timedelta(days=1)
        size = 100
        rows = await audit.entries(action=action, actor=actor.strip(), since=since, until=until, limit=size + 1,
                                   offset=(max(page_number, 1) - 1) * size)
        return page("console/audit.html", request, viewer, entries=await audit_log.described(rows[:size]),
                    more=len(rows) > size,
                    page_number=max(page_number, 1), action=action, actor=actor, day=day,
                    actions=audit.ACTION_LABELS, beijing=BEIJING, head=audit_chain.short(await audit.head()))

