"""One notice number per session (Piccolo's composite Unique is unusable on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique notice number per session"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS notice_number_per_session ON notice ("session", "number")')

    manager.add_raw(run)
    return manager
