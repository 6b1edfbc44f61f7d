"""The notification centre (通知): what lifecycle.notification_rules says to tell, stored for its
recipient, read where each of them looks, and marked read.

- A proposer reads theirs on the public tracking page, by the tracking code (their proposal's
  notices); an SMS goes too when they left a mobile number and SMS is configured (lifecycle.sms).
- An implementing department reads its own on the console's 通知 page (a count in its menu).
- A deputy reads theirs on the tablet's home page.

`tell` runs in the transaction of the change it reports, so a notice exists exactly when the
change does, and only once: each notice's key is unique (INSERT … ON CONFLICT DO NOTHING), so a
scan run again, or two workers scanning at once, add nothing twice. Marking as read is audited.
This module imports no other use case: they all call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from lifecycle import sms
from lifecycle.notification_rules import RECIPIENTS, Notice, ProjectFacts, Proposer
from lifecycle.tables import Department, Notification, Proposal
from voting import audit
from voting.audit import Actor
from voting.database import fetch, write_transaction
from voting.errors import NotFound
from voting.tables import Deputy

PAGE = 100


def _now() -> datetime:
    return datetime.now(timezone.utc)


def proposer(row: dict[str, Any]) -> Proposer:
    """A proposal row as the rules see its proposer."""
    return Proposer(row["id"], row["code"], row["title"], row.get("contact") or "", row.get("deputy"))


def project_facts(row: dict[str, Any]) -> ProjectFacts:
    return ProjectFacts(row["id"], row["title"], row["department"])


async def tell(notices: Sequence[Notice]) -> int:
    """Store each notice whose key is new, in the caller's transaction, and queue its SMS if it has
    one; returns how many were new."""
    fresh = list({n.key: n for n in notices}.values())
    if not fresh:
        return 0
    now = _now()
    values = ", ".join("({}, {}, {}, {}, {}, {})" for _ in fresh)
    args = [v for n in fresh for v in (n.key, n.to.kind, n.to.id, n.text, n.link, now)]
    async with write_transaction():
        rows = await fetch(
            f"INSERT INTO notification (event_key, recipient, recipient_id, text, link, created_at) VALUES {values} "
            "ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key", *args)
        stored = {r["event_key"]: r["id"] for r in rows}
        await sms.queue([(stored[n.key], n.sms_phone, n.sms_params) for n in fresh
                         if n.key in stored and n.sms_phone])
    return len(stored)


async def of(kind: str, recipient_id: int, limit: int = PAGE) -> list[dict[str, Any]]:
    """A recipient's notifications, unread first, then newest first."""
    rows = await Notification.select().where(
        (Notification.recipient == kind) & (Notification.recipient_id == recipient_id)).order_by(
        Notification.id, ascending=False).limit(limit)
    return sorted(rows, key=lambda r: r["read_at"] is not None)


async def of_tracking_code(code: str) -> list[dict[str, Any]]:
    """The notifications of a proposal's proposer, found by its tracking code."""
    row = await Proposal.select(Proposal.id).where(Proposal.code == code).first()
    return await of("proposer", row["id"]) if row else []


async def unread(kind: str, recipient_id: int) -> int:
    return await Notification.count().where(
        (Notification.recipient == kind) & (Notification.recipient_id == recipient_id)
        & Notification.read_at.is_null())


async def mark_read(kind: str, recipient_id: int, actor: Actor, notification_id: int | None = None) -> int:
    """Mark one of the recipient's notifications (or all of them) read; returns how many changed.
    One that is not the recipient's is NotFound, and nothing changes."""
    async with write_transaction():
        where = (Notification.recipient == kind) & (Notification.recipient_id == recipient_id) \
            & Notification.read_at.is_null()
        if notification_id is not None:
            if not await Notification.exists().where((Notification.id == notification_id) & (
                    Notification.recipient == kind) & (Notification.recipient_id == recipient_id)):
                raise NotFound("没有这条通知。")
            where = where & (Notification.id == notification_id)
        changed = await Notification.update({Notification.read_at: _now()}).where(where).returning(Notification.id)
        if changed:
            await audit.record(actor, "notifications_read", subject=await recipient_label(kind, recipient_id),
                               detail={"count": len(changed)})
    return len(changed)


def _names() -> dict[str, Any]:
    """How each kind of recipient is named on the console: a proposer by tracking code only."""
    return {"proposer": Proposal.code, "department": Department.name, "deputy": Deputy.name}


async def _labels(wanted: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    labels = {}
    for kind, column in _names().items():
        ids = sorted(i for k, i in wanted if k == kind)
        table = column._meta.table
        found = {r["id"]: r["name"] for r in await table.select(table.id, column.as_alias("name")).where(
            table.id.is_in(ids))} if ids else {}
        labels.update({(kind, i): f"{RECIPIENTS[kind]} {found.get(i, i)}" for i in ids})
    return labels


async def recipient_label(kind: str, recipient_id: int) -> str:
    return (await _labels({(kind, recipient_id)}))[(kind, recipient_id)]


async def recent(limit: int = PAGE) -> list[dict[str, Any]]:
    """The newest notifications of everyone, each with `recipient_label` (the secretariat's overview)."""
    rows = await Notification.select().order_by(Notification.id, ascending=False).limit(limit)
    labels = await _labels({(r["recipient"], r["recipient_id"]) for r in rows})
    return [{**r, "recipient_label": labels[(r["recipient"], r["recipient_id"])]} for r in rows]
