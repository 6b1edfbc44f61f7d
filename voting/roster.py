"""Putting a parsed roster into a term: all rows or none."""

from __future__ import annotations

from dataclasses import dataclass

from voting import audit
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import NotFound
from voting.roster_import import DeputyRow
from voting.tables import Deputy, Delegation, Term


# Rows per INSERT: a statement may carry at most 32,766 parameters (SQLite) / 32,767
# (PostgreSQL), and a deputy row has nine.
INSERT_CHUNK = 1000


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    delegations_added: int


async def import_deputies(term_id: int, rows: list[DeputyRow], actor: Actor, source: str = "") -> ImportSummary:
    """Add new deputies and update those whose number is already on the term's roster.

    The caller passes only rows from a file that parsed with no errors; this runs in
    one transaction, so a failure leaves the roster as it was.
    """
    async with write_transaction():
        term = await Term.select(Term.name, Term.congress.name, Term.congress.rehearsal).where(
            Term.id == term_id).first()
        if term is None or term["congress.rehearsal"]:  # a 会前演练 roster is simulated, never imported
            raise NotFound("没有这个届次。")
        delegations = {d["name"]: d["id"] for d in
                       await Delegation.select(Delegation.id, Delegation.name).where(Delegation.term == term_id)}
        position = len(delegations)
        new_delegations = 0
        for row in rows:
            if row.delegation not in delegations:
                position += 1
                new_delegations += 1
                created = await Delegation.insert(Delegation(term=term_id, name=row.delegation, position=position))
                delegations[row.delegation] = created[0]["id"]
        existing = {d["number"]: d["id"] for d in
                    await Deputy.select(Deputy.id, Deputy.number).where(Deputy.term == term_id)}
        added = updated = 0
        fresh: list[Deputy] = []
        for row in rows:
            values = dict(name=row.name, gender=row.gender, delegation=delegations[row.delegation],
                          affiliation=row.affiliation, phone=row.phone)
            if row.number in existing:
                await Deputy.update({getattr(Deputy, k): v for k, v in values.items()}).where(
                    Deputy.id == existing[row.number])
                updated += 1
            else:
                fresh.append(Deputy(term=term_id, number=row.number, **values))
                added += 1
        for start in range(0, len(fresh), INSERT_CHUNK):
            await Deputy.insert(*fresh[start:start + INSERT_CHUNK])
        summary = ImportSummary(added, updated, new_delegations)
        await audit.record(actor, "deputies_imported", subject=f"{term['congress.name']}{term['name']}",
                           detail={"source": source, "added": added, "updated": updated,
                                   "delegations_added": new_delegations})
    return summary
