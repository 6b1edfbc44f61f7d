"""The key ceremony before a poll opens, and the cards' return at the count.

At the counting desk, before the poll opens, the scrutineers watch the key made: the poll's
key pair is created in memory (voting.secrecy), its private half split into one card for
the chief scrutineer, one for each scrutineer and one backup card that the presidium keeps
sealed; any `k` cards (the session's `key_threshold`, at least 2) open the poll's tablet
ballots at the count, fewer open nothing. Only the public key and who holds which card
number are stored. The cards are shown once, to be printed and sealed in envelopes; the
ceremony may be held again while the poll is a draft (a card lost, a printer jam): the
old cards then open nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from voting import audit, secrecy
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.tables import Poll, PollKey, ScrutinyMember, Session

ROLE_LABELS = {"chief": "总监票人", "scrutineer": "监票人", "presidium": "主席团（备用）"}
MIN_THRESHOLD = 2


@dataclass(frozen=True)
class Card:
    """One printed key card: who holds it and what it says."""

    holder: dict[str, Any]  # x, role, role_label, name, number
    share: secrecy.Share


@dataclass(frozen=True)
class Ceremony:
    poll: dict[str, Any]
    fingerprint: str
    threshold: int
    cards: tuple[Card, ...]


async def _holders(session_id: int) -> list[dict[str, Any]]:
    """Who gets a card: the chief scrutineer, each scrutineer, then the presidium's backup card."""
    rows = await ScrutinyMember.select(ScrutinyMember.role, ScrutinyMember.deputy.name.as_alias("name"),
                                       ScrutinyMember.deputy.number.as_alias("number")).where(
        (ScrutinyMember.session == session_id) & ScrutinyMember.role.is_in(["chief", "scrutineer"])).order_by(
        ScrutinyMember.id)
    rows.sort(key=lambda r: r["role"] != "chief")
    holders = [{"role": r["role"], "name": r["name"], "number": r["number"]} for r in rows]
    holders.append({"role": "presidium", "name": "主席团", "number": ""})
    return [{**h, "x": x, "role_label": ROLE_LABELS[h["role"]]} for x, h in enumerate(holders, start=1)]


async def threshold_of(session_id: int) -> int:
    row = await Session.select(Session.key_threshold).where(Session.id == session_id).first()
    if row is None:
        raise NotFound("没有这次会议。")
    return max(MIN_THRESHOLD, int(row["key_threshold"] or MIN_THRESHOLD))


async def set_threshold(session_id: int, k: int, actor: Actor) -> None:
    """How many key cards open a poll of this session; for ceremonies held from now on. Checked
    against the team even when unchanged, so a smaller team cannot leave k out of its reach."""
    if not isinstance(k, int) or k < MIN_THRESHOLD:
        raise Refused(f"开启电子选票所需的钥匙卡数至少为 {MIN_THRESHOLD} 张。", code="threshold_too_low")
    async with write_transaction():
        holders = await _holders(session_id)
        team = len(holders) - 1
        if team and k > team:
            raise Refused(f"本次会议只有 {team} 位总监票人和监票人，所需钥匙卡数不能超过 {team} 张。",
                          code="threshold_too_high")
        session = await Session.select(Session.name, Session.key_threshold).where(Session.id == session_id).first()
        if session["key_threshold"] == k:
            return
        await Session.update({Session.key_threshold: k}).where(Session.id == session_id)
        await audit.record(actor, "key_threshold_set", subject=session["name"],
                           detail={"before": session["key_threshold"], "after": k})


async def key_in_force(poll_id: int) -> dict[str, Any] | None:
    """The newest ceremony's public key and card holders (never a card's text), or None."""
    row = await PollKey.select().where(PollKey.poll == poll_id).order_by(PollKey.id, ascending=False).first()
    if row is None:
        return None
    return {**row, "holders": json.loads(row["holders"] or "[]"), "public_key_bytes": bytes.fromhex(row["public_key"])}


async def hold(poll_id: int, actor: Actor, reason: str = "") -> Ceremony:
    """Make the poll's key and its cards. Refused unless the poll is a draft and the session's
    scrutineers are chosen, enough of them for the cards needed; a second ceremony needs a reason."""
    async with write_transaction():
        poll = await Poll.select().where(Poll.id == poll_id).first()
        if poll is None:
            raise NotFound("没有这次票决。")
        if poll["status"] != "draft":
            raise Conflict("投票已经开始，钥匙不能再更换。", code="not_draft")
        holders = await _holders(poll["session"])
        team = len(holders) - 1
        if team == 0:
            raise Conflict("请先在会议页面确定本次会议的总监票人和监票人：钥匙卡由他们保管。", code="no_team")
        k = await threshold_of(poll["session"])
        if team < k:
            raise Conflict(f"开启电子选票需要 {k} 张钥匙卡，本次会议只有 {team} 位总监票人和监票人。"
                           "请增选监票人，或在会议页面调低所需钥匙卡数。", code="team_too_small")
        earlier = await key_in_force(poll_id)
        reason = reason.strip()
        if earlier is not None and not reason:
            raise Refused("重新生成钥匙须写明原因（如钥匙卡遗失、打印失败）；原来的钥匙卡将作废。", code="reason_required")
        key = secrecy.make_poll_key(k, len(holders))
        await PollKey.insert(PollKey(poll=poll_id, public_key=key.public_key.hex(), fingerprint=key.fingerprint,
                                     threshold=k, holders=json.dumps(holders, ensure_ascii=False),
                                     made_by=actor.label, reason=reason))
        await audit.record(actor, "key_ceremony_held" if earlier is None else "key_ceremony_repeated",
                           subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"fingerprint": key.fingerprint, "threshold": k, "cards": len(holders),
                                   "holders": [f"{h['x']} {h['role_label']} {h['name']}" for h in holders]},
                           reason=reason)
    cards = tuple(Card(holder, share) for holder, share in zip(holders, key.shares))
    return Ceremony(poll, key.fingerprint, k, cards)


async def inherit(poll_id: int, runoff_id: int) -> None:
    """A further vote (另行票决) is sealed to the key of the round it settles: the same cards open
    it, so no second ceremony interrupts the sitting. The cards are destroyed once every round is counted."""
    key = await key_in_force(poll_id)
    if key is None:
        raise Conflict("第一轮票决没有钥匙，另行票决无法加密。", code="no_key")
    await PollKey.insert(PollKey(poll=runoff_id, public_key=key["public_key"], fingerprint=key["fingerprint"],
                                 threshold=key["threshold"], holders=json.dumps(key["holders"], ensure_ascii=False),
                                 made_by=key["made_by"], reason="另行票决沿用上一轮的钥匙卡"))


def read_cards(texts: list[str]) -> list[secrecy.Share]:
    """The cards presented at the count, each as typed or scanned; blank lines are skipped.
    Refused, naming each unreadable line, if any cannot be read."""
    shares, problems = [], []
    for n, text in enumerate(texts, start=1):
        if not text.strip():
            continue
        try:
            shares.append(secrecy.read_share(text))
        except secrecy.ShareError as error:
            problems.append(f"第 {n} 栏：{error.message}")
    if problems:
        raise Refused("；".join(problems), code="bad_key_card")
    return shares


RECOVERY = ("如有钥匙卡遗失：请主席团当场启封备用钥匙卡（主席团（备用）那一张），与其他钥匙卡一起扫描。"
            "如果仍然凑不齐，电子选票无法开启，任何人都没有别的办法打开；"
            "请报告主席团，按票决办法改用纸质选票重新投票。")


def private_key(key: dict[str, Any] | None, cards: Sequence[str], purpose: str = "开启电子选票",
                recovery: str = RECOVERY) -> bytes:
    """The poll's private key, put together in memory from k of its cards (the count, a correction
    of a sealed paper serial). Refused, with the recovery advice, with too few or a wrong card."""
    if key is None:
        raise Conflict(f"这次票决没有举行钥匙仪式，无法{purpose}。", code="no_key")
    shares = read_cards(list(cards))
    if len(shares) < key["threshold"]:
        raise Refused(f"{purpose}需要 {key['threshold']} 张钥匙卡，现在只有 {len(shares)} 张。"
                      + recovery, code="too_few_cards")
    try:
        return secrecy.recover_private_key(key["public_key_bytes"], shares)
    except secrecy.ShareError as error:
        raise Refused(error.message, code="bad_key_card") from None


LINK_RECOVERY = ("如有钥匙卡遗失：请主席团当场启封备用钥匙卡（主席团（备用）那一张），与其他钥匙卡一起扫描。"
                 "如果仍然凑不齐，封存的录入内容无法开启，这张选票不能按编号更正；请报告主席团。")


async def forget(poll_id: int) -> None:
    """Record that the key was dropped from memory after the opening (inside the count's transaction)."""
    await PollKey.update({PollKey.forgotten_at: datetime.now(timezone.utc)}).where(
        (PollKey.poll == poll_id) & PollKey.forgotten_at.is_null())
