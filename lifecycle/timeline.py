"""A chosen project's whole life for the public page, read straight from the tables (read-only):
the plan and its milestones, progress reports, inspections and the rectifications they
raised, decisions, acceptance, custodians and the maintenance log, with their photos.

A fixed number of queries per project, whatever it holds. These are the stored rows
as they are; `web.public` copies from them only what the public may see (never an
account name, a villager's name or a proposer's details).
"""

from __future__ import annotations

from datetime import datetime, timezone
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
                        page: int = 1, per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """One page of chosen projects (in the order chosen) with their colour: six queries. The
    public list and the open-data feed (web.open_data) both read it, `per_page` at a time."""
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
        fetch(f"SELECT p.id FROM project p{where} ORDER BY p.id LIMIT {int(per_page)} "
              f"OFFSET {(page - 1) * int(per_page)}", *args),
        fetch(f"SELECT COUNT(*) AS n FROM project p{where}", *args))
    total = counted[0]["n"]
    rows = await dashboard.coloured_rows([r["id"] for r in picked])
    return {"rows": rows, "total": total, "page": page, "pages": max(1, -(-total // per_page))}


async def project_years() -> list[int]:
    rows = await fetch("SELECT DISTINCT year FROM project ORDER BY year DESC")
    return [r["year"] for r in rows]



# --- when a public record last changed (the open-data feed's `updated_at`) ------------------

# Every dated row a project's public page is built from: (table, the project it belongs to, a time).
PROJECT_TIMES = (("project", "id", "updated_at"), ("project", "id", "plan_published_at"),
                 ("progress_report", "project", "at"), ("inspection", "project", "at"),
                 ("rectification", "project", "at"), ("rectification", "project", "replied_at"),
                 ("rectification", "project", "closed_at"), ("decision", "project", "at"),
                 ("acceptance", "project", "at"), ("maintenance_entry", "project", "at"))


def moment(value: datetime | str | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back text from an aggregate)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _latest(rows: list[dict[str, Any]], seed: dict[int, datetime | None]) -> dict[int, datetime | None]:
    latest = dict(seed)
    for row in rows:
        at = moment(row["at"])
        if at is not None and (latest.get(row["id"]) is None or at > latest[row["id"]]):
            latest[row["id"]] = at
    return latest


async def proposals_changed(ids: list[int]) -> dict[int, datetime | None]:
    """proposal id -> its last change: the row's own times and its history's newest event. One query."""
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await fetch(
        f"SELECT id, updated_at AS at FROM proposal WHERE id IN ({marks}) UNION ALL "
        f"SELECT id, created_at AS at FROM proposal WHERE id IN ({marks}) UNION ALL "
        f"SELECT proposal AS id, MAX(at) AS at FROM proposal_event WHERE proposal IN ({marks}) GROUP BY proposal",
        *ids, *ids, *ids)
    return _latest(rows, dict.fromkeys(ids))


async def projects_changed(ids: list[int]) -> dict[int, datetime | None]:
    """project id -> the newest time among the rows its public page shows, its proposal's history
    included. One query. (A colour that turns with the calendar alone is not a change.)"""
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    parts = [f"SELECT {key} AS id, MAX({column}) AS at FROM {table} WHERE {key} IN ({marks}) GROUP BY {key}"
             for table, key, column in PROJECT_TIMES]
    parts.append(f"SELECT p.id AS id, MAX(e.at) AS at FROM project p JOIN proposal_event e ON e.proposal = p.proposal "
                 f"WHERE p.id IN ({marks}) GROUP BY p.id")
    rows = await fetch(" UNION ALL ".join(parts), *(ids * len(parts)))
    return _latest(rows, dict.fromkeys(ids))
