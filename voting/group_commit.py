"""Group commit: many small writes that arrive together share one transaction.

When 3,000 tablets press "submit" in the same seconds, one commit (one fsync) per
ballot would queue them for minutes on SQLite. The writer instead takes every
operation waiting at that moment, runs them in one transaction, commits, and only
then answers each caller: nobody hears "recorded" before their write is durable.

If the shared transaction fails (a deadlock on PostgreSQL between app workers, a
constraint), each operation of the batch is retried alone, so one bad operation
cannot sink the others.

An operation may also be `Batched`: many of the same kind that sit next to each other in
the queue are then done by one call with all their items, a few set-wise statements
instead of a few statements each (voting.ballot_box casts ballots so). Every await inside
the shared transaction waits its turn on a busy event loop; the fewer there are, the
sooner the transaction commits.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from voting.database import unavailable, write_transaction
from voting.errors import Refused

log = logging.getLogger("piaojue.group_commit")

Operation = Callable[[], Awaitable[Any]]
MAX_BATCH = 500


class Batched:
    """An operation done together with its neighbours in the queue of the same `run_many`:
    `await run_many([item, ...])` returns one result per item, in order."""

    __slots__ = ("run_many", "item")

    def __init__(self, run_many: Callable[[list[Any]], Awaitable[list[Any]]], item: Any) -> None:
        self.run_many = run_many
        self.item = item

    async def __call__(self) -> Any:
        return (await self.run_many([self.item]))[0]


class GroupCommitWriter:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[Operation | Batched, asyncio.Future[Any]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, operation: Operation | Batched) -> Any:
        """Run `operation` inside a shared write transaction; return once committed."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop = loop
            self._queue = asyncio.Queue()
            # A context of its own: the first caller's transaction, if any, must not become every batch's.
            self._task = loop.create_task(self._drain(), name="piaojue-group-commit", context=contextvars.Context())
        future: asyncio.Future[Any] = loop.create_future()
        assert self._queue is not None
        await self._queue.put((operation, future))
        return await asyncio.shield(future)

    async def stop(self) -> None:
        if self._task is not None and self._loop is not asyncio.get_running_loop():
            self._task = None  # its loop is gone or elsewhere; nothing to wait for here
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _drain(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[Operation | Batched, asyncio.Future[Any]]]) -> None:
        try:
            results: list[Any] = []
            async with write_transaction():
                n = 0
                while n < len(batch):
                    operation = batch[n][0]
                    if not isinstance(operation, Batched):
                        results.append(await operation())
                        n += 1
                        continue
                    end = n + 1
                    while end < len(batch) and isinstance(batch[end][0], Batched) \
                            and batch[end][0].run_many == operation.run_many:
                        end += 1
                    many = await operation.run_many([item.item for item, _ in batch[n:end]])
                    if len(many) != end - n:
                        raise RuntimeError("a batched operation returned the wrong number of results")
                    results += many
                    n = end
        except Exception as error:
            if unavailable(error):  # no database to retry against: every caller hears it now and may resend
                log.warning("database unavailable, %d write(s) not done: %s", len(batch), error)
                for _, future in batch:
                    _settle(future, error=error)
                return
            if len(batch) == 1:
                _, future = batch[0]
                if not isinstance(error, Refused):
                    log.exception("write failed")
                _settle(future, error=error)
                return
            log.warning("batch of %d failed; retrying one by one", len(batch))
            for item in batch:
                await self._commit([item])
            return
        for (_, future), result in zip(batch, results):
            _settle(future, result=result)


def _settle(future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


writer = GroupCommitWriter()
