"""A year's projects at a glance, per congress: counts by stage and colour, budget and spending by
category, progress, satisfaction, and a paged project list with each project's colour.

Everything is read with a fixed handful of queries whatever the number of projects
(GROUP BY in SQL; no query per project):

1. the aggregates (stage, category, progress buckets, verdicts) in one grouped statement;
2. each project's standing (stage, progress, dates) for the colour rule;
3. the open rectifications, grouped by project: their earliest deadline and how many;
4. the colour thresholds of the congresses in scope;
5. the rows of one page (or of the whole scope, for the bulletin) and
6. their latest progress reports.

The first four do not depend on each other and run at once (`together`).

The colour is `lifecycle.colours.colour`, the pure rule. It looks at the open deadlines
only through "is one past" and "is one within `near_days`", and both are decided by the
earliest deadline: if the earliest is past, the project is red whatever the others say;
if it is not, every other is later still. So the earliest open deadline per project is
all the rule needs, and the database groups it.

A department's staff see only their own department's projects (`Scope.department_id`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from piccolo.querystring import QueryString

from lifecycle import colours, stages
from lifecycle.proposal_input import CATEGORIES
from lifecycle.projects import department_of
from lifecycle.proposals import Who, today
from lifecycle.tables import Department
from voting.database import engine, fetch
from voting.errors import Forbidden
from voting.rules import VERDICTS

PAGE_SIZE = 50
BUCKETS = 11  # progress 0–9 %, 10–19 % … 90–99 %, and 100 %
COLOUR_ORDER = ("green", "yellow", "red", "grey")
COLOUR_WORDS = {key: text.split("：")[0] for key, text in colours.COLOURS.items()}  # 绿灯 黄灯 红灯 灰
COLOUR_MEANINGS = {key: text.split("：")[1] for key, text in colours.COLOURS.items()}
VERDICT_WORDS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
NOT_RATED = "not_rated"
UNDER_WAY = ("implementing", "suspended", "completed", "accepted", "evaluated")  # have progress to show


@dataclass(frozen=True)
class Scope:
    """Which projects a view covers: one year, one congress (or all), one department (or all)."""

    year: int
    congress_id: int | None = None
    department_id: int | None = None  # set for a department's staff: only their own projects

    def where(self, alias: str = "p") -> tuple[str, list[Any]]:
        clauses, args = [f"{alias}.year = {{}}"], [self.year]
        if self.congress_id is not None:
            clauses.append(f"{alias}.congress = {{}}")
            args.append(self.congress_id)
        if self.department_id is not None:
            clauses.append(f"{alias}.department = {{}}")
            args.append(self.department_id)
        return " AND ".join(clauses), args


async def scope_for(who: Who, year: int, congress_id: int | None) -> Scope:
    """The scope a person may see: the secretariat any congress (or all); a department only its
    own projects, in its own congress (whatever congress was asked for)."""
    if who.role in stages.SECRETARIAT:
        return Scope(year, congress_id)
    if who.role == "department":
        department = await department_of(who.actor.id)
        if department is None:
            return Scope(year, -1, -1)
        row = await Department.select(Department.congress).where(Department.id == department).first()
        return Scope(year, row["congress"] if row else -1, department)
    raise Forbidden()


def as_date(value: Any) -> date | None:
    """A date from the database: SQLite hands back text where a column's type is lost (MIN(), say)."""
    if type(value) is date:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- the aggregates ----------------------------------------------------------------------


async def aggregates(scope: Scope) -> dict[str, Any]:
    """Counts, money and progress by stage, category, progress bucket and verdict: one statement,
    one pass over the projects (grouped by all four at once, then folded here)."""
    where, args = scope.where()
    bucket = f"CASE WHEN p.progress >= 100 THEN {BUCKETS - 1} WHEN p.progress < 0 THEN 0 ELSE p.progress / 10 END"
    rows = await fetch(
        f"SELECT p.stage AS stage, p.category AS category, {bucket} AS bucket, COALESCE(p.verdict, '') AS verdict, "
        "COUNT(*) AS n, SUM(p.budget_wan) AS budget, SUM(p.spent_wan) AS spent, SUM(p.progress) AS progress "
        f"FROM project p WHERE {where} GROUP BY p.stage, p.category, {bucket}, p.verdict", *args)
    by_stage = {s: 0 for s in stages.PROJECT_STAGES}
    categories: dict[str, dict[str, Any]] = {}
    histogram = [0] * BUCKETS
    verdicts = {v: 0 for v in (*VERDICTS, NOT_RATED)}
    budget = spent = progress_sum = counted = 0
    for r in rows:
        n, stage = int(r["n"]), r["stage"]
        money, paid = int(r["budget"] or 0), int(r["spent"] or 0)
        by_stage[stage] = by_stage.get(stage, 0) + n
        budget += money
        spent += paid
        if stage != "terminated":
            progress_sum += int(r["progress"] or 0)
            counted += n
        category = categories.setdefault(r["category"], {
            "key": r["category"], "label": CATEGORIES.get(r["category"], r["category"]), "n": 0, "budget": 0,
            "spent": 0})
        category["n"] += n
        category["budget"] += money
        category["spent"] += paid
        if stage in UNDER_WAY:
            histogram[min(BUCKETS - 1, max(0, int(r["bucket"])))] += n
        verdicts[r["verdict"] if r["verdict"] in verdicts else NOT_RATED] += n
    order = list(CATEGORIES)
    return {
        "total": sum(by_stage.values()), "by_stage": by_stage, "budget": budget, "spent": spent,
        "average_progress": progress_sum // counted if counted else 0,
        "categories": sorted(categories.values(), key=lambda c: (-c["budget"], order.index(c["key"])
                                                                 if c["key"] in order else 99)),
        "histogram": histogram, "verdicts": verdicts,
    }


# --- colours -----------------------------------------------------------------------------


async def _thresholds(scope: Scope) -> dict[int, colours.Thresholds]:
    if scope.congress_id is not None:
        rows = await fetch("SELECT congress, yellow_gap, red_gap, near_days, report_every_days "
                           "FROM supervision_settings WHERE congress = {}", scope.congress_id)
    else:
        rows = await fetch("SELECT congress, yellow_gap, red_gap, near_days, report_every_days "
                           "FROM supervision_settings")
    return {r["congress"]: colours.Thresholds(r["yellow_gap"], r["red_gap"], r["near_days"], r["report_every_days"])
            for r in rows}


async def open_rectifications(where: str, args: list[Any]) -> dict[int, tuple[date, int]]:
    """Per project (of those `where` picks, on alias p): the earliest deadline of its open
    rectifications and how many are open."""
    rows = await fetch(
        "SELECT r.project AS project, MIN(r.due_on) AS due, COUNT(*) AS n FROM rectification r "
        f"JOIN project p ON p.id = r.project WHERE r.status <> 'closed' AND {where} GROUP BY r.project", *args)
    return {r["project"]: (as_date(r["due"]), int(r["n"])) for r in rows}


def colour_for(row: dict[str, Any], open_due: date | None, on: date, thresholds: colours.Thresholds) -> str:
    standing = colours.Standing(row["stage"], row["progress"], as_date(row["starts_on"]), as_date(row["ends_on"]),
                                (open_due,) if open_due else (), as_date(row["last_report_on"]))
    return colours.colour(standing, on, thresholds)


async def together(*steps: Awaitable[Any]) -> list[Any]:
    """Independent reads at once, each on its own pooled connection; one after the other inside
    a transaction, whose single connection runs one statement at a time."""
    if engine().current_transaction.get() is not None:
        return [await step for step in steps]
    return list(await asyncio.gather(*steps))


async def _standing(where: str, args: list[Any]) -> list[tuple[Any, ...]]:
    """(id, congress, stage, progress, starts_on, ends_on, last_report_on) of each project, in id order.

    A province's year is tens of thousands of rows: they are read as the driver gives them
    (asyncpg records, read by position) rather than copied into a dict each.
    """
    rows = await engine().run_querystring(QueryString(
        "SELECT p.id, p.congress, p.stage, p.progress, p.starts_on, p.ends_on, p.last_report_on "
        f"FROM project p WHERE {where} ORDER BY p.id", *args)) or []
    if rows and isinstance(rows[0], dict):  # SQLite
        return [tuple(r.values()) for r in rows]
    return rows


async def colours_of(scope: Scope, on: date | None = None) -> dict[str, Any]:
    """Every project's colour in scope (three queries), and the open rectifications per project."""
    on = on or today()
    where, args = scope.where()
    rows, open_rows, settings = await together(_standing(where, args), open_rectifications(where, args),
                                               _thresholds(scope))
    default = colours.Thresholds()
    found: dict[int, str] = {}
    # Projects that stand alike get the same colour: the rule runs once per distinct standing
    # (a few thousand in a province's year), not once per project.
    seen: dict[tuple[Any, ...], str] = {}
    for pid, congress, stage, progress, starts_on, ends_on, last_report_on in rows:
        due = open_rows[pid][0] if pid in open_rows else None
        if congress not in settings:
            congress = None
        key = (stage, progress, starts_on, ends_on, last_report_on, due, congress)
        colour = seen.get(key)
        if colour is None:
            standing = {"stage": stage, "progress": progress, "starts_on": starts_on, "ends_on": ends_on,
                        "last_report_on": last_report_on}
            colour = seen[key] = colour_for(standing, due, on, default if congress is None else settings[congress])
        found[pid] = colour
    return {"colours": found, "open": open_rows}


async def colour_counts(scope: Scope, on: date | None = None) -> dict[str, Any]:
    """How many projects in scope have each colour, without reading every project: for a whole
    province, whose year is tens of thousands of projects.

    Projects with no open rectification are grouped in SQL by what the rule reads (stage,
    progress, dates, the congress's own thresholds if it set any): a few hundred standings,
    each judged once and counted as often as it occurs. Projects with open rectifications
    (a minority) are read one by one with their earliest deadline. Same rule, same counts
    as `colours_of`, which the tests check.
    """
    on = on or today()
    where, args = scope.where()
    grouped, pending, settings = await together(
        fetch("SELECT p.stage, p.progress, p.starts_on, p.ends_on, p.last_report_on, s.congress AS settings, "
              "COUNT(*) AS n FROM project p LEFT JOIN supervision_settings s ON s.congress = p.congress "
              f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM rectification r WHERE r.project = p.id "
              "AND r.status <> 'closed') "
              "GROUP BY p.stage, p.progress, p.starts_on, p.ends_on, p.last_report_on, s.congress", *args),
        fetch("SELECT p.id, p.congress, p.stage, p.progress, p.starts_on, p.ends_on, p.last_report_on, o.due, o.n "
              "FROM project p JOIN (SELECT r.project AS project, MIN(r.due_on) AS due, COUNT(*) AS n "
              "FROM rectification r JOIN project p ON p.id = r.project "
              f"WHERE r.status <> 'closed' AND {where} GROUP BY r.project) o ON o.project = p.id WHERE {where}",
              *args, *args),
        _thresholds(scope))
    default = colours.Thresholds()
    counts = {c: 0 for c in COLOUR_ORDER}
    for r in grouped:
        counts[colour_for(r, None, on, settings.get(r["settings"], default))] += int(r["n"])
    for r in pending:
        counts[colour_for(r, as_date(r["due"]), on, settings.get(r["congress"], default))] += 1
    return {"by_colour": counts, "open_rectifications": sum(int(r["n"]) for r in pending)}


async def coloured_rows(ids: list[int], on: date | None = None) -> list[dict[str, Any]]:
    """These projects' list rows, each with its colour worked out on its own: five queries."""
    rows = await rows_by_id(ids)
    if not rows:
        return []
    on = on or today()
    marks = ", ".join("{}" for _ in ids)
    congresses = sorted({r["congress"] for r in rows})
    open_rows, settings = await together(
        open_rectifications(f"p.id IN ({marks})", ids),
        fetch("SELECT congress, yellow_gap, red_gap, near_days, report_every_days FROM supervision_settings "
              "WHERE congress IN (" + ", ".join("{}" for _ in congresses) + ")", *congresses))
    thresholds = {s["congress"]: colours.Thresholds(s["yellow_gap"], s["red_gap"], s["near_days"],
                                                    s["report_every_days"]) for s in settings}
    listed = []
    for row in rows:
        due = open_rows.get(row["id"], (None, 0))[0]
        colour = colour_for(row, due, on, thresholds.get(row["congress"], colours.Thresholds()))
        listed.append(labelled(row, colour, open_rows.get(row["id"])))
    return listed


# --- rows --------------------------------------------------------------------------------


def plan_is_public(project: dict[str, Any]) -> bool:
    """Whether the public may see the plan (its department, budget, dates, milestones): once the
    secretariat published it, or the project is under way (projects from before plan review)."""
    return project.get("plan_published_at") is not None or project.get("stage") in UNDER_WAY


ROW_COLUMNS = ("p.id, p.title, p.stage, p.progress, p.budget_wan, p.spent_wan, p.category, p.starts_on, p.ends_on, "
               "p.last_report_on, p.verdict, p.congress, p.department, pr.code AS code, d.name AS department_name, "
               "c.name AS congress_name, p.plan_published_at")
ROW_FROM = ("FROM project p JOIN proposal pr ON pr.id = p.proposal LEFT JOIN department d ON d.id = p.department "
            "JOIN congress c ON c.id = p.congress")


def _in(column: str, ids: list[int]) -> str:
    return f"{column} IN (" + ", ".join("{}" for _ in ids) + ")"


async def rows_by_id(ids: list[int]) -> list[dict[str, Any]]:
    """The list columns of these projects (in id order) with their latest report: two queries."""
    if not ids:
        return []
    rows = await fetch(f"SELECT {ROW_COLUMNS} {ROW_FROM} WHERE {_in('p.id', ids)} ORDER BY p.id", *ids)
    latest = await fetch(
        "SELECT r.project, r.period, r.filed_on FROM progress_report r WHERE r.id IN "
        f"(SELECT MAX(r2.id) FROM progress_report r2 WHERE {_in('r2.project', ids)} GROUP BY r2.project)", *ids)
    return _with_latest(rows, latest)


async def rows_in(scope: Scope) -> list[dict[str, Any]]:
    """Every project in scope (for the bulletin: one congress's year), with its latest report."""
    where, args = scope.where()
    rows = await fetch(f"SELECT {ROW_COLUMNS} {ROW_FROM} WHERE {where} ORDER BY p.id", *args)
    latest = await fetch(
        "SELECT r.project, r.period, r.filed_on FROM progress_report r WHERE r.id IN "
        f"(SELECT MAX(r2.id) FROM progress_report r2 JOIN project p ON p.id = r2.project WHERE {where} "
        "GROUP BY r2.project)", *args)
    return _with_latest(rows, latest)


def _with_latest(rows: list[dict[str, Any]], latest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_project = {r["project"]: r for r in latest}
    for row in rows:
        report = by_project.get(row["id"])
        row["latest_period"] = report["period"] if report else ""
        row["latest_filed_on"] = as_date(report["filed_on"]) if report else None
    return rows


def labelled(row: dict[str, Any], colour: str, open_row: tuple[date | None, int] | None) -> dict[str, Any]:
    """A project row with the words pages and the bulletin show."""
    return {**row, "colour": colour, "colour_word": COLOUR_WORDS[colour], "colour_meaning": COLOUR_MEANINGS[colour],
            "stage_label": stages.PROJECT_STAGES.get(row["stage"], row["stage"]),
            "category_label": CATEGORIES.get(row["category"], row["category"]),
            "verdict_label": VERDICT_WORDS.get(row["verdict"] or "", ""),
            "open_rectifications": open_row[1] if open_row else 0,
            "open_due": open_row[0] if open_row else None}


# --- the dashboard -----------------------------------------------------------------------


async def dashboard(scope: Scope, page: int = 1, colour: str = "", on: date | None = None) -> dict[str, Any]:
    """The figures and one page of the project list (optionally only one colour): six queries.

    Over all congresses at once (a province), colours are counted by `colour_counts` and the
    list is paged in SQL with each listed project's colour worked out on its own; picking
    projects by colour needs one congress."""
    if scope.congress_id is None:
        return await _province(scope, page, on)
    figures, coloured = await together(aggregates(scope), colours_of(scope, on))
    by_colour = {c: 0 for c in COLOUR_ORDER}
    for value in coloured["colours"].values():
        by_colour[value] += 1
    colour = colour if colour in COLOUR_ORDER else ""
    ids = [i for i, c in coloured["colours"].items() if not colour or c == colour]
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(1, page), pages)
    chosen = ids[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    rows = [labelled(r, coloured["colours"][r["id"]], coloured["open"].get(r["id"]))
            for r in await rows_by_id(chosen)]
    return {**figures, "scope": scope, "by_colour": by_colour, "rows": rows, "page": page, "pages": pages,
            "listed": len(ids), "colour": colour, "colour_filter": True,
            "open_rectifications": sum(n for _, n in coloured["open"].values())}


async def _province(scope: Scope, page: int, on: date | None) -> dict[str, Any]:
    figures, counted = await together(aggregates(scope), colour_counts(scope, on))
    pages = max(1, -(-figures["total"] // PAGE_SIZE))
    page = min(max(1, page), pages)
    where, args = scope.where()
    picked = await fetch(f"SELECT p.id FROM project p WHERE {where} ORDER BY p.id LIMIT {PAGE_SIZE} "
                         f"OFFSET {(page - 1) * PAGE_SIZE}", *args)
    rows = await coloured_rows([r["id"] for r in picked], on)
    return {**figures, **counted, "scope": scope, "rows": rows, "page": page, "pages": pages,
            "listed": figures["total"], "colour": "", "colour_filter": False}


async def bulletin_data(scope: Scope, on: date | None = None) -> dict[str, Any]:
    """The figures and every project's row, for the progress bulletin of one congress's year."""
    figures, coloured = await together(aggregates(scope), colours_of(scope, on))
    by_colour = {c: 0 for c in COLOUR_ORDER}
    for value in coloured["colours"].values():
        by_colour[value] += 1
    rows = [labelled(r, coloured["colours"].get(r["id"], "green"), coloured["open"].get(r["id"]))
            for r in await rows_in(scope)]
    return {**figures, "scope": scope, "by_colour": by_colour, "rows": rows,
            "open_rectifications": sum(n for _, n in coloured["open"].values())}


async def years(scope: Scope) -> list[int]:
    """The years that have projects in this congress (or anywhere), newest first."""
    probe = replace(scope, year=0)
    clauses, args = [], []
    if probe.congress_id is not None:
        clauses.append("congress = {}")
        args.append(probe.congress_id)
    if probe.department_id is not None:
        clauses.append("department = {}")
        args.append(probe.department_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = await fetch(f"SELECT DISTINCT year FROM project{where} ORDER BY year DESC", *args)
    return [r["year"] for r in rows]
