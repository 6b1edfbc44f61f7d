"""Screening and implementing departments become different roles. A department login not tied to
any implementing department could only ever screen proposals: it becomes a 初审部门 (`screener`)
login; one tied to a department stays a 承办部门 (`department`) login and loses the proposal pool
(web.auth.require_screener)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "screening departments apart from implementing ones"


async def split_roles() -> None:
    await engine_finder().run_ddl(
        "UPDATE staff_account SET role = 'screener' WHERE role = 'department' "
        "AND id NOT IN (SELECT staff FROM department_staff)")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    manager.add_raw(split_roles)
    return manager
