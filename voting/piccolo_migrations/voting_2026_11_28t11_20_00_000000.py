"""Constraints Piccolo cannot declare, and secret storage for the ballot box.

- Unique indexes (Piccolo's composite `Unique` emits SQL that SQLite rejects):
  one check-in per deputy per session, one deputy number per term, one candidate
  ref per poll, one login code per deputy.
- SQLite: `ballot` and `poll_voter` rebuilt WITHOUT ROWID, so rows are stored in
  the order of their keys (random ballot ids; poll and deputy ids), never in the
  order ballots arrived.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T11:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes, WITHOUT ROWID ballot storage"

UNIQUE_INDEXES = [
    'CREATE UNIQUE INDEX IF NOT EXISTS check_in_once ON check_in ("session", "deputy")',
    'CREATE UNIQUE INDEX IF NOT EXISTS deputy_number_per_term ON deputy ("term", "number")',
    'CREATE UNIQUE INDEX IF NOT EXISTS candidate_ref_per_poll ON candidate ("poll", "ref")',
    'CREATE UNIQUE INDEX IF NOT EXISTS deputy_login_code ON deputy ("login_code_hash")',
    'CREATE INDEX IF NOT EXISTS ballot_poll ON ballot ("poll")',
    'CREATE INDEX IF NOT EXISTS poll_voter_poll ON poll_voter ("poll")',
]

SQLITE_REBUILD = [
    """CREATE TABLE ballot_secret ("id" VARCHAR(40) PRIMARY KEY NOT NULL,
        "poll" INTEGER REFERENCES "poll" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
        "marks" TEXT NOT NULL DEFAULT '{}', "void" BOOLEAN NOT NULL DEFAULT false) WITHOUT ROWID""",
    'INSERT INTO ballot_secret SELECT "id", "poll", "marks", "void" FROM ballot',
    "DROP TABLE ballot",
    "ALTER TABLE ballot_secret RENAME TO ballot",
    """CREATE TABLE poll_voter_secret ("key" VARCHAR(40) PRIMARY KEY NOT NULL,
        "poll" INTEGER REFERENCES "poll" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
        "deputy" INTEGER REFERENCES "deputy" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
        "voted" BOOLEAN NOT NULL DEFAULT false) WITHOUT ROWID""",
    'INSERT INTO poll_voter_secret SELECT "key", "poll", "deputy", "voted" FROM poll_voter',
    "DROP TABLE poll_voter",
    "ALTER TABLE poll_voter_secret RENAME TO poll_voter",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if engine.engine_type == "sqlite":
            for statement in SQLITE_REBUILD:
                await engine.run_ddl(statement)
        for statement in UNIQUE_INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
