"""The real app behind uvicorn in a subprocess, for tests that must go through real HTTP.

    with LiveServer(workers=2) as server:
        httpx.get(server.url + "/healthz")
        server.restart()   # same port, same database, same PIAOJUE_SECRET
        server.kill(); server.start()   # a crash: SIGKILL to the server and its workers

The subprocess gets a copy of os.environ, so it uses the database tests/conftest.py set up.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
UVICORN = ROOT / ".venv" / "bin" / "uvicorn"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class LiveServer:
    """`.url`, `.start()`, `.stop()`, `.kill()`, `.restart()`; a context manager that starts and stops it."""

    def __init__(self, workers: int = 1, host: str = "127.0.0.1", port: int | None = None,
                 startup_timeout: float = 30.0, stop_timeout: float = 15.0, app: str = "app:app") -> None:
        self.app = app  # any ASGI app uvicorn can import (bench.bare_app:app for the benchmarks' reference)
        self.workers = workers
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None  # of the last server stopped
        self._stderr = None
        self.environment: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        command = [str(UVICORN), self.app, "--host", self.host, "--port", str(self.port), "--no-access-log",
                   "--timeout-keep-alive", "75"]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        return command

    def start(self) -> None:
        if self.process is not None:
            raise RuntimeError("the server is already running")
        # A file, not a pipe: a chatty server must never block on a full pipe buffer.
        self._stderr = tempfile.TemporaryFile()
        self.environment = os.environ.copy()
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.environment, stdin=subprocess.DEVNULL,
            stdout=self._stderr, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so workers can be killed with it
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = ""
        with httpx.Client(timeout=2.0) as probe:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    output = self.output()
                    self._reap()
                    raise RuntimeError(f"the server exited with {self.returncode} before answering "
                                       f"/healthz:\n{output}")
                try:
                    if probe.get(self.url + "/healthz").status_code == 200:
                        return
                    last_error = "status not 200"
                except httpx.HTTPError as error:
                    last_error = repr(error)
                time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz within {self.startup_timeout:.0f} s "
                           f"({last_error}):\n{output}")

    def output(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # the group we created: the server and its workers
                except ProcessLookupError:
                    pass
                process.wait(timeout=self.stop_timeout)
        self._reap()

    def _reap(self) -> None:
        if self.process is not None:
            self.returncode = self.process.returncode
        self.process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def kill(self) -> None:
        """SIGKILL to the server and all its workers at once, as a power cut or the OOM killer
        would: no shutdown, nothing flushed, no answer to what is in flight."""
        process = self.process
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=self.stop_timeout)
        self._reap()

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> "LiveServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
