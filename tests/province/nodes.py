"""Several app nodes behind nginx, as a province runs them: each node its own uvicorn with its own
data directory (nothing on a node's disk may matter), all on the one PostgreSQL database under
test with the same PIAOJUE_SECRET, and Debian's nginx in front with the project's own proxy
settings (scripts/nginx/piaojue-proxy.conf, included as shipped)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from tests.servers import LiveServer, free_port

ROOT = Path(__file__).resolve().parents[2]
PROXY_SETTINGS = ROOT / "scripts" / "nginx" / "piaojue-proxy.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@contextmanager
def app_nodes(directory: Path, count: int = 2, workers: int = 1, app: str = "app:app",
              startup_timeout: float = 30.0) -> Iterator[list[LiveServer]]:
    nodes = []
    saved = os.environ.get("PIAOJUE_DATA")
    try:
        for n in range(count):
            data = directory / f"node-{n + 1}"
            data.mkdir(parents=True)
            os.environ["PIAOJUE_DATA"] = str(data)  # LiveServer takes a copy of the environment at start
            node = LiveServer(workers=workers, app=app, startup_timeout=startup_timeout)
            node.start()
            nodes.append(node)
    finally:
        if saved is not None:
            os.environ["PIAOJUE_DATA"] = saved
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


class Proxy:
    """nginx on a free port of 127.0.0.1, proxying to `nodes` with the shipped settings."""

    def __init__(self, directory: Path, nodes: list[LiveServer]) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.access_log = directory / "access.log"
        upstreams = "\n".join(f"        server 127.0.0.1:{node.port} max_fails=2 fail_timeout=5s;" for node in nodes)
        temp = "\n".join(f"    {kind}_temp_path {directory}/{kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (directory / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 512; }}
http {{
{temp}
    log_format upstream '$remote_addr $request_id "$request" $status $upstream_addr';
    access_log {self.access_log} upstream;
    upstream piaojue {{
        least_conn;
{upstreams}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        include {PROXY_SETTINGS};
    }}
}}
""")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        (self.directory / "logs").mkdir(exist_ok=True)  # nginx opens its default error log before reading the file
        self.process = subprocess.Popen([NGINX, "-p", str(self.directory), "-c", str(self.directory / "nginx.conf"),
                                         "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited: " + (self.directory / "error.log").read_text(errors="replace"))
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer: " + (self.directory / "error.log").read_text(errors="replace"))

    def upstreams_used(self, client: str) -> set[str]:
        """The nodes that served `client`'s requests, from nginx's access log."""
        return {line.rsplit(" ", 1)[-1] for line in self.access_log.read_text().splitlines()
                if line.startswith(client + " ")}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@contextmanager
def behind_nginx(directory: Path, nodes: list[LiveServer]) -> Iterator[Proxy]:
    proxy = Proxy(directory, nodes)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
