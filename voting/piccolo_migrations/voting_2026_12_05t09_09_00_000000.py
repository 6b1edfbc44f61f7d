"""Sittings (全体会议): check-in and quorum per plenary meeting; staff approvals.

- `plenary_sitting`: a session's sittings, each planned, opened and closed by the secretariat.
- `check_in.sitting`, `poll.sitting`: the sitting a check-in belongs to and the one a poll
  opened in (its quorum is counted on that sitting's check-ins).
- `staff_approval`: console check-ins and new login codes asked for while a poll is open,
  waiting for a second staff account.
- `screen_tally`: the big screen's running totals, taken in steps of 20 ballots
  (voting.disclosure), with a unique (poll, returned).

Existing data: every session that has check-ins or a poll past its draft gets one sitting,
第一次全体会议 on the session's opening day, holding its check-ins and those polls. It is
left open while a poll of the session is open or being counted, closed otherwise. The
unique index on check-ins moves from (session, deputy) to (sitting, deputy).
"""

from datetime import datetime, timezone

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-05T09:09:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sittings (全体会议) for check-in and quorum; staff approvals"


# The tables as they are at this migration (tables.py may move on later).
class _Session(Table, tablename="sitting"):
    number = Integer()


class _Deputy(Table, tablename="deputy"):
    number = Varchar(length=20)


class _Sitting(Table, tablename="plenary_sitting"):
    session = ForeignKey(references=_Session, index=True)
    number = Integer()
    held_on = Date(null=True, default=None)
    starts_at = Varchar(length=5, default="")
    ends_at = Varchar(length=5, default="")
    status = Varchar(length=10, default="planned")
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class _StaffApproval(Table, tablename="staff_approval"):
    session = ForeignKey(references=_Session, index=True)
    deputy = ForeignKey(references=_Deputy)
    kind = Varchar(length=20)
    reason = Text(default="")
    requested_by_key = Varchar(length=30)
    requested_by = Varchar(length=80)
    requested_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=10, default="pending")
    decided_by = Varchar(length=80, default="")
    decided_at = Timestamptz(null=True, default=None)


class _Poll(Table, tablename="poll"):
    ref = Varchar(length=80)


class _ScreenTally(Table, tablename="screen_tally"):
    poll = ForeignKey(references=_Poll, index=True)
    returned = Integer()
    totals = JSON()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        await _Sitting.create_table(if_not_exists=True)
        await _StaffApproval.create_table(if_not_exists=True)
        await _ScreenTally.create_table(if_not_exists=True)
        await engine.run_ddl('CREATE UNIQUE INDEX IF NOT EXISTS screen_tally_once ON screen_tally ("poll", "returned")')
        for table in ("check_in", "poll"):
            await engine.run_ddl(f'ALTER TABLE {table} ADD COLUMN "sitting" INTEGER NULL '
                                 'REFERENCES plenary_sitting ("id") ON DELETE CASCADE ON UPDATE CASCADE')
        sessions = await engine.run_ddl(
            'SELECT s.id AS id, s.starts_on AS starts_on, '
            '(SELECT COUNT(*) FROM poll p WHERE p.session = s.id AND p.status IN (\'open\', \'counting\')) AS live '
            'FROM sitting s WHERE EXISTS (SELECT 1 FROM check_in c WHERE c.session = s.id) '
            'OR EXISTS (SELECT 1 FROM poll p WHERE p.session = s.id AND p.status <> \'draft\') ORDER BY s.id')
        now = datetime.now(timezone.utc)
        for session in sessions or []:
            live = int(session["live"] or 0) > 0
            rows = await _Sitting.insert(_Sitting(
                session=session["id"], number=1, held_on=session["starts_on"], status="open" if live else "closed",
                opened_at=now, closed_at=None if live else now)).returning(_Sitting.id)
            sitting_id = rows[0]["id"]
            await engine.run_ddl(f'UPDATE check_in SET "sitting" = {int(sitting_id)} WHERE session = {int(session["id"])}')
            await engine.run_ddl(f'UPDATE poll SET "sitting" = {int(sitting_id)} '
                                 f'WHERE session = {int(session["id"])} AND status <> \'draft\'')
        await engine.run_ddl("DROP INDEX IF EXISTS check_in_once")
        await engine.run_ddl('CREATE UNIQUE INDEX IF NOT EXISTS check_in_once_per_sitting ON check_in ("sitting", "deputy")')
        await engine.run_ddl('CREATE INDEX IF NOT EXISTS check_in_session ON check_in ("session")')
        await engine.run_ddl('CREATE INDEX IF NOT EXISTS poll_sitting ON poll ("sitting")')

    manager.add_raw(run)
    return manager
