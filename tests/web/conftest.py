"""Fixtures for tests of the web layer that need a real server over real HTTP."""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.servers import LiveServer

_addresses = itertools.count(1)


@pytest.fixture(scope="module")
def live_server(engine_name):
    """The app under uvicorn on a free port of 127.0.0.1, on the database under test:
    one worker on SQLite (one writer process), two on PostgreSQL (as deployed).
    `.url` to call it, `.restart()` to stop and start it again on the same port."""
    with LiveServer(workers=2 if engine_name == "postgresql" else 1) as server:
        yield server


@pytest.fixture
async def citizen():
    """A browser of its own, on a client address no other test uses (the public form's rate
    limit is per address)."""
    from app import app

    n = next(_addresses)
    transport = httpx.ASGITransport(app=app, client=(f"198.18.{n // 250}.{n % 250 + 1}", 40000 + n))
    async with httpx.AsyncClient(transport=transport, base_url="http://hall.local") as client:
        yield client
