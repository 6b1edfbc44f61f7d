"""The status colour of a project under supervision: one documented rule, pure.

- green (绿): on schedule;
- yellow (黄): behind schedule by more than `yellow_gap` percentage points, or an open
  rectification due within `near_days` days, or a progress report overdue;
- red (红): behind by more than `red_gap` points, or an open rectification past its deadline.

"On schedule" compares the reported progress with the share of the planned time that has
passed (a straight line from the start date, 0 %, to the end date, 100 %). A project not
started yet, completed or past it is green unless a rectification says otherwise; a
suspended or terminated project is grey (灰): it is not being judged against its schedule.
The thresholds are per congress (`SupervisionSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COLOURS = {"green": "绿灯：按计划推进", "yellow": "黄灯：进度滞后或整改临近期限", "red": "红灯：严重滞后或整改逾期",
           "grey": "灰：暂停或终止"}


@dataclass(frozen=True)
class Thresholds:
    """A congress's supervision settings: the status light's thresholds, and what a satisfaction
    verdict sets off (lifecycle.evaluation.needs_rectification)."""

    yellow_gap: int = 10
    red_gap: int = 25
    near_days: int = 7
    report_every_days: int = 92
    rectify_basically: bool = False  # 基本满意, like 不满意, opens a rectification
    verdict_rectify_days: int = 90  # the deadline of that rectification


@dataclass(frozen=True)
class Standing:
    """What the rule looks at."""

    stage: str
    progress: int  # percent
    starts_on: date | None
    ends_on: date | None
    open_deadlines: tuple[date, ...] = ()  # due dates of rectifications not yet closed
    last_report_on: date | None = None


def expected_progress(starts_on: date | None, ends_on: date | None, today: date) -> int:
    """The share of the planned time that has passed, in percent (0 before the start, 100 after the end)."""
    if starts_on is None or ends_on is None or today <= starts_on:
        return 0
    if today >= ends_on or ends_on <= starts_on:
        return 100
    return round(100 * (today - starts_on).days / (ends_on - starts_on).days)


def colour(standing: Standing, today: date, thresholds: Thresholds = Thresholds()) -> str:
    if standing.stage in ("suspended", "terminated"):
        return "grey"
    overdue = any(due < today for due in standing.open_deadlines)
    near = any(0 <= (due - today).days <= thresholds.near_days for due in standing.open_deadlines)
    if standing.stage != "implementing":
        return "red" if overdue else "yellow" if near else "green"
    gap = expected_progress(standing.starts_on, standing.ends_on, today) - standing.progress
    report_overdue = (standing.starts_on is not None and today > standing.starts_on
                      and (today - (standing.last_report_on or standing.starts_on)).days
                      > thresholds.report_every_days)
    if overdue or gap > thresholds.red_gap:
        return "red"
    if near or gap > thresholds.yellow_gap or report_overdue:
        return "yellow"
    return "green"


def weighted_progress(milestones: list[tuple[int, int]]) -> int:
    """Overall progress from (weight, percent) pairs: the weighted mean, rounded down."""
    total = sum(weight for weight, _ in milestones)
    if total <= 0:
        return 0
    return sum(weight * max(0, min(100, percent)) for weight, percent in milestones) // total
