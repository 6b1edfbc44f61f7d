"""Backing up the embedded database while the hall votes.

SQLite's online backup copies the database as of one moment (a read transaction in
write-ahead-log mode), while tablets keep writing: the copy holds every ballot
committed before that moment and none after, never half a transaction. The copy is
checked with `PRAGMA integrity_check` before it is reported. PostgreSQL deployments
back up with `pg_dump` (see the README): this command says so rather than pretend.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from config import settings


class BackupError(Exception):
    pass


def backup_sqlite(dest: Path | None = None) -> dict[str, Any]:
    config = settings()
    if config.engine != "sqlite":
        raise BackupError("当前使用 PostgreSQL：请用 pg_dump 备份，例如 "
                          "pg_dump --format=custom --file=piaojue.dump \"$DATABASE_URL\"；"
                          "恢复用 pg_restore --clean --dbname=\"$DATABASE_URL\" piaojue.dump。")
    source_path = config.sqlite_path
    if not source_path.exists():
        raise BackupError(f"找不到数据库 {source_path}。")
    if dest is None:
        dest = config.data_dir / "backups" / f"piaojue-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.resolve() == source_path.resolve():
        raise BackupError("备份文件不能是数据库本身。")
    partial = dest.with_name(dest.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # one step: a consistent snapshot
        integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
        counts = {table: target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("poll", "ballot", "deputy")}
    finally:
        target.close()
        source.close()
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份副本完整性检查未通过：{integrity}")
    partial.replace(dest)
    return {"path": str(dest), "bytes": dest.stat().st_size, "integrity": integrity,
            "polls": counts["poll"], "ballots": counts["ballot"], "deputies": counts["deputy"]}


# --- Backups on a schedule while the hall server runs (voting.hall_server) -------------------

PREFIX = "piaojue-"


def backup_postgresql(dest: Path) -> dict[str, Any]:
    """`pg_dump --format=custom` of DATABASE_URL into `dest` (restore: pg_restore --clean)."""
    import subprocess

    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        done = subprocess.run(["pg_dump", "--format=custom", f"--file={partial}", settings().database_url],
                              capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as error:
        raise BackupError(f"无法运行 pg_dump：{error}") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:300]}")
    partial.replace(dest)
    return {"path": str(dest), "bytes": dest.stat().st_size, "integrity": "pg_dump ok"}


def take(directory: Path, now: datetime | None = None) -> dict[str, Any]:
    """One backup into `directory`, named by its time, for either engine."""
    stamp = f"{(now or datetime.now()):%Y%m%d-%H%M%S}"
    if settings().engine == "sqlite":
        return backup_sqlite(directory / f"{PREFIX}{stamp}.sqlite3")
    return backup_postgresql(directory / f"{PREFIX}{stamp}.dump")


def kept(directory: Path) -> list[Path]:
    """The backups in `directory`, oldest first (their names sort by time)."""
    if not directory.exists():
        return []
    return sorted(p for p in directory.iterdir() if p.name.startswith(PREFIX) and p.suffix in (".sqlite3", ".dump"))


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; the deleted paths."""
    old = kept(directory)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old
