"""Proposals entered before release existed stay public as they were: released when they were
entered. Piccolo runs a migration's raw steps before its new columns: hence a migration of its own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T14:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "earlier proposals count as released"


async def released_as_entered() -> None:
    await engine_finder().run_ddl("UPDATE proposal SET released_at = created_at WHERE released_at IS NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    manager.add_raw(released_as_entered)
    return manager
