"""Indexes Piccolo's column options cannot express: the stage counts of a round read one index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T14:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "proposal (round, stage) index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS proposal_round_stage ON proposal ("round", "stage")')

    manager.add_raw(run)
    return manager
