"""Assembles the application: database lifecycle, routes, templates, static files, errors."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

from litestar import Litestar, Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import Message, Scope
from litestar.plugins.jinja import JinjaTemplateEngine

import lifecycle.candidate_lists  # noqa: F401  (listens for a poll's close: the list's projects move on)
import lifecycle.evaluation  # noqa: F401  (listens for a poll's close: verdicts go onto the projects)
from config import settings
from lifecycle import reminders
from voting import database
from voting.errors import Refused
from voting.group_commit import writer
from web.acceptance import AfterVoteConsoleController
from web.api import ApiController, healthz
from web.auth import LoginRequired, csrf_config, return_to
from web.console import ConsoleController
from web.counting import CountingController
from web.dashboard import DashboardController
from web.help_desk import HelpDeskController
from web.translations_console import TranslationsConsoleController
from web.notifications import NotificationConsoleController, NotificationTabletController, PublicNotificationController
from web.guards import plausible_address
from web import logs
from web.open_data import open_data_index, open_data_router
from web.public import PublicController
from web.roster import RosterController
from web.pages import register_filters
from web.proposals import ProposalConsoleController
from web.projects_console import ProjectConsoleController
from web.screen import ScreenController
from web.supervision import SupervisionConsoleController, SupervisionTabletController
from web.scrutiny_tablet import ScrutinyTabletController
from web.tablet import TabletController
from web.tablet_results import TabletResultsController
from web.trust import TrustController

ROOT = Path(__file__).parent
log = logging.getLogger("piaojue")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/public/data/")) or path == "/public/data"  # the API, the open-data feed


def _problem(status: int, title: str, detail: str, code: str = "") -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if code:
        body["code"] = code
    return Response(body, status_code=status, media_type="application/problem+json")


def _page_error(request: Request, status: int, message: str) -> Response:
    # Exception handlers run synchronously (also for errors raised in middleware), so
    # the page shows the viewer only if the request had already looked them up.
    viewer = request.state.get("viewer") if hasattr(request.state, "get") else None
    audience = "tablet" if request.url.path.startswith("/tablet") else "console"
    return Template(template_name="error.html", status_code=status,
                    context={"viewer": viewer, "message": message, "audience": audience})


def refused_handler(request: Request, exc: Refused) -> Response:
    if _wants_json(request):
        return _problem(exc.status_code, "请求被拒绝", exc.message, exc.code)
    return _page_error(request, exc.status_code, exc.message)


def login_required_handler(request: Request, exc: NotAuthorizedException) -> Response:
    if _wants_json(request):
        return _problem(401, "需要登录", "请先登录。", "login_required")
    audience = getattr(exc, "audience", "tablet" if request.url.path.startswith("/tablet") else "console")
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and return_to(asked, f"/{audience}") and asked.rstrip("/") != f"/{audience}":
        # back there once logged in (the area's home needs no saying)
        return Redirect(f"/{audience}/login?{urlencode({'next': asked})}")
    return Redirect(f"/{audience}/login")


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    messages = {400: "请求格式不正确。", 403: "您没有权限进行此操作。", 404: "没有找到您要的页面。",
                405: "不支持这种请求方式。", 413: "上传的内容太大。", 415: "请求体格式不支持。", 429: "请求太频繁，请稍后再试。"}
    status = exc.status_code
    if status == 403 and "CSRF" in str(exc.detail):
        message = "页面已过期，请刷新后重新提交。"
    elif status == 403 and _chinese(str(exc.detail or "")):
        message = str(exc.detail)  # our own refusal (web.auth), saying whose work it is
    elif isinstance(exc, ValidationException):
        message = "提交的内容格式不正确，请检查后重新提交。"
    else:
        message = messages.get(status, "请求无法处理。") if status < 500 else "服务器出现问题，请稍后重试或联系秘书处。"
    if status >= 500:
        log.error("server error on %s: %s", logs.loggable_path(request.url.path), exc.detail)
        message = _with_error_number(message)
    if _wants_json(request):
        if status == 404:  # no such route (or a path parameter of the wrong kind): not a "page" here
            message = "没有找到您要的内容：请检查请求的地址。"
        # Litestar's own details are English ("Not Found", "JSON is malformed..."): only ours, in Chinese, pass.
        detail = str(exc.detail) if status < 500 and _chinese(str(exc.detail or "")) else message
        return _problem(status, message, detail)
    return _page_error(request, status, message)


def _with_error_number(message: str) -> str:
    """A server error's message with the request's id, which names its lines in the log."""
    return f"{message.rstrip('。')}（错误编号 {logs.request_id.get()}）。"


UNAVAILABLE = "数据库暂时无法连接（可能正在切换到备用服务器），请稍候再试；投票的平板会自动重新提交。"


def server_error_handler(request: Request, exc: Exception) -> Response:
    if database.unavailable(exc):
        # 503 with Retry-After: the tablet's script (static/app.js) and the rehearsal client send the
        # same request again; a ballot that did go in is then refused as already voted.
        log.warning("database unavailable on %s: %s", logs.loggable_path(request.url.path), exc)
        response = _problem(503, UNAVAILABLE, UNAVAILABLE, "database_unavailable") if _wants_json(request) \
            else _page_error(request, 503, UNAVAILABLE)
        response.headers["Retry-After"] = "2"
        return response
    log.exception("unhandled error on %s", logs.loggable_path(request.url.path))
    message = _with_error_number("服务器出现问题，请稍后重试或联系秘书处。")
    if _wants_json(request):
        return _problem(500, message, message)
    return _page_error(request, 500, message)


# Behind a login: a tablet passes from deputy to deputy and a console may be a shared PC, so
# no page or answer of these is kept by the browser, for its back button or on disk.
PRIVATE_PATHS = ("/tablet", "/console", "/api/")


async def security_headers(message: Message, scope: Scope) -> None:
    """Every answer as it is sent, error pages included: an `after_request` hook never sees the
    answers the exception handlers make (404, 403, 401, 413...). A route's own policy (the print
    previews', a stored file's) is kept."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for key, value in SECURITY_HEADERS.items():
            if headers.get(key) is None:
                headers[key] = value
        if headers.get("Cache-Control") is None and scope["path"].startswith(PRIVATE_PATHS):
            headers["Cache-Control"] = "no-store"
        if scope.get("scheme") == "https" and headers.get("Strict-Transport-Security") is None:
            headers["Strict-Transport-Security"] = "max-age=31536000"


@get("/", include_in_schema=False)
async def index() -> Redirect:
    return Redirect("/tablet")


FAVICON = (ROOT / "static" / "favicon.svg").read_bytes()


@get("/favicon.ico", include_in_schema=False, sync_to_thread=False)
def favicon() -> Response[bytes]:
    """What a browser asks for when a page (a print preview) names no icon: the SVG in static/."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


async def on_startup() -> None:
    logs.configure()
    await database.prepare()
    reminders.start(settings().notify_minutes)  # reminders and the SMS outbox, every few minutes


async def on_shutdown() -> None:
    await reminders.stop()
    await writer.stop()
    await database.shutdown()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[
            index, favicon, healthz, TabletController, ConsoleController, CountingController, ProposalConsoleController, ProjectConsoleController, ApiController,
            PublicController, open_data_router, open_data_index, ScreenController, DashboardController, SupervisionTabletController, SupervisionConsoleController,
            AfterVoteConsoleController, TabletResultsController, RosterController, ScrutinyTabletController, TrustController,
            NotificationConsoleController, NotificationTabletController, PublicNotificationController, HelpDeskController,
            TranslationsConsoleController,
            create_static_files_router(path="/static", directories=[ROOT / "static"], name="static",
                                       include_in_schema=False),
        ],
        template_config=TemplateConfig(directory=ROOT / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=register_filters),
        csrf_config=csrf_config(),
        exception_handlers={
            Refused: refused_handler,
            LoginRequired: login_required_handler,
            NotAuthorizedException: login_required_handler,
            HTTPException: http_error_handler,
            Exception: server_error_handler,
        },
        before_request=plausible_address,
        before_send=[security_headers],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=4 * 1024 * 1024,
        logging_config=None,  # web/logs.py configures logging, once, for the whole server
        # The schema as JSON only: Litestar's documentation pages load their scripts from
        # CDNs, which a hall without internet (and our Content-Security-Policy) never reaches.
        openapi_config=OpenAPIConfig(title="piaojue 票决", version="0.1.0", path="/schema",
                                     render_plugins=[JsonRenderPlugin()]),
    )


app = create_app()
app.asgi_handler = logs.with_request_log(app.asgi_handler)
