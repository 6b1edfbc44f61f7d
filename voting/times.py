"""Time as the hall reads it: Beijing time (UTC+8, no daylight saving), stored times being UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))


def beijing(moment: datetime | None) -> str:
    """A stored time in Beijing time, to the minute ("" for none); a naive time is taken as UTC."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
