"""Settings read once from the environment.

PIAOJUE_DATA   where the embedded database and other data live (default ./var)
DATABASE_URL   postgresql://user:pass@host:port/db to use PostgreSQL instead of SQLite
PORT           the port `make run` serves on (default 8000)
PIAOJUE_DEMO   0 to skip loading demo data into an empty database
PIAOJUE_PUBLIC_URL  the address tablets use (https://192.168.1.10:8443): printed on login cards
               and QR codes and shown on the big screen (web/addresses.py)
PIAOJUE_NOTIFY_MINUTES  how often the server sends queued SMS and looks for deadlines and overdue
               reports to remind of (lifecycle.reminders; default 10, 0: never, use `python -m lifecycle notify`)
PIAOJUE_SMS_*  Tencent Cloud SMS for proposers who left a mobile number (lifecycle.sms_tencent):
               SECRET_ID, SECRET_KEY, APP_ID (SmsSdkAppId), SIGN_NAME, TEMPLATE_ID, all five, or SMS
               is not configured and nothing is queued for sending; REGION (default ap-guangzhou) and
               ENDPOINT (default https://sms.tencentcloudapi.com) rarely change
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


# Tencent Cloud SMS: the variable of each setting; the first five must all be set.
SMS_REQUIRED = {"secret_id": "PIAOJUE_SMS_SECRET_ID", "secret_key": "PIAOJUE_SMS_SECRET_KEY",
                "app_id": "PIAOJUE_SMS_APP_ID", "sign_name": "PIAOJUE_SMS_SIGN_NAME",
                "template_id": "PIAOJUE_SMS_TEMPLATE_ID"}
SMS_REGION, SMS_ENDPOINT = "ap-guangzhou", "https://sms.tencentcloudapi.com"


@dataclass(frozen=True)
class SmsSettings:
    secret_id: str
    secret_key: str
    app_id: str
    sign_name: str
    template_id: str
    region: str
    endpoint: str

    @property
    def missing(self) -> list[str]:
        """The variables not set (SMS is configured when there are none)."""
        return [name for field, name in SMS_REQUIRED.items() if not getattr(self, field)]


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    port: int
    demo: bool
    secure_cookies: bool
    public_url: str
    notify_minutes: float
    sms: SmsSettings

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
        notify_minutes=float(os.environ.get("PIAOJUE_NOTIFY_MINUTES") or 10),
        sms=SmsSettings(**{field: os.environ.get(name, "").strip() for field, name in SMS_REQUIRED.items()},
                        region=os.environ.get("PIAOJUE_SMS_REGION", "").strip() or SMS_REGION,
                        endpoint=(os.environ.get("PIAOJUE_SMS_ENDPOINT", "").strip() or SMS_ENDPOINT).rstrip("/")),
    )
