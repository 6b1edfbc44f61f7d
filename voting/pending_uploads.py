"""Uploads kept on the server between a preview and its confirmation.

An import first shows the clerk what it would change; the confirmation must then apply
exactly the file that was previewed. So the file's bytes never travel back through the
browser: they stay here under a random token, for the one staff member who uploaded
them and the one purpose they were uploaded for (``roster:<term id>``), and are read
back when the clerk confirms. The caller removes them once confirmed or cancelled
(:func:`drop`); any a clerk walked away from are removed after :data:`MAX_AGE`, when
the next file is kept. A roster holds personal data (phone numbers), so nothing stays
longer than needed.

Kept in the database (``pending_upload``), so the confirmation may reach another app node
than the preview did.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from voting.database import write_transaction
from voting.errors import NotFound
from voting.tables import PendingUpload

MAX_AGE = timedelta(hours=2)  # how long a kept upload waits for its confirmation
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
EXPIRED = "这次上传的预览已失效（已确认、已取消或超过 2 小时），请重新上传名册文件。"


@dataclass(frozen=True, slots=True)
class Held:
    token: str
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def keep(purpose: str, owner: int, filename: str, data: bytes) -> Held:
    """Keep an upload until it is confirmed or cancelled; returns it with its token."""
    await sweep()
    token = secrets.token_urlsafe(24)
    async with write_transaction():
        await PendingUpload.insert(PendingUpload(token=token, purpose=purpose, owner=owner,
                                                 filename=filename[:255], content=data, kept_at=_now()))
    return Held(token, filename[:255], data)


async def load(token: str, purpose: str, owner: int) -> Held:
    """The upload kept under ``token`` for this purpose and owner; :class:`NotFound` if there is
    none (confirmed, cancelled, expired, another person's or for something else)."""
    if not _TOKEN_RE.fullmatch(token or ""):
        raise NotFound(EXPIRED)
    row = await PendingUpload.select().where(PendingUpload.token == token).first()
    if row is None or row["purpose"] != purpose or row["owner"] != owner or _now() - row["kept_at"] > MAX_AGE:
        raise NotFound(EXPIRED)
    return Held(token, row["filename"], bytes(row["content"]))


async def drop(token: str) -> None:
    """Remove a kept upload (nothing happens if it is already gone)."""
    if not _TOKEN_RE.fullmatch(token or ""):
        return
    async with write_transaction():
        await PendingUpload.delete().where(PendingUpload.token == token)


async def sweep(now: datetime | None = None) -> int:
    """Remove uploads older than :data:`MAX_AGE`; returns how many."""
    limit = (now or _now()) - MAX_AGE
    async with write_transaction():
        old = await PendingUpload.select(PendingUpload.id).where(PendingUpload.kept_at < limit)
        if old:
            await PendingUpload.delete().where(PendingUpload.kept_at < limit)
    return len(old)
