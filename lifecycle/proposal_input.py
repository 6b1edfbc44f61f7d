"""What a proposal form may contain: its fields, their limits, and the messages for each. Pure.

The same rules serve the public form, the deputy's tablet, the secretariat's entry of
paper proposals and the spreadsheet import: each field's problem is reported by field
name, so a form can show it next to the field and an import next to the row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

CATEGORIES: dict[str, str] = {
    "education": "教育",
    "health": "医疗卫生",
    "elderly_childcare": "养老托育",
    "transport": "交通出行",
    "water": "饮水供水",
    "environment": "生态环境",
    "culture_sport": "文化体育",
    "rural": "农业农村",
    "employment": "就业增收",
    "housing": "住房保障",
    "safety": "公共安全",
    "other": "其他",
}
CHANNELS: dict[str, str] = {
    "online": "网上征集",
    "liaison_station": "代表联络站",
    "home_visit": "入户走访",
    "evening_talk": "村落夜话",
    "suggestion_box": "意见箱",
    "questionnaire": "问卷调查",
    "deputy": "代表建议",
    "department": "政府部门",
    "village_committee": "村（社区）委员会",
}
PAPER_CHANNELS = {k: v for k, v in CHANNELS.items() if k not in ("online", "deputy")}

LIMITS = {  # field: (least, most) characters
    "title": (4, 60),
    "description": (10, 2000),
    "township": (2, 30),
    "village": (0, 30),
    "proposer_name": (0, 20),
    "contact": (0, 50),
}
LABELS = {
    "title": "项目名称", "description": "项目内容", "township": "乡镇（街道）", "village": "村（社区）",
    "category": "类别", "cost_wan": "估算投资（万元）", "beneficiaries": "受益人数", "channel": "征集渠道",
    "proposer_name": "建议人", "contact": "联系方式", "supporters": "联名人数",
}
MAX_COST_WAN = 10_000_000
MAX_BENEFICIARIES = 100_000_000
MAX_SUPPORTERS = 100_000


@dataclass(frozen=True)
class ProposalInput:
    title: str
    description: str
    township: str
    village: str = ""
    category: str = "other"
    cost_wan: int | None = None
    beneficiaries: int | None = None
    channel: str = "online"
    proposer_name: str = ""
    contact: str = ""
    supporters: int = 1

    def as_columns(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Trim, drop control and format characters (a right-to-left override included), and
    fold runs of spaces; line breaks survive only in a multi-line field."""
    text = unicodedata.normalize("NFC", text or "")
    kept = []
    for ch in text:
        if ch in "\r":
            continue
        if ch == "\n" and multiline:
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            kept.append(" ")
        else:
            kept.append(ch)
    text = "".join(kept)
    text = re.sub(r"[ \t\u3000]+", " ", text)
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n")))
    return text.strip()


# Bidirectional embeddings, overrides and isolates make text read in another order on screen and
# on paper (a candidate's title printed backwards on the ballot); Chinese text never needs them.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_bidi_controls(value: Any) -> Any:
    """What a template prints, bidi controls dropped (the stored text stays as typed). Pages and
    print documents pass every value through this (their Jinja `finalize`); Markup stays Markup."""
    if not isinstance(value, str) or value.isascii():
        return value
    cleaned = str(value).translate(BIDI_CONTROLS)
    if len(cleaned) == len(value):
        return value  # nothing dropped: the value as it was (Markup, a str enum...)
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def _whole(text: str, label: str, most: int, problems: dict[str, str], key: str) -> int | None:
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = float(text) if "." in text else int(text)
    except ValueError:
        problems[key] = f"{label}应填数字。"
        return None
    if value < 0 or value > most:
        problems[key] = f"{label}应在 0 到 {most:,} 之间。"
        return None
    return round(value)


RECEIVED_BEFORE_DAYS = 366  # a paper proposal is entered within a year of reaching the secretariat


def received_problem(received: date | None, today: date) -> str:
    """What is wrong with the date a paper proposal was received, or ""."""
    if received is None:
        return "请填写收到日期（纸质建议送达的日期）。"
    if received > today:
        return "收到日期不能晚于今天。"
    if (today - received).days > RECEIVED_BEFORE_DAYS:
        return f"收到日期不能早于一年前（{today - timedelta(days=RECEIVED_BEFORE_DAYS)}）。"
    return ""


def parse_proposal(form: dict[str, Any], *, channel: str | None = None) -> tuple[ProposalInput | None, dict[str, str]]:
    """A ProposalInput from submitted text, or None and the problems by field name.

    `channel` fixes the channel (the public form is always `online`, the tablet `deputy`);
    otherwise the form's `channel` must be one of CHANNELS.
    """
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, (least, most) in LIMITS.items():
        text = clean_text(str(form.get(key, "") or ""), multiline=key == "description")
        if len(text) > most:
            problems[key] = f"{LABELS[key]}不能超过 {most} 字（现在 {len(text)} 字）。"
        elif len(text) < least:
            problems[key] = f"请填写{LABELS[key]}。" if not text else f"{LABELS[key]}至少 {least} 个字。"
        values[key] = text
    category = str(form.get("category", "") or "").strip()
    if category not in CATEGORIES:
        by_label = {v: k for k, v in CATEGORIES.items()}
        category = by_label.get(category, "")
        if not category:
            problems["category"] = "请选择类别。"
    chosen = channel or str(form.get("channel", "") or "").strip()
    if chosen not in CHANNELS:
        chosen = {v: k for k, v in CHANNELS.items()}.get(chosen, "")
        if not chosen:
            problems["channel"] = "请选择征集渠道。"
    cost = _whole(str(form.get("cost_wan", "") or ""), LABELS["cost_wan"], MAX_COST_WAN, problems, "cost_wan")
    people = _whole(str(form.get("beneficiaries", "") or ""), LABELS["beneficiaries"], MAX_BENEFICIARIES, problems,
                    "beneficiaries")
    supporters = _whole(str(form.get("supporters", "") or ""), LABELS["supporters"], MAX_SUPPORTERS, problems,
                        "supporters")
    if problems:
        return None, problems
    return ProposalInput(category=category, channel=chosen, cost_wan=cost, beneficiaries=people,
                         supporters=max(1, supporters or 1), **values), {}
