"""The signed seal: the audit log becomes a hash chain (voting.audit_chain), and a scrutineer's
confirmation keeps the statement they signed, their public key and the signature
(voting.signed_seal). Entries already in the log are chained in id order as they stand.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-06T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit hash chain, signed confirmations"

STATEMENTS = [
    """ALTER TABLE "audit_entry" ADD COLUMN "prev_hash" VARCHAR(64) NOT NULL DEFAULT ''""",
    """ALTER TABLE "audit_entry" ADD COLUMN "entry_hash" VARCHAR(64) NOT NULL DEFAULT ''""",
    """ALTER TABLE "confirmation" ADD COLUMN "statement" TEXT NOT NULL DEFAULT ''""",
    """ALTER TABLE "confirmation" ADD COLUMN "public_key" VARCHAR(64) NOT NULL DEFAULT ''""",
    """ALTER TABLE "confirmation" ADD COLUMN "signature" TEXT NOT NULL DEFAULT ''""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        from voting import audit_chain

        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)
        rows = await engine.run_querystring(QueryString(
            'SELECT "id", "at", "actor", "action", "subject", "detail", "reason" FROM "audit_entry" ORDER BY "id"'))
        prev = audit_chain.GENESIS
        for row in rows or []:
            row = dict(row)
            digest = audit_chain.hash_of(row, prev)
            await engine.run_querystring(QueryString(
                'UPDATE "audit_entry" SET "prev_hash" = {}, "entry_hash" = {} WHERE "id" = {}', prev, digest, row["id"]))
            prev = digest
        await engine.run_ddl('CREATE INDEX "audit_entry_entry_hash" ON "audit_entry" ("entry_hash")')

    manager.add_raw(run)
    return manager
