"""The roll of deputies of a term: how a deputy number is written, what an import would
change, and applying exactly that.

The roster is never changed silently. An uploaded file (parsed by
:mod:`voting.roster_import`) is first compared with the roll (:func:`preview_import`):
deputies to add, deputies to update with each changed field, rows unchanged, rows
skipped and why, and warnings the clerk should read. Nothing is written until the
clerk confirms; :func:`confirm_import` compares again inside its transaction and
writes only if the result is the one that was previewed (its :attr:`RosterPlan.digest`),
else it refuses with :class:`RosterChanged`.

The comparison (:func:`plan_changes`) is pure. A row is the deputy on the roll with
the same number, compared by :func:`normalise_number` (so ``d001`` is ``D001``); a
number Excel stored as a number and so lost its leading zeros (``123`` for the roll's
``000123``) is taken as that deputy, with a warning, never as a second deputy. A
column the file does not have is left as it is on the roll. Deputies on the roll that
are not in the file are left as they are.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voting import audit
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.spreadsheets import clean_cell
from voting.tables import Delegation, Deputy, Term

if TYPE_CHECKING:  # voting.roster_import calls normalise_number, so it is imported only for types
    from voting.roster_import import RosterParse, SkippedRow

# Rows per INSERT: a statement may carry at most 32,766 parameters (SQLite) / 32,767
# (PostgreSQL), and a deputy row has nine.
INSERT_CHUNK = 1000

_INTEGRAL_RE = re.compile(r"([0-9]+)\.0+")


def normalise_number(text: str | None) -> str:
    """A deputy number (代表证号) as it is stored and compared, wherever it is typed.

    Full-width characters become ASCII (Ａ０２３ → A023), invisible characters and the
    spaces around it go, a number that went through a float loses its ``.0``
    (``1023.0`` → ``1023``), and letters are upper case (``d001`` → ``D001``). Every
    number put on the roll and every number typed to find a deputy goes through here,
    so numbers are case-insensitive everywhere.
    """
    number = clean_cell(unicodedata.normalize("NFKC", text or ""))
    match = _INTEGRAL_RE.fullmatch(number)
    return (match.group(1) if match else number).upper()


async def deputy_by_number(term_id: int, typed: str) -> dict[str, Any] | None:
    """The term's deputy (id, number, name) with this number as typed, or None."""
    number = normalise_number(typed)
    if not number:
        return None
    return await Deputy.select(Deputy.id, Deputy.number, Deputy.name).where(
        (Deputy.term == term_id) & (Deputy.number == number)).first()


# --------------------------------------------------------------------------
# what an import would change (pure)


FIELDS = (("name", "姓名"), ("gender", "性别"), ("delegation", "代表团"),
          ("affiliation", "工作单位及职务"), ("phone", "手机"))
"""The fields an import sets, with the column each comes from."""


@dataclass(frozen=True, slots=True)
class DeputyRow:
    """One deputy as read from the roster (or generated as demo data); ``row`` is the
    spreadsheet row it came from (0 when it came from no file)."""

    number: str
    name: str
    gender: str | None
    delegation: str
    affiliation: str | None
    phone: str | None
    row: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RollEntry:
    """A deputy on the roll, as an import compares it: their id and what a row of a file would say."""

    id: int
    deputy: DeputyRow

    @property
    def number(self) -> str:
        return self.deputy.number

    @property
    def name(self) -> str:
        return self.deputy.name


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class Update:
    """A deputy on the roll the file changes; ``number`` is the one on the roll."""

    row: int
    deputy_id: int
    number: str
    name: str
    changes: tuple[Change, ...]

    @property
    def name_change(self) -> Change | None:
        return next((c for c in self.changes if c.field == "name"), None)


@dataclass(frozen=True, slots=True)
class Note:
    """A warning (import allowed) or a conflict (import refused) about a row of the file."""

    row: int | None
    message: str


@dataclass
class RosterPlan:
    """What importing a file would do to a term's roll."""

    adds: list[DeputyRow] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: list[DeputyRow] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    conflicts: list[Note] = field(default_factory=list)
    new_delegations: list[str] = field(default_factory=list)
    untouched: int = 0  # deputies on the roll the file does not mention
    digest: str = ""

    @property
    def can_confirm(self) -> bool:
        return not self.conflicts and bool(self.adds or self.updates)


def plan_changes(rows: Sequence[DeputyRow], roll: Sequence[RollEntry], delegations: Iterable[str], *,
                 columns: Iterable[str] | None = None, skipped: Sequence[SkippedRow] = (),
                 notes: Sequence[str] = (), source: str = "") -> RosterPlan:
    """Compare parsed rows with the roll. ``columns`` are the headers the file has (None:
    all); ``source`` (the file's SHA-256) goes into the digest with what would be written."""
    present = {f for f, label in FIELDS if columns is None or label in set(columns)}
    plan = RosterPlan(skipped=list(skipped), warnings=[Note(None, n) for n in notes])
    by_number: dict[str, list[RollEntry]] = {}
    by_digits: dict[str, list[RollEntry]] = {}
    by_name: dict[str, list[RollEntry]] = {}
    for entry in roll:
        number = normalise_number(entry.number)
        by_number.setdefault(number, []).append(entry)
        if number.isdigit():
            by_digits.setdefault(number.lstrip("0"), []).append(entry)
        by_name.setdefault(entry.name, []).append(entry)
    widths = Counter(len(n) for n in [*by_number, *(r.number for r in rows)] if n.isdigit())
    usual_width = widths.most_common(1)[0][0] if widths else 0
    claimed: dict[int, int] = {}  # deputy id -> row of the file that names them
    names_in_file: dict[str, DeputyRow] = {}

    for row in rows:
        entries = by_number.get(row.number, [])
        if len(entries) > 1:
            plan.conflicts.append(Note(row.row, f"第 {row.row} 行：名册中有 {len(entries)} 位代表的代表证号都是 "
                                                f"{row.number}（只差大小写），请先更正名册"))
            continue
        entry = entries[0] if entries else None
        if entry is None and _lost_zeros(row.number):
            padded = by_digits.get(row.number.lstrip("0"), [])
            if len(padded) == 1:
                entry = padded[0]
                plan.warnings.append(Note(row.row, f"第 {row.row} 行：代表证号 {row.number} 按名册中已有的 "
                                                   f"{entry.number}（{entry.name}）处理；开头的 0 可能被 Excel 去掉了"))
            elif padded:
                plan.conflicts.append(Note(row.row, f"第 {row.row} 行：代表证号 {row.number} 可能是名册中的 "
                                                    f"{'、'.join(e.number for e in padded)}，无法确定是哪一位；"
                                                    "请把代表证号列设为“文本”格式，写完整后重新上传"))
                continue

        earlier = names_in_file.get(row.name)
        if earlier is not None and earlier.number != row.number:
            plan.warnings.append(Note(row.row, f"第 {row.row} 行：姓名 {row.name} 与第 {earlier.row} 行相同，"
                                               f"代表证号却不同（{earlier.number}、{row.number}）；请核对是否同一人"))
        names_in_file.setdefault(row.name, row)

        if entry is not None:
            if entry.id in claimed:
                plan.conflicts.append(Note(row.row, f"第 {row.row} 行：代表证号 {row.number} 与第 {claimed[entry.id]} 行"
                                                    f"是名册中的同一位代表（{entry.number} {entry.name}）"))
                continue
            claimed[entry.id] = row.row
            changes = tuple(Change(f, label, getattr(entry.deputy, f), getattr(row, f)) for f, label in FIELDS
                            if f in present and getattr(entry.deputy, f) != getattr(row, f))
            if changes:
                plan.updates.append(Update(row.row, entry.id, entry.number, row.name, changes))
            else:
                plan.unchanged.append(row)
            continue

        plan.adds.append(row)
        if _lost_zeros(row.number) and len(row.number) < usual_width:
            plan.warnings.append(Note(row.row, f"第 {row.row} 行：代表证号 {row.number} 比其他代表证号（{usual_width} 位）短，"
                                               "开头的 0 可能被 Excel 去掉了；将作为新代表添加"))
        namesakes = [e for e in by_name.get(row.name, []) if e.id not in claimed]
        if namesakes:
            plan.warnings.append(Note(row.row, f"第 {row.row} 行：{row.name}（{row.number}）将作为新代表添加，但名册中已有"
                                               f"同名代表（代表证号 {'、'.join(e.number for e in namesakes)}）；"
                                               "如是同一人，请改用名册中的代表证号"))

    known = set(delegations)
    for name in [r.delegation for r in plan.adds] + [c.after for u in plan.updates for c in u.changes
                                                      if c.field == "delegation"]:
        if name not in known:
            known.add(name)
            plan.new_delegations.append(name)
    plan.untouched = len(roll) - len(claimed)
    plan.digest = _digest(plan, source)
    return plan


def _lost_zeros(number: str) -> bool:
    """Whether a number may be one Excel stored as a number, losing its leading zeros."""
    return number.isdigit() and not number.startswith("0")


def _digest(plan: RosterPlan, source: str) -> str:
    """What would be written, as a hash: the same file against the same roll gives the same one."""
    written = {
        "source": source,
        "adds": [[r.number, r.name, r.gender, r.delegation, r.affiliation, r.phone] for r in plan.adds],
        "updates": [[u.deputy_id, [[c.field, c.before, c.after] for c in u.changes]] for u in plan.updates],
        "delegations": plan.new_delegations,
    }
    return hashlib.sha256(json.dumps(written, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------
# the roll, previewing and applying


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    delegations_added: int
    unchanged: int = 0
    skipped: int = 0


class RosterChanged(Conflict):
    """The roll changed between the preview and the confirmation; ``plan`` is the new preview."""

    MESSAGE = ("名册在预览之后有了变动（可能有人同时导入或修改了名册），没有写入任何内容。"
               "下面是按现在的名册重新计算的预览，请再核对一遍后确认。")

    def __init__(self, plan: RosterPlan) -> None:
        super().__init__(self.MESSAGE, code="roster_changed")
        self.plan = plan


async def _roll(term_id: int) -> tuple[dict[str, Any], list[RollEntry], dict[str, int]]:
    term = await Term.select(Term.name, Term.congress.name, Term.congress.rehearsal).where(Term.id == term_id).first()
    if term is None or term["congress.rehearsal"]:  # a 会前演练 roster is simulated, never imported
        raise NotFound("没有这个届次。")
    delegations = {d["name"]: d["id"] for d in await Delegation.select(Delegation.id, Delegation.name).where(
        Delegation.term == term_id).order_by(Delegation.position)}
    rows = await Deputy.select(Deputy.id, Deputy.number, Deputy.name, Deputy.gender, Deputy.delegation.name,
                               Deputy.affiliation, Deputy.phone).where(Deputy.term == term_id)
    roll = [RollEntry(r["id"], DeputyRow(r["number"], r["name"], r["gender"], r["delegation.name"], r["affiliation"],
                                         r["phone"])) for r in rows]
    return term, roll, delegations


async def preview_import(term_id: int, parsed: RosterParse, source: str = "") -> RosterPlan:
    """What importing this parsed file (with no errors) would change; writes nothing."""
    _, roll, delegations = await _roll(term_id)
    return _plan(parsed, roll, delegations, source)


def _plan(parsed: RosterParse, roll: list[RollEntry], delegations: dict[str, int], source: str) -> RosterPlan:
    if parsed.errors:
        raise Refused("名册文件有错误，不能导入。")
    return plan_changes(parsed.rows, roll, delegations, columns=parsed.columns, skipped=parsed.skipped,
                        notes=parsed.notes, source=source)


async def confirm_import(term_id: int, parsed: RosterParse, source: str, digest: str, actor: Actor,
                         filename: str = "") -> ImportSummary:
    """Write what the preview with this ``digest`` showed, in one transaction, with an audit entry.

    ``parsed`` is the same file parsed again and ``source`` its SHA-256. If the roll changed
    so that the file would now do anything else, raises :class:`RosterChanged` (with the new
    preview) and writes nothing."""
    async with write_transaction():
        term, roll, delegations = await _roll(term_id)
        plan = _plan(parsed, roll, delegations, source)
        if plan.digest != digest:
            raise RosterChanged(plan)
        if plan.conflicts:
            raise Refused(plan.conflicts[0].message)
        if not plan.can_confirm:
            raise Refused("这份名册与现有名册相同，没有需要写入的变化。")
        return await _apply(term_id, term, plan, delegations, actor, filename, source)


async def import_deputies(term_id: int, rows: list[DeputyRow], actor: Actor, source: str = "") -> ImportSummary:
    """Add and update deputies from rows the system made itself (demo data, tests), with no
    preview; the same comparison and writing as a confirmed import, in one transaction."""
    async with write_transaction():
        term, roll, delegations = await _roll(term_id)
        plan = plan_changes(rows, roll, delegations)
        if plan.conflicts:
            raise Refused(plan.conflicts[0].message)
        return await _apply(term_id, term, plan, delegations, actor, source, "")


async def _apply(term_id: int, term: dict[str, Any], plan: RosterPlan, delegations: dict[str, int], actor: Actor,
                 filename: str, source: str) -> ImportSummary:
    position = len(delegations)
    for name in plan.new_delegations:
        position += 1
        created = await Delegation.insert(Delegation(term=term_id, name=name, position=position))
        delegations[name] = created[0]["id"]
    for update in plan.updates:
        values = {c.field: (delegations[c.after] if c.field == "delegation" else c.after) for c in update.changes}
        await Deputy.update({getattr(Deputy, k): v for k, v in values.items()}).where(Deputy.id == update.deputy_id)
    fresh = [Deputy(term=term_id, number=normalise_number(r.number), name=r.name, gender=r.gender,
                    delegation=delegations[r.delegation], affiliation=r.affiliation, phone=r.phone)
             for r in plan.adds]
    for start in range(0, len(fresh), INSERT_CHUNK):
        await Deputy.insert(*fresh[start:start + INSERT_CHUNK])
    summary = ImportSummary(len(plan.adds), len(plan.updates), len(plan.new_delegations), len(plan.unchanged),
                            len(plan.skipped))
    detail: dict[str, Any] = {"source": filename, "added": summary.added, "updated": summary.updated,
                              "unchanged": summary.unchanged, "skipped": summary.skipped,
                              "delegations_added": summary.delegations_added}
    if source:
        detail["sha256"] = source
    await audit.record(actor, "deputies_imported", subject=f"{term['congress.name']}{term['name']}", detail=detail)
    return summary
