"""The count of a poll with 3,000 sealed tablet ballots: the whole close, as the count desk runs
it (`voting.polls.close_poll` with two of the poll's key cards), on a fresh SQLite database
and on a fresh PostgreSQL database, with 12 and with 40 candidates.

The close is everything the scrutineers wait for once they present their cards: the cards
put the poll's private key together, all 3,000 sealed boxes are opened
(voting.ballot_opening.open_and_shuffle), the opened ballots shuffled and written back with
fresh ids, the key forgotten, the ballots counted (voting.rules), the seal (SHA-256 of the
ballot file) computed, the result stored, the app's close hooks run (lifecycle, imported as
app.py imports it), on PostgreSQL the box rewritten in key order, and the storage scrubbed
(SQLite WAL checkpoint, PostgreSQL VACUUM). Target (from the issue): under 10 s.

Set-up, not timed: a congress of 3,000 deputies (roster import), its scrutiny team, an open
sitting everyone has checked in to (voting.sittings.check_in), then for each measured close
a poll of its own: the key ceremony (voting.key_ceremony.hold, k = 2), opened, and every
deputy's ballot (random valid marks, voting.rehearsal.random_marks) sealed as a tablet seals
it (voting.ballot_box.seal_for) and cast through voting.ballot_box.cast, all at once (group
commits). A 20-ballot poll is closed first, not measured, as a server has closed polls
before. `--repeat` closes at each size; the median counts.

Reference, same process, same ballots: counting the 3,000 opened ballots with
voting.rules.count alone (the count as it was before ballots were sealed, without storage:
a close of unsealed ballots no longer exists). Also reported in the note: opening the 3,000
boxes alone (voting.secrecy.open_sealed, CPU only). Checked after every close: the stored
ballots are exactly the marks cast (as a multiset) and the stored result equals
voting.rules.count of them; any difference is an error (target 0).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.core import NoPostgres, ROOT, at_most, below, fresh_postgres_database, median, record, run_isolated, setting

DEPUTIES = 3000
CANDIDATES = (12, 40)
CARDS = 2  # presented at the count: the session's threshold k
TARGET_SECONDS = 10.0
WARM_UP = 20  # ballots in the poll closed first, not measured
REFERENCE_REPEAT = 5


def ballot_opening() -> list[dict[str, Any]]:
    """Both engines, each in a fresh process (the engine is chosen when voting is imported)."""
    records = run_isolated("bench.ballot_opening:measure", "sqlite", "")
    try:
        with fresh_postgres_database() as database_url:
            return records + run_isolated("bench.ballot_opening:measure", "postgresql", database_url)
    except NoPostgres as missing:
        return records + [record("ballot-opening-postgresql", None, "",  # type: ignore[arg-type]
                                 note=f"skipped: no PostgreSQL server ({missing})")]


def measure(engine: str, database_url: str) -> list[dict[str, Any]]:
    """In a fresh process: a fresh data directory (and the given fresh PostgreSQL database), migrated."""
    import shutil

    data = Path(tempfile.mkdtemp(prefix=f"piaojue-bench-opening-{engine}-"))
    os.environ.update({"PIAOJUE_DATA": str(data), "DATABASE_URL": database_url, "PIAOJUE_DEMO": "0",
                       "PIAOJUE_SECRET": secrets.token_hex(16)})
    try:
        subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, env=os.environ.copy())
        return asyncio.run(_measure(engine))
    finally:
        shutil.rmtree(data, ignore_errors=True)


async def _hall(actor: Any) -> tuple[int, list[int]]:
    """A session with 3,000 deputies, its scrutiny team, an open sitting with everyone checked in."""
    from datetime import date

    from voting import roster, scrutiny, sittings
    from voting.roster_import import DeputyRow
    from voting.tables import Deputy

    congress_id = await sittings.create_congress("基准县人民代表大会", "county", "基准县", actor)
    term_id = await sittings.create_term(congress_id, 19, actor)
    session_id = await sittings.create_session(term_id, 3, None, None, actor)
    sitting_id = await sittings.create_sitting(session_id, date.today(), "08:30", "12:00", actor)
    await sittings.move_sitting(sitting_id, "open", actor)
    rows = [DeputyRow(number=f"B{i:04d}", name=f"基准代表{i:04d}", gender="男" if i % 3 else "女",
                      delegation=f"第{i % 30 + 1}代表团", affiliation=None, phone=None) for i in range(1, DEPUTIES + 1)]
    await roster.import_deputies(term_id, rows, actor, source="基准")
    ids = [d["id"] for d in await Deputy.select(Deputy.id).where(Deputy.term == term_id).order_by(Deputy.number)]
    await scrutiny.set_members(session_id, ids[0], [ids[1], ids[2]], [], actor)
    await asyncio.gather(*(sittings.check_in(session_id, deputy_id, actor) for deputy_id in ids))
    return session_id, ids


async def _voted_poll(session_id: int, deputies: list[int], candidates: int, actor: Any,
                      rng: Any) -> tuple[int, str, list[str], list[dict[str, str]]]:
    """A poll with its key ceremony held, opened, and a sealed ballot cast by each of `deputies`;
    its id, public key (hex), the key cards' texts and the marks cast."""
    from voting import ballot_box, key_ceremony, polls
    from voting.poll_settings import CandidateInput, PollSettings
    from voting.rehearsal import random_marks

    seats = 10 if candidates <= 12 else candidates // 2
    settings = PollSettings(
        title=f"基准票决 {candidates} 选 {seats}（{uuid.uuid4().hex[:6]}）", method="approval", seats=seats,
        max_approvals=None, non_competitive=False, threshold_base="entitled", threshold_fraction="1/2",
        threshold_strict=True, quorum_fraction="2/3", show_running_totals=False,
        candidates=tuple(CandidateInput(f"基准项目{n:02d}", f"第 {n} 个项目的简介", "基准县", 100 * n)
                         for n in range(1, candidates + 1)))
    poll_id = await polls.create_poll(session_id, settings, actor)
    ceremony = await key_ceremony.hold(poll_id, actor)
    await polls.open_poll(poll_id, actor)
    ballot = await ballot_box.ballot_for(poll_id)
    refs = [c["ref"] for c in ballot.candidates]
    marks = [random_marks(rng, refs, ballot.cap) for _ in deputies]
    sealed = [ballot_box.seal_for(ballot, m) for m in marks]
    outcomes = await asyncio.gather(*(ballot_box.cast(poll_id, d, s) for d, s in zip(deputies, sealed)))
    refused = [o for o in outcomes if o is not ballot_box.Outcome.accepted]
    if refused:
        raise RuntimeError(f"set-up: {len(refused)} ballots refused ({refused[0].value})")
    return poll_id, ballot.public_key, [card.share.text for card in ceremony.cards], marks


def _key(marks: Any) -> str:
    import json

    return json.dumps({k: v for k, v in dict(marks).items() if v}, sort_keys=True, ensure_ascii=False)


async def _one_close(session_id: int, deputies: list[int], candidates: int, actor: Any, rng: Any) -> dict[str, Any]:
    """Set up a voted poll, then time its close; check what it stored; time the reference."""
    from collections import Counter

    from voting import polls, poll_settings, rules, secrecy
    from voting.database import fetch

    poll_id, public_key, cards, cast = await _voted_poll(session_id, deputies, candidates, actor, rng)
    boxes = [r["box"] for r in await fetch("SELECT box FROM sealed_ballot WHERE poll = {}", poll_id)]

    started = time.perf_counter()
    result = await polls.close_poll(poll_id, actor, cards[:CARDS])
    seconds = time.perf_counter() - started

    # What the close stored: exactly the ballots cast, and the result of counting them.
    poll = await polls.get_poll(poll_id)
    stored = await polls.stored_ballots(poll_id)
    poll_rules = poll_settings.to_rules(poll, await polls.candidates_of(poll_id), poll["entitled"], poll["present"],
                                        poll["issued"])
    lost = sum((Counter(map(_key, cast)) - Counter(_key(b.marks) for b in stored)).values())
    extra = sum((Counter(_key(b.marks) for b in stored) - Counter(map(_key, cast))).values())
    recount = rules.count(poll_rules, stored).to_json()
    left = int((await fetch("SELECT COUNT(*) AS n FROM sealed_ballot WHERE poll = {}", poll_id))[0]["n"])
    counted: list[float] = []
    for _ in range(REFERENCE_REPEAT):  # the reference: the count alone, of the same opened ballots
        begun = time.perf_counter()
        rules.count(poll_rules, stored)
        counted.append(time.perf_counter() - begun)

    # Opening the boxes alone (CPU only): the key from the same cards, each box opened.
    private = secrecy.recover_private_key(bytes.fromhex(public_key), [secrecy.read_share(c) for c in cards[:CARDS]])
    begun = time.perf_counter()
    opened = [secrecy.open_sealed(private, poll["ref"], secrecy.read_sealed(box, candidates)) for box in boxes]
    opening = time.perf_counter() - begun
    del private
    return {"seconds": seconds, "reference": median(counted), "opening": opening, "returned": result["returned"],
            "stored": len(stored), "boxes": len(boxes), "lost": lost, "extra": extra, "left_sealed": left,
            "unopened": sum(1 for o in opened if o is None),
            "result_matches": recount == polls.stored_result(poll) == result,
            "status": result["status"], "winners": len(result.get("winners") or [])}


async def _measure(engine: str) -> list[dict[str, Any]]:
    import random

    import lifecycle.candidate_lists  # noqa: F401  (the close hooks, as app.py imports them)
    import lifecycle.evaluation  # noqa: F401
    from voting import database
    from voting.audit import Actor
    from voting.group_commit import writer

    repeat = max(1, setting("BENCH_REPEAT", 3))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    actor = Actor("staff", None, "秘书处 基准")
    rng = random.Random(3000)
    await database.prepare()
    try:
        begun = time.perf_counter()
        session_id, deputies = await _hall(actor)
        hall_seconds = time.perf_counter() - begun
        print(f"  {engine}: {DEPUTIES} deputies checked in ({hall_seconds:.1f} s)", flush=True)
        await _one_close(session_id, deputies[:WARM_UP], CANDIDATES[0], actor, rng)  # warm-up, not measured
        records = []
        for candidates in CANDIDATES:
            runs = []
            for n in range(repeat):
                begun = time.perf_counter()
                run = await _one_close(session_id, deputies, candidates, actor, rng)
                print(f"  {engine}, {candidates} candidates, close {n + 1} of {repeat}: {run['seconds']:.2f} s "
                      f"(opening alone {run['opening']:.2f} s, count alone {run['reference'] * 1000:.0f} ms; "
                      f"set-up and checks {time.perf_counter() - begun - run['seconds']:.1f} s)", flush=True)
                runs.append(run)
            records += _records(engine, candidates, runs, load)
        return records
    finally:
        await writer.stop()
        await database.shutdown()


def _records(engine: str, candidates: int, runs: list[dict[str, Any]], load: str) -> list[dict[str, Any]]:
    name = f"ballot-opening-{engine}/{candidates}"
    seconds = [r["seconds"] for r in runs]
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    errors = sum(r["lost"] + r["extra"] + r["left_sealed"] + r["unopened"] + (0 if r["result_matches"] else 1)
                 + abs(r["returned"] - DEPUTIES) for r in runs)
    machine = f"{os.cpu_count()} CPUs, load average {load} at the start"
    openings = ", ".join(f"{r['opening']:.2f}" for r in runs)
    return [
        record(f"{name}: close with 3,000 sealed ballots", median(seconds), "s",
               reference="voting.rules.count alone of the same 3,000 opened ballots",
               reference_value=middle["reference"], target=below(TARGET_SECONDS), runs=seconds,
               note=(f"{engine}, {candidates} candidates, {DEPUTIES} ballots sealed as tablets seal them and cast; "
                     f"voting.polls.close_poll with {CARDS} key cards, in process, timed from the call to its "
                     f"return (key from the cards, open, shuffle, rewrite, count, seal, store, close hooks, "
                     f"{'WAL checkpoint' if engine == 'sqlite' else 'key-order rewrite and VACUUM'}): median of "
                     f"{len(runs)} closes ({', '.join(f'{s:.2f}' for s in seconds)} s), each a poll of its own; "
                     f"opening the 3,000 boxes alone (voting.secrecy.open_sealed, CPU only) "
                     f"{openings} s; reference: median of {REFERENCE_REPEAT} "
                     f"counts of the median close's ballots, no storage; {machine}")),
        record(f"{name}: ballots lost or miscounted", errors, "errors", target=at_most(0, of="value"),
               note=(f"over {len(runs)} closes: ballots returned {', '.join(str(r['returned']) for r in runs)} of "
                     f"{DEPUTIES}; cast marks missing from the stored ballots {sum(r['lost'] for r in runs)}, stored "
                     f"ballots not cast {sum(r['extra'] for r in runs)}, sealed boxes left "
                     f"{sum(r['left_sealed'] for r in runs)}, boxes that did not open "
                     f"{sum(r['unopened'] for r in runs)}, stored result different from voting.rules.count of the "
                     f"stored ballots in {sum(0 if r['result_matches'] else 1 for r in runs)}; result "
                     f"{middle['status']}, {middle['winners']} winners")),
    ]


if __name__ == "__main__":  # python -m bench.ballot_opening [both]: SQLite only, or both engines; records as JSON
    import json

    found = ballot_opening() if sys.argv[1:] == ["both"] else run_isolated("bench.ballot_opening:measure", "sqlite", "")
    print(json.dumps(found, ensure_ascii=False, indent=2))
