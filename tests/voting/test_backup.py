"""A backup taken while deputies vote is a consistent copy that restores, counts and verifies."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import LiveServer
from tests.voting.test_faults import PASSWORD, USER
from voting.tables import Deputy

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, data: Path | None = None, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    if data is not None:
        env["PIAOJUE_DATA"] = str(data)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "voting", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _wave(hall, ballots: list[dict[str, str]], who: range):
    return hall.fire(hall.jobs(ballots, list(who)))


async def _voted_numbers_in_copy(engine_name: str, location: str, poll_id: int) -> set[str]:
    """The deputy numbers the copy's register says voted in the poll, read from the copy itself."""
    query = ("SELECT d.number FROM poll_voter v JOIN deputy d ON d.id = v.deputy "
             "WHERE v.poll = {} AND v.voted")
    if engine_name == "sqlite":
        import sqlite3

        with sqlite3.connect(location) as db:
            return {row[0] for row in db.execute(query.format("?"), (poll_id,))}
    import asyncpg

    connection = await asyncpg.connect(location)
    try:
        return {row[0] for row in await connection.fetch(query.format("$1"), poll_id)}
    finally:
        await connection.close()


async def test_a_backup_taken_while_the_server_takes_ballots_holds_a_consistent_part_of_them(
        engine_name, tmp_path, monkeypatch):
    """The backup is taken while a real server is answering tablets: the copy holds more than the
    ballots answered before it began and fewer than were cast in the end, its register agrees
    with its box ballot for ballot, and opened with the cards it counts exactly the ballots of
    the deputies its register says voted."""
    from tests.voting.test_faults import Hall
    from voting import rehearsal

    before, during, after = 60, 300, 60  # ballots answered before the backup, offered while it runs, after
    total = before + during + after
    with LiveServer(workers=2 if engine_name == "postgresql" else 1) as server:
        async with Hall(server, total, candidates=6, seats=3) as hall:
            await hall.open()
            ballots = hall.ballots(seed=5)
            assert {s.status for s in await _wave(hall, ballots, range(0, before))} == {201}
            backup_done = asyncio.Event()

            async def trickle() -> list[tuple[float, float]]:
                """One tablet after another, for as long as the backup runs (and at most `during`):
                when each ballot was sent and answered."""
                times, next_one = [], before
                async with httpx.AsyncClient(base_url=server.url, timeout=60.0, trust_env=False) as tablet:
                    while not backup_done.is_set() and next_one < before + during:
                        (_, token, body), = hall.jobs(ballots, [next_one])
                        sent = time.monotonic()
                        answer = await tablet.post(hall.ballot_path, content=body, headers=rehearsal.headers_for(token))
                        assert answer.status_code == 201, answer.text
                        times.append((sent, time.monotonic()))
                        next_one += 1
                return times

            trickling = asyncio.create_task(trickle())
            while await hall.in_box() == before:
                await asyncio.sleep(0.005)
            began = time.monotonic()
            if engine_name == "sqlite":
                copy = tmp_path / "copy.sqlite3"
                made = await asyncio.to_thread(run_cli, "backup", str(copy))
                assert "完整性检查：ok" in made.stdout
            else:
                copy = tmp_path / "piaojue.dump"
                made = await asyncio.to_thread(subprocess.run, ["pg_dump", "--format=custom", f"--file={copy}",
                                                                os.environ["DATABASE_URL"]],
                                               capture_output=True, text=True, timeout=120)
            ended = time.monotonic()
            backup_done.set()
            assert made.returncode == 0, made.stderr
            trickled = await trickling
            # The server was taking ballots all through the backup, and had more to take afterwards.
            assert any(sent < ended and answered > began for sent, answered in trickled), \
                f"no ballot was on its way during the backup ({began:.3f}–{ended:.3f}): {trickled}"
            offered = before + len(trickled)
            assert offered < before + during
            assert {s.status for s in await _wave(hall, ballots, range(offered, total))} == {201}
            assert await hall.in_box() == total

            numbers = sorted(d["number"] for d in await Deputy.select(Deputy.number).where(
                Deputy.term == hall.plan["term_id"]))
            index_of = {number: n for n, number in enumerate(numbers)}
            restored, location = await _restore(engine_name, copy, tmp_path)
            try:
                voted = await _voted_numbers_in_copy(engine_name, location, hall.poll_id)
                in_copy = sorted(index_of[number] for number in voted)
                # Every ballot answered before it began, some sent while it ran, none sent after it.
                assert set(range(before)) < set(in_copy) <= set(range(offered))
                print(f"the copy holds {len(in_copy)} of {total} ballots ({offered} sent by the end of the backup)")

                with monkeypatch.context() as env:
                    for name, value in restored.items():
                        env.setenv(name, value)
                    with LiveServer() as copy_server:
                        async with httpx.AsyncClient(base_url=copy_server.url, timeout=60.0,
                                                     trust_env=False) as client:
                            login = await client.post("/api/staff/login",
                                                      json={"username": USER, "password": PASSWORD})
                            token = login.cookies[rehearsal.COOKIE]
                            client.cookies.clear()
                            closed = await client.post(f"/api/polls/{hall.poll_id}/close",
                                                       headers=rehearsal.headers_for(token),
                                                       content=json.dumps({"cards": hall.cards[:2]}).encode())
                            assert closed.status_code == 200, closed.text
                    result = closed.json()
                    expected = rehearsal.local_count(hall.plan, hall.present, [ballots[n] for n in in_copy])
                    assert rehearsal.differences(result, expected) == []
                    assert result["returned"] == len(in_copy)
                    check = await asyncio.to_thread(run_cli, "verify", hall.plan["poll_ref"])
                    assert check.returncode == 0 and "核验通过" in check.stdout, check.stdout + check.stderr
            finally:
                await _drop_restored(engine_name, restored)


async def _restore(engine_name: str, copy: Path, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The copy restored as the README says: the environment a server on it needs, and where it is."""
    if engine_name == "sqlite":
        data = tmp_path / "restored"
        data.mkdir()
        shutil.copy(copy, data / "piaojue.sqlite3")
        return {"PIAOJUE_DATA": str(data)}, str(data / "piaojue.sqlite3")
    from tests.conftest import _pg_admin

    url = os.environ["DATABASE_URL"]
    target = f"piaojue_restore_{os.getpid()}"
    await _pg_admin(f'CREATE DATABASE "{target}"')
    restored_url = url.rsplit("/", 1)[0] + "/" + target
    done = await asyncio.to_thread(subprocess.run, ["pg_restore", "--no-owner", f"--dbname={restored_url}", str(copy)],
                                   capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {"DATABASE_URL": restored_url}, restored_url


async def _drop_restored(engine_name: str, restored: dict[str, str]) -> None:
    if engine_name == "postgresql":
        from tests.conftest import _pg_admin

        target = restored["DATABASE_URL"].rsplit("/", 1)[1]
        await _pg_admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


async def test_the_backup_command_sends_postgresql_to_pg_dump(engine_name):
    if engine_name != "postgresql":
        pytest.skip("PostgreSQL only")
    refused = run_cli("backup")
    assert refused.returncode == 2 and "pg_dump" in refused.stderr


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
