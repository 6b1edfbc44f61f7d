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
