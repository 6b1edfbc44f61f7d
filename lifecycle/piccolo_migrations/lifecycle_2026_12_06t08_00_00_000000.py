"""rectification_reply: every round of a rectification (the department's reply, and the group's
销号 or 不予销号 with its reason), so a reply sent back stays in the history."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rectification rounds"


class Rectification(Table, tablename="rectification", schema=None):
    pass


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


COLUMNS = (
    ("rectification", ForeignKey, _params(references=Rectification, on_delete=OnDelete.cascade,
                                          on_update=OnUpdate.cascade, target_column=None, index=True, default=None,
                                          null=True)),
    ("round", Integer, _params(default=0)),
    ("reply", Text, _params(default="")),
    ("by", Varchar, _params(length=80, default="")),
    ("at", Timestamptz, _params(default=TimestamptzNow())),
    ("verdict", Varchar, _params(length=12, default="")),
    ("verdict_note", Text, _params(default="")),
    ("verdict_by", Varchar, _params(length=80, default="")),
    ("verdict_at", Timestamptz, _params(default=None, null=True)),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    manager.add_table(class_name="RectificationReply", tablename="rectification_reply", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(table_class_name="RectificationReply", tablename="rectification_reply", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
