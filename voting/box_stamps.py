"""The server's stamp on what goes into the ballot box while a poll is open.

Anyone who can write to the database knows the poll's public key, so they could seal a ballot
of their own and put it in the box together with a register row saying some deputy voted: the
count's check (boxes = deputies who voted on a tablet) would not see it. Every sealed ballot
and every register row is therefore stamped when the application writes it: an HMAC-SHA-256
under a key derived from the server key (`PIAOJUE_SECRET`, or `$PIAOJUE_DATA/secret.key`),
which is kept outside the database, its replicas and its backups. The count refuses to open a
box holding a ballot or a register row whose stamp does not check (voting.ballot_opening).

A stamp covers one row on its own: a sealed ballot's stamp names its poll and its box, a
register row's names its poll, deputy, whether they voted and on which medium. Neither names
the other, so the stamps pair no deputy with a ballot; a stamp copied onto another row, poll
or deputy does not check. Spec: docs/secret-ballot.md ("The server's stamp").
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from voting.accounts import server_key
from voting.database import fetch

STAMP_FORMAT = b"piaojue-box-stamp/1"


@lru_cache(maxsize=4)
def _stamp_key(server: bytes) -> bytes:
    return hmac.new(server, STAMP_FORMAT, hashlib.sha256).digest()


def _stamp(*parts: object) -> str:
    message = "\x1f".join(str(p) for p in parts).encode()
    return hmac.new(_stamp_key(server_key()), message, hashlib.sha256).hexdigest()


def box_stamp(poll_id: int, box: str) -> str:
    """The stamp of a sealed ballot as stored (`sealed_ballot.stamp`)."""
    return _stamp("box", poll_id, box)


def register_stamp(poll_id: int, deputy_id: int, voted: bool, medium: str) -> str:
    """The stamp of a register row as stored (`poll_voter.stamp`)."""
    return _stamp("register", poll_id, deputy_id, int(bool(voted)), medium)


@dataclass(frozen=True)
class Unstamped:
    boxes: int  # sealed ballots whose stamp does not check
    register: int  # register rows whose stamp does not check

    def __bool__(self) -> bool:
        return bool(self.boxes or self.register)

    @classmethod
    def of(cls, poll_id: int, boxes: list[dict[str, Any]], register: list[dict[str, Any]]) -> "Unstamped":
        """Count the rows whose stamp does not check: `boxes` with box and stamp, `register` with
        deputy, voted, medium and stamp, as `rows_of` reads them."""
        return cls(
            boxes=sum(1 for r in boxes if not hmac.compare_digest(r["stamp"] or "", box_stamp(poll_id, r["box"]))),
            register=sum(1 for r in register if not hmac.compare_digest(
                r["stamp"] or "", register_stamp(poll_id, r["deputy"], r["voted"], r["medium"]))))

    def message(self) -> str:
        found = [f"{n} 张{what}" for n, what in ((self.boxes, "电子选票"), (self.register, "投票登记")) if n]
        return (f"票箱中有{'、'.join(found)}没有服务器的印记，不是本系统放进去的（可能有人直接改动了数据库）。"
                "不能计票：请立即报告总监票人和主席团，保持现场，由主席团决定是否改用纸质选票重新投票。")


async def rows_of(poll_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The poll's sealed ballots and register rows, with their stamps (the count reads them once)."""
    return (await fetch("SELECT box, stamp FROM sealed_ballot WHERE poll = {}", poll_id),
            await fetch("SELECT deputy, voted, medium, stamp FROM poll_voter WHERE poll = {}", poll_id))


async def unstamped(poll_id: int) -> Unstamped:
    """How many of the poll's sealed ballots and register rows carry no valid stamp."""
    return Unstamped.of(poll_id, *await rows_of(poll_id))
