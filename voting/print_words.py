"""The printed documents' words that a congress with a second language translates: the paper
ballot, the tally sheet and the presidium's notice (voting.vocabulary). Each is the Chinese
exactly as printed; {name} is a figure the software fills in, in both languages.

A sentence the printout assembles from parts (the rules sentence, the notice's first paragraph)
is listed whole, once per form it takes, so the translation office translates sentences and not
fragments whose word order only fits Chinese. The rules sentence (voting.poll_settings.describe)
has ten forms per method: `rules_sentence` gives a poll's form and its figures, and the tests
check that it fills in to exactly what `describe` prints.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

# --- the paper ballot (reports.ballots) ----------------------------------------------------------

BALLOT_COMMON = (
    "序号",
    "弃权",
)
BALLOT_APPROVAL = (
    "选票",
    "候选项目",
    "赞成",
    "不赞成",
    "每个项目在“赞成”“不赞成”“弃权”中只选一项，在该格内划“○”；不划的视为未表态。",
    "赞成的项目不得超过 {cap} 个，超过的本张选票无效；请勿在选票上写姓名或作其他记号。",
)
BALLOT_SATISFACTION = (
    "满意度测评表",
    "测评项目",
    "满意",
    "基本满意",
    "不满意",
    "每个项目在“满意”“基本满意”“不满意”“弃权”中只选一项，在该格内划“○”；不划的视为未表态。",
    "请勿在测评表上写姓名或作其他记号。",
)

# --- the rules sentence, as voting.poll_settings.describe words it --------------------------------

BASES = {"entitled": "全体代表", "present": "出席代表", "valid": "有效票"}  # THRESHOLD_BASES, short


def _bar(kind: str) -> str:
    """How much of the base a threshold asks for: 过半数, 超过2/3, 达到2/3以上."""
    return {"half": "过半数", "over": "超过{fraction}", "at_least": "达到{fraction}以上"}[kind]


def _approval_rules(base: str | None, kind: str) -> str:
    bar = "不设得票门槛" if base is None else f"须获{BASES[base]}{_bar(kind)}赞成"
    return f"应选 {{seats}} 个，每张选票最多赞成 {{cap}} 个；{bar}，按赞成票多少依次确定。"


def _satisfaction_rules(base: str | None, kind: str) -> str:
    if base is None:
        return "逐项表示满意、基本满意或不满意；不设得票门槛。"
    share = f"占{BASES[base]}{_bar(kind)}的"
    return (f"逐项表示满意、基本满意或不满意；满意票{share}为满意，"
            f"满意与基本满意票合计{share}为基本满意，其余为不满意。")


KINDS = ("half", "over", "at_least")
RULES_APPROVAL = (_approval_rules(None, ""), *(_approval_rules(b, k) for b in BASES for k in KINDS))
RULES_SATISFACTION = (_satisfaction_rules(None, ""), *(_satisfaction_rules(b, k) for b in BASES for k in KINDS))


def rules_sentence(poll: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The form of the rules sentence a poll prints and the figures it is filled with."""
    from voting.poll_settings import fraction_text, parse_fraction

    base = poll["threshold_base"]
    fraction = parse_fraction(poll["threshold_fraction"]) or Fraction(1, 2)
    strict = bool(poll["threshold_strict"])
    kind = "half" if fraction == Fraction(1, 2) and strict else "over" if strict else "at_least"
    values: dict[str, Any] = {} if base == "none" or kind == "half" else {"fraction": fraction_text(fraction)}
    which = None if base == "none" else base
    if poll["method"] == "approval":
        values.update(seats=poll["seats"], cap=poll.get("max_approvals") or poll["seats"])
        return _approval_rules(which, kind), values
    return _satisfaction_rules(which, kind), values


# --- the tally sheet (templates/print/tally_sheet.html) ------------------------------------------

TALLY = (
    "计票结果报告单",
    "会议",
    "票决",
    "票决办法",
    "计票日期",
    "法定人数为实到不少于应到的{quorum}。",
    "选票情况",
    "应到代表",
    "实到代表",
    "发出选票",
    "收回选票",
    "有效票",
    "无效票",
    "投票方式",
    "发出",
    "收回",
    "平板电脑",
    "纸质选票",
    "合计",
    "票决状态",
    "有效",
    "无效（收回多于发出）",
    "不足法定人数",
    "各项目得票",
    "未表态",
    "总监票人",
    "监票人",
    "计票人",
    "日期",
)
TALLY_APPROVAL = (
    "当选所需赞成票",
    "名次",
    "结果",
    "确定",
    "另行票决",
    "达到规定票数，未入选",
    "未达到规定票数",
    "确定的项目（{count}个，按赞成票多少排列）：",
)
TALLY_SATISFACTION = (
    "项目",
    "测评结果",
)

# --- the presidium's notice (templates/print/notice.html) ----------------------------------------

NOTICE = (
    "主席团公告",
    "（第{number}号）",
    "会议应到代表{entitled}人，实到{present}人，符合法定人数。",
    "会议应到代表{entitled}人，实到{present}人。",
    "共发出选票{issued}张，收回{returned}张，其中有效票{valid}张，无效票{invalid}张。",
    "现予公告。",
)
NOTICE_APPROVAL = (
    "{session}于{year}年{month}月{day}日举行全体会议，以无记名投票方式对《{title}》的{count}个候选项目进行了票决。",
    "因收回选票多于发出选票，本次票决无效。",
    "因出席代表不足法定人数，本次票决无效。",
    "根据票决办法，下列{count}个项目获得赞成票超过规定票数，确定为民生实事项目（按得票多少排列）：",
    "根据票决办法，没有项目获得规定的赞成票数，本次票决未确定项目。",
    "{titles}赞成票相等，将另行票决，确定其余{seats}个项目。",
    "获得规定票数的项目少于应选数{count}个。",
    "因第一轮票决中有项目赞成票相等，会议对其另行票决。根据票决办法，两轮合计确定下列{count}个项目为民生实事项目：",
    "因第一轮票决中有项目赞成票相等，会议对其另行票决（共{rounds}轮）。根据票决办法，两轮合计确定下列{count}个项目为民生实事项目：",
    "{titles}赞成票仍然相等，将再次另行票决。",
)
NOTICE_SATISFACTION = (
    "{session}于{year}年{month}月{day}日举行全体会议，以无记名投票方式对《{title}》的{count}个项目进行了满意度测评。",
    "因收回选票多于发出选票，本次测评无效。",
    "因出席代表不足法定人数，本次测评无效。",
    "测评结果如下：",
)

COMMON: tuple[str, ...] = (*BALLOT_COMMON, *TALLY, *NOTICE)
APPROVAL: tuple[str, ...] = (*BALLOT_APPROVAL, *RULES_APPROVAL, *TALLY_APPROVAL, *NOTICE_APPROVAL)
SATISFACTION: tuple[str, ...] = (*BALLOT_SATISFACTION, *RULES_SATISFACTION, *TALLY_SATISFACTION,
                                 *NOTICE_SATISFACTION)
