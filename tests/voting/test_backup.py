"""A backup taken while deputies vote restores to the same results."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hall import STAFF
from voting import ballot_box, polls
from tests import sealed

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, data: Path | None = None, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    if data is not None:
        env["PIAOJUE_DATA"] = str(data)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "voting", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


async def counted_and_running(hall) -> tuple[int, int, str, str]:
    """A counted poll (its ref and exported ballot file) and an open one."""
    await hall.check_in()
    counted = await hall.poll(candidates=3, seats=1)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(counted, deputy, {"P01": "for"})
    await sealed.close_poll(counted, STAFF)
    running = await hall.poll(candidates=3, seats=1)
    ref = (await polls.get_poll(counted))["ref"]
    return counted, running, ref, run_cli("export", ref).stdout


async def test_pg_dump_during_a_vote_restores_to_the_same_results(hall, engine_name, tmp_path):
    """The README's PostgreSQL backup, as written: pg_dump while tablets vote, pg_restore into
    an empty database, and the restored copy exports and verifies the same."""
    if engine_name != "postgresql":
        pytest.skip("PostgreSQL only")
    refused = run_cli("backup")
    assert refused.returncode == 2 and "pg_dump" in refused.stderr
    _, running, ref, original = await counted_and_running(hall)

    async def vote() -> None:
        for deputy in hall.deputy_ids:
            await sealed.cast(running, deputy, {"P02": "for"})

    url = os.environ["DATABASE_URL"]
    dump = tmp_path / "piaojue.dump"
    voting = asyncio.create_task(vote())
    made = await asyncio.to_thread(subprocess.run, ["pg_dump", "--format=custom", f"--file={dump}", url],
                                   capture_output=True, text=True, timeout=120)
    await voting
    assert made.returncode == 0, made.stderr
    from tests.conftest import _pg_admin

    target = f"piaojue_restore_{os.getpid()}"
    await _pg_admin(f'CREATE DATABASE "{target}"')
    restored_url = url.rsplit("/", 1)[0] + "/" + target
    try:
        restored = await asyncio.to_thread(subprocess.run, ["pg_restore", "--no-owner", f"--dbname={restored_url}",
                                                            str(dump)], capture_output=True, text=True, timeout=120)
        assert restored.returncode == 0, restored.stderr
        assert run_cli("export", ref, database_url=restored_url).stdout == original
        check = run_cli("verify", ref, database_url=restored_url)
        assert check.returncode == 0 and "核验通过" in check.stdout, check.stdout + check.stderr
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


async def test_a_backup_during_a_vote_restores_to_the_same_results(hall, engine_name, tmp_path):
    if engine_name != "sqlite":
        pytest.skip("SQLite: PostgreSQL is backed up with pg_dump (above)")
    _, running, ref, original = await counted_and_running(hall)

    async def vote() -> None:
        for deputy in hall.deputy_ids:
            await sealed.cast(running, deputy, {"P02": "for"})

    voting = asyncio.create_task(vote())
    copy = tmp_path / "copy.sqlite3"
    made = await asyncio.to_thread(run_cli, "backup", str(copy))
    await voting
    assert made.returncode == 0, made.stderr
    assert "完整性检查：ok" in made.stdout
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(copy, restored / "piaojue.sqlite3")
    assert run_cli("export", ref, data=restored).stdout == original
    check = run_cli("verify", ref, data=restored)
    assert check.returncode == 0 and "核验通过" in check.stdout
    # The running poll's ballots in the copy are a whole prefix: each one its voter's, none half-written.
    import sqlite3

    with sqlite3.connect(copy) as db:
        ballots = db.execute("SELECT COUNT(*) FROM sealed_ballot WHERE poll = ?", (running,)).fetchone()[0]
        voted = db.execute("SELECT COUNT(*) FROM poll_voter WHERE poll = ? AND voted", (running,)).fetchone()[0]
    assert ballots == voted <= 30


async def test_a_backup_never_overwrites_the_database(engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL is backed up with pg_dump")
    from config import settings

    refused = run_cli("backup", str(settings().sqlite_path))
    assert refused.returncode == 2 and "不能是数据库本身" in refused.stderr


async def test_scheduled_backups_are_taken_on_either_engine_and_only_the_newest_kept(hall, tmp_path, engine_name):
    from datetime import datetime, timedelta

    from voting import backup

    await hall.check_in()
    start = datetime(2026, 12, 6, 9, 0, 0)
    made = [await asyncio.to_thread(backup.take, tmp_path, start + timedelta(minutes=10 * n)) for n in range(3)]
    assert all(m["bytes"] > 0 for m in made)
    removed = backup.rotate(tmp_path, keep=2)
    assert [p.name for p in removed] == [Path(made[0]["path"]).name]
    assert [str(p) for p in backup.kept(tmp_path)] == [made[1]["path"], made[2]["path"]]
    newest = Path(made[2]["path"])
    if engine_name == "sqlite":
        import sqlite3

        with sqlite3.connect(newest) as db:
            assert db.execute("SELECT COUNT(*) FROM check_in WHERE session = ?",
                              (hall.session_id,)).fetchone()[0] == len(hall.deputy_ids)
    else:
        listed = subprocess.run(["pg_restore", "--list", str(newest)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public check_in" in listed.stdout and "TABLE DATA public ballot" in listed.stdout
