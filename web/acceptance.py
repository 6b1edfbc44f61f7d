"""The console's pages after the works are done: a project's acceptance (验收) and its certificate,
its upkeep (custodians and the maintenance log), and the satisfaction evaluation polls (满意度测评).

These live under sub-paths of a project (`/console/projects/<id>/acceptance`,
`/console/projects/<id>/maintenance`) and at `/console/evaluations`. The secretariat records
acceptances and opens evaluations; a project's own department sees its acceptance records and
keeps its maintenance log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lifecycle import acceptance, evaluation, maintenance, projects, stages
from lifecycle.proposals import Who, today
from reports import acceptance as certificate
from voting import polls
from voting.errors import Refused
from voting.poll_settings import THRESHOLD_BASES
from voting.rules import VERDICT_LABELS
from web.auth import require_project_staff, require_staff, who_of
from web.pages import (act_on_form, chosen_ids, document_preview, download, form_dict, page, typed_date, typed_number,
                       whole)

LISTS = {"stage_labels": stages.PROJECT_STAGES, "checklist_labels": acceptance.CHECKLIST,
         "results": acceptance.RESULTS, "check_labels": acceptance.CHECK_LABELS, "verdict_labels": VERDICT_LABELS,
         "poll_status": polls.STATUS_LABELS, "threshold_bases": THRESHOLD_BASES}


def checklist_from_form(form: dict[str, str]) -> dict[str, dict[str, Any]]:
    """c_<item> is "1" (符合) or "0" (不符合), n_<item> the note; an item left blank is unassessed."""
    marks = {"1": True, "0": False}
    return {key: {"ok": marks.get(form.get(f"c_{key}", "")), "note": form.get(f"n_{key}", "")}
            for key in acceptance.CHECKLIST}


class AfterVoteConsoleController(Controller):
    path = "/console"

    async def _project(self, request: Request, project_id: int) -> tuple[Any, Who, dict[str, Any]]:
        viewer = await require_project_staff(request)
        who = who_of(viewer)
        project = await projects.get_project(project_id)
        await projects.check_access(project, who)
        return viewer, who, project

    # --- acceptance ----------------------------------------------------------------------

    async def _acceptance_page(self, request: Request, project_id: int, status_code: int = 200,
                               **more: Any) -> Template:
        viewer, who, project = await self._project(request, project_id)
        records = []
        for record in await acceptance.acceptances_of(project_id):
            items = acceptance.read_checklist(record["checklist"])
            records.append({**record, "names": await acceptance.deputy_names(record["deputies"]), "checks": items,
                            "until": acceptance.warranty_until(record["held_on"], record["warranty_months"])
                            if record["result"] in acceptance.PASSING else None})
        deputies = await acceptance.deputies_for(project["congress"])
        delegations: dict[str, list[dict[str, Any]]] = {}
        for deputy in deputies:
            delegations.setdefault(deputy["delegation_name"], []).append(deputy)
        form = more.pop("form", {})
        noticed = acceptance.warnings(project, await projects.reports(project_id), None)
        ask_noted = more.pop("ask_noted", False) or bool(noticed)
        return page("console/acceptance.html", request, viewer, status_code=status_code, p=project,
                    noticed=noticed, ask_noted=ask_noted,
                    records=records, delegations=delegations, can_record=who.role in stages.SECRETARIAT
                    and project["stage"] == "completed", today=today(), form=form,
                    chosen=set(more.pop("chosen", [])), milestones=await projects.milestones(project_id),
                    saved=request.query_params.get("saved", ""), **LISTS, **more)

    @get("/projects/{project_id:int}/acceptance")
    async def acceptance_page(self, request: Request, project_id: FromPath[int]) -> Template:
        return await self._acceptance_page(request, project_id)

    @post("/projects/{project_id:int}/acceptance")
    async def record_acceptance(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        raw = await request.form()
        form = form_dict(raw)
        deputy_ids = chosen_ids(raw, "deputy")
        try:
            held_on = typed_date(form.get("held_on", ""), "验收日期")
            rectify_by = typed_date(form.get("rectify_by", ""), "整改期限", optional=True)
            months = typed_number(form.get("warranty_months", ""), "质保期（月）", optional=True)
            record_id = await acceptance.record_acceptance(
                project_id, held_on, deputy_ids, form.get("representatives", ""), checklist_from_form(form),
                form.get("findings", ""), form.get("result", ""), months, who_of(viewer), rectify_by=rectify_by,
                noted=form.get("noted") == "1")
        except Refused as refused:
            return await self._acceptance_page(request, project_id, refused.status_code, error=refused.message,
                                               form=form, chosen=deputy_ids,
                                               ask_noted=refused.code == "acceptance_warnings")
        return Redirect(f"/console/projects/{project_id}/acceptance?saved={record_id}#a{record_id}")

    async def _certificate(self, request: Request, project_id: int, acceptance_id: int, pdf: bool) -> Response[Any]:
        _, _, project = await self._project(request, project_id)
        if pdf:
            content = await certificate.certificate_pdf(acceptance_id, project_id)
            return download(content, "application/pdf", f"验收意见书-{project['title']}-{acceptance_id}.pdf")
        return document_preview(await certificate.certificate_html(acceptance_id, project_id))

    @get("/projects/{project_id:int}/acceptance/{acceptance_id:int}/certificate/pdf")
    async def certificate_pdf(self, request: Request, project_id: FromPath[int],
                              acceptance_id: FromPath[int]) -> Response[bytes]:
        return await self._certificate(request, project_id, acceptance_id, pdf=True)

    @get("/projects/{project_id:int}/acceptance/{acceptance_id:int}/certificate/html")
    async def certificate_html(self, request: Request, project_id: FromPath[int],
                               acceptance_id: FromPath[int]) -> Response[str]:
        return await self._certificate(request, project_id, acceptance_id, pdf=False)

    # --- maintenance ---------------------------------------------------------------------

    async def _maintenance_page(self, request: Request, project_id: int, status_code: int = 200,
                                **more: Any) -> Template:
        viewer, who, project = await self._project(request, project_id)
        on = today()
        left = (project["warranty_until"] - on).days if project["warranty_until"] else None
        return page("console/maintenance.html", request, viewer, status_code=status_code, p=project,
                    custodians=await maintenance.custodians_of(project_id),
                    entries=await maintenance.maintenance_log(project_id),
                    deputies=await acceptance.deputies_for(project["congress"]),
                    open_for_upkeep=project["stage"] in maintenance.MAINTAINED, warranty_left=left, today=on,
                    form=more.pop("form", {}), saved=request.query_params.get("saved", ""), **LISTS, **more)

    @get("/projects/{project_id:int}/maintenance")
    async def maintenance_page(self, request: Request, project_id: FromPath[int]) -> Template:
        return await self._maintenance_page(request, project_id)

    async def _upkeep(self, request: Request, project_id: int, where: str,
                      action: Callable[[Who, dict[str, str]], Awaitable[None]]) -> Template | Redirect:
        """One form of the maintenance page (`where`): saved, back to it there; refused, the page again."""
        viewer = await require_project_staff(request)
        return await act_on_form(request, where, partial(action, who_of(viewer)),
                                 partial(self._maintenance_page, request, project_id),
                                 f"/console/projects/{project_id}/maintenance")

    @post("/projects/{project_id:int}/maintenance/custodians")
    async def add_custodian(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            deputy = form.get("deputy", "")
            await maintenance.add_custodian(project_id, form.get("name", ""), whole(deputy), form.get("duty", ""),
                                            typed_date(form.get("since", ""), "开始管护的日期"), who)
        return await self._upkeep(request, project_id, "custodians", action)

    @post("/projects/{project_id:int}/maintenance/log")
    async def log_maintenance(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            await maintenance.log_maintenance(project_id, typed_date(form.get("on", ""), "日期"), form.get("note", ""),
                                              form.get("defect") == "1", who,
                                              typed_date(form.get("due_on", ""), "整改期限", optional=True))
        return await self._upkeep(request, project_id, "log", action)

    # --- satisfaction evaluation -------------------------------------------------------

    async def _evaluations_page(self, request: Request, viewer: Any, status_code: int = 200, **more: Any) -> Template:
        waiting = await evaluation.completed_projects()
        again = await evaluation.to_evaluate_again()
        accepted = [p for p in waiting if p["stage"] == "accepted"]
        pending = await evaluation.pending_polls([p["code"] for p in accepted + again])
        groups: dict[tuple[int, int], dict[str, Any]] = {}
        newest = {}  # a project evaluated again goes with its congress's newest year of accepted ones
        for project in accepted:
            newest[project["congress"]] = max(newest.get(project["congress"], 0), project["year"])
        for project in accepted + again:
            key = (project["congress"], max(project["year"], newest.get(project["congress"], 0)))
            group = groups.setdefault(key, {"congress": project["congress"], "year": key[1],
                                            "congress_name": project["congress_name"], "projects": []})
            group["projects"].append({**project, "pending": pending.get(project["code"])})
        sessions = await evaluation.sessions_by_congress()
        return page("console/evaluations.html", request, viewer, status_code=status_code,
                    to_accept=[p for p in waiting if p["stage"] == "completed"], groups=list(groups.values()),
                    group_keys=[f"{c}-{y}" for c, y in groups],
                    sessions=sessions, evaluations=await evaluation.evaluations(), default_title=evaluation.default_title,
                    form=more.pop("form", {}), chosen=set(more.pop("chosen", [])), error_at=more.pop("error_at", ""),
                    **LISTS, **more)

    @get("/evaluations")
    async def evaluations(self, request: Request) -> Template:
        viewer = await require_staff(request)
        corrected = request.query_params.get("corrected", "")
        return await self._evaluations_page(request, viewer, corrected=corrected)

    @post("/evaluations")
    async def open_evaluation(self, request: Request) -> Template | Redirect:
        viewer = await require_staff(request)
        raw = await request.form()
        form = form_dict(raw)
        chosen = chosen_ids(raw, "project")
        try:
            congress_id = typed_number(form.get("congress", ""), "人大", optional=True)
            year = typed_number(form.get("year", ""), "年度", optional=True)
            session_id = typed_number(form.get("session", ""), "会议", optional=True)
            if congress_id is None or year is None:
                raise Refused("请从待测评的项目中选择。")
            if session_id is None:
                raise Refused("请选择进行测评的会议。")
            poll_id = await evaluation.open_evaluation(
                congress_id, year, session_id, form.get("title", ""), who_of(viewer), chosen,
                threshold_base=form.get("threshold_base", "entitled") or "entitled",
                threshold_strict=form.get("threshold_strict", "1") != "0")
        except Refused as refused:
            return await self._evaluations_page(request, viewer, refused.status_code, error=refused.message,
                                                error_at=f"{form.get('congress', '')}-{form.get('year', '')}",
                                                form=form, chosen=chosen)
        return Redirect(f"/console/polls/{poll_id}")

    @post("/evaluations/{poll_id:int}/correction")
    async def apply_correction(self, request: Request, poll_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        changed = await evaluation.apply_correction(poll_id, who_of(viewer))
        return Redirect(f"/console/evaluations?corrected={changed}#e{poll_id}")

