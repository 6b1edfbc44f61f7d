"""`python -m voting rehearse`: 会前演练, a full simulated vote against a running server.

    python -m voting rehearse --url http://127.0.0.1:8000 --deputies 450

Over the JSON API only, as the hall's tablets would: log in as the secretariat, create a
rehearsal congress (voting.rehearsal_data: its own congress, marked, never in a real
list), log N simulated tablets in with their login codes and check them in, open the
poll, have all N submit a random valid ballot at once, send a second ballot for a few
deputies (each must be refused: already voted), close, and recount locally with
voting.rules from exactly the ballots the server accepted. The server's result must equal
that count, key for key. Prints throughput, latency percentiles and errors by kind and
says 演练通过 (exit 0) or 演练失败 (exit 1); removes the rehearsal data unless --keep.

One httpx.AsyncClient (HTTP/1.1 keep-alive, a bounded pool) carries every tablet: each
request sends its tablet's login cookie in its own `Cookie` header, and the client's
cookie jar stores nothing. One Python process can send only so many requests a second;
`--processes K` spreads the submitting tablets over K client processes that start
together.

The client needs nothing but httpx and voting.rules: it runs on any machine that can
reach the server.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any, Callable

import httpx

from voting import rules, secrecy

COOKIE = "piaojue_login"  # web.auth.COOKIE (not imported: the client needs no server code)
DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_CONNECTIONS = 200
DUPLICATE_CHECKS = 5
JSON_HEADERS = {"content-type": "application/json"}
ALREADY_VOTED = "HTTP 409 already_voted"


class RehearsalError(Exception):
    """The rehearsal could not run at all (server unreachable, login refused …); Chinese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Options:
    url: str = DEFAULT_URL
    deputies: int = 450
    candidates: int = 12
    seats: int = 10
    seed: int = 1
    connections: int = DEFAULT_CONNECTIONS
    processes: int = 1
    keep: bool = False
    reuse: int | None = None
    user: str = ""
    password: str = ""
    timeout: float = 120.0


@dataclass
class Shot:
    """One request: when it went out and came back (time.monotonic, shared by all processes on
    Linux), its HTTP status and the problem code of a refusal, or the exception's name."""

    index: int
    sent: float
    received: float
    status: int
    code: str = ""

    @property
    def latency(self) -> float:
        return self.received - self.sent


@dataclass
class Report:
    url: str
    deputies: int
    congress_id: int | None = None
    poll_ref: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # seconds per set-up phase
    setup_errors: Counter = field(default_factory=Counter)
    sent: int = 0
    accepted: int = 0
    errors: Counter = field(default_factory=Counter)  # kind -> number, submit phase
    duration: float = 0.0  # first ballot sent to last answer
    latencies: list[float] = field(default_factory=list)
    duplicates_tried: int = 0
    duplicates_refused: int = 0
    duplicates_accepted: int = 0
    resent: int = 0  # ballots sent again after no answer (a dropped connection, 502-504)
    taken_before_answer: int = 0  # of those, refused as already voted: the first copy had gone in
    unanswered: int = 0  # still without an answer when the client gave up
    server_result: dict[str, Any] | None = None
    local_result: dict[str, Any] | None = None
    differences: list[str] = field(default_factory=list)
    removed: dict[str, int] | None = None
    connections: int = 0
    processes: int = 1

    @property
    def throughput(self) -> float:
        return self.accepted / self.duration if self.duration > 0 else 0.0

    def percentile(self, p: float) -> float | None:
        return percentile(self.latencies, p)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + sum(self.setup_errors.values())

    @property
    def passed(self) -> bool:
        return (self.accepted == self.deputies == self.sent and self.error_count == 0
                and self.duplicates_accepted == 0 and self.duplicates_refused == self.duplicates_tried
                and self.server_result is not None and not self.differences)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url, "deputies": self.deputies, "congress_id": self.congress_id, "poll": self.poll_ref,
            "phases": self.phases, "sent": self.sent, "accepted": self.accepted,
            "errors": dict(self.errors), "setup_errors": dict(self.setup_errors), "error_count": self.error_count,
            "duration": self.duration, "throughput": self.throughput,
            "p50": self.percentile(50), "p95": self.percentile(95), "p99": self.percentile(99),
            "max": max(self.latencies) if self.latencies else None,
            "duplicates": {"tried": self.duplicates_tried, "refused": self.duplicates_refused,
                           "accepted": self.duplicates_accepted},
            "resent": self.resent, "taken_before_answer": self.taken_before_answer, "unanswered": self.unanswered,
            "result_matches": self.server_result is not None and not self.differences,
            "differences": self.differences, "removed": self.removed, "connections": self.connections,
            "processes": self.processes, "passed": self.passed,
        }


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least p % of them at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- HTTP -------------------------------------------------------------------------------
#
# httpx's connection pool looks through all its connections and all waiting requests each
# time a request starts or ends: with 200 connections and thousands of requests queued in
# one pool that scan, not the server, sets the pace (one process managed some 40–190
# requests a second). So the bounded pool is built as `Lanes`: one client per connection,
# each sending its share of the requests one after another over its kept-alive connection.


def make_client(url: str, connections: int, timeout: float) -> httpx.AsyncClient:
    """A pooled HTTP/1.1 client; its cookie jar refuses every cookie (each request carries its own)."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=url, http1=True, http2=False, trust_env=False, cookies=jar,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                            keepalive_expiry=300.0))


class Lanes:
    """`connections` keep-alive connections to one server, each its own one-connection client;
    `run` spreads work items over them, each lane taking the next item when it is free."""

    def __init__(self, url: str, connections: int, timeout: float) -> None:
        self.clients = [make_client(url, 1, timeout) for _ in range(max(1, connections))]

    async def __aenter__(self) -> "Lanes":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(client.aclose() for client in self.clients), return_exceptions=True)

    async def warm(self, lanes: int | None = None) -> None:
        """Open the connections before the clock starts, as tablets on the hall's network are."""
        await asyncio.gather(*(client.get("/healthz") for client in self.clients[:lanes]), return_exceptions=True)

    async def run(self, items: list[Any], work: Callable[[httpx.AsyncClient, Any], Any]) -> list[Any]:
        """`work(client, item)` for every item, at most one at a time per lane; results in item order."""
        results: list[Any] = [None] * len(items)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(len(items)):
            queue.put_nowait(n)

        async def lane(client: httpx.AsyncClient) -> None:
            while True:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                results[n] = await work(client, items[n])

        await asyncio.gather(*(lane(client) for client in self.clients[:max(1, len(items))]))
        return results


def headers_for(token: str | None) -> dict[str, str]:
    """A JSON request's headers, with a login token as its own cookie (the client's jar keeps none)."""
    return {**JSON_HEADERS, "cookie": f"{COOKIE}={token}"} if token else dict(JSON_HEADERS)


def _kind(response: httpx.Response) -> str:
    """An error's kind for the report: the status and the problem's code."""
    code = ""
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            code = str(response.json().get("code") or "")
        except ValueError:
            pass
    return f"HTTP {response.status_code}" + (f" {code}" if code else "")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail") or body) if isinstance(body, dict) else str(body)[:200]


async def _call(client: httpx.AsyncClient, method: str, path: str, token: str | None = None,
                body: Any = None, expect: tuple[int, ...] = (200, 201)) -> httpx.Response:
    """A staff call; RehearsalError unless the answer is one of `expect`."""
    try:
        response = await client.request(method, path, headers=headers_for(token),
                                        content=json.dumps(body if body is not None else {}).encode())
    except httpx.HTTPError as error:
        raise RehearsalError(f"无法连接服务器 {client.base_url}（{type(error).__name__}: {error}）") from None
    if response.status_code not in expect:
        raise RehearsalError(f"{method} {path} 失败：HTTP {response.status_code}，{_detail(response)}")
    return response


# --- the submit phase (also the benchmark's reference load) --------------------------------

Job = tuple  # (index, login token or None, JSON body[, path]): the path given to `fire` unless the job names its own


async def _send(lanes: Lanes, path: str, jobs: list[Job]) -> list[Shot]:
    """Send every job, as many at a time as there are lanes; each one timed from the moment it
    has a connection (sent) to its answer (received)."""
    async def one(client: httpx.AsyncClient, job: Job) -> Shot:
        index, token, body = job[:3]
        sent = time.monotonic()
        try:
            response = await client.post(job[3] if len(job) > 3 else path, content=body, headers=headers_for(token))
        except httpx.HTTPError as error:
            return Shot(index, sent, time.monotonic(), 0, type(error).__name__)
        received = time.monotonic()
        return Shot(index, sent, received, response.status_code,
                    "" if response.status_code == 201 else _kind(response))

    return await lanes.run(jobs, one)


RESEND_STATUSES = (0, 502, 503, 504)  # no answer, or the server (or its proxy) could not reach the database


async def resend(url: str, path: str, jobs: list[Job], shots: list[Shot], report: Report, timeout: float,
                 give_up_after: float = 60.0) -> tuple[list[Shot], set[int]]:
    """What a tablet does when its ballot got no answer (static/app.js): send the same sealed
    ballot again, after 0.5, 1, 2, 3 … seconds, until the server answers. A 201 means this copy
    went in; 409 already_voted means an earlier copy had (its answer was lost). Returns the shots
    with each resent ballot's final answer in place of the lost one, and which were resent."""
    final = {shot.index: shot for shot in shots}
    pending = [shot.index for shot in shots if shot.status in RESEND_STATUSES]
    if not pending:
        return shots, set()
    by_index = {job[0]: job for job in jobs}
    resent: set[int] = set()
    deadline, wait = time.monotonic() + give_up_after, 0.5
    async with Lanes(url, min(DEFAULT_CONNECTIONS, len(pending)), timeout) as lanes:
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(wait)
            wait = min(wait * 2, 3.0)
            resent.update(pending)
            report.resent += len(pending)
            answers = await _send(lanes, path, [by_index[index] for index in pending])
            pending = [a.index for a in answers if a.status in RESEND_STATUSES]
            for answer in answers:
                if answer.status not in RESEND_STATUSES:
                    final[answer.index] = Shot(answer.index, final[answer.index].sent, answer.received,
                                               answer.status, answer.code)
    report.unanswered = len(pending)
    report.taken_before_answer = sum(1 for index in resent if final[index].code == ALREADY_VOTED)
    return [final[shot.index] for shot in shots], resent


async def _client_process(config: dict[str, Any]) -> None:
    """A client process (`python -m voting.rehearsal`): connect, say ready on standard output,
    wait for the common start time on standard input, send, print the shots as JSON."""
    jobs: list[Job] = [(index, token, body.encode(), *rest) for index, token, body, *rest in config["jobs"]]
    async with Lanes(config["url"], min(config["connections"], len(jobs) or 1), config["timeout"]) as lanes:
        await lanes.warm()
        print("ready", flush=True)
        start_at = float(await asyncio.to_thread(sys.stdin.readline))
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        shots = await _send(lanes, config["path"], jobs)
    print(json.dumps([[s.index, s.sent, s.received, s.status, s.code] for s in shots]), flush=True)


async def fire(url: str, path: str, jobs: list[Job], connections: int, processes: int = 1,
               timeout: float = 120.0) -> list[Shot]:
    """POST every job's body to `path` at once over `connections` connections in all, from this
    process or spread over `processes` client processes that start together. The processes
    are plain `python -m voting.rehearsal` children talking JSON over pipes (no
    multiprocessing: it would re-import whatever script started us)."""
    processes = max(1, min(processes, len(jobs) or 1))
    if processes == 1:
        async with Lanes(url, min(connections, len(jobs) or 1), timeout) as lanes:
            await lanes.warm()
            return await _send(lanes, path, jobs)
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    children = []
    try:
        for k in range(processes):
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "voting.rehearsal", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, env=env, limit=64 * 1024 * 1024)
            children.append(child)
            config = {"url": url, "path": path, "connections": max(1, connections // processes), "timeout": timeout,
                      "jobs": [[index, token, body.decode(), *rest] for index, token, body, *rest in jobs[k::processes]]}
            child.stdin.write(json.dumps(config).encode() + b"\n")
            await child.stdin.drain()
        for child in children:
            line = await asyncio.wait_for(child.stdout.readline(), 120)
            if line.strip() != b"ready":
                raise RehearsalError("客户端进程没有启动成功。")
        start_at = time.monotonic() + 0.2
        for child in children:
            child.stdin.write(f"{start_at!r}\n".encode())
            await child.stdin.drain()
        shots: list[Shot] = []
        for child in children:
            line = await asyncio.wait_for(child.stdout.readline(), timeout + 120)
            if not line.strip():
                raise RehearsalError("客户端进程意外退出。")
            shots += [Shot(*row) for row in json.loads(line)]
            await child.wait()
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()
    return sorted(shots, key=lambda s: s.index)


def random_marks(rng: random.Random, candidates: list[str], cap: int) -> dict[str, str]:
    """A valid approval ballot: each candidate for, against, abstain or left blank, at most `cap` for."""
    marks: dict[str, str] = {}
    approvals = 0
    for ref in candidates:
        value = rng.choice(("for", "for", "for", "against", "abstain", ""))
        if value == "for":
            if approvals >= cap:
                value = rng.choice(("against", "abstain", ""))
            else:
                approvals += 1
        if value:
            marks[ref] = value
    return marks


# --- the rehearsal ----------------------------------------------------------------------------


def local_count(plan: dict[str, Any], present: int, ballots: list[dict[str, str]]) -> dict[str, Any]:
    """The count of exactly these ballots under the rehearsal poll's rules (voting.rules)."""
    threshold = plan["threshold"]
    poll_rules = rules.PollRules(
        id=plan["poll_ref"], title=plan["poll_title"], method=plan["method"], seats=plan["seats"],
        max_approvals=plan["max_approvals"], entitled=plan["deputies"], present=present, issued=len(ballots),
        quorum=Fraction(plan["quorum"]),
        threshold=rules.Threshold(threshold["base"], Fraction(threshold["fraction"]), bool(threshold["strict"])),
        candidates=tuple(rules.CandidateRef(ref, plan["candidate_titles"][ref]) for ref in plan["candidates"]),
    )
    return rules.count(poll_rules, [rules.Ballot(f"b{n}", marks) for n, marks in enumerate(ballots)]).to_json()


def differences(server: dict[str, Any], local: dict[str, Any]) -> list[str]:
    """Where the server's result differs from the local count, in words."""
    found = []
    for key in sorted(set(server) | set(local)):
        if key == "candidates":
            theirs = {c.get("id"): c for c in server.get(key, [])}
            ours = {c.get("id"): c for c in local.get(key, [])}
            for ref in sorted(set(theirs) | set(ours)):
                if theirs.get(ref) != ours.get(ref):
                    found.append(f"候选项目 {ref}：服务器 {theirs.get(ref)}，本地计票 {ours.get(ref)}")
        elif server.get(key) != local.get(key):
            found.append(f"{key}：服务器 {server.get(key)!r}，本地计票 {local.get(key)!r}")
    return found


async def rehearse(options: Options, say: Callable[[str], None] = print) -> Report:
    """Run one rehearsal; the report says whether it passed. RehearsalError if it could not run."""
    report = Report(options.url.rstrip("/"), options.deputies, connections=options.connections,
                    processes=options.processes)
    rng = random.Random(options.seed)
    async with make_client(report.url, 2, options.timeout) as client:
        login = await _call(client, "POST", "/api/staff/login",
                            body={"username": options.user, "password": options.password})
        staff = login.cookies.get(COOKIE)
        if not staff:
            raise RehearsalError("秘书处登录没有返回登录凭证。")
        say(f"会前演练：{report.url}，以 {options.user} 登录，"
            + (f"在演练人大 #{options.reuse} 中再演练一轮" if options.reuse else f"{options.deputies} 位模拟代表")
            + f"，随机种子 {options.seed}")
        started = time.monotonic()
        body = {"candidates": options.candidates, "seats": options.seats}
        if options.reuse:
            plan = (await _call(client, "POST", f"/api/rehearsals/{options.reuse}/polls", staff, body)).json()
        else:
            plan = (await _call(client, "POST", "/api/rehearsals", staff, {"deputies": options.deputies, **body})).json()
        report.phases["create"] = time.monotonic() - started
        report.congress_id, report.poll_ref, report.deputies = plan["congress_id"], plan["poll_ref"], plan["deputies"]
        say(f"已建立演练人大 #{plan['congress_id']}（{report.deputies} 位代表），演练票决 {plan['poll_ref']}："
            f"{len(plan['candidates'])} 个候选项目选 {plan['seats']} 个，每票最多赞成 {plan['max_approvals']} 个"
            f"（{report.phases['create']:.1f} 秒）")
        try:
            await _run(client, options, plan, staff, rng, report, say)
            await _report_outcome(client, staff, report, say)
        finally:
            if not options.keep:
                try:
                    removed = await _call(client, "DELETE", f"/api/rehearsals/{plan['congress_id']}", staff)
                    report.removed = removed.json()["removed"]
                except RehearsalError as error:
                    say(f"删除演练数据失败：{error.message}")
    return report


async def _report_outcome(client: httpx.AsyncClient, staff: str, report: Report, say: Callable[[str], None]) -> None:
    """Tell the server what this rehearsal found: its pre-flight check (会前检查) looks for a passed one."""
    body = {"poll": report.poll_ref, "passed": report.passed, "accepted": report.accepted,
            "throughput": report.throughput, "p99": report.percentile(99)}
    try:
        kept = (await _call(client, "POST", f"/api/rehearsals/{report.congress_id}/outcome", staff, body)).json()
        say("服务器已记录演练结果：" + ("通过" if kept["passed"] else "未通过"))
    except RehearsalError as error:
        say(f"服务器未能记录演练结果：{error.message}")


async def _run(client: httpx.AsyncClient, options: Options, plan: dict[str, Any], staff: str, rng: random.Random,
               report: Report, say: Callable[[str], None]) -> None:
    codes: list[str] = plan["codes"]
    async with Lanes(report.url, min(options.connections, len(codes) or 1), options.timeout) as lanes:
        tablets, present = await arrive(lanes, codes, report, say)
    await _vote(client, options, plan, staff, rng, report, say, tablets, present)


async def arrive(lanes: Lanes, codes: list[str], report: Report, say: Callable[[str], None]) -> tuple[list[str], int]:
    """Every tablet logs in with its code and checks in; the login tokens and how many are present."""
    async def tablet_login(client: httpx.AsyncClient, code: str) -> str | None:
        try:
            response = await client.post("/api/tablet/login", json={"code": code})
        except httpx.HTTPError as error:
            report.setup_errors[f"登录 {type(error).__name__}"] += 1
            return None
        token = response.cookies.get(COOKIE) if response.status_code == 200 else None
        if token is None:
            report.setup_errors[f"登录 {_kind(response)}"] += 1
        return token

    started = time.monotonic()
    tokens = await lanes.run(codes, tablet_login)
    report.phases["login"] = time.monotonic() - started
    tablets = [token for token in tokens if token]

    async def check_in(client: httpx.AsyncClient, token: str) -> bool:
        try:
            response = await client.post("/api/tablet/check-in", headers=headers_for(token), content=b"{}")
        except httpx.HTTPError as error:
            report.setup_errors[f"签到 {type(error).__name__}"] += 1
            return False
        if response.status_code != 200:
            report.setup_errors[f"签到 {_kind(response)}"] += 1
        return response.status_code == 200

    started = time.monotonic()
    present = sum(await lanes.run(tablets, check_in))
    report.phases["check_in"] = time.monotonic() - started
    say(f"{len(tablets)} 台平板登录（{report.phases['login']:.1f} 秒），{present} 位代表签到"
        f"（{report.phases['check_in']:.1f} 秒）")
    return tablets, present


@dataclass
class Vote:
    """One rehearsal poll between opening and count: its tablets' login tokens, the marks each will
    send and the sealed bodies (jobs) that carry them, and what the count needs."""

    poll_id: int
    plan: dict[str, Any]
    cards: list[str]
    sealing: dict[str, Any]
    tablets: list[str]
    present: int
    ballots: list[dict[str, str]]
    jobs: list[Job]

    @property
    def path(self) -> str:
        return f"/api/polls/{self.poll_id}/ballot"


async def open_vote(client: httpx.AsyncClient, plan: dict[str, Any], staff: str, rng: random.Random,
                    tablets: list[str], present: int, first_index: int = 0) -> Vote:
    """The key ceremony (this client plays the scrutineers and keeps the cards), the poll opened,
    and every tablet's ballot sealed to its key as static/sealed_ballot.js does, ready to send.
    Job indexes start at `first_index` (several polls' jobs sent together must not share one)."""
    poll_id, refs, cap = plan["poll_id"], plan["candidates"], plan["max_approvals"]
    cards = [c["card"] for c in (await _call(client, "POST", f"/api/polls/{poll_id}/key-ceremony", staff)).json()["cards"]]
    await _call(client, "POST", f"/api/polls/{poll_id}/open", staff)
    sealing = (await _call(client, "GET", f"/api/polls/{poll_id}/ballot", tablets[0])).json() if tablets else {}
    ballots = [random_marks(rng, refs, cap) for _ in tablets]
    path = f"/api/polls/{poll_id}/ballot"
    jobs = [(first_index + n, token, sealed_body(sealing, marks), path)
            for n, (token, marks) in enumerate(zip(tablets, ballots))]
    return Vote(poll_id, plan, cards, sealing, tablets, present, ballots, jobs)


async def take_answers(url: str, vote: Vote, shots: list[Shot], report: Report, timeout: float,
                       say: Callable[[str], None]) -> list[Shot]:
    """Record what the first sending got, resend what got no answer, and return the shots of the
    ballots the server holds."""
    report.sent = len(shots)
    report.errors.update(shot.code or f"HTTP {shot.status}" for shot in shots if shot.status != 201)
    shots, resent = await resend(url, "", vote.jobs, shots, report, timeout)
    if report.resent:
        say(f"{report.resent} 次重新提交：{report.taken_before_answer} 张此前已投入票箱（回应丢失），"
            f"{report.unanswered} 张仍无回应")
    report.latencies = [shot.latency for shot in shots if shot.status]
    if shots:
        report.duration = max(s.received for s in shots) - min(s.sent for s in shots)
    # In the box: taken now, or refused as already voted after a resend (each tablet sends one ballot
    # in this phase, so the copy that went in unanswered is this one, with these marks).
    accepted = [shot for shot in shots if shot.status == 201 or (shot.index in resent and shot.code == ALREADY_VOTED)]
    report.accepted = len(accepted)
    return accepted


async def close_and_count(client: httpx.AsyncClient, vote: Vote, staff: str, rng: random.Random, report: Report,
                          accepted: list[Shot], duplicates: int = DUPLICATE_CHECKS) -> None:
    """A second ballot from a few deputies whose first one was taken (each must be refused), the
    close with two key cards, and the server's count against this client's count of the ballots
    the server said it took."""
    ballots = {job[0]: marks for job, marks in zip(vote.jobs, vote.ballots)}
    tokens = {job[0]: job[1] for job in vote.jobs}
    refs, cap = vote.plan["candidates"], vote.plan["max_approvals"]
    taken = [ballots[shot.index] for shot in accepted]
    for shot in rng.sample(accepted, min(duplicates, len(accepted))):
        report.duplicates_tried += 1
        marks = random_marks(rng, refs, cap)
        response = await client.post(vote.path, headers=headers_for(tokens[shot.index]),
                                     content=sealed_body(vote.sealing, marks))
        if response.status_code == 201:
            report.duplicates_accepted += 1
            taken.append(marks)  # it is in the box now: the count must show it, and the rehearsal fails
        elif response.status_code == 409 and _kind(response) == ALREADY_VOTED:
            report.duplicates_refused += 1
    result = (await _call(client, "POST", f"/api/polls/{vote.poll_id}/close", staff, {"cards": vote.cards[:2]})).json()
    report.server_result = result
    report.local_result = local_count(vote.plan, vote.present, taken)
    report.differences = differences(result, report.local_result)


async def _vote(client: httpx.AsyncClient, options: Options, plan: dict[str, Any], staff: str, rng: random.Random,
                report: Report, say: Callable[[str], None], tablets: list[str], present: int) -> None:
    """Open, everyone votes at once, a few try again, close; then the server's count against ours."""
    vote = await open_vote(client, plan, staff, rng, tablets, present)
    say(f"开始投票：{len(vote.jobs)} 张选票同时提交（{options.connections} 个连接，{options.processes} 个客户端进程）")
    shots = await fire(report.url, vote.path, vote.jobs, options.connections, options.processes, options.timeout)
    accepted = await take_answers(report.url, vote, shots, report, options.timeout, say)
    await close_and_count(client, vote, staff, rng, report, accepted)


def sealed_body(sealing: dict[str, Any], marks: dict[str, str], **extra: Any) -> bytes:
    """The JSON a tablet posts (`sealing`: what GET /api/polls/{id}/ballot answered): its marks sealed
    to the poll's public key (voting.secrecy); `extra` fields beside it."""
    sealed = secrecy.seal_marks(bytes.fromhex(sealing["public_key"]), sealing["poll"], marks,
                                len(sealing["candidates"]))
    return json.dumps({**extra, "sealed": sealed}).encode()


def summary(report: Report) -> str:
    """The report in Chinese, one figure a line."""
    def seconds(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f} 秒"

    lines = [f"提交选票：发出 {report.sent} 张，服务器接收 {report.accepted} 张（应为 {report.deputies} 张）"]
    lines.append(f"  用时 {report.duration:.2f} 秒，吞吐量 {report.throughput:.1f} 张/秒")
    if report.latencies:
        lines.append(f"  延迟（发出→收到回应）：p50 {seconds(report.percentile(50))}  p95 {seconds(report.percentile(95))}"
                     f"  p99 {seconds(report.percentile(99))}  最大 {seconds(max(report.latencies))}")
    errors = report.errors + report.setup_errors
    lines.append("  错误：" + ("无" if not errors else "；".join(f"{kind} ×{n}" for kind, n in errors.most_common())))
    if report.resent:
        lines.append(f"  无回应后重新提交 {report.resent} 次：{report.taken_before_answer} 张此前已投入票箱，"
                     f"{report.unanswered} 张最终仍无回应")
    if report.duplicates_tried:
        lines.append(f"重复提交：{report.duplicates_tried} 位已投票的代表再次提交，{report.duplicates_refused} 次被拒绝（409 已投票）"
                     + (f"，{report.duplicates_accepted} 次竟被接收" if report.duplicates_accepted else ""))
    result = report.server_result
    if result is not None:
        lines.append(f"计票：服务器收回 {result.get('returned')} 张、有效 {result.get('valid')} 张，"
                     f"当选 {len(result.get('winners') or [])} 个，状态 {result.get('status')}")
        if report.differences:
            lines.append("  与本地按接收的选票重新计票的结果不一致：")
            lines += [f"    {line}" for line in report.differences[:20]]
        else:
            lines.append("  与本地按服务器接收的选票重新计票的结果完全一致")
    if report.removed is not None:
        lines.append(f"已删除演练数据：代表 {report.removed.get('deputies', 0)} 位、票决 {report.removed.get('polls', 0)} 次、"
                     f"选票 {report.removed.get('ballots', 0)} 张")
    elif report.congress_id is not None:
        lines.append(f"演练数据已保留：演练人大 #{report.congress_id}"
                     f"（删除：python -m voting rehearse --remove {report.congress_id}）")
    lines.append("演练通过" if report.passed else "演练失败")
    return "\n".join(lines)


async def _staff_call(url: str, user: str, password: str, method: str, path: str, timeout: float) -> Any:
    async with make_client(url.rstrip("/"), 2, timeout) as client:
        login = await _call(client, "POST", "/api/staff/login", body={"username": user, "password": password})
        return (await _call(client, method, path, login.cookies.get(COOKIE))).json()


async def remove(url: str, user: str, password: str, congress_id: int, timeout: float = 60.0) -> dict[str, int]:
    """Delete a kept rehearsal congress through the API."""
    return (await _staff_call(url, user, password, "DELETE", f"/api/rehearsals/{congress_id}", timeout))["removed"]


async def kept(url: str, user: str, password: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The rehearsal congresses still on the server (kept, or left by an interrupted run)."""
    return await _staff_call(url, user, password, "GET", "/api/rehearsals", timeout)


if __name__ == "__main__":  # a client process of `fire`
    asyncio.run(_client_process(json.loads(sys.stdin.readline())))
