"""Worked examples of the counting rules (spec/ballot-file.md), as a county would count them."""

from fractions import Fraction

import pytest

from voting.rules import (
    DEFAULT_QUORUM,
    DEFAULT_THRESHOLD,
    Ballot,
    CandidateRef,
    PollRules,
    Threshold,
    ballot_problems,
    competition_ranks,
    count,
    required_votes,
)


def approval_poll(n_candidates=12, seats=10, entitled=20, present=None, issued=None, **changes):
    present = entitled if present is None else present
    return PollRules(
        id="poll",
        title="民生实事项目票决",
        method="approval",
        seats=seats,
        max_approvals=changes.pop("max_approvals", None),
        entitled=entitled,
        present=present,
        issued=present if issued is None else issued,
        quorum=changes.pop("quorum", DEFAULT_QUORUM),
        threshold=changes.pop("threshold", DEFAULT_THRESHOLD),
        candidates=tuple(CandidateRef(f"P{i:02d}", f"项目{i}") for i in range(1, n_candidates + 1)),
    )


def satisfaction_poll(n_candidates=3, entitled=10, present=None, issued=None, **changes):
    present = entitled if present is None else present
    return PollRules(
        id="eval",
        title="满意度测评",
        method="satisfaction",
        seats=None,
        max_approvals=None,
        entitled=entitled,
        present=present,
        issued=present if issued is None else issued,
        quorum=changes.pop("quorum", DEFAULT_QUORUM),
        threshold=changes.pop("threshold", DEFAULT_THRESHOLD),
        candidates=tuple(CandidateRef(f"S{i}", f"项目{i}") for i in range(1, n_candidates + 1)),
    )


def ballots_with_for(rules, for_counts, n_ballots):
    """`n_ballots` valid ballots giving each candidate exactly its `for` count,
    spreading the approvals so no ballot carries more than it may."""
    marks = [{} for _ in range(n_ballots)]
    for candidate_id, wanted in for_counts.items():
        lightest = sorted(range(n_ballots), key=lambda i: (len(marks[i]), i))[:wanted]
        for i in lightest:
            marks[i][candidate_id] = "for"
    assert all(len(m) <= rules.approval_cap for m in marks)
    return [Ballot(f"b{i}", m) for i, m in enumerate(marks)]


def line(result, candidate_id):
    return next(c for c in result.candidates if c.id == candidate_id)


# --- Rule 4: required --------------------------------------------------------------


def test_required_more_than_half_of_231_deputies_is_116():
    assert required_votes(231, DEFAULT_THRESHOLD) == 116


def test_required_at_least_half_of_230_is_115():
    assert required_votes(230, Threshold("entitled", Fraction(1, 2), False)) == 115


@pytest.mark.parametrize(
    ("n", "fraction", "strict", "expected"),
    [
        (230, Fraction(1, 2), True, 116),  # 过半数 of an even number
        (231, Fraction(1, 2), False, 116),  # 以上 of an odd number rounds up
        (231, Fraction(2, 3), False, 154),
        (231, Fraction(2, 3), True, 155),
        (0, Fraction(1, 2), True, 1),
        (100, Fraction(0), False, 0),
        (100, Fraction(1), True, 101),
    ],
)
def test_required_is_exact(n, fraction, strict, expected):
    assert required_votes(n, Threshold("entitled", fraction, strict)) == expected


def test_required_base_none_is_zero():
    assert required_votes(231, Threshold("none", Fraction(1, 2), True)) == 0


# --- Rule 5: winners, runoff, shortfall ----------------------------------------------


def test_twelve_candidates_for_ten_seats_tie_at_the_cut_off_goes_to_runoff():
    rules = approval_poll(n_candidates=12, seats=10, entitled=20)
    fors = [20, 19, 18, 17, 16, 15, 14, 13, 12, 12, 12, 5]
    counts = {f"P{i:02d}": f for i, f in enumerate(fors, start=1)}
    result = count(rules, ballots_with_for(rules, counts, 20))

    assert result.status == "valid"
    assert result.required == 11  # more than half of 20 deputies
    assert [c.passed for c in result.candidates] == [True] * 11 + [False]
    assert result.winners == ("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08")
    assert result.runoff == ("P09", "P10", "P11")
    assert result.runoff_seats == 2
    assert result.shortfall == 0
    assert [c.rank for c in result.candidates] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12]


def test_tie_that_does_not_cross_the_cut_off_needs_no_runoff():
    rules = approval_poll(n_candidates=12, seats=10, entitled=20)
    fors = [15, 15, 15, 15, 15, 15, 15, 15, 14, 13, 12, 12]
    counts = {f"P{i:02d}": f for i, f in enumerate(fors, start=1)}
    result = count(rules, ballots_with_for(rules, counts, 20))

    assert result.winners == tuple(f"P{i:02d}" for i in range(1, 11))
    assert result.runoff == () and result.runoff_seats == 0 and result.shortfall == 0


def test_winners_are_ordered_by_for_then_ballot_order():
    rules = approval_poll(n_candidates=4, seats=3, entitled=10)
    counts = {"P01": 7, "P02": 9, "P03": 7, "P04": 3}
    result = count(rules, ballots_with_for(rules, counts, 10))
    assert result.winners == ("P02", "P01", "P03")
    assert result.shortfall == 0


def test_tie_at_the_cut_off_sends_only_the_tied_to_runoff():
    # more than half of 10 is 6; P01 and P03 tie for the third seat
    rules = approval_poll(n_candidates=4, seats=3, entitled=10)
    counts = {"P01": 6, "P02": 9, "P03": 6, "P04": 8}
    result = count(rules, ballots_with_for(rules, counts, 10))
    assert result.winners == ("P02", "P04")
    assert result.runoff == ("P01", "P03")
    assert result.runoff_seats == 1


def test_shortfall_when_fewer_pass_than_seats():
    rules = approval_poll(n_candidates=12, seats=10, entitled=20)
    fors = [18, 17, 16, 15, 14, 13, 11, 10, 10, 9, 8, 2]
    counts = {f"P{i:02d}": f for i, f in enumerate(fors, start=1)}
    result = count(rules, ballots_with_for(rules, counts, 20))

    assert result.winners == ("P01", "P02", "P03", "P04", "P05", "P06", "P07")
    assert result.shortfall == 3
    assert result.runoff == () and result.runoff_seats == 0


# --- Rule 1: status -------------------------------------------------------------------


def test_more_ballots_returned_than_issued_voids_the_vote_but_counts_are_reported():
    rules = approval_poll(n_candidates=3, seats=2, entitled=10, issued=9)
    result = count(rules, ballots_with_for(rules, {"P01": 10, "P02": 7, "P03": 2}, 10))

    assert result.status == "void"
    assert result.returned == 10 and result.valid == 10 and result.invalid == 0
    assert [line(result, c).counts["for"] for c in ("P01", "P02", "P03")] == [10, 7, 2]
    assert [c.rank for c in result.candidates] == [1, 2, 3]
    assert [c.passed for c in result.candidates] == [True, True, False]
    assert result.winners == () and result.runoff == ()
    assert result.runoff_seats == 0 and result.shortfall == 0
    assert result.to_json()["winners"] == []


def test_returned_equal_to_issued_stands():
    rules = approval_poll(n_candidates=3, seats=2, entitled=10, issued=10)
    result = count(rules, ballots_with_for(rules, {"P01": 10}, 10))
    assert result.status == "valid"
    assert result.winners == ("P01",)


def test_present_below_two_thirds_is_no_quorum():
    # 2/3 of 231 is 154
    rules = approval_poll(n_candidates=2, seats=1, entitled=231, present=153)
    result = count(rules, ballots_with_for(rules, {"P01": 153}, 153))
    assert result.status == "no_quorum"
    assert result.winners == ()
    assert line(result, "P01").counts["for"] == 153


def test_exactly_two_thirds_present_stands():
    rules = approval_poll(n_candidates=2, seats=1, entitled=231, present=154)
    result = count(rules, ballots_with_for(rules, {"P01": 154}, 154))
    assert result.status == "valid"
    assert result.winners == ("P01",)


# --- Rule 2: invalid ballots -----------------------------------------------------------


def test_over_approval_ballot_is_invalid():
    rules = approval_poll(n_candidates=12, seats=10, entitled=20)
    eleven = {f"P{i:02d}": "for" for i in range(1, 12)}
    ten = {f"P{i:02d}": "for" for i in range(1, 11)}
    result = count(rules, [Ballot("b1", eleven), Ballot("b2", ten)])
    assert (result.valid, result.invalid) == (1, 1)
    assert line(result, "P01").counts["for"] == 1
    assert line(result, "P11").counts["for"] == 0
    assert line(result, "P11").unmarked == 1


def test_max_approvals_can_differ_from_seats():
    rules = approval_poll(n_candidates=4, seats=2, entitled=10, max_approvals=3)
    three = {"P01": "for", "P02": "for", "P03": "for"}
    four = dict(three, P04="for")
    result = count(rules, [Ballot("b1", three), Ballot("b2", four)])
    assert (result.valid, result.invalid) == (1, 1)


def test_blank_ballot_is_valid_and_unmarked_everywhere():
    rules = approval_poll(n_candidates=2, seats=1, entitled=10)
    result = count(rules, [Ballot("b1", {})])
    assert (result.valid, result.invalid) == (1, 0)
    assert all(c.unmarked == 1 for c in result.candidates)


def test_unknown_candidate_makes_the_ballot_invalid():
    rules = approval_poll(n_candidates=2, seats=1, entitled=10)
    result = count(rules, [Ballot("b1", {"P01": "for", "P99": "against"})])
    assert (result.valid, result.invalid) == (0, 1)
    assert line(result, "P01").counts["for"] == 0


def test_value_not_allowed_for_the_method_makes_the_ballot_invalid():
    rules = approval_poll(n_candidates=2, seats=1, entitled=10)
    result = count(rules, [Ballot("b1", {"P01": "satisfied"}), Ballot("b2", {"P01": "FOR"})])
    assert (result.valid, result.invalid) == (0, 2)


def test_void_ballot_is_invalid_whatever_its_marks():
    rules = approval_poll(n_candidates=2, seats=1, entitled=10)
    result = count(rules, [Ballot("b1", {"P01": "for"}, void=True), Ballot("b2", {}, void=True)])
    assert (result.returned, result.valid, result.invalid) == (2, 0, 2)
    assert line(result, "P01").counts["for"] == 0


def test_ballot_problems_speak_to_the_deputy():
    ids = [f"P{i:02d}" for i in range(1, 13)]
    eleven = {i: "for" for i in ids[:11]}
    assert ballot_problems("approval", ids, 10, eleven) == ["赞成票不能超过 10 个，您选了 11 个"]
    assert ballot_problems("approval", ids, 10, {}) == []
    assert ballot_problems("approval", ids, 10, {"P01": "for", "P02": "against", "P03": "abstain"}) == []
    (unknown,) = ballot_problems("approval", ids, 10, {"X9": "for"})
    assert "不存在的候选项目" in unknown and "X9" in unknown
    (bad,) = ballot_problems("approval", ids, 10, {"P01": "yes"})
    assert "P01" in bad and "yes" in bad and "赞成" in bad and "弃权" in bad
    (bad,) = ballot_problems("satisfaction", ["S1"], None, {"S1": "for"})
    assert "满意" in bad and "基本满意" in bad
    assert len(ballot_problems("approval", ids, 1, {"X9": "for", "P01": "for", "P02": "no"})) == 3


# --- Rule 3 and 6: tallies and ranks ------------------------------------------------------


def test_counts_per_value_and_unmarked():
    rules = approval_poll(n_candidates=2, seats=1, entitled=10)
    ballots = [
        Ballot("b1", {"P01": "for", "P02": "against"}),
        Ballot("b2", {"P01": "abstain"}),
        Ballot("b3", {"P01": "for", "P02": "for"}),  # two approvals for one seat: invalid
        Ballot("b4", {}),
    ]
    result = count(rules, ballots)
    assert (result.returned, result.valid, result.invalid) == (4, 3, 1)
    p01, p02 = result.candidates
    assert dict(p01.counts) == {"for": 1, "against": 0, "abstain": 1} and p01.unmarked == 1
    assert dict(p02.counts) == {"for": 0, "against": 1, "abstain": 0} and p02.unmarked == 2


def test_competition_ranks_1_2_2_4():
    assert competition_ranks([9, 7, 7, 3]) == [1, 2, 2, 4]
    rules = approval_poll(n_candidates=4, seats=2, entitled=15)
    result = count(rules, ballots_with_for(rules, {"P01": 3, "P02": 7, "P03": 9, "P04": 7}, 15))
    assert [c.rank for c in result.candidates] == [4, 2, 1, 2]


# --- Rule 7: satisfaction (the Zhenhai rule) -------------------------------------------------


def satisfaction_ballots(columns):
    """columns: candidate id -> list of values, one per ballot (None = unmarked)."""
    n = max(len(values) for values in columns.values())
    return [
        Ballot(f"b{i}", {cid: values[i] for cid, values in columns.items() if values[i] is not None})
        for i in range(n)
    ]


ZHENHAI = {
    # more than half of 10 members is 6
    "S1": ["satisfied"] * 6 + ["dissatisfied"] * 4,
    "S2": ["satisfied"] * 3 + ["basically_satisfied"] * 3 + ["dissatisfied"] * 2 + [None, "abstain"],
    "S3": ["satisfied"] * 5 + ["dissatisfied"] * 5,
}


def test_satisfaction_verdicts_follow_the_zhenhai_rule():
    result = count(satisfaction_poll(entitled=10), satisfaction_ballots(ZHENHAI))
    assert result.status == "valid"
    assert [c.verdict for c in result.candidates] == ["satisfied", "basically_satisfied", "dissatisfied"]
    s2 = line(result, "S2")
    assert dict(s2.counts) == {"satisfied": 3, "basically_satisfied": 3, "dissatisfied": 2, "abstain": 1}
    assert s2.unmarked == 1


def test_satisfaction_result_json_has_no_approval_fields():
    data = count(satisfaction_poll(entitled=10), satisfaction_ballots(ZHENHAI)).to_json()
    assert list(data) == ["format", "poll_id", "method", "status", "returned", "valid", "invalid", "candidates"]
    assert list(data["candidates"][0]) == [
        "id", "satisfied", "basically_satisfied", "dissatisfied", "abstain", "unmarked", "verdict",
    ]


@pytest.mark.parametrize("status_change", [{"present": 6}, {"issued": 9}])
def test_satisfaction_verdicts_are_null_unless_the_vote_stands(status_change):
    rules = satisfaction_poll(entitled=10, **status_change)
    result = count(rules, satisfaction_ballots(ZHENHAI))
    assert result.status in ("no_quorum", "void")
    assert [c.verdict for c in result.candidates] == [None, None, None]
    assert line(result, "S1").counts["satisfied"] == 6
    assert [c["verdict"] for c in result.to_json()["candidates"]] == [None, None, None]


def test_satisfaction_ballot_with_approval_value_is_invalid():
    result = count(satisfaction_poll(entitled=10), [Ballot("b1", {"S1": "for"}), Ballot("b2", {"S1": "satisfied"})])
    assert (result.valid, result.invalid) == (1, 1)


# --- Threshold bases ------------------------------------------------------------------------


def test_threshold_base_present():
    rules = approval_poll(
        n_candidates=2, seats=2, entitled=30, present=20,
        threshold=Threshold("present", Fraction(1, 2), True),
    )
    result = count(rules, ballots_with_for(rules, {"P01": 11, "P02": 10}, 20))
    assert result.required == 11
    assert result.winners == ("P01",) and result.shortfall == 1


def test_threshold_base_valid_ballots_at_least_half():
    rules = approval_poll(
        n_candidates=2, seats=2, entitled=30, present=24,
        threshold=Threshold("valid", Fraction(1, 2), False),
    )
    ballots = ballots_with_for(rules, {"P01": 10, "P02": 9}, 20) + [Ballot("x", {}, void=True)]
    result = count(rules, ballots)
    assert result.valid == 20 and result.required == 10
    assert result.winners == ("P01",)


def test_threshold_base_none_most_votes_win():
    rules = approval_poll(
        n_candidates=3, seats=2, entitled=30,
        threshold=Threshold("none", Fraction(1, 2), True),
    )
    result = count(rules, ballots_with_for(rules, {"P01": 1, "P02": 3, "P03": 0}, 5))
    assert result.required == 0
    assert all(c.passed for c in result.candidates)
    assert result.winners == ("P02", "P01")


def test_satisfaction_threshold_base_valid():
    rules = satisfaction_poll(n_candidates=1, entitled=10, present=8, threshold=Threshold("valid", Fraction(1, 2), True))
    ballots = satisfaction_ballots({"S1": ["satisfied"] * 4 + ["basically_satisfied"] * 4})
    result = count(rules, ballots)
    assert result.candidates[0].verdict == "basically_satisfied"  # 4 of 8 is not more than half


# --- The result file ---------------------------------------------------------------------------


def test_approval_result_json_matches_the_spec_shape():
    rules = approval_poll(n_candidates=2, seats=1, entitled=231, present=225, issued=225)
    ballots = (
        [Ballot(f"f{i}", {"P01": "for"}) for i in range(201)]
        + [Ballot(f"a{i}", {"P01": "against"}) for i in range(12)]
        + [Ballot(f"s{i}", {"P01": "abstain"}) for i in range(6)]
        + [Ballot(f"u{i}", {"P02": "for"}) for i in range(4)]
        + [Ballot("v1", {}, void=True), Ballot("v2", {"P09": "for"})]
    )
    data = count(rules, ballots).to_json()
    assert data == {
        "format": "piaojue-result/1",
        "poll_id": "poll",
        "method": "approval",
        "status": "valid",
        "returned": 225, "valid": 223, "invalid": 2,
        "required": 116,
        "candidates": [
            {"id": "P01", "for": 201, "against": 12, "abstain": 6, "unmarked": 4, "passed": True, "rank": 1},
            {"id": "P02", "for": 4, "against": 0, "abstain": 0, "unmarked": 219, "passed": False, "rank": 2},
        ],
        "winners": ["P01"],
        "runoff": [], "runoff_seats": 0, "shortfall": 0,
    }
    assert list(data) == [
        "format", "poll_id", "method", "status", "returned", "valid", "invalid", "required",
        "candidates", "winners", "runoff", "runoff_seats", "shortfall",
    ]
    assert list(data["candidates"][0]) == ["id", "for", "against", "abstain", "unmarked", "passed", "rank"]


@pytest.mark.parametrize("entitled, fraction, needed", [(30, "2/3", 20), (231, "2/3", 154), (100, "1/2", 50),
                                                         (7, "2/3", 5)])
def test_a_poll_opens_at_exactly_its_quorum_and_not_one_below(entitled, fraction, needed):
    from voting.rules import quorum_refusal

    assert quorum_refusal(entitled, needed, Fraction(fraction)) is None
    refused = quorum_refusal(entitled, needed - 1, Fraction(fraction))
    assert refused == f"不足法定人数，不能开始投票：应到 {entitled} 人，实到 {needed - 1} 人，需要 {needed} 人。"
    assert quorum_refusal(0, 0, Fraction(fraction)) is not None  # nobody entitled: nothing to open
