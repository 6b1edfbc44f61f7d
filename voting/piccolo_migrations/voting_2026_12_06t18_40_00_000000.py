"""A deputy's own text size on the tablet (大字), kept with the deputy so it follows them to
whichever tablet they pick up."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "deputy.large_text"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)
    manager.add_column(table_class_name="Deputy", tablename="deputy", column_name="large_text",
                       db_column_name="large_text", column_class_name="Boolean", column_class=Boolean,
                       params={"default": False, "null": False, "primary_key": False, "unique": False,
                               "index": False, "index_method": IndexMethod.btree, "choices": None,
                               "db_column_name": None, "secret": False},
                       schema=None)
    return manager
