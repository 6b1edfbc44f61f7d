"""The audit log as a hash chain (pure): each entry's hash covers the one before it.

    entry_hash = SHA-256(canonical JSON of [prev_hash, at, actor, action, subject, detail, reason])

`at` is the UTC time in ISO 8601 with microseconds; `detail` is the JSON object with its keys
sorted; the JSON is UTF-8 with no spaces and no ASCII escaping. The first entry's prev_hash
is GENESIS. Editing an entry changes its hash and breaks the link from the next one;
deleting one breaks the link over the gap. An insider who recomputes every hash after an
edit builds a new chain whose head differs from the one printed on the tally sheet and the
presidium notice, and from the heads the scrutineers signed: `python -m voting verify`
checks both (docs/secret-ballot.md, "The signed seal").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64
SHORT = 16  # hex digits printed as the head's short form, in groups of four


def stamp(at: datetime | str) -> str:
    """The entry's time as hashed: UTC, microseconds (a naive time is taken as UTC, as SQLite returns it)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _detail(detail: Any) -> Any:
    return json.loads(detail) if isinstance(detail, str) else (detail or {})


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: Any,
               reason: str) -> str:
    body = [prev_hash, stamp(at), actor, action, subject, _detail(detail), reason]
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def hash_of(row: Mapping[str, Any], prev_hash: str) -> str:
    return entry_hash(prev_hash, row["at"], row["actor"], row["action"], row["subject"], row["detail"], row["reason"])


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    head: str
    problems: list[str]  # the first few breaks, in Chinese, naming the entry

    @property
    def intact(self) -> bool:
        return not self.problems


def check(rows: Iterable[Mapping[str, Any]], limit: int = 5) -> ChainCheck:
    """Walk the entries in id order: every stored hash must be recomputable from the entry and
    the stored hash of the one before."""
    prev, count, problems = GENESIS, 0, []
    for row in rows:
        count += 1
        if row["prev_hash"] != prev:
            problems.append(f"第 {row['id']} 条记录的前序哈希与上一条不符（上一条被删除或改动）")
        if hash_of(row, row["prev_hash"]) != row["entry_hash"]:
            problems.append(f"第 {row['id']} 条记录（{row['action']}）的内容与其哈希不符（被改动）")
        prev = row["entry_hash"]
        if len(problems) >= limit:
            break
    return ChainCheck(entries=count, head=prev, problems=problems)


def short(head: str) -> str:
    """The head as printed for people to copy: the first 16 hex digits, `9F3A 11C0 7B2E 04D1`."""
    digits = head[:SHORT].upper()
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def typed_hex(text: str) -> str:
    """A hash as someone typed it from paper: spaces and hyphens dropped, lower case; '' if it is
    not hex or shorter than the printed short form."""
    digits = re.sub(r"[\s\-]", "", text or "").lower()
    return digits if re.fullmatch(r"[0-9a-f]{%d,64}" % SHORT, digits) else ""
