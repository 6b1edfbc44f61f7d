"""`help_request`: a deputy's 请求协助 from the tablet, and who handled it (voting.help_requests)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ID = "2026-12-06T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "help_request"


# The tables as they are at this migration (tables.py may move on later).
class _Deputy(Table, tablename="deputy"):
    number = Varchar(length=20)


class _HelpRequest(Table, tablename="help_request"):
    deputy = ForeignKey(references=_Deputy, index=True)
    place = Varchar(length=10, default="other")
    asked_at = Timestamptz(default=TimestamptzNow())
    handled_at = Timestamptz(null=True, default=None)
    handled_by = Varchar(length=80, default="")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)

    async def run():
        await _HelpRequest.create_table(if_not_exists=True)

    manager.add_raw(run)
    return manager
