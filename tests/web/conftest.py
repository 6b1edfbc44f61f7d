"""Fixtures for tests of the web layer that need a real server over real HTTP."""

from __future__ import annotations

import pytest

from tests.servers import LiveServer


@pytest.fixture(scope="module")
def live_server(engine_name):
    """The app under uvicorn on a free port of 127.0.0.1, on the database under test:
    one worker on SQLite (one writer process), two on PostgreSQL (as deployed).
    `.url` to call it, `.restart()` to stop and start it again on the same port."""
    with LiveServer(workers=2 if engine_name == "postgresql" else 1) as server:
        yield server
