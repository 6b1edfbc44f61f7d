"""The projects' dashboard and lists at province size on PostgreSQL: how long a page takes.

A province-wide platform holds thousands of congresses. The benchmark makes a fresh
database on the private PostgreSQL server (`scripts/postgres-test-server.sh`, or the
server named by PIAOJUE_BENCH_PG / PIAOJUE_TEST_PG), migrates it, and loads by COPY
5,000 congresses with 10 chosen projects each (50,000 projects, with their proposals
and public history), three milestones and four quarterly progress reports a project,
and rectifications on a fifth of them. The real application then answers, through
httpx in process, the secretariat's dashboard (one congress, and all 5,000 at once),
the progress bulletin's HTML, the public project list and a project's public page.
The reference, served the same way, is a bare Litestar endpoint returning fifty rows as
JSON without touching the database. Target: each page under 200 ms; the queries a page
makes are counted too (they must not grow with the rows).

Without a reachable PostgreSQL server the benchmark says so and records a skip.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.core import ROOT, below, median, record, setting

CONGRESSES = 5_000
PER_CONGRESS = 10
DEPARTMENTS = ("交通运输局", "教育局", "水利局", "卫生健康局", "民政局")
CATEGORIES = ("transport", "education", "water", "health", "elderly_childcare", "culture_sport", "rural",
              "environment", "safety", "other")
WORDS = ("道路硬化", "老年食堂", "饮水管网改造", "卫生院改造", "幼儿园扩班", "健身步道", "农贸市场提升", "公厕改造",
         "路灯安装", "垃圾中转站", "停车场", "文化礼堂", "充电桩", "便民服务中心", "防洪堤")
STAGES = ("implementing",) * 75 + ("completed",) * 8 + ("accepted",) * 7 + ("evaluated",) * 4 + \
         ("suspended",) * 3 + ("terminated",) * 1 + ("planning",) * 2
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
UTC = timezone.utc


def _code(n: int) -> str:
    digits = []
    for _ in range(8):
        n, rest = divmod(n, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[rest])
    raw = "".join(reversed(digits))
    return f"{raw[:4]}-{raw[4:]}"


def _server() -> str | None:
    """The admin DSN of a PostgreSQL server to use, starting the private one if need be."""
    for key in ("PIAOJUE_BENCH_PG", "PIAOJUE_TEST_PG"):
        if os.environ.get(key):
            return os.environ[key]
    try:
        started = subprocess.run(["bash", str(ROOT / "scripts/postgres-test-server.sh")], cwd=ROOT, check=True,
                                 capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return started.stdout.strip().splitlines()[-1] if started.stdout.strip() else None


def _rows(year: int, today: date, congresses: int) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table's rows, ids given (the sequences are set after), as (columns, tuples)."""
    rng = random.Random(459 * 6047)
    now = datetime.now(UTC)
    quarters = [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), min(date(year, 12, 31), today)]
    congress, department, rounds, proposal, project, milestone, report, rectification, event, settings = (
        [], [], [], [], [], [], [], [], [], [])
    department_id = milestone_id = report_id = rectification_id = event_id = 0
    for c in range(1, congresses + 1):
        county = f"第{c:04d}县" if c % 5 == 0 else f"第{c:04d}镇"
        congress.append((c, f"{county}人民代表大会", "county" if c % 5 == 0 else "township", county))
        departments = []
        for name in DEPARTMENTS:
            department_id += 1
            department.append((department_id, c, f"{county}{name}"))
            departments.append(department_id)
        rounds.append((c, c, year, f"{year} 年民生实事项目征集", date(year - 1, 9, 1), date(year - 1, 9, 30),
                       rng.randint(500, 5000), now))
        if c % 10 == 0:
            settings.append((c, c, 10, 25, 7, 92))
        for k in range(PER_CONGRESS):
            n = (c - 1) * PER_CONGRESS + k + 1
            title = f"{county}第{k + 1}村{rng.choice(WORDS)}"
            category = rng.choice(CATEGORIES)
            budget = rng.randint(20, 900)
            submitted = datetime(year - 1, 9, 1, tzinfo=UTC) + timedelta(minutes=n)
            proposal.append((n, c, _code(n), title, f"{title}：群众反映强烈，需求迫切。", county, f"第{k + 1}村", category,
                             budget, rng.randint(100, 20000), "liaison_station", "", "", None, rng.randint(1, 30),
                             "chosen", None, "", None, None, None, submitted, submitted))
            stage = rng.choice(STAGES)
            ends = date(year, 12, 31) if rng.random() < 0.7 else date(year, 9, 30)
            progress = 100 if stage in ("completed", "accepted", "evaluated") else 0 if stage == "planning" else \
                rng.randint(15, 100)
            filed = [] if stage == "planning" else quarters
            spent = int(budget * progress / 100 * rng.uniform(0.8, 1.0))
            verdict = rng.choice(("satisfied", "satisfied", "basically_satisfied", "dissatisfied")) \
                if stage == "evaluated" else None
            project.append((n, n, c, year, title, category, stage, rng.choice(departments), "责任人", budget, "县财政",
                            "建设内容", date(year, 1, 1), ends, None if stage == "planning" else now, progress, spent,
                            filed[-1] if filed else None, verdict, None, now))
            for position, weight in enumerate((30, 30, 40), start=1):
                milestone_id += 1
                milestone.append((milestone_id, n, position, f"第{position}阶段", weight,
                                  date(year, 3 * position + 1, 28), min(100, progress + rng.randint(-10, 10))))
            for q, day in enumerate(filed, start=1):
                report_id += 1
                report.append((report_id, n, f"{year}年第{'一二三四'[q - 1]}季度", day, "{}", progress * q // 4,
                               spent * q // 4, "按计划推进，群众反映良好。", "承办部门", now))
            if rng.random() < 0.2:
                for _ in range(rng.choice((1, 1, 2))):
                    rectification_id += 1
                    status = rng.choice(("open", "open", "replied", "closed", "closed"))
                    rectification.append((rectification_id, n, "inspection", None, "护栏缺失，排水不畅",
                                          today + timedelta(days=rng.randint(-60, 60)), status, "", None, None,
                                          "监督小组", "", now))
            for kind, stage_from, stage_to, role, text in (
                    ("submitted", "", "submitted", "deputy", "通过“代表联络站”提交"),
                    ("moved", "candidate", "chosen", "system", "票决确定"),
                    ("project", "", "planning", "system", "列为民生实事项目，进入实施方案编制"),
                    ("plan", "", "", "department", "提交实施方案，待人大常委会工作机构审定"),
                    ("project", "planning", "implementing", "secretariat", "公布实施方案")):
                event_id += 1
                event.append((event_id, n, submitted, kind, stage_from, stage_to, role, "", text, "{}"))
    return {
        "congress": (["id", "name", "level", "place"], congress),
        "department": (["id", "congress", "name"], department),
        "collection_round": (["id", "congress", "year", "title", "opens_on", "closes_on", "budget_wan", "created_at"],
                             rounds),
        "proposal": (["id", "round", "code", "title", "description", "township", "village", "category", "cost_wan",
                      "beneficiaries", "channel", "proposer_name", "contact", "deputy", "supporters", "stage",
                      "merged_into", "decision_reason", "session", "position", "poll", "created_at", "updated_at"],
                     proposal),
        "project": (["id", "proposal", "congress", "year", "title", "category", "stage", "department", "lead_official",
                     "budget_wan", "funding", "targets", "starts_on", "ends_on", "plan_published_at", "progress",
                     "spent_wan", "last_report_on", "verdict", "warranty_until", "updated_at"], project),
        "milestone": (["id", "project", "position", "title", "weight", "due_on", "percent"], milestone),
        "progress_report": (["id", "project", "period", "filed_on", "percents", "progress", "spent_wan", "narrative",
                             "by", "at"], report),
        "rectification": (["id", "project", "source", "inspection", "request", "due_on", "status", "reply",
                           "replied_at", "closed_at", "raised_by", "closed_by", "at"], rectification),
        "proposal_event": (["id", "proposal", "at", "kind", "stage_from", "stage_to", "role", "actor", "text",
                            "detail"], event),
        "supervision_settings": (["id", "congress", "yellow_gap", "red_gap", "near_days", "report_every_days"],
                                 settings),
    }


async def _load(dsn: str, year: int, today: date, congresses: int) -> dict[str, int]:
    import asyncpg

    tables = _rows(year, today, congresses)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for table, (columns, rows) in tables.items():
                await connection.copy_records_to_table(table, records=rows, columns=columns)
                await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return {table: len(rows) for table, (_, rows) in tables.items()}


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _skip(reason: str) -> list[dict[str, Any]]:
    print(f"project-dashboard: skipped, {reason}", flush=True)
    return [record("project-dashboard: skipped", 0, "", note=f"skipped: {reason}")]


def project_dashboard() -> list[dict[str, Any]]:
    admin = _server()
    if not admin:
        return _skip("no PostgreSQL server (scripts/postgres-test-server.sh failed; set PIAOJUE_BENCH_PG)")
    name = f"piaojue_bench_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means: skip, say why
        return _skip(f"PostgreSQL not reachable at {admin} ({type(error).__name__}: {error})")
    try:
        return _run(admin.rsplit("/", 1)[0] + "/" + name)
    finally:
        try:
            asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception:  # noqa: BLE001 - the server may be gone; nothing to keep
            pass


def _run(dsn: str) -> list[dict[str, Any]]:
    repeat = max(20, setting("BENCH_REPEAT", 3) * 10)
    data = Path(tempfile.mkdtemp(prefix="piaojue-bench-dashboard-"))
    os.environ.update({"PIAOJUE_DATA": str(data), "DATABASE_URL": dsn, "PIAOJUE_DEMO": "0"})
    subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=os.environ.copy())
    from lifecycle.proposals import today

    on = today()
    year = on.year
    started = time.perf_counter()
    how_many = setting("BENCH_CONGRESSES", CONGRESSES)
    counts = asyncio.run(_load(dsn, year, on, how_many))
    filled = time.perf_counter() - started
    congress = how_many // 2

    async def run() -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:

        from app import app
        from bench.pages import time_pages
        from voting import accounts, database

        await database.prepare()
        await accounts.create_staff("bench", "基准", "bench-password-1")
        token, _ = await accounts.staff_login("bench", "bench-password-1", "127.0.0.1")
        code = _code((congress - 1) * PER_CONGRESS + 3)
        paths = {
            "dashboard, one congress": f"/console/dashboard?congress={congress}&year={year}",
            "dashboard, one congress, red only": f"/console/dashboard?congress={congress}&year={year}&colour=red",
            f"dashboard, all {how_many:,} congresses": f"/console/dashboard?year={year}",
            "dashboard, all congresses, page 500": f"/console/dashboard?year={year}&page=500",
            "bulletin preview (HTML), one congress":
                f"/console/dashboard/bulletin.html?congress={congress}&year={year}",
            "public list, first page": f"/public/projects?year={year}",
            "public list, page 500": f"/public/projects?year={year}&page=500",
            "public list, one congress": f"/public/projects?year={year}&congress={congress}",
            "public list, title search": f"/public/projects?year={year}&q=饮水管网",
            "public project page": f"/public/projects/{code}",
        }
        pages, bare, queries = await time_pages(app, paths, repeat, token)
        await database.shutdown()
        return pages, bare, queries

    pages, bare, queries = asyncio.run(run())
    reference = median(bare["bare"])
    size = f"{counts['project']:,} projects in {counts['congress']:,} congresses on PostgreSQL"
    records = []
    for label, runs in pages.items():
        records.append(record(
            f"project-dashboard: {label}", median(runs) * 1000, "ms", reference="bare Litestar JSON page (50 rows)",
            reference_value=reference * 1000, target=below(200), runs=[r * 1000 for r in runs],
            note=f"{size}, median of {repeat}; {queries.get(label, 0)} queries a page"))
    records.append(record("project-dashboard: bulk load", filled, "s", target=below(120),
                          note=", ".join(f"{n:,} {table}" for table, n in counts.items()) + " by COPY (asyncpg)"))
    return records


if __name__ == "__main__":  # python -m bench.project_dashboard: run it here, print the records
    print(json.dumps(project_dashboard(), ensure_ascii=False, indent=2))
