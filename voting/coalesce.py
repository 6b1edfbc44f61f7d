"""Reads that arrive together share one query.

Every request of every tablet first asks who holds its login cookie. When 3,000 tablets
submit in the same seconds, one query each would be 3,000 round trips through the
connection pool, each with its own reset, before a single ballot is looked at. A
`Coalesced` read instead lets the first caller's query go at once and gathers everyone
who asks while it runs; when it returns, one query answers all of them together. An
idle server answers each caller with one query, as before; a busy one with a few.

Nothing is cached: every answer comes from a query sent after the caller asked, so a
session ended a moment ago is refused at once, on every worker.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_KEYS = 500


class _Waiting(Generic[K, V]):
    __slots__ = ("callers", "busy")

    def __init__(self) -> None:
        self.callers: dict[K, list[asyncio.Future[V | None]]] = {}
        self.busy = False


class Coalesced(Generic[K, V]):
    """`await reader.get(key)`: the value `fetch_many` finds for `key`, or None.

    `fetch_many(keys)` returns {key: value} for the keys it finds (one query for all)."""

    def __init__(self, fetch_many: Callable[[list[K]], Awaitable[dict[K, V]]], max_keys: int = MAX_KEYS) -> None:
        self.fetch_many = fetch_many
        self.max_keys = max_keys
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waiting[K, V]] = \
            weakref.WeakKeyDictionary()

    async def get(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        waiting = self._by_loop.get(loop)
        if waiting is None:
            waiting = self._by_loop[loop] = _Waiting()
        future: asyncio.Future[V | None] = loop.create_future()
        waiting.callers.setdefault(key, []).append(future)
        if not waiting.busy:
            waiting.busy = True
            # A context of its own: a caller inside a transaction must not lend it its connection.
            loop.create_task(self._drain(waiting), context=contextvars.Context())
        return await future

    async def _drain(self, waiting: _Waiting[K, V]) -> None:
        asked: dict[K, list[asyncio.Future[V | None]]] = {}
        try:
            while waiting.callers:
                keys = list(waiting.callers)[: self.max_keys]
                asked = {key: waiting.callers.pop(key) for key in keys}
                try:
                    found = await self.fetch_many(keys)
                except Exception as error:  # each caller of this read hears it
                    _answer(asked, error=error)
                else:
                    _answer(asked, found=found)
                asked = {}
        finally:  # stopped (its loop closing) with callers waiting: none waits forever
            waiting.busy = False
            stopped = RuntimeError("the shared read was stopped")
            _answer(asked, error=stopped)
            _answer(waiting.callers, error=stopped)
            waiting.callers.clear()


def _answer(callers: dict[K, list[asyncio.Future[V | None]]], *, found: dict[K, V] | None = None,
            error: Exception | None = None) -> None:
    for key, futures in callers.items():
        for future in futures:
            if future.done():  # the caller gave up
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result((found or {}).get(key))
