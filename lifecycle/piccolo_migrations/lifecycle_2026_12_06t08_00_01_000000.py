"""Replies given before rectification rounds existed become each request's first round (closed if
the request was closed). Piccolo runs a migration's raw steps before its new tables: hence a
migration of its own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T08:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "earlier replies become first rounds"


async def first_rounds() -> None:
    await engine_finder().run_ddl(
        'INSERT INTO rectification_reply (rectification, round, reply, "by", at, verdict, verdict_note, verdict_by, '
        "verdict_at) SELECT id, 1, reply, '承办部门', COALESCE(replied_at, at), "
        "CASE WHEN status = 'closed' THEN 'closed' ELSE '' END, '', "
        "CASE WHEN status = 'closed' THEN closed_by ELSE '' END, CASE WHEN status = 'closed' THEN closed_at END "
        "FROM rectification WHERE reply <> ''")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    manager.add_raw(first_rounds)
    return manager
