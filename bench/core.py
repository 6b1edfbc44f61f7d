"""What benchmarks share: records, peak memory, timing, and running code in a fresh process."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class NoPostgres(Exception):
    """The private PostgreSQL server could not be started (str: why, for the record's note)."""


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the private PostgreSQL server (scripts/postgres-test-server.sh,
    started if need be), dropped afterwards; yields its URL. NoPostgres if there is no server."""
    import asyncio
    import uuid

    try:
        admin = subprocess.run(["bash", "scripts/postgres-test-server.sh"], cwd=ROOT, capture_output=True, text=True,
                               timeout=120, check=True).stdout.strip()
    except (subprocess.SubprocessError, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise NoPostgres(f"scripts/postgres-test-server.sh: {detail.strip()[:200]}") from None
    database = f"piaojue_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(admin, f'CREATE DATABASE "{database}"'))
    try:
        yield admin.rsplit("/", 1)[0] + "/" + database
    finally:
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def _pg(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def record(name: str, value: float, unit: str, *, reference: str | None = None,
           reference_value: float | None = None, target: dict[str, Any] | None = None, note: str | None = None,
           runs: list[float] | None = None) -> dict[str, Any]:
    """One result. `ratio` is value / reference_value; `target` is from `at_most` or `below`,
    and `met` says whether the figure it names (value or ratio) is inside it."""
    ratio = value / reference_value if reference_value else None
    found: dict[str, Any] = {"name": name, "value": _round(value), "unit": unit, "reference": reference,
                             "reference_value": _round(reference_value), "ratio": _round(ratio, 4)}
    if target is not None:
        figure = ratio if target["of"] == "ratio" else value
        limit = target["limit"]
        found["target"] = target
        found["met"] = figure is not None and _within(figure, target["op"], limit)
    if note:
        found["note"] = note
    if runs:
        found["runs"] = [_round(r) for r in runs]
    return found


def at_most(limit: float, of: str = "ratio") -> dict[str, Any]:
    return {"of": of, "op": "<=", "limit": limit}


def below(limit: float, of: str = "value") -> dict[str, Any]:
    return {"of": of, "op": "<", "limit": limit}


def at_least(limit: float, of: str = "ratio") -> dict[str, Any]:
    return {"of": of, "op": ">=", "limit": limit}


def _within(figure: float, op: str, limit: float) -> bool:
    return {"<=": figure <= limit, "<": figure < limit, ">=": figure >= limit}[op]


def _round(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def peak_memory_mb(children_before: float | None = None) -> dict[str, float]:
    """Peak resident memory in MB: of this process (`self`), of its child processes
    (`children`) and the two added (`total`), the honest figure when children run
    alongside.

    The kernel keeps one figure for all the finished children, the largest. Importing
    WeasyPrint runs ldconfig and gcc to find its libraries (about 40 MB, gone before
    anything is printed): pass `children_before`, the `children` figure taken after the
    imports, and children count only if they grew past it.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if children_before is not None and children <= children_before:
        children = 0.0
    return {"self": own, "children": children, "total": own + children}


def timed(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Seconds of each of `repeat` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def setting(name: str, default: int) -> int:
    """An integer setting from the environment (`python -m bench` passes its options so)."""
    return int(os.environ.get(name, default))


def run_isolated(target: str, *args: Any, timeout: float = 3600) -> Any:
    """`module:function` called with `args` (JSON) in a fresh Python process; its JSON result."""
    with tempfile.TemporaryDirectory(prefix="piaojue-bench-") as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, "-m", "bench.child", target, str(out), json.dumps(args)]
        subprocess.run(command, cwd=ROOT, check=True, timeout=timeout)
        return json.loads(out.read_text(encoding="utf-8"))
