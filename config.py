"""Settings read once from the environment.

PIAOJUE_DATA   where the embedded database and other data live (default ./var)
DATABASE_URL   postgresql://user:pass@host:port/db to use PostgreSQL instead of SQLite
PORT           the port `make run` serves on (default 8000)
PIAOJUE_DEMO   0 to skip loading demo data into an empty database
PIAOJUE_PUBLIC_URL  the address tablets use (https://192.168.1.10:8443): printed on login cards
               and QR codes and shown on the big screen (web/addresses.py)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    port: int
    demo: bool
    secure_cookies: bool
    public_url: str

    @property
    def engine(self) -> str:
        return "postgresql" if self.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "piaojue.sqlite3"


@lru_cache(maxsize=1)
def settings() -> Settings:
    data_dir = Path(os.environ.get("PIAOJUE_DATA") or "./var").resolve()
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL", "").strip(),
        port=int(os.environ.get("PORT") or 8000),
        demo=os.environ.get("PIAOJUE_DEMO", "1") != "0",
        secure_cookies=os.environ.get("PIAOJUE_SECURE_COOKIES", "0") == "1",
        public_url=os.environ.get("PIAOJUE_PUBLIC_URL", "").strip().rstrip("/"),
    )
