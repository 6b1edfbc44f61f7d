"""The demo as `make run` loads it, into a database of its own, and the real app serving it: for
tests that look at the whole product with its data in every stage (tests/lifecycle/test_demo_year.py,
tests/browser/test_accessibility_browser.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.servers import LiveServer

ROOT = Path(__file__).resolve().parent.parent


def load_demo(env: dict[str, str]) -> float:
    """Migrate, then `python -m voting demo` and `python -m lifecycle demo` into the database `env`
    names (PIAOJUE_DATA, DATABASE_URL); how many seconds the lifecycle demo took."""
    migrated = subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    voting = subprocess.run([sys.executable, "-m", "voting", "demo"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert voting.returncode == 0, voting.stderr
    started = time.monotonic()
    loaded = subprocess.run([sys.executable, "-m", "lifecycle", "demo"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "上一年度" in loaded.stdout and "/console/dashboard" in loaded.stdout
    return time.monotonic() - started


def demo_logins(env: dict[str, str]) -> dict[str, str]:
    """The demo deputies' login codes by name, from the file the demo writes (only hashes are stored)."""
    codes = {}
    for line in (Path(env["PIAOJUE_DATA"]) / "demo-logins.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0][:1] == "D" and parts[0][1:].isdigit():
            codes[parts[1]] = " ".join(parts[2:])
    return codes


@contextmanager
def serving(env: dict[str, str]) -> Iterator[LiveServer]:
    """The app on the demo's database (LiveServer takes a copy of the environment when it starts)."""
    saved = {key: os.environ.get(key) for key in ("PIAOJUE_DATA", "DATABASE_URL")}
    os.environ.update({key: env[key] for key in saved if key in env})
    try:
        server = LiveServer()
        server.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield server
    finally:
        server.stop()


