"""What the server writes to its log, configured here and nowhere else.

- One line per request: time, level, request id, method, path, status, milliseconds. Never the
  query string, a login link's token, a cookie, the client's address, a body or who is logged
  in: the log is read by operators, copied to bug reports and kept by journald, and a line
  must not help pair a deputy with anything they sent.
- Every line written while a request is served carries its request id (``[3f9c1a2b]``), an
  error's traceback too; the id goes back to the browser as ``X-Request-ID`` and is shown on
  the error page, so the clerk's "错误编号" finds the line. A proxy's ``X-Request-ID`` (nginx's
  ``$request_id``) is kept, so its access log and ours name the same request.
- Libraries say only what an operator needs: no per-request INFO from httpx (the load
  clients), WeasyPrint or fontTools (every PDF), uvicorn's access log (ours replaces it), and
  aiosqlite never logs statements (their parameters are a ballot's marks) at any level.
- ``PIAOJUE_LOG_FILE``: also write to this file, rotated by the server itself (20 MB, 10 kept).
  Under systemd the console output goes to journald, which rotates it. ``PIAOJUE_LOG_LEVEL``:
  ``INFO`` by default; ``WARNING`` drops the request lines.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import secrets
import time
from contextvars import ContextVar

from litestar.types import ASGIApp, Message, Receive, Scope, Send

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
ROTATE_BYTES = 20 * 1024 * 1024
ROTATE_KEEP = 10
QUIET = {
    "httpx": logging.WARNING, "httpcore": logging.WARNING,
    "weasyprint": logging.ERROR, "fontTools": logging.WARNING, "PIL": logging.WARNING,
    "aiosqlite": logging.WARNING, "asyncio": logging.WARNING, "multipart": logging.WARNING,
    "piccolo": logging.WARNING,
    "uvicorn.access": logging.CRITICAL + 1,
}
# Paths that carry a secret in themselves: a deputy's one-time login link.
_SECRET_PATHS = (re.compile(r"^(/tablet/l/)[^/]+"),)
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_id: ContextVar[str] = ContextVar("request_id", default="-")
requests_log = logging.getLogger("piaojue.request")
_HANDLER_MARK = "_piaojue"

for _name, _level in QUIET.items():  # at import too: a test or a script that never calls configure()
    logging.getLogger(_name).setLevel(_level)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class _OneLine(logging.Filter):
    """A library's warning about a lost database connection (asyncpg's pool restoring its floor
    while PostgreSQL fails over) in one line, its exception named, not a traceback each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno < logging.ERROR and record.name.startswith("asyncpg"):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def _handler(handler: logging.Handler) -> logging.Handler:
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_OneLine())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure() -> None:
    """Set up the server's logging (idempotent): our format on standard error and, if
    PIAOJUE_LOG_FILE is set, on a rotated file; uvicorn's own loggers write through ours."""
    root = logging.getLogger()
    if any(getattr(handler, _HANDLER_MARK, False) for handler in root.handlers):
        return
    root.setLevel(os.environ.get("PIAOJUE_LOG_LEVEL", "INFO").upper())
    root.addHandler(_handler(logging.StreamHandler()))
    path = os.environ.get("PIAOJUE_LOG_FILE")
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        root.addHandler(_handler(logging.handlers.RotatingFileHandler(
            path, maxBytes=ROTATE_BYTES, backupCount=ROTATE_KEEP, encoding="utf-8")))
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)


def loggable_path(path: str) -> str:
    """The path as it may be logged: a login link's token replaced by "…"."""
    for pattern in _SECRET_PATHS:
        path = pattern.sub(r"\1…", path)
    return path


def new_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _INCOMING_ID.fullmatch(text):
                return text
    return secrets.token_hex(4)


def with_request_log(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app: each HTTP request gets an id (in the log's context and the answer's
    X-Request-ID header) and, when answered, one log line."""

    async def logged(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        ident = new_request_id(scope.get("headers", []))
        token = request_id.set(ident)
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", ident.encode())]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            requests_log.info("%s %s %s %.0fms", scope["method"], loggable_path(scope["path"]),
                              status or "-", milliseconds)
            request_id.reset(token)

    return logged
