"""The big screen's running totals never reveal one ballot (voting.disclosure), as a property."""

from hypothesis import given, settings, strategies as st

from voting.disclosure import STEP, take_tally, tally_to_show


def screen_states(arrivals: list[int], looks: list[bool]) -> list[int]:
    """Play a vote: ballots arrive in batches (`arrivals`), the screen looks at the box after a
    batch when `looks` says so (and may take a tally then), and the result is published at the
    end. Returns the ballot counts covered by each state the hall saw: the tally on screen
    (0 for none), then the final count."""
    returned, tallies, seen = 0, [], []
    for batch, look in zip(arrivals, looks):
        returned += batch
        if look:
            if take_tally(returned, tallies):
                tallies.append(returned)
            shown = tally_to_show(returned, tallies)
            seen.append(shown or 0)
    return seen + [returned]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=80),
       st.lists(st.booleans(), min_size=80, max_size=80))
def test_two_consecutive_screen_states_differ_by_no_ballot_or_by_at_least_a_step(arrivals, looks):
    # A screen showing no totals (0) reveals nothing to set a later state against.
    seen = [s for s in screen_states(arrivals, looks)[:-1] if s] + screen_states(arrivals, looks)[-1:]
    for before, after in zip(seen, seen[1:]):
        assert after >= before  # the screen never goes back
        assert after == before or after - before >= STEP, (before, after, seen)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=80))
def test_nothing_shows_before_two_steps_of_ballots_and_the_final_count_is_a_step_past_the_last_tally(arrivals):
    seen = screen_states(arrivals, [True] * len(arrivals))
    final, shown = seen[-1], [s for s in seen[:-1] if s]
    assert all(s >= STEP for s in shown)
    if shown:
        assert final - shown[-1] >= STEP and final >= 2 * STEP


def test_a_single_ballot_at_a_time_shows_the_first_tally_only_at_forty():
    tallies, shown = [], []
    for returned in range(1, 61):
        if take_tally(returned, tallies):
            tallies.append(returned)
        shown.append(tally_to_show(returned, tallies))
    assert tallies == [20, 40, 60]
    assert shown[:39] == [None] * 39 and shown[39:59] == [20] * 20 and shown[59] == 40
