"""The status colour of a project under supervision: one documented rule, pure.

- green (绿): on schedule;
- yellow (黄): behind schedule by more than `yellow_gap` percentage points, or an open
  rectification due within `near_days` days (today included), or a progress report overdue:
  none for more than `report_every_days` days since the last one (or since the start);
- red (红): behind by more than `red_gap` points, or an open rectification past its deadline.

"On schedule" compares the reported progress with the share of the planned time that has
passed (a straight line from the start date, 0 %, to the end date, 100 %); a project still
being implemented after its end date is expected at 100 %. Only a project being implemented
is judged against its schedule and its reports: one not started yet (its plan still being
drawn up, or its start date still ahead), reported complete, accepted or evaluated is green
unless an open rectification says otherwise; a suspended or terminated project is grey (灰).
The thresholds are per congress (`SupervisionSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COLOURS = {"green": "绿灯：按计划推进", "yellow": "黄灯：进度滞后、整改临近期限或进度报告逾期",
           "red": "红灯：严重滞后或整改逾期", "grey": "灰：暂停或终止"}


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


def report_overdue(stage: str, starts_on: date | None, last_report_on: date | None, today: date,
                   every_days: int) -> bool:
    """Whether a project being implemented has gone more than `every_days` days without a progress
    report (counted from its start date until the first one)."""
    if stage != "implementing" or starts_on is None or today <= starts_on:
        return False
    return (today - (last_report_on or starts_on)).days > every_days


def colour(standing: Standing, today: date, thresholds: Thresholds = Thresholds()) -> str:
    if standing.stage in ("suspended", "terminated"):
        return "grey"
    overdue = any(due < today for due in standing.open_deadlines)
    near = any(0 <= (due - today).days <= thresholds.near_days for due in standing.open_deadlines)
    if standing.stage != "implementing":
        return "red" if overdue else "yellow" if near else "green"
    gap = expected_progress(standing.starts_on, standing.ends_on, today) - standing.progress
    if overdue or gap > thresholds.red_gap:
        return "red"
    if near or gap > thresholds.yellow_gap or report_overdue(standing.stage, standing.starts_on,
                                                             standing.last_report_on, today,
                                                             thresholds.report_every_days):
        return "yellow"
    return "green"


def weighted_progress(milestones: list[tuple[int, int]]) -> int:
    """Overall progress from (weight, percent) pairs: the weighted mean, rounded down."""
    total = sum(weight for weight, _ in milestones)
    if total <= 0:
        return 0
    return sum(weight * max(0, min(100, percent)) for weight, percent in milestones) // total
