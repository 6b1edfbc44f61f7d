"""The running app under load and across restarts, through real HTTP to a real uvicorn.

Everything here goes over sockets to `live_server` (a subprocess on the database under
test); the test process only builds halls and reads the tables to check the outcome.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections import Counter

import httpx
import pytest

from tests.hall import STAFF, make_hall
from voting import polls
from voting.rehearsal import sealed_body
from voting.tables import Ballot, LoginFailure, SealedBallot
from web.auth import COOKIE
from tests import sealed

TIMEOUT = httpx.Timeout(30.0)
CANDIDATES = [f"P{n:02d}" for n in range(1, 6)]  # hall.poll() makes 5 candidates for 3 seats


def client_for(server, token: str | None = None, local_address: str | None = None) -> httpx.AsyncClient:
    """A client of its own, as a tablet would be: own connection, optionally a login cookie
    and a loopback source address of its own (the throttle is keyed by client address)."""
    transport = httpx.AsyncHTTPTransport(local_address=local_address) if local_address else None
    return httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT, transport=transport,
                             cookies={COOKIE: token} if token else None)


async def api_login(client: httpx.AsyncClient, code: str) -> tuple[str, dict]:
    response = await client.post("/api/tablet/login", json={"code": code})
    assert response.status_code == 200, response.text
    token = response.cookies.get(COOKIE)
    assert token, response.headers
    return token, response.json()


def random_marks(rng: random.Random, seats: int = 3) -> dict[str, str]:
    """A valid approval ballot: any of for/against/abstain/unmarked, at most `seats` for."""
    marks: dict[str, str] = {}
    for ref in CANDIDATES:
        value = rng.choice(["for", "for", "against", "abstain", ""])
        if value == "for" and sum(v == "for" for v in marks.values()) >= seats:
            value = "against"
        if value:
            marks[ref] = value
    return marks


async def test_fifty_simultaneous_submissions_from_one_deputy_make_one_ballot(live_server):
    hall = await make_hall(deputies=5)
    deputy = hall.deputy_ids[0]
    await hall.check_in(deputy)
    poll_id = await hall.poll()
    async with client_for(live_server) as login_client:
        token, _ = await api_login(login_client, hall.codes[deputy])

    tablets = [client_for(live_server, token) for _ in range(50)]
    try:
        # Connect every client first, so the ballots leave as close together as possible.
        await asyncio.gather(*(tablet.get("/healthz") for tablet in tablets))
        sealing = (await tablets[0].get(f"/api/polls/{poll_id}/ballot")).json()
        responses = await asyncio.gather(*(
            tablet.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, {"P01": "for"}),
                        headers={"content-type": "application/json"}) for tablet in tablets))
    finally:
        await asyncio.gather(*(tablet.aclose() for tablet in tablets))

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 49}, [r.text for r in responses if r.status_code not in (201, 409)]
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["status"] == 409 and "已投票" in problem["detail"], problem
            assert problem["code"] == "already_voted"
    assert await SealedBallot.count().where(SealedBallot.poll == poll_id) == 1
    await sealed.close_poll(poll_id, STAFF)
    stored = await Ballot.select(Ballot.marks).where(Ballot.poll == poll_id)
    assert len(stored) == 1 and json.loads(stored[0]["marks"]) == {"P01": "for"}


@pytest.mark.slow
async def test_a_whole_hall_votes_at_once_and_every_ballot_is_counted(live_server):
    hall = await make_hall(deputies=200)
    await hall.check_in()
    poll_id = await hall.poll(candidates=5, seats=3)
    rng = random.Random(20250301)
    sent = {deputy: random_marks(rng) for deputy in hall.deputy_ids}
    in_flight = asyncio.Semaphore(100)

    async def vote(deputy: int) -> tuple[int, str]:
        async with in_flight, client_for(live_server) as tablet:
            token, _ = await api_login(tablet, hall.codes[deputy])
            tablet.cookies.set(COOKIE, token)
            sealing = (await tablet.get(f"/api/polls/{poll_id}/ballot")).json()
            response = await tablet.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, sent[deputy]),
                                         headers={"content-type": "application/json"})
            return response.status_code, response.text

    answers = await asyncio.gather(*(vote(deputy) for deputy in hall.deputy_ids))
    refused = [text for status, text in answers if status != 201]
    assert not refused, refused[:5]
    assert await SealedBallot.count().where(SealedBallot.poll == poll_id) == 200

    result = await sealed.close_poll(poll_id, STAFF)
    assert result["status"] == "valid" and result["returned"] == 200 and result["valid"] == 200
    expected = Counter(ref for marks in sent.values() for ref, value in marks.items() if value == "for")
    assert {c["id"]: c["for"] for c in result["candidates"]} == {ref: expected[ref] for ref in CANDIDATES}
    for value in ("against", "abstain"):
        tally = Counter(ref for marks in sent.values() for ref, v in marks.items() if v == value)
        assert {c["id"]: c[value] for c in result["candidates"]} == {ref: tally[ref] for ref in CANDIDATES}


async def test_a_tablet_stays_logged_in_across_a_server_restart(live_server):
    hall = await make_hall(deputies=3)
    deputy = hall.deputy_ids[0]
    async with client_for(live_server) as tablet:
        token, who = await api_login(tablet, hall.codes[deputy])
    name = who["name"]
    assert name

    async def home() -> httpx.Response:
        async with client_for(live_server, token) as tablet:
            return await tablet.get("/tablet/", follow_redirects=False)

    before = await home()
    assert before.status_code == 200 and name in before.text, (before.status_code, before.headers)

    await asyncio.to_thread(live_server.restart)

    after = await home()
    assert after.status_code == 200, (after.status_code, after.headers.get("location"))
    assert name in after.text


# Kept last in the module all the same; it does not need to be: see the source address below.
async def test_login_guessing_is_throttled_even_for_the_right_code(live_server):
    """Eight wrong codes from one address, then the right code is refused too (429).

    The throttle is keyed by client address and lasts 15 minutes. Every other test here
    logs in from 127.0.0.1, so this one connects from a loopback address of its own
    (Linux answers the whole of 127.0.0.0/8): it locks out only itself, and checks that.
    """
    hall = await make_hall(deputies=3)
    guesser_address = f"127.{secrets.randbelow(200) + 20}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 2}"
    assert await LoginFailure.count().where(LoginFailure.client == guesser_address) == 0
    right = hall.codes[hall.deputy_ids[0]]
    wrong_codes: list[str] = []
    while len(wrong_codes) < 8:
        guess = f"{secrets.randbelow(10**8):08d}"
        if guess not in hall.codes.values():
            wrong_codes.append(guess)

    async with client_for(live_server, local_address=guesser_address) as guesser:
        for guess in wrong_codes:
            response = await guesser.post("/api/tablet/login", json={"code": guess})
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "bad_code"
            assert COOKIE not in response.cookies
        response = await guesser.post("/api/tablet/login", json={"code": right})

    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 429 and problem["code"] == "throttled"
    assert "尝试次数过多" in problem["detail"] and "15 分钟" in problem["detail"], problem
    assert COOKIE not in response.cookies
    assert await LoginFailure.count().where(LoginFailure.client == guesser_address) == 8

    # The server saw the guesser's own address: the hall's tablets (127.0.0.1) still log in.
    async with client_for(live_server) as tablet:
        await api_login(tablet, hall.codes[hall.deputy_ids[1]])
