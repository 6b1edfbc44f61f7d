"""Deputy numbers are stored in upper case (voting.roster.normalise_number), so a number typed
in lower case finds its deputy everywhere. Numbers already stored in lower case are raised,
unless the term already holds the same number in upper case (left for the clerk; an import
preview names such a pair)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T09:13:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "deputy numbers in upper case"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            'UPDATE deputy SET "number" = UPPER("number") WHERE "number" <> UPPER("number") AND NOT EXISTS '
            '(SELECT 1 FROM deputy AS other WHERE other."term" = deputy."term" AND other."number" = UPPER(deputy."number"))')

    manager.add_raw(run)
    return manager
