"""The demo's year before (lifecycle.demo_year), loaded as `make run` loads it: migrations, then
`python -m voting demo` and `python -m lifecycle demo`, into a fresh database of the engine under
test. Read back from that database, served by the real app, and checked with `python -m voting
verify`; the schedule itself is checked for every day of two years it might be loaded on."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from pypdf import PdfReader

from lifecycle import colours, demo_year
from lifecycle.demo_year import DEPUTY_INSPECTIONS, PLANS, Calendar
from lifecycle.proposals import today
from tests.demo_site import load_demo, serving

ROOT = Path(__file__).resolve().parents[2]
EVERY_STAGE = {"planning", "implementing", "suspended", "completed", "accepted", "evaluated"}
READ_BACK = """
import asyncio, json
from collections import Counter


async def main():
    from voting import database
    await database.prepare()
    try:
        from lifecycle import dashboard
        from lifecycle.tables import Acceptance, Custodian, MaintenanceEntry, Project, ProjectAttachment, Rectification
        from voting.tables import Poll, Session
        first = await Project.select(Project.year, Project.congress).order_by(Project.id).first()
        data = await dashboard.dashboard(dashboard.Scope(first["year"], first["congress"]))
        photos = Counter((a["project"], a["kind"]) for a in await ProjectAttachment.select(
            ProjectAttachment.project, ProjectAttachment.kind))
        rects = await Rectification.select(Rectification.project, Rectification.status)
        projects = [{"id": r["id"], "title": r["title"], "code": r["code"], "stage": r["stage"], "colour": r["colour"],
                     "verdict": r["verdict"], "report_photos": photos[(r["id"], "report")],
                     "inspection_photos": photos[(r["id"], "inspection")],
                     "rectifications": sorted(x["status"] for x in rects if x["project"] == r["id"]),
                     "acceptances": await Acceptance.count().where(Acceptance.project == r["id"]),
                     "custodians": await Custodian.count().where(Custodian.project == r["id"]),
                     "upkeep": await MaintenanceEntry.count().where(MaintenanceEntry.project == r["id"])}
                    for r in data["rows"]]
        polls = await Poll.select(Poll.ref, Poll.method, Poll.status, Poll.published_at,
                                  Poll.session.number.as_alias("session")).order_by(Poll.id)
        print(json.dumps({"year": first["year"], "congress": first["congress"], "projects": projects,
                          "by_colour": data["by_colour"], "polls": polls}, default=str, ensure_ascii=False))
    finally:
        await database.shutdown()


asyncio.run(main())
"""


@dataclass
class Site:
    env: dict[str, str]
    url: str
    seconds: float  # how long `python -m lifecycle demo` took

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=300)

    def read_back(self) -> dict:
        done = self.run("-c", READ_BACK)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
async def site(engine_name, tmp_path_factory):
    """A fresh database loaded as `make run` does, and the app serving it."""
    from tests.conftest import PG_ADMIN_URL, _pg_admin

    env = {**os.environ, "PIAOJUE_DATA": str(tmp_path_factory.mktemp("demo-year")), "PIAOJUE_DEMO": "1"}
    database = None
    if engine_name == "postgresql":
        database = f"piaojue_demo_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    else:
        env.pop("DATABASE_URL", None)

    try:
        seconds = await asyncio.to_thread(load_demo, env)
        with serving(env) as server:
            yield Site(env, server.url, seconds)
    finally:
        if database:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def staff_client(site: Site) -> Iterator[httpx.Client]:
    """The demo's secretariat, logged in."""
    with httpx.Client(base_url=site.url, timeout=120) as client:
        client.get("/console/login")
        signed_in = client.post("/console/login", data={"username": "mishu", "password": "qingxi2025",
                                                        "_csrf_token": client.cookies.get("csrftoken", "")})
        assert signed_in.status_code in (302, 303), signed_in.text[-500:]
        yield client


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_it_loads_in_seconds_and_only_into_an_empty_database(site):
    print(f"python -m lifecycle demo: {site.seconds:.1f} s")
    assert site.seconds < 60, site.seconds
    before = site.read_back()
    again = site.run("-m", "lifecycle", "demo")
    assert again.returncode == 0 and "已载入" not in again.stdout, again.stdout + again.stderr
    assert site.read_back() == before


def test_every_stage_and_every_light_is_on_the_database(site):
    found = site.read_back()
    projects = {p["title"]: p for p in found["projects"]}
    assert {p["stage"] for p in projects.values()} == EVERY_STAGE
    assert {p["colour"] for p in projects.values()} == {"green", "yellow", "red", "grey"}
    assert all(found["by_colour"][c] >= 1 for c in ("green", "yellow", "red", "grey"))
    by_stage = {p["stage"]: p for p in projects.values()}
    evaluated, accepted = by_stage["evaluated"], by_stage["accepted"]
    assert evaluated["verdict"] == "satisfied" and evaluated["custodians"] >= 1 and evaluated["upkeep"] >= 1
    assert accepted["acceptances"] == 1 and accepted["verdict"] is None
    assert by_stage["suspended"]["colour"] == "grey"
    lights = {p["colour"]: p for p in projects.values() if p["stage"] == "implementing"}
    assert set(lights) == {"green", "yellow", "red"}  # on schedule, behind, far behind
    assert all(p["report_photos"] >= 2 for p in lights.values())
    assert lights["yellow"]["rectifications"] == ["open"] and lights["yellow"]["inspection_photos"] == 1
    assert lights["red"]["rectifications"] == ["replied"]
    assert by_stage["completed"]["rectifications"] == ["closed"]
    assert [(p["method"], p["status"], p["session"]) for p in found["polls"]] == [
        ("approval", "draft", 3), ("approval", "closed", 1), ("satisfaction", "closed", 2)]
    assert all(p["published_at"] for p in found["polls"][1:])


def test_python_m_voting_verify_passes_on_the_previous_years_polls(site):
    for poll in site.read_back()["polls"][1:]:
        checked = site.run("-m", "voting", "verify", poll["ref"])
        assert checked.returncode == 0 and "核验通过" in checked.stdout, checked.stdout + checked.stderr
        assert "选票与封存一致，重新计票结果与存档一致" in checked.stdout and "哈希链完整" in checked.stdout
        exported = site.run("-m", "voting", "export", poll["ref"])
        assert exported.returncode == 0 and json.loads(exported.stdout)["ballots"], exported.stderr


def test_the_dashboard_and_the_bulletin_show_them(site):
    found = site.read_back()
    scope = f"congress={found['congress']}&year={found['year']}"
    with staff_client(site) as clerk:
        page = clerk.get("/console/dashboard")
        assert page.status_code == 200
        text = words(page.text)
        assert f"{found['year']} 年" in text
        for label in ("编制实施方案", "实施中", "暂停", "完工待验收", "已验收", "已测评"):
            assert re.search(rf"{label} [1-9]\d* 个", text), label
        for light in ("绿灯", "黄灯", "红灯", "灰"):
            assert re.search(rf"{light} [1-9]\d* 个", text), light
        for project in found["projects"]:
            assert project["title"] in text
        printed = clerk.get(f"/console/dashboard/bulletin.pdf?{scope}&number=4")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    pdf = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.content)).pages))
    assert "民生实事项目进度通报" in pdf and "第四期" in pdf
    counts = re.search(r"按进度状态：绿灯(\d+)个，黄灯(\d+)个，红灯(\d+)个，暂停或终止(\d+)个", pdf)
    assert counts and all(int(n) >= 1 for n in counts.groups()), pdf[:600]
    for project in found["projects"]:
        assert project["title"][:8] in pdf, project["title"]  # a long title wraps in its table cell


def test_a_public_timeline_tells_the_year_in_order_with_its_photos(site):
    found = site.read_back()
    calendar = Calendar(today())
    evaluated = next(p for p in found["projects"] if p["stage"] == "evaluated")
    behind = next(p for p in found["projects"] if p["colour"] == "yellow")
    with httpx.Client(base_url=site.url, timeout=60) as citizen:
        listed = citizen.get("/public/projects")
        assert all(p["code"] in listed.text for p in found["projects"])
        for project in (evaluated, behind):
            page = citizen.get(f"/public/projects/{project['code']}")
            assert page.status_code == 200
            text = words(page.text)
            assert project["title"] in text
            vote = calendar.vote
            assert f"票决确定 {vote.year}年{vote.month}月{vote.day}日" in text  # the stepper, dated by the vote
            times = re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d\d):(\d\d) ", text)  # the history, oldest first
            stamps = [tuple(int(x) for x in t) for t in times]
            assert len(stamps) >= 8 and stamps == sorted(stamps), stamps
            assert date(*stamps[0][:3]) < vote < date(*stamps[-1][:3]) <= today()
            images = re.findall(r'src="(/public/projects/[^"]+/files/[0-9a-f]{64})"', page.text)
            assert len(images) >= project["report_photos"] >= 2
            photo = citizen.get(images[0])
            assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        assert "满意" in words(citizen.get(f"/public/projects/{evaluated['code']}").text)


# --- the schedule, for any day the demo is loaded ---------------------------------------------


def standing(calendar: Calendar, key: str, open_due: tuple[date, ...] = ()) -> colours.Standing:
    """How a project implementing under PLANS stands on the calendar's day, after its last report."""
    _, _, _, _, (start, end), stones, reports = PLANS[key]
    share, percents, _, _ = reports[-1]
    progress = colours.weighted_progress([(weight, percent) for (_, weight, _), percent in zip(stones, percents)])
    return colours.Standing("implementing", progress, calendar.at(start), calendar.at(end), open_due,
                            calendar.at(share))


@pytest.mark.once
def test_the_lights_and_the_order_of_events_hold_whatever_day_the_demo_is_loaded():
    first = date(2026, 1, 1)
    for n in range(2 * 366):
        today = first + timedelta(days=n)
        calendar = Calendar(today)
        assert calendar.vote.month == 1 and calendar.vote.year == calendar.year
        assert (today - calendar.vote).days >= demo_year.LEAD_DAYS
        assert calendar.vote < calendar.plans_start < calendar.at(0.36) < calendar.at(0.42) < calendar.at(0.8)
        assert calendar.at(0.8) < calendar.at(0.9) < calendar.days(-6) and calendar.at(0.98) < today
        assert colours.colour(standing(calendar, "trail"), today) == "green", today
        market_due = calendar.days(DEPUTY_INSPECTIONS["market"][3])
        assert colours.colour(standing(calendar, "market", (market_due,)), today) == "yellow", today
        assert colours.colour(standing(calendar, "transfer"), today) == "red", today
        for key, (_, _, _, _, (start, end), stones, reports) in PLANS.items():
            assert all(calendar.at(start) <= calendar.at(due) <= calendar.at(end) for _, _, due in stones), key
            assert all(calendar.at(share) < today for share, *_ in reports), key
            assert sum(weight for _, weight, _ in stones) == 100, key
