"""Uploads kept on the server between a preview and its confirmation.

An import first shows the clerk what it would change; the confirmation must then apply
exactly the file that was previewed. So the file's bytes never travel back through the
browser: they stay here under a random token, for the one staff member who uploaded
them and the one purpose they were uploaded for (``roster:<term id>``), and are read
back when the clerk confirms. The caller removes them once confirmed or cancelled
(:func:`drop`); any a clerk walked away from are removed after :data:`MAX_AGE`, when
the next file is kept. A roster holds personal data (phone numbers), so nothing stays
longer than needed.

Filesystem only, under the data directory (shared by the server's workers).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import config
from voting.errors import NotFound

MAX_AGE = 2 * 3600  # seconds a kept upload waits for its confirmation
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


def _root() -> Path:
    return config.settings().data_dir / "pending-uploads"


def keep(purpose: str, owner: int, filename: str, data: bytes) -> Held:
    """Keep an upload until it is confirmed or cancelled; returns it with its token."""
    sweep()
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    meta = json.dumps({"purpose": purpose, "owner": owner, "filename": filename, "at": time.time()},
                      ensure_ascii=False).encode()
    _write(root / f"{token}.bin", data)
    _write(root / f"{token}.json", meta)  # written last: an upload without it is not found
    return Held(token, filename, data)


def load(token: str, purpose: str, owner: int) -> Held:
    """The upload kept under ``token`` for this purpose and owner; :class:`NotFound` if there is
    none (confirmed, cancelled, expired, another person's or for something else)."""
    if not _TOKEN_RE.fullmatch(token or ""):
        raise NotFound(EXPIRED)
    root = _root()
    try:
        meta = json.loads((root / f"{token}.json").read_text(encoding="utf-8"))
        data = (root / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise NotFound(EXPIRED) from None
    if meta.get("purpose") != purpose or meta.get("owner") != owner or time.time() - meta.get("at", 0) > MAX_AGE:
        raise NotFound(EXPIRED)
    return Held(token, meta.get("filename", ""), data)


def drop(token: str) -> None:
    """Remove a kept upload (nothing happens if it is already gone)."""
    if not _TOKEN_RE.fullmatch(token or ""):
        return
    for suffix in (".json", ".bin"):
        (_root() / f"{token}{suffix}").unlink(missing_ok=True)


def sweep(now: float | None = None) -> int:
    """Remove uploads older than :data:`MAX_AGE` (and halves of interrupted writes); returns how many files."""
    root = _root()
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - MAX_AGE
    removed = 0
    for path in root.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue
    return removed


def _write(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
