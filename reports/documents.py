"""What the tally sheet and the presidium notice say, read from a counted poll."""

from __future__ import annotations

import re
from typing import Any

from reports.pdf import render_html, render_pdf_async, render_pdf_fitting_async
from reports.wording import chinese_date, official_date
from voting import audit, audit_chain, notices, paper, poll_settings, polls, scrutiny, sittings
from voting.errors import Conflict
from voting import rules
from voting.rules import STATUS_LABELS, VALUE_LABELS, VERDICT_LABELS
from voting.times import BEIJING


async def _anchors(poll: dict[str, Any]) -> dict[str, Any]:
    """What the paper anchors outside the database (`python -m voting verify --expect --audit-head`):
    the seal of the count in force (a correction has its own) and the audit chain's head now."""
    seal = await scrutiny.seal_of(poll)
    head = await audit.head()
    return {"seal": seal, "seal_short": audit_chain.short(seal),
            "seal_text": seal if re.fullmatch(r"[0-9a-f]*", seal) else "",  # goes into a CSS string
            "audit_head": head, "audit_head_short": audit_chain.short(head)}


async def _counted(poll_id: int) -> dict[str, Any]:
    poll = await polls.get_poll(poll_id)
    result = await scrutiny.current_result(poll)  # a correction, if any, is what is in force
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
        "outcome": await polls.final_outcome(poll_id) if poll["method"] == "approval" else None,
        **await _anchors(poll),
    }


# How each medium is named on the tally sheet's issued/returned rows (`reconciliation`).
MEDIUM_LABELS = {"electronic": "平板电脑", "tablet": "平板电脑", "paper": "纸质选票"}


async def tally_context(poll_id: int) -> dict[str, Any]:
    """The tally sheet's context. It also prints, when a caller adds it, `reconciliation`:
    {"media": [{"medium": "electronic" | "paper", "issued": int, "returned": int}, ...],
     "serials": {"printed", "counted", "voided", "unused", "missing"} (ints) or None}."""
    context = await _counted(poll_id)
    poll = context["poll"]
    closed = poll["closed_at"]
    context["closed_on"] = chinese_date(closed.astimezone(BEIJING).date()) if closed else ""
    confirmed = {m["deputy"]: m["confirmation"] for m in (await scrutiny.confirmation_state(poll_id))["team"]}
    # Beside each scrutineer who signed on their tablet, their signing key's fingerprint.
    context["signers"] = [{"role": scrutiny.ROLES[m["role"]], "name": m["name"],
                           "fingerprint": (confirmed.get(m["deputy"]) or {}).get("fingerprint", "")}
                          for m in sorted(await scrutiny.members(poll["session"]),
                                          key=lambda m: list(scrutiny.ROLES).index(m["role"]))]
    context["medium_labels"] = MEDIUM_LABELS
    context["reconciliation"] = tally_reconciliation(await paper.reconciliation(poll_id))
    return context


def tally_reconciliation(found: dict[str, Any]) -> dict[str, Any]:
    """voting.paper's reconciliation as the tally sheet prints it: issued and returned per medium
    (paper only where paper was used), and the serials' account where any were printed."""
    media = [{"medium": "tablet", **found["media"]["tablet"]}]
    if found["media"]["paper"]["issued"] or found["serials"]["printed"]:
        paper_row = found["media"]["paper"]
        media.append({"medium": "paper", "issued": paper_row["issued"], "returned": paper_row["returned"]})
    return {"media": media, "serials": found["serials"] if found["serials"]["printed"] else None}


# The notice's line grid, loosest first: GB/T 9704's 22 lines of 28.95 pt, then closer lines,
# then the same with the projects run on in one paragraph; the first that keeps the notice on
# one page is printed (a result of up to 12 projects with titles of a usual length always is).
NOTICE_FITS = tuple(
    {"pitch": pitch, "title_pitch": pitch + 8, "after_title": pitch if pitch > 26 else pitch / 2,
     "sign_gap": 2 * pitch if pitch > 26 else 1.5 * pitch, "run_in": run_in}
    for run_in in (False, True) for pitch in (28.95, 26, 24, 22))


def notice_layout(session_name: str, dated: str) -> dict[str, Any]:
    """Where the notice's title breaks and how far the issuer and date stand from the right.

    GB/T 9704-2012 7.3.5.2 (a sealed document): the date 右空四字, the issuer centred over
    the date. An issuer too long to centre there (a session's presidium usually is) keeps
    two characters from the right edge, as 7.3.5.3 places an issuer (右空二字).
    """
    issuer = f"{session_name}主席团"
    date_em = sum(0.5 if ch.isascii() else 1.0 for ch in dated)  # half-width digits
    issuer_right = max(2.0, 4 + (date_em - len(issuer)) / 2)
    head, sep, tail = session_name.partition("人民代表大会")
    title_lines = [head + sep, f"{tail}主席团公告"] if sep and tail else [f"{session_name}主席团公告"]
    return {"title_lines": title_lines,
            "sign": {"issuer": issuer, "issuer_right_em": issuer_right, "date_right_em": 4}}


async def notice_context(notice_id: int) -> dict[str, Any]:
    notice = await notices.get_notice(notice_id)
    context = await _counted(notice["poll"])
    context["notice"] = notice
    context["dated"] = official_date(notice["issued_at"].astimezone(BEIJING).date())
    context.update(notice_layout(context["session"]["name"], context["dated"]))
    return context


SATISFACTION_PARTS = ("satisfied", "basically_satisfied", "dissatisfied", "abstain", "unmarked")


def satisfaction_rows(poll: dict[str, Any], candidates: list[dict[str, Any]], result: dict[str, Any]) -> dict[str, Any]:
    """Each project's counts as shares of the bar's base, for the result report's table and bars.

    The verdict's bar (rule 7) counts against the poll's threshold base (all deputies,
    those present, or the valid ballots), so each bar is drawn to that base and the
    line where 满意 (or 满意 + 基本满意) clears it sits at the same x on every row.
    """
    poll_rules = poll_settings.to_rules(poll, candidates, poll["entitled"] or 0, poll["present"] or 0,
                                        poll["issued"] or 0)
    base = rules.threshold_base_count(poll_rules, result["valid"])
    required = rules.required_votes(base, poll_rules.threshold)
    scale = max(base, result["valid"], 1)  # a bar's full width, in ballots
    titles = {c["ref"]: c["title"] for c in candidates}
    rows = []
    for entry in result["candidates"]:
        counts = {part: entry[part] for part in SATISFACTION_PARTS}
        rows.append({
            "title": titles[entry["id"]], "counts": counts, "verdict": entry["verdict"],
            "satisfied_rate": _percent(counts["satisfied"], result["valid"]),
            "content_rate": _percent(counts["satisfied"] + counts["basically_satisfied"], result["valid"]),
            "widths": {part: round(100 * n / scale, 2) for part, n in counts.items()},
        })
    summary = {verdict: sum(1 for r in rows if r["verdict"] == verdict) for verdict in rules.VERDICTS}
    return {"rows": rows, "required": required, "base": base,
            "bar_at": round(100 * required / scale, 2) if required else None, "summary": summary}


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


async def satisfaction_context(poll_id: int) -> dict[str, Any]:
    context = await tally_context(poll_id)
    if context["poll"]["method"] != "satisfaction":
        raise Conflict("只有满意度测评才有测评结果报告，差额票决请打印计票结果报告单。", code="not_satisfaction")
    context.update(satisfaction_rows(context["poll"], context["candidates"], context["result"]))
    return context


# The documents a counted poll prints: template, context, and the name its file is saved under.
POLL_DOCUMENTS = {
    "tally": ("print/tally_sheet.html", tally_context, "计票结果报告单"),
    "satisfaction": ("print/satisfaction_report.html", satisfaction_context, "满意度测评结果报告"),
}


async def poll_document(kind: str, poll_id: int, *, pdf: bool) -> str | bytes:
    """A poll's document as HTML (the preview) or as PDF bytes (rendered off the event loop)."""
    template, context_of, _ = POLL_DOCUMENTS[kind]
    context = await context_of(poll_id)
    return await render_pdf_async(template, **context) if pdf else render_html(template, **context)


async def tally_pdf(poll_id: int) -> bytes:
    return await poll_document("tally", poll_id, pdf=True)


async def satisfaction_pdf(poll_id: int) -> bytes:
    return await poll_document("satisfaction", poll_id, pdf=True)


async def notice_html(notice_id: int) -> str:
    return render_html("print/notice.html", fit=NOTICE_FITS[0], **await notice_context(notice_id))


async def notice_pdf(notice_id: int) -> bytes:
    """The notice on one page when the result allows (see `NOTICE_FITS`)."""
    return await render_pdf_fitting_async("print/notice.html", NOTICE_FITS, **await notice_context(notice_id))


