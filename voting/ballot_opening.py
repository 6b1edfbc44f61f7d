"""Opening the ballot box at the count: the tablet ballots unsealed with the scrutineers' cards.

Inside the count's transaction: k key cards give back the poll's private key (voting.secrecy),
every sealed ballot is opened in memory (one that does not open to a ballot of this poll is an
invalid ballot, like a spoiled sheet), the opened ballots and the paper ballots already
entered are shaken together with a cryptographically random permutation and written as the
poll's ballots with fresh random ids in that order, and the sealed boxes are deleted. The key
is then dropped. Nothing written here carries the order in which tablets sent their ballots.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from voting import ballot_box, box_stamps, key_ceremony, rules, secrecy
from voting.database import fetch
from voting.errors import Conflict

INSERT_ROWS = 1000  # ballots per INSERT statement (bound parameters stay well under SQLite's limit)


async def sealed_count(poll_id: int) -> int:
    return int((await fetch("SELECT COUNT(*) AS n FROM sealed_ballot WHERE poll = {}", poll_id))[0]["n"])


async def in_box(poll_id: int) -> int:
    """Ballots in the box now: sealed tablet ballots and entered paper ones (opened ones after the count)."""
    return int((await fetch("SELECT (SELECT COUNT(*) FROM ballot WHERE poll = {}) "
                            "+ (SELECT COUNT(*) FROM sealed_ballot WHERE poll = {}) AS n", poll_id, poll_id))[0]["n"])


async def open_and_shuffle(poll: dict[str, Any], candidates: int, cards: Sequence[str]) -> list[rules.Ballot]:
    """Open the poll's sealed ballots with `cards` and rewrite the whole box; returns its ballots."""
    stamped_boxes, register = await box_stamps.rows_of(poll["id"])
    if found := box_stamps.Unstamped.of(poll["id"], stamped_boxes, register):  # put in by someone else
        raise Conflict(found.message(), code="box_unstamped")
    boxes = [r["box"] for r in stamped_boxes]
    expected = sum(1 for r in register if r["voted"] and r["medium"] == "electronic")
    if len(boxes) != expected:
        raise Conflict(f"票箱中的电子选票（{len(boxes)} 张）与已投票登记（{expected} 人）不符，不能计票。"
                       "请立即报告总监票人和主席团：票箱可能被改动过。", code="box_mismatch")
    opened: list[dict[str, str] | None] = []
    if boxes:
        private = key_ceremony.private_key(await key_ceremony.key_in_force(poll["id"]), cards)
        for box in boxes:
            try:
                raw = secrecy.read_sealed(box, candidates)
            except ValueError:
                opened.append(None)
                continue
            opened.append(secrecy.open_sealed(private, poll["ref"], raw))
        del private
    paper = await fetch("SELECT marks, void FROM ballot WHERE poll = {}", poll["id"])
    contents = [(marks or {}, marks is None) for marks in opened]
    contents += [(json.loads(r["marks"] or "{}"), bool(r["void"])) for r in paper]
    ballots = [rules.Ballot(ballot_box.new_ballot_id(), marks, void) for marks, void in secrecy.shuffled(contents)]
    await fetch("DELETE FROM ballot WHERE poll = {}", poll["id"])
    await fetch("DELETE FROM sealed_ballot WHERE poll = {}", poll["id"])
    for start in range(0, len(ballots), INSERT_ROWS):
        chunk = ballots[start:start + INSERT_ROWS]
        await fetch("INSERT INTO ballot (id, poll, marks, void) VALUES " + ", ".join(["({}, {}, {}, {})"] * len(chunk)),
                    *[v for b in chunk for v in (b.id, poll["id"], json.dumps(dict(b.marks), sort_keys=True,
                                                                               ensure_ascii=False), b.void)])
    await key_ceremony.forget(poll["id"])
    return ballots
