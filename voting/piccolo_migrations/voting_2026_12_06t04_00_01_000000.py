"""Uploads an earlier version kept under the data directory (uploads/ab/ab…) copied into
stored_file, each checked against its name (the SHA-256 of its content; a damaged file is left
out). The directory is left in place for the operator to remove once the new version runs.
Files a preview was waiting on (pending-uploads/) are not copied: they expire after two hours."""

import hashlib
import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-06T04:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "uploads on disk copied into the database"


async def copy_files_from_disk() -> int:
    import config

    root = config.settings().data_dir / "uploads"
    copied = 0
    for path in sorted(root.glob("??/*")) if root.is_dir() else []:
        if not re.fullmatch(r"[0-9a-f]{64}", path.name):
            continue  # a half-written ".part-" file
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() != path.name:
            continue
        await engine_finder().run_querystring(QueryString(
            "INSERT INTO stored_file (sha256, size, content, stored_at) VALUES ({}, {}, {}, CURRENT_TIMESTAMP) "
            "ON CONFLICT (sha256) DO NOTHING", path.name, len(content), content))
        copied += 1
    return copied


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)
    manager.add_raw(copy_files_from_disk)
    return manager
