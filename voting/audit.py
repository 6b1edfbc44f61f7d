"""The audit log: every state change with who, when and why.

Entries are only ever added. Casting a ballot is deliberately not an entry: the
register (`PollVoter`) already says who voted, and a timestamped line per ballot
would only help someone line deputies up against the ballot box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from voting.tables import AuditEntry


@dataclass(frozen=True)
class Actor:
    kind: str  # staff | deputy | system
    id: int | None
    label: str  # what the audit log shows, e.g. "秘书处 张敏"

    @classmethod
    def system(cls) -> "Actor":
        return cls("system", None, "系统")


ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "login_code_reissued": "重新发放登录码",
    "check_in": "签到",
    "check_in_undone": "撤销签到",
    "sitting_created": "新建全体会议",
    "sitting_opened": "开始全体会议",
    "sitting_closed": "结束全体会议",
    "staff_request_made": "申请补签到或重置登录码（待另一位工作人员批准）",
    "staff_request_approved": "批准补签到或重置登录码",
    "staff_request_withdrawn": "撤回补签到或重置登录码申请",
    "congress_created": "新建人大",
    "term_created": "新建届次",
    "session_created": "新建会议",
    "deputies_imported": "导入代表",
    "poll_created": "新建票决",
    "poll_rules_changed": "修改票决办法",
    "poll_opened": "开始投票",
    "poll_closed": "结束投票并计票",
    "poll_deleted": "删除票决",
    "ballots_printed": "打印选票",
    "demo_loaded": "载入演示数据",
    "rehearsal_created": "新建会前演练",
    "rehearsal_poll_created": "新建演练票决",
    "rehearsal_removed": "删除会前演练数据",
    "notice_issued": "发布公告",
    "round_created": "新建征集",
    "proposal_submitted": "提交建议",
    "proposals_imported": "导入建议",
    "proposal_reviewed": "初审评估",
    "proposal_moved": "建议流转",
    "proposal_merged": "合并建议",
    "proposal_consultation": "共商记录",
    "proposal_signoff": "审定记录",
    "candidate_list_ordered": "调整候选项目顺序",
    "paper_ballot_issued": "发放纸质选票",
    "paper_ballot_voided": "作废纸质选票（换票）",
    "paper_entry_disputed": "纸质选票录入不一致",
    "paper_ballot_ruled": "监票人裁定纸质选票",
    "poll_stopped": "结束投票（录入纸质选票）",
    "scrutiny_set": "确定监票人与计票人",
    "count_confirmed": "监票人确认计票结果",
    "result_published": "公布结果",
    "result_corrected": "更正计票结果",
    "runoff_opened": "开始另行票决",
    "department_created": "新建承办部门",
    "department_staff_assigned": "设定部门账号",
    "plan_saved": "保存实施方案",
    "project_moved": "项目流转",
    "progress_reported": "报送进度",
    "decision_recorded": "录入常委会决定",
    "supervision_group_set": "设定监督小组",
    "lots_drawn": "抽签确定视察项目",
    "inspection_recorded": "记录视察",
    "rectification_raised": "提出整改要求",
    "rectification_replied": "答复整改要求",
    "rectification_closed": "整改销号",
    "acceptance_recorded": "记录验收",
    "evaluation_opened": "发起满意度测评",
    "evaluation_corrected": "按更正结果更新测评结论",
    "custodian_added": "设定管护员",
    "maintenance_logged": "记录管护维护",
    "thresholds_set": "设定红黄绿灯标准",
}


async def record(actor: Actor, action: str, subject: str = "", detail: dict[str, Any] | None = None,
                 reason: str = "") -> None:
    """Add one entry; call inside the transaction that makes the change."""
    await AuditEntry.insert(
        AuditEntry(actor=actor.label, action=action, subject=subject, detail=detail or {}, reason=reason)
    )


async def entries(*, action: str = "", actor: str = "", since: datetime | None = None,
                  until: datetime | None = None, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit).offset(offset)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor.like(f"%{actor}%"))
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return await query
