"""Console check-ins and new login codes while a poll is open: requests a second staff member approves.

No one votes for an absent deputy. While any poll of the session is open, a staff member
checking a deputy in from the console, or giving a deputy a new login code, only asks for
it: the request waits on the deputies page until a second, different staff account approves
it (the one who asked cannot approve their own), and only then it takes effect, in the same
transaction as the approval. The hall sees it on the big screen (代表 X 由工作人员补签到 /
代表 X 重置登录码, voting.screen) and the audit log has the request, the approval and the
change. When no poll is open, the console does either at once, audited as before.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from voting import accounts, audit, sitting_rules, sittings
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, Forbidden, NotFound
from voting.tables import CheckIn, Deputy, Poll, StaffApproval

KIND_LABELS = {"check_in": "补签到", "login_code": "重置登录码"}
SCREEN_TEXT = {"check_in": "代表 {name} 由工作人员补签到", "login_code": "代表 {name} 重置登录码"}


def staff_key(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id}"


async def polls_open(session_id: int) -> int:
    return await Poll.count().where((Poll.session == session_id) & (Poll.status == "open"))


async def _deputy_of(session_id: int, deputy_id: int) -> dict[str, Any]:
    session = await sittings.session_context(session_id)
    deputy = await Deputy.select(Deputy.id, Deputy.name, Deputy.number, Deputy.term, Deputy.active).where(
        Deputy.id == deputy_id).first()
    if deputy is None or deputy["term"] != session["term_id"]:
        raise NotFound("这位代表不属于本届人大。")
    return deputy


async def console_check_in(session_id: int, deputy_id: int, actor: Actor) -> str:
    """A check-in from the console: done at once (`"checked_in"`, or `"already"`) when no poll is
    open, else a request waiting for a second staff member (`"requested"`)."""
    async with write_transaction():
        if not sitting_rules.needs_second_staff(await polls_open(session_id)):
            changed = await sittings.record_check_in(session_id, deputy_id, actor)
            return "checked_in" if changed else "already"
        deputy = await _deputy_of(session_id, deputy_id)
        if not deputy["active"]:
            raise Conflict("这位代表的资格已停止，不能签到。")
        sitting = await sittings.open_sitting_of(session_id)
        refusal = sitting_rules.check_in_refusal(sitting["status"] if sitting else None)
        if refusal:
            raise Conflict(refusal, code="no_open_sitting")
        if await CheckIn.exists().where((CheckIn.sitting == sitting["id"]) & (CheckIn.deputy == deputy_id)):
            return "already"
        await _request(session_id, deputy, "check_in", actor, "")
    return "requested"


async def console_reissue(session_id: int, deputy_id: int, actor: Actor,
                          reason: str) -> tuple[str, tuple[str, str] | None]:
    """A new login code from the console: `("issued", (code, link))` when no poll is open, else
    `("requested", None)`, a request waiting for a second staff member."""
    async with write_transaction():
        deputy = await _deputy_of(session_id, deputy_id)
        if not sitting_rules.needs_second_staff(await polls_open(session_id)):
            codes = await accounts.issue_login_codes([deputy_id], actor, reason or "重新发放")
            return "issued", codes[deputy_id]
        await _request(session_id, deputy, "login_code", actor, reason)
    return "requested", None


async def _request(session_id: int, deputy: dict[str, Any], kind: str, actor: Actor, reason: str) -> None:
    if await StaffApproval.exists().where((StaffApproval.session == session_id) & (StaffApproval.deputy == deputy["id"])
                                          & (StaffApproval.kind == kind) & (StaffApproval.status == "pending")):
        raise Conflict(f"{deputy['name']}代表的{KIND_LABELS[kind]}申请已在等待批准。", code="already_requested")
    await StaffApproval.insert(StaffApproval(session=session_id, deputy=deputy["id"], kind=kind, reason=reason.strip(),
                                             requested_by_key=staff_key(actor), requested_by=actor.label))
    await audit.record(actor, "staff_request_made", subject=f"代表 {deputy['number']} {deputy['name']}",
                       detail={"session": session_id, "kind": KIND_LABELS[kind]}, reason=reason.strip())


async def pending(session_id: int) -> list[dict[str, Any]]:
    rows = await StaffApproval.select(
        StaffApproval.all_columns(), StaffApproval.deputy.name.as_alias("deputy_name"),
        StaffApproval.deputy.number.as_alias("deputy_number"),
    ).where((StaffApproval.session == session_id) & (StaffApproval.status == "pending")).order_by(StaffApproval.id)
    return [{**row, "kind_label": KIND_LABELS.get(row["kind"], row["kind"])} for row in rows]


async def request_row(request_id: int) -> dict[str, Any]:
    row = await StaffApproval.select(
        StaffApproval.all_columns(), StaffApproval.deputy.name.as_alias("deputy_name"),
        StaffApproval.deputy.number.as_alias("deputy_number"),
    ).where(StaffApproval.id == request_id).first()
    if row is None:
        raise NotFound("没有这项申请。")
    return row


async def approve(request_id: int, actor: Actor) -> dict[str, Any]:
    """A second staff member approves: the check-in or the new code takes effect now. Returns the
    request, with `code` (code, link) for a new login code, shown once to the approver."""
    async with write_transaction():
        row = await request_row(request_id)
        if actor.kind != "staff":
            raise Forbidden("只有工作人员可以批准。")
        refusal = sitting_rules.approval_refusal(row["requested_by_key"], staff_key(actor), row["status"])
        if refusal:
            raise Conflict(refusal, code="approval_refused")
        changed = await StaffApproval.update({StaffApproval.status: "approved", StaffApproval.decided_by: actor.label,
                                              StaffApproval.decided_at: datetime.now(timezone.utc)}).where(
            (StaffApproval.id == request_id) & (StaffApproval.status == "pending")).returning(StaffApproval.id)
        if not changed:
            raise Conflict("这项申请已经处理过了。", code="approval_refused")
        who = f"{row['requested_by']} 申请，{actor.label} 批准"
        code = None
        if row["kind"] == "check_in":
            await sittings.record_check_in(row["session"], row["deputy"], actor, how=f"工作人员补签到（{who}）")
        else:
            codes = await accounts.issue_login_codes([row["deputy"]], actor, f"投票期间重置登录码（{who}）"
                                                     + (f"：{row['reason']}" if row["reason"] else ""))
            code = codes[row["deputy"]]
        await audit.record(actor, "staff_request_approved", subject=f"代表 {row['deputy_number']} {row['deputy_name']}",
                           detail={"session": row["session"], "kind": KIND_LABELS[row["kind"]],
                                   "requested_by": row["requested_by"]})
    return {**row, "code": code}


async def withdraw(request_id: int, actor: Actor, reason: str = "") -> dict[str, Any]:
    """Drop a pending request (the one who asked, or anyone else), audited; nothing else changes."""
    async with write_transaction():
        row = await request_row(request_id)
        changed = await StaffApproval.update({StaffApproval.status: "withdrawn", StaffApproval.decided_by: actor.label,
                                              StaffApproval.decided_at: datetime.now(timezone.utc)}).where(
            (StaffApproval.id == request_id) & (StaffApproval.status == "pending")).returning(StaffApproval.id)
        if not changed:
            raise Conflict("这项申请已经处理过了。", code="approval_refused")
        await audit.record(actor, "staff_request_withdrawn", subject=f"代表 {row['deputy_number']} {row['deputy_name']}",
                           detail={"session": row["session"], "kind": KIND_LABELS[row["kind"]],
                                   "requested_by": row["requested_by"]}, reason=reason.strip())
    return row


async def announcements(session_id: int, since: datetime | None) -> list[str]:
    """What the big screen announces: the approved requests of the session since `since` (the
    live poll's opening), oldest first."""
    if since is None:
        return []
    rows = await StaffApproval.select(StaffApproval.kind, StaffApproval.deputy.name.as_alias("name")).where(
        (StaffApproval.session == session_id) & (StaffApproval.status == "approved")
        & (StaffApproval.decided_at >= since)).order_by(StaffApproval.decided_at).order_by(StaffApproval.id)
    return [SCREEN_TEXT[row["kind"]].format(name=row["name"]) for row in rows]
