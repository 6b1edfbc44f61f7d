"""The status light (lifecycle.colours): one test per documented cause and boundary, then a
project built by the real use cases whose colour the console dashboard and its public page show."""

import re
from datetime import date, timedelta

from lifecycle import projects, proposals
from lifecycle.colours import Standing, Thresholds, colour, report_overdue
from tests.hall import login_staff
from tests.lifecycle.test_projects import chosen_project, department_who, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT

START = date(2027, 1, 1)
END = START + timedelta(days=200)
ON = START + timedelta(days=100)  # half the planned time gone: 50 % expected


def implementing(progress: int = 50, *, deadlines: tuple[date, ...] = (), last_report_on: date | None = ON,
                 stage: str = "implementing") -> Standing:
    return Standing(stage, progress, START, END, deadlines, last_report_on)


def test_on_schedule_or_ahead_is_green():
    assert colour(implementing(50), ON) == "green"
    assert colour(implementing(90), ON) == "green"


def test_a_lag_just_over_the_yellow_gap_is_yellow_and_exactly_the_gap_is_not():
    assert colour(implementing(40), ON) == "green"  # 10 points behind: the gap itself
    assert colour(implementing(39), ON) == "yellow"  # 11 points behind


def test_a_lag_just_over_the_red_gap_is_red_and_exactly_the_gap_is_yellow():
    assert colour(implementing(25), ON) == "yellow"  # 25 points behind: the gap itself
    assert colour(implementing(24), ON) == "red"  # 26 points behind


def test_an_open_rectification_due_within_near_days_is_yellow():
    assert colour(implementing(deadlines=(ON + timedelta(days=7),)), ON) == "yellow"
    assert colour(implementing(deadlines=(ON,)), ON) == "yellow"  # due today: near, not yet past
    assert colour(implementing(deadlines=(ON + timedelta(days=8),)), ON) == "green"


def test_a_rectification_past_its_deadline_is_red_whatever_else():
    assert colour(implementing(deadlines=(ON - timedelta(days=1),)), ON) == "red"
    assert colour(implementing(deadlines=(ON + timedelta(days=3), ON - timedelta(days=1))), ON) == "red"


def test_a_progress_report_overdue_is_yellow():
    assert colour(implementing(last_report_on=ON - timedelta(days=92)), ON) == "green"  # exactly the period
    assert colour(implementing(last_report_on=ON - timedelta(days=93)), ON) == "yellow"
    # never reported: counted from the start date
    assert colour(implementing(60, last_report_on=None), START + timedelta(days=92)) == "green"
    assert colour(implementing(60, last_report_on=None), START + timedelta(days=93)) == "yellow"
    # only while implementing: the department's project list flags "逾期未报" by the same rule
    for stage in ("planning", "suspended", "completed"):
        assert not report_overdue(stage, START, None, END, 92), stage
    assert report_overdue("implementing", START, None, END, 92)


def test_still_being_implemented_after_the_end_date_is_judged_against_100_percent():
    after = END + timedelta(days=60)
    assert colour(implementing(100, last_report_on=after), after) == "green"
    assert colour(implementing(80, last_report_on=after), after) == "yellow"
    assert colour(implementing(60, last_report_on=after), after) == "red"


def test_a_project_not_started_is_green():
    assert colour(implementing(0, last_report_on=None), START) == "green"  # its start date is today
    assert colour(implementing(0, last_report_on=None), START - timedelta(days=30)) == "green"
    # its plan still drawn up long after the dates it names: not judged against them, nor for reports
    assert colour(implementing(0, last_report_on=None, stage="planning"), END) == "green"


def test_a_completed_project_is_green_but_not_with_a_rectification_open():
    later = END + timedelta(days=150)
    for stage in ("completed", "accepted", "evaluated"):
        assert colour(implementing(70, last_report_on=START, stage=stage), later) == "green", stage
        assert colour(implementing(100, deadlines=(later - timedelta(days=1),), stage=stage), later) == "red", stage
        assert colour(implementing(100, deadlines=(later + timedelta(days=2),), stage=stage), later) == "yellow", stage


def test_suspended_and_terminated_projects_are_grey_whatever_their_lag():
    for stage in ("suspended", "terminated"):
        assert colour(implementing(0, deadlines=(ON - timedelta(days=30),), last_report_on=None, stage=stage),
                      ON) == "grey", stage


def test_the_congress_thresholds_change_the_outcome():
    strict = Thresholds(yellow_gap=5, red_gap=15, near_days=14, report_every_days=30)
    lenient = Thresholds(yellow_gap=20, red_gap=40, near_days=2, report_every_days=120)
    cases = [  # (standing, with the defaults, strict, lenient)
        (implementing(44), "green", "yellow", "green"),  # 6 points behind
        (implementing(34), "yellow", "red", "green"),  # 16 points behind
        (implementing(20), "red", "red", "yellow"),  # 30 points behind
        (implementing(deadlines=(ON + timedelta(days=5),)), "yellow", "yellow", "green"),
        (implementing(deadlines=(ON + timedelta(days=10),)), "green", "yellow", "green"),
        (implementing(last_report_on=ON - timedelta(days=40)), "green", "yellow", "green"),
        (implementing(last_report_on=ON - timedelta(days=100)), "yellow", "yellow", "green"),
    ]
    for standing, default, strict_colour, lenient_colour in cases:
        assert [colour(standing, ON), colour(standing, ON, strict), colour(standing, ON, lenient)] == [
            default, strict_colour, lenient_colour], standing


def colour_words(html: str, after: str) -> str:
    """The words of the first status light on the page after `after`, its tags taken away."""
    span = re.search(r'<span class="colour-word colour-\w+"[^>]*>(.*?)</span>', html[html.index(after):], re.S)
    assert span, after
    return re.sub(r"<[^>]+>", "", span.group(1)).strip()


async def test_a_project_behind_schedule_shows_its_colour_on_the_dashboard_and_public_page_until_it_catches_up(
        hall, client):
    project = await chosen_project(hall)
    department, dept = await department_who(hall)
    today = proposals.today()
    await projects.save_plan(project["id"], plan(department, today - timedelta(days=100)), SECRETARIAT)
    await publish(project["id"], dept)  # 200 days planned, half gone: 50 % expected today
    base, surface = await projects.milestones(project["id"])  # weights 40 and 60
    code = (await projects.get_project(project["id"]))["code"]
    await login_staff(client)

    async def shown() -> tuple[str, str]:
        console = await client.get(f"/console/dashboard?congress={hall.congress_id}&year={project['year']}")
        public = await client.get(f"/public/projects/{code}")
        assert console.status_code == public.status_code == 200
        return (colour_words(console.text, f'href="/console/projects/{project["id"]}"'),
                colour_words(public.text, "当前阶段"))

    async def report(period: str, percents: dict[int, int], narrative: str) -> None:
        await projects.file_report(project["id"], period, today, percents, 30, narrative, dept)

    await report("第一次报告", {base["id"]: 50}, "路基完成一半，雨天较多，进度滞后。")  # 20 %: 30 points behind
    assert await shown() == ("红灯", "红灯（严重滞后或整改逾期）")
    await report("第二次报告", {base["id"]: 90}, "路基基本完成，正在追赶进度。")  # 36 %: 14 points behind
    assert await shown() == ("黄灯", "黄灯（进度滞后、整改临近期限或进度报告逾期）")
    await report("第三次报告", {base["id"]: 100, surface["id"]: 20}, "路基全部完成，路面开始铺设，赶上计划。")  # 52 %
    assert await shown() == ("绿灯", "绿灯（按计划推进）")
