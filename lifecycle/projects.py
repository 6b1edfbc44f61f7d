"""A chosen project from its implementation plan to completion: the plan, progress reports,
decisions that change course, and the moves between stages (lifecycle.stages.PROJECT_MOVES).

Every change runs in one transaction with its audit entry and an entry in the proposal's
public history (`ProposalEvent`), so the item's page shows its whole life from the
citizen's proposal on. An implementing department's staff see and change only their own
department's projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from lifecycle import colours, notification_rules, notifications, stages
from lifecycle.proposals import Who, _event, today
from lifecycle.stages import MoveRefused
from lifecycle.uploads import StoredUpload
from lifecycle.tables import (
    Decision,
    Department,
    DepartmentStaff,
    Milestone,
    ProgressReport,
    Project,
    ProjectAttachment,
    Proposal,
    ProposalEvent,
    Rectification,
    SupervisionSettings,
)
from voting import audit
from voting.database import write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused
from voting.tables import Congress

DECISION_KINDS = {"adjust": "调整", "suspend": "暂停", "resume": "恢复实施", "terminate": "终止"}
DECISION_TARGETS = {"suspend": "suspended", "resume": "implementing", "terminate": "terminated"}
ADJUSTABLE = {"budget_wan": "预算（万元）", "ends_on": "完成日期", "targets": "建设内容和目标", "milestones": "里程碑"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- who may touch a project -----------------------------------------------------------


async def department_of(staff_id: int | None) -> int | None:
    if staff_id is None:
        return None
    row = await DepartmentStaff.select(DepartmentStaff.department).where(DepartmentStaff.staff == staff_id).first()
    return row["department"] if row else None


async def check_access(project: dict[str, Any], who: Who) -> None:
    """Secretariat: every project. A department: only its own projects. Nobody else changes one."""
    if who.role in stages.SECRETARIAT or who.role == "system":
        return
    if who.role == "department" and project["department"] is not None \
            and await department_of(who.actor.id) == project["department"]:
        return
    raise Forbidden("这个项目不由您的部门承办，您不能查看或修改它的实施信息。")


# --- departments ---------------------------------------------------------------------


async def create_department(congress_id: int, name: str, who: Who) -> int:
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()
    name = name.strip()
    if not name or len(name) > 60:
        raise Refused("请填写部门名称（不超过 60 字）。")
    async with write_transaction():
        if not await Congress.exists().where(Congress.id == congress_id):
            raise NotFound("没有这个人大。")
        if await Department.exists().where((Department.congress == congress_id) & (Department.name == name)):
            raise Conflict(f"已有部门“{name}”。")
        row = (await Department.insert(Department(congress=congress_id, name=name)).returning(Department.id))[0]
        await audit.record(who.actor, "department_created", subject=name)
    return row["id"]


async def assign_staff(department_id: int, staff_id: int, who: Who) -> None:
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()
    async with write_transaction():
        await DepartmentStaff.delete().where(DepartmentStaff.staff == staff_id)
        await DepartmentStaff.insert(DepartmentStaff(department=department_id, staff=staff_id))
        await audit.record(who.actor, "department_staff_assigned", subject=str(staff_id),
                           detail={"department": department_id})


async def departments(congress_id: int | None = None) -> list[dict[str, Any]]:
    query = Department.select().order_by(Department.name)
    return await (query.where(Department.congress == congress_id) if congress_id else query)


# --- projects --------------------------------------------------------------------------


async def create_for(proposal_id: int, who: Who) -> int:
    """The project of a proposal the vote chose (called in the closing transaction); idempotent."""
    existing = await Project.select(Project.id).where(Project.proposal == proposal_id).first()
    if existing:
        return existing["id"]
    proposal = await Proposal.select(Proposal.all_columns(), Proposal.round.congress.as_alias("congress"),
                                     Proposal.round.year.as_alias("year")).where(Proposal.id == proposal_id).first()
    row = (await Project.insert(Project(
        proposal=proposal_id, congress=proposal["congress"], year=proposal["year"], title=proposal["title"],
        category=proposal["category"], budget_wan=proposal["cost_wan"], stage="planning",
        targets=proposal["description"])).returning(Project.id))[0]
    await _event(proposal_id, "project", who, text="列为民生实事项目，进入实施方案编制", stage_to="planning")
    return row["id"]


async def get_project(project_id: int) -> dict[str, Any]:
    row = await Project.select(Project.all_columns(), Project.proposal.code.as_alias("code"),
                               Project.department.name.as_alias("department_name")).where(
        Project.id == project_id).first()
    if row is None:
        raise NotFound("没有这个项目。")
    return row


async def milestones(project_id: int) -> list[dict[str, Any]]:
    return await Milestone.select().where(Milestone.project == project_id).order_by(Milestone.position)


async def reports(project_id: int) -> list[dict[str, Any]]:
    return await ProgressReport.select().where(ProgressReport.project == project_id).order_by(
        ProgressReport.filed_on, ProgressReport.id).output(load_json=True)


async def stage_history(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's stage changes, newest first, with what was said: a completion sent back
    (退回继续实施) and its reason, a completion reported early and why."""
    return await ProposalEvent.select(ProposalEvent.at, ProposalEvent.stage_from, ProposalEvent.stage_to,
                                      ProposalEvent.text, ProposalEvent.actor).where(
        (ProposalEvent.proposal == project["proposal"]) & (ProposalEvent.kind == "project")).order_by(
        ProposalEvent.at, ascending=False)


async def decisions(project_id: int) -> list[dict[str, Any]]:
    return await Decision.select().where(Decision.project == project_id).order_by(Decision.id).output(load_json=True)


async def thresholds(congress_id: int) -> colours.Thresholds:
    row = await SupervisionSettings.select().where(SupervisionSettings.congress == congress_id).first()
    if row is None:
        return colours.Thresholds()
    return colours.Thresholds(row["yellow_gap"], row["red_gap"], row["near_days"], row["report_every_days"],
                              row["rectify_basically"], row["verdict_rectify_days"])


async def colour_of(project: dict[str, Any], on: date | None = None) -> str:
    open_due = await Rectification.select(Rectification.due_on).where(
        (Rectification.project == project["id"]) & (Rectification.status != "closed"))
    standing = colours.Standing(project["stage"], project["progress"], project["starts_on"], project["ends_on"],
                                tuple(r["due_on"] for r in open_due), project["last_report_on"])
    return colours.colour(standing, on or today(), await thresholds(project["congress"]))


# --- the plan --------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneInput:
    title: str
    weight: int
    due_on: date
    id: int | None = None  # an existing milestone, when a decision changes the published ones


@dataclass(frozen=True)
class PlanInput:
    department_id: int | None
    lead_official: str
    budget_wan: int | None
    funding: str
    targets: str
    starts_on: date | None
    ends_on: date | None
    milestones: tuple[MilestoneInput, ...]


def plan_problems(plan: PlanInput) -> list[str]:
    """What keeps a plan from being saved (any stage) — pure."""
    found = []
    if len(plan.lead_official) > 40 or len(plan.funding) > 1000 or len(plan.targets) > 4000:
        found.append("责任人不超过 40 字，资金来源不超过 1000 字，建设内容不超过 4000 字。")
    if plan.budget_wan is not None and plan.budget_wan < 0:
        found.append("预算不能为负数。")
    if plan.starts_on and plan.ends_on and plan.ends_on < plan.starts_on:
        found.append("完成日期不能早于开工日期。")
    for n, m in enumerate(plan.milestones, start=1):
        if not m.title.strip() or len(m.title) > 100:
            found.append(f"第 {n} 个里程碑须有名称（不超过 100 字）。")
        if m.weight < 0 or m.weight > 100:
            found.append(f"第 {n} 个里程碑的权重应在 0 到 100 之间。")
        if plan.starts_on and plan.ends_on and not plan.starts_on <= m.due_on <= plan.ends_on:
            found.append(f"第 {n} 个里程碑的日期应在开工与完成日期之间。")
    return found


def milestones_text(rows: list[Any]) -> str:
    """Milestones as one line for a decision's before/after: 路基 40（2027-03-01）；路面 60（…）."""
    def field(row: Any, name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)
    return "；".join(f"{field(m, 'title').strip()} {field(m, 'weight')}（{field(m, 'due_on')}）" for m in rows)


def milestone_change_problems(current: list[dict[str, Any]], new: tuple[MilestoneInput, ...],
                              starts_on: date | None, ends_on: date | None) -> list[str]:
    """What keeps a decision from replacing the published milestones with `new` — pure. The weights
    still add up to 100, every date falls within the (adjusted) schedule, and a milestone already
    reported on stays (its title, weight and date may change; its progress is kept)."""
    found = plan_problems(PlanInput(None, "", None, "", "", starts_on, ends_on, new))
    if not new:
        found.append("调整后至少要有一个里程碑。")
    elif sum(m.weight for m in new) != 100:
        found.append(f"调整后各里程碑的权重合计须为 100（现在是 {sum(m.weight for m in new)}）。")
    known = {m["id"]: m for m in current}
    kept = [m.id for m in new if m.id is not None]
    if set(kept) - set(known) or len(kept) != len(set(kept)):
        found.append("里程碑与本项目的实施方案不符，请刷新页面后重新填写。")
    for m in current:
        if m["id"] not in kept and m["percent"] > 0:
            found.append(f"“{m['title']}”已报告完成 {m['percent']}%，不能删除，可以调整它的名称、权重或日期。")
    return found


def plan_complete(project: dict[str, Any], milestone_rows: list[dict[str, Any]]) -> bool:
    """The `plan` fact: a department, dates, a budget and milestones whose weights add up to 100."""
    return bool(project["department"] and project["starts_on"] and project["ends_on"]
                and project["budget_wan"] is not None and milestone_rows
                and sum(m["weight"] for m in milestone_rows) == 100)


def unfinished(milestone_rows: list[dict[str, Any]]) -> list[str]:
    """The milestones not yet reported at 100 %, as "路面（60%）" — pure. A project with none at all
    has nothing to show finished: it reads as one unfinished item."""
    if not milestone_rows:
        return ["实施方案中没有里程碑"]
    return [f"{m['title']}（{m['percent']}%）" for m in milestone_rows if m["percent"] < 100]


def completion_refusal(left: list[str], reason: str) -> str:
    """Why completion cannot be reported now, or "" — pure. `left`: the milestones not at 100 %
    (`unfinished`). None left, or a reason for reporting before that (it goes on the public page
    with the list of what is unfinished)."""
    if not left or reason.strip():
        return ""
    return (f"还有里程碑没有完成：{'、'.join(left)}。各里程碑都报告完成 100% 后才能报告完工；"
            "确需提前报告的，请写明理由，理由和未完成的里程碑会显示在项目的公开页面上，并告知监督小组。")


async def save_plan(project_id: int, plan: PlanInput, who: Who) -> None:
    """Write the implementation plan while it is being drawn up; once published, scope, budget
    and dates change only through a decision (`record_decision`, kind `adjust`)."""
    problems = plan_problems(plan)
    if problems:
        raise Refused("".join(problems), code="plan_invalid")
    async with write_transaction():
        project = await get_project(project_id)
        await check_access(project, who)
        if project["stage"] != "planning":
            raise Conflict("实施方案已公布；调整建设内容、预算、工期或里程碑须有常委会（或乡镇人代会）的决定。",
                           code="plan_published")
        if project["plan_submitted_at"] is not None:
            raise Conflict("实施方案已提交审定，审定期间不能修改；如需修改，请秘书处退回。", code="plan_submitted")
        department = plan.department_id if who.role in stages.SECRETARIAT else project["department"]
        if department is not None and not await Department.exists().where(
                (Department.id == department) & (Department.congress == project["congress"])):
            raise Refused("请选择本级政府的承办部门。")
        await Project.update({
            Project.department: department, Project.lead_official: plan.lead_official.strip(),
            Project.budget_wan: plan.budget_wan, Project.funding: plan.funding.strip(),
            Project.targets: plan.targets.strip(), Project.starts_on: plan.starts_on, Project.ends_on: plan.ends_on,
            Project.updated_at: _now()}).where(Project.id == project_id)
        await Milestone.delete().where(Milestone.project == project_id)
        if plan.milestones:
            await Milestone.insert(*[Milestone(project=project_id, position=n, title=m.title.strip(), weight=m.weight,
                                               due_on=m.due_on) for n, m in enumerate(plan.milestones, start=1)])
        await audit.record(who.actor, "plan_saved", subject=project["title"])


async def submit_plan(project_id: int, who: Who) -> None:
    """The department (or the secretariat drawing up the plan itself) sends a complete plan for
    review; it cannot be changed until it is published or returned."""
    async with write_transaction():
        project = await get_project(project_id)
        await check_access(project, who)
        if project["stage"] != "planning":
            raise Conflict("实施方案已公布，不需要再提交审定。", code="plan_published")
        if project["plan_submitted_at"] is not None:
            raise Conflict("实施方案已提交审定，请等待秘书处审定。", code="plan_submitted")
        if not plan_complete(project, await milestones(project_id)):
            raise Conflict(stages.PROJECTS.needs_text["plan"].replace("才能公布", "才能提交审定"), code="plan_incomplete")
        await Project.update({Project.plan_submitted_at: _now(), Project.updated_at: _now()}).where(
            Project.id == project_id)
        await _event(project["proposal"], "plan", who, text="提交实施方案，待人大常委会工作机构审定")
        await audit.record(who.actor, "plan_submitted", subject=project["title"])


async def return_plan(project_id: int, reason: str, who: Who) -> None:
    """The secretariat returns a submitted plan to its department with what must change; the reason
    shows on the department's project page and in the project's history."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("实施方案由秘书处（人大常委会工作机构）审定。")
    reason = reason.strip()
    if not 4 <= len(reason) <= 1000:
        raise Refused("退回实施方案须写明需要修改的内容（4 到 1000 字）。", code="reason_required")
    async with write_transaction():
        project = await get_project(project_id)
        if project["stage"] != "planning" or project["plan_submitted_at"] is None:
            raise Conflict("这份实施方案没有在等待审定，不能退回。", code="plan_not_submitted")
        await Project.update({Project.plan_submitted_at: None, Project.updated_at: _now()}).where(
            Project.id == project_id)
        event = await _event(project["proposal"], "plan", who, text=f"实施方案退回修改：{reason}")
        await notifications.tell(notification_rules.plan_returned(notifications.project_facts(project), reason, event))
        await audit.record(who.actor, "plan_returned", subject=project["title"], reason=reason)


async def plan_history(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's submissions and returns, newest first (the department reads why it came back)."""
    return await ProposalEvent.select(ProposalEvent.at, ProposalEvent.text, ProposalEvent.actor).where(
        (ProposalEvent.proposal == project["proposal"]) & (ProposalEvent.kind == "plan")).order_by(
        ProposalEvent.at, ascending=False)


async def move_project(project_id: int, target: str, who: Who, reason: str = "", *,
                       facts: frozenset[str] = frozenset(), text: str = "") -> dict[str, Any]:
    """Move a project to another stage under lifecycle.stages; the public history records it."""
    async with write_transaction():
        project = await get_project(project_id)
        await check_access(project, who)
        if target == "implementing" and project["stage"] == "planning" and plan_complete(
                project, await milestones(project_id)):
            facts = facts | {"plan"} | ({"submitted"} if project["plan_submitted_at"] is not None else set())
        if target == "completed" and project["stage"] == "implementing":
            left = unfinished(await milestones(project_id))
            refusal = completion_refusal(left, reason)
            if refusal:
                raise Conflict(refusal, code="milestones_unfinished")
            facts = facts | {"milestones"}
            if left:  # reported early, with a reason: the public history says what is left
                text = text or f"报告完工（尚未完成：{'、'.join(left)}）。理由：{reason.strip()}"
        try:
            step = stages.check_project_move(project["stage"], target, who.role, reason=reason, facts=facts)
        except MoveRefused as refused:
            raise Conflict(refused.message, code="move_refused") from None
        changes: dict[Any, Any] = {Project.stage: target, Project.updated_at: _now()}
        if step.label == "公布实施方案":
            changes[Project.plan_published_at] = _now()
        await Project.update(changes).where(Project.id == project_id)
        await _event(project["proposal"], "project", who, text=text or reason or step.label,
                     stage_from=project["stage"], stage_to=target)
        await audit.record(who.actor, "project_moved", subject=project["title"],
                           detail={"from": project["stage"], "to": target}, reason=reason)
    return project


# --- progress --------------------------------------------------------------------------


async def file_report(project_id: int, period: str, filed_on: date, percents: dict[int, int], spent_wan: int,
                      narrative: str, who: Who, photos: tuple[StoredUpload, ...] = ()) -> int:
    """A progress report: percent per milestone (never going back), money spent to date, narrative,
    photos (stored already by lifecycle.uploads)."""
    period, narrative = period.strip(), narrative.strip()
    if not period or len(period) > 20:
        raise Refused("请填写报告期（如“2027年第一季度”，不超过 20 字）。")
    if len(narrative) < 10 or len(narrative) > 4000:
        raise Refused("进展情况请写 10 到 4000 字。")
    if spent_wan < 0:
        raise Refused("已支出金额不能为负数。")
    async with write_transaction():
        project = await get_project(project_id)
        await check_access(project, who)
        if project["stage"] != "implementing":
            raise Conflict("实施方案公布后、完工之前才能报送进度。", code="not_implementing")
        rows = await milestones(project_id)
        known = {m["id"]: m for m in rows}
        problems = []
        for milestone_id, percent in percents.items():
            if milestone_id not in known:
                problems.append("里程碑不属于这个项目。")
            elif not 0 <= percent <= 100:
                problems.append(f"“{known[milestone_id]['title']}”的完成比例应在 0 到 100 之间。")
            elif percent < known[milestone_id]["percent"]:
                problems.append(f"“{known[milestone_id]['title']}”的完成比例不能低于上次报告的 "
                                f"{known[milestone_id]['percent']}%。")
        if problems:
            raise Refused("".join(problems), code="report_invalid")
        merged = {m["id"]: percents.get(m["id"], m["percent"]) for m in rows}
        overall = colours.weighted_progress([(m["weight"], merged[m["id"]]) for m in rows])
        for milestone_id, percent in merged.items():
            await Milestone.update({Milestone.percent: percent}).where(Milestone.id == milestone_id)
        row = (await ProgressReport.insert(ProgressReport(
            project=project_id, period=period, filed_on=filed_on, percents={str(k): v for k, v in merged.items()},
            progress=overall, spent_wan=spent_wan, narrative=narrative, by=who.actor.label)).returning(
            ProgressReport.id))[0]
        await attach(project_id, "report", row["id"], photos)
        await Project.update({Project.progress: overall, Project.spent_wan: spent_wan,
                              Project.last_report_on: filed_on, Project.updated_at: _now()}).where(
            Project.id == project_id)
        await _event(project["proposal"], "progress", who, text=f"{period}进度报告：总体完成 {overall}%",
                     detail={"report": row["id"], "progress": overall})
        await audit.record(who.actor, "progress_reported", subject=project["title"],
                           detail={"period": period, "progress": overall})
    return row["id"]


def report_due(project: dict[str, Any], on: date, every_days: int) -> bool:
    """Whether a progress report is overdue (flagged on the department's list): the colour rule's own test."""
    return colours.report_overdue(project["stage"], project["starts_on"], project["last_report_on"], on, every_days)


async def attach(project_id: int, kind: str, record: int, files: tuple[StoredUpload, ...]) -> None:
    """Put stored photos or PDFs on a report, an inspection, an acceptance or a log entry."""
    if files:
        await ProjectAttachment.insert(*[ProjectAttachment(
            project=project_id, kind=kind, record=record, sha256=f.sha256, media_type=f.media_type, size=f.size,
            name=f.name) for f in files])


async def attachments(project_id: int, kind: str) -> dict[int, list[dict[str, Any]]]:
    """A project's attachments of one kind, by the record they belong to."""
    rows = await ProjectAttachment.select().where(
        (ProjectAttachment.project == project_id) & (ProjectAttachment.kind == kind)).order_by(ProjectAttachment.id)
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["record"], []).append(row)
    return found


# --- decisions that change course ------------------------------------------------------


async def record_decision(project_id: int, kind: str, body: str, meeting: str, decided_on: date, document: str,
                          summary: str, changes: dict[str, Any], who: Who,
                          milestones_after: tuple[MilestoneInput, ...] | None = None) -> int:
    """A decision of the standing committee (or the township congress) to adjust, suspend, resume
    or terminate a project: recorded, applied, and shown in the project's public history.

    An adjustment may change the budget, the end date, the targets and the published milestones
    (`milestones_after`, the whole new list; the same list as now is no change)."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("调整、暂停或终止项目的决定由秘书处（人大常委会工作机构）录入。")
    if kind not in DECISION_KINDS:
        raise Refused("未知的决定类型。")
    body, meeting, document, summary = body.strip(), meeting.strip(), document.strip(), summary.strip()
    if not body or not meeting or not document:
        raise Refused("须填写作出决定的机关、会议和文号。", code="decision_incomplete")
    if len(body) > 60 or len(meeting) > 100 or len(document) > 60 or not 4 <= len(summary) <= 2000:
        raise Refused("机关不超过 60 字，会议不超过 100 字，文号不超过 60 字，决定内容 4 到 2000 字。")
    unknown = set(changes) - set(ADJUSTABLE) | ({"milestones"} & set(changes))
    if unknown:
        raise Refused("调整须写明调整的内容：预算、完成日期、建设内容或里程碑。")
    if kind != "adjust":
        changes, milestones_after = {}, None
    async with write_transaction():
        project = await get_project(project_id)
        await check_access(project, who)
        current = await milestones(project_id)
        if milestones_after is not None and [(m.id, m.title.strip(), m.weight, m.due_on) for m in milestones_after] \
                == [(m["id"], m["title"], m["weight"], m["due_on"]) for m in current]:
            milestones_after = None  # the list as it stands: no change
        if kind == "adjust" and not changes and milestones_after is None:
            raise Refused("调整须写明调整的内容：预算、完成日期、建设内容或里程碑。")
        recorded = {k: {"before": str(project[k]), "after": str(v)} for k, v in changes.items()}
        if kind == "adjust":
            if project["stage"] not in ("implementing", "suspended"):
                raise Conflict("只有实施中或暂停的项目需要以决定调整；方案公布前请直接修改实施方案。")
            columns: dict[Any, Any] = {getattr(Project, key): value for key, value in changes.items()}
            if milestones_after is not None:
                problems = milestone_change_problems(current, milestones_after, project["starts_on"],
                                                     changes.get("ends_on", project["ends_on"]))
                if problems:
                    raise Refused("".join(problems), code="milestones_invalid")
                columns[Project.progress] = await _replace_milestones(project_id, current, milestones_after)
                recorded["milestones"] = {"before": milestones_text(current), "after": milestones_text(milestones_after)}
            await Project.update({**columns, Project.updated_at: _now()}).where(Project.id == project_id)
        row = (await Decision.insert(Decision(
            project=project_id, kind=kind, body=body, meeting=meeting, decided_on=decided_on, document=document,
            summary=summary, changes=recorded, by=who.actor.label)).returning(Decision.id))[0]
        text = f"{body}{meeting}（{decided_on}，{document}）决定{DECISION_KINDS[kind]}：{summary}"
        if kind in DECISION_TARGETS:
            await move_project(project_id, DECISION_TARGETS[kind], who, summary, facts=frozenset({"decision"}),
                               text=text)
        else:
            await _event(project["proposal"], "decision", who, text=text, detail={"decision": row["id"]})
        await audit.record(who.actor, "decision_recorded", subject=project["title"],
                           detail={"kind": kind, "document": document})
    return row["id"]


async def _replace_milestones(project_id: int, current: list[dict[str, Any]],
                              after: tuple[MilestoneInput, ...]) -> int:
    """Write a decided milestone list: kept ones keep their id and reported percent, dropped ones
    (never reported on) go, new ones start at 0 %. Returns the overall progress under the new weights."""
    percent = {m["id"]: m["percent"] for m in current}
    kept = {m.id for m in after if m.id is not None}
    gone = [m["id"] for m in current if m["id"] not in kept]
    if gone:
        await Milestone.delete().where(Milestone.id.is_in(gone))
    for position, m in enumerate(after, start=1):
        if m.id is None:
            await Milestone.insert(Milestone(project=project_id, position=position, title=m.title.strip(),
                                             weight=m.weight, due_on=m.due_on))
        else:
            await Milestone.update({Milestone.position: position, Milestone.title: m.title.strip(),
                                    Milestone.weight: m.weight, Milestone.due_on: m.due_on}).where(
                Milestone.id == m.id)
    return colours.weighted_progress([(m.weight, percent.get(m.id, 0) if m.id else 0) for m in after])


async def projects_for(who: Who, year: int | None = None, congress_id: int | None = None) -> list[dict[str, Any]]:
    """The projects a person may see in the console: a department only its own."""
    query = Project.select(Project.all_columns(), Project.proposal.code.as_alias("code"),
                           Project.department.name.as_alias("department_name")).order_by(Project.id)
    conditions = []
    if who.role == "department":
        conditions.append(Project.department == (await department_of(who.actor.id) or -1))
    elif who.role not in stages.SECRETARIAT:
        raise Forbidden()
    if year:
        conditions.append(Project.year == year)
    if congress_id:
        conditions.append(Project.congress == congress_id)
    for condition in conditions:
        query = query.where(condition)
    return await query


async def staff_of(department_id: int) -> list[int]:
    rows = await DepartmentStaff.select(DepartmentStaff.staff).where(DepartmentStaff.department == department_id)
    return [r["staff"] for r in rows]


async def set_thresholds(congress_id: int, limits: colours.Thresholds, who: Who) -> None:
    """The status-light thresholds of a congress (lifecycle.colours), as its standing committee sets them."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()
    if not (0 < limits.yellow_gap < limits.red_gap <= 100) or not 0 <= limits.near_days <= 90 \
            or not 7 <= limits.report_every_days <= 366 or not 7 <= limits.verdict_rectify_days <= 366:
        raise Refused("黄灯差距应小于红灯差距（1–100 个百分点），临近期限 0–90 天，报告周期 7–366 天，"
                      "测评后整改期限 7–366 天。")
    async with write_transaction():
        if not await Congress.exists().where(Congress.id == congress_id):
            raise NotFound("没有这个人大。")
        values = {"yellow_gap": limits.yellow_gap, "red_gap": limits.red_gap, "near_days": limits.near_days,
                  "report_every_days": limits.report_every_days, "rectify_basically": limits.rectify_basically,
                  "verdict_rectify_days": limits.verdict_rectify_days}
        if await SupervisionSettings.exists().where(SupervisionSettings.congress == congress_id):
            await SupervisionSettings.update({getattr(SupervisionSettings, k): v for k, v in values.items()}).where(
                SupervisionSettings.congress == congress_id)
        else:
            await SupervisionSettings.insert(SupervisionSettings(congress=congress_id, **values))
        await audit.record(who.actor, "thresholds_set", subject=str(congress_id), detail=values)
