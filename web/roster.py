"""The console's roster import: upload, preview, confirm (or cancel); and the templates.

Nothing is written by the upload: it is parsed and kept on the server
(voting.pending_uploads) under a token only this clerk can use, and its preview page
(reached by a redirect, so Back and reload never resend the file) compares it with the
roll. The confirmation parses the same bytes again and
writes only if the result is the one previewed (voting.roster.confirm_import).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voting import pending_uploads, roster, roster_import
from voting.accounts import Viewer
from voting.errors import NotFound, Refused
from voting.roster import RosterChanged, RosterPlan
from voting.tables import Term
from web.auth import require_staff
from web.pages import XLSX, download, form_dict, page


async def _term(term_id: int) -> dict[str, Any]:
    term = await Term.select(Term.all_columns(), Term.congress.name.as_alias("congress_name")).where(
        Term.id == term_id).first()
    if term is None:
        raise NotFound("没有这个届次。")
    return term


def _purpose(term_id: int) -> str:
    return f"roster:{term_id}"


class RosterController(Controller):
    path = "/console"

    def _form(self, request: Request, viewer: Viewer, term: dict[str, Any], status_code: int = 200,
              **context: Any) -> Template:
        return page("console/import.html", request, viewer, term=term, columns=roster_import.LAYOUT.columns,
                    status_code=status_code, **context)

    def _preview(self, request: Request, viewer: Viewer, term: dict[str, Any], plan: RosterPlan, token: str,
                 filename: str, error: str = "", status_code: int = 200) -> Template:
        return page("console/import_preview.html", request, viewer, term=term, plan=plan, token=token,
                    filename=filename, error=error, status_code=status_code)

    @get("/terms/{term_id:int}/import")
    async def import_form(self, request: Request, term_id: FromPath[int], added: FromQuery[int | None] = None,
                          updated: FromQuery[int] = 0, unchanged: FromQuery[int] = 0, skipped: FromQuery[int] = 0,
                          delegations: FromQuery[int] = 0) -> Template:
        viewer = await require_staff(request)
        done = None if added is None else {"added": added, "updated": updated, "unchanged": unchanged,
                                            "skipped": skipped, "delegations": delegations}
        return self._form(request, viewer, await _term(term_id), done=done)

    @post("/terms/{term_id:int}/import")
    async def import_upload(self, request: Request, term_id: FromPath[int]) -> Template | Redirect:
        """Parse the upload; with no errors keep it on the server and go to its preview. Nothing is written."""
        viewer = await require_staff(request)
        term = await _term(term_id)
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._form(request, viewer, term, 400, error="请选择要导入的名册文件（.xlsx 或 .csv）。")
        data = await upload.read()
        parsed = roster_import.parse_roster(upload.filename, data)
        if parsed.errors:
            return self._form(request, viewer, term, 400, errors=parsed.errors, filename=upload.filename)
        if not parsed.rows:
            why = "；".join(f"第 {s.row} 行：{s.reason}" for s in parsed.skipped[:5])
            return self._form(request, viewer, term, 400,
                              error="文件中没有可以导入的代表" + (f"（{why}）。" if why else "。"))
        held = await pending_uploads.keep(_purpose(term_id), viewer.id, upload.filename, data)
        return Redirect(f"/console/terms/{term_id}/import/preview?{urlencode({'token': held.token})}", status_code=303)

    @get("/terms/{term_id:int}/import/preview")
    async def import_preview(self, request: Request, term_id: FromPath[int], token: FromQuery[str] = "",
                             changed: FromQuery[bool] = False) -> Template:
        """What the kept upload would change on the roll as it is now; writes nothing. A page of its
        own (post-redirect-get), so Back and reload never resend the file."""
        viewer = await require_staff(request)
        term = await _term(term_id)
        try:
            held = await pending_uploads.load(token, _purpose(term_id), viewer.id)
        except NotFound as gone:
            return self._form(request, viewer, term, 404, error=gone.message)
        try:
            plan = await roster.preview_import(term_id, roster_import.parse_roster(held.filename, held.data),
                                               held.sha256)
        except Refused:  # e.g. a rehearsal's term: the file is not kept for nothing
            await pending_uploads.drop(held.token)
            raise
        return self._preview(request, viewer, term, plan, held.token, held.filename,
                             RosterChanged.MESSAGE if changed else "")

    @post("/terms/{term_id:int}/import/confirm")
    async def import_confirm(self, request: Request, term_id: FromPath[int]) -> Template | Redirect:
        """Write exactly what the preview showed, from the file kept on the server."""
        viewer = await require_staff(request)
        term = await _term(term_id)
        form = form_dict(await request.form())
        try:
            held = await pending_uploads.load(form.get("token", ""), _purpose(term_id), viewer.id)
        except NotFound as gone:
            return self._form(request, viewer, term, 404, error=gone.message)
        parsed = roster_import.parse_roster(held.filename, held.data)
        try:
            summary = await roster.confirm_import(term_id, parsed, held.sha256, form.get("digest", ""), viewer.actor,
                                                  filename=held.filename)
        except RosterChanged:
            query = urlencode({"token": held.token, "changed": "true"})
            return Redirect(f"/console/terms/{term_id}/import/preview?{query}", status_code=303)
        except Refused as refused:
            plan = await roster.preview_import(term_id, parsed, held.sha256)
            return self._preview(request, viewer, term, plan, held.token, held.filename, refused.message,
                                 refused.status_code)
        await pending_uploads.drop(held.token)
        return Redirect(f"/console/terms/{term_id}/import?added={summary.added}&updated={summary.updated}"
                        f"&unchanged={summary.unchanged}&skipped={summary.skipped}"
                        f"&delegations={summary.delegations_added}", status_code=303)

    @post("/terms/{term_id:int}/import/cancel")
    async def import_cancel(self, request: Request, term_id: FromPath[int]) -> Redirect:
        viewer = await require_staff(request)
        form = form_dict(await request.form())
        try:
            await pending_uploads.load(form.get("token", ""), _purpose(term_id), viewer.id)
        except NotFound:
            pass  # already gone, or not this clerk's: nothing of theirs to remove
        else:
            await pending_uploads.drop(form.get("token", ""))
        return Redirect(f"/console/terms/{term_id}/import")

    @get("/import-template.xlsx")
    async def template_xlsx(self, request: Request) -> Response[bytes]:
        await require_staff(request)
        return download(roster_import.template_xlsx(), XLSX, "代表名册模板.xlsx")

    @get("/import-template.csv")
    async def template_csv(self, request: Request) -> Response[bytes]:
        await require_staff(request)
        return download(roster_import.template_csv(), "text/csv; charset=utf-8", "代表名册模板.csv")
