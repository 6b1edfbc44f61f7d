"""A chosen project's whole life for the public page, read straight from the tables (read-only):
the plan and its milestones, progress reports, inspections and the rectifications they
raised, decisions, acceptance, custodians and the maintenance log, with their photos.

A fixed number of queries per project, whatever it holds. These are the stored rows
as they are; `web.public` copies from them only what the public may see (never an
account name, a villager's name or a proposer's details).
"""

from __future__ import annotations

from typing import Any

from lifecycle import dashboard
from lifecycle.proposals import normalise_code
from lifecycle.tables import (
    Acceptance,
    Custodian,
    Decision,
    Inspection,
    MaintenanceEntry,
    Milestone,
    ProgressReport,
    Project,
    ProjectAttachment,
    Rectification,
)
from voting.database import fetch
from voting.errors import NotFound
from voting.tables import Deputy

PAGE_SIZE = 50


async def project_by_code(code: str) -> dict[str, Any]:
    """The project chosen from the proposal with this tracking code (NotFound if there is none)."""
    row = await Project.select(
        Project.all_columns(), Project.proposal.code.as_alias("code"),
        Project.department.name.as_alias("department_name"), Project.congress.name.as_alias("congress_name"),
    ).where(Project.proposal.code == normalise_code(code)).first()
    if row is None:
        raise NotFound("没有这个民生实事项目。")
    return row


async def project_code_of(proposal_id: int) -> str | None:
    row = await Project.select(Project.proposal.code.as_alias("code")).where(Project.proposal == proposal_id).first()
    return row["code"] if row else None


async def story(project: dict[str, Any]) -> dict[str, Any]:
    """Everything on record about a project, each kind in order: twelve queries."""
    pid = project["id"]
    found: dict[str, Any] = {
        "milestones": await Milestone.select().where(Milestone.project == pid).order_by(Milestone.position),
        "reports": await ProgressReport.select().where(ProgressReport.project == pid).order_by(
            ProgressReport.filed_on, ProgressReport.id).output(load_json=True),
        "inspections": await Inspection.select().where(Inspection.project == pid).order_by(
            Inspection.held_on, Inspection.id).output(load_json=True),
        "rectifications": await Rectification.select().where(Rectification.project == pid).order_by(
            Rectification.id),
        "decisions": await Decision.select().where(Decision.project == pid).order_by(
            Decision.decided_on, Decision.id).output(load_json=True),
        "acceptances": await Acceptance.select().where(Acceptance.project == pid).order_by(
            Acceptance.held_on, Acceptance.id).output(load_json=True),
        "custodians": await Custodian.select().where(Custodian.project == pid).order_by(Custodian.since, Custodian.id),
        "maintenance": await MaintenanceEntry.select().where(MaintenanceEntry.project == pid).order_by(
            MaintenanceEntry.on, MaintenanceEntry.id),
        "attachments": await ProjectAttachment.select().where(ProjectAttachment.project == pid).order_by(
            ProjectAttachment.id),
    }
    ids = {int(i) for row in (*found["inspections"], *found["acceptances"]) for i in (row["deputies"] or [])
           if str(i).isdigit()}
    ids |= {c["deputy"] for c in found["custodians"] if c["deputy"]}
    names = await Deputy.select(Deputy.id, Deputy.name).where(Deputy.id.is_in(sorted(ids))) if ids else []
    found["deputy_names"] = {r["id"]: r["name"] for r in names}
    coloured = await dashboard.open_rectifications("p.id = {}", [pid])
    settings = await fetch("SELECT yellow_gap, red_gap, near_days, report_every_days FROM supervision_settings "
                           "WHERE congress = {}", project["congress"])
    found["open_due"] = coloured.get(pid, (None, 0))[0]
    from lifecycle.evaluation import pending_polls  # evaluation imports projects; keep this module light

    found["evaluation_pending"] = bool(await pending_polls([project["code"]])) if project.get("code") else False
    found["thresholds"] = settings[0] if settings else None
    return found


async def attachment(project_id: int, sha256: str) -> dict[str, Any]:
    row = await ProjectAttachment.select().where(
        (ProjectAttachment.project == project_id) & (ProjectAttachment.sha256 == sha256)).first()
    if row is None:
        raise NotFound("没有找到这个附件")
    return row


# --- the public list of projects ---------------------------------------------------------


async def list_projects(year: int | None, congress_id: int | None, category: str, text: str,
                        page: int = 1) -> dict[str, Any]:
    """One page of chosen projects (in the order chosen) with their colour: six queries."""
    clauses, args = [], []
    for column, value in (("p.year", year), ("p.congress", congress_id), ("p.category", category)):
        if value:
            clauses.append(f"{column} = {{}}")
            args.append(value)
    if text:
        clauses.append("p.title LIKE {}")
        args.append(f"%{text}%")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    page = max(1, page)
    picked, counted = await dashboard.together(
        fetch(f"SELECT p.id FROM project p{where} ORDER BY p.id LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
              *args),
        fetch(f"SELECT COUNT(*) AS n FROM project p{where}", *args))
    total = counted[0]["n"]
    rows = await dashboard.coloured_rows([r["id"] for r in picked])
    return {"rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE))}


async def project_years() -> list[int]:
    rows = await fetch("SELECT DISTINCT year FROM project ORDER BY year DESC")
    return [r["year"] for r in rows]

