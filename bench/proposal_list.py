"""The proposal lists with 100,000 proposals on embedded SQLite: how long a page takes.

A province-wide collection holds hundreds of thousands of proposals (Ningbo collected
14,131 in one round). The database is filled in bulk (sqlite3, one transaction), then
the real application answers the secretariat's filtered list and the public list
through httpx, in process, templates and all. The reference, in the same process and
served the same way, is a bare Litestar endpoint returning fifty rows as JSON without
touching the database: the framework's own cost of a page. Target: each page under
100 ms; the queries a page makes are counted too (they must not grow with the rows).
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.core import ROOT, below, median, record, setting
from bench.pages import time_pages

PROPOSALS = 100_000
TOWNS = ("城关镇", "东溪镇", "岭头镇", "白沙镇", "石门乡", "桃源乡", "龙潭镇", "枫林乡", "溪口镇", "双峰乡")
WORDS = ("道路硬化", "老年食堂", "饮水管网", "卫生院改造", "幼儿园扩班", "健身步道", "农贸市场", "公厕改造", "路灯安装",
         "垃圾中转站", "停车场", "文化礼堂", "充电桩", "便民服务中心", "防洪堤")
STAGES = ("submitted",) * 6 + ("shortlisted", "reserve", "rejected", "merged")
CATEGORIES = ("transport", "elderly_childcare", "water", "health", "education", "culture_sport", "rural",
              "environment", "safety", "other")


def _fill(path: Path, count: int) -> int:
    """Add a congress, a round and `count` proposals; the round id."""
    rng = random.Random(14131)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO congress (name, level, place) VALUES ('基准县人民代表大会', 'county', '基准县')")
    congress = db.execute("SELECT max(id) FROM congress").fetchone()[0]
    db.execute("INSERT INTO collection_round (congress, year, title, opens_on, closes_on, budget_wan, created_at) "
               "VALUES (?, 2027, '2027 年民生实事项目征集', '2026-09-01', '2026-09-30', 50000, ?)",
               (congress, datetime.now(timezone.utc).isoformat()))
    round_id = db.execute("SELECT max(id) FROM collection_round").fetchone()[0]
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    rows = []
    for n in range(count):
        town = TOWNS[n % len(TOWNS)]
        village = f"第{rng.randint(1, 40)}村"
        title = f"{village}{rng.choice(WORDS)}"
        at = (start + timedelta(seconds=n * 25)).isoformat()
        rows.append((round_id, f"B{n:07d}"[:4] + "-" + f"{n:07d}"[-4:], title, f"{title}：群众反映强烈，需求迫切。",
                     town, village, rng.choice(CATEGORIES), rng.randint(5, 800), rng.randint(50, 20000),
                     "online" if n % 3 else "liaison_station", "", "", None, rng.randint(1, 30),
                     rng.choice(STAGES), None, "", None, None, None, at, at))
    db.executemany(
        "INSERT INTO proposal (round, code, title, description, township, village, category, cost_wan, "
        "beneficiaries, channel, proposer_name, contact, deputy, supporters, stage, merged_into, "
        "decision_reason, session, position, poll, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return round_id


def proposal_list() -> list[dict[str, Any]]:
    count = setting("BENCH_PROPOSALS", PROPOSALS)
    repeat = max(20, setting("BENCH_REPEAT", 3) * 10)
    data = Path(tempfile.mkdtemp(prefix="piaojue-bench-list-"))
    os.environ.update({"PIAOJUE_DATA": str(data), "DATABASE_URL": "", "PIAOJUE_DEMO": "0"})
    subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=os.environ.copy())
    started = time.perf_counter()
    round_id = _fill(data / "piaojue.sqlite3", count)
    filled = time.perf_counter() - started

    async def run() -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:

        from app import app
        from voting import accounts, database

        await database.prepare()
        await accounts.create_staff("bench", "基准", "bench-password-1")
        token, _ = await accounts.staff_login("bench", "bench-password-1", "127.0.0.1")
        paths = {
            "console, first page": f"/console/proposals?round={round_id}",
            "console, filtered": f"/console/proposals?round={round_id}&stage=submitted&category=transport"
                                 f"&township=城关镇",
            "console, page 500": f"/console/proposals?round={round_id}&page=500",
            "console, title search": "/console/proposals?q=道路硬化&stage=shortlisted",
            "public, first page": "/public/proposals?year=2027",
            "public, filtered": "/public/proposals?year=2027&category=water&township=石门乡",
        }
        pages, bare, queries = await time_pages(app, paths, repeat, token)
        await database.shutdown()
        return pages, bare, queries

    pages, bare, queries = asyncio.run(run())
    reference = median(bare["bare"])
    records = []
    for name, runs in pages.items():
        records.append(record(
            f"proposal-list: {name}", median(runs) * 1000, "ms", reference="bare Litestar JSON page (50 rows)",
            reference_value=reference * 1000, target=below(100), runs=[r * 1000 for r in runs],
            note=f"{count:,} proposals on SQLite, median of {repeat}; {queries.get(name, 0)} queries a page"))
    records.append(record("proposal-list: bulk fill", filled, "s", note=f"{count:,} proposals by sqlite3 executemany"))
    return records
