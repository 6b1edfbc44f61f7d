"""When a proposal is shown in public, and what staff may correct on it. Pure: no I/O, no clock.

A citizen's or a deputy's proposal is public once the secretariat has released it, or once
its round's delay (`CollectionRound.release_after_hours`) has passed with nobody hiding it;
a round with no delay waits for the release. What the secretariat enters from paper is
released as it is entered. Hiding (with a reason) takes a proposal off the public pages
whatever its release, and keeps it off until it is shown again; a hidden photo is not
served in public. Only proposals in `PUBLIC_STAGES` are ever listed: a voided or merged one
is not (the merged one's tracking page follows the proposal it went into).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from voting.times import BEIJING

PUBLIC_STAGES = ("submitted", "shortlisted", "reserve", "rejected", "candidate", "chosen")
DEFAULT_DELAY_HOURS = 72
MAX_DELAY_HOURS = 24 * 30

# What staff may correct on a proposal, and while it is in which stages: once on a candidate
# list its wording is the ballot's, fixed; a correction then is a matter for the list.
CORRECTABLE = {"title": "名称", "description": "内容", "township": "乡镇（街道）", "village": "村（社区）",
               "category": "类别", "cost_wan": "估算投资", "beneficiaries": "受益人数"}
CORRECTABLE_STAGES = frozenset({"submitted", "shortlisted", "reserve", "rejected"})


def release_due(entered_at: datetime, delay_hours: int | None, *, by_secretariat: bool) -> datetime | None:
    """When a new proposal becomes public: at once when the secretariat enters it, after the
    round's delay otherwise, or never by itself (None) when the round has no delay."""
    if by_secretariat:
        return entered_at
    if delay_hours is None:
        return None
    return entered_at + timedelta(hours=delay_hours)


@dataclass(frozen=True)
class Publicity:
    """A proposal's standing with the public at a moment."""

    state: str  # public | pending | hidden | unlisted
    text: str

    @property
    def listed(self) -> bool:
        return self.state == "public"


def publicity(stage: str, released_at: datetime | None, hidden_reason: str, now: datetime) -> Publicity:
    if stage not in PUBLIC_STAGES:
        return Publicity("unlisted", "不在公开列表（已合并或已作废）")
    if hidden_reason:
        return Publicity("hidden", f"已隐藏，不公开：{hidden_reason}")
    if released_at is None:
        return Publicity("pending", "待秘书处审核后公开")
    if released_at > now:
        return Publicity("pending", f"无人提出异议的，将于 {_beijing(released_at)} 自动公开")
    return Publicity("public", f"已公开（{_beijing(released_at)} 起）")


def _beijing(moment: datetime) -> str:
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def correction(before: dict[str, object], after: dict[str, object]) -> dict[str, tuple[object, object]]:
    """The correctable fields that change: field -> (before, after)."""
    return {field: (before.get(field), after.get(field)) for field in CORRECTABLE
            if field in after and after.get(field) != before.get(field)}


def correction_refusal(stage: str, changed: dict[str, tuple[object, object]], reason: str) -> str:
    """Why a correction cannot be recorded, in Chinese, or "" if it can."""
    if stage not in CORRECTABLE_STAGES:
        return "列入候选项目后建议内容即为票面内容，不能再更正；已合并或作废的建议也不能更正。"
    if not changed:
        return "没有改动任何内容。"
    return reason_refusal(reason, "更正")


MAX_REASON = 1000


def reason_refusal(reason: str, what: str = "", *, required: bool = True) -> str:
    """Why a staff member's reason for `what` (更正, 隐藏…) cannot be taken, or "": the proposer
    reads it in the history, so it is needed (unless not `required`) and at most 1000 characters."""
    if required and not reason.strip():
        return f"{what}须写明理由，理由会显示在办理经过中。"
    if len(reason.strip()) > MAX_REASON:
        return f"理由不能超过 {MAX_REASON} 字。"
    return ""


def hide_refusal(stage: str) -> str:
    """Why a proposal cannot be hidden in this stage, or "": on a candidate list it is on a
    published ballot, and a merged or voided one is not listed anyway."""
    if stage in ("candidate", "chosen"):
        return "列入候选项目的建议已在候选名单上公布，不能隐藏；如有不宜公开的附件，可以隐藏附件。"
    if stage not in PUBLIC_STAGES:
        return "这条建议已合并或作废，本来就不在公开列表。"
    return ""


def shows_content(state: str, stage: str) -> bool:
    """Whether a tracking page shows the proposal's wording and files: not when hidden or voided
    (the reason may be the wording itself); the history and the reason always show."""
    return state != "hidden" and stage != "voided"


def delay_refusal(hours: int | None) -> str:
    if hours is not None and not 0 <= hours <= MAX_DELAY_HOURS:
        return f"自动公开的等待时间须在 0 至 {MAX_DELAY_HOURS} 小时之间（不填则须秘书处逐条公开）。"
    return ""



HIDDEN_WORDING = "（内容不公开）"


def redacted(text: str, wording: tuple[str, ...]) -> str:
    """`text` (a notice, say) with every piece of a withheld proposal's wording replaced, so a
    page that leaves out the wording does not show it again by quoting it."""
    for words in sorted({w for w in wording if w and w.strip()}, key=len, reverse=True):
        text = text.replace(words, HIDDEN_WORDING)
    return text
