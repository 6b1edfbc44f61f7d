"""Piccolo picks its engine here: PostgreSQL when DATABASE_URL says so, else embedded SQLite."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from config import settings
from voting.sqlite_pool import PooledSQLiteEngine

_settings = settings()

if _settings.engine == "postgresql":
    # A multi-host DATABASE_URL (…@primary:5432,replica:5432/piaojue?target_session_attrs=read-write)
    # is tried host by host: `timeout` bounds each connection attempt, so a primary that vanished
    # without refusing costs seconds, not asyncpg's default minute (docs/failover.md).
    DB = PostgresEngine(config={"dsn": _settings.database_url, "timeout": 10})
else:
    _settings.data_dir.mkdir(parents=True, exist_ok=True)
    # A generous busy timeout: writers are serialised in-process (voting.database),
    # this only covers a second process such as the command line.
    DB = PooledSQLiteEngine(path=str(_settings.sqlite_path), timeout=30)

APP_REGISTRY = AppRegistry(apps=["voting.piccolo_app", "lifecycle.piccolo_app"])
