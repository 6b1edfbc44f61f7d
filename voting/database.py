"""How this application talks to its database, whichever engine it is.

SQLite lets one writer in at a time. Writers in this process therefore queue on one
lock and start IMMEDIATE transactions, so a write never fails with "database is
locked" halfway through; readers never wait (write-ahead log). PostgreSQL takes
concurrent writers as they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import TransactionType

from voting.errors import StorageNotScrubbed

_write_locks: dict[int, asyncio.Lock] = {}
CHECKPOINT_TRIES = 5
CHECKPOINT_WAIT_MS = 1000


# aiosqlite logs every statement with its parameters at DEBUG level: a ballot's marks
# must never reach a log, whatever level an operator turns logging up to (web/logs.py sets
# the same for the server; this holds for scripts and tests that never import it).
logging.getLogger("aiosqlite").setLevel(logging.WARNING)
log = logging.getLogger("piaojue.database")


def engine() -> Engine:
    found = engine_finder()
    assert found is not None, "piccolo_conf.py defines no engine"
    return found


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


def engine_name() -> str:
    return "sqlite" if is_sqlite() else "postgresql"


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or went away under the request:
    PostgreSQL restarting or failing over to its replica (refused or dropped connections, a
    standby that does not take writes yet, a commit whose outcome never came back). Nothing the
    caller was told of was committed by it, and the same request may be sent again: a ballot
    sent twice is taken once (the second is refused as already voted)."""
    if isinstance(error, ConnectionError):
        return True
    try:
        import asyncpg
        from asyncpg.exceptions import (AdminShutdownError, CannotConnectNowError, CrashShutdownError,
                                        ReadOnlySQLTransactionError, TargetServerAttributeNotMatched)
    except ImportError:  # pragma: no cover - asyncpg comes with piccolo[postgres]
        return False
    if isinstance(error, (asyncpg.PostgresConnectionError, AdminShutdownError, CannotConnectNowError,
                          CrashShutdownError, ReadOnlySQLTransactionError, TargetServerAttributeNotMatched)):
        return True
    return isinstance(error, asyncpg.InterfaceError) and "closed" in str(error)


def _write_lock() -> asyncio.Lock:
    loop_id = id(asyncio.get_running_loop())
    lock = _write_locks.get(loop_id)
    if lock is None:
        lock = _write_locks[loop_id] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """One transaction that writes; nested calls join the outer one."""
    db = engine()
    current = db.current_transaction.get()
    if current is not None:
        yield current
        return
    if db.engine_type != "sqlite":
        transaction = db.transaction()
        await _begin_postgres(db, transaction)
        try:
            yield transaction
        except BaseException as error:
            await _end_postgres(db, transaction, error)
            raise
        else:
            await _end_postgres(db, transaction, None)
        return
    async with _write_lock():
        transaction = db.transaction(TransactionType.immediate)
        try:
            await transaction.__aenter__()
        except BaseException:
            connection = getattr(transaction, "connection", None)
            if connection is not None:  # a failed BEGIN must not leak its connection
                await connection.close()
            raise
        try:
            yield transaction
        except BaseException as error:
            await transaction.__aexit__(type(error), error, error.__traceback__)
            raise
        else:
            await transaction.__aexit__(None, None, None)


async def _begin_postgres(db: Engine, transaction: Any) -> None:
    """Piccolo's __aenter__, without leaking the pool's connection when BEGIN fails on it."""
    try:
        await transaction.__aenter__()
    except BaseException:
        connection = getattr(transaction, "connection", None)
        if connection is not None:
            await _give_back(db, connection)
        raise


async def _give_back(db: Engine, connection: Any) -> None:
    with contextlib.suppress(Exception):
        if db.pool is not None:
            await db.pool.release(connection)
        else:
            await connection.close()


async def _end_postgres(db: Engine, transaction: Any, error: BaseException | None) -> None:
    """Piccolo's __aexit__ (commit, or roll back after `error`), made safe for a connection that
    died under it (the primary failing over): when the commit or rollback raises, the connection
    still goes back to the pool (which replaces a dead one) and this task's context forgets the
    transaction. Piccolo leaves both undone then, and the task (the group-commit writer lives for
    the whole process) would join the dead transaction with every later write."""
    try:
        await transaction.__aexit__(type(error) if error else None, error, error.__traceback__ if error else None)
    except BaseException:
        if db.current_transaction.get() is transaction:
            await _give_back(db, transaction.connection)
            db.current_transaction.reset(transaction.context)
        raise


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL written with `{}` placeholders (Piccolo's) and return the rows."""
    from piccolo.querystring import QueryString

    rows = await engine().run_querystring(QueryString(sql, *args))
    return [dict(row) for row in rows or []]


async def fetch_value(sql: str, *args: Any) -> Any:
    rows = await fetch(sql, *args)
    if not rows:
        return None
    return next(iter(rows[0].values()))


async def prepare() -> None:
    """Once per process start: engine settings that are not migrations."""
    db = engine()
    if db.engine_type == "sqlite":
        await db.run_ddl("PRAGMA journal_mode = WAL")
    else:
        await db.start_connection_pool(min_size=2, max_size=20)


async def shutdown() -> None:
    db = engine()
    if db.engine_type != "sqlite":
        await db.close_connection_pool()
    elif hasattr(db, "close_pool"):
        await db.close_pool()


async def _checkpoint(db: Any) -> int:
    """One TRUNCATE checkpoint, waiting at most CHECKPOINT_WAIT_MS for readers (not the connection's
    long busy timeout, which would hold the count for minutes); 1 if a reader kept it from finishing."""
    connection = await db.acquire()  # the pooled engine of piccolo_conf.py: one connection for all three
    try:
        before = await (await connection.execute("PRAGMA busy_timeout")).fetchone()
        await connection.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        try:
            row = await (await connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")).fetchone()
        finally:
            await connection.execute(f"PRAGMA busy_timeout = {int(next(iter(before.values())))}")
    finally:
        await db.release(connection)
    return int(row["busy"]) if row else 1


async def _vacuum(db: Any) -> None:
    """Write the whole database file anew (SQLite's VACUUM), each page holding only live rows."""
    connection = await db.acquire()
    try:
        await connection.execute("VACUUM")
    finally:
        await db.release(connection)


async def after_seal(tables: Sequence[str], *, rewrite: bool = False) -> None:
    """After a poll's ballots are sealed, leave no trace of their arrival order behind.

    SQLite: write the file anew (VACUUM), then fold the write-ahead log (which records pages
    in commit order) into the database file and empty it. secure_delete zeroes a deleted row
    where it is stored, but not the stale copies of it that a b-tree page rebuilt earlier
    (when rows were added around it) leaves in the page's unused space: a deleted sealed box
    could stay whole in the file. PostgreSQL: vacuum away the dead row versions the
    rewrite left; with `rewrite`, write the tables anew (VACUUM FULL), because a plain
    VACUUM frees a dead row's slot but leaves its bytes on the page.
    """
    db = engine()
    if db.engine_type == "sqlite":
        try:
            async with _write_lock():
                await _vacuum(db)
        except sqlite3.OperationalError as error:  # a full disk (it needs room for a copy), a lock held
            log.error("VACUUM after a count failed: %s", error)
            raise StorageNotScrubbed(
                "计票结果已保存，但数据库文件未能整理（VACUUM）：磁盘空间不足，或另有程序正在使用这个数据库。"
                "文件里可能还留有已删除的加密选票，请腾出磁盘空间（至少为数据库文件大小的两倍）、关闭其他"
                "打开本数据库的程序后，运行 python -m voting checkpoint，直到它报告已清空。") from None
        for attempt in range(CHECKPOINT_TRIES):
            async with _write_lock():
                busy = await _checkpoint(db)
            if not busy:
                return
            await asyncio.sleep(0.2 * (attempt + 1))
        raise StorageNotScrubbed(
            "计票结果已保存，但数据库的预写日志（WAL）未能清空：另有程序正在读这个数据库。"
            "日志里还有投票时的记录，请关闭其他打开本数据库的程序（备份、查看工具）后，"
            "运行 python -m voting checkpoint，直到它报告已清空。")
    else:
        for table in tables:
            await db.run_ddl(f"VACUUM {'FULL ' if rewrite else ''}{table}")
