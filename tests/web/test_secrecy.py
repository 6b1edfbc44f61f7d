"""The ballot is secret: after a vote, nothing stored, logged or exported lines deputies up with ballots.

Forty deputies cast forty different ballots through HTTP in a known order. Then every
table is read in storage order (and on PostgreSQL with its hidden ctid and xmin
columns), the logs and the export are read, and no order or value may give back who
cast which ballot.
"""

import json
import logging
from pathlib import Path

import httpx

from tests.hall import STAFF, api_cast, make_hall
from voting import box_stamps, polls
from voting.database import fetch, is_sqlite
from tests import sealed

VOTERS = 40
CANDIDATES = 6


def marks_for(i: int) -> dict[str, str]:
    """A distinct ballot per voter: voter i's marks spell i in base 3."""
    values = ("for", "against", "abstain")
    return {f"P{c + 1:02d}": values[(i // 3 ** c) % 3] for c in range(CANDIDATES)}


def rank_correlation(order: list[int]) -> float:
    """Spearman's rho between the order voters cast in (0..n-1) and the order seen."""
    n = len(order)
    d2 = sum((position - voter) ** 2 for position, voter in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


async def tables() -> list[str]:
    if is_sqlite():
        rows = await fetch("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        rows = await fetch("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    return [r["name"] for r in rows]


async def storage_order(table: str) -> list[dict]:
    if is_sqlite():
        return await fetch(f'SELECT * FROM "{table}"')
    return await fetch(f'SELECT ctid::text AS ctid_, xmin::text AS xmin_, * FROM "{table}" ORDER BY ctid')


async def test_nothing_links_a_deputy_to_a_ballot(caplog):
    caplog.set_level(logging.DEBUG)
    hall = await make_hall(deputies=VOTERS)
    await hall.check_in()
    poll_id = await hall.poll(candidates=CANDIDATES, seats=3, max_approvals=CANDIDATES)
    from app import app

    transport = httpx.ASGITransport(app=app)
    cast_order = hall.deputy_ids  # voter i is hall.deputy_ids[i]
    for i, deputy in enumerate(cast_order):
        async with httpx.AsyncClient(transport=transport, base_url="http://hall.local") as tablet:
            assert (await tablet.post("/api/tablet/login", json={"code": hall.codes[deputy]})).status_code == 200
            response = await api_cast(tablet, poll_id, marks_for(i))
            assert response.status_code == 201
            assert set(response.json()) == {"status", "message"}  # no receipt a vote buyer could check
    await sealed.close_poll(poll_id, STAFF)

    voter_of_marks = {json.dumps(marks_for(i), sort_keys=True): i for i in range(VOTERS)}
    ballots = await storage_order("ballot")
    ours = [b for b in ballots if b["poll"] == poll_id]
    assert len(ours) == VOTERS

    # The ballot table holds nothing but a random id, the poll, the marks and the void flag.
    assert set(ours[0]) - {"ctid_", "xmin_"} == {"id", "poll", "marks", "void"}
    register = [r for r in await storage_order("poll_voter") if r["poll"] == poll_id]
    # The register says who was issued a ballot, on which medium, and whether the tablet's is in.
    # Its stamp is the server's HMAC of those fields and nothing else (voting.box_stamps): it names no ballot.
    assert set(register[0]) - {"ctid_", "xmin_"} == {"key", "poll", "deputy", "voted", "medium", "stamp"}
    assert all(r["stamp"] == box_stamps.register_stamp(poll_id, r["deputy"], r["voted"], r["medium"]) for r in register)
    # Paper entries name a serial and never a deputy; no table holds a serial next to a deputy.
    from voting.tables import PaperEntry, PaperSerial

    for table in (PaperEntry, PaperSerial):
        names = {column._meta.db_column_name for column in table._meta.columns}
        assert "serial" in names and not names & {"deputy", "voter", "key"}

    # Neither storage order, nor id order, nor the export's order follows the casting order.
    seen_in_storage = [voter_of_marks[json.dumps(json.loads(b["marks"]), sort_keys=True)] for b in ours]
    by_id = [voter_of_marks[json.dumps(json.loads(b["marks"]), sort_keys=True)]
             for b in sorted(ours, key=lambda b: b["id"])]
    exported = json.loads(await polls.export_ballot_file(poll_id))["ballots"]
    in_export = [voter_of_marks[json.dumps(b["marks"], sort_keys=True)] for b in exported]
    for order in (seen_in_storage, by_id, in_export):
        assert sorted(order) == list(range(VOTERS))
        assert abs(rank_correlation(order)) < 0.6, order

    if not is_sqlite():
        # One transaction id for every ballot and every register row of the poll: the close.
        assert len({b["xmin_"] for b in ours}) == 1
        assert len({r["xmin_"] for r in register}) == 1
    else:
        wal = Path(str(__import__("config").settings().sqlite_path) + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0

    # No other table, no log line and no export carries a ballot id or a ballot's marks.
    ids = {b["id"] for b in ours}
    for table in await tables():
        if table == "ballot":
            continue
        text = json.dumps(await storage_order(table), default=str, ensure_ascii=False)
        assert not any(ballot_id in text for ballot_id in ids), table
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    assert not any(ballot_id in log_text for ballot_id in ids)
    assert not any(b["marks"] in log_text for b in ours)
    assert not any(str(deputy) in json.dumps(exported) for deputy in hall.numbers.values())
