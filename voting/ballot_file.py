"""The ballot file of spec/ballot-file.md: read it, write it.

`load_ballot_file` turns the text of a `piaojue-ballots/1` file into the
`PollRules` and `Ballot`s that `voting.rules.count` takes, or raises
`BallotFileError` with one Chinese message naming the field that is wrong
(`poll.seats 必须是不小于 1 的整数`). A ballot that names an unknown candidate or
carries a bad value is not a file error: it is an invalid ballot (rule 2).
`dump_ballot_file` is the inverse, writing every poll field explicitly.

Readings of the spec made here:
- keys not in the spec are ignored; a key repeated inside an object we read is
  an error (two readers could otherwise count different ballots);
- `quorum`, `threshold` and each of their fields may be absent or null: each
  takes its own default (`quorum.fraction` 2/3; `threshold` base `entitled`,
  fraction 1/2, strict); with base `none` the fraction and strictness are
  ignored, even a malformed one, as the spec says;
- `seats` and `max_approvals` are read for approval polls only;
- a ballot needs a non-empty string `id` (unique in the file) and either
  `"void": true` or a `marks` object;
- at least one candidate; `entitled` at least 1; `present` at most `entitled`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction

from voting.rules import (
    DEFAULT_QUORUM,
    DEFAULT_THRESHOLD,
    METHODS,
    RESULT_FORMAT,
    THRESHOLD_BASES,
    Ballot,
    CandidateRef,
    PollRules,
    Threshold,
)

BALLOT_FORMAT = "piaojue-ballots/1"


class BallotFileError(ValueError):
    """The file is not a readable ballot file; `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reading ----------------------------------------------------------------------


def load_ballot_file(text: str) -> tuple[PollRules, list[Ballot]]:
    """Parse and check a ballot file; raise `BallotFileError` on the first fault."""
    root = _object(_parse_json(text), "")
    if "format" not in root:
        raise BallotFileError(f"缺少字段 format（选票文件应为 \"{BALLOT_FORMAT}\"）")
    fmt = root["format"]
    if fmt != BALLOT_FORMAT:
        hint = "，这是计票结果文件，不是选票文件" if fmt == RESULT_FORMAT else ""
        raise BallotFileError(
            f"format 为 {_shown(fmt)}，无法识别{hint}；本程序读取 \"{BALLOT_FORMAT}\""
        )
    rules = _read_poll(_object(_required(root, "poll", ""), "poll"))
    ballots = _read_ballots(_required(root, "ballots", ""))
    return rules, ballots


def _read_poll(poll: dict) -> PollRules:
    poll_id = _string(_required(poll, "id", "poll"), "poll.id")
    title = _string(_required(poll, "title", "poll"), "poll.title", nonempty=False)
    method = _required(poll, "method", "poll")
    if method not in METHODS:
        raise BallotFileError(
            f"poll.method 必须是 approval（差额票决）或 satisfaction（满意度测评），"
            f"文件中是 {_shown(method)}"
        )
    seats = max_approvals = None
    if method == "approval":
        seats = _integer(_required(poll, "seats", "poll"), "poll.seats", minimum=1)
        max_approvals = poll.get("max_approvals")
        if max_approvals is None:
            max_approvals = seats
        else:
            max_approvals = _integer(max_approvals, "poll.max_approvals", minimum=1)
    entitled = _integer(_required(poll, "entitled", "poll"), "poll.entitled", minimum=1)
    present = _integer(_required(poll, "present", "poll"), "poll.present", minimum=0)
    issued = _integer(_required(poll, "issued", "poll"), "poll.issued", minimum=0)
    if present > entitled:
        raise BallotFileError(
            f"poll.present（实到 {present}）不能大于 poll.entitled（应到 {entitled}）"
        )
    return PollRules(
        id=poll_id,
        title=title,
        method=method,
        seats=seats,
        max_approvals=max_approvals,
        entitled=entitled,
        present=present,
        issued=issued,
        quorum=_read_quorum(poll.get("quorum")),
        threshold=_read_threshold(poll.get("threshold")),
        candidates=_read_candidates(_required(poll, "candidates", "poll")),
    )


def _read_quorum(value: object) -> Fraction:
    if value is None:
        return DEFAULT_QUORUM
    quorum = _object(value, "poll.quorum")
    if quorum.get("fraction") is None:
        return DEFAULT_QUORUM
    return _fraction(quorum["fraction"], "poll.quorum.fraction")


def _read_threshold(value: object) -> Threshold:
    """Each field of `threshold` that is omitted takes its own default; with base
    `none` the fraction and strictness are ignored, whatever they hold."""
    if value is None:
        return DEFAULT_THRESHOLD
    path = "poll.threshold"
    threshold = _object(value, path)
    base = threshold.get("base")
    if base is None:
        base = DEFAULT_THRESHOLD.base
    elif base not in THRESHOLD_BASES:
        raise BallotFileError(
            f"{path}.base 必须是 {'、'.join(THRESHOLD_BASES)} 之一，文件中是 {_shown(base)}"
        )
    if base == "none":
        return replace(DEFAULT_THRESHOLD, base=base)
    fraction = threshold.get("fraction")
    fraction = (
        DEFAULT_THRESHOLD.fraction if fraction is None else _fraction(fraction, f"{path}.fraction")
    )
    strict = threshold.get("strict")
    if strict is None:
        strict = DEFAULT_THRESHOLD.strict
    elif not isinstance(strict, bool):
        raise BallotFileError(
            f"{path}.strict 必须是 true（超过）或 false（以上、不少于），文件中是 {_shown(strict)}"
        )
    return Threshold(base=base, fraction=fraction, strict=strict)


def _read_candidates(value: object) -> tuple[CandidateRef, ...]:
    items = _list(value, "poll.candidates")
    if not items:
        raise BallotFileError("poll.candidates 不能为空，至少要有一个候选项目")
    candidates = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"poll.candidates[{index}]"
        candidate = _object(item, path)
        candidate_id = _string(_required(candidate, "id", path), f"{path}.id")
        title = _string(_required(candidate, "title", path), f"{path}.title", nonempty=False)
        if candidate_id in first_seen:
            raise BallotFileError(
                f"{path}.id 「{candidate_id}」与 poll.candidates[{first_seen[candidate_id]}] 重复，"
                f"候选项目编号必须唯一"
            )
        first_seen[candidate_id] = index
        candidates.append(CandidateRef(id=candidate_id, title=title))
    return tuple(candidates)


def _read_ballots(value: object) -> list[Ballot]:
    items = _list(value, "ballots")
    ballots = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"ballots[{index}]"
        entry = _object(item, path)
        ballot_id = _string(_required(entry, "id", path), f"{path}.id")
        if ballot_id in first_seen:
            raise BallotFileError(
                f"{path}.id 「{ballot_id}」与 ballots[{first_seen[ballot_id]}] 重复，选票编号必须唯一"
            )
        first_seen[ballot_id] = index
        void = entry.get("void", False)
        if not isinstance(void, bool):
            raise BallotFileError(f"{path}.void 必须是 true 或 false，文件中是 {_shown(void)}")
        if "marks" in entry or not void:
            # Any value in marks is read as is: a bad one makes the ballot invalid
            # (rule 2), it does not make the file unreadable.
            marks = dict(_object(_required(entry, "marks", path), f"{path}.marks"))
        else:
            marks = {}
        ballots.append(Ballot(id=ballot_id, marks=marks, void=void))
    return ballots


# --- Checks on single JSON values ------------------------------------------------------


class _Object(dict):
    """A JSON object that remembers keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs_to_object(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicates = []
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        obj.duplicates = tuple(duplicates)
    return obj


def _no_constant(name: str) -> object:
    raise BallotFileError(f"不是有效的 JSON：{name} 不是 JSON 允许的值")


def _parse_json(text: str) -> object:
    text = text.removeprefix("\ufeff")
    try:
        return json.loads(text, object_pairs_hook=_pairs_to_object, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise BallotFileError(
            f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列出错（{error.msg}）"
        ) from None
    except RecursionError:
        raise BallotFileError("不是有效的选票文件：JSON 嵌套层数过多") from None
    except BallotFileError:
        raise
    except ValueError:  # an integer with more digits than Python will read
        raise BallotFileError("不是有效的选票文件：其中有位数过多的数字") from None


def _where(path: str) -> str:
    return path or "文件顶层"


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def _required(obj: dict, key: str, path: str) -> object:
    if key not in obj:
        raise BallotFileError(f"缺少字段 {path + '.' if path else ''}{key}")
    return obj[key]


def _object(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise BallotFileError(f"{_where(path)} 必须是 JSON 对象（{{…}}），文件中是 {_shown(value)}")
    duplicates = getattr(value, "duplicates", ())
    if duplicates:
        raise BallotFileError(f"{_where(path)} 中的键「{duplicates[0]}」出现了不止一次")
    return value


def _list(value: object, path: str) -> list:
    if not isinstance(value, list):
        raise BallotFileError(f"{path} 必须是数组（[…]），文件中是 {_shown(value)}")
    return value


def _string(value: object, path: str, *, nonempty: bool = True) -> str:
    if not isinstance(value, str) or (nonempty and not value):
        kind = "非空字符串" if nonempty else "字符串"
        raise BallotFileError(f"{path} 必须是{kind}，文件中是 {_shown(value)}")
    return value


def _integer(value: object, path: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BallotFileError(f"{path} 必须是不小于 {minimum} 的整数，文件中是 {_shown(value)}")
    return value


_FRACTION = re.compile(r"([0-9]{1,9})/([0-9]{1,9})")


def _fraction(value: object, path: str) -> Fraction:
    form = f"{path} 必须是 \"n/d\" 形式的分数（如 \"2/3\"），取值在 0 到 1 之间"
    match = _FRACTION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise BallotFileError(f"{form}，文件中是 {_shown(value)}")
    numerator, denominator = int(match[1]), int(match[2])
    if denominator == 0:
        raise BallotFileError(f"{form}；{_shown(value)} 的分母为 0")
    fraction = Fraction(numerator, denominator)
    if fraction > 1:
        raise BallotFileError(f"{form}；{_shown(value)} 大于 1")
    return fraction


# --- Writing ----------------------------------------------------------------------------


def dump_ballot_file(rules: PollRules, ballots: Iterable[Ballot]) -> dict:
    """The ballot file for a poll and its returned ballots, every field explicit."""
    poll: dict = {"id": rules.id, "title": rules.title, "method": rules.method}
    if rules.method == "approval":
        poll["seats"] = rules.seats
        poll["max_approvals"] = rules.approval_cap
    poll.update(
        entitled=rules.entitled,
        present=rules.present,
        issued=rules.issued,
        quorum={"fraction": _fraction_text(rules.quorum)},
        threshold={
            "base": rules.threshold.base,
            "fraction": _fraction_text(rules.threshold.fraction),
            "strict": rules.threshold.strict,
        },
        candidates=[{"id": c.id, "title": c.title} for c in rules.candidates],
    )
    return {"format": BALLOT_FORMAT, "poll": poll, "ballots": _dump_ballots(ballots)}


def _dump_ballots(ballots: Iterable[Ballot]) -> list[dict]:
    entries = []
    for ballot in ballots:
        entry: dict = {"id": ballot.id}
        if ballot.void:
            entry["void"] = True
            if ballot.marks:
                entry["marks"] = dict(ballot.marks)
        else:
            entry["marks"] = dict(ballot.marks)
        entries.append(entry)
    return entries


def _fraction_text(value: Fraction | int) -> str:
    value = Fraction(value)
    return f"{value.numerator}/{value.denominator}"


def dumps(obj: object) -> str:
    """JSON as the project writes its files: UTF-8 text, indented, final newline."""
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
