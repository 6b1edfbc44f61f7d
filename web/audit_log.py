"""The audit log as the console shows it: each entry's details as lines of readable Chinese.

An entry keeps its `detail` exactly as recorded (JSON, never rewritten); this only words it.
Each key gets its label (voting.audit.DETAIL_LABELS); coded values their words (投票方式,
阶段, 结论...); true and false read 是 and 否; lists are joined with 、; the ids of deputies,
sessions, polls, congresses and projects become names, with one query per kind for a whole
page of entries. A key or code with no wording yet is shown as recorded rather than hidden.
"""

from __future__ import annotations

import json
from typing import Any

from lifecycle import acceptance, projects, proposal_input, screening, stages, supervision
from lifecycle.tables import Project
from voting import poll_settings
from voting.sittings import sitting_name
from voting.audit import DETAIL_LABELS
from voting.rules import STATUS_LABELS
from voting.tables import Congress, Deputy, Poll, Session, Sitting

# Coded values, by the key they are recorded under.
WORDS: dict[str, dict[Any, str]] = {
    "method": poll_settings.METHOD_LABELS,
    "how": {"tablet": "平板", "paper": "纸质签字"},
    "status": STATUS_LABELS,
    "threshold_base": poll_settings.THRESHOLD_BASES,
    "from": {**stages.STAGES, **stages.PROJECT_STAGES},
    "to": {**stages.STAGES, **stages.PROJECT_STAGES},
    "channel": proposal_input.CHANNELS,
    "kind": projects.DECISION_KINDS,
    "result": acceptance.RESULTS,
    "was": supervision.STATUS_LABELS,
    "source": supervision.SOURCES,
    "assessments": screening.ASSESSMENTS,
}
# The keys inside a recorded mapping, where they are not detail keys themselves.
INNER_KEYS: dict[str, dict[str, str]] = {
    "assessments": {key: text.split("（")[0] for key, text in screening.CRITERIA.items()},
}
# Keys whose whole numbers are ids of a record with a name; `deputies` only as a list (a
# rehearsal records how many deputies it made under the same key).
ID_KINDS = {"deputy": "deputy", "chief": "deputy", "scrutineers": "deputy", "counters": "deputy",
            "lead": "deputy", "members": "deputy", "deputies": "deputy", "session": "session", "poll": "poll",
            "runoff_poll": "poll", "congress": "congress", "project": "project", "projects": "project",
            "pool": "project", "drawn": "project", "sitting": "sitting"}
LISTS_ONLY = frozenset({"deputies"})
# Actions whose numbers are all counts (a removed rehearsal: rows removed per kind).
COUNTS_ONLY = frozenset({"rehearsal_removed"})


def detail_of(entry: dict[str, Any]) -> dict[str, Any]:
    detail = entry.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail) if detail else {}
        except ValueError:
            return {"": detail}
    return detail if isinstance(detail, dict) else {"": detail}


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _names_an_id(action: str, key: str, in_list: bool) -> bool:
    return action not in COUNTS_ONLY and key in ID_KINDS and (in_list or key not in LISTS_ONLY)


def _ids_in(action: str, key: str, value: Any) -> list[int]:
    if isinstance(value, list):
        return [v for v in value if _is_id(v)] if _names_an_id(action, key, True) else []
    return [value] if _is_id(value) and _names_an_id(action, key, False) else []


# How a record of each kind is named: its table, and its name from the selected row.
NAMED: dict[str, tuple[Any, tuple[str, ...], Any]] = {
    "deputy": (Deputy, ("name", "number"), lambda r: f"{r['name']}（{r['number']}）"),
    "session": (Session, ("name",), lambda r: r["name"]),
    "sitting": (Sitting, ("number",), lambda r: sitting_name(r["number"])),
    "poll": (Poll, ("title", "ref"), lambda r: f"{r['title']}（{r['ref']}）"),
    "congress": (Congress, ("name",), lambda r: r["name"]),
    "project": (Project, ("title",), lambda r: r["title"]),
}


async def _names(wanted: dict[str, set[int]]) -> dict[str, dict[int, str]]:
    """Names of the records wanted, one query per kind."""
    names: dict[str, dict[int, str]] = {kind: {} for kind in NAMED}
    for kind, ids in wanted.items():
        table, columns, name = NAMED[kind]
        rows = await table.select(table.id, *(getattr(table, c) for c in columns)).where(table.id.is_in(list(ids)))
        names[kind] = {r["id"]: name(r) for r in rows}
    return names


def label_of(key: str) -> str:
    return DETAIL_LABELS.get(key, key)


def worded(action: str, key: str, value: Any, names: dict[str, dict[int, str]], in_list: bool = False) -> str:
    """One recorded value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(worded(action, key, v, names, in_list=True) for v in value) if value else "无"
    if isinstance(value, dict):
        if key == "changed":  # a poll's rules: field → [before, after]
            return "；".join(f"{label_of(k)}：{_change(action, k, v, names)}" for k, v in value.items())
        inner = INNER_KEYS.get(key, DETAIL_LABELS)
        return "；".join(f"{inner.get(k, k)}：{worded(action, key, v, names)}" for k, v in value.items())
    if _is_id(value) and _names_an_id(action, key, in_list):
        return names.get(ID_KINDS[key], {}).get(value) or f"第 {value} 号（已不存在）"
    if isinstance(value, str):
        return WORDS.get(key, {}).get(value, value)
    return str(value)


def _change(action: str, key: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{worded(action, key, value[0], names)} → {worded(action, key, value[1], names)}"
    return worded(action, key, value, names)


async def described(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries, each with `lines`: (label, text) per detail key, in the order recorded."""
    wanted: dict[str, set[int]] = {}
    details = [detail_of(e) for e in entries]
    for entry, detail in zip(entries, details):
        for key, value in detail.items():
            for found in _ids_in(entry["action"], key, value):
                wanted.setdefault(ID_KINDS[key], set()).add(found)
    names = await _names(wanted)
    return [{**entry, "lines": [(label_of(k), worded(entry["action"], k, v, names)) for k, v in detail.items()]}
            for entry, detail in zip(entries, details)]
