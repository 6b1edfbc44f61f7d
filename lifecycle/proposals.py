"""Proposals from collection through screening: the use cases the web pages and the import call.

Each function runs one transaction, checks the move with lifecycle.stages, writes the
proposal's public history (`ProposalEvent`) and the audit log, and returns what the
caller shows. Nothing here knows about pages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from lifecycle import publicity, screening, similarity, stages
from lifecycle.proposal_input import CATEGORIES, CHANNELS, ProposalInput, received_problem
from lifecycle.stages import MoveRefused
from lifecycle.tables import (
    CollectionRound,
    Proposal,
    ProposalAttachment,
    ProposalEvent,
    ProposalReview,
    SubmitAttempt,
)
from lifecycle.uploads import StoredUpload, check_count
from lifecycle import notification_rules, notifications
from voting import audit
from voting.accounts import keyed_hash
from voting.audit import Actor
from voting.database import fetch, fetch_value, is_sqlite, write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused, Throttled
from voting.tables import AuditEntry, Congress
from voting.times import BEIJING

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone
PUBLIC_LIMIT = 5  # public submissions per client address per window
PUBLIC_WINDOW = timedelta(hours=1)
MEETING_KINDS = {"consultation": "共商会议", "signoff": "审定程序"}


def today() -> date:
    return datetime.now(BEIJING).date()


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Who:
    """Who acts on a proposal: the audit actor and their role in lifecycle.stages.ROLES."""

    actor: Actor
    role: str

    @classmethod
    def citizen(cls) -> "Who":
        return cls(Actor("citizen", None, "群众（网上征集）"), "citizen")

    @classmethod
    def system(cls) -> "Who":
        return cls(Actor.system(), "system")


# --- collection rounds -----------------------------------------------------------


async def create_round(congress_id: int, year: int, title: str, opens_on: date, closes_on: date,
                       budget_wan: int | None, who: Who,
                       release_after_hours: int | None = publicity.DEFAULT_DELAY_HOURS) -> int:
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()
    title = title.strip()
    if not title or len(title) > 100:
        raise Refused("请填写征集名称（不超过 100 字）。")
    if closes_on < opens_on:
        raise Refused("截止日期不能早于开始日期。")
    if not 2000 <= year <= 2100:
        raise Refused("项目年度无效。")
    if budget_wan is not None and budget_wan < 0:
        raise Refused("年度预算不能为负数。")
    if refusal := publicity.delay_refusal(release_after_hours):
        raise Refused(refusal)
    async with write_transaction():
        if not await Congress.exists().where(Congress.id == congress_id):
            raise NotFound("没有这个人大。")
        row = (await CollectionRound.insert(CollectionRound(
            congress=congress_id, year=year, title=title, opens_on=opens_on, closes_on=closes_on,
            budget_wan=budget_wan, release_after_hours=release_after_hours)).returning(CollectionRound.id))[0]
        await audit.record(who.actor, "round_created", subject=title,
                           detail={"round": row["id"], "opens_on": str(opens_on), "closes_on": str(closes_on),
                                   "release_after_hours": release_after_hours})
    return row["id"]


async def rounds() -> list[dict[str, Any]]:
    return await CollectionRound.select(CollectionRound.all_columns(),
                                        CollectionRound.congress.name.as_alias("congress_name")).order_by(
        CollectionRound.opens_on, ascending=False)


async def get_round(round_id: int) -> dict[str, Any]:
    row = await CollectionRound.select(CollectionRound.all_columns(),
                                       CollectionRound.congress.name.as_alias("congress_name")).where(
        CollectionRound.id == round_id).first()
    if row is None:
        raise NotFound("没有这次征集。")
    return row


def is_open(round_row: dict[str, Any], on: date) -> bool:
    return round_row["opens_on"] <= on <= round_row["closes_on"]


async def open_rounds(on: date | None = None) -> list[dict[str, Any]]:
    on = on or today()
    return [r for r in await rounds() if is_open(r, on)]


async def next_opening(on: date | None = None) -> dict[str, Any] | None:
    """The round that opens soonest after `on`, to tell a citizen when to come back."""
    on = on or today()
    later = [r for r in await rounds() if r["opens_on"] > on]
    return min(later, key=lambda r: r["opens_on"]) if later else None


# --- submitting ---------------------------------------------------------------------


def normalise_code(text: str) -> str:
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


async def _check_public_limit(key: str) -> None:
    since = _now() - PUBLIC_WINDOW
    recent = await SubmitAttempt.count().where((SubmitAttempt.client == key) & (SubmitAttempt.at > since))
    if recent >= PUBLIC_LIMIT:
        raise Throttled("提交太频繁了，请一小时后再提交；您已提交的建议都已保存。", code="throttled")


async def check_public_limit(client: str) -> None:
    """Raise Throttled if `client` has no public submission left this hour; records nothing.
    For the form to call before storing uploads; `submit` still counts atomically."""
    await _check_public_limit(keyed_hash(f"submit:{client}"))


async def _throttle_public(client: str) -> None:
    """At most PUBLIC_LIMIT public submissions per client address an hour (counted atomically)."""
    key = keyed_hash(f"submit:{client}")
    if not is_sqlite():
        await fetch("SELECT pg_advisory_xact_lock(hashtext({}))", f"submit:{key}")
    await _check_public_limit(key)
    await SubmitAttempt.insert(SubmitAttempt(client=key))


async def submit(round_id: int, data: ProposalInput, who: Who, *, deputy_id: int | None = None,
                 client: str = "", attachments: tuple[StoredUpload, ...] = (),
                 received_on: date | None = None) -> dict[str, Any]:
    """Record a new proposal; returns its id and tracking code.

    Citizens and deputies may submit only while the round is open; the secretariat may
    enter proposals gathered on paper at any time before the candidate list is drawn up,
    with the day each reached it (`received_on`).
    """
    if who.role not in ("citizen", "deputy", "secretariat", "admin"):
        raise Forbidden()
    check_count(0, len(attachments))
    if received_on is not None:
        if who.role not in stages.SECRETARIAT:
            raise Forbidden("收到日期由录入纸质建议的秘书处填写。")
        if problem := received_problem(received_on, today()):
            raise Refused(problem)
    async with write_transaction():
        round_row = await get_round(round_id)
        if who.role in ("citizen", "deputy") and not is_open(round_row, today()):
            raise Conflict(f"“{round_row['title']}”的征集时间是 {round_row['opens_on']} 至 {round_row['closes_on']}，"
                           "现在不在征集期内。", code="round_closed")
        if who.role == "citizen":
            await _throttle_public(client)
        for _ in range(10):
            code = _new_code()
            if not await Proposal.exists().where(Proposal.code == code):
                break
        entered = _now()
        released_at = publicity.release_due(entered, round_row["release_after_hours"],
                                            by_secretariat=who.role in stages.SECRETARIAT)
        row = (await Proposal.insert(Proposal(round=round_id, code=code, deputy=deputy_id, stage="submitted",
                                              released_at=released_at, created_at=entered,
                                              received_on=received_on,
                                              **data.as_columns())).returning(Proposal.id))[0]
        if attachments:
            await ProposalAttachment.insert(*[
                ProposalAttachment(proposal=row["id"], sha256=a.sha256, kind=a.kind, media_type=a.media_type,
                                   size=a.size, name=a.name) for a in attachments])
        await _event(row["id"], "submitted", who, text=f"通过“{CHANNELS[data.channel]}”提交", stage_to="submitted")
        await audit.record(who.actor, "proposal_submitted", subject=code,
                           detail={"round": round_id, "channel": data.channel})
    return {"id": row["id"], "code": code}


async def _event(proposal_id: int, kind: str, who: Who, *, text: str = "", stage_from: str = "",
                 stage_to: str = "", detail: dict[str, Any] | None = None) -> int:
    """Add an entry to the proposal's public history; returns its id (what a notification of it names)."""
    return (await ProposalEvent.insert(ProposalEvent(
        proposal=proposal_id, kind=kind, role=who.role, actor=who.actor.label, text=text,
        stage_from=stage_from, stage_to=stage_to, detail=detail or {})).returning(ProposalEvent.id))[0]["id"]


# --- reading ------------------------------------------------------------------------


async def get_proposal(proposal_id: int) -> dict[str, Any]:
    row = await Proposal.select(Proposal.all_columns(), Proposal.round.title.as_alias("round_title"),
                                Proposal.round.year.as_alias("year")).where(Proposal.id == proposal_id).first()
    if row is None:
        raise NotFound("没有这条建议。")
    return row


async def history(proposal_id: int) -> list[dict[str, Any]]:
    return await ProposalEvent.select().where(ProposalEvent.proposal == proposal_id).order_by(
        ProposalEvent.id).output(load_json=True)


async def proposer_contact(proposal_id: int, who: Who) -> dict[str, str]:
    """The proposer's name and contact, for staff who need them (the Personal Information Protection
    Law's minimum necessary): the secretariat, or a screening department while the proposal is
    still being screened (it has moves to make on it). Every look is in the audit log."""
    proposal = await get_proposal(proposal_id)
    handling = who.role == "screener" and stages.moves_from(proposal["stage"], "screener")
    if who.role not in stages.SECRETARIAT and not handling:
        raise Forbidden("建议人的姓名和联系方式只向秘书处和正在办理初审的初审部门显示。")
    async with write_transaction():
        await audit.record(who.actor, "proposer_contact_viewed", subject=proposal["code"])
    return {"name": proposal["proposer_name"] or "", "contact": proposal["contact"] or ""}


async def reviews(proposal_id: int) -> list[dict[str, Any]]:
    return await ProposalReview.select().where(ProposalReview.proposal == proposal_id).order_by(
        ProposalReview.id).output(load_json=True)


async def attachments(proposal_id: int, *, public: bool = False) -> list[dict[str, Any]]:
    """A proposal's files; with `public`, only those not hidden."""
    where = ProposalAttachment.proposal == proposal_id
    if public:
        where &= ProposalAttachment.hidden_reason == ""
    return await ProposalAttachment.select().where(where).order_by(ProposalAttachment.id)


async def merged_sources(proposal_id: int) -> list[dict[str, Any]]:
    """Every proposal merged into this one, directly or through another merged one."""
    found, frontier = [], [proposal_id]
    while frontier:
        rows = await Proposal.select().where(Proposal.merged_into.is_in(frontier)).order_by(Proposal.id)
        found.extend(rows)
        frontier = [r["id"] for r in rows]
    return found


async def track(code: str) -> dict[str, Any]:
    """What a proposer sees for a tracking code: the item, and where it went if merged."""
    code = normalise_code(code)
    row = await Proposal.select(Proposal.id).where(Proposal.code == code).first()
    if row is None:
        raise NotFound("没有这个查询码，请核对后再输入。")
    own = await get_proposal(row["id"])
    current = own
    for _ in range(20):  # follow merges to the item that carries it on
        if current["merged_into"] is None:
            break
        current = await get_proposal(current["merged_into"])
    return {"own": own, "current": current, "history": await history(own["id"]),
            "current_history": await history(current["id"]) if current["id"] != own["id"] else []}


async def similar_to(proposal: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """Open proposals of the same round and township whose titles are alike (possible duplicates)."""
    rows = await Proposal.select(Proposal.id, Proposal.code, Proposal.title, Proposal.township, Proposal.village,
                                 Proposal.stage, Proposal.supporters).where(
        (Proposal.round == proposal["round"]) & (Proposal.township == proposal["township"])
        & (Proposal.id != proposal["id"]) & Proposal.stage.is_in(["submitted", "reserve", "shortlisted", "candidate"]))
    place = (proposal["township"], proposal["village"])
    alike = [(similarity.title_similarity(proposal["title"], r["title"]), r) for r in rows
             if similarity.is_similar(proposal["title"], place, r["title"], (r["township"], r["village"]))]
    alike.sort(key=lambda pair: (-pair[0], pair[1]["id"]))
    return [dict(r, similarity=round(score, 2)) for score, r in alike[:limit]]


# --- in public or not, and corrections (lifecycle.publicity) ------------------------------


def publicity_of(proposal: dict[str, Any]) -> publicity.Publicity:
    return publicity.publicity(proposal["stage"], proposal["released_at"], proposal["hidden_reason"], _now())


def _staff_reason(reason: str, what: str) -> str:
    if refusal := publicity.reason_refusal(reason, what):
        raise Refused(refusal)
    return reason.strip()


async def release(proposal_id: int, who: Who) -> None:
    """The secretariat has looked at a proposal: it is public from now on."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("只有秘书处可以公开建议。")
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        standing = publicity_of(proposal)
        if standing.state != "pending":
            raise Conflict(f"这条建议{standing.text}，无需公开。", code="not_pending")
        await Proposal.update({Proposal.released_at: _now()}).where(Proposal.id == proposal_id)
        await _event(proposal_id, "released", who, text="经审核，在征集网站公开")
        await audit.record(who.actor, "proposal_released", subject=proposal["code"])


async def hide(proposal_id: int, reason: str, who: Who) -> None:
    """Take a proposal off the public pages (it stays in screening); also an objection to its release."""
    if who.role not in stages.SCREENERS:
        raise Forbidden()
    reason = _staff_reason(reason, "隐藏建议")
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        if refusal := publicity.hide_refusal(proposal["stage"]):
            raise Conflict(refusal, code="hide_refused")
        if proposal["hidden_reason"]:
            raise Conflict("这条建议已经隐藏。", code="already_hidden")
        await Proposal.update({Proposal.hidden_reason: reason}).where(Proposal.id == proposal_id)
        await _event(proposal_id, "hidden", who, text=f"不在征集网站公开：{reason}")
        await audit.record(who.actor, "proposal_hidden", subject=proposal["code"], reason=reason)


async def unhide(proposal_id: int, reason: str, who: Who) -> None:
    """Show a hidden proposal again: the secretariat's call, so it counts as released."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("只有秘书处可以恢复公开。")
    reason = _staff_reason(reason, "恢复公开")
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        if not proposal["hidden_reason"]:
            raise Conflict("这条建议没有隐藏。", code="not_hidden")
        released = proposal["released_at"] if proposal["released_at"] and proposal["released_at"] <= _now() \
            else _now()
        await Proposal.update({Proposal.hidden_reason: "", Proposal.released_at: released}).where(
            Proposal.id == proposal_id)
        await _event(proposal_id, "shown", who, text=f"恢复在征集网站公开：{reason}")
        await audit.record(who.actor, "proposal_unhidden", subject=proposal["code"], reason=reason)


async def set_attachment_hidden(proposal_id: int, attachment_id: int, hidden: bool, reason: str, who: Who) -> None:
    """Hide a proposal's photo or file from the public (or show it again), with a reason."""
    if who.role not in (stages.SCREENERS if hidden else stages.SECRETARIAT):
        raise Forbidden()
    reason = _staff_reason(reason, "隐藏附件" if hidden else "恢复附件")
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        row = await ProposalAttachment.select().where(
            (ProposalAttachment.id == attachment_id) & (ProposalAttachment.proposal == proposal_id)).first()
        if row is None:
            raise NotFound("这条建议没有这个附件。")
        if bool(row["hidden_reason"]) == hidden:
            raise Conflict("这个附件已经隐藏。" if hidden else "这个附件没有隐藏。")
        await ProposalAttachment.update({ProposalAttachment.hidden_reason: reason if hidden else ""}).where(
            ProposalAttachment.id == attachment_id)
        text = f"隐藏附件“{row['name']}”：{reason}" if hidden else f"恢复公开附件“{row['name']}”：{reason}"
        await _event(proposal_id, "photo_hidden" if hidden else "photo_shown", who, text=text)
        await audit.record(who.actor, "attachment_hidden" if hidden else "attachment_shown", subject=proposal["code"],
                           detail={"attachment": attachment_id, "name": row["name"]}, reason=reason)


async def correct(proposal_id: int, data: ProposalInput, reason: str, who: Who) -> dict[str, tuple[Any, Any]]:
    """Correct what a proposal says (a typo, a wrong township, a phone number in the text), with a
    reason. The history says which fields changed and why; the audit log keeps the old wording."""
    if who.role not in stages.SCREENERS:
        raise Forbidden()
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        changed = publicity.correction(proposal, data.as_columns())
        if refusal := publicity.correction_refusal(proposal["stage"], changed, reason):
            raise Conflict(refusal, code="correction_refused")
        await Proposal.update({**{getattr(Proposal, field): after for field, (_, after) in changed.items()},
                               Proposal.updated_at: _now()}).where(Proposal.id == proposal_id)
        fields = "、".join(publicity.CORRECTABLE[field] for field in changed)
        await _event(proposal_id, "corrected", who, text=f"更正了{fields}：{reason.strip()}",
                     detail={"fields": list(changed)})
        await audit.record(who.actor, "proposal_corrected", subject=proposal["code"], reason=reason.strip(),
                           detail={field: {"before": before, "after": after}
                                   for field, (before, after) in changed.items()})
    return changed


async def wordings(code: str, title: str) -> tuple[str, ...]:
    """Every title the proposal `code` has had: the current `title` and those corrected away (kept
    in the audit log), so a page that withholds its wording can withhold the old wordings too."""
    corrected = await AuditEntry.select(AuditEntry.detail).where(
        (AuditEntry.action == "proposal_corrected") & (AuditEntry.subject == code)).output(load_json=True)
    former = [str(((e["detail"] or {}).get("title") or {}).get("before") or "") for e in corrected]
    return tuple(dict.fromkeys([title, *[t for t in former if t]]))


# --- screening ----------------------------------------------------------------------


async def record_review(proposal_id: int, assessments: dict[str, str], comments: dict[str, str], note: str,
                        who: Who) -> None:
    if who.role not in stages.SCREENERS:
        raise Forbidden()
    assessments = {k: v for k, v in assessments.items() if v}
    comments = {k: v.strip() for k, v in comments.items() if v and v.strip()}
    problems = screening.review_problems(assessments, comments)
    if len(note) > 2000:
        problems.append("审查意见不能超过 2000 字。")
    if problems:
        raise Refused("".join(problems), code="review_invalid")
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        if proposal["stage"] in stages.TERMINAL:
            raise Conflict(f"这条建议{stages.STAGES[proposal['stage']]}，不再初审。")
        await ProposalReview.insert(ProposalReview(proposal=proposal_id, reviewer=who.actor.label, role=who.role,
                                                   assessments=assessments, comments=comments, note=note.strip()))
        summary = "；".join(f"{screening.CRITERIA[k].split('（')[0]}：{screening.ASSESSMENTS[v]}"
                           for k, v in assessments.items())
        await _event(proposal_id, "reviewed", who, text=summary)
        await audit.record(who.actor, "proposal_reviewed", subject=proposal["code"], detail={"assessments": assessments})


async def standing_assessment(proposal_id: int) -> dict[str, str]:
    return screening.merged_assessments([r["assessments"] for r in await reviews(proposal_id)])


async def move(proposal_id: int, target: str, who: Who, reason: str = "", *,
               facts: frozenset[str] = frozenset(), changes: dict[Any, Any] | None = None) -> dict[str, Any]:
    """Move a proposal to `target` under lifecycle.stages; the reason is shown to the proposer.

    Callers inside a bigger transaction (the candidate list, the vote's result) pass the
    facts they stand for and any columns to set with the move.
    """
    if refusal := publicity.reason_refusal(reason, required=False):
        raise Refused(refusal)
    reason = reason.strip()
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        if screening.clears_screening(await standing_assessment(proposal_id)):
            facts = facts | {"review"}
        try:
            step = stages.check_move(proposal["stage"], target, who.role, reason=reason, facts=facts)
        except MoveRefused as refused:
            raise Conflict(refused.message, code="move_refused") from None
        columns: dict[Any, Any] = {Proposal.stage: target, Proposal.updated_at: _now()}
        if target == "candidate":  # the candidate list is published: what is on it is public
            if proposal["hidden_reason"]:
                raise Conflict(f"“{proposal['title']}”已隐藏（{proposal['hidden_reason']}），"
                               "恢复公开后才能列入候选项目。", code="hidden")
            if publicity_of(proposal).state == "pending":
                columns[Proposal.released_at] = _now()
        if reason:
            columns[Proposal.decision_reason] = reason
        columns.update(changes or {})
        await Proposal.update(columns).where(Proposal.id == proposal_id)
        event = await _event(proposal_id, "moved", who, text=reason or step.label, stage_from=proposal["stage"],
                             stage_to=target)
        await notifications.tell(notification_rules.proposal_decided(  # the proposer hears of it
            notifications.proposer(proposal), target, reason, event,
            tuple(map(notifications.proposer, await merged_sources(proposal_id)))))
        await audit.record(who.actor, "proposal_moved", subject=proposal["code"],
                           detail={"from": proposal["stage"], "to": target}, reason=reason)
    return proposal


async def merge(source_id: int, target_id: int, who: Who, reason: str = "") -> None:
    """Merge a duplicate into another proposal: the proposer stays credited (the source keeps its
    row and code, and its tracking page follows the target) and the supporters add up."""
    if source_id == target_id:
        raise Refused("不能把建议合并到它自己。")
    async with write_transaction():
        source, target = await get_proposal(source_id), await get_proposal(target_id)
        if source["round"] != target["round"]:
            raise Refused("只能合并同一次征集中的建议。")
        if target["stage"] in stages.TERMINAL:
            raise Conflict(f"目标建议{stages.STAGES[target['stage']]}，不能再并入其他建议。")
        try:
            stages.check_move(source["stage"], "merged", who.role, reason=reason)
        except MoveRefused as refused:
            raise Conflict(refused.message, code="move_refused") from None
        await Proposal.update({Proposal.stage: "merged", Proposal.merged_into: target_id,
                               Proposal.decision_reason: reason.strip() or f"与“{target['title']}”内容相近，合并办理",
                               Proposal.updated_at: _now()}).where(Proposal.id == source_id)
        await Proposal.update({Proposal.supporters: Proposal.supporters + source["supporters"],
                               Proposal.updated_at: _now()}).where(Proposal.id == target_id)
        event = await _event(source_id, "merged", who, text=f"合并到建议 {target['code']}“{target['title']}”",
                             stage_from=source["stage"], stage_to="merged", detail={"into": target["code"]})
        await notifications.tell(notification_rules.proposal_merged(
            notifications.proposer(source), notifications.proposer(target), event))
        await _event(target_id, "absorbed", who, text=f"合并了建议 {source['code']}“{source['title']}”，"
                     f"联名人数增加 {source['supporters']}", detail={"from": source["code"]})
        await audit.record(who.actor, "proposal_merged", subject=source["code"],
                           detail={"into": target["code"]}, reason=reason)


async def record_meeting(proposal_id: int, kind: str, meeting: str, held_on: date | None, document: str,
                         notes: str, who: Who) -> None:
    """A consultation (共商) or a sign-off step (meeting, date, document number) on the item."""
    if who.role not in stages.SCREENERS:
        raise Forbidden()
    if kind not in MEETING_KINDS:
        raise Refused("未知的记录类型。")
    meeting, document, notes = meeting.strip(), document.strip(), notes.strip()
    if not meeting or len(meeting) > 100:
        raise Refused("请填写会议名称（不超过 100 字）。")
    if kind == "signoff" and held_on is None:
        raise Refused("审定程序须填写会议日期。")
    if len(document) > 60 or len(notes) > 2000:
        raise Refused("文号不超过 60 字，纪要不超过 2000 字。")
    async with write_transaction():
        proposal = await get_proposal(proposal_id)
        text = f"{MEETING_KINDS[kind]}：{meeting}" + (f"（{held_on}）" if held_on else "") + (
            f"，文号 {document}" if document else "")
        await _event(proposal_id, kind, who, text=text,
                     detail={"meeting": meeting, "date": str(held_on or ""), "document": document, "notes": notes})
        await audit.record(who.actor, f"proposal_{kind}", subject=proposal["code"], detail={"meeting": meeting})


# --- lists --------------------------------------------------------------------------

PAGE_SIZE = 50
PUBLIC_STAGES = publicity.PUBLIC_STAGES
PUBLICITY_FILTERS = {"pending": "待公开", "hidden": "已隐藏"}


@dataclass(frozen=True)
class Filters:
    round_id: int | None = None
    year: int | None = None
    congress_id: int | None = None  # a province platform lists one county's (the feed's `congress=`)
    stage: str = ""
    category: str = ""
    channel: str = ""
    township: str = ""
    text: str = ""
    publicity: str = ""  # staff lists: "pending" (waiting for release) or "hidden"

    @classmethod
    def from_query(cls, query: dict[str, str]) -> "Filters":
        def number(key: str) -> int | None:
            value = (query.get(key) or "").strip()  # ASCII digits only ("²" is a digit to isdigit), 32 bits
            return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
        return cls(round_id=number("round"), year=number("year"), congress_id=number("congress"),
                   stage=query.get("stage", "") if query.get("stage", "") in stages.STAGES else "",
                   category=query.get("category", "") if query.get("category", "") in CATEGORIES else "",
                   channel=query.get("channel", "") if query.get("channel", "") in CHANNELS else "",
                   township=(query.get("township") or "").strip()[:30], text=(query.get("q") or "").strip()[:60],
                   publicity=query.get("publicity", "") if query.get("publicity", "") in PUBLICITY_FILTERS else "")


def _public_clause() -> tuple[str, list[Any]]:
    """lifecycle.publicity's rule as SQL: listed stages, released by now, not hidden."""
    return ("p.stage IN (" + ", ".join("{}" for _ in PUBLIC_STAGES) + ") AND p.released_at IS NOT NULL "
            "AND p.released_at <= {} AND p.hidden_reason = ''", [*PUBLIC_STAGES, _now()])


def _where(filters: Filters, public: bool) -> tuple[str, list[Any]]:
    clauses, args = [], []
    if public:
        clause, values = _public_clause()
        clauses.append(clause)
        args.extend(values)
    for column, value in (("p.round", filters.round_id), ("r.year", filters.year),
                          ("r.congress", filters.congress_id), ("p.stage", filters.stage),
                          ("p.category", filters.category), ("p.channel", filters.channel),
                          ("p.township", filters.township)):
        if value:
            clauses.append(f"{column} = {{}}")
            args.append(value)
    if filters.publicity == "hidden":
        clauses.append("p.hidden_reason <> ''")
    elif filters.publicity == "pending":
        clauses.append("p.hidden_reason = '' AND p.stage IN (" + ", ".join("{}" for _ in PUBLIC_STAGES)
                       + ") AND (p.released_at IS NULL OR p.released_at > {})")
        args.extend([*PUBLIC_STAGES, _now()])
    if filters.text:
        clauses.append("(p.title LIKE {} OR p.code = {})")
        args.extend([f"%{filters.text}%", normalise_code(filters.text)])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


async def list_proposals(filters: Filters, page: int = 1, *, public: bool = False,
                         per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """One page of proposals, newest first, with the total: two queries whatever the page.

    Ids rise with time and every SQLite index ends in the id, so a filtered page is read in
    order from an index rather than sorted. The page's ids are picked first and only those
    rows are read whole: a deep page (OFFSET 25,000) skips index entries, not rows.
    """
    where, args = _where(filters, public)
    page = max(1, page)
    rows = await fetch(
        "SELECT p.id, p.code, p.round, r.congress, p.title, p.township, p.village, p.category, p.channel, "
        "p.stage, p.supporters, "
        "p.cost_wan, p.created_at, p.released_at, p.hidden_reason, r.year FROM proposal p "
        "JOIN collection_round r ON r.id = p.round "
        "WHERE p.id IN (SELECT p.id FROM proposal p JOIN collection_round r ON r.id = p.round"
        f"{where} ORDER BY p.id DESC LIMIT {int(per_page)} OFFSET {(page - 1) * int(per_page)}) ORDER BY p.id DESC",
        *args)
    total = (await fetch(f"SELECT COUNT(*) AS n FROM proposal p JOIN collection_round r ON r.id = p.round{where}",
                         *args))[0]["n"]
    for row in rows:
        row["publicity"] = publicity_of(row).state
    return {"rows": rows, "total": total, "page": page, "pages": max(1, -(-total // per_page))}


async def stage_counts(round_id: int | None = None, *, public: bool = False) -> dict[str, int]:
    """Proposals by stage (of one round); with `public`, only those the public list shows."""
    where, args = _where(Filters(round_id=round_id), public)
    rows = await fetch(f"SELECT p.stage, COUNT(*) AS n FROM proposal p JOIN collection_round r ON r.id = p.round"
                       f"{where} GROUP BY p.stage", *args)
    return {r["stage"]: r["n"] for r in rows}


async def pending_count(round_id: int) -> int:
    """Proposals of a round that wait out its objection window (lifecycle.publicity): counted in
    public as a number, listed only once released."""
    where, args = _where(Filters(round_id=round_id, publicity="pending"), False)
    return int(await fetch_value(f"SELECT COUNT(*) FROM proposal p JOIN collection_round r ON r.id = p.round{where}",
                                 *args) or 0)


async def public_townships() -> list[str]:
    """The townships with a proposal on the public list (the list's filter)."""
    where, args = _where(Filters(), True)
    rows = await fetch(f"SELECT DISTINCT p.township FROM proposal p JOIN collection_round r ON r.id = p.round"
                       f"{where} ORDER BY p.township", *args)
    return [r["township"] for r in rows]
