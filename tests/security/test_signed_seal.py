"""The seal an insider cannot redo (issue 14, item 5), attacked as an insider with the database would.

Before this, changing 40 ballots and recomputing the result and the SHA-256 with the project's
own functions made `python -m voting verify` pass. Now the tally sheet printed at the count
carries the seal and the audit chain's head, each scrutineer who confirmed on a tablet signed
the seal with a key the server never saw, and `verify` checks all three. Each test here plays
the insider to the end (ballots, result, seal, statements, audit log rewritten consistently) and
shows which check still catches them; the honest run passes.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from reports import documents
from tests import sealed
from tests.hall import STAFF
from voting import audit, audit_chain, notices, poll_settings, polls, rules, scrutiny, signed_seal
from voting.database import fetch
from voting.tables import AuditEntry, Ballot, Confirmation, Poll

ROOT = Path(__file__).resolve().parents[2]


def verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voting", "verify", *args], cwd=ROOT, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=120)


async def signed_count(hall, voters: int = 24) -> tuple[int, str, str, str]:
    """A poll cast on tablets, counted with the cards, confirmed with signatures on the chief
    scrutineer's and the scrutineer's tablets; its ref and the seal and audit head as printed on
    the tally sheet (read back from the PDF's text, as an auditor types them from paper)."""
    await hall.check_in()
    chief, scrutineer = hall.deputy_ids[0], hall.deputy_ids[1]
    await scrutiny.set_members(hall.session_id, chief, [scrutineer], [hall.deputy_ids[2]], STAFF)
    poll_id = await hall.poll(candidates=4, seats=2)
    for n, deputy in enumerate(hall.deputy_ids[:voters]):
        await sealed.cast(poll_id, deputy, {"P01": "for", "P02": "for" if n % 3 else "against", "P03": "abstain"})
    await sealed.close_poll(poll_id, STAFF)
    for deputy in (chief, scrutineer):
        await sealed.confirm_on_tablet(poll_id, deputy, STAFF)
    text = PdfReader(io.BytesIO(await documents.tally_pdf(poll_id))).pages[-1].extract_text()
    printed = re.search(r"verify (\S+) --expect ([0-9A-F]{16}) --audit-head ([0-9A-F]{16})", text)
    assert printed, text
    ref, seal, head = printed.groups()
    stored = await polls.get_poll(poll_id)
    assert ref == stored["ref"] and stored["ballots_sha256"].upper().startswith(seal)
    assert "平板签名钥匙" in re.sub(r"\s+", "", text)  # each signer's key fingerprint beside their name
    return poll_id, ref, seal, head


async def reseal_as_insider(poll_id: int, change) -> str:
    """What the earlier audit did: change ballots, recount and reseal with the project's own
    functions, store the new result and seal. Returns the new seal."""
    for ballot in await Ballot.select().where(Ballot.poll == poll_id).limit(8):
        await Ballot.update({Ballot.marks: json.dumps(change(json.loads(ballot["marks"])))}).where(
            Ballot.id == ballot["id"])
    poll = await polls.get_poll(poll_id)
    candidates = await polls.candidates_of(poll_id)
    poll_rules = poll_settings.to_rules(poll, candidates, poll["entitled"], poll["present"], poll["issued"])
    ballots = await polls.stored_ballots(poll_id)
    result = rules.count(poll_rules, ballots).to_json()
    digest = polls.seal(poll_rules, ballots)
    await Poll.update({Poll.result: result, Poll.ballots_sha256: digest}).where(Poll.id == poll_id)
    return digest


async def printed_fingerprints(poll_id: int) -> list[str]:
    """The key fingerprints the tally sheet prints beside the scrutineers who signed on tablets."""
    text = PdfReader(io.BytesIO(await documents.tally_pdf(poll_id))).pages[-1].extract_text()
    return list(dict.fromkeys(re.findall(r"\b[0-9A-F]{4}-[0-9A-F]{4}\b", text)))  # by the names and in the command


def against_p01(marks: dict) -> dict:
    return {**marks, "P01": "against"}


async def test_the_honest_count_verifies_against_the_printed_sheet_and_the_signatures(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    checked = verify(ref, "--expect", seal, "--audit-head", head)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "与计票单上印的封存值一致" in checked.stdout and checked.stdout.count("电子签名有效") == 2
    assert "哈希链完整" in checked.stdout and "核验通过" in checked.stdout
    fingerprints = await printed_fingerprints(poll_id)
    assert len(fingerprints) == 2
    keys = verify(ref, *[arg for f in fingerprints for arg in ("--signer", f.lower().replace("-", ""))])
    assert keys.returncode == 0 and "签名钥匙指纹与计票单上印的一致" in keys.stdout, keys.stdout
    one_short = verify(ref, "--signer", fingerprints[0])
    assert one_short.returncode == 1 and f"库中签名的指纹 {fingerprints[1]} 不在计票单上" in one_short.stdout
    # A mistyped or foreign seal is not taken as a pass.
    assert verify(ref, "--expect", "0" * 16).returncode == 1
    unreadable = verify(ref, "--expect", "not-a-hash")
    assert unreadable.returncode == 1 and "无法识别" in unreadable.stdout


async def test_an_insider_who_reseals_changed_ballots_fails_against_the_printed_seal_and_the_signatures(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    await reseal_as_insider(poll_id, against_p01)
    assert (await polls.verify(poll_id))["intact"]  # the old, unkeyed check is fooled, as the audit found

    against_paper = verify(ref, "--expect", seal)
    assert against_paper.returncode == 1 and "与计票单上印的封存值不同" in against_paper.stdout
    without_paper = verify(ref)  # no sheet to hand: the scrutineers' signatures still catch it
    assert without_paper.returncode == 1
    assert without_paper.stdout.count("所签的选票封存值与库中选票算出的不同") == 2, without_paper.stdout


async def test_rewriting_what_the_scrutineers_signed_does_not_help_the_insider(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    new_seal = await reseal_as_insider(poll_id, against_p01)
    poll = await polls.get_poll(poll_id)
    result = await polls.result_in_force(poll)
    for row in await Confirmation.select().where(Confirmation.poll == poll_id):
        statement = signed_seal.parse(row["statement"])
        rewritten = signed_seal.Statement(statement.poll, new_seal, signed_seal.result_digest(result),
                                          statement.audit_head, statement.signer).text
        await Confirmation.update({Confirmation.statement: rewritten}).where(Confirmation.id == row["id"])
    checked = verify(ref)
    assert checked.returncode == 1 and checked.stdout.count("签名无效（签名与所签内容不符）") == 2, checked.stdout

    # Signing with keys of the insider's own makes valid signatures, under fingerprints that are
    # not the ones printed beside the scrutineers' names.
    printed = {m["name"]: m["fingerprint"] for m in (await documents.tally_context(poll_id))["signers"]}
    for row in await Confirmation.select().where(Confirmation.poll == poll_id):
        public_key, signature = signed_seal.sign(os.urandom(32), row["statement"])
        await Confirmation.update({Confirmation.public_key: public_key, Confirmation.signature: signature}).where(
            Confirmation.id == row["id"])
    forged = verify(ref, "--expect", seal)
    assert forged.returncode == 1 and "与计票单上印的封存值不同" in forged.stdout
    shown = dict(re.findall(r"(?:总监票人|监票人) (\S+)：电子签名有效，签名钥匙指纹 (\S+)", forged.stdout))
    assert shown and all(printed[name] != fingerprint for name, fingerprint in shown.items())
    # Without the seal to hand, the fingerprints on the sheet alone catch the re-signing.
    by_key = verify(ref, *[arg for f in printed.values() for arg in ("--signer", f)])
    assert by_key.returncode == 1 and by_key.stdout.count("在库中没有对应的有效签名") == 1
    assert "不在计票单上：签名被人换过" in by_key.stdout and "核验失败" in by_key.stdout


async def test_a_tablet_confirmation_stripped_of_its_signature_fails(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    await Confirmation.update({Confirmation.signature: ""}).where(Confirmation.poll == poll_id)
    checked = verify(ref, "--expect", seal)
    assert checked.returncode == 1 and "平板确认没有电子签名" in checked.stdout


async def test_an_edited_or_deleted_audit_entry_breaks_the_chain(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    closed = await AuditEntry.select().where(AuditEntry.action == "poll_closed").first()
    detail = json.loads(closed["detail"]) if isinstance(closed["detail"], str) else closed["detail"]
    await AuditEntry.update({AuditEntry.detail: {**detail, "returned": detail["returned"] - 1}}).where(
        AuditEntry.id == closed["id"])
    edited = verify(ref, "--expect", seal)
    assert edited.returncode == 1 and f"第 {closed['id']} 条记录（poll_closed）的内容与其哈希不符" in edited.stdout

    await AuditEntry.update({AuditEntry.detail: detail}).where(AuditEntry.id == closed["id"])
    assert verify(ref, "--expect", seal).returncode == 0  # put back exactly, it verifies again
    await AuditEntry.delete().where(AuditEntry.id == closed["id"])
    deleted = verify(ref, "--expect", seal)
    assert deleted.returncode == 1 and "前序哈希与上一条不符" in deleted.stdout


async def test_an_insider_who_recomputes_the_whole_chain_is_caught_by_the_printed_head(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    rows = await AuditEntry.select().order_by(AuditEntry.id)
    await AuditEntry.delete().where(AuditEntry.action == "poll_closed")  # the close's entry, gone
    prev = audit_chain.GENESIS
    for row in rows:
        if row["action"] == "poll_closed":
            continue
        digest = audit_chain.hash_of(row, prev)
        await AuditEntry.update({AuditEntry.prev_hash: prev, AuditEntry.entry_hash: digest}).where(
            AuditEntry.id == row["id"])
        prev = digest
    assert (await audit.check_chain()).intact  # a consistent chain again
    checked = verify(ref, "--expect", seal, "--audit-head", head)
    assert checked.returncode == 1 and "计票单上印的审计日志链头不在链中" in checked.stdout
    assert checked.stdout.count("所签的审计日志链头已不在日志中") == 2  # and the signed heads are gone too


async def test_the_notice_prints_the_seal_and_the_audit_head(hall):
    poll_id, ref, seal, head = await signed_count(hall)
    await scrutiny.publish(poll_id, STAFF)
    notice = await notices.issue_notice(poll_id, STAFF)
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(await documents.notice_pdf(notice))).pages[0].extract_text())
    found = re.search(r"选票封存值：([0-9A-F]{16})审计日志链头：([0-9A-F]{16})", text)
    assert found and found.group(1) == seal
    assert verify(ref, "--expect", found.group(1), "--audit-head", found.group(2)).returncode == 0


async def test_concurrent_entries_never_fork_the_chain(hall):
    import asyncio

    actor = audit.Actor("staff", None, "秘书处 测试")
    await asyncio.gather(*(audit.record(actor, "login", subject=f"并发 {n}") for n in range(40)))
    chain = await audit.check_chain()
    assert chain.intact and chain.entries >= 40
    heads = await fetch('SELECT "prev_hash", COUNT(*) AS n FROM "audit_entry" GROUP BY "prev_hash" HAVING COUNT(*) > 1')
    assert heads == []  # no two entries follow the same one
