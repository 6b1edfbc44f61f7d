"""The periodic pass of the notification centre: reminders of what time brings (a rectification or
a milestone due within notification_rules.REMIND_DAYS days, a progress report overdue by the
congress's `report_every_days`), then the SMS outbox's due messages.

The server runs it every PIAOJUE_NOTIFY_MINUTES minutes (`start`, from app.py's start-up; the first
pass comes one interval after the start), and `python -m lifecycle notify` runs it once. Running it
again, or on several workers at once, adds nothing twice: every reminder's key names its deadline
(lifecycle.notifications.tell). A pass that made reminders is in the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, timedelta
from typing import Any

from lifecycle import notification_rules, notifications, projects, sms
from lifecycle.notification_rules import REMIND_DAYS, Notice
from lifecycle.proposals import today
from lifecycle.tables import Milestone, Project, Rectification, Supervisor
from voting import audit
from voting.audit import Actor
from voting.database import write_transaction

log = logging.getLogger("piaojue.notifications")
SHORTEST_REPORT_CYCLE = 7  # lifecycle.projects.set_thresholds allows no shorter one
_task: asyncio.Task | None = None


def _facts(row: dict[str, Any]) -> notification_rules.ProjectFacts:
    return notification_rules.ProjectFacts(row["project"], row["project_title"], row["department"])


async def _deadlines(on: date) -> list[Notice]:
    until = on + timedelta(days=REMIND_DAYS)
    found: list[Notice] = []
    for r in await Rectification.select(
            Rectification.id, Rectification.project, Rectification.request, Rectification.due_on,
            Rectification.status, Rectification.project.title.as_alias("project_title"),
            Rectification.project.department.as_alias("department")).where(
            (Rectification.status != "closed") & (Rectification.due_on >= on) & (Rectification.due_on <= until)):
        found += notification_rules.rectification_due(_facts(r), r["id"], r["request"], r["due_on"], r["status"], on)
    for m in await Milestone.select(
            Milestone.id, Milestone.project, Milestone.title, Milestone.percent, Milestone.due_on,
            Milestone.project.title.as_alias("project_title"), Milestone.project.stage.as_alias("stage"),
            Milestone.project.department.as_alias("department")).where(
            (Milestone.due_on >= on) & (Milestone.due_on <= until) & (Milestone.percent < 100)
            & (Milestone.project.stage == "implementing")):
        found += notification_rules.milestone_due(_facts(m), m["id"], m["title"], m["percent"], m["due_on"],
                                                  m["stage"], on)
    return found


async def _late_reports(on: date) -> list[Notice]:
    quiet_since = on - timedelta(days=SHORTEST_REPORT_CYCLE)
    rows = [p for p in await Project.select().where(
        (Project.stage == "implementing") & Project.starts_on.is_not_null() & (Project.starts_on < on))
        if (p["last_report_on"] or p["starts_on"]) < quiet_since]
    leads = {s["project"]: s["deputy"] for s in await Supervisor.select(Supervisor.project, Supervisor.deputy).where(
        (Supervisor.role == "lead") & Supervisor.project.is_in([p["id"] for p in rows] or [-1]))}
    every: dict[int, int] = {}
    found: list[Notice] = []
    for project in rows:
        if project["congress"] not in every:
            every[project["congress"]] = (await projects.thresholds(project["congress"])).report_every_days
        if projects.report_due(project, on, every[project["congress"]]):
            found += notification_rules.report_overdue(notifications.project_facts(project),
                                                       project["last_report_on"] or project["starts_on"],
                                                       every[project["congress"]], on, leads.get(project["id"]))
    return found


async def scan(on: date | None = None) -> int:
    """Make the reminders due `on` (today) that were not made before; returns how many were new."""
    on = on or today()
    found = await _deadlines(on) + await _late_reports(on)
    async with write_transaction():
        made = await notifications.tell(found)
        if made:
            await audit.record(Actor.system(), "reminders_made", subject=on.isoformat(), detail={"count": made})
    return made


async def run_once(now: datetime | None = None) -> dict[str, int]:
    """One pass: the reminders, then the SMS due. What it did, by kind."""
    made = await scan()
    sent = await sms.send_due(now)
    return {"reminders": made, **sent}


async def _every(minutes: float) -> None:
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            done = await run_once()
        except Exception:  # a database hiccup must not end the loop; the next pass tries again
            log.exception("通知提醒或短信发送出错")
            continue
        if any(done.values()):  # counts only: never a number or a text
            log.info("通知：新提醒 %d 条；短信 已发送 %d、待重试 %d、失败 %d", done["reminders"], done["sent"],
                     done["queued"], done["failed"])


def start(minutes: float) -> None:
    """Run the pass every `minutes` in this process (0: never)."""
    global _task
    if minutes > 0 and _task is None:
        _task = asyncio.ensure_future(_every(minutes))


async def stop() -> None:
    global _task
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task
        _task = None


async def run_by_hand(actor: Actor) -> dict[str, int]:
    """The secretariat's 立即发送: one pass now, on record."""
    done = await run_once()
    async with write_transaction():
        await audit.record(actor, "notifications_pass_run", subject="通知与短信",
                           detail={"reminders": done["reminders"], "sent": done["sent"], "queued": done["queued"],
                                   "failed": done["failed"]})
    return done
