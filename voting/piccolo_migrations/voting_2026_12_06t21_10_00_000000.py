"""The server's stamp on the ballot box (voting.box_stamps): `sealed_ballot.stamp` and
`poll_voter.stamp`, an HMAC under a key derived from the server key, so a ballot or register
row put in by anyone but the application is refused at the count.

Existing data: the rows of polls still open or being counted are stamped here, with the
server key of the environment the migration runs in (the application's own: `make run` and
the hall's service run migrations with the same PIAOJUE_DATA / PIAOJUE_SECRET). Rows of polls
already counted need no stamp: the check is made only at the count.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T21:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sealed_ballot.stamp, poll_voter.stamp"


async def stamp_live_rows() -> int:
    """Stamp the sealed ballots and register rows of the polls open or being counted; returns how
    many rows were stamped."""
    from voting.box_stamps import box_stamp, register_stamp

    engine = engine_finder()
    live = "SELECT id FROM poll WHERE status IN ('open', 'counting')"
    stamped = 0
    for row in await engine.run_ddl(f"SELECT id, poll, box FROM sealed_ballot WHERE poll IN ({live})") or []:
        await engine.run_ddl(f"UPDATE sealed_ballot SET stamp = '{box_stamp(int(row['poll']), row['box'])}' "
                             f"WHERE id = '{str(row['id']).replace(chr(39), '')}'")
        stamped += 1
    for row in await engine.run_ddl(f"SELECT key, poll, deputy, voted, medium FROM poll_voter WHERE poll IN ({live})") or []:
        stamp = register_stamp(int(row["poll"]), int(row["deputy"]), bool(row["voted"]), row["medium"])
        await engine.run_ddl(f"UPDATE poll_voter SET stamp = '{stamp}' WHERE key = '{str(row['key']).replace(chr(39), '')}'")
        stamped += 1
    return stamped


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for table in ("sealed_ballot", "poll_voter"):
            await engine.run_ddl(f"ALTER TABLE {table} ADD COLUMN \"stamp\" VARCHAR(64) NOT NULL DEFAULT ''")
        await stamp_live_rows()

    manager.add_raw(run)
    return manager
