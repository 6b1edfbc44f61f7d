"""Faults in a full hall, through real HTTP against the app as deployed (uvicorn, 1 worker on
SQLite, 4 on PostgreSQL), driven by the rehearsal client (voting.rehearsal):

- the server is killed with SIGKILL while 3,000 tablets are submitting: every ballot the
  server answered with success is in the box, none twice, and every tablet that got no
  answer resubmits the same ballot after the restart and is counted exactly once — the
  ones whose ballot had gone in before the crash are told "already voted";
- every deputy submits two different ballots at the same moment over two connections
  (so, on PostgreSQL, usually to two different workers): exactly one is taken, and the
  secretariat's progress and the big screen, read through any worker, never fall behind
  a ballot that was already answered.

Each rehearsal runs in its own rehearsal congress (voting.rehearsal_data) and is removed
afterwards.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.servers import LiveServer
from voting import accounts, rehearsal
from voting.database import fetch_value
from voting.tables import StaffAccount

pytestmark = pytest.mark.slow

USER, PASSWORD = "guzhang", "fault-drill-1"
CONNECTIONS = 200
PROCESSES = 2
ALREADY_VOTED = "HTTP 409 already_voted"


@pytest.fixture
def server(engine_name):
    """A server of its own for each test: one of them kills it."""
    with LiveServer(workers=4 if engine_name == "postgresql" else 1) as live:
        yield live


class Hall:
    """A rehearsal congress of `deputies` on the live server, every tablet logged in and checked
    in; `call` for the secretariat's API; removed on exit."""

    def __init__(self, server: LiveServer, deputies: int, candidates: int = 12, seats: int = 10) -> None:
        self.server, self.deputies, self.size = server, deputies, {"candidates": candidates, "seats": seats}
        self.client = httpx.AsyncClient(base_url=server.url, timeout=120.0, trust_env=False)
        self.token = ""
        self.plan: dict[str, Any] = {}
        self.tablets: list[str] = []
        self.present = 0
        self.cards: list[str] = []
        self.sealing: dict[str, Any] = {}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.client.request(method, path, headers=rehearsal.headers_for(self.token),
                                             content=json.dumps(body or {}).encode())
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    async def login(self) -> None:
        if not await StaffAccount.exists().where(StaffAccount.username == USER):
            await accounts.create_staff(USER, "故障演练员", PASSWORD)
        response = await self.client.post("/api/staff/login", json={"username": USER, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.token = response.cookies[rehearsal.COOKIE]
        self.client.cookies.clear()

    async def __aenter__(self) -> "Hall":
        await self.login()
        self.plan = await self.call("POST", "/api/rehearsals", {"deputies": self.deputies, **self.size})
        report = rehearsal.Report(self.server.url, self.deputies)
        async with rehearsal.Lanes(self.server.url, CONNECTIONS, 120.0) as lanes:
            self.tablets, self.present = await rehearsal.arrive(lanes, self.plan["codes"], report, lambda _: None)
        assert len(self.tablets) == self.present == self.deputies, report.setup_errors
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self.server.process is not None and self.plan:
                await self.login()  # a fresh staff login: the old one may predate a restart
                await self.call("DELETE", f"/api/rehearsals/{self.plan['congress_id']}")
        finally:
            await self.client.aclose()

    async def open(self) -> None:
        """The key ceremony (this test holds the cards), then the poll opens; tablets learn its key."""
        self.cards = [c["card"] for c in (await self.call("POST", f"/api/polls/{self.poll_id}/key-ceremony"))["cards"]]
        await self.call("POST", f"/api/polls/{self.poll_id}/open")
        response = await self.client.get(self.ballot_path, headers=rehearsal.headers_for(self.tablets[0]))
        self.sealing = response.json()

    @property
    def poll_id(self) -> int:
        return self.plan["poll_id"]

    @property
    def ballot_path(self) -> str:
        return f"/api/polls/{self.poll_id}/ballot"

    def ballots(self, seed: int) -> list[dict[str, str]]:
        rng = random.Random(seed)
        return [rehearsal.random_marks(rng, self.plan["candidates"], self.plan["max_approvals"]) for _ in self.tablets]

    def jobs(self, ballots: list[dict[str, str]], who: list[int]) -> list[rehearsal.Job]:
        """Tablet n sends ballots[n], as its own request with its own login."""
        return [(n, self.tablets[n], rehearsal.sealed_body(self.sealing, ballots[n])) for n in who]

    async def fire(self, jobs: list[rehearsal.Job]) -> list[rehearsal.Shot]:
        return await rehearsal.fire(self.server.url, self.ballot_path, jobs, CONNECTIONS, PROCESSES, timeout=60.0)

    async def in_box(self) -> int:
        """Ballots in the box, read from the database directly (the server may be down)."""
        return int(await fetch_value("SELECT COUNT(*) AS n FROM sealed_ballot WHERE poll = {}", self.poll_id))

    async def voted(self) -> int:
        return int(await fetch_value("SELECT COUNT(*) AS n FROM poll_voter WHERE poll = {} AND voted = {}",
                                     self.poll_id, True))

    async def close_and_compare(self, counted: list[dict[str, str]]) -> dict[str, Any]:
        """Close the poll; its result must be the count of exactly `counted`, key for key."""
        result = await self.call("POST", f"/api/polls/{self.poll_id}/close", {"cards": self.cards[:2]})
        local = rehearsal.local_count(self.plan, self.present, counted)
        assert rehearsal.differences(result, local) == []
        return result


async def test_a_server_killed_mid_vote_loses_no_answered_ballot_and_counts_each_resubmission_once(server):
    deputies = 3000
    async with Hall(server, deputies) as hall:
        await hall.open()
        ballots = hall.ballots(seed=11)
        voting = asyncio.create_task(hall.fire(hall.jobs(ballots, list(range(deputies)))))

        # Pull the plug once about a third of the ballots are in the box.
        while await hall.in_box() < deputies // 3 and not voting.done():
            await asyncio.sleep(0.01)
        assert not voting.done(), "every ballot was answered before the server could be killed"
        server.kill()
        first = await voting

        answered = {shot.index for shot in first if shot.status == 201}
        unanswered = [shot.index for shot in first if shot.status != 201]
        assert {shot.code for shot in first if shot.status != 201} <= {
            "ConnectError", "ReadError", "RemoteProtocolError", "WriteError", "ConnectTimeout"}, \
            Counter(shot.code for shot in first)
        assert 0 < len(answered) < deputies and len(unanswered) == deputies - len(answered)

        # With the server dead: every answered ballot is stored, the register agrees with the box.
        stored = await hall.in_box()
        assert len(answered) <= stored < deputies
        assert await hall.voted() == stored

        server.start()
        progress = await hall.call("GET", f"/api/polls/{hall.poll_id}/progress")
        assert progress["status"] == "open" and progress["returned"] == stored and progress["present"] == deputies

        # The tablets that got no answer send the same ballot again.
        second = await hall.fire(hall.jobs(ballots, unanswered))
        outcomes = Counter(shot.code or shot.status for shot in second)
        assert outcomes == Counter({201: deputies - stored, ALREADY_VOTED: stored - len(answered)}) - Counter(), \
            outcomes
        # And a tablet that was answered, trying again, is refused.
        again = await hall.fire(hall.jobs(hall.ballots(seed=12), sorted(answered)[:20]))
        assert {shot.code for shot in again} == {ALREADY_VOTED}

        assert await hall.in_box() == await hall.voted() == deputies
        result = await hall.close_and_compare(ballots)
        assert result["returned"] == result["valid"] == deputies
        print(f"killed with {len(answered)} answered and {stored - len(answered)} stored but unanswered; "
              f"{deputies - stored} taken on resubmission")


async def _sample_progress(hall: Hall, until: asyncio.Event) -> list[tuple[float, int]]:
    """The secretariat's progress, read over and over, each time on a new connection (so, with
    several workers, through whichever worker takes it): (when it was asked, returned)."""
    samples: list[tuple[float, int]] = []
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=hall.server.url, timeout=60.0, limits=limits, trust_env=False) as client:
        while True:
            stop = until.is_set()
            asked = time.monotonic()
            response = await client.get(f"/api/polls/{hall.poll_id}/progress", headers=rehearsal.headers_for(hall.token))
            assert response.status_code == 200, response.text
            samples.append((asked, response.json()["returned"]))
            if stop:
                return samples
            await asyncio.sleep(0.05)


async def _watch_screen(hall: Hall, expected: int) -> list[int]:
    """The big screen's event stream, on its own connection, until it shows `expected` returned."""
    seen: list[int] = []
    async with httpx.AsyncClient(base_url=hall.server.url, timeout=60.0, trust_env=False) as client:
        async with client.stream("GET", f"/screen/sessions/{hall.plan['session_id']}/events") as events:
            assert events.status_code == 200
            async for line in events.aiter_lines():
                if line.startswith("data: {"):
                    poll = json.loads(line[6:]).get("poll") or {}
                    if poll.get("id") == hall.poll_id or poll.get("ref") == hall.plan["poll_ref"]:
                        seen.append(poll["figures"]["returned"])
                        if seen[-1] == expected:
                            return seen
    return seen


async def test_two_ballots_from_every_deputy_at_once_one_is_taken_and_progress_keeps_up(server):
    deputies = 800
    async with Hall(server, deputies, candidates=8, seats=5) as hall:
        await hall.open()
        screens = [asyncio.create_task(asyncio.wait_for(_watch_screen(hall, deputies), 120)) for _ in range(4)]
        voting_done = asyncio.Event()
        sampler = asyncio.create_task(_sample_progress(hall, voting_done))
        first, second = hall.ballots(seed=21), hall.ballots(seed=22)
        # Each deputy's two ballots are neighbours in the job list, so `fire` hands them to two
        # different client processes, which send them at the same moment on different connections.
        jobs = [job for n in range(deputies)
                for job in ((2 * n, hall.tablets[n], rehearsal.sealed_body(hall.sealing, first[n])),
                            (2 * n + 1, hall.tablets[n], rehearsal.sealed_body(hall.sealing, second[n])))]
        shots = await hall.fire(jobs)
        voting_done.set()
        samples = await sampler

        taken = [shot for shot in shots if shot.status == 201]
        assert Counter(shot.code or shot.status for shot in shots) == Counter({201: deputies, ALREADY_VOTED: deputies})
        assert sorted(shot.index // 2 for shot in taken) == list(range(deputies))  # one per deputy
        counted = [(first if shot.index % 2 == 0 else second)[shot.index // 2] for shot in taken]

        # Progress never shows fewer ballots than had been answered when it was asked, never
        # goes back, and ends at exactly one ballot per deputy.
        answered_at = sorted(shot.received for shot in taken)
        start, end = min(shot.sent for shot in shots), max(shot.received for shot in shots)
        assert any(start <= asked <= end for asked, _ in samples), "no progress read while the vote was on"
        for asked, returned in samples:
            assert sum(1 for t in answered_at if t < asked) <= returned <= deputies
        assert [r for _, r in samples] == sorted(r for _, r in samples) and samples[-1][1] == deputies

        for watched in await asyncio.gather(*screens):
            assert watched == sorted(watched) and watched[-1] == deputies

        assert await hall.in_box() == await hall.voted() == deputies
        await hall.close_and_compare(counted)
