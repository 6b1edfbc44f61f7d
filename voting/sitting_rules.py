"""What must be true for a sitting (全体会议) and for check-in, as pure functions.

A session (会议) meets in sittings: plenary meetings on a date within the session's
dates, in a time window. The secretariat plans a sitting, opens it when the meeting
begins and closes it when it ends; a closed sitting is never reopened (the next meeting
is a new sitting). Deputies check in to the open sitting only, and a poll opens within
it. While a poll of the session is open, a check-in made from the console or a new
login code for a deputy is only a request until a second, different staff member
approves it (no one votes for an absent deputy).

No I/O, no clock, no database.
"""

from __future__ import annotations

import re
from datetime import date

SITTING_STATUS_LABELS = {"planned": "未开始", "open": "进行中", "closed": "已结束"}
# status -> the statuses it may move to
SITTING_MOVES = {"planned": ("open",), "open": ("closed",), "closed": ()}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def sitting_problems(held_on: date | None, starts_at: str, ends_at: str, session_starts: date | None,
                     session_ends: date | None) -> list[str]:
    """Every reason a sitting cannot be planned so (Chinese); empty when it can."""
    found = []
    if held_on is None:
        found.append("请填写全体会议的日期。")
    elif session_starts and held_on < session_starts or session_ends and held_on > session_ends:
        span = f"{session_starts or '…'} 至 {session_ends or '…'}"
        found.append(f"全体会议的日期 {held_on} 不在本次会议的会期（{span}）之内。")
    for label, text in (("开始时间", starts_at), ("结束时间", ends_at)):
        if not _TIME.match(text or ""):
            found.append(f"{label}“{(text or '')[:10]}”格式不对，请写成 09:00。")
    if not found and ends_at <= starts_at:
        found.append("全体会议的结束时间必须晚于开始时间。")
    return found


def move_refusal(status: str, to: str, *, other_open: bool = False, polls_open: int = 0) -> str | None:
    """Why a sitting in `status` may not move to `to`, or None. `other_open`: another sitting
    of the session is open (one at a time); `polls_open`: polls of this sitting still open."""
    if to not in SITTING_MOVES.get(status, ()):
        if status == "closed":
            return "这次全体会议已经结束，不能再开始；请新建下一次全体会议。"
        if to == "closed":
            return "这次全体会议还没有开始，不能结束。"
        return "这次全体会议已经开始了。"
    if to == "open" and other_open:
        return "本次会议另有一次全体会议正在进行，请先结束它。"
    if to == "closed" and polls_open:
        return f"还有 {polls_open} 个票决正在投票，请先结束投票再结束全体会议。"
    return None


def check_in_refusal(sitting_status: str | None) -> str | None:
    """Why a deputy cannot check in now, or None: only to an open sitting."""
    if sitting_status == "open":
        return None
    if sitting_status is None:
        return "现在没有正在进行的全体会议，不能签到。请等秘书处宣布全体会议开始后再签到。"
    return "这次全体会议尚未开始或已经结束，不能签到。"


def needs_second_staff(polls_open: int) -> bool:
    """Whether a console check-in or a new login code needs a second staff member's approval."""
    return polls_open > 0


def approval_refusal(requested_by_key: str, approver_key: str, status: str) -> str | None:
    """Why this staff member may not approve this request, or None."""
    if status != "pending":
        return "这项申请已经处理过了。"
    if requested_by_key == approver_key:
        return "不能批准自己提出的申请，须由另一位工作人员批准。"
    return None
