"""Rendering pages: one place that fills in what every page needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect, Template

from voting.accounts import Viewer
from voting.bilingual import CHINESE_ONLY
from voting.errors import Refused
from voting.times import beijing
from web.auth import login_tag, login_token


PRIVATE_AUDIENCES = ("/tablet", "/console")


def page(name: str, request: Request, viewer: Viewer | None = None, status_code: int = 200,
         **context: Any) -> Template:
    if request.url.path.startswith(PRIVATE_AUDIENCES):  # which login the page was made under (app.js)
        context.setdefault("login_tag", login_tag(login_token(request)) if viewer else "")
        context.setdefault("unread_notifications", request.state.get("unread_notifications", 0))  # web.auth
        context.setdefault("help_waiting", request.state.get("help_waiting", 0))  # web.auth.require_staff
    context.setdefault("bi", request.state.get("bi", CHINESE_ONLY))  # voting.bilingual, set by web.auth
    return Template(template_name=name, context={"viewer": viewer, **context}, status_code=status_code)


def form_dict(form: Any) -> dict[str, str]:
    """A submitted form as plain strings (the last value of a repeated field). A NUL, which no one
    types and PostgreSQL cannot store, is dropped."""
    return {key: (value.replace("\x00", "") if isinstance(value, str) else "") for key, value in form.items()}


async def act_on_form(request: Request, where: str, action: Callable[[dict[str, str]], Awaitable[str | None]],
                      again: Callable[..., Awaitable[Template]], back: str = "") -> Template | Redirect:
    """One of a page's forms (`where`), sent: run `action` on what was typed, then go to the
    address it returns, or else back to the page (`back`) at that form, marked saved. When it is
    refused, `again(status_code, error=, error_at=, form=)` shows the page again with the message
    at that form and what was typed still in it."""
    form = form_dict(await request.form())
    try:
        went = await action(form)
    except Refused as refused:
        return await again(refused.status_code, error=refused.message, error_at=where, form=form)
    return Redirect(went or f"{back}?saved={where}#{where}")




def register_filters(engine: Any) -> None:
    from lifecycle.proposal_input import without_bidi_controls
    from voting import help_requests

    engine.engine.filters["beijing"] = beijing
    engine.engine.globals["bi"] = CHINESE_ONLY  # pages made outside page() (error handlers): Chinese only
    engine.engine.globals["help_asked"] = help_requests.ASKED
    engine.engine.globals["help_already"] = help_requests.ALREADY
    engine.engine.finalize = without_bidi_controls  # no typed text reads backwards on a page


DB_INT = 2**31 - 1  # the largest id or number a database column holds (32-bit on PostgreSQL)


def whole(text: Any) -> int | None:
    """A typed whole number, or None if it is not one a column can hold. Only ASCII digits:
    "²" is a digit to str.isdigit() but int() refuses it, and 10**20 fits no column."""
    text = text.strip() if isinstance(text, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > DB_INT:
        return None
    return int(text)


def chosen_ids(form: Any, field: str) -> list[int]:
    """The ids ticked in a form's repeated field (checkboxes, a multiple select); anything that is
    not an id is passed over."""
    return [n for n in map(whole, form.getall(field, [])) if n is not None]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    """A file to save, under its Chinese name (RFC 5987)."""
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def document_preview(html: str) -> Response[str]:
    """A print document as HTML: its own inline styles, no scripts, nothing from elsewhere."""
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                   "frame-ancestors 'none'"})


async def uploaded_files(form: Any, field: str) -> list[tuple[bytes, str]]:
    """The files a multipart form sent under `field`, read (an input left empty sends no file)."""
    from litestar.datastructures import UploadFile

    files = [value for value in form.getall(field, []) if isinstance(value, UploadFile) and value.filename]
    return [(await f.read(), f.filename) for f in files]


async def stored_file(sha256: str, media_type: str, size: int, name: str) -> Response[bytes]:
    """An uploaded file as stored (lifecycle.uploads), with the headers that keep it inert."""
    from lifecycle import uploads

    kind = next(k for k, (media, _) in uploads.KINDS.items() if media == media_type)
    content = await uploads.read(sha256, size)
    headers = uploads.safe_headers(uploads.StoredUpload(sha256, kind, media_type, size, name))
    media = headers.pop("Content-Type")
    return Response(content, media_type=media, headers=headers)


def typed_date(text: str, label: str, *, optional: bool = False) -> date | None:
    """A date typed into a form (2027-03-01), or a Chinese refusal naming the field."""
    text = (text or "").strip()
    if not text:
        if optional:
            return None
        raise Refused(f"请填写{label}，格式如 2027-03-01。")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{label}“{text[:40]}”格式不对，请写成 2027-03-01。") from None


def typed_number(text: str, label: str, *, optional: bool = False, commas: bool = False) -> int | None:
    """A whole number typed into a form, or a Chinese refusal naming the field. `commas`: a
    thousands separator is allowed ("1,200" reads as 1200)."""
    text = (text or "").strip()
    if commas:
        text = text.replace(",", "")
    if optional and not text:
        return None
    value = whole(text)
    if value is None:
        raise Refused(f"{label}应填整数。")
    return value
