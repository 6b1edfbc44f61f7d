"""The console's implementation pages: departments and their staff, each project's plan,
progress reports and decisions. A department's staff see only their own projects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lifecycle import colours, projects, stages, uploads
from lifecycle.projects import ADJUSTABLE, DECISION_KINDS, MilestoneInput, PlanInput
from lifecycle.proposals import Who, today
from voting import accounts, sittings
from lifecycle.tables import ProjectAttachment
from voting.errors import Forbidden, NotFound, Refused
from voting.accounts import STAFF_ROLES, Viewer
from voting.tables import StaffAccount
from web.auth import require_project_staff, require_staff, who_of
from web.pages import act_on_form, form_dict, page, stored_file, typed_date, typed_number, uploaded_files, whole

MILESTONE_ROWS = 6
PHOTOS_BODY = uploads.MAX_BYTES * uploads.MAX_PER_PROPOSAL + 1024 * 1024
LISTS = {"stage_labels": stages.PROJECT_STAGES, "colour_labels": colours.COLOURS, "decision_kinds": DECISION_KINDS,
         "adjustable": ADJUSTABLE}


def milestones_from_form(form: dict[str, str], prefix: str = "m") -> tuple[MilestoneInput, ...]:
    """The milestone rows of a form (`m1_title`, `m1_weight`, `m1_due`, and `m1_id` for one that
    exists), in order; a row left empty is no milestone."""
    rows = []
    for n in range(1, 100):
        if f"{prefix}{n}_title" not in form:
            break
        title = form[f"{prefix}{n}_title"].strip()
        if not title and not form.get(f"{prefix}{n}_due", "").strip():
            continue
        weight = typed_number(form.get(f"{prefix}{n}_weight", ""), f"第 {n} 个里程碑的权重", commas=True) or 0
        due = typed_date(form.get(f"{prefix}{n}_due", ""), f"第 {n} 个里程碑的日期")
        rows.append(MilestoneInput(title, weight, due, whole(form.get(f"{prefix}{n}_id", ""))))
    return tuple(rows)


def plan_from_form(form: dict[str, str]) -> PlanInput:
    rows = milestones_from_form(form)
    department = form.get("department", "")
    return PlanInput(whole(department), form.get("lead_official", ""),
                     typed_number(form.get("budget_wan", ""), "预算", optional=True, commas=True),
                     form.get("funding", ""), form.get("targets", ""),
                     typed_date(form.get("starts_on", ""), "开工日期", optional=True),
                     typed_date(form.get("ends_on", ""), "完成日期", optional=True), tuple(rows))


class ProjectConsoleController(Controller):
    path = "/console"

    @get("/projects")
    async def list_projects(self, request: Request) -> Template:
        viewer = await require_project_staff(request)
        who = who_of(viewer)
        year = request.query_params.get("year", "")
        rows = await projects.projects_for(who, whole(year))
        on = today()
        shown = []
        for project in rows:
            limits = await projects.thresholds(project["congress"])
            shown.append({**project, "colour": await projects.colour_of(project, on),
                          "report_due": projects.report_due(project, on, limits.report_every_days)})
        return page("console/projects.html", request, viewer, projects=shown, year=year, **LISTS)

    async def _project_page(self, request: Request, project_id: int, status_code: int = 200,
                            **more: Any) -> Template:
        viewer = await require_project_staff(request)
        who = who_of(viewer)
        project = await projects.get_project(project_id)
        await projects.check_access(project, who)
        stones = await projects.milestones(project_id)
        return page("console/project.html", request, viewer, status_code=status_code, p=project,
                    milestones=stones, milestone_rows=stones + [{}] * max(0, MILESTONE_ROWS - len(stones)),
                    reports=await projects.reports(project_id), decisions=await projects.decisions(project_id),
                    history=await projects.stage_history(project), plan_events=await projects.plan_history(project),
                    photos=await projects.attachments(project_id, "report"),
                    colour=await projects.colour_of(project), departments=await projects.departments(
                        project["congress"]), moves=[m for m in stages.project_moves_from(project["stage"], who.role)
                                                     if not m.needs - {"plan", "submitted", "milestones"}],
                    plan_complete=projects.plan_complete(project, stones), unfinished=projects.unfinished(stones),
                    weight_total=sum(m["weight"] for m in stones), is_secretariat=who.role in
                    stages.SECRETARIAT, today=today(), form=more.pop("form", {}), **LISTS, **more)

    @get("/projects/{project_id:int}")
    async def project(self, request: Request, project_id: FromPath[int]) -> Template:
        return await self._project_page(request, project_id, saved=request.query_params.get("saved", ""))

    async def _own(self, request: Request, project_id: int) -> Viewer:
        """The viewer, if the project is theirs to change: checked before anything sent is read or stored."""
        viewer = await require_project_staff(request)
        await projects.check_access(await projects.get_project(project_id), who_of(viewer))
        return viewer

    async def _act(self, request: Request, project_id: int, where: str,
                   action: Callable[[Who, dict[str, str]], Awaitable[None]]) -> Template | Redirect:
        """One form of the project page (`where`): saved, back to it there; refused, the page again."""
        viewer = await self._own(request, project_id)
        return await act_on_form(request, where, partial(action, who_of(viewer)),
                                 partial(self._project_page, request, project_id), f"/console/projects/{project_id}")

    @post("/projects/{project_id:int}/plan")
    async def save_plan(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            await projects.save_plan(project_id, plan_from_form(form), who)
        return await self._act(request, project_id, "plan", action)

    @post("/projects/{project_id:int}/plan/submit")
    async def submit_plan(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            await projects.submit_plan(project_id, who)
        return await self._act(request, project_id, "plan", action)

    @post("/projects/{project_id:int}/plan/return")
    async def return_plan(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            await projects.return_plan(project_id, form.get("reason", ""), who)
        return await self._act(request, project_id, "plan", action)

    @post("/projects/{project_id:int}/move")
    async def move(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            await projects.move_project(project_id, form.get("target", ""), who, form.get("reason", ""))
        return await self._act(request, project_id, "stage", action)

    @post("/projects/{project_id:int}/reports", request_max_body_size=PHOTOS_BODY)
    async def report(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        await self._own(request, project_id)  # another department's photos are never stored
        photos = await uploaded_files(await request.form(), "photos")

        async def action(who: Who, form: dict[str, str]) -> None:
            percents = {whole(key[2:]): typed_number(value, "完成比例", commas=True) or 0
                        for key, value in form.items()
                        if key.startswith("p_") and whole(key[2:]) is not None and value.strip()}
            filed_on = typed_date(form.get("filed_on", ""), "报告日期") or today()
            spent = typed_number(form.get("spent_wan", ""), "累计支出", commas=True) or 0
            await projects.file_report(project_id, form.get("period", ""), filed_on, percents, spent,
                                       form.get("narrative", ""), who,
                                       await uploads.store_all(photos))
        return await self._act(request, project_id, "report", action)

    @post("/projects/{project_id:int}/decisions")
    async def decision(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        async def action(who: Who, form: dict[str, str]) -> None:
            changes: dict[str, Any] = {}
            if form.get("budget_wan", "").strip():
                changes["budget_wan"] = typed_number(form["budget_wan"], "调整后的预算", commas=True)
            if form.get("ends_on", "").strip():
                changes["ends_on"] = typed_date(form["ends_on"], "调整后的完成日期")
            if form.get("targets", "").strip():
                changes["targets"] = form["targets"].strip()
            after = milestones_from_form(form, "d") if "d1_title" in form else None
            await projects.record_decision(project_id, form.get("kind", ""), form.get("body", ""),
                                           form.get("meeting", ""), typed_date(form.get("decided_on", ""), "决定日期"),
                                           form.get("document", ""), form.get("summary", ""), changes, who,
                                           milestones_after=after)
        return await self._act(request, project_id, "decision", action)

    @get("/project-attachments/{sha256:str}")
    async def attachment(self, request: Request, sha256: FromPath[str]) -> Response[bytes]:
        viewer = await require_project_staff(request)
        # Files are stored by content, so the same photo may belong to several projects: the
        # viewer may have it if they may see any one of them (not merely the first row found).
        rows = await ProjectAttachment.select().where(ProjectAttachment.sha256 == sha256).order_by(
            ProjectAttachment.id)
        if not rows:
            raise NotFound("没有找到这个附件")
        refusal: Forbidden | None = None
        for row in rows:
            try:
                await projects.check_access(await projects.get_project(row["project"]), who_of(viewer))
            except Forbidden as refused:
                refusal = refused
                continue
            return await stored_file(row["sha256"], row["media_type"], row["size"], row["name"])
        assert refusal is not None
        raise refusal

    # --- departments and their staff -------------------------------------------------

    @get("/departments")
    async def departments(self, request: Request) -> Template:
        viewer = await require_staff(request)
        return page("console/departments.html", request, viewer, **await self._departments_context())

    async def _departments_context(self, **more: Any) -> dict[str, Any]:
        staff = await StaffAccount.select(StaffAccount.id, StaffAccount.username, StaffAccount.display_name,
                                          StaffAccount.role).order_by(StaffAccount.id)
        links = {}
        for department in await projects.departments():
            for row in await projects.staff_of(department["id"]):
                links[row] = department["name"]
        congresses = await sittings.congresses()
        return {"congresses": congresses, "departments": await projects.departments(), "staff_roles": STAFF_ROLES,
                "thresholds": {c["id"]: await projects.thresholds(c["id"]) for c in congresses},
                "staff": [{**s, "department": links.get(s["id"], "")} for s in staff], "form": {}, **more}

    @post("/departments")
    async def create_department(self, request: Request) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            await projects.create_department(typed_number(form.get("congress", ""), "人大", commas=True) or 0,
                                             form.get("name", ""), who_of(viewer))
        except Refused as refused:
            return page("console/departments.html", request, viewer, status_code=refused.status_code,
                        **await self._departments_context(error=refused.message, form=form))
        return Redirect("/console/departments")

    @post("/congresses/{congress_id:int}/thresholds")
    async def set_thresholds(self, request: Request, congress_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            limits = colours.Thresholds(*(typed_number(form.get(k, ""), label, commas=True) or 0 for k, label in (
                ("yellow_gap", "黄灯差距"), ("red_gap", "红灯差距"), ("near_days", "临近期限天数"),
                ("report_every_days", "报告周期"))), rectify_basically=form.get("rectify_basically") == "1",
                verdict_rectify_days=typed_number(form.get("verdict_rectify_days", ""), "测评后整改期限", optional=True,
                                                  commas=True) or colours.Thresholds.verdict_rectify_days)
            await projects.set_thresholds(congress_id, limits, who_of(viewer))
        except Refused as refused:
            return page("console/departments.html", request, viewer, status_code=refused.status_code,
                        **await self._departments_context(error=refused.message, form=form))
        return Redirect("/console/departments#thresholds")

    @post("/departments/staff")
    async def create_staff(self, request: Request) -> Template | Redirect:
        """A login for a department's staff member (or another secretariat member)."""
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            role = form.get("role", "department")
            if role not in ("department", "screener", "secretariat"):
                raise Refused("账号类型无效。")
            if role == "department" and whole(form.get("department", "")) is None:
                raise Refused("承办部门的账号须选择所属部门：它只能看到本部门承办的项目。")
            username = form.get("username", "").strip()
            if not username.isascii() or not username.replace("_", "").isalnum() or not 3 <= len(username) <= 40:
                raise Refused("用户名用 3 到 40 位英文字母、数字或下划线。")
            staff_id = await accounts.create_staff(username, form.get("display_name", "").strip()[:40] or username,
                                                   form.get("password", ""), role=role)
            if role == "department":
                await projects.assign_staff(whole(form["department"]), staff_id, who_of(viewer))
        except Refused as refused:
            return page("console/departments.html", request, viewer, status_code=refused.status_code,
                        **await self._departments_context(error=refused.message, form=form))
        return Redirect("/console/departments")
