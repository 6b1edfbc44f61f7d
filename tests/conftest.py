"""Test set-up: a fresh database of the engine under test, migrated, before the app is imported.

PIAOJUE_TEST_DB=sqlite (default) uses a new SQLite file; PIAOJUE_TEST_DB=postgresql
creates a new database on the server at PIAOJUE_TEST_PG (scripts/postgres-test-server.sh
prints it) and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = os.environ.get("PIAOJUE_TEST_DB", "sqlite")
DATA_DIR = Path(tempfile.mkdtemp(prefix="piaojue-test-"))
PG_ADMIN_URL = os.environ.get("PIAOJUE_TEST_PG", "postgresql://postgres@127.0.0.1:54329/postgres")
PG_DATABASE = f"piaojue_test_{uuid.uuid4().hex[:10]}"

os.environ["PIAOJUE_DATA"] = str(DATA_DIR)
os.environ["PIAOJUE_DEMO"] = "0"
os.environ["PIAOJUE_SECRET"] = secrets.token_hex(16)
if ENGINE == "postgresql":
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DATABASE
else:
    os.environ.pop("DATABASE_URL", None)


async def _pg_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def migrate() -> None:
    subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT,
                   env=os.environ.copy(), check=True, stdout=subprocess.DEVNULL)


if ENGINE == "postgresql":
    asyncio.run(_pg_admin(f'CREATE DATABASE "{PG_DATABASE}"'))
migrate()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    if ENGINE == "postgresql":
        try:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        except Exception:  # the server may already be gone; nothing to keep
            pass
    shutil.rmtree(DATA_DIR, ignore_errors=True)


def pytest_report_header(config):  # noqa: ARG001
    return f"piaojue database under test: {ENGINE}"


# What does not depend on the engine runs once, in the SQLite run: the browser (what the page
# does), printed documents (what WeasyPrint lays out), deployment (certificates, the hall's
# server), and tests marked `once`. Their database calls are the same on both engines and are
# covered by the rest of the suite on each.
ONCE_DIRECTORIES = ("browser", "reports", "deploy")


def pytest_collection_modifyitems(config, items):
    if ENGINE != "postgresql":
        return
    keep, once = [], []
    for item in items:
        part = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        (once if part in ONCE_DIRECTORIES or item.get_closest_marker("once") else keep).append(item)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = keep


@pytest.fixture(scope="session")
def engine_name() -> str:
    return ENGINE


@pytest.fixture(scope="session", autouse=True)
async def database():
    from voting import database as db

    await db.prepare()
    yield
    from voting.group_commit import writer

    await writer.stop()
    await db.shutdown()


@pytest.fixture
async def client():
    """An httpx client calling the app in this event loop (the database is prepared above)."""
    import httpx

    from app import app

    transport = httpx.ASGITransport(app=app, client=("10.0.0.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hall.local") as test_client:
        yield test_client


from tests.hall import Hall, make_hall  # noqa: E402  (needs the environment above)


@pytest.fixture
async def hall() -> Hall:
    """A congress, term and session with 30 deputies in 3 delegations and login codes."""
    return await make_hall(deputies=30)


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]
