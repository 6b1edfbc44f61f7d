"""Supervision pages (监督): deputies' tablet pages for their supervision groups (inspections with
photos, rectification requests, verifying and closing them, drawing lots), and the console's
pages (the secretariat sets groups and follows every open request; a department answers the
requests on its own projects). The use cases are in lifecycle.supervision."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lifecycle import colours, projects, stages, supervision, uploads
from lifecycle.proposals import today
from voting.accounts import Viewer
from voting.roster import normalise_number
from voting.errors import Forbidden, Refused
from voting.tables import Congress, Deputy, Term
from web import public
from web.auth import require_deputy, require_project_staff, require_staff, who_of
from web.pages import chosen_ids, form_dict, page, stored_file, typed_date, uploaded_files, whole

PHOTO_FIELD = "photos"
PHOTO_KINDS = ("jpeg", "png", "webp")
MAX_BODY = uploads.MAX_BYTES * supervision.MAX_PHOTOS + 1024 * 1024
PHOTOS_NOT_KEPT = "您选择的照片没有保存，请改好后重新选择照片。"
DEFAULT_DAYS = 30  # a rectification's deadline, as first offered
LISTS = {"stage_labels": stages.PROJECT_STAGES, "colour_labels": colours.COLOURS,
         "group_roles": supervision.GROUP_ROLES, "sources": supervision.SOURCES, "max_photos": supervision.MAX_PHOTOS,
         "max_bytes": uploads.MAX_BYTES, "max_mb": uploads.MAX_BYTES // (1024 * 1024)}


def _optional_id(text: str) -> int | None:
    return whole(text)


def check_photos(files: list[tuple[bytes, str]], what: str = "视察记录") -> None:
    """Refuse anything but photos before anything is stored (uploads.store_all checks size and count)."""
    if len(files) > supervision.MAX_PHOTOS:
        raise Refused(f"{what}最多附 {supervision.MAX_PHOTOS} 张照片，您选了 {len(files)} 张", code="upload_too_many")
    for data, name in files:
        kind = uploads.detect_kind(data) if data and len(data) <= uploads.MAX_BYTES else None
        if kind is None:
            uploads.check(data, name)  # raises Refused saying why
        if kind not in PHOTO_KINDS:
            raise Refused(f"“{name[-uploads.MAX_NAME_CHARS:]}”不是照片：{what}只能附 JPG、PNG 或 WebP 照片",
                          code="upload_kind")


async def _decorated(project: dict[str, Any], on: date) -> dict[str, Any]:
    colour = await projects.colour_of(project, on)
    return {**project, "colour": colour, "colour_label": colours.COLOURS[colour],
            "stage_label": stages.PROJECT_STAGES.get(project["stage"], project["stage"])}


async def _congress_of_term(term_id: int | None) -> int | None:
    row = await Term.select(Term.congress).where(Term.id == term_id).first() if term_id else None
    return row["congress"] if row else None


def _photo_link(sha256: str) -> str:
    return f"/tablet/supervision/attachments/{sha256}"


# --- the tablet ------------------------------------------------------------------------------


async def verify_rectification(request: Request, viewer: Any, rect_id: int, project_page: Any, done: str, *,
                               send_back: bool = False) -> Template | Redirect:
    """The group (on the tablet) or the secretariat (in the console) verifies a reply: 销号, with a
    note if they like, or 不予销号 (`send_back`) with the reason the department reads. On a refusal
    the project's page again with the message and the text as typed; else to `done`, an address
    with {project} and {rect} to fill in."""
    form = form_dict(await request.form())
    rect = await supervision.rectification(rect_id)
    field = "reason" if send_back else "note"
    text = form.get(field, "")
    try:
        if send_back:
            await supervision.send_back_rectification(rect_id, text, who_of(viewer))
        else:
            await supervision.close_rectification(rect_id, who_of(viewer), text)
    except Forbidden:
        raise
    except Refused as refused:
        return await project_page(request, viewer, rect["project"], status_code=refused.status_code,
                                  error={"at": f"{'back' if send_back else 'close'}-{rect_id}",
                                         "message": refused.message, "values": {field: text}})
    return Redirect(done.format(project=rect["project"], rect=rect_id), status_code=303)


class SupervisionTabletController(Controller):
    """/tablet/supervision: a deputy's supervision groups. Only a group's members see its project here."""

    path = "/tablet/supervision"

    @get("/")
    async def my_projects(self, request: Request) -> Template:
        viewer = await require_deputy(request)
        on = today()
        rows = [await _decorated(p, on) for p in await supervision.groups_of_deputy(viewer.id)]
        congress = await _congress_of_term(viewer.term_id)
        leads = congress is not None and await supervision.leads_in(viewer.id, congress)
        return page("tablet/supervision.html", request, viewer, projects=rows, leads=leads, **LISTS)

    async def _member_project(self, viewer: Viewer, project_id: int) -> tuple[dict[str, Any], str]:
        project = await projects.get_project(project_id)
        role = await supervision.role_in_group(project_id, viewer.id)
        if role is None:
            raise Forbidden(f"您不是“{project['title']}”监督小组的成员。")
        return project, role

    async def _project_page(self, request: Request, viewer: Viewer, project_id: int, *, status_code: int = 200,
                            error: dict[str, Any] | None = None) -> Template:
        project, role = await self._member_project(viewer, project_id)
        on = today()
        group = await supervision.group_of(project_id)
        draws = [d for d in await supervision.draws(project["congress"]) if project_id in d["drawn"]]
        error = error or {}
        values = error.get("values", {})
        return page("tablet/supervision_project.html", request, viewer, status_code=status_code,
                    p=await _decorated(project, on), role=role, group=group, draws=draws,
                    inspecting=project["stage"] in supervision.INSPECTED_STAGES,
                    raising=project["stage"] != "terminated",
                    inspections=await supervision.inspections(project_id),
                    rectifications=await supervision.rectifications(project_id, on),
                    today=on, tomorrow=on + timedelta(days=1), default_due=on + timedelta(days=DEFAULT_DAYS),
                    error=error, values=values, went=set(values.get("went", [viewer.id])),
                    saved=str(request.query_params.get("saved") or ""), photo_link=_photo_link, **LISTS)

    @get("/projects/{project_id:int}")
    async def project(self, request: Request, project_id: FromPath[int]) -> Template:
        viewer = await require_deputy(request)
        return await self._project_page(request, viewer, project_id)

    @post("/projects/{project_id:int}/inspections", request_max_body_size=MAX_BODY,
          exception_handlers={RequestEntityTooLarge: public.too_large})
    async def inspect(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_deputy(request)
        await self._member_project(viewer, project_id)  # nothing is read or stored for anyone else
        form = await request.form()
        fields = form_dict(form)
        went = chosen_ids(form, "went")
        values = {"held_on": fields.get("held_on", ""), "others": fields.get("others", ""),
                  "findings": fields.get("findings", ""), "unannounced": fields.get("unannounced") == "1",
                  "lot_draw": fields.get("lot_draw", ""), "went": went}
        files = await uploaded_files(form, PHOTO_FIELD)
        try:
            held_on = typed_date(values["held_on"], "视察日期")
            problems = supervision.inspection_problems(held_on, went, values["others"], values["findings"], today())
            if problems:  # said before any photo is stored
                raise Refused("".join(problems), code="inspection_invalid")
            check_photos(files)
            stored = await uploads.store_all(files, limit=supervision.MAX_PHOTOS)
            await supervision.record_inspection(project_id, held_on, went, values["others"], values["findings"],
                                                values["unannounced"], _optional_id(values["lot_draw"]),
                                                who_of(viewer), stored)
        except Forbidden:
            raise
        except Refused as refused:
            message = refused.message + ("" if refused.message.endswith("。") else "。")
            if files:
                message += PHOTOS_NOT_KEPT
            return await self._project_page(request, viewer, project_id, status_code=refused.status_code,
                                            error={"at": "inspection", "message": message, "values": values})
        return Redirect(f"/tablet/supervision/projects/{project_id}?saved=inspection#inspections", status_code=303)

    @post("/projects/{project_id:int}/rectifications")
    async def raise_rectification(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_deputy(request)
        form = form_dict(await request.form())
        values = {"request": form.get("request", ""), "due_on": form.get("due_on", ""),
                  "inspection": form.get("inspection", "")}
        try:
            await supervision.raise_rectification(project_id, _optional_id(values["inspection"]), values["request"],
                                                  typed_date(values["due_on"], "整改期限"), who_of(viewer))
        except Forbidden:
            raise
        except Refused as refused:
            return await self._project_page(request, viewer, project_id, status_code=refused.status_code,
                                            error={"at": "rectification", "message": refused.message,
                                                   "values": values})
        return Redirect(f"/tablet/supervision/projects/{project_id}?saved=rectification#rectifications",
                        status_code=303)

    @post("/rectifications/{rect_id:int}/close")
    async def close(self, request: Request, rect_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_deputy(request)
        return await verify_rectification(request, viewer, rect_id, self._project_page,
                                          "/tablet/supervision/projects/{project}?saved=closed#rectifications")

    @post("/rectifications/{rect_id:int}/send-back")
    async def send_back(self, request: Request, rect_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_deputy(request)
        return await verify_rectification(request, viewer, rect_id, self._project_page,
                                          "/tablet/supervision/projects/{project}?saved=sent_back#rect-{rect}",
                                          send_back=True)

    @get("/lots")
    async def lots(self, request: Request) -> Template:
        viewer = await require_deputy(request)
        return await self._lots_page(request, viewer)

    async def _lots_page(self, request: Request, viewer: Viewer, *, status_code: int = 200,
                         error: str = "", values: dict[str, str] | None = None) -> Template:
        congress = await _congress_of_term(viewer.term_id)
        if congress is None or not await supervision.leads_in(viewer.id, congress):
            raise Forbidden("只有监督小组组长可以抽签确定视察项目。")
        years = await supervision.draw_years(congress)
        pools = {y: len(await supervision.draw_pool(congress, y)) for y in years}
        return page("tablet/supervision_lots.html", request, viewer, status_code=status_code, years=years,
                    pools=pools, draws=await supervision.draws(congress), error=error, values=values or {},
                    drawn=str(request.query_params.get("drawn") or ""), **LISTS)

    @post("/lots")
    async def draw(self, request: Request) -> Template | Redirect:
        viewer = await require_deputy(request)
        form = form_dict(await request.form())
        values = {"year": form.get("year", ""), "count": form.get("count", "")}
        congress = await _congress_of_term(viewer.term_id)
        try:
            year, count = whole(values["year"]), whole(values["count"])
            if year is None or count is None:
                raise Refused("请选择年度并填写抽取的项目个数。")
            made = await supervision.draw_lots(congress or -1, year, count,
                                               who_of(viewer))
        except Forbidden:
            raise
        except Refused as refused:
            return await self._lots_page(request, viewer, status_code=refused.status_code, error=refused.message,
                                         values=values)
        return Redirect(f"/tablet/supervision/lots?{urlencode({'drawn': made['id']})}#draw-{made['id']}",
                        status_code=303)

    @get("/attachments/{sha256:str}")
    async def attachment(self, sha256: FromPath[str]) -> Response[bytes]:
        """An inspection photo: a public record, served inert (lifecycle.uploads.safe_headers)."""
        row = await supervision.supervision_photo(sha256)
        return await stored_file(row["sha256"], row["media_type"], row["size"], row["name"])


# --- the console -----------------------------------------------------------------------------


def _numbers(text: str) -> list[str]:
    return [normalise_number(n) for n in (text or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
            if n.strip()]


async def _deputies_by_number(congress_id: int, numbers: list[str]) -> list[int]:
    """Deputy ids for deputy numbers of the congress's current term, in the order given."""
    term = await supervision.current_term(congress_id)
    rows = await Deputy.select(Deputy.id, Deputy.number).where(
        (Deputy.term == (term or -1)) & Deputy.number.is_in(numbers or [""]))
    found = {r["number"]: r["id"] for r in rows}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise Refused(f"本届代表名册中没有代表证号“{'、'.join(missing)}”。", code="unknown_deputy")
    return [found[n] for n in numbers]


class SupervisionConsoleController(Controller):
    """/console/supervision: the secretariat sees every open rectification and sets groups; a department
    sees and answers the requests on its own projects only."""

    path = "/console/supervision"

    async def _home(self, request: Request, viewer: Viewer, *, status_code: int = 200,
                    error: dict[str, Any] | None = None) -> Template:
        who = who_of(viewer)
        on = today()
        is_secretariat = who.role in stages.SECRETARIAT
        department = None if is_secretariat else await projects.department_of(viewer.id)
        if is_secretariat:
            open_rows = await supervision.open_rectifications(on=on)
        elif department is not None:
            open_rows = await supervision.open_rectifications(department_id=department, on=on)
        else:
            open_rows = []
        rows = [p for p in (await projects.projects_for(who) if is_secretariat or department is not None else [])
                if p["stage"] in supervision.INSPECTED_STAGES]
        listed = []
        for p in rows:
            group = await supervision.group_of(p["id"])
            listed.append({**await _decorated(p, on), "lead": next((m for m in group if m["role"] == "lead"), None),
                           "members": len(group)})
        congresses = await Congress.select(Congress.id, Congress.name).order_by(Congress.id) if is_secretariat else []
        recent = []
        for c in congresses:
            recent.extend({**d, "congress_name": c["name"]} for d in await supervision.draws(c["id"], limit=5))
        recent.sort(key=lambda d: d["id"], reverse=True)
        years = [y for c in congresses for y in await supervision.draw_years(c["id"])]
        return page("console/supervision.html", request, viewer, status_code=status_code, open_rows=open_rows,
                    photo_link=_photo_link,
                    projects=listed, is_secretariat=is_secretariat, linked=is_secretariat or department is not None,
                    congresses=congresses, draws=recent[:10], error=error or {},
                    saved=str(request.query_params.get("saved") or ""), draw_year=max(years, default=on.year), **LISTS)

    @get("/")
    async def home(self, request: Request) -> Template:
        viewer = await require_project_staff(request)
        return await self._home(request, viewer)

    async def _project_page(self, request: Request, viewer: Viewer, project_id: int, *, status_code: int = 200,
                            error: dict[str, Any] | None = None) -> Template:
        who = who_of(viewer)
        project = await projects.get_project(project_id)
        await projects.check_access(project, who)
        on = today()
        return page("console/supervision_project.html", request, viewer, status_code=status_code,
                    p=await _decorated(project, on), group=await supervision.group_of(project_id),
                    inspections=await supervision.inspections(project_id),
                    rectifications=await supervision.rectifications(project_id, on),
                    is_secretariat=who.role in stages.SECRETARIAT, error=error or {},
                    saved=str(request.query_params.get("saved") or ""), photo_link=_photo_link, **LISTS)

    @get("/projects/{project_id:int}")
    async def project(self, request: Request, project_id: FromPath[int]) -> Template:
        viewer = await require_project_staff(request)
        return await self._project_page(request, viewer, project_id)

    @post("/projects/{project_id:int}/group")
    async def set_group(self, request: Request, project_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        values = {"lead": form.get("lead", ""), "members": form.get("members", "")}
        try:
            project = await projects.get_project(project_id)
            lead = _numbers(values["lead"])
            if len(lead) > 1:
                raise Refused("组长只能有一位。", code="two_leads")
            lead_ids = await _deputies_by_number(project["congress"], lead)
            members = await _deputies_by_number(project["congress"], _numbers(values["members"]))
            await supervision.set_group(project_id, lead_ids[0] if lead_ids else None, members, who_of(viewer))
        except Forbidden:
            raise
        except Refused as refused:
            return await self._project_page(request, viewer, project_id, status_code=refused.status_code,
                                            error={"at": "group", "message": refused.message, "values": values})
        return Redirect(f"/console/supervision/projects/{project_id}?saved=group#group", status_code=303)

    @post("/rectifications/{rect_id:int}/reply", request_max_body_size=MAX_BODY,
          exception_handlers={RequestEntityTooLarge: public.too_large})
    async def reply(self, request: Request, rect_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_project_staff(request)
        who = who_of(viewer)
        rect = await supervision.check_department_access(rect_id, who)  # before anything sent is read
        raw = await request.form()
        form = form_dict(raw)
        files = await uploaded_files(raw, PHOTO_FIELD)
        back = form.get("back", "")
        try:
            supervision.check_reply(form.get("reply", ""))  # said before any photo is stored
            check_photos(files, "整改答复")
            stored = await uploads.store_all(files, limit=supervision.MAX_PHOTOS)
            await supervision.reply_rectification(rect_id, form.get("reply", ""), who, stored)
        except Forbidden:
            raise
        except Refused as refused:
            message = refused.message + ("" if refused.message.endswith("。") else "。")
            if files:
                message += PHOTOS_NOT_KEPT
            error = {"at": f"reply-{rect_id}", "message": message, "values": {"reply": form.get("reply", "")}}
            if back == "project":
                return await self._project_page(request, viewer, rect["project"], status_code=refused.status_code,
                                                error=error)
            return await self._home(request, viewer, status_code=refused.status_code, error=error)
        if back == "project":
            return Redirect(f"/console/supervision/projects/{rect['project']}?saved=replied#rect-{rect_id}",
                            status_code=303)
        return Redirect("/console/supervision?saved=replied#open", status_code=303)

    @post("/rectifications/{rect_id:int}/close")
    async def close(self, request: Request, rect_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        return await verify_rectification(request, viewer, rect_id, self._project_page,
                                          "/console/supervision/projects/{project}?saved=closed#rect-{rect}")

    @post("/rectifications/{rect_id:int}/send-back")
    async def send_back(self, request: Request, rect_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_staff(request)
        return await verify_rectification(request, viewer, rect_id, self._project_page,
                                          "/console/supervision/projects/{project}?saved=sent_back#rect-{rect}",
                                          send_back=True)

    @post("/lots")
    async def draw(self, request: Request) -> Template | Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        values = {"congress": form.get("congress", ""), "year": form.get("year", ""), "count": form.get("count", "")}
        try:
            numbers = {k: whole(v) for k, v in values.items()}
            if None in numbers.values():
                raise Refused("请选择人大、填写年度和抽取的项目个数。")
            made = await supervision.draw_lots(numbers["congress"], numbers["year"], numbers["count"],
                                               who_of(viewer))
        except Forbidden:
            raise
        except Refused as refused:
            return await self._home(request, viewer, status_code=refused.status_code,
                                    error={"at": "lots", "message": refused.message, "values": values})
        return Redirect(f"/console/supervision?saved=drawn#draw-{made['id']}", status_code=303)
