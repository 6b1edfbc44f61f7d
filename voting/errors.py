"""Refusals: what a person asked for that the rules do not allow, in words they can act on."""

from __future__ import annotations


class Refused(Exception):
    """A request the rules refuse. `message` is Chinese, shown as is; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(Refused):
    status_code = 404

    def __init__(self, message: str = "没有找到您要的内容") -> None:
        super().__init__(message, code="not_found")


class Conflict(Refused):
    status_code = 409


class Forbidden(Refused):
    status_code = 403

    def __init__(self, message: str = "您没有权限进行此操作") -> None:
        super().__init__(message, code="forbidden")


class Throttled(Refused):
    status_code = 429


class StorageNotScrubbed(Refused):
    """The count is stored, but SQLite's write-ahead log could not be emptied after it: it still
    holds the vote's writes. Loud on purpose (voting.database.after_seal)."""

    status_code = 503

    def __init__(self, message: str) -> None:
        super().__init__(message, code="wal_not_checkpointed")
