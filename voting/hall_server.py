"""`python -m voting hall` (`make hall`): the server for a congress hall, over HTTPS on the
machine's LAN addresses, for the tablets on the hall's network.

- Certificates from the hall's own authority (voting.tls), made or renewed at start and
  checked twice a day while it runs: a renewed certificate is loaded without a restart.
- HTTPS on `--port` (default 8443) with Secure cookies and HSTS; `PIAOJUE_PUBLIC_URL` is set
  to `https://<first LAN address>:<port>` unless given, so login cards print it.
- Plain HTTP on `--http-port` (default 8080) serves only what a tablet needs before it trusts
  the authority: /trust (how to install it, for Android and iPad) and /trust/ca.crt. Any other
  address is sent on to HTTPS.
- SIGTERM or Ctrl-C stops taking connections and lets requests in flight finish (up to 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # cryptography loads only when certificates are made: the command line parses without it
    from voting import tls

HTTPS_PORT = 8443
HTTP_PORT = 8080  # plain HTTP, for /trust only
RECHECK_SECONDS = 12 * 3600
# Backups while the hall runs: every PIAOJUE_BACKUP_MINUTES (default 10) into PIAOJUE_BACKUP_DIR
# (default <data dir>/backups; a second disk or a USB stick in the hall), the newest
# PIAOJUE_BACKUP_KEEP (default 48, eight hours) kept.
DRAIN_SECONDS = 30
PLAIN_PATHS = ("/trust", "/static/", "/favicon.ico")

log = logging.getLogger("piaojue.hall")


def tls_directory() -> Path:
    from config import settings

    return settings().data_dir / "tls"


def plain_http_gate(app, https_port: int):
    """The app as plain HTTP serves it: the trust page, its certificate and static files; a
    redirect to the same address over HTTPS for everything else."""

    async def gate(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send) if scope["type"] == "lifespan" else None
        path = scope.get("path", "/")
        if path == "/trust" or path.startswith(PLAIN_PATHS):
            return await app(scope, receive, send)
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        hostname = urlsplit(f"//{host}").hostname or scope["server"][0]
        hostname = f"[{hostname}]" if ":" in hostname else hostname
        query = scope.get("query_string", b"").decode("latin-1")
        location = f"https://{hostname}:{https_port}{path}" + (f"?{query}" if query else "")
        await send({"type": "http.response.start", "status": 308,
                    "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    return gate


def plain_port() -> int:
    """The port of the plain-HTTP side where tablets fetch the authority (set by `prepare`)."""
    return int(os.environ.get("PIAOJUE_HALL_HTTP_PORT") or HTTP_PORT)


def prepare(port: int, http_port: int, addresses: list[str], names: list[str]) -> tls.Certificates:
    """Certificates made or renewed, and the settings the app reads set for HTTPS."""
    from voting import tls

    certificates = tls.ensure(tls_directory(), addresses, names)
    os.environ["PIAOJUE_HALL_HTTP_PORT"] = str(http_port)
    public = f"https://{certificates.addresses[0]}:{port}" if certificates.addresses else \
        f"https://{certificates.names[0]}:{port}"
    os.environ.setdefault("PIAOJUE_PUBLIC_URL", public)
    os.environ["PIAOJUE_SECURE_COOKIES"] = "1"
    from config import settings

    settings.cache_clear()
    return certificates


def backup_plan() -> tuple[Path, float, int]:
    from config import settings

    directory = Path(os.environ.get("PIAOJUE_BACKUP_DIR") or settings().data_dir / "backups")
    return (directory, float(os.environ.get("PIAOJUE_BACKUP_MINUTES") or 10),
            int(os.environ.get("PIAOJUE_BACKUP_KEEP") or 48))


async def _backing_up() -> None:
    from voting import backup

    directory, minutes, keep = backup_plan()
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            made = await asyncio.to_thread(backup.take, directory)
            await asyncio.to_thread(backup.rotate, directory, keep)
            log.info("已备份：%s（%s 字节）", made["path"], f"{made['bytes']:,}")
        except (backup.BackupError, OSError) as error:  # a full USB stick must not stop the vote
            log.error("备份失败：%s", error)


async def _renewing(config, addresses: list[str], names: list[str]) -> None:
    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        from voting import tls

        renewed = await asyncio.to_thread(tls.ensure, tls_directory(), addresses, names)
        if renewed.renewed and config.ssl is not None:
            config.ssl.load_cert_chain(str(renewed.server_cert), str(renewed.server_key))


def serve(port: int, http_port: int, addresses: list[str], names: list[str], host: str = "0.0.0.0") -> int:
    import uvicorn

    certificates = prepare(port, http_port, addresses, names)
    from app import app

    https = uvicorn.Config(app, host=host, port=port, ssl_certfile=str(certificates.server_cert),
                           ssl_keyfile=str(certificates.server_key), access_log=False, timeout_keep_alive=75,
                           timeout_graceful_shutdown=DRAIN_SECONDS, log_level="info")
    plain = uvicorn.Config(plain_http_gate(app, port), host=host, port=http_port, lifespan="off", access_log=False,
                           timeout_graceful_shutdown=5, log_level="warning")
    main, side = _QuietServer(https), _QuietServer(plain)

    def stop() -> None:  # SIGTERM (systemd) or Ctrl-C: stop taking connections, finish those in flight
        main.should_exit = side.should_exit = True

    async def both() -> None:
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop)
        renewing = asyncio.ensure_future(_renewing(https, list(certificates.addresses), list(certificates.names)))
        backing_up = asyncio.ensure_future(_backing_up())
        side_task = asyncio.ensure_future(side.serve())
        try:
            await main.serve()
        finally:
            side.should_exit = True
            renewing.cancel()
            backing_up.cancel()
            await side_task

    print(f"会场服务：{os.environ['PIAOJUE_PUBLIC_URL']}（HTTPS）；平板先访问 "
          f"http://{(certificates.addresses or certificates.names)[0]}:{http_port}/trust 安装会场证书。\n"
          f"证书有效期至 {certificates.not_after:%Y-%m-%d}，会场证书机构指纹 SHA-256 {certificates.ca_fingerprint}",
          flush=True)
    asyncio.run(both())
    return 0


class _QuietServer:
    """A uvicorn server that leaves the process's signals to `serve`, which stops both servers
    together (uvicorn's own handling would stop one and then re-raise the signal)."""

    def __new__(cls, config):
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        return Server(config)


def default_names() -> list[str]:
    name = socket.gethostname().lower()
    return [name] if name and name != "localhost" else []
