"""Invariants of the count (spec/ballot-file.md), checked on generated polls."""

from dataclasses import replace
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voting.ballot_file import dump_ballot_file, dumps, load_ballot_file
from voting.rules import (
    METHOD_VALUES,
    THRESHOLD_BASES,
    Ballot,
    CandidateRef,
    PollRules,
    Threshold,
    ballot_is_valid,
    count,
    required_votes,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

fractions = st.builds(Fraction, st.integers(0, 12), st.integers(1, 12)).filter(lambda f: f <= 1)
thresholds = st.builds(Threshold, st.sampled_from(THRESHOLD_BASES), fractions, st.booleans())


@st.composite
def polls(draw, method=None):
    method = draw(st.sampled_from(("approval", "satisfaction"))) if method is None else method
    n = draw(st.integers(1, 7))
    seats = draw(st.integers(1, n + 1)) if method == "approval" else None
    max_approvals = draw(st.one_of(st.none(), st.integers(1, n + 1))) if method == "approval" else None
    entitled = draw(st.integers(1, 40))
    present = draw(st.integers(0, entitled))
    issued = draw(st.integers(0, present + 2))
    return PollRules(
        id="poll",
        title="票决",
        method=method,
        seats=seats,
        max_approvals=max_approvals,
        entitled=entitled,
        present=present,
        issued=issued,
        quorum=draw(fractions),
        threshold=draw(thresholds),
        candidates=tuple(CandidateRef(f"P{i}", f"项目{i}") for i in range(n)),
    )


@st.composite
def ballot_piles(draw, rules, max_size=30):
    """Mostly well-formed ballots, with some void, unknown candidates and bad values."""
    ids = [c.id for c in rules.candidates]
    values = list(METHOD_VALUES[rules.method])
    keys = st.one_of(st.sampled_from(ids), st.just("ZZ")) if draw(st.booleans()) else st.sampled_from(ids)
    marks = st.dictionaries(keys, st.sampled_from(values + ["bogus"]) if draw(st.booleans()) else st.sampled_from(values))
    entries = draw(st.lists(st.tuples(marks, st.integers(0, 15)), max_size=max_size))
    return [Ballot(f"b{i}", m, void=(roll == 0)) for i, (m, roll) in enumerate(entries)]


@st.composite
def votes(draw, method=None):
    rules = draw(polls(method))
    return rules, draw(ballot_piles(rules))


@PROPERTY
@given(votes(), st.data())
def test_ballot_order_never_changes_the_result(vote, data):
    rules, ballots = vote
    shuffled = data.draw(st.permutations(ballots))
    assert count(rules, shuffled) == count(rules, ballots)


@PROPERTY
@given(votes())
def test_every_returned_ballot_is_valid_or_invalid(vote):
    rules, ballots = vote
    result = count(rules, ballots)
    assert result.returned == len(ballots)
    assert result.valid + result.invalid == result.returned
    assert result.valid == sum(ballot_is_valid(rules, b) for b in ballots)


@PROPERTY
@given(votes())
def test_each_candidate_accounts_for_every_valid_ballot(vote):
    rules, ballots = vote
    result = count(rules, ballots)
    assert [c.id for c in result.candidates] == [c.id for c in rules.candidates]
    for line in result.candidates:
        assert set(line.counts) == set(METHOD_VALUES[rules.method])
        assert sum(line.counts.values()) + line.unmarked == result.valid
        assert min(line.counts.values()) >= 0 and line.unmarked >= 0


@PROPERTY
@given(votes("approval"), st.data())
def test_one_more_for_never_worsens_a_candidates_rank(vote, data):
    rules, ballots = vote
    cap = rules.approval_cap
    options = [
        (i, c.id)
        for i, b in enumerate(ballots)
        if ballot_is_valid(rules, b)
        for c in rules.candidates
        if b.marks.get(c.id) != "for" and sum(v == "for" for v in b.marks.values()) < cap
    ]
    if not options:
        return
    i, candidate_id = data.draw(st.sampled_from(options))
    changed = list(ballots)
    changed[i] = replace(ballots[i], marks={**ballots[i].marks, candidate_id: "for"})
    assert ballot_is_valid(rules, changed[i])

    before = {c.id: c for c in count(rules, ballots).candidates}[candidate_id]
    after = {c.id: c for c in count(rules, changed).candidates}[candidate_id]
    assert after.counts["for"] == before.counts["for"] + 1
    assert after.rank <= before.rank
    assert after.passed or not before.passed


@PROPERTY
@given(votes("approval"))
def test_winners_runoff_and_shortfall_add_up_to_the_seats(vote):
    rules, ballots = vote
    result = count(rules, ballots)
    by_id = {c.id: c for c in result.candidates}
    assert len(result.winners) <= rules.seats
    assert len(set(result.winners) | set(result.runoff)) == len(result.winners) + len(result.runoff)
    assert all(by_id[w].passed for w in result.winners + result.runoff)
    if result.status != "valid":
        assert result.winners == result.runoff == ()
        assert result.runoff_seats == result.shortfall == 0
        return
    assert len(result.winners) + result.runoff_seats + result.shortfall == rules.seats
    assert (result.runoff_seats > 0) == bool(result.runoff)
    assert not result.runoff or len(result.runoff) > result.runoff_seats
    assert result.shortfall == 0 or not result.runoff
    if result.shortfall:
        assert set(result.winners) == {c.id for c in result.candidates if c.passed}
    # every winner has at least as many approvals as anyone who passed and did not win
    losing = [c.counts["for"] for c in result.candidates if c.passed and c.id not in result.winners]
    for w in result.winners:
        assert all(by_id[w].counts["for"] > f for f in losing)


@PROPERTY
@given(votes())
def test_recount_of_an_export_equals_the_live_result(vote):
    rules, ballots = vote
    loaded_rules, loaded_ballots = load_ballot_file(dumps(dump_ballot_file(rules, ballots)))
    assert loaded_ballots == ballots
    assert count(loaded_rules, loaded_ballots) == count(rules, ballots)
    assert dumps(count(loaded_rules, loaded_ballots).to_json()) == dumps(count(rules, ballots).to_json())


@PROPERTY
@given(st.integers(0, 500), thresholds)
def test_required_is_the_smallest_integer_that_clears_the_bar(n, threshold):
    required = required_votes(n, threshold)
    if threshold.base == "none":
        assert required == 0
        return
    bar = n * threshold.fraction

    def clears(votes: int) -> bool:
        return votes > bar if threshold.strict else votes >= bar

    assert required >= 0
    assert clears(required)
    assert required == 0 or not clears(required - 1)
