"""Piccolo's SQLite engine with its connections kept open.

Piccolo opens a new aiosqlite connection (a new thread and a new file handle) for
every query outside a transaction and for every transaction. In a hall where
hundreds of tablets submit within seconds, that start-up cost, not SQLite, becomes
the bottleneck. This engine keeps a few connections per event loop and lends them
out; a lent connection is handed back instead of closed.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiosqlite
from aiosqlite import Connection
from piccolo.engine.sqlite import SQLiteEngine, dict_factory


class _Pool:
    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[Connection] = []
        self.opened = 0
        self.available = asyncio.Condition()


class _Lease:
    """A pooled connection as Piccolo's transactions see it: `close()` hands it back."""

    def __init__(self, engine: "PooledSQLiteEngine", connection: Connection) -> None:
        object.__setattr__(self, "_engine", engine)
        object.__setattr__(self, "_connection", connection)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def close(self) -> None:
        await self._engine.release(self._connection)


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, pool_size: int = 8, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.pool_size = pool_size
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()

    def _pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _Pool(self.pool_size)
        return pool

    async def acquire(self) -> Connection:
        pool = self._pool()
        async with pool.available:
            while not pool.idle and pool.opened >= pool.size:
                await pool.available.wait()
            if pool.idle:
                return pool.idle.pop()
            pool.opened += 1
        try:
            return await self._open()
        except BaseException:
            async with pool.available:
                pool.opened -= 1
                pool.available.notify()
            raise

    async def _open(self) -> Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # A kept connection's worker thread must not hold the process open at exit
        # (the command line and migrations never close the pool).
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        # A deleted row (a sealed ballot after the count, a paper entry) is overwritten with zeros,
        # not left on a free page for anyone who reads the file.
        await connection.execute("PRAGMA secure_delete = ON")
        return connection

    async def release(self, connection: Connection) -> None:
        pool = self._pool()
        try:
            if connection.in_transaction:
                await connection.rollback()
        except Exception:
            await connection.close()
            async with pool.available:
                pool.opened -= 1
                pool.available.notify()
            return
        async with pool.available:
            pool.idle.append(connection)
            pool.available.notify()

    async def close_pool(self) -> None:
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            for connection in pool.idle:
                await connection.close()

    async def get_connection(self) -> Any:  # used by Piccolo's transactions
        return _Lease(self, await self.acquire())

    # Each statement is one trip to the connection's thread (aiosqlite's execute_fetchall)
    # rather than Piccolo's four (foreign keys pragma, execute, fetch, close): under a
    # hall's load the trips between the event loop and the threads, not SQLite, cost most.
    # The pragma is set once per pooled connection (`_open`); inside a transaction SQLite
    # ignores it anyway.

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None) -> Any:
        connection = await self.acquire()
        try:
            rows = await connection.execute_fetchall(query, args or [])
            if connection.in_transaction:
                await connection.commit()
            return list(rows)
        finally:
            await self.release(connection)

    async def _run_in_existing_connection(self, connection: Any, query: str, args: list[Any] | None = None,
                                          query_type: str = "generic", table: Any = None) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's way
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        return list(await connection.execute_fetchall(query, args or []))
