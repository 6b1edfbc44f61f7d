"""Paper ballots: printed serials, issuing paper to a deputy, exchanging a spoiled sheet,
and entering returned ballots twice.

- Printing a run registers each serial in `PaperSerial` with its audit entry, so an
  entry can tell a genuine serial from a forged one. Numbers continue across runs. The
  sheets come off the printer in a shuffled order (`secrets.SystemRandom`), and that order
  is stored nowhere: the register holds serials in number order, so the order in which
  sheets were handed out says nothing about which serial went to whom.
- Issuing paper puts the deputy in the register (`poll_voter`) with medium `paper`: one
  ballot per deputy, paper or tablet, never both. Which serial went to whom is not
  recorded, on purpose: a paper ballot's marks are entered by serial, and nothing may
  lead from them back to a deputy.
- A spoiled sheet is exchanged: its serial is voided (with the reason) and the deputy
  takes a fresh one; they still hold one ballot.
- After the vote stops (status `counting`) two different counters (deputies holding the
  session's counter role, never secretariat accounts) enter each returned sheet by
  serial, as the sheet shows it; when their entries agree the ballot goes into the box
  (a `Ballot` with a fresh random id that does not name the serial), when they differ a
  scrutineer rules. A sheet with more approvals than allowed goes in as it reads and
  counts as an invalid ballot (rule 2 of the spec).
- Anti-stuffing: a serial never printed, voided, handed back blank, already counted or
  with a bad check digit is refused with a message saying which, and so is one sheet
  more than were issued on paper. Blank sheets handed back are registered by serial
  (`unused`); an issued sheet that never came back is declared with a reason; the count
  waits until every issued sheet is entered or declared (`reconciliation`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping

from voting.serials import MAX_NUMBER, SerialError, make_serial, parse_serial
from voting import audit, ballot_box, box_stamps, key_ceremony, rules, secrecy
from voting.audit import Actor
from voting.database import fetch, is_sqlite, write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused
from voting.tables import Ballot, Deputy, PaperEntry, PaperNotReturned, PaperSerial, ScrutinyMember

MAX_RUN = 2000


async def register_print_run(poll_id: int, count: int, actor: Actor) -> list[str]:
    """Register `count` new serials for the poll as printed (in number order); returns them
    in the shuffled order they are to be printed in."""
    if not isinstance(count, int) or count < 1 or count > MAX_RUN:
        raise Refused(f"一次打印的选票张数应在 1 到 {MAX_RUN} 之间。", code="bad_count")
    async with write_transaction():
        lock = "" if is_sqlite() else " FOR UPDATE"  # a run waits for a closing poll, and vice versa
        rows = await fetch("SELECT id, ref, title, status FROM poll WHERE id = {}" + lock, poll_id)
        if not rows:
            raise Refused("没有这次票决，不能打印选票。", code="not_found")
        poll = rows[0]
        if poll["status"] == "closed":
            raise Refused("这次票决已经结束计票，不能再打印选票。", code="closed")
        printed = await PaperSerial.select(PaperSerial.serial, PaperSerial.run).where(PaperSerial.poll == poll_id)
        last_number = max((parse_serial(r["serial"])[1] for r in printed), default=0)
        run = max((r["run"] for r in printed), default=0) + 1
        if last_number + count > MAX_NUMBER:
            raise Refused(f"这次票决的选票编号已用到 {last_number}，不能再打印 {count} 张。", code="bad_count")
        serials = [make_serial(poll_id, n) for n in range(last_number + 1, last_number + count + 1)]
        await PaperSerial.insert(*(PaperSerial(poll=poll_id, serial=s, run=run) for s in serials))
        await audit.record(actor, "ballots_printed", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"run": run, "count": count, "first": serials[0], "last": serials[-1]})
    return secrecy.shuffled(serials)  # the order of the printed stack, kept nowhere


async def is_printed(poll_id: int, serial: str) -> bool:
    """Whether this serial (bare or as scanned from the QR code) was printed for this poll."""
    try:
        serial_poll, number = parse_serial(serial)
    except SerialError:
        return False
    if serial_poll != poll_id:
        return False
    return await PaperSerial.exists().where(
        (PaperSerial.poll == poll_id) & (PaperSerial.serial == make_serial(poll_id, number)))


# --- issuing and exchanging ---------------------------------------------------------


async def _poll_row(poll_id: int, *, lock: bool = False) -> dict[str, Any]:
    rows = await fetch("SELECT id, ref, title, status, session, sitting, method FROM poll WHERE id = {}"
                       + ("" if is_sqlite() or not lock else " FOR UPDATE"), poll_id)
    if not rows:
        raise NotFound("没有这次票决。")
    return rows[0]


async def issue_paper(poll_id: int, deputy_id: int, actor: Actor) -> None:
    """Hand a present deputy a paper ballot: the register says paper, so their tablet can no
    longer vote. A deputy whose tablet showed the ballot but did not cast may switch to paper."""
    async with write_transaction():
        poll = await _poll_row(poll_id, lock=True)
        if poll["status"] != "open":
            raise Conflict("只有正在投票时才能发放纸质选票。", code="not_open")
        deputy = await Deputy.select(Deputy.name, Deputy.number).where(Deputy.id == deputy_id).first()
        if deputy is None:
            raise NotFound("没有这位代表。")
        present = await fetch("SELECT 1 AS yes FROM check_in WHERE sitting = {} AND deputy = {}",
                              poll["sitting"] or 0, deputy_id)
        if not present:
            raise Conflict(f"{deputy['name']}代表尚未签到，请先签到再发放选票。", code="not_present")
        key = ballot_box.register_key(poll_id, deputy_id)
        row = await fetch("SELECT voted, medium FROM poll_voter WHERE key = {}", key)
        if row and row[0]["voted"]:
            raise Conflict(f"{deputy['name']}代表已在平板上投票，不能再领取纸质选票。", code="already_voted")
        if row and row[0]["medium"] == "paper":
            raise Conflict(f"{deputy['name']}代表已领取纸质选票。选票写错需要更换时，请用“换票”作废原选票编号。",
                           code="already_issued")
        await fetch("""INSERT INTO poll_voter (key, poll, deputy, voted, medium, stamp) VALUES ({}, {}, {}, {}, {}, {})
                       ON CONFLICT (key) DO UPDATE SET medium = excluded.medium, stamp = excluded.stamp
                       WHERE poll_voter.voted = {}""",
                    key, poll_id, deputy_id, False, "paper", box_stamps.register_stamp(poll_id, deputy_id, False, "paper"),
                    False)
        await audit.record(actor, "paper_ballot_issued", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"deputy": deputy["number"], "switched_from_tablet": bool(row)})


def _serial_of(poll_id: int, text: str) -> str:
    try:
        serial_poll, number = parse_serial(text)
    except SerialError as error:
        raise Refused(str(error), code="bad_serial") from None
    if serial_poll != poll_id:
        raise Refused(f"选票编号“{make_serial(serial_poll, number)}”不是这次票决的选票。", code="other_poll")
    return make_serial(poll_id, number)


async def _printed(poll_id: int, serial: str) -> dict[str, Any]:
    row = await PaperSerial.select().where((PaperSerial.poll == poll_id) & (PaperSerial.serial == serial)).first()
    if row is None:
        raise Refused(f"选票编号“{serial}”没有印制过，可能是伪造的选票，请交监票人处理。", code="not_printed")
    return row


async def void_serial(poll_id: int, serial_text: str, reason: str, actor: Actor) -> str:
    """Exchange a spoiled sheet: its serial is voided on record, the deputy takes a fresh one."""
    reason = reason.strip()
    if not reason:
        raise Refused("换票须写明原因，例如“代表填写错误，申请更换”。", code="reason_required")
    async with write_transaction():
        poll = await _poll_row(poll_id, lock=True)
        if poll["status"] != "open":
            raise Conflict("只有正在投票时才能换票。", code="not_open")
        serial = _serial_of(poll_id, serial_text)
        row = await _printed(poll_id, serial)
        if row["status"] != "printed":
            raise Conflict(f"选票编号“{serial}”已经{SERIAL_STATUS[row['status']]}，不能再作废。", code="not_printable")
        if await PaperEntry.exists().where((PaperEntry.poll == poll_id) & (PaperEntry.serial == serial)):
            raise Conflict(f"选票编号“{serial}”已经录入，不能作废。", code="entered")
        await PaperSerial.update({PaperSerial.status: "voided", PaperSerial.void_reason: reason}).where(
            PaperSerial.id == row["id"])
        await audit.record(actor, "paper_ballot_voided", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"serial": serial}, reason=reason)
    return serial


SERIAL_STATUS = {"printed": "印制", "counted": "录入计票", "voided": "作废", "unused": "作为空白选票交回"}


# --- entering returned ballots twice ------------------------------------------------


class Entry(str, Enum):
    first = "first"  # waiting for a second counter
    counted = "counted"  # two entries agreed: the ballot is in the box
    disputed = "disputed"  # two entries differ: a scrutineer rules


ENTRY_MESSAGES = {
    Entry.first: "已录入。请另一位计票人再录入一次这张选票进行核对。",
    Entry.counted: "两次录入一致，选票已计入。",
    Entry.disputed: "两次录入不一致，这张选票等待监票人裁定。",
}


@dataclass(frozen=True)
class Counter:
    """Who enters or rules: a deputy of the session's scrutiny team, and the label for the record."""

    deputy: int
    label: str

    @property
    def key(self) -> str:
        return f"deputy:{self.deputy}"


def _content(marks: Mapping[str, str], void: bool) -> tuple[str, bool]:
    return ("{}" if void else json.dumps(dict(marks), sort_keys=True, ensure_ascii=False)), void


async def sheet_marks(poll_id: int, marks: Mapping[str, str], void: bool) -> tuple[str, bool]:
    """The marks as the sheet shows them, ready for the box. A form naming a candidate not on
    the ballot or a value the method lacks is refused; more approvals than allowed is not: the
    sheet says so, and the count treats it as an invalid ballot."""
    if void:
        return _content({}, True)
    ballot = await ballot_box.ballot_for(poll_id)
    cleaned = {ref: value for ref, value in marks.items() if value}
    found = rules.mark_problems(ballot.poll["method"], [c["ref"] for c in ballot.candidates], cleaned)
    if found:
        raise Refused("；".join(found), code="invalid_marks")
    return _content(cleaned, False)


async def sheet_note(poll_id: int, marks: Mapping[str, str], void: bool) -> str:
    """What the count will make of an entered sheet, when it is an invalid ballot."""
    if void:
        return "整张选票作废，计为无效票。"
    ballot = await ballot_box.ballot_for(poll_id)
    over = rules.approvals_over_cap(ballot.poll["method"], ballot.cap, {r: v for r, v in marks.items() if v})
    return f"这张选票划了 {over} 个赞成，超过 {ballot.cap} 个，计为无效票。" if over is not None else ""


def shown_serial(text: str) -> str:
    """A typed or scanned serial as printed (0001-00001-7); empty if the text is no serial."""
    try:
        return make_serial(*parse_serial(text))
    except (SerialError, ValueError):
        return ""


async def _put_in_box(poll_id: int, serial_row: dict[str, Any], marks_json: str, void: bool) -> None:
    await Ballot.insert(Ballot(id=ballot_box.new_ballot_id(), poll=poll_id, marks=marks_json, void=void))
    await PaperSerial.update({PaperSerial.status: "counted"}).where(PaperSerial.id == serial_row["id"])


async def _holds_role(session_id: int, deputy_id: int, roles_held: tuple[str, ...]) -> bool:
    return await ScrutinyMember.exists().where(
        (ScrutinyMember.session == session_id) & (ScrutinyMember.deputy == deputy_id)
        & ScrutinyMember.role.is_in(list(roles_held)))


async def enter(poll_id: int, serial_text: str, marks: Mapping[str, str], void: bool, counter: Counter) -> Entry:
    """One counter's entry of a returned paper ballot (typed or scanned serial, its marks or void)."""
    marks_json, void = await sheet_marks(poll_id, marks, void)
    async with write_transaction():
        poll = await _poll_row(poll_id, lock=True)
        if poll["status"] != "counting":
            raise Conflict("结束投票后才能录入纸质选票。" if poll["status"] == "open" else "这次票决现在不能录入纸质选票。",
                           code="not_counting")
        if not await _holds_role(poll["session"], counter.deputy, ("counter",)):
            raise Forbidden("只有本次会议的计票人才能录入纸质选票。")
        serial = _serial_of(poll_id, serial_text)
        row = await _printed(poll_id, serial)
        if row["status"] == "voided":
            raise Conflict(f"选票编号“{serial}”已作废（{row['void_reason']}），不能计入。", code="voided")
        if row["status"] == "unused":
            raise Conflict(f"选票编号“{serial}”已作为空白选票交回，不能计入，请交监票人处理。", code="unused")
        if row["status"] == "counted":
            raise Conflict(f"选票编号“{serial}”已经录入计票，不能重复录入。", code="counted")
        entries = await PaperEntry.select().where((PaperEntry.poll == poll_id) & (PaperEntry.serial == serial)
                                                  & (PaperEntry.kind == "entry")).order_by(PaperEntry.id)
        if any(e["by_key"] == counter.key for e in entries):
            raise Conflict(f"您已录入过选票“{serial}”，须由另一位计票人再录入一次。", code="same_counter")
        if len(entries) >= 2:
            raise Conflict(f"选票“{serial}”的两次录入不一致，正在等待监票人裁定。", code="disputed")
        if not entries:
            figures = await _figures(poll_id)
            if figures.paper_returned + figures.entering + figures.not_returned >= figures.paper_issued:
                raise Conflict(f"选票“{serial}”多出来了：纸质选票发出 {figures.paper_issued} 张，已录入 "
                               f"{figures.paper_returned + figures.entering} 张，登记未交回 {figures.not_returned} 张，"
                               "收回的不能多于发出的。请把这张选票交监票人处理。", code="more_than_issued")
        await PaperEntry.insert(PaperEntry(poll=poll_id, serial=serial, kind="entry", by_key=counter.key,
                                           by_label=counter.label, marks=marks_json, void=void))
        if not entries:
            return Entry.first
        first = entries[0]
        if (first["marks"], bool(first["void"])) == (marks_json, void):
            await _put_in_box(poll_id, row, marks_json, void)
            return Entry.counted
        await audit.record(Actor("system", None, "系统"), "paper_entry_disputed",
                           subject=f"{poll['title']}（{poll['ref']}）", detail={"serial": serial})
        return Entry.disputed


async def is_scrutineer(session_id: int, deputy_id: int) -> bool:
    return await _holds_role(session_id, deputy_id, ("chief", "scrutineer"))


async def rule(poll_id: int, serial_text: str, marks: Mapping[str, str], void: bool, counter: Counter,
               reason: str = "") -> None:
    """A scrutineer's ruling on a ballot whose two entries differ: what it says goes into the box."""
    marks_json, void = await sheet_marks(poll_id, marks, void)
    async with write_transaction():
        poll = await _poll_row(poll_id, lock=True)
        if poll["status"] != "counting":
            raise Conflict("这次票决现在不能裁定纸质选票。", code="not_counting")
        if not await is_scrutineer(poll["session"], counter.deputy):
            raise Refused("只有本次会议的总监票人或监票人才能裁定。", code="not_scrutineer")
        serial = _serial_of(poll_id, serial_text)
        row = await _printed(poll_id, serial)
        entries = await PaperEntry.count().where((PaperEntry.poll == poll_id) & (PaperEntry.serial == serial)
                                                 & (PaperEntry.kind == "entry"))
        if row["status"] != "printed" or entries < 2:
            raise Conflict(f"选票“{serial}”没有等待裁定的录入。", code="nothing_to_rule")
        await PaperEntry.insert(PaperEntry(poll=poll_id, serial=serial, kind="ruling", by_key=counter.key,
                                           by_label=counter.label, marks=marks_json, void=void))
        await _put_in_box(poll_id, row, marks_json, void)
        await audit.record(Actor("deputy", counter.deputy, counter.label), "paper_ballot_ruled",
                           subject=f"{poll['title']}（{poll['ref']}）", detail={"serial": serial, "void": void},
                           reason=reason)


# --- once the count is confirmed: the serial → content link sealed -----------------------


SETTLING = ("ruling", "correction", "sealed")
LINK_BATCH = 400  # serials per statement when sealing (bound parameters stay well under SQLite's limit)  # a later one of these decides what a serial counted as


def settled_entry(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of one serial's entries in the order made, the one whose content is in the box: the latest
    ruling, correction or sealed link, else the (agreeing) counters' entry."""
    settling = [e for e in entries if e["kind"] in SETTLING]
    return settling[-1] if settling else (entries[-1] if entries else None)


async def seal_links(poll: dict[str, Any], candidates: int) -> int:
    """Inside the transaction of the confirmation that completes the team: for each counted serial
    whose content is still stored in the clear, seal serial and content to the poll's key, erase
    the marks from every entry (who entered which serial, and when, stays) and drop older seals.
    Returns how many serials were sealed. Reconciliation needs none of the marks: it is the
    serials' statuses and the register (`_figures`)."""
    key = await key_ceremony.key_in_force(poll["id"])
    if key is None:
        return 0
    entries = await PaperEntry.select().where(PaperEntry.poll == poll["id"]).order_by(PaperEntry.id)
    by_serial: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_serial.setdefault(entry["serial"], []).append(entry)
    counted = {r["serial"] for r in await PaperSerial.select(PaperSerial.serial).where(
        (PaperSerial.poll == poll["id"]) & (PaperSerial.status == "counted"))}
    links = {}
    for serial, rows in sorted(by_serial.items()):
        settled = settled_entry(rows)
        if serial in counted and settled is not None and settled["kind"] != "sealed":
            links[serial] = secrecy.seal_paper_link(key["public_key_bytes"], poll["ref"], serial,
                                                    json.loads(settled["marks"] or "{}"), bool(settled["void"]), candidates)
    serials = list(links)
    for start in range(0, len(serials), LINK_BATCH):  # a statement per batch, not three per sheet
        batch = serials[start:start + LINK_BATCH]
        await PaperEntry.delete().where((PaperEntry.poll == poll["id"]) & PaperEntry.serial.is_in(batch)
                                        & (PaperEntry.kind == "sealed"))
        await PaperEntry.update({PaperEntry.marks: "", PaperEntry.void: False}).where(
            (PaperEntry.poll == poll["id"]) & PaperEntry.serial.is_in(batch))
        await PaperEntry.insert(*(PaperEntry(poll=poll["id"], serial=serial, kind="sealed", by_key="system",
                                             by_label="系统（监票人确认后加密封存）", marks=links[serial], void=False)
                                  for serial in batch))
    return len(links)


async def sealed_link(poll: dict[str, Any], serial: str, cards: list[str]) -> tuple[str, bool]:
    """A sealed serial's counted content (marks JSON as stored in the box, void), opened in memory
    with k of the poll's cards."""
    row = await PaperEntry.select(PaperEntry.marks).where(
        (PaperEntry.poll == poll["id"]) & (PaperEntry.serial == serial) & (PaperEntry.kind == "sealed")).order_by(
        PaperEntry.id, ascending=False).first()
    private = key_ceremony.private_key(await key_ceremony.key_in_force(poll["id"]), cards,
                                       "开启封存的录入内容", key_ceremony.LINK_RECOVERY)
    opened = secrecy.open_paper_link(private, poll["ref"], serial, row["marks"] if row else "")
    del private
    if opened is None:
        raise Conflict(f"选票“{serial}”封存的录入内容无法开启，可能被改动过。请立即报告总监票人和主席团。",
                       code="link_broken")
    return _content(*opened)


# --- sheets handed back blank, sheets never returned, the reconciliation ------------------

_SERIAL_SEPARATORS = re.compile(r"[\s,，、;；]+")


async def return_unused(poll_id: int, serials_text: str, actor: Actor) -> list[str]:
    """Register blank sheets handed back (scanned or typed, one or more): they can never be
    counted. All or nothing: one serial refused leaves every one as it was."""
    texts = [t for t in _SERIAL_SEPARATORS.split(serials_text or "") if t]
    if not texts:
        raise Refused("请扫描或输入交回的空白选票编号。", code="no_serials")
    async with write_transaction():
        poll = await _poll_row(poll_id, lock=True)
        if poll["status"] not in ("open", "counting"):
            raise Conflict("只有投票中或录入纸质选票时才能登记交回的空白选票。", code="not_open")
        serials, problems = [], []
        for text in texts:
            try:
                serial = _serial_of(poll_id, text)
                row = await _printed(poll_id, serial)
            except Refused as refused:
                problems.append(refused.message)
                continue
            if row["status"] != "printed":
                problems.append(f"选票编号“{serial}”已经{SERIAL_STATUS[row['status']]}。")
            elif await PaperEntry.exists().where((PaperEntry.poll == poll_id) & (PaperEntry.serial == serial)):
                problems.append(f"选票编号“{serial}”已经录入，不是空白选票。")
            elif serial in serials:
                problems.append(f"选票编号“{serial}”输入了两次。")
            else:
                serials.append(serial)
        if problems:
            raise Conflict("没有登记：" + "".join(problems), code="not_unused")
        await PaperSerial.update({PaperSerial.status: "unused"}).where(
            (PaperSerial.poll == poll_id) & PaperSerial.serial.is_in(serials))
        await audit.record(actor, "paper_ballots_returned_unused", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"count": len(serials), "serials": sorted(serials)})
    return sorted(serials)


async def declare_not_returned(poll_id: int, reason: str, actor: Actor) -> None:
    """Declare one issued paper ballot that did not come back (no deputy, no serial: neither is
    known), so the count may go ahead without it."""
    reason = reason.strip()
    if not reason:
        raise Refused("请写明未交回的原因，例如“代表未交回，已离开会场”。", code="reason_required")
    async with write_transaction():
        poll = await _poll_row(poll_id, lock=True)
        if poll["status"] != "counting":
            raise Conflict("结束投票、清点收回的纸质选票后，才能登记未交回的选票。", code="not_counting")
        if not (await _figures(poll_id)).paper_outstanding:
            raise Conflict("发出的纸质选票都已录入或登记，没有可登记为未交回的选票。", code="none_outstanding")
        await PaperNotReturned.insert(PaperNotReturned(poll=poll_id, reason=reason[:500], recorded_by=actor.label))
        await audit.record(actor, "paper_ballot_not_returned", subject=f"{poll['title']}（{poll['ref']}）",
                           reason=reason[:500])


async def _figures(poll_id: int) -> rules.PaperReconciliation:
    """The figures of the reconciliation, read in one go (inside the caller's transaction, if any)."""
    voters = await fetch("SELECT medium, voted, COUNT(*) AS n FROM poll_voter WHERE poll = {} GROUP BY medium, voted",
                         poll_id)
    tablet = [r for r in voters if r["medium"] != "paper"]
    by_status = {r["status"]: int(r["n"]) for r in await fetch(
        "SELECT status, COUNT(*) AS n FROM paper_serial WHERE poll = {} GROUP BY status", poll_id)}
    entering = await fetch("SELECT COUNT(DISTINCT e.serial) AS n FROM paper_entry e JOIN paper_serial s "
                           "ON s.serial = e.serial WHERE e.poll = {} AND s.status = {}", poll_id, "printed")
    not_returned = await PaperNotReturned.count().where(PaperNotReturned.poll == poll_id)
    return rules.PaperReconciliation(
        tablet_issued=sum(int(r["n"]) for r in tablet),
        tablet_returned=sum(int(r["n"]) for r in tablet if r["voted"]),
        paper_issued=sum(int(r["n"]) for r in voters if r["medium"] == "paper"),
        paper_returned=by_status.get("counted", 0), entering=int(entering[0]["n"]), not_returned=not_returned,
        printed=sum(by_status.values()), voided=by_status.get("voided", 0), unused=by_status.get("unused", 0))


async def count_problems(poll_id: int) -> list[str]:
    """Why the poll may not be counted yet (returned ≤ issued per medium, every sheet settled)."""
    return (await _figures(poll_id)).problems()


async def reconciliation(poll_id: int) -> dict[str, Any]:
    """The reconciliation for the tally sheet and the console: `rules.PaperReconciliation.to_dict()`
    plus the recorded reasons for voided serials and for sheets declared not returned."""
    figures = (await _figures(poll_id)).to_dict()
    voided = await PaperSerial.select(PaperSerial.serial, PaperSerial.void_reason).where(
        (PaperSerial.poll == poll_id) & (PaperSerial.status == "voided")).order_by(PaperSerial.serial)
    declared = await PaperNotReturned.select(PaperNotReturned.reason, PaperNotReturned.recorded_by,
                                             PaperNotReturned.at).where(
        PaperNotReturned.poll == poll_id).order_by(PaperNotReturned.id)
    return {**figures, "voided_reasons": [{"serial": v["serial"], "reason": v["void_reason"]} for v in voided],
            "not_returned_reasons": declared}


async def paper_state(poll_id: int) -> dict[str, Any]:
    """Where the paper ballots of a poll stand: printed, voided, counted, waiting, disputed."""
    serials = await PaperSerial.select(PaperSerial.serial, PaperSerial.status).where(PaperSerial.poll == poll_id)
    entries = await PaperEntry.select().where(PaperEntry.poll == poll_id).order_by(PaperEntry.id).output(
        load_json=False)
    status = {r["serial"]: r["status"] for r in serials}
    by_serial: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        if e["kind"] == "entry":
            by_serial.setdefault(e["serial"], []).append({**e, "marks": json.loads(e["marks"] or "{}")})
    waiting = sorted(s for s, es in by_serial.items() if status.get(s) == "printed" and len(es) == 1)
    disputed = [{"serial": s, "entries": es} for s, es in sorted(by_serial.items())
                if status.get(s) == "printed" and len(es) >= 2]
    recon = await reconciliation(poll_id)
    return {"printed": len(status), "voided": sum(1 for s in status.values() if s == "voided"),
            "counted": sum(1 for s in status.values() if s == "counted"), "waiting": waiting,
            "disputed": disputed, "issued": recon["media"]["paper"]["issued"], "reconciliation": recon,
            "links_sealed": any(e["kind"] == "sealed" for e in entries),
            "voided_serials": [{"serial": v["serial"], "void_reason": v["reason"]} for v in recon["voided_reasons"]]}
