"""The scrutineers' part: who they are, their confirmation of a count, publication, corrections.

A session's chief scrutineer (总监票人), scrutineers (监票人) and counters (计票人) are deputies
elected for it. After a poll is counted the chief scrutineer and every scrutineer confirm
it, on their tablets or by a signature on the tally sheet that the secretariat records;
on a tablet the confirmation is an Ed25519 signature over the seal, made with a key the
tablet holds and the server never sees (voting.signed_seal). Only then can the result be published (the big screen, the presidium's notice). A
confirmed result is never edited: a correction (a paper ballot found mis-entered when the
sheets are checked again) is a new record linked to the poll, with its reason, its own
seal and result, and it needs confirming again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from voting import audit, ballot_box, paper, poll_settings, polls, rules, signed_seal
from voting.audit import Actor
from voting.database import after_seal, fetch, write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.tables import Confirmation, Deputy, PaperEntry, Poll, ResultCorrection, ScrutinyMember, Session

ROLES = {"chief": "总监票人", "scrutineer": "监票人", "counter": "计票人"}
CONFIRMING = ("chief", "scrutineer")


async def members(session_id: int) -> list[dict[str, Any]]:
    return await ScrutinyMember.select(
        ScrutinyMember.all_columns(), ScrutinyMember.deputy.name.as_alias("name"),
        ScrutinyMember.deputy.number.as_alias("number")).where(ScrutinyMember.session == session_id).order_by(
        ScrutinyMember.id)


async def set_members(session_id: int, chief: int | None, scrutineers: list[int], counters: list[int],
                      actor: Actor) -> None:
    """Record the session's scrutiny team as adopted by the presidium: one chief scrutineer,
    scrutineers and counters, each a deputy of the session's term, no one in two roles."""
    chosen = ([chief] if chief else []) + scrutineers + counters
    if chief is None:
        raise Refused("请选定总监票人。", code="no_chief")
    if not scrutineers:
        raise Refused("请至少选定一位监票人。", code="no_scrutineers")
    if len(set(chosen)) != len(chosen):
        raise Refused("同一位代表不能同时担任两种职务。", code="twice")
    async with write_transaction():
        session = await Session.select(Session.term, Session.name).where(Session.id == session_id).first()
        if session is None:
            raise NotFound("没有这次会议。")
        known = {d["id"] for d in await Deputy.select(Deputy.id).where(
            (Deputy.term == session["term"]) & Deputy.id.is_in(chosen))}
        if known != set(chosen):
            raise Refused("所选代表不在本届代表名册中。", code="unknown_deputy")
        counted = await fetch("SELECT COUNT(*) AS n FROM confirmation c JOIN poll p ON p.id = c.poll "
                              "WHERE p.session = {}", session_id)
        if counted[0]["n"]:
            raise Conflict("监票人已确认过本次会议的计票结果，不能再更换。", code="confirmed")
        await ScrutinyMember.delete().where(ScrutinyMember.session == session_id)
        await ScrutinyMember.insert(*[ScrutinyMember(session=session_id, deputy=d, role=role) for role, ids in
                                      (("chief", [chief]), ("scrutineer", scrutineers), ("counter", counters))
                                      for d in ids])
        await audit.record(actor, "scrutiny_set", subject=session["name"],
                           detail={"chief": chief, "scrutineers": scrutineers, "counters": counters})


async def role_of(session_id: int, deputy_id: int) -> str | None:
    row = await ScrutinyMember.select(ScrutinyMember.role).where(
        (ScrutinyMember.session == session_id) & (ScrutinyMember.deputy == deputy_id)).first()
    return row["role"] if row else None


async def _corrections(poll_id: int) -> list[dict[str, Any]]:
    return await ResultCorrection.select().where(ResultCorrection.poll == poll_id).order_by(
        ResultCorrection.id).output(load_json=True)


async def confirmation_state(poll_id: int) -> dict[str, Any]:
    """Who must confirm the poll's current count, who has, and whether it may be published."""
    poll = await polls.get_poll(poll_id)
    team = [m for m in await members(poll["session"]) if m["role"] in CONFIRMING]
    corrections = await _corrections(poll_id)
    since = corrections[-1]["at"] if corrections else None
    rows = await Confirmation.select().where(Confirmation.poll == poll_id).order_by(Confirmation.id)
    current = [r for r in rows if since is None or r["at"] >= since]
    done = {r["deputy"]: {**r, "fingerprint": signed_seal.key_fingerprint(r["public_key"])} for r in current}
    return {"team": [{**m, "confirmation": done.get(m["deputy"])} for m in team],
            "complete": bool(team) and all(m["deputy"] in done for m in team),
            "published_at": poll["published_at"], "corrections": corrections}


def seal_in_force(poll: dict[str, Any], corrections: list[dict[str, Any]]) -> str:
    """The seal of the count in force: the latest correction's, or the one made at the close."""
    return (corrections[-1]["ballots_sha256"] if corrections else poll["ballots_sha256"]) or ""


async def seal_of(poll: dict[str, Any]) -> str:
    """`seal_in_force`, reading the poll's corrections: what the tally sheet, the notice and the
    open-data feed print."""
    return seal_in_force(poll, await _corrections(poll["id"]))


async def statement_for(poll: dict[str, Any], deputy_id: int) -> signed_seal.Statement | None:
    """What this scrutineer signs to confirm the count in force, as of now; None if they are not
    one of the poll's chief scrutineer and scrutineers or the poll is not counted."""
    role = await role_of(poll["session"], deputy_id)
    result = await polls.result_in_force(poll)
    if role not in CONFIRMING or poll["status"] != "closed" or result is None:
        return None
    deputy = await Deputy.select(Deputy.name).where(Deputy.id == deputy_id).first()
    return signed_seal.Statement(
        poll=poll["ref"], ballots_sha256=seal_in_force(poll, await _corrections(poll["id"])),
        result_sha256=signed_seal.result_digest(result), audit_head=await audit.head(),
        signer=f"{ROLES[role]} {deputy['name']}")


async def _checked_signature(poll: dict[str, Any], deputy_id: int, signed: Signed | None) -> signed_seal.Statement:
    """The tablet's signature, taken only if it is good and over this count, this signer and a
    head of the audit chain."""
    if signed is None:
        raise Refused("平板没有送来签名。请刷新页面后重新确认；仍不行时，请在纸质计票单上签字，由秘书处录入。",
                      code="not_signed")
    try:
        statement = signed_seal.check_signature(signed.public_key, signed.statement, signed.signature)
    except signed_seal.SignatureProblem as problem:
        raise Refused(str(problem), code="bad_signature") from None
    expected = await statement_for(poll, deputy_id)
    if expected is None or (statement.poll, statement.signer) != (expected.poll, expected.signer):
        raise Refused("签名的不是这次票决或不是您本人，没有记录。请刷新页面后重新确认。", code="bad_signature")
    if (statement.ballots_sha256, statement.result_sha256) != (expected.ballots_sha256, expected.result_sha256):
        raise Conflict("计票结果刚刚更正过，与您看到的不同。请核对更正后的结果，再确认。", code="seal_changed")
    if not await audit.has_head(statement.audit_head):
        raise Refused("签名中的审计日志链头不存在，没有记录。请刷新页面后重新确认。", code="bad_signature")
    return statement


@dataclass(frozen=True)
class Signed:
    """A tablet's signed confirmation as sent: the statement text, the Ed25519 public key (hex)
    and the signature (base64)."""

    statement: str
    public_key: str
    signature: str


async def confirm(poll_id: int, deputy_id: int, how: str, recorded_by: Actor, seen_seal: str | None = None,
                  signed: Signed | None = None) -> None:
    """A scrutineer confirms the count: on their own tablet (`tablet`, which must come `signed`),
    or the secretariat records their signature on the tally sheet (`paper`). `seen_seal` is the
    seal of the count the scrutineer was shown; if a correction has come in since, the
    confirmation is refused."""
    if how not in ("tablet", "paper"):
        raise Refused("确认方式无效。")
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        if poll["status"] != "closed":
            raise Conflict("计票完成后才能确认。", code="not_closed")
        role = await role_of(poll["session"], deputy_id)
        if role not in CONFIRMING:
            raise Refused("只有本次会议的总监票人和监票人才能确认计票结果。", code="not_scrutineer")
        state = await confirmation_state(poll_id)
        if seen_seal is not None and seen_seal != seal_in_force(poll, state["corrections"]):
            raise Conflict("计票结果刚刚更正过，与您看到的不同。请核对更正后的结果，再确认。", code="seal_changed")
        if any(m["deputy"] == deputy_id and m["confirmation"] for m in state["team"]):
            raise Conflict("您已确认过这次计票结果。", code="already_confirmed")
        detail = {}
        if how == "tablet":
            await _checked_signature(poll, deputy_id, signed)
            detail["signing_key"] = signed_seal.key_fingerprint(signed.public_key)
        kept = signed if how == "tablet" else Signed("", "", "")
        await Confirmation.insert(Confirmation(poll=poll_id, deputy=deputy_id, role=role, how=how,
                                               recorded_by=recorded_by.label, statement=kept.statement,
                                               public_key=kept.public_key, signature=kept.signature))
        deputy = await Deputy.select(Deputy.name).where(Deputy.id == deputy_id).first()
        await audit.record(recorded_by, "count_confirmed", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"by": f"{ROLES[role]} {deputy['name']}", "how": how, **detail})
        sealed = 0
        if (await confirmation_state(poll_id))["complete"]:  # reconciliation signed: the serials keep no marks
            sealed = await paper.seal_links(poll, len(await polls.candidates_of(poll_id)))
            if sealed:
                await audit.record(Actor.system(), "paper_links_sealed",
                                   subject=f"{poll['title']}（{poll['ref']}）", detail={"count": sealed})
    if sealed:
        await after_seal(["paper_entry"], rewrite=True)  # the erased marks, off the pages too


async def publish(poll_id: int, actor: Actor) -> None:
    """Make the confirmed result public (the big screen shows it; the notice may be issued)."""
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        state = await confirmation_state(poll_id)
        if poll["status"] != "closed":
            raise Conflict("计票完成后才能公布结果。", code="not_closed")
        if not state["team"]:
            raise Conflict("请先在会议页面确定本次会议的总监票人和监票人。", code="no_team")
        if not state["complete"]:
            missing = "、".join(f"{ROLES[m['role']]}{m['name']}" for m in state["team"] if not m["confirmation"])
            raise Conflict(f"还须{missing}确认计票结果，才能公布。", code="not_confirmed")
        await Poll.update({Poll.published_at: datetime.now(timezone.utc)}).where(Poll.id == poll_id)
        await audit.record(actor, "result_published", subject=f"{poll['title']}（{poll['ref']}）")


LINKS_SEALED = ("这次计票已经全体监票人确认，纸质选票编号与录入内容的对应已加密封存，服务器也读不出。"
                "按编号更正，须由总监票人和监票人当场出示钥匙卡，扫描或输入后再提交。")


async def current_result(poll: dict[str, Any]) -> dict[str, Any] | None:
    """The result in force: the latest correction's, or the one stored at the close."""
    return await polls.result_in_force(poll)


async def correct_paper_ballot(poll_id: int, serial_text: str, marks: Mapping[str, str], void: bool, reason: str,
                               actor: Actor, cards: Sequence[str] = ()) -> dict[str, Any]:
    """Correct a paper ballot found mis-entered when the sheets are checked again.

    The ballot entered for that serial is replaced by what the sheet says: ballots with the
    same content cannot be told apart, so swapping one of them is exact and needs no link
    from serial to ballot. The stored result stays as it was; the new count, its seal and
    the reason are a new `ResultCorrection`, which the scrutineers confirm again.

    Once the whole team has confirmed a count, what each serial counted as is sealed to the
    poll's key (voting.paper.seal_links): the correction then needs k of the poll's key cards
    (`cards`), which open that one serial's link in memory.
    """
    reason = reason.strip()
    if not reason:
        raise Refused("更正须写明原因。", code="reason_required")
    new_json, void = await paper.sheet_marks(poll_id, marks, void)
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        if poll["status"] != "closed":
            raise Conflict("计票完成后才能更正。", code="not_closed")
        serial = paper._serial_of(poll_id, serial_text)
        settled = paper.settled_entry(await PaperEntry.select().where(
            (PaperEntry.poll == poll_id) & (PaperEntry.serial == serial)).order_by(PaperEntry.id))
        if settled is None:
            raise NotFound(f"选票“{serial}”没有录入过。")
        if settled["kind"] == "sealed":
            if not any(card.strip() for card in cards):
                raise Refused(LINKS_SEALED, code="cards_needed")
            old_json, old_void = await paper.sealed_link(poll, serial, list(cards))
        else:
            old_json, old_void = settled["marks"], bool(settled["void"])
        if (old_json, old_void) == (new_json, void):
            raise Conflict("更正的内容与已计入的相同。", code="unchanged")
        before = await polls.result_in_force(poll)
        old = await fetch("SELECT id FROM ballot WHERE poll = {} AND marks = {} AND void = {} LIMIT 1",
                          poll_id, old_json, old_void)
        if not old:
            raise Conflict("票箱中找不到与该编号录入内容相同的选票，请先用 verify 核验封存。", code="not_found")
        await fetch("DELETE FROM ballot WHERE id = {}", old[0]["id"])
        await fetch("INSERT INTO ballot (id, poll, marks, void) VALUES ({}, {}, {}, {})",
                    ballot_box.new_ballot_id(), poll_id, new_json, void)
        await PaperEntry.insert(PaperEntry(poll=poll_id, serial=serial, kind="correction", by_key=actor.kind,
                                           by_label=actor.label, marks=new_json, void=void))
        candidates = await polls.candidates_of(poll_id)
        poll_rules = poll_settings.to_rules(poll, candidates, poll["entitled"], poll["present"], poll["issued"])
        ballots = await polls.stored_ballots(poll_id)
        result = rules.count(poll_rules, ballots).to_json()
        digest = polls.seal(poll_rules, ballots)
        await ResultCorrection.insert(ResultCorrection(poll=poll_id, result=result, ballots_sha256=digest,
                                                       reason=reason, by=actor.label))
        await Poll.update({Poll.published_at: None}).where(Poll.id == poll_id)
        await audit.record(actor, "result_corrected", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"serial": serial, "sha256": digest, "opened_sealed_link": settled["kind"] == "sealed"},
                           reason=reason)
        for hook in polls.CORRECTION_HOOKS:
            await hook(poll_id, before, result, actor)
    return result
