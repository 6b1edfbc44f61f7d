"""The hall's vote over real HTTP: `python -m voting rehearse` at 450 and 3,000 deputies,
on SQLite and on PostgreSQL, against the same client driving a bare Litestar endpoint.

For each engine: a fresh data directory (and a fresh PostgreSQL database), migrated, a
staff account, and the app under uvicorn as deployed (one worker on SQLite, the single
writer; two on PostgreSQL). A full rehearsal runs `--repeat` times at each size (create,
log in, check in, everyone submits at once, duplicates refused, close, recount); the
median counts. The reference, in the same run: bench/bare_app.py served by uvicorn the
same way, taking the same number of POSTs of the same size from the same client
(voting.rehearsal.fire: the same connections and client processes); its median of
`--repeat` runs.

Records per size: ballot throughput (accepted ballots a second over the submit phase;
target ≥ half the bare endpoint's), p99 latency (send → answer, the worst rehearsal's;
target under 2 s), and errors (failed requests, plus ballots lost, doubled or miscounted,
over every rehearsal; target 0). Each server
is warmed up first (200 bare POSTs; a 20-deputy rehearsal), as a server is by the time a
hall votes.

The client and the server share this machine: with 2 CPUs, one client process is about as
fast as one uvicorn worker, so the bare endpoint's figure is where the machine, not the
framework, runs out, and the ratio says how close the real vote comes to that ceiling.

Sealing: the rehearsal client seals every ballot to the poll's public key as a tablet does
(voting.rehearsal.sealed_body, the same NaCl box as static/sealed_ballot.js), and it does so
before the submit phase starts (voting.rehearsal._vote builds every sealed body, then
`fire` sends them): in the hall each tablet seals in its own CPU before it sends, while
here the client's processes share the server's 2 CPUs, so sealing inside the timed phase
would charge the server's machine with work no tablet puts on it (3,000 seals take about
0.3 s of one CPU in Python). What the server does with a sealed ballot (reading the base64,
checking its length, storing the bigger row) is inside the timed phase. The bare endpoint
gets bodies of the same size: a real sealed ballot of a 12-candidate poll, to a throwaway key.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import ROOT, NoPostgres, at_least, at_most, below, fresh_postgres_database, record, setting

SIZES = (450, 3000)
CONNECTIONS = 200
PROCESSES = 2
USER, PASSWORD = "bench", "bench-rehearsal-1"
TARGET_RATIO = 0.5
TARGET_P99 = 2.0
WARM_UP = 200  # POSTs to the bare endpoint, and a tenth of it deputies in a rehearsal, before measuring


def on_sqlite() -> list[dict[str, Any]]:
    return _engine("sqlite", "")


def on_postgresql() -> list[dict[str, Any]]:
    try:
        with fresh_postgres_database() as database_url:
            return _engine("postgresql", database_url)
    except NoPostgres as missing:
        return [record("rehearsal/postgresql", None, "",  # type: ignore[arg-type]
                       note=f"skipped: no PostgreSQL server ({missing})")]


def _servers():
    from tests.servers import LiveServer

    class Served(LiveServer):
        """uvicorn as `make run` serves the app (keep-alive 75 s), for any ASGI app."""

        def __init__(self, app: str, workers: int) -> None:
            super().__init__(workers=workers, startup_timeout=90, app=app)

    return Served


def _prepare(engine: str, database_url: str) -> Path:
    data = Path(tempfile.mkdtemp(prefix=f"piaojue-bench-rehearsal-{engine}-"))
    os.environ.update({"PIAOJUE_DATA": str(data), "DATABASE_URL": database_url, "PIAOJUE_DEMO": "0",
                       "PIAOJUE_SECRET": secrets.token_hex(16)})
    subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=os.environ.copy())
    subprocess.run([sys.executable, "-c", (
        "import asyncio\n"
        "from voting import accounts, database\n"
        "async def main():\n"
        "    await database.prepare()\n"
        f"    await accounts.create_staff({USER!r}, '基准演练', {PASSWORD!r})\n"
        "    await database.shutdown()\n"
        "asyncio.run(main())\n")], cwd=ROOT, check=True, env=os.environ.copy())
    return data


def _bare_jobs(size: int, seed: int) -> list[tuple[int, str, bytes]]:
    """What the rehearsal's tablets send: a login cookie of the same length, a random valid ballot
    sealed as a tablet seals it (to a throwaway key: the bare endpoint opens nothing), so every
    body is the size of a real one."""
    from nacl.public import PrivateKey

    from voting.rehearsal import random_marks, sealed_body

    rng = random.Random(seed)
    refs = [f"P{n:02d}" for n in range(1, 13)]
    sealing = {"public_key": bytes(PrivateKey.generate().public_key).hex(), "poll": f"rehearsal-bare-{seed}",
               "candidates": refs}
    return [(n, secrets.token_urlsafe(32), sealed_body(sealing, random_marks(rng, refs, 10)))
            for n in range(size)]


def shot_figures(shots: list) -> dict[str, Any]:
    """What a reference run of POSTs comes to: taken (201), first sent to last answered, taken a
    second over that, and the p99 latency of those answered."""
    from voting.rehearsal import percentile

    ok = sum(1 for shot in shots if shot.status == 201)
    duration = max(s.received for s in shots) - min(s.sent for s in shots)
    return {"ok": ok, "duration": duration, "throughput": ok / duration,
            "p99": percentile([s.latency for s in shots if s.status], 99)}


def _bare(url: str, size: int, repeat: int) -> dict[str, Any]:
    from voting.rehearsal import fire

    runs = []
    for n in range(repeat):
        figures = shot_figures(asyncio.run(fire(url, "/api/polls/1/ballot", _bare_jobs(size, n), CONNECTIONS,
                                                PROCESSES)))
        runs.append({"throughput": figures["throughput"], "p99": figures["p99"], "failed": size - figures["ok"]})
    runs.sort(key=lambda r: r["throughput"])
    middle = runs[len(runs) // 2]
    return {"throughput": middle["throughput"], "p99": middle["p99"], "failed": sum(r["failed"] for r in runs),
            "runs": [r["throughput"] for r in runs]}


def _rehearse(url: str, size: int) -> dict[str, Any]:
    from voting.rehearsal import Options, rehearse

    options = Options(url=url, deputies=size, seed=size, connections=CONNECTIONS, processes=PROCESSES, user=USER,
                      password=PASSWORD, timeout=180)
    report = asyncio.run(rehearse(options, say=lambda line: print(f"    {line}", flush=True)))
    return report.to_json()


def _engine(engine: str, database_url: str) -> list[dict[str, Any]]:
    repeat = max(1, setting("BENCH_REPEAT", 3))
    sizes = tuple(int(s) for s in os.environ.get("BENCH_REHEARSAL_SIZES", "").split(",") if s) or SIZES
    workers = 2 if engine == "postgresql" else 1
    data = _prepare(engine, database_url)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    Served = _servers()
    bare: dict[int, dict[str, Any]] = {}
    with Served("bench.bare_app:app", workers) as server:
        _bare(server.url, WARM_UP, 1)  # first requests to a fresh server are slower: not measured
        for size in sizes:
            bare[size] = _bare(server.url, size, repeat)
            print(f"  bare endpoint, {size} POSTs: {bare[size]['throughput']:.0f}/s", flush=True)
    runs: dict[int, list[dict[str, Any]]] = {}
    with Served("app:app", workers) as server:
        print(f"  warm-up rehearsal, {WARM_UP // 10} deputies (not measured):", flush=True)
        _rehearse(server.url, WARM_UP // 10)
        for size in sizes:
            runs[size] = []
            for n in range(repeat):
                print(f"  rehearsal {n + 1} of {repeat}, {size} deputies, {engine}:", flush=True)
                runs[size].append(_rehearse(server.url, size))
            runs[size].sort(key=lambda report: report["throughput"])
        server_errors = [line for line in server.output().splitlines() if "Traceback" in line or " ERROR" in line]

    records = []
    machine = (f"{os.cpu_count()} CPUs shared by the server ({workers} uvicorn worker{'s' if workers > 1 else ''}"
               f"{' and PostgreSQL' if engine == 'postgresql' else ''}) and the client ({PROCESSES} client "
               f"processes, {CONNECTIONS} keep-alive connections in all); load average {load} at the start")
    for size in sizes:
        every, b = runs[size], bare[size]
        r = every[len(every) // 2]  # the median rehearsal by throughput
        worst = max(every, key=lambda report: report["p99"] or 0.0)
        name = f"rehearsal-{engine}/{size}"
        lost = sum(max(0, x["deputies"] - x["accepted"]) for x in every)
        doubled = sum(x["duplicates"]["accepted"] for x in every)
        tried = sum(x["duplicates"]["tried"] for x in every)
        failed = sum(x["error_count"] for x in every)
        mismatched = sum(0 if x["result_matches"] else 1 for x in every)
        kinds: dict[str, int] = {}
        for x in every:
            for kind, n in {**x["setup_errors"], **x["errors"]}.items():
                kinds[kind] = kinds.get(kind, 0) + n
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items())
        throughputs = ", ".join(f"{x['throughput']:.0f}" for x in every)
        p99s = ", ".join(f"{x['p99'] or 0:.3f}" for x in every)
        records.append(record(
            f"{name}: ballot throughput", r["throughput"], "ballots/s",
            reference="bare Litestar JSON endpoint, same client and server set-up", reference_value=b["throughput"],
            target=at_least(TARGET_RATIO), runs=[x["throughput"] for x in every],
            note=(f"{engine}, {size} deputies, all ballots sent at once: median of {len(every)} rehearsals "
                  f"({throughputs}/s; {r['accepted']} of {r['deputies']} "
                  f"accepted in {r['duration']:.2f} s; its set-up: {phases}); reference: median of "
                  f"{repeat} runs of {size} POSTs ({', '.join(f'{x:.0f}' for x in b['runs'])}/s); {machine}")))
        records.append(record(
            f"{name}: p99 latency", worst["p99"] or 0.0, "s", reference="bare endpoint p99",
            reference_value=b["p99"], target=below(TARGET_P99),
            note=(f"send → answer of each ballot, with {CONNECTIONS} in flight; the worst of {len(every)} "
                  f"rehearsals (p99 {p99s} s); in it p50 "
                  f"{worst['p50']:.3f} s, p95 {worst['p95']:.3f} s, max {worst['max']:.3f} s")))
        records.append(record(
            f"{name}: errors", failed + lost + doubled + mismatched, "errors", target=at_most(0, of="value"),
            note=(f"over {len(every)} rehearsals: failed requests {failed}"
                  + "".join(f" ({kind} ×{n})" for kind, n in kinds.items())
                  + f", lost {lost}, second ballots accepted {doubled} of {tried}, "
                  f"server count differs from the local recount in {mismatched}; "
                  f"rehearsals passed {sum(1 for x in every if x['passed'])} of {len(every)}; "
                  f"server log errors {len(server_errors)}; bare endpoint failures {b['failed']}")))
    _cleanup(data)
    return records


def _cleanup(data: Path) -> None:
    import shutil

    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":  # python -m bench.rehearsal [sqlite|postgresql]: one engine, records as JSON
    started = time.perf_counter()
    which = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    found = on_postgresql() if which == "postgresql" else on_sqlite()
    print(json.dumps(found, ensure_ascii=False, indent=2))
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
