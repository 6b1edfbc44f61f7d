"""The hall's big screen (大屏): a full-screen page for the projector, kept live by the server.

    GET /screen/sessions/{id}          the page (static/screen.js draws and updates it)
    GET /screen/sessions/{id}/state    the state as JSON: first paint, and the fallback poll
    GET /screen/sessions/{id}/events   server-sent events: the state each time it changes

No login. The screen shows only what everyone in the hall sees on the projector
anyway: the session's name, attendance counts, the poll's title and its present /
issued / returned figures; per-candidate counts before the close only when the poll's
setting `show_running_totals` allows it; the result only once it is published
(`Poll.published_at`, after the scrutineers confirmed). Nothing on it names a deputy
(voting.screen builds it from counts). Requiring a login would mean a staff session
left open on the projector's computer in front of the hall, which is worse. Only GETs
live here, so the CSRF configuration needs nothing new.

Live updates: each event stream polls `voting.screen.recent_screen_state` once a second
(one count per worker and session, shared by every screen on that worker) and sends an
event only when the state's `version` changes, a comment every 15 s to keep proxies
from closing a quiet stream, and `retry: 2000` so the browser's EventSource reconnects
by itself after a dropped connection. Because the state comes from the database, any
worker of a PostgreSQL deployment serves any screen; there is no broker to run.

A stream ends itself after a few minutes (the page reconnects at once on the
`reconnect` event) and as soon as the server is asked to stop, so a restart or a
deployment never waits on screens that stay connected all day.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from lifecycle.proposal_input import without_bidi_controls
from voting import screen
from voting.errors import NotFound
from web.addresses import tablet_address
from web.pages import page

log = logging.getLogger("piaojue")

POLL_SECONDS = 1.0  # how often a stream looks at the state
HEARTBEAT_SECONDS = 15.0  # a comment line on a quiet stream
RETRY_MS = 2000  # how soon EventSource reconnects after a dropped stream
STREAM_SECONDS = 300.0  # a stream's longest life; the page reconnects at once
NO_STORE = {"Cache-Control": "no-store"}

_stopping = False  # set when this process is asked to stop (SIGTERM / SIGINT)
_watching = False


def _watch_for_shutdown() -> None:
    """Chain a tiny handler in front of the server's own for SIGTERM and SIGINT.

    uvicorn waits for open responses before it shuts down, and an event stream never
    finishes by itself; the flag lets every stream end within a second of the signal.
    Installed once, from the event loop's (main) thread; the previous handler still runs.
    """
    global _watching
    if _watching:
        return
    _watching = True
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(number: int, frame: Any, previous: Any = previous) -> None:
            global _stopping
            _stopping = True
            previous(number, frame)

        signal.signal(signum, handler)


def shown(value: Any) -> Any:
    """The state as the screen shows it: a copy without bidi controls in any text (the cached
    state is shared by every screen, so it is never changed in place)."""
    if isinstance(value, dict):
        return {key: shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shown(item) for item in value]
    return without_bidi_controls(value)


def _as_event(state: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=json.dumps(shown(state), ensure_ascii=False, separators=(",", ":")),
                                  event="state", id=state["version"])


async def state_events(session_id: int, last_version: str | None = None, *, poll_every: float = POLL_SECONDS,
                       heartbeat: float = HEARTBEAT_SECONDS,
                       lifetime: float = STREAM_SECONDS) -> AsyncIterator[ServerSentEventMessage]:
    """The event stream of one screen: a `state` event whenever the state changes.

    `last_version` (the Last-Event-ID a reconnecting EventSource sends) skips the first
    event when nothing changed meanwhile. A database error is logged (once per outage)
    and retried on the next tick rather than ending the stream. When the client goes away
    Litestar cancels the generator at its next await; nothing else needs cleaning up.
    """
    _watch_for_shutdown()
    started = last_sent = time.monotonic()
    failing = False
    while True:
        state = None
        try:
            state = await screen.recent_screen_state(session_id)
        except NotFound:
            yield ServerSentEventMessage(data="gone", event="gone")
            return
        except Exception:  # noqa: BLE001 - a screen must outlive a database hiccup
            if not failing:  # once per outage, not once a second
                log.warning("screen %s: could not read the state", session_id, exc_info=True)
            failing = True
        else:
            failing = False
        now = time.monotonic()
        if state is not None and state["version"] != last_version:
            last_version = state["version"]
            last_sent = now
            yield _as_event(state)
        elif now - last_sent >= heartbeat:
            last_sent = now
            yield ServerSentEventMessage(data=None, comment="keep-alive")
        if _stopping:
            return  # EventSource reconnects after `retry`, to another worker or the restarted server
        if now - started >= lifetime:
            yield ServerSentEventMessage(data="bye", event="reconnect")
            return
        await asyncio.sleep(poll_every)


class ScreenController(Controller):
    path = "/screen"

    @get("/sessions/{session_id:int}", name="screen")
    async def screen_page(self, request: Request, session_id: FromPath[int]) -> Template:
        state = await screen.recent_screen_state(session_id)
        address = tablet_address(request)
        return page("screen/session.html", request, state=shown(state), tablet_url=address.url if address.certain else "")

    @get("/sessions/{session_id:int}/state")
    async def state(self, session_id: FromPath[int]) -> Response[dict[str, Any]]:
        return Response(shown(await screen.recent_screen_state(session_id)), headers=NO_STORE)

    @get("/sessions/{session_id:int}/events")
    async def events(self, request: Request, session_id: FromPath[int]) -> ServerSentEvent:
        await screen.recent_screen_state(session_id)  # an unknown session is a 404, not an empty stream
        last = request.headers.get("last-event-id") or None
        return ServerSentEvent(state_events(session_id, last), retry_duration=RETRY_MS,
                               comment_message="piaojue screen", headers=NO_STORE)
