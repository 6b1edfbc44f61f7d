"""A deputy's participation record (履职档案) for a year, filled from what is already on record.

- polls voted in: the register (`poll_voter`) says a deputy's tablet ballot is in the box
  (`voted`) or that a paper ballot was handed over (`medium = 'paper'`). Participation
  only: nothing here reads, joins or counts the `ballot` table, so no choice is ever seen;
- proposals the deputy made (`Proposal.deputy`), by when they were made;
- inspections (`Inspection.deputies`) and acceptances (`Acceptance.deputies`) the deputy
  went to, by date, on projects of the deputy's own congress;
- supervision groups (`Supervisor`) of that year's projects, as lead or member;
- custodian duty (`Custodian.deputy`) that had begun by the end of the year.

A year is a calendar year in Beijing time. The term's export counts every deputy at once
with one grouped query per column; the deputy's page lists the records themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from voting.times import BEIJING
from voting.database import fetch, is_sqlite
from voting.errors import NotFound

COLUMNS = {
    "polls": "参加票决（次）",
    "proposals": "提出项目建议（件）",
    "inspections": "参加视察（次）",
    "acceptances": "参加验收（次）",
    "supervision": "参加监督小组（个）",
    "custodian": "担任管护员（个）",
}
ROLE_WORDS = {"lead": "组长", "member": "成员"}
RESULT_WORDS = {"accepted": "验收通过", "accepted_after_rectification": "整改后通过", "not_accepted": "未通过"}
METHOD_WORDS = {"approval": "民生实事项目票决", "satisfaction": "满意度测评"}


# The years whose span in Beijing time a stored (UTC) time can bound: Beijing's 1 January of
# year 1 is still year 0 in UTC, and year 9999 ends in year 10000.
YEARS = range(2, 9999)


@dataclass(frozen=True)
class Year:
    year: int  # one of YEARS

    @property
    def first(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last(self) -> date:
        return date(self.year, 12, 31)

    @property
    def starts(self) -> datetime:
        return datetime(self.year, 1, 1, tzinfo=BEIJING)

    @property
    def ends(self) -> datetime:
        return datetime(self.year + 1, 1, 1, tzinfo=BEIJING)


def _members(table: str) -> str:
    """FROM-clause part that lists each deputy id in `<table>.deputies` (a JSON array) as text `j.value`."""
    if is_sqlite():
        return f"json_each({table}.deputies) AS j"
    return f"jsonb_array_elements_text(CAST({table}.deputies AS jsonb)) AS j(value)"


def _member_text() -> str:
    return "CAST(j.value AS TEXT)" if is_sqlite() else "j.value"


# --- one grouped query per column, for every deputy of a term ----------------------------


async def term_info(term_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT t.id, t.name, t.congress, c.name AS congress_name FROM term t "
                       "JOIN congress c ON c.id = t.congress WHERE t.id = {}", term_id)
    if not rows:
        raise NotFound("没有这一届。")
    return rows[0]


async def term_counts(term_id: int, year: int, term: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every deputy of the term (delegation order) with a count per column: seven queries
    (eight without `term`, the term_info row the caller may already have)."""
    span, term = Year(year), term or await term_info(term_id)
    deputies = await fetch(
        "SELECT d.id, d.number, d.name, d.active, g.name AS delegation FROM deputy d "
        "JOIN delegation g ON g.id = d.delegation WHERE d.term = {} ORDER BY g.position, g.id, d.number", term_id)
    counts: dict[str, dict[str, int]] = {}
    polls = await fetch(
        "SELECT v.deputy AS deputy, COUNT(*) AS n FROM poll_voter v JOIN poll p ON p.id = v.poll "
        "JOIN deputy d ON d.id = v.deputy WHERE d.term = {} AND (v.voted = {} OR v.medium = 'paper') "
        "AND p.opened_at >= {} AND p.opened_at < {} GROUP BY v.deputy", term_id, True, span.starts, span.ends)
    counts["polls"] = {str(r["deputy"]): int(r["n"]) for r in polls}
    proposals = await fetch(
        "SELECT p.deputy AS deputy, COUNT(*) AS n FROM proposal p JOIN deputy d ON d.id = p.deputy "
        "WHERE d.term = {} AND p.created_at >= {} AND p.created_at < {} GROUP BY p.deputy",
        term_id, span.starts, span.ends)
    counts["proposals"] = {str(r["deputy"]): int(r["n"]) for r in proposals}
    for key, table, day in (("inspections", "inspection", "held_on"), ("acceptances", "acceptance", "held_on")):
        rows = await fetch(
            f"SELECT {_member_text()} AS deputy, COUNT(*) AS n FROM {table} x JOIN project p ON p.id = x.project, "
            f"{_members('x')} WHERE p.congress = {{}} AND x.{day} >= {{}} AND x.{day} <= {{}} "
            f"GROUP BY {_member_text()}", term["congress"], span.first, span.last)
        counts[key] = {str(r["deputy"]): int(r["n"]) for r in rows}
    supervision = await fetch(
        "SELECT s.deputy AS deputy, COUNT(*) AS n FROM supervisor s JOIN project p ON p.id = s.project "
        "JOIN deputy d ON d.id = s.deputy WHERE d.term = {} AND p.year = {} GROUP BY s.deputy", term_id, year)
    counts["supervision"] = {str(r["deputy"]): int(r["n"]) for r in supervision}
    custodian = await fetch(
        "SELECT c.deputy AS deputy, COUNT(*) AS n FROM custodian c JOIN deputy d ON d.id = c.deputy "
        "WHERE d.term = {} AND c.since <= {} GROUP BY c.deputy", term_id, span.last)
    counts["custodian"] = {str(r["deputy"]): int(r["n"]) for r in custodian}
    return [{**d, **{key: counts[key].get(str(d["id"]), 0) for key in COLUMNS}} for d in deputies]


# --- one deputy's record, item by item ---------------------------------------------------


async def deputy_info(deputy_id: int) -> dict[str, Any]:
    rows = await fetch(
        "SELECT d.id, d.number, d.name, d.active, d.term, t.name AS term_name, t.congress, c.name AS congress_name, "
        "g.name AS delegation FROM deputy d JOIN term t ON t.id = d.term JOIN congress c ON c.id = t.congress "
        "JOIN delegation g ON g.id = d.delegation WHERE d.id = {}", deputy_id)
    if not rows:
        raise NotFound("没有这位代表。")
    return rows[0]


async def record(deputy_id: int, year: int) -> dict[str, Any]:
    """What one deputy did in a year, item by item, with the counts: seven queries."""
    span, deputy = Year(year), await deputy_info(deputy_id)
    polls = await fetch(
        "SELECT p.id, p.title, p.method, p.opened_at, s.name AS session_name FROM poll_voter v "
        "JOIN poll p ON p.id = v.poll JOIN sitting s ON s.id = p.session WHERE v.deputy = {} "
        "AND (v.voted = {} OR v.medium = 'paper') AND p.opened_at >= {} AND p.opened_at < {} ORDER BY p.opened_at",
        deputy_id, True, span.starts, span.ends)
    proposals = await fetch(
        "SELECT p.code, p.title, p.stage, p.created_at FROM proposal p WHERE p.deputy = {} "
        "AND p.created_at >= {} AND p.created_at < {} ORDER BY p.id", deputy_id, span.starts, span.ends)
    visits = {}
    for key, table, extra in (("inspections", "inspection", "x.unannounced AS unannounced"),
                              ("acceptances", "acceptance", "x.result AS result")):
        visits[key] = await fetch(
            f"SELECT x.held_on, {extra}, p.title AS project_title, pr.code AS code FROM {table} x "
            "JOIN project p ON p.id = x.project JOIN proposal pr ON pr.id = p.proposal "
            f"WHERE p.congress = {{}} AND x.held_on >= {{}} AND x.held_on <= {{}} "
            f"AND EXISTS (SELECT 1 FROM {_members('x')} WHERE {_member_text()} = {{}}) ORDER BY x.held_on, x.id",
            deputy["congress"], span.first, span.last, str(deputy_id))
    supervision = await fetch(
        "SELECT s.role, p.title AS project_title, pr.code AS code FROM supervisor s JOIN project p ON p.id = s.project "
        "JOIN proposal pr ON pr.id = p.proposal WHERE s.deputy = {} AND p.year = {} ORDER BY p.id",
        deputy_id, year)
    custodian = await fetch(
        "SELECT c.duty, c.since, p.title AS project_title, pr.code AS code FROM custodian c "
        "JOIN project p ON p.id = c.project JOIN proposal pr ON pr.id = p.proposal "
        "WHERE c.deputy = {} AND c.since <= {} ORDER BY c.since, c.id", deputy_id, span.last)
    items = {"polls": [{**p, "kind": METHOD_WORDS.get(p["method"], p["method"])} for p in polls],
             "proposals": proposals,
             "inspections": visits["inspections"],
             "acceptances": [{**a, "result_label": RESULT_WORDS.get(a["result"], a["result"])}
                             for a in visits["acceptances"]],
             "supervision": [{**s, "role_label": ROLE_WORDS.get(s["role"], s["role"])} for s in supervision],
             "custodian": custodian}
    return {"deputy": deputy, "year": year, "items": items, "counts": {key: len(items[key]) for key in COLUMNS}}


def xlsx(term: dict[str, Any], year: int, rows: list[dict[str, Any]]) -> bytes:
    """The term's yearly participation as a spreadsheet: one row per deputy, a count per column."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年履职情况"
    headers = ["序号", "代表证号", "姓名", "代表团", *COLUMNS.values(), "合计"]
    ws.append([f"{term['congress_name']}{term['name']}代表 {year} 年履职情况（参加票决只记是否参加，不记投票内容）"])
    ws.append(headers)
    for n, row in enumerate(rows, start=1):
        figures = [row[key] for key in COLUMNS]
        ws.append([n, row["number"], row["name"] + ("" if row["active"] else "（已终止代表资格）"), row["delegation"],
                   *figures, sum(figures)])
    ws["A1"].font = Font(bold=True, size=13)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for letter, width in zip("ABCDEFGHIJK", (6, 14, 12, 14, 12, 14, 12, 12, 14, 14, 8)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
