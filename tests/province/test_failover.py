"""The database survives a failure (issue 15, item 6), during a rehearsal vote.

A primary with a synchronous streaming replica (tests/province/replication.py), the app (two
workers) on a multi-host DATABASE_URL with target_session_attrs=read-write, and
`python -m voting rehearse`'s client sending sealed ballots from 1,200 simulated tablets. When
the primary holds 150 ballots it is killed (an immediate shutdown, as a power cut). A second
later the replica is promoted. Meanwhile the app answers 503 and the tablets resend the same
ballot, as static/app.js does. The test then checks:

- every ballot answered "recorded" is in the promoted database once;
- a ballot whose answer was lost is refused as already voted when resent;
- every tablet ends with its ballot counted exactly once;
- the count after the failover equals the client's own count of the ballots it was told are in.

PostgreSQL only (it is PostgreSQL's replication that is tested).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest

from tests.conftest import ENGINE
from tests.province.replication import Cluster
from tests.servers import LiveServer
from voting import rehearsal

pytestmark = [pytest.mark.skipif(ENGINE != "postgresql", reason="PostgreSQL's streaming replication"),
              pytest.mark.slow]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER, PASSWORD = "failover", "failover-rehearsal-9"
DEPUTIES = 1200
KILL_AT = 150


def _prepare(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([os.path.join(ROOT, ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", (
        "import asyncio\n"
        "from voting import accounts, database\n"
        "async def main():\n"
        "    await database.prepare()\n"
        f"    await accounts.create_staff({USER!r}, '切换演练', {PASSWORD!r})\n"
        "    await database.shutdown()\n"
        "asyncio.run(main())\n")], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture
def cluster():
    made = Cluster()
    try:
        made.start(before_replica=lambda: _prepare(made.primary_url))
        yield made
    finally:
        made.stop()


async def _ballots(url: str, table: str = "ballot") -> int:
    """Ballots in the box: `sealed_ballot` while the poll is open, `ballot` once opened at the count."""
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await connection.close()


async def test_the_primary_dies_mid_vote_and_every_recorded_ballot_is_counted_once(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", cluster.url())
    monkeypatch.setenv("PIAOJUE_DATA", str(tmp_path / "node"))
    said: list[str] = []
    with LiveServer(workers=2) as server:
        options = rehearsal.Options(url=server.url, deputies=DEPUTIES, connections=2, user=USER, password=PASSWORD,
                                    keep=True, timeout=30.0)
        voting = asyncio.create_task(rehearsal.rehearse(options, say=said.append))
        while await _ballots(cluster.primary_url, "sealed_ballot") < KILL_AT:
            assert not voting.done(), "\n".join(said)
            await asyncio.sleep(0.02)
        await asyncio.to_thread(cluster.crash_primary)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(cluster.promote)
        report = await asyncio.wait_for(voting, 300)
        log = server.output()

    errors = sorted({line.split("] ", 1)[-1][:300] for line in log.splitlines()
                     if " ERROR " in line or line.startswith(("asyncpg.", "OSError", "ConnectionError"))})
    summary = rehearsal.summary(report) + "\n服务器日志中的错误：\n" + "\n".join(errors[:30])
    assert report.errors, "the failure was felt mid-vote: some tablets got no answer\n" + summary
    assert set(report.errors) == {"HTTP 503 database_unavailable"}, summary  # "try again", never a server error
    assert report.resent > 0 and report.unanswered == 0, summary
    assert report.accepted == report.deputies == DEPUTIES, summary  # each tablet's ballot is in
    assert report.duplicates_tried and report.duplicates_refused == report.duplicates_tried, summary
    assert report.server_result is not None and report.differences == [], summary  # count = what the tablets were told
    assert report.server_result["returned"] == DEPUTIES
    assert await _ballots(cluster.replica_url) == DEPUTIES  # the promoted server holds them once each
    assert cluster.sql(cluster.replica_port, "SELECT pg_is_in_recovery()") == "f"
    assert "database unavailable" in log  # said in one line each, not as a server error with a traceback
    assert "Traceback" not in log, log[max(0, log.find("Traceback") - 1500):log.find("Traceback") + 3000]
