"""The counting rules of spec/ballot-file.md (version 1), as pure functions.

Read top-down: what a poll's settings are, whether the vote stands (rule 1),
what a single ballot may carry (rule 2), the bar a candidate must clear
(rule 4), who wins (rules 5 and 6), the satisfaction verdict (rule 7), and
finally `count`, which applies them all to the returned ballots (rule 3).

No I/O, no clock, no database, no floats: every comparison with a fraction is
exact (`fractions.Fraction`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

RESULT_FORMAT = "piaojue-result/1"

# --- What a poll is -----------------------------------------------------------

METHODS = ("approval", "satisfaction")
APPROVAL_VALUES = ("for", "against", "abstain")
SATISFACTION_VALUES = ("satisfied", "basically_satisfied", "dissatisfied", "abstain")
METHOD_VALUES = {"approval": APPROVAL_VALUES, "satisfaction": SATISFACTION_VALUES}
THRESHOLD_BASES = ("entitled", "present", "valid", "none")
STATUSES = ("valid", "void", "no_quorum")
VERDICTS = ("satisfied", "basically_satisfied", "dissatisfied")

VALUE_LABELS = {
    "for": "赞成",
    "against": "不赞成",
    "abstain": "弃权",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}
STATUS_LABELS = {
    "valid": "有效",
    "void": "无效（收回多于发出）",
    "no_quorum": "不足法定人数",
}
VERDICT_LABELS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}


@dataclass(frozen=True)
class Threshold:
    """The bar a candidate must clear: `fraction` of the `base` count.

    `strict` is 超过 / 过半数 (more than); not strict is 以上 / 不少于 (at least).
    """

    base: str
    fraction: Fraction
    strict: bool


DEFAULT_THRESHOLD = Threshold("entitled", Fraction(1, 2), True)
DEFAULT_QUORUM = Fraction(2, 3)


@dataclass(frozen=True)
class CandidateRef:
    """A candidate as the poll knows it: an id on the ballot and a title."""

    id: str
    title: str


@dataclass(frozen=True)
class PollRules:
    """Everything the count needs to know about one poll (票决办法)."""

    id: str
    title: str
    method: str
    seats: int | None
    max_approvals: int | None
    entitled: int
    present: int
    issued: int
    quorum: Fraction
    threshold: Threshold
    candidates: tuple[CandidateRef, ...]

    @property
    def approval_cap(self) -> int | None:
        """The most `for` marks one ballot may carry (approval only)."""
        if self.method != "approval":
            return None
        return self.max_approvals if self.max_approvals is not None else self.seats


@dataclass(frozen=True)
class Ballot:
    """One returned ballot: candidate id -> value, or ruled void by scrutineers."""

    id: str
    marks: Mapping[str, str]
    void: bool = False


# --- Rule 1: does the vote stand ------------------------------------------------


def quorum_needed(entitled: int, fraction: Fraction) -> int:
    """The least number present for the quorum to stand (以上 includes the figure itself)."""
    need = entitled * fraction
    return -(-need.numerator // need.denominator)


def quorum_refusal(entitled: int, present: int, fraction: Fraction) -> str | None:
    """Why a poll may not open yet, with the figures the chair announces, or None when the
    quorum stands: a poll opens only with at least `entitled × fraction` present."""
    needed = quorum_needed(entitled, fraction)
    if present >= needed and entitled > 0:
        return None
    return f"不足法定人数，不能开始投票：应到 {entitled} 人，实到 {present} 人，需要 {needed} 人。"


def poll_status(rules: PollRules, returned: int) -> str:
    """`void` if more ballots came back than were issued (收回多于发出), else
    `no_quorum` if fewer than `entitled × quorum` are present, else `valid`."""
    if returned > rules.issued:
        return "void"
    if rules.present < rules.entitled * rules.quorum:
        return "no_quorum"
    return "valid"


# --- Rule 2: what a single ballot may carry --------------------------------------


def _shown(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


def ballot_problems(
    method: str,
    candidate_ids: Sequence[str],
    cap: int | None,
    marks: Mapping[str, str],
) -> list[str]:
    """Every reason these marks make a ballot invalid (rule 2); empty means valid.

    A blank ballot is valid. The sentences are meant for the deputy holding the
    ballot. A ballot ruled `void` is invalid whatever its marks; see `count`.
    """
    problems = mark_problems(method, candidate_ids, marks)
    if (over := approvals_over_cap(method, cap, marks)) is not None:
        problems.append(f"赞成票不能超过 {cap} 个，您选了 {over} 个")
    return problems


def mark_problems(method: str, candidate_ids: Sequence[str], marks: Mapping[str, str]) -> list[str]:
    """The part of rule 2 no paper sheet can show: a candidate not on the ballot, a value
    the method does not know. A form that sends them is forged or broken, not a sheet read."""
    allowed = METHOD_VALUES[method]
    allowed_text = "、".join(f"「{VALUE_LABELS[v]}」" for v in allowed)
    known = set(candidate_ids)
    problems = []
    for candidate_id, value in marks.items():
        if candidate_id not in known:
            problems.append(f"选票上有不存在的候选项目「{candidate_id}」")
        elif value not in allowed:
            problems.append(
                f"候选项目「{candidate_id}」的标记「{_shown(value)}」无效，"
                f"只能是{allowed_text}之一"
            )
    return problems


def approvals_over_cap(method: str, cap: int | None, marks: Mapping[str, str]) -> int | None:
    """The number of `for` marks when it exceeds `max_approvals` (an invalid ballot), else None."""
    if method != "approval" or cap is None:
        return None
    approvals = sum(1 for value in marks.values() if value == "for")
    return approvals if approvals > cap else None


def ballot_is_valid(rules: PollRules, ballot: Ballot) -> bool:
    """Rule 2 for one returned ballot: not void and no problem with its marks."""
    if ballot.void:
        return False
    candidate_ids = [c.id for c in rules.candidates]
    return not ballot_problems(rules.method, candidate_ids, rules.approval_cap, ballot.marks)


# --- Rule 4: the bar ------------------------------------------------------------


def threshold_base_count(rules: PollRules, valid: int) -> int:
    """The count `n` the threshold fraction applies to (0 for base `none`)."""
    return {
        "entitled": rules.entitled,
        "present": rules.present,
        "valid": valid,
        "none": 0,
    }[rules.threshold.base]


def required_votes(base_count: int, threshold: Threshold) -> int:
    """The fewest votes that clear the bar: the smallest integer greater than
    (strict) or at least (not strict) `base_count × fraction`; 0 for base `none`.
    """
    if threshold.base == "none":
        return 0
    bar = base_count * Fraction(threshold.fraction)
    if threshold.strict:
        return math.floor(bar) + 1
    return math.ceil(bar)


# --- Rules 5 and 6: who wins (approval) ------------------------------------------


@dataclass(frozen=True)
class Winners:
    """The outcome of rule 5."""

    winners: tuple[str, ...] = ()
    runoff: tuple[str, ...] = ()
    runoff_seats: int = 0
    shortfall: int = 0


def choose_winners(seats: int, passing: Sequence[tuple[str, int]]) -> Winners:
    """Rule 5, given the passing candidates as (id, for) in ballot order.

    Most `for` first, ballot order among equals. A tie at the k-th place that
    spills over to the (k+1)-th sends everyone on the tied count to a runoff
    (另行票决) for the seats left over.
    """
    ordered = sorted(passing, key=lambda c: -c[1])  # stable: keeps ballot order
    k = seats
    if len(ordered) <= k:
        return Winners(winners=tuple(cid for cid, _ in ordered), shortfall=k - len(ordered))
    v = ordered[k - 1][1]
    if ordered[k][1] == v:
        winners = tuple(cid for cid, votes in ordered if votes > v)
        runoff = tuple(cid for cid, votes in ordered if votes == v)
        return Winners(winners=winners, runoff=runoff, runoff_seats=k - len(winners))
    return Winners(winners=tuple(cid for cid, _ in ordered[:k]))


def competition_ranks(votes: Sequence[int]) -> list[int]:
    """Rule 6: 1 + the number of candidates with more votes (1, 2, 2, 4 …)."""
    return [1 + sum(1 for other in votes if other > mine) for mine in votes]


# --- Rule 7: the satisfaction verdict ---------------------------------------------


def satisfaction_verdict(satisfied: int, basically_satisfied: int, required: int) -> str:
    """`satisfied` if 满意 clears the bar, else `basically_satisfied` if
    满意 + 基本满意 does, else `dissatisfied` (the Zhenhai rule)."""
    if satisfied >= required:
        return "satisfied"
    if satisfied + basically_satisfied >= required:
        return "basically_satisfied"
    return "dissatisfied"


# --- The count ----------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateCount:
    """One candidate's line of the tally, over valid ballots only (rule 3).

    `passed` and `rank` are set for approval, `verdict` for satisfaction.
    """

    id: str
    title: str
    counts: Mapping[str, int]
    unmarked: int
    passed: bool | None = None
    rank: int | None = None
    verdict: str | None = None

    def to_json(self, method: str) -> dict:
        """The candidate's entry in the result file."""
        entry: dict = {"id": self.id}
        entry.update((value, self.counts[value]) for value in METHOD_VALUES[method])
        entry["unmarked"] = self.unmarked
        if method == "approval":
            entry["passed"] = self.passed
            entry["rank"] = self.rank
        else:
            entry["verdict"] = self.verdict
        return entry


@dataclass(frozen=True)
class Result:
    """The outcome of `count`; `to_json` gives the `piaojue-result/1` object."""

    poll_id: str
    method: str
    status: str
    returned: int
    valid: int
    invalid: int
    required: int | None
    candidates: tuple[CandidateCount, ...]
    winners: tuple[str, ...] = ()
    runoff: tuple[str, ...] = ()
    runoff_seats: int = 0
    shortfall: int = 0

    def to_json(self) -> dict:
        """The result file, keys in the order of the spec."""
        data: dict = {
            "format": RESULT_FORMAT,
            "poll_id": self.poll_id,
            "method": self.method,
            "status": self.status,
            "returned": self.returned,
            "valid": self.valid,
            "invalid": self.invalid,
        }
        if self.method == "approval":
            data["required"] = self.required
        data["candidates"] = [c.to_json(self.method) for c in self.candidates]
        if self.method == "approval":
            data["winners"] = list(self.winners)
            data["runoff"] = list(self.runoff)
            data["runoff_seats"] = self.runoff_seats
            data["shortfall"] = self.shortfall
        return data


def count(rules: PollRules, ballots: Iterable[Ballot]) -> Result:
    """Apply rules 1–7 to the returned ballots.

    Reading of the spec when the status is not `valid` (void or no quorum):
    every count is still reported (rule 1), including `required`, each
    candidate's `passed` (rule 4 is plain arithmetic, `for >= required`, and,
    unlike rule 7's verdicts, is not tied to the status) and `rank` (rule 6:
    "whatever their status"). Rule 5 applies to status `valid` only, so then
    `winners` and `runoff` are empty and `runoff_seats` and `shortfall` are 0
    ("0 when not otherwise set"). Satisfaction verdicts are null (rule 7).
    """
    if rules.method not in METHODS:
        raise ValueError(f"unknown poll method {rules.method!r}")
    if rules.method == "approval" and rules.seats is None:
        raise ValueError("an approval poll needs seats")
    values = METHOD_VALUES[rules.method]
    tallies = {c.id: dict.fromkeys(values, 0) for c in rules.candidates}

    returned = valid = 0
    for ballot in ballots:
        returned += 1
        if not ballot_is_valid(rules, ballot):
            continue
        valid += 1
        for candidate_id, value in ballot.marks.items():
            tallies[candidate_id][value] += 1

    status = poll_status(rules, returned)
    required = required_votes(threshold_base_count(rules, valid), rules.threshold)
    lines = [
        CandidateCount(
            id=c.id,
            title=c.title,
            counts=tallies[c.id],
            unmarked=valid - sum(tallies[c.id].values()),
        )
        for c in rules.candidates
    ]

    if rules.method == "satisfaction":
        lines = [
            replace(
                line,
                verdict=satisfaction_verdict(
                    line.counts["satisfied"], line.counts["basically_satisfied"], required
                )
                if status == "valid"
                else None,
            )
            for line in lines
        ]
        return Result(
            poll_id=rules.id,
            method=rules.method,
            status=status,
            returned=returned,
            valid=valid,
            invalid=returned - valid,
            required=None,
            candidates=tuple(lines),
        )

    votes_for = [line.counts["for"] for line in lines]
    ranks = competition_ranks(votes_for)
    lines = [
        replace(line, passed=votes >= required, rank=rank)
        for line, votes, rank in zip(lines, votes_for, ranks)
    ]
    outcome = Winners()
    if status == "valid":
        passing = [(line.id, votes) for line, votes in zip(lines, votes_for) if line.passed]
        outcome = choose_winners(rules.seats, passing)
    return Result(
        poll_id=rules.id,
        method=rules.method,
        status=status,
        returned=returned,
        valid=valid,
        invalid=returned - valid,
        required=required,
        candidates=tuple(lines),
        winners=outcome.winners,
        runoff=outcome.runoff,
        runoff_seats=outcome.runoff_seats,
        shortfall=outcome.shortfall,
    )


# --- Returned ≤ issued, per medium, and where every printed sheet went ----------------


@dataclass(frozen=True)
class PaperReconciliation:
    """The figures of the hall's reconciliation (发出与收回、选票编号的去向), for the tally sheet.

    Per medium, returned ≤ issued: a tablet ballot is issued when the deputy's tablet
    opened it and returned when it was cast; a paper ballot is issued when the
    secretariat handed a sheet to a deputy and returned when its serial was entered
    (`entering`: entered but not yet settled by the second counter or a ruling). An
    issued sheet not returned is declared with a reason (`not_returned`).

    Serials: printed = counted + voided + unused + missing; `missing` are printed sheets
    neither counted, voided nor handed back blank. A sheet a deputy took away
    (`not_returned`) or one still being entered explains one of them; the rest are
    `unexplained`.
    """

    tablet_issued: int
    tablet_returned: int
    paper_issued: int
    paper_returned: int  # serials counted (in the box)
    entering: int  # serials entered but not yet settled
    not_returned: int
    printed: int
    voided: int
    unused: int

    @property
    def paper_outstanding(self) -> int:
        """Issued sheets neither entered nor declared not returned."""
        return max(0, self.paper_issued - self.paper_returned - self.entering - self.not_returned)

    @property
    def missing(self) -> int:
        return self.printed - self.paper_returned - self.voided - self.unused

    @property
    def unexplained(self) -> int:
        return max(0, self.missing - self.entering - self.not_returned)

    def problems(self) -> list[str]:
        """Why the count may not go ahead (empty when it may)."""
        found = []
        if self.tablet_returned > self.tablet_issued:
            found.append(f"平板收回 {self.tablet_returned} 张，多于发出的 {self.tablet_issued} 张")
        if self.paper_returned + self.entering > self.paper_issued:
            found.append(f"纸质选票收回 {self.paper_returned + self.entering} 张，多于发出的 {self.paper_issued} 张")
        if self.entering:
            found.append(f"还有 {self.entering} 张纸质选票只录入了一次或两次录入不一致，请完成核对或裁定")
        if self.paper_outstanding:
            found.append(f"还有 {self.paper_outstanding} 张发出的纸质选票既没有录入，也没有登记为未交回"
                         f"（发出 {self.paper_issued} 张，已计入 {self.paper_returned} 张，"
                         f"登记未交回 {self.not_returned} 张）")
        return found

    def to_dict(self) -> dict[str, object]:
        return {
            "media": {
                "tablet": {"issued": self.tablet_issued, "returned": self.tablet_returned},
                "paper": {"issued": self.paper_issued, "returned": self.paper_returned,
                          "not_returned": self.not_returned, "outstanding": self.paper_outstanding},
            },
            "issued": self.tablet_issued + self.paper_issued,
            "returned": self.tablet_returned + self.paper_returned,
            "serials": {"printed": self.printed, "counted": self.paper_returned, "voided": self.voided,
                        "unused": self.unused, "missing": self.missing, "entering": self.entering,
                        "not_returned": self.not_returned, "unexplained": self.unexplained},
            "balanced": not self.problems() and not self.unexplained,
            "problems": self.problems(),
        }
