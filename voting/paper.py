"""Paper ballots: the register of printed serial numbers.

Printing a run of ballots for a poll registers each serial in `PaperSerial` in the same
transaction as its audit entry, so a later paper-ballot entry can tell a genuine
serial from a forged one. Numbers continue across runs: a second run starts after
the highest number already printed for the poll.
"""

from __future__ import annotations

from voting.serials import MAX_NUMBER, SerialError, make_serial, parse_serial
from voting import audit
from voting.audit import Actor
from voting.database import fetch, is_sqlite, write_transaction
from voting.errors import Refused
from voting.tables import PaperSerial

MAX_RUN = 2000


async def register_print_run(poll_id: int, count: int, actor: Actor) -> list[str]:
    """Register `count` new serials for the poll as printed; returns them in order."""
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
    return serials


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
