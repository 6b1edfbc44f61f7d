"""Piccolo picks its engine here: PostgreSQL when DATABASE_URL says so, else embedded SQLite."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from config import settings
from voting.sqlite_pool import PooledSQLiteEngine

_settings = settings()

if _settings.engine == "postgresql":
    DB = PostgresEngine(config={"dsn": _settings.database_url})
else:
    _settings.data_dir.mkdir(parents=True, exist_ok=True)
    # A generous busy timeout: writers are serialised in-process (voting.database),
    # this only covers a second process such as the command line.
    DB = PooledSQLiteEngine(path=str(_settings.sqlite_path), timeout=30)

APP_REGISTRY = AppRegistry(apps=["voting.piccolo_app", "lifecycle.piccolo_app"])
