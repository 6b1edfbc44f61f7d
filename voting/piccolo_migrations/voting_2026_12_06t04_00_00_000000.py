"""stored_file and pending_upload: uploads in the database, so several app nodes share them
(the files an earlier version kept on disk are copied in by the next migration: Piccolo runs a
migration's raw steps before its new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "uploads kept in the database"


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


TABLES = {
    ("StoredFile", "stored_file"): (
        ("sha256", Varchar, _params(length=64, default="", unique=True)),
        ("size", Integer, _params(default=0)),
        ("content", Bytea, _params(default=b"")),
        ("stored_at", Timestamptz, _params(default=TimestamptzNow())),
    ),
    ("PendingUpload", "pending_upload"): (
        ("token", Varchar, _params(length=32, default="", unique=True)),
        ("purpose", Varchar, _params(length=60, default="")),
        ("owner", Integer, _params(default=0)),
        ("filename", Varchar, _params(length=255, default="")),
        ("content", Bytea, _params(default=b"")),
        ("kept_at", Timestamptz, _params(default=TimestamptzNow())),
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(table_class_name=class_name, tablename=tablename, column_name=name,
                               db_column_name=name, column_class_name=column_class.__name__,
                               column_class=column_class, params=params, schema=None)
    return manager
