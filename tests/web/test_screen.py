"""The hall's big screen: what it shows at each step, that it never names a deputy, and its event stream.

The state is read with `voting.screen.screen_state` (no cache) where a test needs the
figure at once; the HTTP endpoints go through the per-process cache, so tests that read
them after a change wait for it. The event stream is read from a real uvicorn
(`live_server`: two workers on PostgreSQL), since an in-process transport buffers a
response to its end.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import datetime, timezone

import httpx
import pytest

from tests.hall import STAFF, make_hall
from voting import ballot_box, polls, screen
from voting.tables import Deputy, Poll, ResultCorrection
from web import screen as screen_web
from tests import sealed

A = ballot_box.Outcome.accepted


async def cast(poll_id: int, deputy_id: int, marks: dict[str, str]) -> None:
    assert await sealed.cast(poll_id, deputy_id, marks) is A


async def publish(poll_id: int) -> None:
    """Stands in for the secretariat's publication after the scrutineers confirmed."""
    await Poll.update({Poll.published_at: datetime.now(timezone.utc)}).where(Poll.id == poll_id)


async def eventually(read, check, timeout: float = 5.0):
    """Read until `check` holds (the endpoints may serve a state up to half a second old)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def get_state(client, session_id: int) -> dict:
    response = await client.get(f"/screen/sessions/{session_id}/state")
    assert response.status_code == 200, response.text
    return response.json()


# --- what the screen shows --------------------------------------------------------------


async def test_before_any_poll_the_screen_shows_attendance(client, hall):
    await hall.poll(open_=False)  # a draft is not shown
    await hall.check_in(*hall.deputy_ids[:12])
    state = await screen.screen_state(hall.session_id)
    assert state["poll"] is None and state["phase"] == "idle"
    assert state["attendance"] == {"entitled": 30, "present": 12, "quorum_needed": 20, "quorum_met": False}
    await hall.check_in(*hall.deputy_ids[12:20])
    assert (await screen.screen_state(hall.session_id))["attendance"]["quorum_met"] is True


async def test_the_figures_rise_as_deputies_check_in_and_vote(client, hall):
    await hall.check_in(*hall.deputy_ids[10:])  # 20 of 30: the quorum to open
    poll_id = await hall.poll(candidates=5, seats=3)
    state = await screen.screen_state(hall.session_id)
    assert state["phase"] == "voting" and state["phase_label"] == "投票进行中"
    poll = state["poll"]
    assert poll["title"].startswith("测试票决") and poll["round"] == 1 and poll["round_label"] == ""
    assert poll["figures"] == {"entitled": 30, "present": 20, "issued": 0, "returned": 0}
    assert poll["running"] is None and poll["result"] is None
    first_version = state["version"]
    assert (await screen.screen_state(hall.session_id))["version"] == first_version  # unchanged, same version

    voters = hall.deputy_ids[:8]
    await hall.check_in(*voters)
    await ballot_box.issue(poll_id, voters[7])  # a tablet opened the ballot, not yet cast
    for deputy in voters[:5]:
        await cast(poll_id, deputy, {"P01": "for", "P02": "against"})
    state = await screen.screen_state(hall.session_id)
    assert state["poll"]["figures"] == {"entitled": 30, "present": 28, "issued": 6, "returned": 5}
    assert state["attendance"]["present"] == 28
    assert state["version"] != first_version

    over_http = await eventually(lambda: get_state(client, hall.session_id),
                                 lambda s: s["version"] == state["version"])
    assert over_http == state
    response = await client.get(f"/screen/sessions/{hall.session_id}/state")
    assert response.headers["cache-control"] == "no-store"


async def test_running_counts_only_when_the_poll_allows_them_and_only_in_lagged_steps_of_20(client, hall):
    poll_id = await hall.poll(candidates=4, seats=2)
    await hall.check_in()
    await cast(poll_id, hall.deputy_ids[0], {"P01": "for", "P02": "for", "P03": "against"})
    await cast(poll_id, hall.deputy_ids[1], {"P01": "for", "P04": "abstain"})
    state = await screen.screen_state(hall.session_id)
    assert state["poll"]["running"] is None
    assert '"for"' not in json.dumps(state)  # no per-candidate counts anywhere

    await Poll.update({Poll.show_running_totals: True}).where(Poll.id == poll_id)
    assert (await screen.screen_state(hall.session_id))["poll"]["running"] is None  # 2 ballots: nothing shown
    for deputy in hall.deputy_ids[2:20]:  # 20 in: a tally is taken, but not shown until 20 more are in
        await cast(poll_id, deputy, {"P01": "for"})
    assert (await screen.screen_state(hall.session_id))["poll"]["running"] is None
    for deputy in hall.deputy_ids[20:29]:
        await cast(poll_id, deputy, {"P02": "for"})
        assert (await screen.screen_state(hall.session_id))["poll"]["running"] is None  # 21..29: still hidden
    await polls.stop_voting(poll_id, STAFF)
    assert (await screen.screen_state(hall.session_id))["poll"]["running"] is None  # 29 in, never shown

    # Tablet ballots are sealed until the count: even a poll that allows running totals shows none
    # while the vote runs, whatever comes in; the screen still counts how many are in the box.
    big = await make_hall(deputies=60)
    await big.check_in()
    shown_poll = await big.poll(candidates=4, seats=2, show_running_totals=True)
    seen = []
    for n, deputy in enumerate(big.deputy_ids[:45]):
        await cast(shown_poll, deputy, {"P01": "for"} if n < 20 else {"P02": "for"})
        state = (await screen.screen_state(big.session_id))["poll"]
        seen.append((state["running"], state["figures"]["returned"]))
    assert seen == [(None, n) for n in range(1, 46)]
    await sealed.close_poll(shown_poll, STAFF)
    state = await screen.screen_state(big.session_id)
    assert state["phase"] == "awaiting" and state["poll"]["running"] is None and state["poll"]["result"] is None


async def test_a_shortfall_a_tie_and_the_further_vote_that_settles_it(client, hall):
    poll_id = await hall.poll(candidates=4, seats=2, title="2026年民生实事项目票决")
    await hall.check_in()
    for i, deputy in enumerate(hall.deputy_ids[:24]):  # P01 24 passes; P02 10 does not (16 needed)
        await cast(poll_id, deputy, {"P01": "for", "P02": "for"} if i < 10 else {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    await publish(poll_id)
    result = (await screen.screen_state(hall.session_id))["poll"]["result"]
    assert result["winners"] == ["候选项目01"] and result["shortfall"] == 1

    tie = await make_hall(deputies=10)
    first = await tie.poll(candidates=3, seats=2, title="乡镇票决", threshold_base="none")
    await tie.check_in()
    ballots = [{"P01": "for", "P02": "for"}] * 4 + [{"P01": "for", "P03": "for"}] * 2 + [{"P03": "for"}] * 2 \
        + [{"P01": "against"}] * 2  # P01 6 wins; P02 and P03 tie on 4 for the second seat
    for deputy, marks in zip(tie.deputy_ids, ballots):
        await cast(first, deputy, marks)
    await sealed.close_poll(first, STAFF)
    await publish(first)
    result = (await screen.screen_state(tie.session_id))["poll"]["result"]
    assert result["winners"] == ["候选项目01"] and result["chosen"] == [{"title": "候选项目01", "round": 1}]
    assert result["runoff"] == ["候选项目02", "候选项目03"] and result["runoff_seats"] == 1
    assert [c["outcome"] for c in result["candidates"]] == ["winner", "runoff", "runoff"]

    further = await polls.open_runoff(first, STAFF)
    state = await screen.screen_state(tie.session_id)
    assert state["phase"] == "voting" and state["poll"]["round_label"] == "第二轮另行票决"
    assert state["poll"]["runoff_of"] == "乡镇票决" and state["poll"]["candidate_count"] == 2
    for deputy in tie.deputy_ids[:6]:
        await cast(further, deputy, {"P01": "for"})  # the runoff's P01 is 候选项目02
    await sealed.close_poll(further, STAFF)
    assert (await screen.screen_state(tie.session_id))["phase"] == "awaiting"
    await publish(further)
    result = (await screen.screen_state(tie.session_id))["poll"]["result"]
    assert result["winners"] == ["候选项目02"]
    assert result["chosen"] == [{"title": "候选项目01", "round": 1}, {"title": "候选项目02", "round": 2}]


async def test_a_satisfaction_poll_shows_verdicts_once_published(client, hall):
    poll_id = await hall.poll(candidates=3, method="satisfaction")
    await hall.check_in()
    for i, deputy in enumerate(hall.deputy_ids[:25]):
        await cast(poll_id, deputy, {"P01": "satisfied", "P02": "satisfied" if i < 10 else "basically_satisfied",
                                     "P03": "dissatisfied"})
    await sealed.close_poll(poll_id, STAFF)
    assert (await screen.screen_state(hall.session_id))["poll"]["result"] is None
    await publish(poll_id)
    state = await screen.screen_state(hall.session_id)
    result = state["poll"]["result"]
    assert state["poll"]["phase_label"] == "测评结果" and result["required"] == 16
    assert [(c["satisfied"], c["basically_satisfied"], c["verdict"], c["verdict_label"]) for c in result["candidates"]] == [
        (25, 0, "satisfied", "满意"), (10, 15, "basically_satisfied", "基本满意"), (0, 0, "dissatisfied", "不满意")]
    assert result["winners"] == [] and result["runoff"] == []


async def test_a_recorded_correction_replaces_the_shown_result(client, hall):
    poll_id = await hall.poll(candidates=4, seats=2)
    await hall.check_in()
    for deputy in hall.deputy_ids[:25]:
        await cast(poll_id, deputy, {"P01": "for", "P02": "for"})
    await sealed.close_poll(poll_id, STAFF)
    await publish(poll_id)
    corrected = polls.stored_result(await polls.get_poll(poll_id))
    corrected["winners"] = ["P02", "P01"]
    await ResultCorrection.insert(ResultCorrection(poll=poll_id, result=corrected, ballots_sha256="0" * 64,
                                                   reason="测试", by="秘书处 测试"))
    result = (await screen.screen_state(hall.session_id))["poll"]["result"]
    assert result["corrected"] is True and result["winners"] == ["候选项目02", "候选项目01"]


async def test_the_screen_never_names_a_deputy(client, hall):
    poll_id = await hall.poll(candidates=5, seats=3)
    await Poll.update({Poll.show_running_totals: True}).where(Poll.id == poll_id)
    await hall.check_in()
    for deputy in hall.deputy_ids[:22]:
        await cast(poll_id, deputy, {"P01": "for", "P03": "against"})
    deputies = await Deputy.select(Deputy.id, Deputy.name, Deputy.number).where(Deputy.term == hall.term_id)
    seen = []
    seen.append(await screen.screen_state(hall.session_id))
    await sealed.close_poll(poll_id, STAFF)
    seen.append(await screen.screen_state(hall.session_id))
    await publish(poll_id)
    seen.append(await screen.screen_state(hall.session_id))
    page = await client.get(f"/screen/sessions/{hall.session_id}")
    for text in [json.dumps(s, ensure_ascii=False) for s in seen] + [page.text]:
        for deputy in deputies:
            assert deputy["name"] not in text and deputy["number"] not in text
        assert "deputy" not in text and "login" not in text
        assert not re.search(r"b-[0-9a-f]{8,}", text)  # no ballot id


async def test_the_page_loads_its_script_and_stylesheet_only(client, hall):
    await hall.poll()
    response = await client.get(f"/screen/sessions/{hall.session_id}")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assert "测试" in html and '<script src="/static/screen.js" defer></script>' in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all('src="' in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts
    assert "style=" not in html and "<style" not in html
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src" not in csp
    embedded = re.search(r'<script type="application/json" id="screen-state">(.*?)</script>', html, re.S).group(1)
    assert json.loads(embedded)["session"]["id"] == hall.session_id
    for path in ("/static/screen.js", "/static/screen.css"):
        assert (await client.get(path)).status_code == 200
    for path in ("", "/state", "/events"):
        assert (await client.get(f"/screen/sessions/999999{path}")).status_code == 404


# --- the event stream, in process -------------------------------------------------------


async def test_the_stream_sends_changes_heartbeats_and_asks_to_reconnect(hall, monkeypatch):
    poll_id = await hall.poll(candidates=3, seats=1)
    await hall.check_in()
    stream = screen_web.state_events(hall.session_id, poll_every=0.05, heartbeat=0.3, lifetime=4.0)
    first = await asyncio.wait_for(anext(stream), 5)
    assert first.event == "state" and json.loads(first.data)["poll"]["figures"]["returned"] == 0
    assert first.id == json.loads(first.data)["version"]
    beat = await asyncio.wait_for(anext(stream), 5)
    assert beat.comment == "keep-alive" and beat.data is None and beat.encode() == b": keep-alive\r\n\r\n"
    await cast(poll_id, hall.deputy_ids[0], {"P01": "for"})
    while True:
        message = await asyncio.wait_for(anext(stream), 5)
        if message.event == "state":
            break
    assert json.loads(message.data)["poll"]["figures"]["returned"] == 1
    while message.event != "reconnect":
        message = await asyncio.wait_for(anext(stream), 6)
    with pytest.raises(StopAsyncIteration):
        await anext(stream)

    # A reconnecting EventSource that already has the current state gets no repeat of it.
    current = await screen.screen_state(hall.session_id)
    again = screen_web.state_events(hall.session_id, current["version"], poll_every=0.05, heartbeat=0.2)
    assert (await asyncio.wait_for(anext(again), 5)).comment == "keep-alive"
    await again.aclose()

    # Asked to stop, every stream ends within a tick.
    monkeypatch.setattr(screen_web, "_stopping", True)
    stopping = screen_web.state_events(hall.session_id, poll_every=0.05)
    assert (await anext(stopping)).event == "state"
    with pytest.raises(StopAsyncIteration):
        await anext(stopping)


async def test_many_screens_share_one_count(hall, monkeypatch):
    await hall.poll()
    calls = 0
    real = screen.screen_state

    async def counted(session_id):
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return await real(session_id)

    monkeypatch.setattr(screen, "screen_state", counted)
    states = await asyncio.gather(*(screen.recent_screen_state(hall.session_id, max_age=0.5) for _ in range(40)))
    assert calls == 1 and len({s["version"] for s in states}) == 1
    await screen.recent_screen_state(hall.session_id, max_age=0.5)
    assert calls == 1
    await screen.recent_screen_state(hall.session_id, max_age=0.0)
    assert calls == 2


# --- the event stream over real HTTP ----------------------------------------------------


class EventReader:
    """Server-sent events from an open streaming response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()
        self.retry: int | None = None

    async def next(self, timeout: float = 10.0) -> dict:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> dict:
        event: dict = {"event": "message", "data": [], "id": None, "comments": []}
        async for line in self.lines:
            if line == "":
                if event["data"]:
                    event["data"] = "\n".join(event["data"])
                    return event
                event = {"event": "message", "data": [], "id": None, "comments": []}
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "":
                event["comments"].append(value)
            elif field == "retry":
                self.retry = int(value)
            elif field == "data":
                event["data"].append(value)
            elif field in ("event", "id"):
                event[field] = value
        raise EOFError("the stream ended")

    async def state(self, timeout: float = 10.0) -> dict:
        while True:
            event = await self.next(timeout)
            if event["event"] == "state":
                return json.loads(event["data"])


async def test_the_event_stream_over_http_follows_the_vote(live_server):
    hall = await make_hall(deputies=20)
    poll_id = await hall.poll(candidates=3, seats=1)
    await hall.check_in()
    url = f"{live_server.url}/screen/sessions/{hall.session_id}/events"
    timeout = httpx.Timeout(15.0, read=15.0)
    async with httpx.AsyncClient(timeout=timeout) as http:
        async with http.stream("GET", url, headers={"Accept": "text/event-stream"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-store"
            reader = EventReader(response)
            first = await reader.state()
            assert reader.retry == screen_web.RETRY_MS
            assert first["poll"]["figures"]["returned"] == 0 and first["attendance"]["present"] == 20
            await cast(poll_id, hall.deputy_ids[0], {"P01": "for"})
            second = await reader.state()
            assert second["poll"]["figures"]["returned"] == 1 and second["version"] != first["version"]
            await cast(poll_id, hall.deputy_ids[1], {"P02": "for"})
            assert (await reader.state())["poll"]["figures"]["returned"] == 2


async def test_several_screens_on_several_workers_all_follow(live_server):
    hall = await make_hall(deputies=12)
    poll_id = await hall.poll(candidates=3, seats=1)
    await hall.check_in()
    url = f"{live_server.url}/screen/sessions/{hall.session_id}/events"
    clients = [httpx.AsyncClient(timeout=httpx.Timeout(15.0)) for _ in range(6)]  # own connection each
    try:
        streams = [c.stream("GET", url) for c in clients]
        responses = [await s.__aenter__() for s in streams]
        readers = [EventReader(r) for r in responses]
        assert {(await r.state())["poll"]["figures"]["returned"] for r in readers} == {0}
        for deputy in hall.deputy_ids[:3]:
            await cast(poll_id, deputy, {"P03": "for"})

        async def until_three(reader):
            while (state := await reader.state())["poll"]["figures"]["returned"] < 3:
                pass
            return state["poll"]["figures"]["returned"]

        assert await asyncio.gather(*(until_three(r) for r in readers)) == [3] * 6
        for s in streams:
            await s.__aexit__(None, None, None)
    finally:
        for c in clients:
            await c.aclose()


async def test_a_restart_ends_the_stream_at_once_and_the_screen_reconnects(live_server):
    hall = await make_hall(deputies=6)
    poll_id = await hall.poll(candidates=3, seats=1)
    await hall.check_in()
    url = f"{live_server.url}/screen/sessions/{hall.session_id}/events"
    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0)) as http:
        async with http.stream("GET", url) as response:
            reader = EventReader(response)
            first = await reader.state()
            started = time.monotonic()
            await asyncio.to_thread(live_server.restart)
            took = time.monotonic() - started
            with pytest.raises((EOFError, httpx.HTTPError)):
                await reader.next(timeout=5)
        assert took < 10, f"the restart waited {took:.1f} s on an open event stream"
        await cast(poll_id, hall.deputy_ids[0], {"P01": "for"})
        # What EventSource does after `retry`: connect again, saying which state it has.
        async with http.stream("GET", url, headers={"Last-Event-ID": first["version"]}) as response:
            assert (await EventReader(response).state())["poll"]["figures"]["returned"] == 1
