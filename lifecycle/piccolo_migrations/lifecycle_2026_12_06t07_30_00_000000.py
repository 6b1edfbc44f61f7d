"""project.plan_submitted_at: a department submits its implementation plan and the secretariat
publishes it or returns it (lifecycle.projects.submit_plan / return_plan)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T07:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "implementation plans submitted for review"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Project", tablename="project", column_name="plan_submitted_at",
        db_column_name="plan_submitted_at", column_class_name="Timestamptz", column_class=Timestamptz,
        params={"default": None, "null": True, "primary_key": False, "unique": False, "index": False,
                "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None)
    return manager
