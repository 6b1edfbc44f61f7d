"""A poll's voting rules (票决办法) as the secretariat enters them: checked before storing.

Pure: takes what a form or the API sent, returns clean settings or every problem in
Chinese. Counting itself lives in voting.rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from voting.rules import METHODS, PollRules, Threshold, CandidateRef

THRESHOLD_BASES = {"entitled": "全体代表（应到）", "present": "出席代表（实到）", "valid": "有效票", "none": "不设门槛"}
METHOD_LABELS = {"approval": "差额票决", "satisfaction": "满意度测评"}
MAX_CANDIDATES = 60
_FRACTION = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")


@dataclass(frozen=True)
class CandidateInput:
    title: str
    summary: str = ""
    location: str = ""
    cost_wan: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class PollSettings:
    title: str
    method: str
    seats: int | None
    max_approvals: int | None
    non_competitive: bool
    threshold_base: str
    threshold_fraction: str
    threshold_strict: bool
    quorum_fraction: str
    candidates: tuple[CandidateInput, ...] = field(default=())
    show_running_totals: bool = False  # the big screen shows counts while the vote runs


def parse_fraction(text: str) -> Fraction | None:
    """'2/3' → Fraction(2, 3); None unless it is n/d with 0 ≤ n/d ≤ 1 and d > 0."""
    match = _FRACTION.match(text or "")
    if not match:
        return None
    numerator, denominator = int(match[1]), int(match[2])
    if denominator == 0 or numerator > denominator:
        return None
    return Fraction(numerator, denominator)


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _int_or_none(value: Any) -> int | None | str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return "bad"


def problems(s: PollSettings) -> list[str]:
    """Every reason these settings cannot be stored; empty when they can."""
    found: list[str] = []
    if not s.title.strip():
        found.append("请填写票决名称。")
    elif len(s.title) > 200:
        found.append("票决名称不能超过 200 字。")
    if s.method not in METHODS:
        found.append("表决方式只能是差额票决或满意度测评。")
    if s.threshold_base not in THRESHOLD_BASES:
        found.append("通过门槛的计算基数无效。")
    if parse_fraction(s.threshold_fraction) is None:
        found.append("通过门槛的比例应写成“1/2”这样的分数，且不大于 1。")
    if parse_fraction(s.quorum_fraction) is None:
        found.append("法定人数比例应写成“2/3”这样的分数，且不大于 1。")
    titles = [c.title.strip() for c in s.candidates]
    if not titles:
        found.append("请至少填写一个候选项目。")
    if len(titles) > MAX_CANDIDATES:
        found.append(f"候选项目不能超过 {MAX_CANDIDATES} 个。")
    for position, candidate in enumerate(s.candidates, start=1):
        if not candidate.title.strip():
            found.append(f"第 {position} 个候选项目没有名称。")
        elif len(candidate.title) > 100:
            found.append(f"第 {position} 个候选项目名称超过 100 字。")
        if len(candidate.summary) > 2000:
            found.append(f"第 {position} 个候选项目简介超过 2000 字。")
        if candidate.cost_wan is not None and candidate.cost_wan < 0:
            found.append(f"第 {position} 个候选项目投资额不能为负数。")
    duplicates = sorted({t for t in titles if t and titles.count(t) > 1})
    if duplicates:
        found.append("候选项目名称重复：" + "、".join(duplicates))
    if s.method == "approval":
        if s.seats is None or s.seats < 1:
            found.append("应选项目数必须是不小于 1 的整数。")
        else:
            if s.max_approvals is not None and not (1 <= s.max_approvals):
                found.append("每张选票最多赞成数必须是不小于 1 的整数。")
            if titles and len(titles) <= s.seats and not s.non_competitive:
                found.append(
                    f"差额票决的候选项目数（{len(titles)} 个）必须多于应选数（{s.seats} 个）。"
                    "如本次确为等额表决，请勾选“等额表决”。"
                )
    return found


def from_form(form: dict[str, Any], candidates: list[CandidateInput]) -> PollSettings | list[str]:
    """Read the settings a form or JSON body sent; a list of problems if it cannot be read."""
    found: list[str] = []
    seats = _int_or_none(form.get("seats"))
    max_approvals = _int_or_none(form.get("max_approvals"))
    if seats == "bad":
        found.append("应选项目数必须是整数。")
    if max_approvals == "bad":
        found.append("每张选票最多赞成数必须是整数。")
    method = str(form.get("method") or "approval")
    settings = PollSettings(
        title=str(form.get("title") or "").strip(),
        method=method,
        seats=seats if isinstance(seats, int) and method == "approval" else None,
        max_approvals=max_approvals if isinstance(max_approvals, int) and method == "approval" else None,
        non_competitive=_truthy(form.get("non_competitive")),
        threshold_base=str(form.get("threshold_base") or "entitled"),
        threshold_fraction=str(form.get("threshold_fraction") or "1/2").strip(),
        threshold_strict=_truthy(form.get("threshold_strict", True)),
        quorum_fraction=str(form.get("quorum_fraction") or "2/3").strip(),
        candidates=tuple(candidates),
        show_running_totals=_truthy(form.get("show_running_totals", False)),
    )
    found += problems(settings)
    return found or settings


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes", "是")


def describe(s: PollSettings | dict[str, Any]) -> str:
    """The rules in one Chinese sentence, as printed on the ballot and read out in the hall."""
    get = (lambda k: s[k]) if isinstance(s, dict) else (lambda k: getattr(s, k))
    base = get("threshold_base")
    fraction = parse_fraction(get("threshold_fraction")) or Fraction(1, 2)
    if base == "none":
        bar = "不设得票门槛"
    else:
        words = "过半数" if fraction == Fraction(1, 2) and get("threshold_strict") else (
            f"超过{fraction_text(fraction)}" if get("threshold_strict") else f"达到{fraction_text(fraction)}以上")
        bar = f"须获{THRESHOLD_BASES[base].split('（')[0]}{words}赞成"
    if get("method") == "approval":
        cap = get("max_approvals") or get("seats")
        return f"应选 {get('seats')} 个，每张选票最多赞成 {cap} 个；{bar}，按赞成票多少依次确定。"
    if base == "none":
        return "逐项表示满意、基本满意或不满意；不设得票门槛。"
    share = f"占{THRESHOLD_BASES[base].split('（')[0]}{words}的"
    return (f"逐项表示满意、基本满意或不满意；满意票{share}为满意，"
            f"满意与基本满意票合计{share}为基本满意，其余为不满意。")


def to_rules(poll: dict[str, Any], candidates: list[dict[str, Any]], entitled: int, present: int,
             issued: int) -> PollRules:
    """The counting rules of a stored poll, with the hall's figures."""
    return PollRules(
        id=poll["ref"],
        title=poll["title"],
        method=poll["method"],
        seats=poll["seats"],
        max_approvals=poll["max_approvals"],
        entitled=entitled,
        present=present,
        issued=issued,
        quorum=parse_fraction(poll["quorum_fraction"]) or Fraction(2, 3),
        threshold=Threshold(poll["threshold_base"], parse_fraction(poll["threshold_fraction"]) or Fraction(1, 2),
                            bool(poll["threshold_strict"])),
        candidates=tuple(CandidateRef(c["ref"], c["title"]) for c in candidates),
    )
