"""The console's overview of a year's projects (dashboard, progress bulletin) and the deputies'
participation records (履职档案).

The dashboard is for the secretariat and for implementing departments; a department
sees only its own projects' figures, whatever congress it asks for. The participation
records are the secretariat's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from lifecycle import dashboard, participation, stages
from lifecycle.dashboard import COLOUR_ORDER, COLOUR_WORDS, Scope
from lifecycle.proposals import today
from reports import bulletin, charts
from voting.database import fetch
from voting.errors import NotFound
from web.auth import require_project_staff, require_staff, who_of
from web.console import _pdf
from web.pages import XLSX, document_preview, download, page, whole

PICKER_LIMIT = 200  # more congresses than this: search by name instead of one long list


def _number(request: Request, key: str) -> int | None:
    return whole(str(request.query_params.get(key) or ""))


def _year(request: Request) -> int:
    """The year asked for, if it is one whose span can be looked up (participation.YEARS); otherwise this year."""
    year = _number(request, "year")
    return year if year is not None and year in participation.YEARS else today().year


async def _scope(request: Request) -> tuple[Scope, Any, list[int]]:
    """The scope asked for and allowed, the viewer, and the years that have projects."""
    viewer = await require_project_staff(request)
    asked = _number(request, "congress")
    if asked is None and viewer.role != "department":
        only = await fetch("SELECT id FROM congress ORDER BY id LIMIT 2")
        asked = only[0]["id"] if len(only) == 1 else None
    probe = await dashboard.scope_for(who_of(viewer), 0, asked)
    years = await dashboard.years(probe)
    year = _number(request, "year")
    if year is None:
        year = today().year if today().year in years or not years else years[0]
    return Scope(year, probe.congress_id, probe.department_id), viewer, years


async def _congress(congress_id: int | None) -> dict[str, Any] | None:
    if congress_id is None or congress_id < 0:
        return None
    rows = await fetch("SELECT id, name, level FROM congress WHERE id = {}", congress_id)
    if not rows:
        raise NotFound("没有这个人大。")
    return rows[0]


class DashboardController(Controller):
    path = "/console"

    @get("/dashboard")
    async def dashboard_page(self, request: Request) -> Template:
        scope, viewer, years = await _scope(request)
        congress = await _congress(scope.congress_id)
        department = viewer.role == "department"
        picker: list[dict[str, Any]] = []
        search = str(request.query_params.get("cq") or "").strip()[:40]
        too_many = False
        if not department:
            picker = await fetch(f"SELECT id, name FROM congress ORDER BY id LIMIT {PICKER_LIMIT + 1}")
            too_many = len(picker) > PICKER_LIMIT
            if too_many:
                picker = await fetch("SELECT id, name FROM congress WHERE name LIKE {} ORDER BY id LIMIT 20",
                                     f"%{search}%") if search else []
        colour = str(request.query_params.get("colour") or "")
        data = await dashboard.dashboard(scope, _number(request, "page") or 1, colour)
        terms = await fetch("SELECT id, name FROM term WHERE congress = {} ORDER BY number",
                            scope.congress_id) if congress and not department else []
        kept = {k: v for k, v in (("congress", scope.congress_id if congress and not department else None),
                                  ("year", scope.year)) if v}

        def link(**more: Any) -> str:
            return "/console/dashboard?" + urlencode({**kept, **{k: v for k, v in more.items() if v}})

        return page("console/dashboard.html", request, viewer, data=data, charts=charts.all_charts(data, charts.NARROW),
                    congress=congress, years=years, year=scope.year, picker=picker, too_many=too_many,
                    search=search, department=department, terms=terms, query=urlencode(kept),
                    colour_order=COLOUR_ORDER, colour_words=COLOUR_WORDS,
                    colour_links={c: link(colour=c) for c in ("", *COLOUR_ORDER)},
                    prev_link=link(colour=data["colour"], page=data["page"] - 1) if data["page"] > 1 else "",
                    next_link=link(colour=data["colour"], page=data["page"] + 1)
                    if data["page"] < data["pages"] else "",
                    stage_labels=stages.PROJECT_STAGES)

    async def _bulletin(self, request: Request, *, pdf: bool) -> Response[Any]:
        scope, _, _ = await _scope(request)
        content = await bulletin.bulletin(scope, pdf=pdf, number=_number(request, "number"))
        if pdf:
            congress = await _congress(scope.congress_id)
            return _pdf(content, f"{congress['name'] if congress else ''}{scope.year}年民生实事项目进度通报.pdf")
        return document_preview(content)

    @get("/dashboard/bulletin.pdf")
    async def bulletin_pdf(self, request: Request) -> Response[bytes]:
        return await self._bulletin(request, pdf=True)

    @get("/dashboard/bulletin.html")
    async def bulletindocument_preview(self, request: Request) -> Response[str]:
        return await self._bulletin(request, pdf=False)

    # --- deputies' participation records -------------------------------------------------

    @get("/deputies/{deputy_id:int}/record")
    async def deputy_record(self, request: Request, deputy_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        year = _year(request)
        found = await participation.record(deputy_id, year)
        return page("console/deputy_record.html", request, viewer, **found, columns=participation.COLUMNS,
                    stage_labels={**stages.STAGES})

    @get("/terms/{term_id:int}/participation")
    async def term_participation(self, request: Request, term_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        year = _year(request)
        term = await participation.term_info(term_id)
        rows = await participation.term_counts(term_id, year, term)
        return page("console/participation.html", request, viewer, term=term, year=year, rows=rows,
                    columns=participation.COLUMNS)

    @get("/terms/{term_id:int}/participation.xlsx")
    async def term_participation_xlsx(self, request: Request, term_id: FromPath[int]) -> Response[bytes]:
        await require_staff(request)
        year = _year(request)
        term = await participation.term_info(term_id)
        rows = await participation.term_counts(term_id, year, term)
        return download(participation.xlsx(term, year, rows), XLSX,
                        f"{term['congress_name']}{term['name']}代表{year}年履职情况.xlsx")
