"""The insider-proof ballot: the poll's public key from the key ceremony, sealed tablet ballots,
and the number of scrutineers' key cards that open a poll (k of n), set per session.

Raw SQL, so both engines get exactly these tables: `sealed_ballot` holds a random id and the
sealed box only (WITHOUT ROWID on SQLite, like `ballot`); `poll_key` keeps the public key and
who holds which card, never the private key or a card's text.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "poll keys, sealed ballots, key threshold per session"


def statements(sqlite: bool) -> list[str]:
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ"  # on SQLite too: the type name Piccolo reads back as a datetime
    now = "CURRENT_TIMESTAMP"
    without_rowid = " WITHOUT ROWID" if sqlite else ""
    return [
        'ALTER TABLE "sitting" ADD COLUMN "key_threshold" INTEGER NOT NULL DEFAULT 2',
        f"""CREATE TABLE "poll_key" ("id" {serial},
            "poll" INTEGER NOT NULL REFERENCES "poll" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
            "public_key" VARCHAR(64) NOT NULL, "fingerprint" VARCHAR(9) NOT NULL,
            "threshold" INTEGER NOT NULL, "holders" TEXT NOT NULL DEFAULT '[]',
            "made_by" VARCHAR(80) NOT NULL DEFAULT '', "made_at" {stamp} NOT NULL DEFAULT {now},
            "reason" TEXT NOT NULL DEFAULT '', "forgotten_at" {stamp})""",
        'CREATE INDEX "poll_key_poll" ON "poll_key" ("poll")',
        f"""CREATE TABLE "sealed_ballot" ("id" VARCHAR(40) PRIMARY KEY NOT NULL,
            "poll" INTEGER NOT NULL REFERENCES "poll" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
            "box" TEXT NOT NULL){without_rowid}""",
        'CREATE INDEX "sealed_ballot_poll" ON "sealed_ballot" ("poll")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in statements(engine.engine_type == "sqlite"):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
