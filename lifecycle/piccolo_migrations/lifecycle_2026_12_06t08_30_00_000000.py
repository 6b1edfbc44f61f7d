"""supervision_settings: whether 基本满意 opens a rectification like 不满意, and its deadline
(lifecycle.evaluation: a verdict's consequences)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "what a satisfaction verdict sets off"


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    for name, column_class, params in (("rectify_basically", Boolean, _params(default=False)),
                                       ("verdict_rectify_days", Integer, _params(default=90))):
        manager.add_column(table_class_name="SupervisionSettings", tablename="supervision_settings", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
