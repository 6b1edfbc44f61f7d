"""notification and sms_outbox: the notification centre (lifecycle.notifications), each notice once
per event (a unique key), and the SMS outbox its sender works through (lifecycle.sms)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T14:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications and the SMS outbox"


class Notification(Table, tablename="notification", schema=None):
    pass


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


TABLES = {
    ("Notification", "notification"): (
        ("event_key", Varchar, _params(length=160, default="", unique=True)),
        ("recipient", Varchar, _params(length=12, default="")),
        ("recipient_id", Integer, _params(default=0, index=True)),
        ("text", Text, _params(default="")),
        ("link", Varchar, _params(length=200, default="")),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("read_at", Timestamptz, _params(default=None, null=True)),
    ),
    ("SmsMessage", "sms_outbox"): (
        ("notification", ForeignKey, _params(references=Notification, on_delete=OnDelete.set_null,
                                             on_update=OnUpdate.cascade, target_column=None, default=None,
                                             null=True)),
        ("phone", Varchar, _params(length=20, default="")),
        ("params", JSON, _params(default="[]")),
        ("status", Varchar, _params(length=10, default="queued", index=True)),
        ("attempts", Integer, _params(default=0)),
        ("next_try_at", Timestamptz, _params(default=TimestamptzNow())),
        ("provider_id", Varchar, _params(length=80, default="")),
        ("last_error", Text, _params(default="")),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
        ("sent_at", Timestamptz, _params(default=None, null=True)),
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(table_class_name=class_name, tablename=tablename, column_name=name,
                               db_column_name=name, column_class_name=column_class.__name__,
                               column_class=column_class, params=params, schema=None)
    return manager
