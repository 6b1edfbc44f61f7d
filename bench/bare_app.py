"""The reference server for the vote benchmarks: a bare Litestar JSON endpoint at the ballot's
path, served by uvicorn exactly as the app is. It reads the JSON body (a sealed ballot,
{"sealed": base64}, as tablets send it) and answers 201 with a JSON object, touching no
database: the cost of the framework and the HTTP server alone.

    .venv/bin/uvicorn bench.bare_app:app --port 8001
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get, post


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok", "database": "none"}


@post("/api/polls/{poll_id:int}/ballot", status_code=201, sync_to_thread=False)
def ballot(poll_id: int, data: dict[str, Any]) -> dict[str, str]:
    if not isinstance(data.get("sealed"), str) and not isinstance(data.get("marks"), dict):
        return {"status": "refused", "message": "sealed"}
    return {"status": "accepted", "message": "您的选票已投入票箱。"}


app = Litestar(route_handlers=[healthz, ballot])
