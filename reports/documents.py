"""What the tally sheet and the presidium notice say, read from a counted poll."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from reports.pdf import render_html, render_pdf_async
from reports.wording import chinese_date
from voting import notices, poll_settings, polls, sittings
from voting.errors import Conflict
from voting.rules import STATUS_LABELS, VALUE_LABELS, VERDICT_LABELS

BEIJING = timezone(timedelta(hours=8))


async def _counted(poll_id: int) -> dict[str, Any]:
    poll = await polls.get_poll(poll_id)
    result = polls.stored_result(poll)
    if result is None:
        raise Conflict("投票结束并计票后才有计票结果报告单。", code="not_closed")
    candidates = await polls.candidates_of(poll_id)
    by_ref = {c["ref"]: c for c in candidates}
    return {
        "poll": poll, "result": result, "candidates": candidates, "by_ref": by_ref,
        "session": await sittings.session_context(poll["session"]),
        "rules_text": poll_settings.describe(poll),
        "base_label": poll_settings.THRESHOLD_BASES.get(poll["threshold_base"], ""),
        "status_labels": STATUS_LABELS, "value_labels": VALUE_LABELS, "verdict_labels": VERDICT_LABELS,
        "winners": [by_ref[ref] for ref in result.get("winners", [])],
        "runoff": [by_ref[ref] for ref in result.get("runoff", [])],
    }


async def tally_context(poll_id: int) -> dict[str, Any]:
    context = await _counted(poll_id)
    closed = context["poll"]["closed_at"]
    context["closed_on"] = chinese_date(closed.astimezone(BEIJING).date()) if closed else ""
    return context


async def notice_context(notice_id: int) -> dict[str, Any]:
    notice = await notices.get_notice(notice_id)
    context = await _counted(notice["poll"])
    context["notice"] = notice
    context["dated"] = chinese_date(notice["issued_at"].astimezone(BEIJING).date())
    return context


async def tally_html(poll_id: int) -> str:
    return render_html("print/tally_sheet.html", **await tally_context(poll_id))


async def tally_pdf(poll_id: int) -> bytes:
    return await render_pdf_async("print/tally_sheet.html", **await tally_context(poll_id))


async def notice_html(notice_id: int) -> str:
    return render_html("print/notice.html", **await notice_context(notice_id))


async def notice_pdf(notice_id: int) -> bytes:
    return await render_pdf_async("print/notice.html", **await notice_context(notice_id))


