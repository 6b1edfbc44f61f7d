"""The console's proposal pages: collection rounds, paper entry, screening, merging, the
candidate list. Screening departments (初审部门, role `screener`) see these pages and nothing else of the console;
implementing departments (承办部门) none of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lifecycle import candidate_lists, proposal_import, proposals, publicity, screening, stages, uploads
from lifecycle.proposal_input import CATEGORIES, CHANNELS, LABELS, PAPER_CHANNELS, parse_proposal, received_problem
from lifecycle.proposals import Filters, Who
from voting import poll_settings, sittings
from voting.accounts import Viewer
from voting.errors import NotFound, Refused
from voting.poll_settings import PollSettings
from web.auth import require_screener, require_staff, who_of
from web.pages import (XLSX, act_on_form, chosen_ids, download, form_dict, page, stored_file, typed_date, typed_number,
                       uploaded_files, whole)
from web.public import FILE_FIELD, FILES_NOT_KEPT, MAX_BODY, too_large

LISTS = {"categories": CATEGORIES, "channels": CHANNELS, "stage_labels": stages.STAGES, "labels": LABELS,
         "criteria": screening.CRITERIA, "assessments": screening.ASSESSMENTS, "roles": stages.ROLES,
         "meeting_kinds": proposals.MEETING_KINDS, "threshold_bases": poll_settings.THRESHOLD_BASES,
         "publicity_filters": proposals.PUBLICITY_FILTERS, "correctable": publicity.CORRECTABLE}


class ProposalConsoleController(Controller):
    path = "/console"

    # --- collection rounds ----------------------------------------------------------

    @get("/rounds")
    async def rounds(self, request: Request) -> Template:
        viewer = await require_screener(request)
        return page("console/rounds.html", request, viewer, rounds=await proposals.rounds(),
                    counts={r["id"]: await proposals.stage_counts(r["id"]) for r in await proposals.rounds()},
                    congresses=await sittings.congresses(), today=proposals.today(), form={}, **LISTS)

    @post("/rounds")
    async def create_round(self, request: Request) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            await proposals.create_round(
                typed_number(form.get("congress", ""), "人大") or 0,
                typed_number(form.get("year", ""), "项目年度") or 0,
                form.get("title", ""), typed_date(form.get("opens_on", ""), "开始日期"),
                typed_date(form.get("closes_on", ""), "截止日期"),
                typed_number(form.get("budget_wan", ""), "年度预算", optional=True), who_of(viewer),
                typed_number(form.get("release_after_hours", ""), "自动公开等待时间", optional=True))
        except Refused as refused:
            return page("console/rounds.html", request, viewer, rounds=await proposals.rounds(), counts={},
                        congresses=await sittings.congresses(), today=proposals.today(), form=form,
                        error=refused.message, status_code=refused.status_code, **LISTS)
        return Redirect("/console/rounds")

    # --- importing proposals gathered on paper ---------------------------------------------

    @get("/rounds/{round_id:int}/import")
    async def import_form(self, request: Request, round_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return page("console/proposal_import.html", request, viewer, round=await proposals.get_round(round_id),
                    columns=proposal_import.COLUMNS, paper_channels=PAPER_CHANNELS, **LISTS)

    @post("/rounds/{round_id:int}/import")
    async def import_file(self, request: Request, round_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        form = await request.form()
        channel = form.get("channel") if isinstance(form.get("channel"), str) else ""
        context: dict[str, Any] = {"round": await proposals.get_round(round_id), "columns": proposal_import.COLUMNS,
                                   "paper_channels": PAPER_CHANNELS, "channel": channel, **LISTS}
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return page("console/proposal_import.html", request, viewer, error="请选择要导入的文件（.xlsx 或 .csv）。",
                        status_code=400, **context)
        parsed = proposal_import.parse_proposals(upload.filename, await upload.read())
        if parsed.errors:
            return page("console/proposal_import.html", request, viewer, errors=parsed.errors,
                        filename=upload.filename, status_code=400, **context)
        try:
            imported = await proposal_import.import_proposals(round_id, parsed, who_of(viewer), channel,
                                                              repeats_confirmed=form.get("repeats_ok") == "1")
        except Refused as refused:
            repeats = await proposal_import.already_entered(round_id, parsed) \
                if refused.code == "import_repeats" else []
            return page("console/proposal_import.html", request, viewer, error=refused.message, repeats=repeats,
                        filename=upload.filename, status_code=refused.status_code, **context)
        return page("console/proposal_import.html", request, viewer, imported=imported, filename=upload.filename,
                    skipped=parsed.skipped, **context)

    @get("/proposal-template.xlsx")
    async def import_template_xlsx(self, request: Request) -> Response[bytes]:
        await require_staff(request)
        return download(proposal_import.template_xlsx(), XLSX, "民生实事项目建议导入模板.xlsx")

    @get("/proposal-template.csv")
    async def import_template_csv(self, request: Request) -> Response[bytes]:
        await require_staff(request)
        return download(proposal_import.template_csv(), "text/csv; charset=utf-8", "民生实事项目建议导入模板.csv")

    # --- the list and paper entry -------------------------------------------------------

    @get("/proposals")
    async def list_proposals(self, request: Request) -> Template:
        viewer = await require_screener(request)
        query = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        filters = Filters.from_query(query)
        page_no = whole(query.get("page", "1")) or 1
        found = await proposals.list_proposals(filters, page_no or 1)
        kept = {k: v for k, v in query.items() if k != "page" and v}
        return page("console/proposals.html", request, viewer, found=found, filters=filters, query=kept,
                    query_string=urlencode(kept), rounds=await proposals.rounds(),
                    counts=await proposals.stage_counts(filters.round_id), **LISTS)

    @get("/proposals/new")
    async def new_proposal(self, request: Request) -> Template:
        viewer = await require_staff(request)
        return page("console/proposal_new.html", request, viewer, rounds=await proposals.rounds(),
                    form={"received_on": str(proposals.today())}, problems={}, **self._entry_lists())

    @staticmethod
    def _entry_lists() -> dict[str, Any]:
        return {"paper_channels": PAPER_CHANNELS, "file_field": FILE_FIELD, "max_files": uploads.MAX_PER_PROPOSAL,
                "max_mb": uploads.MAX_BYTES // (1024 * 1024), "max_bytes": uploads.MAX_BYTES, **LISTS}

    @post("/proposals/new", request_max_body_size=MAX_BODY, exception_handlers={RequestEntityTooLarge: too_large})
    async def enter_proposal(self, request: Request) -> Template | Redirect:
        """A proposal gathered on paper, with the day it was received and its scanned pages or
        photos. Nothing is kept unless all of it is right; what was typed comes back."""
        viewer = await require_staff(request)
        raw = await request.form()
        form = form_dict(raw)
        data, problems = parse_proposal(form)
        if form.get("channel") not in PAPER_CHANNELS:
            problems["channel"] = "请选择征集渠道。"
        round_id = typed_number(form.get("round", ""), "征集", optional=True)
        if round_id is None:
            problems["round"] = "请选择征集。"
        try:
            received = typed_date(form.get("received_on", ""), "收到日期", optional=True)
            if problem := received_problem(received, proposals.today()):
                problems["received_on"] = problem
        except Refused as refused:
            problems["received_on"] = refused.message
        files = await uploaded_files(raw, FILE_FIELD)
        stored: tuple[uploads.StoredUpload, ...] = ()
        if not problems and data is not None and round_id is not None:
            try:
                stored = await uploads.store_all(files)
            except Refused as refused:
                problems["files"] = f"{refused.message}。附件都没有保存，请重新选择附件。"
        if problems or data is None or round_id is None:
            if files and "files" not in problems:
                problems["files"] = FILES_NOT_KEPT
            return page("console/proposal_new.html", request, viewer, rounds=await proposals.rounds(), form=form,
                        problems=problems, status_code=400, **self._entry_lists())
        made = await proposals.submit(round_id, data, who_of(viewer), attachments=stored, received_on=received)
        return Redirect(f"/console/proposals/{made['id']}?entered=1")

    # --- one proposal: screening, merging, meetings ---------------------------------------

    @get("/proposals/{proposal_id:int}")
    async def proposal(self, request: Request, proposal_id: FromPath[int]) -> Template:
        viewer = await require_screener(request)
        return await self._proposal_page(request, viewer, proposal_id,
                                         entered=request.query_params.get("entered") == "1")

    @post("/proposals/{proposal_id:int}/contact")
    async def contact(self, request: Request, proposal_id: FromPath[int]) -> Template:
        """The proposer's name and contact, shown on this answer only (never kept on the page), the look audited."""
        viewer = await require_screener(request)
        revealed = await proposals.proposer_contact(proposal_id, who_of(viewer))
        return await self._proposal_page(request, viewer, proposal_id, revealed=revealed)

    async def _proposal_page(self, request: Request, viewer: Viewer, proposal_id: int, status_code: int = 200,
                             **more: Any) -> Template:
        return page("console/proposal.html", request, viewer, status_code=status_code,
                    **await self._detail(proposal_id, viewer.role), **more)

    async def _detail(self, proposal_id: int, role: str) -> dict[str, Any]:
        proposal = await proposals.get_proposal(proposal_id)
        standing = await proposals.standing_assessment(proposal_id)
        return {"p": proposal, "history": await proposals.history(proposal_id),
                "publicity": proposals.publicity_of(proposal),
                "is_secretariat": role in stages.SECRETARIAT, "is_screener": role in stages.SCREENERS,
                "can_hide": role in stages.SCREENERS and not publicity.hide_refusal(proposal["stage"]),
                "can_correct": role in stages.SCREENERS and proposal["stage"] in publicity.CORRECTABLE_STAGES,
                "reviews": await proposals.reviews(proposal_id), "standing": standing,
                "clears": screening.clears_screening(standing),
                "attachments": await proposals.attachments(proposal_id),
                "merged": await proposals.merged_sources(proposal_id),
                "similar": await proposals.similar_to(proposal) if proposal["stage"] not in stages.TERMINAL else [],
                "moves": [m for m in stages.moves_from(proposal["stage"], role) if m.target != "merged"
                          and "poll" not in m.needs and m.target != "candidate"],
                "can_merge": bool([m for m in stages.moves_from(proposal["stage"], role) if m.target == "merged"]),
                "show_actor": True,
                "merged_into": await proposals.get_proposal(proposal["merged_into"]) if proposal["merged_into"]
                else None, **LISTS}

    async def _act(self, request: Request, proposal_id: int, where: str,
                   action: Callable[[Viewer, dict[str, str]], Awaitable[str]]) -> Template | Redirect:
        """Run one action of the proposal page: on success go where it says, on a refusal show
        the page again with the message at the form (`where`) and what was typed."""
        viewer = await require_screener(request)
        return await act_on_form(request, where, partial(action, viewer),
                                 partial(self._proposal_page, request, viewer, proposal_id))

    @post("/proposals/{proposal_id:int}/review")
    async def review(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            await proposals.record_review(proposal_id, {key: form.get(f"a_{key}", "") for key in screening.CRITERIA},
                                          {key: form.get(f"c_{key}", "") for key in screening.CRITERIA},
                                          form.get("note", ""), who_of(viewer))
            return f"/console/proposals/{proposal_id}#review"
        return await self._act(request, proposal_id, "review", action)

    @post("/proposals/{proposal_id:int}/move")
    async def move(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            await proposals.move(proposal_id, form.get("target", ""), who_of(viewer), form.get("reason", ""))
            return f"/console/proposals/{proposal_id}"
        return await self._act(request, proposal_id, "decision", action)

    @post("/proposals/{proposal_id:int}/merge")
    async def merge(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            target = await proposals.track(form.get("into", ""))
            await proposals.merge(proposal_id, target["own"]["id"], who_of(viewer), form.get("reason", ""))
            return f"/console/proposals/{target['own']['id']}"
        return await self._act(request, proposal_id, "merge", action)

    @post("/proposals/{proposal_id:int}/meetings")
    async def meeting(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            held = typed_date(form["held_on"], "会议日期") if form.get("held_on", "").strip() else None
            await proposals.record_meeting(proposal_id, form.get("kind", ""), form.get("meeting", ""), held,
                                           form.get("document", ""), form.get("notes", ""), who_of(viewer))
            return f"/console/proposals/{proposal_id}#history"
        return await self._act(request, proposal_id, "meeting", action)

    # --- in public or not, corrections (lifecycle.publicity) -------------------------------

    async def _publicity(self, request: Request, proposal_id: int,
                         change: Callable[[dict[str, str], Who], Awaitable[Any]]) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            await change(form, who_of(viewer))
            return f"/console/proposals/{proposal_id}#publicity"
        return await self._act(request, proposal_id, "publicity", action)

    @post("/proposals/{proposal_id:int}/release")
    async def release(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        return await self._publicity(request, proposal_id, lambda form, who: proposals.release(proposal_id, who))

    @post("/proposals/{proposal_id:int}/hide")
    async def hide(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        return await self._publicity(request, proposal_id,
                                     lambda form, who: proposals.hide(proposal_id, form.get("reason", ""), who))

    @post("/proposals/{proposal_id:int}/unhide")
    async def unhide(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        return await self._publicity(request, proposal_id,
                                     lambda form, who: proposals.unhide(proposal_id, form.get("reason", ""), who))

    @post("/proposals/{proposal_id:int}/correct")
    async def correct(self, request: Request, proposal_id: FromPath[int]) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            proposal = await proposals.get_proposal(proposal_id)
            data, problems = parse_proposal(form, channel=proposal["channel"])
            if data is None:
                raise Refused("".join(problems[key] for key in publicity.CORRECTABLE if key in problems)
                              or "".join(problems.values()))
            await proposals.correct(proposal_id, data, form.get("reason", ""), who_of(viewer))
            return f"/console/proposals/{proposal_id}#history"
        return await self._act(request, proposal_id, "correct", action)

    @post("/proposals/{proposal_id:int}/attachments/{attachment_id:int}/hide")
    async def hide_attachment(self, request: Request, proposal_id: FromPath[int],
                              attachment_id: FromPath[int]) -> Template | Redirect:
        return await self._attachment_hidden(request, proposal_id, attachment_id, True)

    @post("/proposals/{proposal_id:int}/attachments/{attachment_id:int}/show")
    async def show_attachment(self, request: Request, proposal_id: FromPath[int],
                              attachment_id: FromPath[int]) -> Template | Redirect:
        return await self._attachment_hidden(request, proposal_id, attachment_id, False)

    async def _attachment_hidden(self, request: Request, proposal_id: int, attachment_id: int,
                                 hidden: bool) -> Template | Redirect:
        async def action(viewer: Viewer, form: dict[str, str]) -> str:
            await proposals.set_attachment_hidden(proposal_id, attachment_id, hidden, form.get("reason", ""),
                                                  who_of(viewer))
            return f"/console/proposals/{proposal_id}#attachments"
        return await self._act(request, proposal_id, "attachments", action)

    @get("/proposals/{proposal_id:int}/attachments/{attachment_id:int}")
    async def attachment(self, request: Request, proposal_id: FromPath[int], attachment_id: FromPath[int]) -> Response:
        """A proposal's file for staff, hidden or not."""
        await require_screener(request)
        row = next((a for a in await proposals.attachments(proposal_id) if a["id"] == attachment_id), None)
        if row is None:
            raise NotFound("这条建议没有这个附件。")
        return await stored_file(row["sha256"], row["media_type"], row["size"], row["name"])

    # --- the candidate list of a session ------------------------------------------------

    @get("/sessions/{session_id:int}/candidates")
    async def candidate_list(self, request: Request, session_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return page("console/candidates.html", request, viewer, **await self._list_context(session_id))

    async def _list_context(self, session_id: int, **more: Any) -> dict[str, Any]:
        on_list = await candidate_lists.candidates(session_id)
        poll = await candidate_lists.list_poll(session_id)
        count = len([p for p in on_list if p["stage"] == "candidate"])
        seats = poll["seats"] if poll and poll["seats"] else max(1, count - max(1, round(count / 6)))
        return {"session": await sittings.session_context(session_id), "on_list": on_list, "poll": poll,
                "shortlist": await candidate_lists.shortlist(session_id),
                "margin": candidate_lists.margin(len([p for p in on_list if p["stage"] == "candidate"]), seats),
                "locked": poll is not None and poll["status"] != "draft", "form": {}, **LISTS, **more}

    @post("/sessions/{session_id:int}/candidates")
    async def add_candidates(self, request: Request, session_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        form = await request.form()
        await candidate_lists.add(session_id, chosen_ids(form, "proposal"), who_of(viewer))
        return Redirect(f"/console/sessions/{session_id}/candidates")

    @post("/sessions/{session_id:int}/candidates/{proposal_id:int}/remove")
    async def remove_candidate(self, request: Request, session_id: FromPath[int],
                               proposal_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        await candidate_lists.remove(session_id, proposal_id, who_of(viewer), form.get("reason", ""))
        return Redirect(f"/console/sessions/{session_id}/candidates")

    @post("/sessions/{session_id:int}/candidates/{proposal_id:int}/shift")
    async def shift_candidate(self, request: Request, session_id: FromPath[int],
                              proposal_id: FromPath[int]) -> Redirect:
        """Move one item up or down the list by one place."""
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        order = [p["id"] for p in await candidate_lists.candidates(session_id)]
        if proposal_id in order:
            i = order.index(proposal_id)
            j = i - 1 if form.get("direction") == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
                await candidate_lists.reorder(session_id, order, who_of(viewer))
        return Redirect(f"/console/sessions/{session_id}/candidates#p{proposal_id}")

    @post("/sessions/{session_id:int}/candidates/poll")
    async def make_poll(self, request: Request, session_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            seats = typed_number(form.get("seats", ""), "应选项目数") or 0
            settings = PollSettings(
                title=form.get("title", "").strip(), method="approval", seats=seats,
                max_approvals=typed_number(form.get("max_approvals", ""), "每票最多赞成数", optional=True),
                non_competitive=form.get("non_competitive") == "1",
                threshold_base=form.get("threshold_base", "entitled"),
                threshold_fraction=form.get("threshold_fraction", "1/2"),
                threshold_strict=form.get("threshold_strict", "1") == "1",
                quorum_fraction=form.get("quorum_fraction", "2/3"), candidates=())
            poll_id = await candidate_lists.make_poll(session_id, settings, who_of(viewer))
        except Refused as refused:
            return page("console/candidates.html", request, viewer, status_code=refused.status_code,
                        **await self._list_context(session_id, error=refused.message, form=form))
        return Redirect(f"/console/polls/{poll_id}")
