"""A project's life as a state machine: which stage may follow which, who may move it,
and what must be recorded with the move. Pure: no I/O, no clock, no database.

Every move of a proposal goes through `check_move`; the use cases in
`lifecycle.proposals` and `lifecycle.candidate_lists` call it inside the transaction
that makes the move and write the audit entry.

Collection, screening and the candidate list (stages 1–3 of the domain) come first;
the vote itself belongs to `voting`, and its result moves candidates on (`chosen`)
or back to the reserve pool (`reserve`). What follows the vote (implementation to
maintenance) starts at `chosen`.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES: dict[str, str] = {
    "submitted": "已提交，待初审",
    "shortlisted": "初审入围",
    "reserve": "列入储备库",
    "rejected": "不予采纳",
    "merged": "已合并",
    "candidate": "候选项目",
    "chosen": "票决确定",
    "voided": "已作废",
}
TERMINAL = frozenset({"rejected", "merged", "voided"})
PUBLIC_LABELS = STAGES  # every stage name is fit to show the proposer

# Who acts. Citizens have no account; a deputy proposes from the tablet; a screening department
# (初审部门, `screener`) screens proposals; an implementing department (承办部门, `department`)
# carries out its own projects and sees nothing of the proposal pool; the secretariat does what
# both do and runs the candidate list; `system` is the vote's result flowing back.
ROLES = {
    "citizen": "群众",
    "deputy": "人大代表",
    "screener": "初审部门",
    "department": "承办部门",
    "secretariat": "秘书处",
    "admin": "管理员",
    "system": "系统",
}
SCREENERS = frozenset({"screener", "secretariat", "admin"})
SECRETARIAT = frozenset({"secretariat", "admin"})
SYSTEM = frozenset({"system"})


@dataclass(frozen=True)
class Move:
    """One allowed move. `needs` names what must be on record first:

    - ``review``: a complete screening review (every criterion assessed) with no failed one;
    - ``poll``: the move is made by a counted poll (the candidate list or its result).
    """

    source: str
    target: str
    label: str
    roles: frozenset[str]
    reason_required: bool = False
    needs: frozenset[str] = frozenset()


def _move(source: str, target: str, label: str, roles: frozenset[str], *, reason: bool = False,
          needs: tuple[str, ...] = ()) -> Move:
    return Move(source, target, label, roles, reason, frozenset(needs))


MOVES: tuple[Move, ...] = (
    _move("submitted", "shortlisted", "初审入围", SCREENERS, needs=("review",)),
    _move("submitted", "reserve", "列入储备库", SCREENERS, reason=True),
    _move("submitted", "rejected", "不予采纳", SCREENERS, reason=True),
    _move("submitted", "merged", "合并到相似建议", SCREENERS),
    _move("reserve", "shortlisted", "从储备库入围", SCREENERS, needs=("review",)),
    _move("reserve", "rejected", "不予采纳", SCREENERS, reason=True),
    _move("reserve", "merged", "合并到相似建议", SCREENERS),
    _move("shortlisted", "reserve", "退回储备库", SCREENERS, reason=True),
    _move("shortlisted", "rejected", "不予采纳", SCREENERS, reason=True),
    _move("shortlisted", "candidate", "列入候选项目", SECRETARIAT),
    _move("candidate", "shortlisted", "移出候选项目", SECRETARIAT, reason=True),
    _move("candidate", "chosen", "票决确定", SYSTEM, needs=("poll",)),
    _move("candidate", "reserve", "未获票决，转入储备库", SYSTEM, needs=("poll",)),
    # A corrected count (voting.scrutiny) that changes who won moves them again.
    _move("chosen", "reserve", "票决结果更正，转入储备库", SYSTEM, needs=("poll",)),
    _move("reserve", "chosen", "票决结果更正，确定为民生实事项目", SYSTEM, needs=("poll",)),
    _move("chosen", "candidate", "票决结果更正，待另行票决", SYSTEM, needs=("poll",)),
    _move("reserve", "candidate", "票决结果更正，待另行票决", SYSTEM, needs=("poll",)),
    _move("rejected", "submitted", "重新初审", SECRETARIAT, reason=True),
    # A test entry, a duplicate sent twice, abuse: voided, never public; undone with a reason too.
    _move("submitted", "voided", "作废", SECRETARIAT, reason=True),
    _move("reserve", "voided", "作废", SECRETARIAT, reason=True),
    _move("shortlisted", "voided", "作废", SECRETARIAT, reason=True),
    _move("rejected", "voided", "作废", SECRETARIAT, reason=True),
    _move("voided", "submitted", "撤销作废，重新初审", SECRETARIAT, reason=True),
)


class MoveRefused(Exception):
    """A move the rules do not allow; `message` is Chinese and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def moves_from(stage: str, role: str) -> list[Move]:
    """The moves a person in `role` may make from `stage`, in the order listed."""
    return [m for m in MOVES if m.source == stage and role in m.roles]


@dataclass(frozen=True)
class Machine:
    """A set of stages and the moves between them, with the words its refusals use."""

    stages: dict[str, str]
    moves: tuple[Move, ...]
    noun: str  # 建议 / 项目
    reason_note: str  # said when a reason is missing
    needs_text: dict[str, str]

    def check(self, source: str, target: str, role: str, reason: str, facts: frozenset[str]) -> Move:
        if source not in self.stages or target not in self.stages:
            raise MoveRefused("未知的阶段。")
        between = [m for m in self.moves if (m.source, m.target) == (source, target)]
        if not between:
            raise MoveRefused(f"“{self.stages[source]}”的{self.noun}不能直接改为“{self.stages[target]}”。")
        move = next((m for m in between if role in m.roles), None)  # one pair may have a move per role
        if move is None:
            raise MoveRefused(f"{ROLES.get(role, role)}不能{between[0].label}。")
        if move.reason_required and not reason.strip():
            raise MoveRefused(f"{move.label}须写明理由{self.reason_note}。")
        for need in sorted(move.needs - facts):
            raise MoveRefused(self.needs_text[need])
        return move


PROPOSALS = Machine(STAGES, MOVES, "建议", "，理由会告知建议人", {
    "review": "入围前须完成全部初审标准的评估，且没有“不符合”的项。",
    "poll": "只有票决结果能确定项目或转入储备库。",
})


def check_move(source: str, target: str, role: str, *, reason: str = "", facts: frozenset[str] = frozenset()) -> Move:
    """The move of a proposal from `source` to `target`, or MoveRefused saying what is wrong.

    `facts` are what is on record (see `Move.needs`). A reason is stripped before it
    is judged: a reason of spaces is no reason.
    """
    return PROPOSALS.check(source, target, role, reason, facts)


# --- after the vote: a chosen project's own stages --------------------------------------

PROJECT_STAGES: dict[str, str] = {
    "planning": "编制实施方案",
    "implementing": "实施中",
    "suspended": "暂停",
    "completed": "完工待验收",
    "accepted": "已验收",
    "evaluated": "已测评",
    "terminated": "终止",
}
DEPARTMENT = frozenset({"department"})
STAFF = frozenset({"department", "secretariat", "admin"})

# A move needs, besides the role: `plan` (a complete plan: department, dates, budget and
# milestones whose weights add up to 100), `submitted` (the plan sent for review and not returned), `milestones` (every milestone reported at 100 %, or a
# reason on record for reporting completion before that), `decision` (a recorded decision of the standing
# committee or the township congress), `acceptance` (an acceptance record saying accepted)
# or `verdict` (a counted satisfaction poll).
PROJECT_MOVES: tuple[Move, ...] = (
    # The department submits its plan (projects.submit_plan); the secretariat, for the standing
    # committee, publishes it or returns it (projects.return_plan).
    _move("planning", "implementing", "公布实施方案", SECRETARIAT, needs=("plan", "submitted")),
    _move("implementing", "completed", "报告完工", STAFF, needs=("milestones",)),
    _move("completed", "implementing", "退回继续实施", STAFF, reason=True),
    _move("completed", "accepted", "验收通过", SECRETARIAT, needs=("acceptance",)),
    _move("accepted", "evaluated", "满意度测评", frozenset({"system"}), needs=("verdict",)),
    _move("implementing", "suspended", "暂停实施", SECRETARIAT, reason=True, needs=("decision",)),
    _move("suspended", "implementing", "恢复实施", SECRETARIAT, reason=True, needs=("decision",)),
    _move("planning", "terminated", "终止项目", SECRETARIAT, reason=True, needs=("decision",)),
    _move("implementing", "terminated", "终止项目", SECRETARIAT, reason=True, needs=("decision",)),
    _move("suspended", "terminated", "终止项目", SECRETARIAT, reason=True, needs=("decision",)),
    # A corrected count that takes the project's place away, before any plan is published.
    _move("planning", "terminated", "票决结果更正，项目撤销", SYSTEM, reason=True, needs=("poll",)),
)
PROJECTS = Machine(PROJECT_STAGES, PROJECT_MOVES, "项目", "", {
    "plan": "实施方案须填齐承办部门、起止日期、预算和里程碑（各里程碑权重合计为 100）后才能公布。",
    "submitted": "实施方案须先提交审定，审定后才能公布。",
    "milestones": "各里程碑都报告完成 100% 后才能报告完工；确需提前报告的，须写明理由。",
    "decision": "调整、暂停、恢复或终止项目，须先录入常委会（或乡镇人代会）的决定（会议、日期、文号）。",
    "acceptance": "须先录入验收记录，且验收结论为通过。",
    "verdict": "测评结果只能由满意度测评的计票结果写入。",
    "poll": "只有票决结果的更正能撤销项目。",
})


def check_project_move(source: str, target: str, role: str, *, reason: str = "",
                       facts: frozenset[str] = frozenset()) -> Move:
    """The move of a project from `source` to `target`, or MoveRefused saying what is missing."""
    return PROJECTS.check(source, target, role, reason, facts)


def project_moves_from(stage: str, role: str) -> list[Move]:
    return [m for m in PROJECT_MOVES if m.source == stage and role in m.roles]
