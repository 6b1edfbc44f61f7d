"""双语 in the console: the secretariat sets a congress's second language, and its translation
office enters every text a poll shows, on the page or through a spreadsheet filled offline.
The rules stay in voting.translations (and voting.translation_office, which lists and reads)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from voting import languages, sittings, translation_office, translations
from voting.polls import STATUS_LABELS
from voting.accounts import Viewer
from voting.errors import NotFound, Refused
from voting.tables import Congress
from web.auth import require_staff
from web.pages import XLSX, act_on_form, download, page, whole

SHOWN_ON_POLL = 5  # missing texts listed on a draft poll's page


def address(congress_id: int) -> str:
    return f"/console/congresses/{congress_id}/translations"


async def congress_row(congress_id: int) -> dict[str, Any]:
    row = await Congress.select().where(Congress.id == congress_id).first()
    if row is None:
        raise NotFound("没有这个人大。")
    return row


async def poll_needs(poll: dict[str, Any]) -> dict[str, Any] | None:
    """What a draft poll's page says before it can open in a bilingual congress: how many texts
    still have no translation, the first few, and where to enter them; None when nothing is
    missing or the congress has no second language."""
    if poll["status"] != "draft":
        return None
    missing = await translations.missing_for_poll(poll)
    if not missing:
        return None
    congress_id = await translations.congress_of_session(poll["session"])
    lang = languages.language(await translations.congress_language(congress_id))
    return {"count": len(missing), "shown": missing[:SHOWN_ON_POLL], "language": lang,
            "address": address(congress_id)}


class TranslationsConsoleController(Controller):
    path = "/console"

    @get("/translations")
    async def congresses(self, request: Request) -> Template:
        """The menu's 双语: each congress, its second language, and its page."""
        viewer = await require_staff(request)
        found = await sittings.congresses()
        return page("console/translations_index.html", request, viewer, congresses=found,
                    languages=languages.LANGUAGES)

    async def _page(self, request: Request, viewer: Viewer, congress_id: int, status_code: int = 200,
                    **more: Any) -> Template:
        congress = await congress_row(congress_id)
        work = await translation_office.work_list(congress)
        saved = request.query_params.get("saved", "")
        form = more.pop("form", {})
        only_missing = request.query_params.get("missing") == "1" or form.get("view") == "missing"
        refused_here = more.get("error_at") == "texts"
        return page("console/translations.html", request, viewer, status_code=status_code, congress=congress,
                    work=work, lang=work.language, choices=languages.CHOICES, poll_status=STATUS_LABELS,
                    methods=translation_office.METHOD_NAMES, saved=saved, only_missing=only_missing,
                    count=whole(request.query_params.get("count", "")),
                    field_errors=translation_office.typed_problems(form, work) if refused_here else {},
                    error=more.pop("error", ""), error_at=more.pop("error_at", ""), form=form,
                    errors=more.pop("errors", []), filename=more.pop("filename", ""), **more)

    @get("/congresses/{congress_id:int}/translations")
    async def translations_page(self, request: Request, congress_id: FromPath[int]) -> Template:
        viewer = await require_staff(request)
        return await self._page(request, viewer, congress_id)

    @post("/congresses/{congress_id:int}/translations/language")
    async def set_language(self, request: Request, congress_id: FromPath[int]) -> Template | Redirect:
        """Set (or clear) the congress's second language, with the reason typed (audited)."""
        viewer = await require_staff(request)
        await congress_row(congress_id)

        async def action(form: dict[str, str]) -> None:
            await translations.set_language(congress_id, form.get("language", "").strip(), viewer.actor,
                                            form.get("reason", "")[:200])

        return await act_on_form(request, "language", action,
                                 lambda status, **more: self._page(request, viewer, congress_id, status, **more),
                                 back=address(congress_id))

    @post("/congresses/{congress_id:int}/translations")
    async def save(self, request: Request, congress_id: FromPath[int]) -> Template | Redirect:
        """Every field changed on the page, entered at once: all or nothing, the refusal at the
        form with what was typed still in it."""
        viewer = await require_staff(request)
        congress = await congress_row(congress_id)

        async def action(form: dict[str, str]) -> str:
            work = await translation_office.work_list(congress)
            if work.language is None:
                raise Refused("本届人大没有设定第二语言，请先选择第二语言。", code="no_second_language")
            entries = translation_office.typed_entries(form, work)
            count = await translations.enter(congress_id, entries, viewer.actor, form.get("reason", "")) \
                if entries else 0
            view = "&missing=1" if form.get("view") == "missing" else ""
            return f"{address(congress_id)}?saved=texts&count={count}{view}#texts"

        return await act_on_form(request, "texts", action,
                                 lambda status, **more: self._page(request, viewer, congress_id, status, **more),
                                 back=address(congress_id))

    @get("/congresses/{congress_id:int}/translations.xlsx")
    async def export(self, request: Request, congress_id: FromPath[int]) -> Response[bytes]:
        """The texts and their translations in force, to fill offline (类别, 中文, 译文)."""
        await require_staff(request)
        congress = await congress_row(congress_id)
        work = await translation_office.work_list(congress)
        if work.language is None:
            raise Refused("本届人大没有设定第二语言，没有需要翻译的文字。", code="no_second_language")
        return download(translation_office.export_xlsx(work), XLSX,
                        f"{congress['name']}-{work.language.name}译文表.xlsx")

    @post("/congresses/{congress_id:int}/translations/import")
    async def import_file(self, request: Request, congress_id: FromPath[int]) -> Template | Redirect:
        """The filled spreadsheet back: entered all or nothing; refused, each problem by row."""
        viewer = await require_staff(request)
        await congress_row(congress_id)
        form = await request.form()
        upload = form.get("file")
        reason = form.get("reason") if isinstance(form.get("reason"), str) else ""
        typed = {"reason": reason}
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._page(request, viewer, congress_id, 400, error="请选择填好的译文表（.xlsx 或 .csv）。",
                                    error_at="import", form=typed)
        try:
            count = await translation_office.import_file(congress_id, upload.filename, await upload.read(),
                                                         viewer.actor, reason)
        except translation_office.ImportRefused as refused:
            return await self._page(request, viewer, congress_id, refused.status_code, error_at="import",
                                    errors=refused.errors, filename=upload.filename, form=typed)
        except Refused as refused:
            return await self._page(request, viewer, congress_id, refused.status_code, error=refused.message,
                                    error_at="import", form=typed)
        return Redirect(f"{address(congress_id)}?saved=import&count={count}#import")

