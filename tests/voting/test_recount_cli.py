"""`python -m voting recount FILE`, run as a scrutineer would run it."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from voting.ballot_file import BallotFileError, dump_ballot_file, load_ballot_file

PROJECT = Path(__file__).resolve().parents[2]

SPEC_EXAMPLE = {
    "format": "piaojue-ballots/1",
    "poll": {
        "id": "2025-county-3-project-vote",
        "title": "2025年县民生实事项目票决",
        "method": "approval",
        "seats": 10,
        "max_approvals": 10,
        "entitled": 231,
        "present": 225,
        "issued": 225,
        "quorum": {"fraction": "2/3"},
        "threshold": {"base": "entitled", "fraction": "1/2", "strict": True},
        "candidates": [
            {"id": "P01", "title": "村道硬化工程"},
            {"id": "P02", "title": "老年食堂建设"},
        ],
    },
    "ballots": [
        {"id": "b-7f3a", "marks": {"P01": "for", "P02": "against"}},
        {"id": "b-19c2", "marks": {}},
        {"id": "b-a004", "void": True},
    ],
}


def recount(tmp_path, content):
    path = tmp_path / "ballots.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "voting", "recount", str(path)],
        cwd=PROJECT,
        capture_output=True,
        timeout=60,
    )


def test_spec_example_recounts(tmp_path):
    done = recount(tmp_path, SPEC_EXAMPLE)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    out = done.stdout.decode("utf-8")
    assert out.endswith("}\n")
    assert json.loads(out) == {
        "format": "piaojue-result/1",
        "poll_id": "2025-county-3-project-vote",
        "method": "approval",
        "status": "valid",
        "returned": 3, "valid": 2, "invalid": 1,
        "required": 116,
        "candidates": [
            {"id": "P01", "for": 1, "against": 0, "abstain": 0, "unmarked": 1, "passed": False, "rank": 1},
            {"id": "P02", "for": 0, "against": 1, "abstain": 0, "unmarked": 1, "passed": False, "rank": 2},
        ],
        "winners": [],
        "runoff": [], "runoff_seats": 0, "shortfall": 10,
    }


def test_full_hall_recount_matches_the_spec_result(tmp_path):
    """225 ballots returned, 2 invalid: the figures of the spec's result example."""
    data = copy.deepcopy(SPEC_EXAMPLE)
    data["ballots"] = (
        [{"id": f"f{i}", "marks": {"P01": "for", "P02": "for"}} for i in range(120)]
        + [{"id": f"g{i}", "marks": {"P01": "for"}} for i in range(81)]
        + [{"id": f"a{i}", "marks": {"P01": "against"}} for i in range(12)]
        + [{"id": f"s{i}", "marks": {"P01": "abstain", "P02": "abstain"}} for i in range(6)]
        + [{"id": f"u{i}", "marks": {"P02": "against"}} for i in range(4)]
        + [{"id": "v1", "void": True}, {"id": "v2", "marks": {"P01": "for", "P03": "for"}}]
    )
    done = recount(tmp_path, data)
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert list(result) == [
        "format", "poll_id", "method", "status", "returned", "valid", "invalid", "required",
        "candidates", "winners", "runoff", "runoff_seats", "shortfall",
    ]
    assert (result["status"], result["returned"], result["valid"], result["invalid"]) == ("valid", 225, 223, 2)
    assert result["required"] == 116
    assert result["candidates"][0] == {
        "id": "P01", "for": 201, "against": 12, "abstain": 6, "unmarked": 4, "passed": True, "rank": 1,
    }
    assert result["candidates"][1]["for"] == 120
    assert result["winners"] == ["P01", "P02"]
    assert (result["runoff"], result["runoff_seats"], result["shortfall"]) == ([], 0, 8)


def satisfaction_file(entitled: int) -> dict:
    """One project evaluated, 9 present, 6 of them satisfied."""
    return {
        "format": "piaojue-ballots/1",
        "poll": {
            "id": "2025-eval", "title": "满意度测评", "method": "satisfaction",
            "entitled": entitled, "present": 9, "issued": 9,
            "candidates": [{"id": "S1", "title": "村道硬化工程"}],
        },
        "ballots": [{"id": f"b{i}", "marks": {"S1": "satisfied"}} for i in range(6)],
    }


def test_satisfaction_file_recounts(tmp_path):
    data = satisfaction_file(entitled=10)
    done = recount(tmp_path, data)
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert "required" not in result and "winners" not in result
    assert result["candidates"] == [
        {"id": "S1", "satisfied": 6, "basically_satisfied": 0, "dissatisfied": 0,
         "abstain": 0, "unmarked": 0, "verdict": "satisfied"},
    ]


def with_poll(**changes):
    data = copy.deepcopy(SPEC_EXAMPLE)
    data["poll"].update(changes)
    return data


DUPLICATE_CANDIDATE = with_poll(
    candidates=[{"id": "P01", "title": "村道硬化工程"}, {"id": "P01", "title": "老年食堂建设"}]
)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"format": "piaojue-ballots/1", "poll": {', "JSON"),
        ({**SPEC_EXAMPLE, "format": "piaojue-ballots/2"}, "format"),
        (DUPLICATE_CANDIDATE, "poll.candidates[1].id"),
        (with_poll(seats=0), "poll.seats"),
        (with_poll(threshold={"base": "entitled", "fraction": "2/0", "strict": True}), "poll.threshold.fraction"),
        (with_poll(quorum={"fraction": "a/b"}), "poll.quorum.fraction"),
    ],
    ids=["malformed-json", "unknown-format", "duplicate-candidate", "seats-0", "fraction-2/0", "fraction-a/b"],
)
def test_bad_file_gives_one_chinese_message_and_exit_2(tmp_path, content, named):
    done = recount(tmp_path, content)
    assert done.returncode == 2
    assert done.stdout == b""
    message = done.stderr.decode("utf-8")
    assert message.startswith("错误：")
    assert message.count("\n") == 1 and message.endswith("\n")
    assert named in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message.removeprefix("错误："))


# --- The spec's defaults, field by field ----------------------------------------------------
# 应到 230, 实到 225: more than half of 230 is 116, at least half is 115, more than
# half of 225 is 113, more than two thirds of 230 is 154. Each row leaves some fields
# out; the result must be what the spec's own defaults give for those fields.


@pytest.mark.parametrize(
    ("threshold", "required"),
    [
        ({}, 116),
        ({"base": "entitled"}, 116),
        ({"base": "present"}, 113),
        ({"base": "valid"}, 2),
        ({"fraction": "2/3"}, 154),
        ({"strict": False}, 115),
        ({"base": "entitled", "fraction": "1/2"}, 116),
        ({"base": "entitled", "strict": False}, 115),
        ({"fraction": "1/2", "strict": False}, 115),
        ({"base": "present", "fraction": None, "strict": None}, 113),
        ({"base": "none"}, 0),
        ({"base": "none", "strict": False}, 0),
        ({"base": "none", "fraction": "not a fraction", "strict": "yes"}, 0),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else str(value),
)
def test_threshold_fields_left_out_take_their_own_defaults(tmp_path, threshold, required):
    done = recount(tmp_path, with_poll(entitled=230, threshold=threshold))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    result = json.loads(done.stdout)
    assert result["required"] == required
    # With a bar of 0 every candidate passes; P01 (1 for) wins, P02 (0 for) too.
    assert result["winners"] == (["P01", "P02"] if required == 0 else [])


@pytest.mark.parametrize(
    ("quorum", "present", "status"),
    [
        ({}, 153, "no_quorum"),  # 230 × 2/3 = 153.3…: 153 present is short
        ({}, 154, "valid"),
        ({"fraction": None}, 153, "no_quorum"),
        ({"fraction": "1/2"}, 153, "valid"),
    ],
)
def test_quorum_without_fraction_takes_two_thirds(tmp_path, quorum, present, status):
    data = with_poll(entitled=230, present=present, quorum=quorum)
    done = recount(tmp_path, data)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["status"] == status


def test_satisfaction_threshold_fields_left_out_take_their_own_defaults(tmp_path):
    """Rule 7: 6 of 9 present satisfied clears more than half of 实到 (base given,
    fraction and strictness left out) but not more than half of 应到 13."""
    data = satisfaction_file(entitled=13)
    verdicts = {}
    for name, threshold in (("present", {"base": "present"}), ("default", {"strict": True})):
        data["poll"]["threshold"] = threshold
        done = recount(tmp_path, data)
        assert done.returncode == 0, done.stderr.decode()
        verdicts[name] = json.loads(done.stdout)["candidates"][0]["verdict"]
    assert verdicts == {"present": "satisfied", "default": "dissatisfied"}


def test_missing_file_gives_exit_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "voting", "recount", str(tmp_path / "nowhere.json")],
        cwd=PROJECT, capture_output=True, timeout=60,
    )
    assert done.returncode == 2 and done.stdout == b""
    assert "找不到文件" in done.stderr.decode("utf-8")


# --- The loader's messages, in process ----------------------------------------------------


def load_error(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    with pytest.raises(BallotFileError) as caught:
        load_ballot_file(text)
    return caught.value.message


def without(path, key):
    data = copy.deepcopy(SPEC_EXAMPLE)
    target = data
    for step in path:
        target = target[step]
    del target[key]
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{\n  \"format\": ,\n}", "第 2 行第 13 列"),
        ("[]", "文件顶层 必须是 JSON 对象"),
        (without([], "format"), "缺少字段 format"),
        ({**SPEC_EXAMPLE, "format": "piaojue-result/1"}, "计票结果文件"),
        (without(["poll"], "seats"), "缺少字段 poll.seats"),
        (without(["poll"], "candidates"), "缺少字段 poll.candidates"),
        (without([], "ballots"), "缺少字段 ballots"),
        (with_poll(seats=0), "poll.seats 必须是不小于 1 的整数"),
        (with_poll(seats=True), "poll.seats 必须是不小于 1 的整数"),
        (with_poll(seats="10"), "poll.seats 必须是不小于 1 的整数"),
        (with_poll(max_approvals=0), "poll.max_approvals"),
        (with_poll(method="ranked"), "poll.method"),
        (with_poll(present=232), "poll.present"),
        (with_poll(issued=-1), "poll.issued 必须是不小于 0 的整数"),
        (with_poll(entitled=2.5), "poll.entitled"),
        (with_poll(title=7), "poll.title 必须是字符串"),
        (with_poll(quorum={"fraction": "3/2"}), "poll.quorum.fraction"),
        (with_poll(quorum={"fraction": "0.5"}), "poll.quorum.fraction"),
        (with_poll(threshold={"base": "members", "fraction": "1/2", "strict": True}), "poll.threshold.base"),
        (with_poll(threshold={"fraction": "1/2", "strict": "yes"}), "poll.threshold.strict"),
        (with_poll(threshold={"base": "present", "fraction": "1/0"}), "poll.threshold.fraction"),
        (with_poll(threshold={"base": "entitled", "fraction": "1/2", "strict": "yes"}), "poll.threshold.strict"),
        (with_poll(candidates=[]), "poll.candidates 不能为空"),
        (with_poll(candidates=[{"title": "x"}]), "缺少字段 poll.candidates[0].id"),
        (DUPLICATE_CANDIDATE, "poll.candidates[1].id 「P01」与 poll.candidates[0] 重复"),
        ({**SPEC_EXAMPLE, "ballots": {}}, "ballots 必须是数组"),
        ({**SPEC_EXAMPLE, "ballots": [{"marks": {}}]}, "缺少字段 ballots[0].id"),
        ({**SPEC_EXAMPLE, "ballots": [{"id": "b1"}]}, "缺少字段 ballots[0].marks"),
        ({**SPEC_EXAMPLE, "ballots": [{"id": "b1", "marks": []}]}, "ballots[0].marks 必须是 JSON 对象"),
        ({**SPEC_EXAMPLE, "ballots": [{"id": "b1", "void": "yes"}]}, "ballots[0].void"),
        ({**SPEC_EXAMPLE, "ballots": [{"id": "b1", "marks": {}}, {"id": "b1", "marks": {}}]}, "ballots[1].id"),
        ('{"format": "piaojue-ballots/1", "format": "x"}', "文件顶层 中的键「format」出现了不止一次"),
    ],
)
def test_loader_names_what_is_wrong(data, expected):
    assert expected in load_error(data)


def test_unknown_candidate_or_bad_value_is_an_invalid_ballot_not_a_file_error():
    data = copy.deepcopy(SPEC_EXAMPLE)
    data["ballots"] = [
        {"id": "b1", "marks": {"P09": "for"}},
        {"id": "b2", "marks": {"P01": "yes"}},
        {"id": "b3", "marks": {"P01": 1}},
    ]
    rules, ballots = load_ballot_file(json.dumps(data))
    assert len(ballots) == 3


def test_defaults_are_applied_and_written_back_explicitly():
    data = copy.deepcopy(SPEC_EXAMPLE)
    for key in ("max_approvals", "quorum", "threshold"):
        del data["poll"][key]
    rules, ballots = load_ballot_file(json.dumps(data))
    assert rules.max_approvals == 10
    dumped = dump_ballot_file(rules, ballots)
    assert dumped == SPEC_EXAMPLE
    assert list(dumped["poll"]) == list(SPEC_EXAMPLE["poll"])


def test_unknown_keys_are_ignored_and_a_byte_order_mark_is_tolerated():
    data = copy.deepcopy(SPEC_EXAMPLE)
    data["exported_at"] = "2025-01-10"
    data["poll"]["note"] = {"x": 1}
    rules, ballots = load_ballot_file("\ufeff" + json.dumps(data))
    assert rules.id == "2025-county-3-project-vote" and len(ballots) == 3
