"""Timing the app's pages in process, with the queries each one makes, against a bare page.

Both list benchmarks (bench.proposal_list, bench.project_dashboard) measure the same way:
httpx through ASGITransport into the real app, warm request first, then `repeat` timed
requests per page; the engine's `run_querystring` is wrapped to count the queries a page
makes; the reference is a bare Litestar endpoint returning fifty rows as JSON.
"""

from __future__ import annotations

import time
from typing import Any

def bare_app() -> Any:
    from litestar import Litestar, get

    rows = [{"id": n, "code": f"B{n:07d}", "title": "第1村道路硬化", "township": "城关镇", "stage": "submitted"}
            for n in range(50)]

    @get("/bare")
    async def bare() -> list[dict[str, Any]]:
        return rows

    return Litestar(route_handlers=[bare])


async def measure(app: Any, paths: dict[str, str], repeat: int, login: str | None = None,
                   check: dict[str, str] | None = None) -> dict[str, list[float]]:
    import httpx

    transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 40000))
    timings: dict[str, list[float]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        if login:
            client.cookies.set("piaojue_login", login)
        for name, path in paths.items():
            response = await client.get(path)  # warm
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            if check and name in check:
                assert check[name] in response.text, (name, check[name])
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.get(path)
                runs.append(time.perf_counter() - started)
                assert response.status_code == 200
            timings[name] = runs
    return timings


async def time_pages(app: Any, paths: dict[str, str], repeat: int, token: str) -> tuple[
        dict[str, list[float]], dict[str, list[float]], dict[str, int]]:
    """Seconds per request for each page, for the bare reference, and the queries per page."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    original = type(engine).run_querystring
    queries: dict[str, int] = {}
    current: list[str] = []

    async def counted(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        if current:
            queries[current[0]] = queries.get(current[0], 0) + 1
        return await original(self, querystring, in_pool=in_pool)

    type(engine).run_querystring = counted  # type: ignore[method-assign]
    pages: dict[str, list[float]] = {}
    try:
        for name, path in paths.items():
            current[:] = [name]
            pages.update(await measure(app, {name: path}, repeat, login=token))
            queries[name] = queries.get(name, 0) // (repeat + 1)
    finally:
        current.clear()
        type(engine).run_querystring = original  # type: ignore[method-assign]
    bare = await measure(bare_app(), {"bare": "/bare"}, repeat)
    return pages, bare, queries
