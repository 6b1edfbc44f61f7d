"""A province's morning: 40 congresses vote at the same time, 10,000 deputies in all, against two
app nodes of two uvicorn workers each, behind nginx (scripts/nginx/piaojue-proxy.conf), on one
PostgreSQL database.

Set-up, not timed: a fresh database; 40 rehearsal congresses of 250 deputies made through the
API; every tablet logged in and checked in; every poll's key ceremony held and the poll opened;
every tablet's ballot sealed to its poll's key. Then all 10,000 sealed ballots go at once, to the
proxy, over CONNECTIONS connections from PROCESSES client processes (voting.rehearsal.fire). A
ballot that gets no answer is resent as a tablet resends it. Then each poll is closed, and its
count is compared with this client's count of the ballots the server said it took.

Reference, in the same run: bench/bare_app.py on the same two nodes of two workers behind the
same nginx, taking the same 10,000 bodies from the same client.

Records: ballot throughput against the reference's (target at least half), p99 latency (send to
answer; target under 2 s), and errors (failed requests, ballots lost or doubled, polls whose
count differs; target 0). All of it shares this machine's CPUs: the client, nginx, four app
workers and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.core import NoPostgres, at_least, at_most, below, fresh_postgres_database, record, setting
from bench.rehearsal import PASSWORD, USER, _prepare, shot_figures

CONGRESSES = 40
DEPUTIES = 250  # each: 10,000 in all
NODES, WORKERS = 2, 2
CONNECTIONS, PROCESSES = 200, 2
TARGET_RATIO, TARGET_P99 = 0.5, 2.0
TIMEOUT = 300.0


def province() -> list[dict[str, Any]]:
    try:
        with fresh_postgres_database() as database_url:
            return _measure(database_url, setting("BENCH_PROVINCE_CONGRESSES", CONGRESSES),
                            setting("BENCH_PROVINCE_DEPUTIES", DEPUTIES))
    except NoPostgres as missing:
        return [record("province", None, "", note=f"skipped: no PostgreSQL server ({missing})")]  # type: ignore[arg-type]


def _measure(database_url: str, congresses: int, deputies: int) -> list[dict[str, Any]]:
    from tests.province.nodes import app_nodes, behind_nginx

    data = _prepare("postgresql", database_url)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    directory = Path(tempfile.mkdtemp(prefix="piaojue-bench-province-"))
    with app_nodes(directory / "app", NODES, WORKERS, startup_timeout=90) as nodes, \
            behind_nginx(directory / "app-proxy", nodes) as proxy:
        try:
            outcome = asyncio.run(_vote_everywhere(proxy.url, congresses, deputies))
        except Exception:
            for node in nodes:  # what the servers said about it
                output = node.output()
                print(output[max(0, output.find("Traceback") - 300):][:6000], file=sys.stderr)
            raise
        server_errors = sum(1 for node in nodes for line in node.output().splitlines()
                            if "Traceback" in line or " ERROR " in line)
    bodies = outcome.pop("bodies")
    with app_nodes(directory / "bare", NODES, WORKERS, app="bench.bare_app:app", startup_timeout=90) as nodes, \
            behind_nginx(directory / "bare-proxy", nodes) as proxy:
        bare = asyncio.run(_bare(proxy.url, bodies))

    machine = (f"{os.cpu_count()} CPUs shared by nginx, {NODES} app nodes of {WORKERS} uvicorn workers, PostgreSQL "
               f"and the client ({PROCESSES} processes, {CONNECTIONS} connections through the proxy); "
               f"load average {load} at the start")
    name = f"province/{congresses}x{deputies}"
    errors = outcome["failed"] + outcome["lost"] + outcome["doubled"] + outcome["mismatched"]
    import shutil

    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return [
        record(f"{name}: ballot throughput", outcome["throughput"], "ballots/s",
               reference="bare Litestar endpoint on the same nodes behind the same nginx",
               reference_value=bare["throughput"], target=at_least(TARGET_RATIO),
               note=(f"{congresses} congresses of {deputies} deputies voting at once: {outcome['accepted']} of "
                     f"{outcome['sent']} ballots taken in {outcome['duration']:.2f} s; set-up (not timed): "
                     f"{outcome['setup']}; reference: {bare['ok']} of {len(bodies)} POSTs in "
                     f"{bare['duration']:.2f} s; {machine}")),
        record(f"{name}: p99 latency", outcome["p99"], "s", reference="bare endpoint p99",
               reference_value=bare["p99"], target=below(TARGET_P99),
               note=f"send → answer of each ballot; p50 {outcome['p50']:.3f} s, p95 {outcome['p95']:.3f} s, "
                    f"max {outcome['max']:.3f} s"),
        record(f"{name}: errors", errors, "errors", target=at_most(0, of="value"),
               note=(f"failed requests {outcome['failed']}"
                     + "".join(f" ({kind} ×{n})" for kind, n in outcome["kinds"].items())
                     + f", resent {outcome['resent']}, lost {outcome['lost']}, second ballots accepted "
                       f"{outcome['doubled']} of {outcome['tried']}, polls whose count differs "
                       f"{outcome['mismatched']} of {congresses}; server log errors {server_errors}; "
                       f"reference failures {len(bodies) - bare['ok']}")),
    ]


async def _vote_everywhere(url: str, congresses: int, deputies: int) -> dict[str, Any]:
    from voting import rehearsal
    from voting.rehearsal import Lanes, Report, close_and_count, fire, make_client, open_vote, take_answers

    def quiet(line: str) -> None:
        pass

    started = time.monotonic()
    async with make_client(url, 8, TIMEOUT) as client:
        staff = (await rehearsal._call(client, "POST", "/api/staff/login",
                                       body={"username": USER, "password": PASSWORD})).cookies.get(rehearsal.COOKIE)
        gate = asyncio.Semaphore(4)

        async def create(n: int) -> dict[str, Any]:
            async with gate:
                return (await rehearsal._call(client, "POST", "/api/rehearsals", staff,
                                              {"deputies": deputies, "candidates": 12, "seats": 10})).json()

        plans = await asyncio.gather(*(create(n) for n in range(congresses)))
        created = time.monotonic() - started
        reports = [Report(url, plan["deputies"]) for plan in plans]
        votes = []
        async with Lanes(url, 50, TIMEOUT) as lanes:
            for n, (plan, report) in enumerate(zip(plans, reports)):
                tablets, present = await rehearsal.arrive(lanes, plan["codes"], report, quiet)
                votes.append(await open_vote(client, plan, staff, random.Random(n), tablets, present,
                                             first_index=n * deputies))
        setup = f"{congresses} congresses made in {created:.0f} s, logged in, checked in and opened in " \
                f"{time.monotonic() - started - created:.0f} s"
        print(f"  {setup}; sending {sum(len(v.jobs) for v in votes)} ballots at once", flush=True)

        jobs = [job for vote in votes for job in vote.jobs]
        shots = await fire(url, "", jobs, CONNECTIONS, PROCESSES, TIMEOUT)
        by_poll: dict[int, list] = {}
        for shot in shots:
            by_poll.setdefault(shot.index // deputies, []).append(shot)
        for n, (vote, report) in enumerate(zip(votes, reports)):
            accepted = await take_answers(url, vote, by_poll.get(n, []), report, TIMEOUT, quiet)
            await close_and_count(client, vote, staff, random.Random(n), report, accepted, duplicates=2)
            await rehearsal._call(client, "DELETE", f"/api/rehearsals/{vote.plan['congress_id']}", staff)

    latencies = [s.latency for s in shots if s.status]
    kinds: Counter = Counter()
    for report in reports:
        kinds.update(report.errors)
        kinds.update(report.setup_errors)
    duration = max(s.received for s in shots) - min(s.sent for s in shots)
    accepted = sum(r.accepted for r in reports)
    return {
        "sent": len(shots), "accepted": accepted, "duration": duration, "throughput": accepted / duration,
        "p50": rehearsal.percentile(latencies, 50), "p95": rehearsal.percentile(latencies, 95),
        "p99": rehearsal.percentile(latencies, 99), "max": max(latencies),
        "failed": sum(kinds.values()), "kinds": dict(kinds), "resent": sum(r.resent for r in reports),
        "lost": sum(max(0, r.deputies - r.accepted) for r in reports),
        "doubled": sum(r.duplicates_accepted for r in reports), "tried": sum(r.duplicates_tried for r in reports),
        "mismatched": sum(1 for r in reports if r.server_result is None or r.differences),
        "setup": setup, "bodies": [(job[0], job[1], job[2]) for job in jobs],
    }


async def _bare(url: str, bodies: list[tuple]) -> dict[str, Any]:
    from voting.rehearsal import fire

    await fire(url, "/api/polls/1/ballot", bodies[:400], CONNECTIONS, PROCESSES, TIMEOUT)  # warm-up, not measured
    return shot_figures(await fire(url, "/api/polls/1/ballot", bodies, CONNECTIONS, PROCESSES, TIMEOUT))


if __name__ == "__main__":  # python -m bench.province: the records as JSON
    started = time.perf_counter()
    print(json.dumps(province(), ensure_ascii=False, indent=2))
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
