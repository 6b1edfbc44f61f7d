"""The SMS outbox (短信发件箱): notifications to proposers who left a mobile number, sent through
the provider adapter (lifecycle.sms_tencent) by a sender the server runs every few minutes
(lifecycle.reminders) and `python -m lifecycle notify` runs by hand.

- Configured only with every PIAOJUE_SMS_* setting it needs (config.SmsSettings.missing). Not
  configured, nothing is queued: the notification is on the tracking page all the same, and the
  console's outbox page says plainly that no SMS is sent and which settings are missing.
- A message goes queued → sending → sent. A transient failure (no answer, HTTP 429 or 5xx, a rate
  limit, the provider's internal error) puts it back in the queue until `retry_at`: after 1, 5,
  30, 120 and 360 minutes, `MAX_ATTEMPTS` tries in all, then it fails. A permanent failure (a wrong
  number, a template not approved, credentials refused) fails at once. Claiming a message is one
  conditional UPDATE, so several app workers never send the same one; a worker that died while
  sending leaves it `sending`, and after `STALE` it is queued again (the provider takes no key to
  recognise a repeat, so such a message may arrive twice: at least once, never lost).
- Personal data: the number is kept whole only while the message may still be sent; sent or
  failed, the row keeps it masked (138****5678). It is never logged; the console shows it masked;
  a provider's error text has its digit runs masked before it is stored. Each message sent or given
  up is in the audit log (by id, without the number).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from config import SmsSettings, settings
from lifecycle import sms_tencent
from lifecycle.notification_rules import masked, scrubbed
from lifecycle.sms_tencent import Outcome
from lifecycle.tables import Proposal, SmsMessage
from voting import audit
from voting.audit import Actor
from voting.database import fetch, write_transaction

BACKOFF_MINUTES = (1, 5, 30, 120, 360)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
STALE = timedelta(minutes=10)
BATCH = 100
STATUS_LABELS = {"queued": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def config() -> SmsSettings:
    return settings().sms


def configured() -> bool:
    return not config().missing


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When a message that failed transiently on its `attempts`-th try is tried again, or None when
    it has had all its tries — pure."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(minutes=BACKOFF_MINUTES[max(0, attempts - 1)])


async def queue(messages: Sequence[tuple[int, str, Sequence[str]]]) -> int:
    """Queue (notification id, +86 number, template parameters) in the caller's transaction; nothing
    when SMS is not configured. Returns how many were queued."""
    if not messages or not configured():
        return 0
    now = _now()
    await SmsMessage.insert(*[SmsMessage(notification=notification, phone=phone, params=list(params),
                                         status="queued", next_try_at=now, created_at=now, updated_at=now)
                              for notification, phone, params in messages])
    return len(messages)


async def _claim(message_id: int, now: datetime) -> bool:
    """Take a queued message for sending: one conditional update, so only one sender gets it."""
    async with write_transaction():
        taken = await SmsMessage.update({SmsMessage.status: "sending", SmsMessage.attempts: SmsMessage.attempts + 1,
                                         SmsMessage.updated_at: now}).where(
            (SmsMessage.id == message_id) & (SmsMessage.status == "queued")).returning(SmsMessage.id)
    return bool(taken)


async def _settle(message: dict[str, Any], result: Outcome, now: datetime) -> str:
    """Write what came of a try; returns the message's new status."""
    attempts = message["attempts"] + 1
    again = retry_at(attempts, now) if result.status == "retry" else None
    status = "sent" if result.status == "sent" else "queued" if again else "failed"
    error = scrubbed(result.error)
    if result.status == "retry" and again is None:
        error = f"重试 {attempts} 次仍未成功：{error}"
    columns: dict[Any, Any] = {SmsMessage.status: status, SmsMessage.last_error: error, SmsMessage.updated_at: now}
    if status == "queued":
        columns[SmsMessage.next_try_at] = again
    else:  # done with the number: keep only its masked form
        columns[SmsMessage.phone] = masked(message["phone"])
    if status == "sent":
        columns.update({SmsMessage.provider_id: result.provider_id[:80], SmsMessage.sent_at: now})
    async with write_transaction():
        await SmsMessage.update(columns).where(SmsMessage.id == message["id"])
        if status != "queued":
            await audit.record(Actor.system(), "sms_sent" if status == "sent" else "sms_failed",
                               subject=f"短信 {message['id']}", detail={"sms": message["id"], "attempts": attempts},
                               reason=error)
    return status


async def send_due(now: datetime | None = None, client: httpx.AsyncClient | None = None) -> dict[str, int]:
    """Send the queued messages whose time has come (at most BATCH); counts by new status. Nothing
    when SMS is not configured."""
    done = {"sent": 0, "queued": 0, "failed": 0}
    if not configured():
        return done
    now = now or _now()
    async with write_transaction():  # a sender that died mid-send: its message goes back in the queue
        await SmsMessage.update({SmsMessage.status: "queued", SmsMessage.updated_at: now}).where(
            (SmsMessage.status == "sending") & (SmsMessage.updated_at < now - STALE))
    due = await SmsMessage.select().where((SmsMessage.status == "queued") & (SmsMessage.next_try_at <= now)).order_by(
        SmsMessage.id).limit(BATCH).output(load_json=True)
    if not due:
        return done
    own = client is None
    client = client or httpx.AsyncClient()
    try:
        for message in due:
            if not await _claim(message["id"], now):
                continue
            result = await sms_tencent.send(config(), message["phone"], message["params"], client,
                                            timestamp=int(time.time()), context=f"piaojue-sms-{message['id']}")
            done[await _settle(message, result, now)] += 1
    finally:
        if own:
            await client.aclose()
    return done


async def outbox(limit: int = 200) -> list[dict[str, Any]]:
    """The newest messages for the console: status in words, the number masked, the tracking code of
    the proposal it is about."""
    rows = await SmsMessage.select(
        SmsMessage.all_columns(), SmsMessage.notification.recipient_id.as_alias("proposal")).order_by(
        SmsMessage.id, ascending=False).limit(limit).output(load_json=True)
    ids = sorted({r["proposal"] for r in rows if r["proposal"] is not None})
    codes = {p["id"]: p["code"] for p in await Proposal.select(Proposal.id, Proposal.code).where(
        Proposal.id.is_in(ids))} if ids else {}
    return [{**{k: v for k, v in r.items() if k != "phone"}, "phone_masked": masked(r["phone"]),
             "status_label": STATUS_LABELS.get(r["status"], r["status"]), "code": codes.get(r["proposal"], "")}
            for r in rows]


async def status_counts() -> dict[str, int]:
    """How many messages are in each status (all of them, every status named)."""
    rows = await fetch("SELECT status, COUNT(*) AS n FROM sms_outbox GROUP BY status")
    return {**dict.fromkeys(STATUS_LABELS, 0), **{r["status"]: r["n"] for r in rows}}
