"""The congress, its terms and sessions, its deputies, and who is in the hall."""

from __future__ import annotations

import time
from functools import partial
from dataclasses import dataclass
from datetime import date, datetime, timezone
from fractions import Fraction
from typing import Any

from voting import audit, sitting_rules
from voting.audit import Actor
from voting.coalesce import Coalesced
from voting.database import fetch, write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.group_commit import writer
from voting.roster import normalise_number
from voting.rules import DEFAULT_QUORUM, quorum_needed
from voting.tables import CheckIn, Congress, Deputy, Delegation, Poll, Session, Sitting, Term


async def create_congress(name: str, level: str, place: str, actor: Actor) -> int:
    name = name.strip()
    if not name:
        raise Refused("请填写人大名称。")
    if level not in ("county", "township"):
        raise Refused("级别只能是县级或乡镇级。")
    async with write_transaction():
        rows = await Congress.insert(Congress(name=name, level=level, place=place.strip()))
        await audit.record(actor, "congress_created", subject=name)
    return rows[0]["id"]


async def create_term(congress_id: int, number: int, actor: Actor) -> int:
    if number < 1:
        raise Refused("届次必须是正整数。")
    async with write_transaction():
        congress = await Congress.select(Congress.name, Congress.rehearsal).where(Congress.id == congress_id).first()
        if congress is None or congress["rehearsal"]:
            raise NotFound("没有这个人大。")
        if await Term.exists().where((Term.congress == congress_id) & (Term.number == number)):
            raise Conflict(f"第{chinese_number(number)}届已经存在。")
        name = f"第{chinese_number(number)}届"
        rows = await Term.insert(Term(congress=congress_id, number=number, name=name))
        await audit.record(actor, "term_created", subject=f"{congress['name']}{name}")
    return rows[0]["id"]


async def create_session(term_id: int, number: int, starts_on: date | None, ends_on: date | None,
                         actor: Actor) -> int:
    if number < 1:
        raise Refused("会次必须是正整数。")
    if starts_on and ends_on and ends_on < starts_on:
        raise Refused("闭幕日期不能早于开幕日期。")
    async with write_transaction():
        term = await Term.select(Term.name, Term.congress.name, Term.congress.rehearsal).where(
            Term.id == term_id).first()
        if term is None or term["congress.rehearsal"]:
            raise NotFound("没有这个届次。")
        if await Session.exists().where((Session.term == term_id) & (Session.number == number)):
            raise Conflict(f"第{chinese_number(number)}次会议已经存在。")
        congress = term["congress.name"]
        short = congress.removesuffix("人民代表大会")
        name = f"{short}{term['name']}人民代表大会第{chinese_number(number)}次会议"
        rows = await Session.insert(Session(term=term_id, number=number, name=name,
                                            starts_on=starts_on, ends_on=ends_on))
        await audit.record(actor, "session_created", subject=name)
    return rows[0]["id"]


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals as used for terms and sessions (第十九届, 第三次)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


# --- attendance ----------------------------------------------------------------------

@dataclass(frozen=True)
class Attendance:
    entitled: int
    present: int
    quorum_fraction: Fraction
    by_delegation: list[dict[str, Any]]
    sitting: dict[str, Any] | None = None  # the sitting counted (None: no sitting has been opened)

    @property
    def quorum_needed(self) -> int:
        """The least number present for the quorum to stand (以上: includes the figure)."""
        return quorum_needed(self.entitled, self.quorum_fraction)

    @property
    def quorum_met(self) -> bool:
        return self.present >= self.quorum_needed

    @property
    def percent(self) -> int:
        return round(100 * self.present / self.entitled) if self.entitled else 0


async def session_context(session_id: int) -> dict[str, Any]:
    row = await Session.select(
        Session.all_columns(), Session.term.name.as_alias("term_name"), Session.term.id.as_alias("term_id"),
        Session.term.congress.name.as_alias("congress_name"),
    ).where(Session.id == session_id).first()
    if row is None:
        raise NotFound("没有这次会议。")
    return row


# --- sittings (全体会议) ----------------------------------------------------------------

def sitting_name(number: int) -> str:
    return f"第{chinese_number(number)}次全体会议"


async def sittings_of(session_id: int) -> list[dict[str, Any]]:
    rows = await Sitting.select().where(Sitting.session == session_id).order_by(Sitting.number)
    return [{**row, "name": sitting_name(row["number"]),
             "status_label": sitting_rules.SITTING_STATUS_LABELS.get(row["status"], row["status"])} for row in rows]


async def sitting_row(sitting_id: int) -> dict[str, Any]:
    row = await Sitting.select().where(Sitting.id == sitting_id).first()
    if row is None:
        raise NotFound("没有这次全体会议。")
    return row


async def open_sitting_of(session_id: int) -> dict[str, Any] | None:
    """The sitting of the session now open, if any (at most one is)."""
    return await Sitting.select().where((Sitting.session == session_id) & (Sitting.status == "open")).first()


async def current_sitting(session_id: int) -> dict[str, Any] | None:
    """The sitting whose attendance the session shows: the open one, else the latest opened."""
    row = await open_sitting_of(session_id)
    if row is None:
        row = await Sitting.select().where((Sitting.session == session_id) & (Sitting.status == "closed")).order_by(
            Sitting.opened_at, ascending=False).order_by(Sitting.id, ascending=False).first()
    return {**row, "name": sitting_name(row["number"])} if row else None


async def create_sitting(session_id: int, held_on: date | None, starts_at: str, ends_at: str, actor: Actor) -> int:
    """Plan a sitting of the session on a date within the session's dates, in a time window."""
    starts_at, ends_at = (starts_at or "").strip(), (ends_at or "").strip()
    async with write_transaction():
        session = await session_context(session_id)
        found = sitting_rules.sitting_problems(held_on, starts_at, ends_at, session["starts_on"], session["ends_on"])
        if found:
            raise Refused("；".join(found), code="invalid_sitting")
        number = await Sitting.count().where(Sitting.session == session_id) + 1
        rows = await Sitting.insert(Sitting(session=session_id, number=number, held_on=held_on, starts_at=starts_at,
                                            ends_at=ends_at, status="planned"))
        await audit.record(actor, "sitting_created", subject=f"{session['name']}{sitting_name(number)}",
                           detail={"date": held_on.isoformat() if held_on else "", "time": f"{starts_at}–{ends_at}"})
    return rows[0]["id"]


async def move_sitting(sitting_id: int, to: str, actor: Actor, reason: str = "") -> None:
    """Open (`to="open"`) or close (`to="closed"`) a sitting, with who, when and why in the audit log."""
    async with write_transaction():
        sitting = await Sitting.select().where(Sitting.id == sitting_id).first()
        if sitting is None:
            raise NotFound("没有这次全体会议。")
        session = await session_context(sitting["session"])
        other_open = await Sitting.exists().where((Sitting.session == sitting["session"]) & (Sitting.status == "open")
                                                  & (Sitting.id != sitting_id))
        polls_open = await Poll.count().where((Poll.session == sitting["session"]) & (Poll.status == "open"))
        refusal = sitting_rules.move_refusal(sitting["status"], to, other_open=other_open, polls_open=polls_open)
        if refusal:
            raise Conflict(refusal, code="sitting_state")
        stamp = Sitting.opened_at if to == "open" else Sitting.closed_at
        changed = await Sitting.update({Sitting.status: to, stamp: datetime.now(timezone.utc)}).where(
            (Sitting.id == sitting_id) & (Sitting.status == sitting["status"])).returning(Sitting.id)
        if not changed:
            raise Conflict("全体会议的状态刚刚被别人改变了，请刷新后再试。", code="sitting_state")
        await audit.record(actor, "sitting_opened" if to == "open" else "sitting_closed",
                           subject=f"{session['name']}{sitting_name(sitting['number'])}",
                           detail={"session": sitting["session"], "sitting": sitting_id}, reason=reason.strip())
    _recent_attendance.clear()


_recent_attendance: dict[tuple[int, int], tuple[float, Attendance]] = {}


async def attendance(session_id: int, quorum_fraction: Fraction = DEFAULT_QUORUM, max_age: float = 0.0,
                     sitting_id: int | None = None) -> Attendance:
    """Entitled and present, overall and per delegation, at a sitting: `sitting_id`, else the
    session's current one (the open sitting, else the latest held).

    `max_age` lets a figure up to that many seconds old be reused: every tablet in a
    full hall refreshes its home page every few seconds, and the count need not be
    recomputed thousands of times a second for that.
    """
    key = (session_id, sitting_id or 0)
    if max_age > 0:
        cached = _recent_attendance.get(key)
        if cached is not None and time.monotonic() - cached[0] <= max_age \
                and cached[1].quorum_fraction == quorum_fraction:
            return cached[1]
    figures = await _count_attendance(session_id, quorum_fraction, sitting_id)
    _recent_attendance[key] = (time.monotonic(), figures)
    return figures


async def _count_attendance(session_id: int, quorum_fraction: Fraction, sitting_id: int | None) -> Attendance:
    session = await session_context(session_id)
    if sitting_id:
        sitting = await Sitting.select().where(Sitting.id == sitting_id).first()
        sitting = {**sitting, "name": sitting_name(sitting["number"])} if sitting else None
    else:
        sitting = await current_sitting(session_id)
    rows = await fetch(
        """SELECT d.name AS delegation, d.position AS position, COUNT(p.id) AS entitled, COUNT(c.id) AS present
           FROM delegation d
           JOIN deputy p ON p.delegation = d.id AND p.active = {}
           LEFT JOIN check_in c ON c.deputy = p.id AND c.sitting = {}
           WHERE d.term = {}
           GROUP BY d.id, d.name, d.position ORDER BY d.position, d.id""",
        True, sitting["id"] if sitting else 0, session["term_id"],
    )
    entitled = sum(r["entitled"] for r in rows)
    present = sum(r["present"] for r in rows)
    return Attendance(entitled, present, quorum_fraction, rows, sitting)


async def deputies_with_presence(session_id: int, delegation_id: int | None = None,
                                 search: str = "") -> list[dict[str, Any]]:
    """The term's deputies, with whether they checked in to the session's current sitting."""
    session = await session_context(session_id)
    sitting = await current_sitting(session_id)
    sql = """SELECT p.id, p.number, p.name, p.gender, p.affiliation, p.active, d.name AS delegation,
                    c.at AS checked_in_at, c.by AS checked_in_by
             FROM deputy p JOIN delegation d ON d.id = p.delegation
             LEFT JOIN check_in c ON c.deputy = p.id AND c.sitting = {}
             WHERE p.term = {}"""
    args: list[Any] = [sitting["id"] if sitting else 0, session["term_id"]]
    if delegation_id:
        sql += " AND p.delegation = {}"
        args.append(delegation_id)
    if search:  # numbers are stored normalised (upper case), so a typed d001 finds D001
        sql += " AND (p.name LIKE {} OR p.number LIKE {})"
        args += [f"%{search}%", f"%{normalise_number(search)}%"]
    sql += " ORDER BY d.position, p.number"
    return await fetch(sql, *args)


async def check_in(session_id: int, deputy_id: int, actor: Actor) -> bool:
    """Mark a deputy present at the session's open sitting. Returns False if they already
    were (nothing changes); refused when no sitting is open.

    Check-ins that arrive together (a hall's tablets when the chair opens the sitting) share
    one commit (voting.group_commit); each is answered once it is durable."""
    return await writer.run(partial(record_check_in, session_id, deputy_id, actor))


async def record_check_in(session_id: int, deputy_id: int, actor: Actor, *, how: str = "") -> bool:
    """`check_in` itself, in the caller's transaction if there is one (voting.approvals)."""
    async with write_transaction():
        session = await session_context(session_id)
        deputy = await Deputy.select(Deputy.name, Deputy.number, Deputy.term, Deputy.active).where(
            Deputy.id == deputy_id).first()
        if deputy is None or deputy["term"] != session["term_id"]:
            raise NotFound("这位代表不属于本届人大。")
        if not deputy["active"]:
            raise Refused("这位代表的资格已停止，不能签到。")
        sitting = await open_sitting_of(session_id)
        refusal = sitting_rules.check_in_refusal(sitting["status"] if sitting else None)
        if refusal:
            raise Conflict(refusal, code="no_open_sitting")
        if await CheckIn.exists().where((CheckIn.sitting == sitting["id"]) & (CheckIn.deputy == deputy_id)):
            return False
        by = "self" if actor.kind == "deputy" else actor.label
        await CheckIn.insert(CheckIn(session=session_id, sitting=sitting["id"], deputy=deputy_id, by=by))
        how = how or ("本人签到" if actor.kind == "deputy" else "秘书处代为签到")
        await audit.record(actor, "check_in", subject=f"代表 {deputy['number']} {deputy['name']}",
                           detail={"session": session_id, "sitting": sitting_name(sitting["number"]), "how": how})
    return True


async def undo_check_in(session_id: int, deputy_id: int, actor: Actor, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise Refused("撤销签到需要填写原因。")
    async with write_transaction():
        if await Poll.exists().where((Poll.session == session_id) & (Poll.status == "open")):
            raise Conflict("投票进行中，不能撤销签到。请在本轮投票结束后再处理。")
        deputy = await Deputy.select(Deputy.name, Deputy.number).where(Deputy.id == deputy_id).first()
        sitting = await current_sitting(session_id)
        deleted = await CheckIn.delete().where(
            (CheckIn.sitting == (sitting["id"] if sitting else 0)) & (CheckIn.deputy == deputy_id)).returning(CheckIn.id)
        if not deleted:
            raise Refused("这位代表尚未签到。")
        await audit.record(actor, "check_in_undone", subject=f"代表 {deputy['number']} {deputy['name']}",
                           detail={"session": session_id, "sitting": sitting_name(sitting["number"])}, reason=reason)


async def is_checked_in(session_id: int, deputy_id: int) -> bool:
    """Whether the deputy checked in to the session's open sitting (False when none is open)."""
    return bool(await fetch(
        "SELECT 1 AS yes FROM check_in c JOIN plenary_sitting s ON s.id = c.sitting "
        "WHERE s.session = {} AND s.status = {} AND c.deputy = {}", session_id, "open", deputy_id))


async def _latest_sessions(term_ids: list[int]) -> dict[int, dict[str, Any]]:
    latest: dict[int, dict[str, Any]] = {}
    for row in await Session.select().where(Session.term.is_in(term_ids)):
        if row["term"] not in latest or row["number"] > latest[row["term"]]["number"]:
            latest[row["term"]] = row
    return latest


_latest_session_reader: Coalesced[int, dict[str, Any]] = Coalesced(_latest_sessions)


async def current_session_for_term(term_id: int) -> dict[str, Any] | None:
    """The session a deputy's tablet shows: the latest one of their term. Every tablet page
    asks it, so tablets asking together share one query (voting.coalesce)."""
    return await _latest_session_reader.get(term_id)


# The lists below are of real congresses only: a 会前演练 congress (Congress.rehearsal,
# voting.rehearsal_data) is never offered where real work is chosen or listed.

async def sessions_overview() -> list[dict[str, Any]]:
    return await Session.select(
        Session.all_columns(), Session.term.name.as_alias("term_name"),
        Session.term.congress.name.as_alias("congress_name"), Session.term.id.as_alias("term_id"),
    ).where(Session.term.congress.rehearsal == False).order_by(Session.id, ascending=False)  # noqa: E712


async def terms_overview() -> list[dict[str, Any]]:
    return await Term.select(Term.all_columns(), Term.congress.name.as_alias("congress_name")).where(
        Term.congress.rehearsal == False).order_by(Term.id)  # noqa: E712


async def congresses() -> list[dict[str, Any]]:
    return await Congress.select().where(Congress.rehearsal == False).order_by(Congress.id)  # noqa: E712


async def is_rehearsal_session(session_id: int) -> bool:
    """Whether the session belongs to a 会前演练 congress (False for an unknown session)."""
    row = await Session.select(Session.term.congress.rehearsal.as_alias("rehearsal")).where(
        Session.id == session_id).first()
    return bool(row and row["rehearsal"])


async def is_rehearsal_term(term_id: int) -> bool:
    row = await Term.select(Term.congress.rehearsal.as_alias("rehearsal")).where(Term.id == term_id).first()
    return bool(row and row["rehearsal"])


async def delegations_of(term_id: int) -> list[dict[str, Any]]:
    return await Delegation.select().where(Delegation.term == term_id).order_by(Delegation.position)
