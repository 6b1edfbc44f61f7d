"""`python -m voting verify`: everything an auditor checks about a counted poll, from the
database and from the printed tally sheet.

1. The ballots stored now give the seal and the result stored at the count (voting.polls.verify).
2. That seal is the one printed on the tally sheet (`--expect`, the full hash or its first 16
   or more hex digits as typed from paper): an insider who changes ballots and recomputes the
   result and the seal with the project's own functions still fails here.
3. Every scrutineer's tablet confirmation carries a good Ed25519 signature over a statement
   naming this poll, this signer, the seal and result in force and a head of the audit
   chain (voting.signed_seal): an insider cannot re-sign, the keys are on the tablets.
4. The audit log's hash chain is whole (voting.audit_chain), and the head printed on the
   tally sheet or the notice (`--audit-head`) is one of its links: an edited or deleted
   entry shows, even if every hash after it was recomputed.
5. The keys that signed are the ones whose fingerprints the tally sheet prints beside the
   scrutineers' names (`--signer`, once per fingerprint): an insider who re-signs a changed seal
   with keys of their own makes valid signatures, under other fingerprints.
"""

from __future__ import annotations

from typing import Any

from voting import audit, audit_chain, polls, scrutiny, signed_seal
from voting.tables import Confirmation, Deputy


async def _signatures(poll: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    corrections = (await scrutiny.confirmation_state(poll["id"]))["corrections"]
    since = corrections[-1]["at"] if corrections else None
    seals = {poll["ballots_sha256"], *(c["ballots_sha256"] for c in corrections)}
    rows = await Confirmation.select(Confirmation.all_columns(), Confirmation.deputy.name.as_alias("name")).where(
        Confirmation.poll == poll["id"]).order_by(Confirmation.id)
    checked = []
    for row in rows:
        signer = f"{scrutiny.ROLES.get(row['role'], row['role'])} {row['name']}"
        current = since is None or row["at"] >= since
        found = {"signer": signer, "how": row["how"], "current": current, "fingerprint": "", "problem": ""}
        if row["how"] == "tablet":
            found["fingerprint"] = signed_seal.key_fingerprint(row["public_key"])
            found["problem"] = await _signature_problem(row, signer, poll, current, seals, report)
        checked.append(found)
    return checked


async def _signature_problem(row: dict[str, Any], signer: str, poll: dict[str, Any], current: bool, seals: set[str],
                             report: dict[str, Any]) -> str:
    if not row["signature"]:
        return "平板确认没有电子签名"
    if not signed_seal.signature_valid(row["public_key"], row["statement"], row["signature"]):
        return "签名无效（签名与所签内容不符）"
    statement = signed_seal.parse(row["statement"])
    if (statement.poll, statement.signer) != (poll["ref"], signer):
        return "签名的不是这次票决或不是这位监票人"
    if current and statement.ballots_sha256 != report["computed"]:
        return "所签的选票封存值与库中选票算出的不同"
    if current and statement.result_sha256 != signed_seal.result_digest(report["recount"]):
        return "所签的计票结果与重新计票的结果不同"
    if not current and statement.ballots_sha256 not in seals:
        return "所签的选票封存值不在本次票决的封存记录中"
    if not await audit.has_head(statement.audit_head):
        return "所签的审计日志链头已不在日志中（日志被改写）"
    return ""


def fingerprint_typed(text: str) -> str:
    """A key fingerprint as typed from paper (3F2A-91C0, 3f2a91c0): its 8 hex digits, upper case."""
    digits = "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")
    return f"{digits[:4]}-{digits[4:]}" if len(digits) == 8 else ""


def _signers(typed: tuple[str, ...], signatures: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not typed:
        return None
    given = {fingerprint_typed(t) or t for t in typed}
    signed = {s["fingerprint"] for s in signatures if s["how"] == "tablet" and s["current"] and not s["problem"]}
    return {"given": sorted(given), "missing": sorted(given - signed), "unexpected": sorted(signed - given)}


async def verify(poll_id: int, expect: str = "", audit_head: str = "", signers: tuple[str, ...] = ()) -> dict[str, Any]:
    report = await polls.verify(poll_id)
    poll = await polls.get_poll(poll_id)
    expected = audit_chain.typed_hex(expect) if expect else ""
    report["expect"] = None if not expect else {
        "given": expect, "readable": bool(expected),
        "matches": bool(expected) and report["computed"].startswith(expected)
        and report["sealed"].startswith(expected)}
    report["signatures"] = await _signatures(poll, report)
    chain = await audit.check_chain()
    report["chain"] = {"entries": chain.entries, "head": chain.head, "short_head": audit_chain.short(chain.head),
                       "problems": chain.problems}
    head = audit_chain.typed_hex(audit_head) if audit_head else ""
    report["audit_head"] = None if not audit_head else {
        "given": audit_head, "found": bool(head) and await audit.has_head(head)}
    report["signers"] = _signers(signers, report["signatures"])
    report["ok"] = (report["intact"] and (report["expect"] is None or report["expect"]["matches"])
                    and not any(s["problem"] for s in report["signatures"]) and chain.intact
                    and (report["audit_head"] is None or report["audit_head"]["found"])
                    and (report["signers"] is None or not (report["signers"]["missing"] or report["signers"]["unexpected"])))
    return report


def lines(report: dict[str, Any]) -> list[str]:
    """The report in Chinese, as the command prints it."""
    out = [f"票决 {report['poll']}：库中选票 {report['ballots']} 张",
           f"封存的 SHA-256：{report['sealed']}", f"现在计算的 SHA-256：{report['computed']}"]
    out.append("选票与封存一致，重新计票结果与存档一致。" if report["intact"] else
               "不一致：库中选票与封存时不同（有选票被改动、增加或删除）"
               + ("。" if report["result_matches"] else "，重新计票的结果也与存档不同。"))
    if report["expect"] is not None:
        expect = report["expect"]
        out.append("与计票单上印的封存值一致。" if expect["matches"] else
                   ("与计票单上印的封存值不同：库中的封存或选票已被改动。" if expect["readable"] else
                    "--expect 的值无法识别：请输入计票单上印的 SHA-256（至少前 16 位十六进制数字）。"))
    for s in report["signatures"]:
        if s["how"] == "paper":
            out.append(f"{s['signer']}：纸质签字（以纸质计票单为准）")
        else:
            state = f"签名无效：{s['problem']}" if s["problem"] else "电子签名有效"
            era = "" if s["current"] else "（更正前的确认）"
            out.append(f"{s['signer']}：{state}{era}，签名钥匙指纹 {s['fingerprint']}")
    keys = report["signers"]
    if keys is not None:
        if not (keys["missing"] or keys["unexpected"]):
            out.append("签名钥匙指纹与计票单上印的一致。")
        else:
            if keys["missing"]:
                out.append("计票单上印的指纹 " + "、".join(keys["missing"]) + " 在库中没有对应的有效签名。")
            if keys["unexpected"]:
                out.append("库中签名的指纹 " + "、".join(keys["unexpected"]) + " 不在计票单上：签名被人换过。")
    chain = report["chain"]
    out.append(f"审计日志 {chain['entries']} 条，链头 {chain['short_head']}："
               + ("哈希链完整。" if not chain["problems"] else "哈希链断裂：" + "；".join(chain["problems"]) + "。"))
    if report["audit_head"] is not None:
        out.append("计票单上印的审计日志链头在链中。" if report["audit_head"]["found"] else
                   "计票单上印的审计日志链头不在链中：此后的日志被删除或改写。")
    out.append("核验通过。" if report["ok"] else "核验失败。")
    return out
