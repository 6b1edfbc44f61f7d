"""What of the vote stays public after the session, listed for the open-data feed (web/open_data.py).

Two kinds of poll, each a page at a time, oldest first, never a 会前演练 (rehearsal) congress's:

- `results`: polls whose count in force the scrutineers confirmed and the secretariat published
  (`Poll.published_at`, cleared again by a correction until it is confirmed anew). What each
  shows is the big screen's (`voting.screen.published_result`), with the seal the tally sheet
  and the presidium notice print (`voting.scrutiny.seal_of`).
- `lists`: first-round approval polls whose vote has begun: the candidate list is locked then,
  and the ballot is what the deputies vote on. A draft list may still change and is not listed.

`year` is the year (Beijing time) the vote opened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from voting.tables import Congress, Poll
from voting.times import BEIJING

KINDS = ("results", "lists")


def _where(kind: str, year: int | None, congress_id: int | None) -> Any:
    where = Poll.session.term.congress.rehearsal.eq(False)
    if kind == "results":
        where &= (Poll.status == "closed") & Poll.published_at.is_not_null()
    elif kind == "lists":
        where &= (Poll.method == "approval") & Poll.runoff_of.is_null() & (Poll.status != "draft")
    else:
        raise ValueError(kind)
    if year is not None:
        where &= (Poll.opened_at >= datetime(year, 1, 1, tzinfo=BEIJING)) & (
            Poll.opened_at < datetime(year + 1, 1, 1, tzinfo=BEIJING))
    if congress_id is not None:
        where &= Poll.session.term.congress.id == congress_id
    return where


async def polls_page(kind: str, year: int | None, congress_id: int | None, page: int,
                     per_page: int) -> dict[str, Any]:
    """One page of `kind` polls (whole rows, with their session's and congress's names) and the total."""
    where = _where(kind, year, congress_id)
    rows = await Poll.select(
        Poll.all_columns(), Poll.session.name.as_alias("session_name"),
        Poll.session.term.congress.id.as_alias("congress_id"),
        Poll.session.term.congress.name.as_alias("congress_name"),
    ).where(where).order_by(Poll.id).limit(per_page).offset((max(1, page) - 1) * per_page)
    return {"rows": rows, "total": await Poll.count().where(where)}


async def congress_exists(congress_id: int) -> bool:
    """A real congress (not a rehearsal's): what the feed's `congress=` may name."""
    return await Congress.exists().where((Congress.id == congress_id) & Congress.rehearsal.eq(False))


async def congresses() -> list[dict[str, Any]]:
    """Every real congress, by id: the values the feed's `congress=` takes."""
    return await Congress.select(Congress.id, Congress.name, Congress.level).where(
        Congress.rehearsal.eq(False)).order_by(Congress.id)
