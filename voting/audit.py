"""The audit log: every state change with who, when and why.

Entries are only ever added. Casting a ballot is deliberately not an entry: the
register (`PollVoter`) already says who voted, and a timestamped line per ballot
would only help someone line deputies up against the ballot box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from voting import audit_chain
from voting.tables import AuditEntry


# What each key of an entry's `detail` means, as the console's audit log labels it (the values
# are worded by web/audit_log.py). Every action in ACTION_LABELS below and every detail key
# recorded anywhere has its label here: tests/web/test_audit_log.py reads the code to check.
DETAIL_LABELS = {
    # the key ceremony
    "fingerprint": "钥匙指纹", "key_fingerprint": "钥匙指纹", "threshold": "开启所需钥匙卡数", "cards": "钥匙卡张数",
    "holders": "持卡人", "before": "原值", "after": "新值", "signing_key": "签名钥匙指纹",
    # a congress's second language (voting.translations)
    "language": "语言", "sources": "译文对应的中文",
    "passed": "演练通过", "accepted": "接受的选票", "throughput": "每秒选票数", "p99": "99% 响应时间（秒）",
    # who and where
    "client": "终端地址", "by": "确认人", "how": "方式", "deputy": "代表", "deputies": "代表",
    "chief": "总监票人", "scrutineers": "监票人", "counters": "计票人", "lead": "组长", "members": "成员",
    "congress": "人大", "session": "会议", "department": "部门", "source": "来源",
    # polls and their count
    "poll": "票决", "runoff_poll": "另行票决", "method": "投票方式", "seats": "应选数", "candidates": "候选项目",
    "status": "计票结论", "returned": "收回选票", "winners": "确定的项目", "sha256": "选票文件 SHA-256",
    "changed": "修改内容", "order": "排列顺序",
    # a poll's rules (the keys of poll_rules_changed's `changed`)
    "title": "名称", "max_approvals": "每票最多赞成", "non_competitive": "等额票决", "threshold_base": "门槛基数",
    "threshold_fraction": "门槛比例", "threshold_strict": "须超过比例", "quorum_fraction": "法定人数比例",
    "show_running_totals": "大屏显示实时票数",
    # paper ballots
    "run": "印制批次", "count": "数量", "first": "起始编号", "last": "终止编号", "serial": "选票编号",
    "void": "作废", "switched_from_tablet": "由平板改发纸质选票",
    "opened_sealed_link": "用钥匙卡开启了封存的录入内容",
    # the roster and rehearsals
    "added": "新增", "updated": "更新", "delegations_added": "新增代表团", "unchanged": "未变", "skipped": "跳过",
    "sitting": "全体会议", "date": "日期", "time": "时间", "entitled": "应到", "present": "实到",
    "quorum_needed": "法定人数", "requested_by": "申请人", "serials": "选票编号", "approvals": "待批准的补签到与重置登录码", "screen_tallies": "大屏阶段票数", "sittings": "全体会议",
    "ballots": "选票", "sealed_ballots": "加密的平板选票", "keys": "票决钥匙", "register": "投票登记", "paper_entries": "纸质选票录入", "paper_serials": "选票编号登记",
    "confirmations": "监票确认", "corrections": "更正记录", "notices": "公告", "scrutiny": "监票人员",
    "check_ins": "签到", "logins": "登录会话", "login_links": "登录链接", "polls": "票决", "sessions": "会议",
    "delegations": "代表团", "terms": "届次", "help_requests": "协助请求", "place": "所在页面",
    # proposals and projects
    "release_after_hours": "自动公开等待（小时）", "attachment": "附件", "name": "文件名",
    "description": "内容", "township": "乡镇（街道）", "village": "村（社区）", "category": "类别",
    "cost_wan": "估算投资（万元）", "beneficiaries": "受益人数",
    "round": "征集", "channel": "征集渠道", "filename": "文件名", "opens_on": "开始日期", "closes_on": "截止日期",
    "assessments": "初审评估", "from": "原阶段", "to": "新阶段", "into": "并入", "meeting": "会议记录",
    "project": "项目", "projects": "项目", "year": "年度", "period": "报告期", "progress": "总体进度（%）",
    "kind": "决定类别", "document": "决定文件", "custodian": "管护员记录", "entry": "运维记录", "defect": "发现缺陷",
    "rectification": "整改要求", "rectifications": "整改要求", "was": "原状态", "due_on": "整改期限",
    "draw": "抽签记录", "seed": "抽签种子", "pool": "参加抽签的项目", "drawn": "抽中的项目",
    "inspection": "视察记录", "held_on": "日期", "unannounced": "不打招呼", "lot_draw": "抽签记录",
    "photos": "照片", "acceptance": "验收记录", "result": "验收结论", "warranty_months": "质保期（月）",
    "warnings_noted": "录入人已知晓的提醒", "repeats_confirmed": "确认为新建议的行（与已有建议相同）",
    "yellow_gap": "黄灯差距（百分点）", "red_gap": "红灯差距（百分点）", "near_days": "临近期限（天）",
    "report_every_days": "报告周期（天）", "rectify_basically": "基本满意也要求整改",
    "verdict_rectify_days": "测评后整改期限（天）", "reply_round": "第几次答复",
    # notifications and SMS (lifecycle.notifications, lifecycle.sms)
    "sms": "短信", "attempts": "发送次数", "reminders": "新提醒", "sent": "已发送", "queued": "待重试",
    "failed": "发送失败",
}


@dataclass(frozen=True)
class Actor:
    kind: str  # staff | deputy | system
    id: int | None
    label: str  # what the audit log shows, e.g. "秘书处 张敏"

    @classmethod
    def system(cls) -> "Actor":
        return cls("system", None, "系统")


ACTION_LABELS = {
    "key_ceremony_held": "生成钥匙卡（钥匙仪式）",
    "key_ceremony_repeated": "重新生成钥匙卡",
    "key_threshold_set": "设定开启所需钥匙卡数",
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
    "rehearsal_reported": "记录会前演练结果",
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
    "paper_ballots_returned_unused": "登记交回的空白选票",
    "paper_ballot_not_returned": "登记未交回的选票",
    "paper_entry_disputed": "纸质选票录入不一致",
    "paper_ballot_ruled": "监票人裁定纸质选票",
    "poll_stopped": "结束投票（录入纸质选票）",
    "scrutiny_set": "确定监票人与计票人",
    "count_confirmed": "监票人确认计票结果",
    "help_requested": "代表请求协助",
    "second_language_set": "设定第二语言",
    "translations_entered": "录入译文",
    "help_given": "工作人员已到场协助",
    "paper_links_sealed": "加密封存纸质选票编号与录入内容的对应",
    "result_published": "公布结果",
    "result_corrected": "更正计票结果",
    "runoff_opened": "开始另行票决",
    "department_created": "新建承办部门",
    "department_staff_assigned": "设定部门账号",
    "plan_saved": "保存实施方案",
    "plan_submitted": "提交实施方案审定",
    "proposer_contact_viewed": "查看建议人姓名和联系方式",
    "proposal_released": "审核公开建议",
    "proposal_hidden": "隐藏建议（不公开）",
    "proposal_unhidden": "恢复公开建议",
    "attachment_hidden": "隐藏建议附件",
    "attachment_shown": "恢复公开建议附件",
    "proposal_corrected": "更正建议内容",
    "plan_returned": "退回实施方案",
    "project_moved": "项目流转",
    "progress_reported": "报送进度",
    "decision_recorded": "录入常委会决定",
    "supervision_group_set": "设定监督小组",
    "lots_drawn": "抽签确定视察项目",
    "inspection_recorded": "记录视察",
    "rectification_raised": "提出整改要求",
    "rectification_replied": "答复整改要求",
    "rectification_closed": "整改销号",
    "rectification_sent_back": "整改不予销号",
    "acceptance_recorded": "记录验收",
    "evaluation_opened": "发起满意度测评",
    "evaluation_corrected": "按更正结果更新测评结论",
    "custodian_added": "设定管护员",
    "maintenance_logged": "记录管护维护",
    "thresholds_set": "设定红黄绿灯标准和测评后整改",
    "notifications_read": "通知标为已读",
    "reminders_made": "生成到期和逾期提醒",
    "sms_sent": "短信已发送",
    "sms_failed": "短信发送失败",
    "notifications_pass_run": "立即发送短信并检查提醒",
}


# Held while an entry reads the chain's head and adds itself, so two writers never fork the
# chain (PostgreSQL; SQLite has one writer at a time anyway). Released at commit.
CHAIN_LOCK = 0x70_6A_61_75  # "pjau"


async def record(actor: Actor, action: str, subject: str = "", detail: dict[str, Any] | None = None,
                 reason: str = "") -> None:
    """Add one entry, chained to the one before (voting.audit_chain); call inside the
    transaction that makes the change."""
    from voting.database import fetch, is_sqlite, write_transaction

    async with write_transaction():
        if not is_sqlite():
            await fetch("SELECT pg_advisory_xact_lock({})", CHAIN_LOCK)
        prev = await head()
        at = datetime.now(timezone.utc)
        detail = detail or {}
        await AuditEntry.insert(AuditEntry(
            at=at, actor=actor.label, action=action, subject=subject, detail=detail, reason=reason, prev_hash=prev,
            entry_hash=audit_chain.entry_hash(prev, at, actor.label, action, subject, detail, reason)))


async def head() -> str:
    """The chain's head: the newest entry's hash (GENESIS while the log is empty)."""
    row = await AuditEntry.select(AuditEntry.entry_hash).order_by(AuditEntry.id, ascending=False).first()
    return row["entry_hash"] if row else audit_chain.GENESIS


async def check_chain() -> audit_chain.ChainCheck:
    """Walk the whole log and recompute every link."""
    rows = await AuditEntry.select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                                   AuditEntry.subject, AuditEntry.detail, AuditEntry.reason, AuditEntry.prev_hash,
                                   AuditEntry.entry_hash).order_by(AuditEntry.id)
    return audit_chain.check(rows)


async def has_head(digest: str) -> bool:
    """Whether `digest` (or, as typed from paper, its first 16 or more hex digits) is a link of the chain."""
    if digest == audit_chain.GENESIS:
        return True
    if len(digest) == 64:
        return await AuditEntry.exists().where(AuditEntry.entry_hash == digest)
    return await AuditEntry.exists().where(AuditEntry.entry_hash.like(f"{digest}%"))


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
