"""A database insider attacks the storage: can any stored byte pair a deputy with their marks?

The insider has what a DBA, a backup operator or a thief of the disk has: every table with its
hidden columns, every page of the files, the write-ahead log, and the order the deputies voted in
(the register or the log gives it away; here they are simply told). Thirty deputies cast thirty
different ballots, each spelling its own number in base 4, in a random order. An attack's best
guess deputy → marks is right about once by chance (the fixed points of a random permutation are
Poisson(1)): it may be right at most MAX_MATCHED times (P(more | chance) ≈ 8·10⁻⁵). An order
seen in pages or in the log may not follow the casting order more than MAX_Z standard deviations
beyond chance. Plaintext ballots written in the casting order, as in the old design, give these
attacks 30 of 30. Each attack also checks that it sees every deputy and every ballot, so a blind
attack cannot pass for a beaten one. The attacks on SQLite's files run on SQLite, those on
PostgreSQL's hidden columns, pages and WAL on PostgreSQL; and on SQLite, a count whose log cannot
be emptied must say so.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from config import settings
from tests import sealed
from tests.hall import STAFF
from tests.needs import missing
from voting import database, polls, secrecy
from voting.ballot_box import Outcome
from voting.database import fetch, fetch_value, is_sqlite
from voting.errors import StorageNotScrubbed

VOTERS, CANDIDATES = 30, 8
VALUES = ("satisfied", "basically_satisfied", "dissatisfied", "abstain")
MAX_MATCHED, MAX_Z = 6, 4.5
_numbers = itertools.count(1000, VOTERS)  # each vote's ballots are numbered apart from the others'


def marks_for(n: int) -> dict[str, str]:
    return {f"P{c + 1:02d}": VALUES[(n // 4 ** c) % 4] for c in range(CANDIDATES)}


def found_in(data: bytes, texts) -> list[bytes]:
    return [text for text in texts if text in data]


@dataclass
class Vote:
    poll_id: int
    order: list[int]  # deputies in the order they cast
    truth: dict[int, bytes]  # deputy -> their marks as the count stores them (voting.ballot_opening)
    boxes: list[str]  # the sealed ballots as stored while the poll was open

    def plaintexts(self) -> list[bytes]:
        """Every way the marks could sit readably in storage: the ballot row's JSON, the tablet's compact one."""
        return [p for text in self.truth.values() for p in (text, json.dumps(
            json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())]

    def matched(self, guesses: dict[int, bytes]) -> int:
        """How many of the insider's guesses deputy → marks are right."""
        return sum(1 for deputy, text in guesses.items() if self.truth.get(deputy) == text)

    def zipped(self, deputies: list[int], texts: list[bytes]) -> int:
        """The order attack: the k-th deputy seen gets the k-th ballot seen."""
        return self.matched(dict(zip(deputies, texts)))

    def follows_casting(self, runs: list[list[bytes]]) -> float:
        """The order attack on partial orders: each run lists ballots in the order they were written
        (one page, one transaction). How many standard deviations beyond chance does that agree with
        the casting order, or its reverse? (Kendall's concordance over the pairs within runs.)"""
        rank = {self.truth[deputy]: n for n, deputy in enumerate(self.order)}
        pairs = concordant = variance = 0
        for run in runs:
            n = len(run)
            pairs += n * (n - 1) // 2
            concordant += sum(rank[a] < rank[b] for i, a in enumerate(run) for b in run[i + 1:])
            variance += n * (n - 1) * (2 * n + 5) / 72
        return abs(concordant - pairs / 2) / math.sqrt(variance) if variance else 0.0


async def vote(hall) -> Vote:
    """Every deputy of the hall casts a ballot from a tablet, one after another in a random order."""
    await hall.check_in()
    poll_id = await hall.poll(candidates=CANDIDATES, method="satisfaction")
    order = secrets.SystemRandom().sample(hall.deputy_ids, len(hall.deputy_ids))
    first = next(_numbers)
    marks = {deputy: marks_for(first + i) for i, deputy in enumerate(hall.deputy_ids)}
    for deputy in order:
        assert await sealed.cast(poll_id, deputy, marks[deputy]) is Outcome.accepted
    boxes = [r["box"] for r in await fetch("SELECT box FROM sealed_ballot WHERE poll = {}", poll_id)]
    assert len(boxes) == VOTERS
    truth = {deputy: json.dumps(m, sort_keys=True, ensure_ascii=False).encode() for deputy, m in marks.items()}
    return Vote(poll_id, order, truth, boxes)


async def closed(hall) -> Vote:
    v = await vote(hall)
    await sealed.close_poll(v.poll_id, STAFF)
    return v


# --- SQLite's file, read page by page ---------------------------------------------------------------


def db_path() -> Path:
    return settings().sqlite_path


def wal_path() -> Path:  # the write-ahead log beside the database file
    return Path(f"{db_path()}-wal")


def stored_bytes(path: Path) -> bytes:
    """The bytes of a database file as an insider copies them, read by another process (`cat`).
    Reading it here would be a bug of its own: closing any descriptor of a file drops every POSIX
    lock this process holds on it, SQLite's included, so another process (a server the tests start)
    may then think it is the database's last user and delete the shared WAL index under us."""
    if not path.exists():
        return b""
    return subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for n in range(8):
        value = (value << 7) | (buf[i + n] & 0x7F)
        if buf[i + n] < 0x80:
            return value, i + n + 1
    return (value << 8) | buf[i + 8], i + 9


def btree_cells(data: bytes, root: int) -> list[tuple[int, int, list]]:
    """(page, content offset, column values) of every row of a WITHOUT ROWID table: its b-tree is an
    index b-tree, whose interior cells are rows too."""
    size = int.from_bytes(data[16:18], "big") or 65536
    usable = size - data[20]
    most, least = (usable - 12) * 64 // 255 - 23, (usable - 12) * 32 // 255 - 23
    found, stack = [], [root]
    while stack:
        page = stack.pop()
        base = (page - 1) * size
        head = base + (100 if page == 1 else 0)
        kind, count = data[head], int.from_bytes(data[head + 3:head + 5], "big")
        assert kind in (0x02, 0x0A), f"page {page} is not an index b-tree page"
        interior = kind == 0x02
        if interior:
            stack.append(int.from_bytes(data[head + 8:head + 12], "big"))
        for n in range(count):
            pointer = head + (12 if interior else 8) + 2 * n
            offset = int.from_bytes(data[pointer:pointer + 2], "big")
            if interior:
                stack.append(int.from_bytes(data[base + offset:base + offset + 4], "big"))
            payload, start = _varint(data, base + offset + (4 if interior else 0))
            local = payload if payload <= most else (k if (k := least + (payload - least) % (usable - 4)) <= most
                                                     else least)
            found.append((page, offset, record(data[start:start + local])))
    return found


def record(payload: bytes) -> list:
    """A cell's column values (integers and text: what these tables hold)."""
    size, i = _varint(payload, 0)
    kinds = []
    while i < size:
        kind, i = _varint(payload, i)
        kinds.append(kind)
    values = []
    for kind in kinds:
        width = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 8}.get(kind, 0) if kind < 12 else (kind - 12) // 2
        raw = payload[size:size + width]
        values.append(int.from_bytes(raw, "big", signed=True) if 1 <= kind <= 6 else
                      {8: 0, 9: 1}.get(kind, raw.decode(errors="replace") if kind >= 13 else raw))
        size += width
    return values


async def cells_of(data: bytes, table: str, poll_column: int, poll_id: int) -> list[tuple[int, int, list]]:
    """A poll's rows in the order they were most likely written: a page fills from its end."""
    root = await fetch_value("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = {}", table)
    return sorted((c for c in btree_cells(data, root) if c[2][poll_column] == poll_id), key=lambda c: (c[0], -c[1]))


def sqlite_only(reason: str = "attacks SQLite's files; PostgreSQL's storage is attacked by the tests below") -> None:
    if not is_sqlite():
        pytest.skip(reason)


def postgresql_only() -> None:
    if is_sqlite():
        pytest.skip("attacks PostgreSQL's hidden columns, pages and WAL; SQLite's files are attacked above")


async def test_sqlite_files_hold_no_readable_ballot_while_the_poll_is_open(hall):
    """The insider copies the database file and its write-ahead log in the middle of the vote and
    searches every byte for the marks: they find every sealed box, and no marks."""
    sqlite_only()
    v = await vote(hall)
    data = stored_bytes(db_path()) + stored_bytes(wal_path())
    assert all(box.encode() in data for box in v.boxes)  # the copy holds every ballot...
    assert found_in(data, v.plaintexts()) == []  # ...sealed: no marks in the clear
    await sealed.close_poll(v.poll_id, STAFF)
    assert len(found_in(stored_bytes(db_path()), v.truth.values())) == VOTERS  # the search finds them once opened


async def test_sqlite_pages_after_the_count_pair_no_deputy_with_marks(hall):
    """After the count the insider walks the b-trees of the register and of the ballots and lines
    them up: by where each cell sits in its page (the order they were written: the register's
    gives the casting order), by key, and against the casting order; then looks for anything left
    of the deleted sealed boxes, anywhere in the file."""
    sqlite_only()
    v = await closed(hall)
    assert not wal_path().exists() or wal_path().stat().st_size == 0  # the log of the vote is gone
    data = stored_bytes(db_path())
    register = [values[2] for *_, values in await cells_of(data, "poll_voter", 1, v.poll_id)]  # key, poll, deputy
    cells = await cells_of(data, "ballot", 1, v.poll_id)  # id, poll, marks, void
    ballots = [values[2].encode() for *_, values in cells]
    assert sorted(register) == sorted(v.order) and sorted(ballots) == sorted(v.truth.values())
    by_key = [values[2].encode() for *_, values in sorted(cells, key=lambda c: c[2][0])]
    for seen in (ballots, by_key):
        assert v.zipped(register, seen) <= MAX_MATCHED
        assert v.zipped(v.order, seen) <= MAX_MATCHED
        assert v.zipped(sorted(register), seen) <= MAX_MATCHED
    pages = [[values[2].encode() for *_, values in run] for _, run in itertools.groupby(cells, key=lambda c: c[0])]
    assert v.follows_casting(pages) < MAX_Z
    for box in v.boxes:  # secure_delete: not a fragment of a sealed box is left on any page
        assert not [n for n in range(0, len(box) - 40, 40) if box[n:n + 40].encode() in data]


async def test_sqlite_no_stale_copy_of_a_deleted_box_survives_the_seal(hall):
    """secure_delete zeroes a deleted row where it is stored, but not the stale copies of it that
    SQLite left in a page's unused space when it rebuilt that page earlier (a b-tree balance writes
    the cells anew from the page's end and leaves the old bytes below them). Several polls fill the
    box table at once, as tablets do: boxes of random ids, each poll's of the length its candidates
    give (polls of different sizes make such rebuilds likely). One poll after another is counted
    (its boxes deleted) while the others stay open: after each seal, not a fragment of the deleted
    boxes is left in the file. (A stale copy is made while its row lives, never after: each box
    need only be looked for at the seal that deleted it.)"""
    sqlite_only()
    lengths = {await hall.poll(candidates=n, method="satisfaction", open_=False):
               4 * math.ceil(secrecy.sealed_length(n) / 3) for n in (3, 5, 8, 12)}
    poll_ids = list(lengths)
    rng = random.Random(20261206)  # the same inserts and deletes on every run
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    in_box: dict[int, list[str]] = {poll_id: [] for poll_id in poll_ids}
    deleted = 0
    for step in range(160):
        poll_id = rng.choice(poll_ids)
        if step % 8 == 7 and in_box[poll_id]:  # this poll is counted
            async with database.write_transaction():
                await fetch("DELETE FROM sealed_ballot WHERE poll = {}", poll_id)
            await database.after_seal(["sealed_ballot"])
            data = stored_bytes(db_path())
            left = [box for box in in_box[poll_id]
                    if any(box[n:n + 40].encode() in data for n in range(0, len(box) - 40, 40))]
            assert not left, f"{len(left)} deleted boxes still in the file after the seal at step {step}"
            deleted += len(in_box[poll_id])
            in_box[poll_id] = []
            continue
        boxes = ["".join(rng.choice(alphabet) for _ in range(lengths[poll_id])) for _ in range(rng.randint(1, 12))]
        async with database.write_transaction():
            for box in boxes:
                await fetch("INSERT INTO sealed_ballot (id, poll, box, stamp) VALUES ({}, {}, {}, {})",
                            f"b-{rng.getrandbits(80):020x}", poll_id, box, "0" * 64)
        in_box[poll_id] += boxes
    assert deleted > 200  # the counts did delete boxes


async def test_sqlite_a_checkpoint_that_cannot_finish_fails_the_count_loudly(hall, monkeypatch):
    """Someone (a backup tool, a viewer) holds a read transaction on the file during the count: the
    log of the vote cannot be emptied. The count is stored, the close says so loudly, and the
    checkpoint done again once the reader has gone empties the log."""
    sqlite_only("PostgreSQL's count has no log checkpoint that a reader could hold up (after_seal VACUUMs)")
    monkeypatch.setattr(database, "CHECKPOINT_TRIES", 1)  # each try waits CHECKPOINT_WAIT_MS for readers
    v = await vote(hall)
    reader = sqlite3.connect(db_path())
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM poll").fetchone()
        with pytest.raises(StorageNotScrubbed):
            await sealed.close_poll(v.poll_id, STAFF)
        poll = await polls.get_poll(v.poll_id)
        assert poll["status"] == "closed" and poll["result"]
        assert wal_path().stat().st_size > 0
        reader.close()
        await database.after_seal([])
        assert wal_path().stat().st_size == 0
    finally:
        reader.close()


# --- PostgreSQL -----------------------------------------------------------------------------------


WAL_RECORD = re.compile(r"len \(rec/tot\):\s*\d+/\s*(\d+), tx:\s*(\d+), lsn: ([0-9A-F]+)/([0-9A-F]+), prev \S+, "
                        r"desc: (.*)")


async def wal_since(start: str) -> list[tuple[int, str, bytes]]:
    """(transaction id, description, bytes) of every WAL record written since `start`, as the insider
    with a copy of pg_wal reads them: pg_waldump finds the records, the bytes come from the segments."""
    wal_dir = Path(await fetch_value("SELECT current_setting('data_directory')")) / "pg_wal"
    if not os.access(wal_dir, os.R_OK):
        missing(f"the server's WAL ({wal_dir}) is not readable from here")
    major = int(await fetch_value("SELECT current_setting('server_version_num')")) // 10000
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("pg_config") else "/nonexistent"
    waldump = next((p for p in (Path(f"/usr/lib/postgresql/{major}/bin/pg_waldump"), Path(bindir, "pg_waldump"))
                    if p.exists()), None)
    if waldump is None:
        missing("pg_waldump is not installed here")
    end = await fetch_value("SELECT pg_current_wal_lsn()::text")
    timeline = (await fetch_value("SELECT pg_walfile_name(pg_current_wal_lsn())"))[:8]
    segment = int(await fetch_value("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'"))
    listing = subprocess.run([str(waldump), "-p", str(wal_dir), "-s", start, "-e", end],
                             capture_output=True, text=True, check=True).stdout
    files: dict[int, bytes] = {}

    def read(position: int, length: int) -> bytes:  # the record's bytes, with the WAL page headers cut out
        out = bytearray()
        while len(out) < length:
            if position % 8192 == 0:
                position += 40 if position % segment == 0 else 24
            take, number = min(length - len(out), 8192 - position % 8192), position // segment
            if number not in files:
                per = 0x100000000 // segment
                files[number] = (wal_dir / f"{timeline}{number // per:08X}{number % per:08X}").read_bytes()
            out += files[number][position % segment:position % segment + take]
            position += take
        return bytes(out)

    return [(int(xid), desc, read((int(hi, 16) << 32) | int(lo, 16), int(length)))
            for length, xid, hi, lo, desc in WAL_RECORD.findall(listing)]


async def test_postgresql_open_poll_pairs_deputies_with_sealed_boxes_only(hall):
    """While the poll is open the insider joins the register with the box on the hidden xmin
    column: every deputy comes out paired with a box, and no box can be read without the key."""
    postgresql_only()
    v = await vote(hall)
    pairs = await fetch("SELECT v.deputy, b.box FROM poll_voter v JOIN sealed_ballot b ON v.xmin = b.xmin "
                        "WHERE v.poll = {} AND b.poll = {}", v.poll_id, v.poll_id)
    assert sorted(p["deputy"] for p in pairs) == sorted(v.order)  # the pairing is there...
    ref, stranger_key = (await polls.get_poll(v.poll_id))["ref"], bytes(PrivateKey.generate())
    for pair in pairs:  # ...with boxes that show no marks
        assert re.fullmatch(r"[A-Za-z0-9+/]+=*", pair["box"])
        raw = base64.b64decode(pair["box"])
        assert found_in(raw, v.plaintexts() + [b'"marks"', ref.encode()]) == []
        assert secrecy.open_sealed(stranger_key, ref, secrecy.read_sealed(pair["box"], CANDIDATES)) is None
    await sealed.close_poll(v.poll_id, STAFF)


async def test_postgresql_hidden_columns_pair_no_deputy_with_marks_after_the_count(hall):
    """After the count the insider pairs register rows and ballots that share a transaction id
    (xmin), in their physical order (ctid), and lines the ballots up with the casting order."""
    postgresql_only()
    v = await closed(hall)
    register = await fetch("SELECT deputy, xmin::text AS x FROM poll_voter WHERE poll = {} ORDER BY ctid", v.poll_id)
    rows = await fetch("SELECT marks, xmin::text AS x FROM ballot WHERE poll = {} ORDER BY ctid", v.poll_id)
    ballots = [r["marks"].encode() for r in rows]
    assert sorted(r["deputy"] for r in register) == sorted(v.order) and sorted(ballots) == sorted(v.truth.values())
    guesses: dict[int, bytes] = {}
    for xid in {r["x"] for r in register}:
        guesses |= dict(zip([r["deputy"] for r in register if r["x"] == xid],
                            [r["marks"].encode() for r in rows if r["x"] == xid]))
    assert v.matched(guesses) <= MAX_MATCHED
    assert v.zipped([r["deputy"] for r in register], ballots) <= MAX_MATCHED
    assert v.zipped(v.order, ballots) <= MAX_MATCHED
    assert v.follows_casting([ballots]) < MAX_Z
    assert await fetch_value("SELECT COUNT(*) FROM sealed_ballot WHERE poll = {}", v.poll_id) == 0


async def test_postgresql_wal_pairs_no_deputy_with_marks(hall):
    """The insider reads the write-ahead log of the whole vote and count off the server's disk
    and groups its records by transaction: the register row of each cast lies beside its sealed
    box; the plaintext ballots must lie in no transaction with a deputy's register row they can be
    paired with, by transaction or by the order they were written."""
    postgresql_only()
    start = await fetch_value("SELECT pg_current_wal_lsn()::text")
    v = await closed(hall)
    database_oid = await fetch_value("SELECT oid FROM pg_database WHERE datname = current_database()")
    nodes = {table: str(await fetch_value("SELECT pg_relation_filenode({}::regclass)", table))
             for table in ("ballot", "poll_voter")}
    key = re.compile(rb"%010d:(\d{10})" % v.poll_id)
    deputies: dict[int, list[int]] = {}  # transaction -> deputies whose register key it wrote, in order
    ballots: dict[int, list[bytes]] = {}  # transaction -> marks it wrote, in order
    boxes: dict[int, int] = {}
    tables: dict[int, set[str]] = {}
    for xid, desc, data in await wal_since(start):
        relations = {node for db, node in re.findall(r"rel \d+/(\d+)/(\d+)", desc) if db == str(database_oid)}
        if not relations:
            continue
        tables.setdefault(xid, set()).update(t for t, n in nodes.items() if n in relations)
        deputies.setdefault(xid, []).extend(d for d in map(int, key.findall(data)) if d not in deputies[xid])
        marks = sorted((data.find(text), text) for text in v.truth.values() if text in data)
        ballots.setdefault(xid, []).extend(t for _, t in marks if t not in ballots[xid])
        boxes[xid] = boxes.get(xid, 0) + len(found_in(data, [b.encode() for b in v.boxes]))
    with_box = [d for xid, seen in deputies.items() if xid and boxes[xid] for d in seen]  # xid 0: VACUUM
    assert set(with_box) == set(v.order)  # the log pairs every deputy with their sealed box
    assert {t for seen in ballots.values() for t in seen} == set(v.truth.values())  # and holds every ballot
    assert len([xid for xid, seen in tables.items() if xid and seen == set(nodes)]) <= 1  # only the count writes both
    guesses: dict[int, bytes] = {}
    for xid in deputies:
        guesses |= {d: t for d, t in zip(deputies[xid], ballots[xid]) if d not in guesses}
    assert v.matched(guesses) <= MAX_MATCHED
    cast_order = list(dict.fromkeys(with_box))  # the casting order, as the log tells it
    written = list(dict.fromkeys(t for seen in ballots.values() for t in seen))  # in the log's order
    assert v.zipped(cast_order, written) <= MAX_MATCHED
    assert v.follows_casting([seen for seen in ballots.values() if seen]) < MAX_Z


async def test_postgresql_pages_after_the_count_pair_no_deputy_with_marks(hall):
    """After the count the insider reads the raw heap pages with pageinspect: what is left in the
    sealed boxes' pages, and the order the ballots sit in theirs (line pointers, and every copy
    still on a page, live or dead), against the casting order."""
    postgresql_only()
    try:
        await database.engine().run_ddl("CREATE EXTENSION IF NOT EXISTS pageinspect")
    except Exception as error:  # noqa: BLE001 (not a superuser, or contrib not installed)
        missing(f"pageinspect is not available here: {error}")
    v = await closed(hall)

    async def pages(table: str) -> range:
        return range(await fetch_value(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"))

    for block in await pages("sealed_ballot"):
        raw = await fetch_value("SELECT get_raw_page('sealed_ballot', {})", block)
        assert found_in(raw, v.plaintexts()) == []
    live, copies = [], []
    for block in await pages("ballot"):
        items = await fetch("SELECT t_data FROM heap_page_items(get_raw_page('ballot', {})) "
                            "WHERE lp_flags = 1 ORDER BY lp", block)
        live.append([t for item in items for t in found_in(bytes(item["t_data"]), v.truth.values())])
        raw = await fetch_value("SELECT get_raw_page('ballot', {})", block)  # tuples fill a page from its end
        found = sorted(((raw.rfind(t), t) for t in found_in(raw, v.truth.values())), reverse=True)
        copies.append([t for _, t in found])
    assert sorted(t for run in live for t in run) == sorted(v.truth.values())
    for runs in (live, copies):
        assert v.zipped(v.order, list(dict.fromkeys(t for run in runs for t in run))) <= MAX_MATCHED
        assert v.follows_casting([run for run in runs if run]) < MAX_Z
