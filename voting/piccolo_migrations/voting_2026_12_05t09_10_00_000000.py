"""paper_not_returned: an issued paper ballot the deputy did not hand back, with the reason."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-05T09:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "paper ballots declared not returned"


class Poll(Table, tablename="poll", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)
    manager.add_table(class_name="PaperNotReturned", tablename="paper_not_returned", schema=None, columns=None)
    columns = (
        ("poll", ForeignKey, _params(references=Poll, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
                                     target_column=None, null=True, index=True)),
        ("reason", Text, _params(default="")),
        ("recorded_by", Varchar, _params(length=80, default="")),
        ("at", Timestamptz, _params(default=TimestamptzNow())),
    )
    for name, column_class, params in columns:
        manager.add_column(table_class_name="PaperNotReturned", tablename="paper_not_returned", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
