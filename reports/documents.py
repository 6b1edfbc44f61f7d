"""What the tally sheet and the presidium notice say, read from a counted poll."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

from reports.pdf import render_html, render_pdf_async, render_pdf_fitting_async
from reports.wording import chinese_date, official_date
from voting import (audit, audit_chain, notices, paper, poll_settings, polls, print_words, scrutiny, sittings,
                    translations)
from voting.bilingual import Bilingual
from voting.errors import Conflict
from voting.languages import fill
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


async def _counted(poll_id: int, words: Bilingual | None = None) -> dict[str, Any]:
    poll = await polls.get_poll(poll_id)
    result = await scrutiny.current_result(poll)  # a correction, if any, is what is in force
    if result is None:
        raise Conflict("投票结束并计票后才有计票结果报告单。", code="not_closed")
    candidates = await polls.candidates_of(poll_id)
    by_ref = {c["ref"]: c for c in candidates}
    bi = words if words is not None else await translations.for_poll(poll)  # as the poll opened
    return {
        "bi": bi, "rules_second": _rules_second(poll, bi),
        "poll": poll, "result": result, "candidates": candidates, "by_ref": by_ref,
        "session": await sittings.session_context(poll["session"]),
        "rules_text": poll_settings.describe(poll),
        "base_label": poll_settings.THRESHOLD_BASES.get(poll["threshold_base"], ""),
        "status_labels": STATUS_LABELS, "value_labels": VALUE_LABELS, "verdict_labels": VERDICT_LABELS,
        "winners": [by_ref[ref] for ref in result.get("winners", [])],
        "winners_second": numbered_second(bi, [by_ref[ref]["title"] for ref in result.get("winners", [])]),
        "runoff": [by_ref[ref] for ref in result.get("runoff", [])],
        "outcome": await polls.final_outcome(poll_id) if poll["method"] == "approval" else None,
        **await _anchors(poll),
    }


def _rules_second(poll: dict[str, Any], bi: Bilingual) -> str:
    """The rules sentence (`poll_settings.describe`) in the second language; "" without one."""
    source, figures = print_words.rules_sentence(poll)
    return bi.second(source, **figures)


def numbered_second(bi: Bilingual, titles: list[str]) -> str:
    """Titles in the second language run on as "1. … 2. …": numbers part them in any script."""
    return " ".join(f"{n}. {bi.second(t) or t}" for n, t in enumerate(titles, start=1))


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
    context["signers"] = [{"role": context["bi"](scrutiny.ROLES[m["role"]]), "name": m["name"],
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


async def notice_context(notice_id: int, words: Bilingual | None = None) -> dict[str, Any]:
    """The notice's context, in the words the poll opened with (`words` only for the layout
    samples of reports.samples)."""
    notice = await notices.get_notice(notice_id)
    context = await _counted(notice["poll"], words)
    context["notice"] = notice
    issued_on = notice["issued_at"].astimezone(BEIJING).date()
    context["dated"] = official_date(issued_on)
    context.update(notice_layout(context["session"]["name"], context["dated"]))
    context["second"] = notice_second(context, issued_on)
    return context


# Between titles listed in one sentence of the second language (在 Chinese: 、).
LIST_SEPARATORS = {"bo": "། ", "ug": "، ", "ii": "、"}


def notice_second(context: dict[str, Any], issued_on: Any) -> dict[str, Any]:
    """The notice's sentences in the second language, each filled in with the same figures as
    the Chinese beside it, and the poll's texts in their translation; all "" in Chinese only.

    The session's name stays Chinese in both (piaojue has no translation of it).
    """
    bi: Bilingual = context["bi"]
    poll, result = context["poll"], context["result"]
    approval = poll["method"] == "approval"

    say = bi.word  # a sentence assembled here that no office was asked for is a KeyError

    def with_session(source: str, **values: Any) -> Markup:
        """A sentence naming the session: its Chinese name kept on one line and left to right
        (a right-to-left line would otherwise break it in two and swap the halves)."""
        text = say(source)
        if not text:
            return Markup("")
        name = Markup('<span class="zh" lang="zh-CN" dir="ltr">{}</span>').format(context["session"]["name"])
        return Markup(fill(str(escape(text)), {**{k: escape(v) for k, v in values.items()}, "session": name}))

    def title(text: str) -> str:
        return bi.second(text) or text

    def titles(rows: list[dict[str, Any]]) -> str:
        return LIST_SEPARATORS.get(bi.code, "、").join(title(c["title"]) for c in rows)

    opening = [with_session("{session}于{year}年{month}月{day}日举行全体会议，以无记名投票方式对《{title}》的{count}个"
                            + ("候选项目进行了票决。" if approval else "项目进行了满意度测评。"),
                            year=issued_on.year, month=issued_on.month,
                         day=issued_on.day, title=title(poll["title"]), count=len(context["candidates"])),
               say("会议应到代表{entitled}人，实到{present}人" + ("，符合法定人数。" if result["status"] != "no_quorum"
                                                                  else "。"),
                         entitled=poll["entitled"], present=poll["present"]),
               say("共发出选票{issued}张，收回{returned}张，其中有效票{valid}张，无效票{invalid}张。",
                         issued=poll["issued"], returned=result["returned"], valid=result["valid"],
                         invalid=result["invalid"])]
    kind = "票决" if approval else "测评"
    outcome = context.get("outcome")
    rounds = len(outcome["rounds"]) if outcome else 1
    return {
        "title": say("主席团公告"),
        "number": say("（第{number}号）", number=context["notice"]["number"]),
        "opening": Markup(" ").join(t for t in opening if t),
        "invalid": say(("因收回选票多于发出选票，" if result["status"] == "void" else "因出席代表不足法定人数，")
                             + f"本次{kind}无效。"),
        "rounds": say("因第一轮票决中有项目赞成票相等，会议对其另行票决"
                            + ("（共{rounds}轮）" if rounds > 2 else "")
                            + "。根据票决办法，两轮合计确定下列{count}个项目为民生实事项目：",
                            rounds=rounds - 1, count=len(outcome["winners"]) if outcome else 0),
        "rounds_runoff": say("{titles}赞成票仍然相等，将再次另行票决。",
                                   titles=titles(outcome["runoff"]) if outcome else ""),
        "rounds_winners": [title(w["title"]) for w in outcome["winners"]] if outcome else [],
        "chosen": say("根据票决办法，下列{count}个项目获得赞成票超过规定票数，确定为民生实事项目（按得票多少排列）：",
                            count=len(context["winners"])),
        "winners": [title(c["title"]) for c in context["winners"]],
        "none_chosen": say("根据票决办法，没有项目获得规定的赞成票数，本次票决未确定项目。"),
        "runoff": say("{titles}赞成票相等，将另行票决，确定其余{seats}个项目。", titles=titles(context["runoff"]),
                            seats=result.get("runoff_seats")),
        "shortfall": say("获得规定票数的项目少于应选数{count}个。", count=result.get("shortfall")),
        "results_heading": say("测评结果如下："),
        "results": [f"{title(context['by_ref'][c['id']]['title'])}: {bi.second(VERDICT_LABELS.get(c['verdict'], ''))}"
                    .rstrip(": ") for c in result["candidates"]] if not approval else [],
        "closing": say("现予公告。"),
    }


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


