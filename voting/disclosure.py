"""When the big screen may show running totals, so that no single ballot can be read off it.

A poll may let the hall's big screen show per-candidate totals before the close
(`Poll.show_running_totals`). Totals that moved with every ballot would show each
deputy's marks to anyone who watched the screen while that deputy voted, so they move
only in steps of at least `STEP` ballots, and they always lag the ballot box by at
least `STEP` ballots:

- a tally (totals over every ballot then in the box) is taken only once `STEP` ballots
  are in, and the next one only once `STEP` more have come in since the last one
  (`take_tally`);
- a tally is shown only once `STEP` further ballots have come in after it was taken
  (`tally_to_show`). Ballots are only ever added while a poll is open or its paper
  ballots are being entered, so whatever the final count turns out to be, it holds at
  least `STEP` ballots the last tally shown did not: the published result, set against
  the last running totals, reveals no ballot either. Before `2 × STEP` ballots are in,
  nothing is shown.

Two consecutive states of the screen therefore differ by no ballot or by at least
`STEP` ballots (tests/voting/test_disclosure.py pins it with Hypothesis). The count of
returned ballots itself moves with every ballot; it tells how many, never what.

No I/O, no clock, no database.
"""

from __future__ import annotations

from collections.abc import Iterable

STEP = 20


def take_tally(returned: int, tallies: Iterable[int]) -> bool:
    """Whether to take a new tally now, with `returned` ballots in the box and tallies already
    taken at the counts `tallies`."""
    latest = max(tallies, default=None)
    if latest is None:
        return returned >= STEP
    return returned >= latest + STEP


def tally_to_show(returned: int, tallies: Iterable[int]) -> int | None:
    """Which tally (by the ballot count it covers) the screen shows with `returned` ballots in
    the box: the newest one at least `STEP` ballots behind, or None."""
    return max((t for t in tallies if t <= returned - STEP), default=None)
