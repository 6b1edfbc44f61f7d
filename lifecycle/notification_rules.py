"""What to tell whom, and when: the notification centre's rules (通知). Pure: no I/O, no clock.

A use case that changes something calls one of the event rules below with the facts at hand and
stores what it returns (lifecycle.notifications.tell) in the same transaction; the periodic pass
(lifecycle.reminders) feeds the time rules the rows it reads. Each notice carries a `key` naming
its event and its recipient: stored under a unique index, the same event never notifies anyone
twice, however often a scan runs.

Who hears of what:

- the proposer (by the tracking code, on the public tracking page; by SMS too when the contact
  they left holds a mainland mobile number), and the deputy who proposed from the tablet: each
  decision on their proposal (a stage move, with its reason), its merger into another, and each
  decision on the proposal theirs was merged into;
- the implementing department: a rectification raised on its project (by the supervision group,
  an acceptance or a warranty defect) or sent back (不予销号), a rectification or a milestone due
  within `REMIND_DAYS` days, a progress report overdue (`colours.Thresholds.report_every_days`),
  its implementation plan returned;
- the supervision group's deputies: a department's reply to verify; its lead, an overdue report.

An SMS carries only the template's parameters (the tracking code and a short outcome of at most
`SMS_PARAM_CHARS` characters): the template itself is registered with the provider (README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lifecycle import stages

REMIND_DAYS = 3
SMS_PARAM_CHARS = 12  # a template variable's limit for accounts not certified as organisations
SHORT_CHARS = 40
RECIPIENTS = {"proposer": "建议人", "department": "承办部门", "deputy": "人大代表"}

# A decision on a proposal as the proposer reads it: (in the notification, in the SMS).
DECISIONS = {
    "submitted": ("重新进入初审", "重新进入初审"),
    "shortlisted": ("通过初审，列入初选名单", "已列入初选名单"),
    "reserve": ("转入储备库", "已转入储备库"),
    "rejected": ("未予采纳", "未予采纳"),
    "candidate": ("列为候选项目，提交人民代表大会票决", "已列为候选项目"),
    "chosen": ("经人大代表票决，确定为民生实事项目", "经票决确定实施"),
    "voided": ("已作废", "已作废"),
}
MERGED = ("合并办理", "已合并办理")

_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86)?(1[3-9]\d{9})(?!\d)")


@dataclass(frozen=True)
class Recipient:
    kind: str  # proposer (a proposal's id) | department | deputy
    id: int


@dataclass(frozen=True)
class Notice:
    key: str  # the event and the recipient: unique
    to: Recipient
    text: str
    link: str
    sms_phone: str = ""  # +86…, when this notice also goes by SMS
    sms_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposer:
    """A proposal as the rules need it: who to tell, and where they can read it."""

    id: int
    code: str
    title: str
    contact: str = ""  # private: only its mobile number is used, for the SMS
    deputy: int | None = None  # the deputy who proposed it from the tablet


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    title: str
    department: int | None


# --- small pure helpers ------------------------------------------------------------------------


def mobile_number(contact: str) -> str:
    """The mainland mobile number in what a proposer typed as their contact ("王先生 138-1234-5678",
    "+86 13812345678"), as +86 and 11 digits; "" if there is none."""
    found = _MOBILE.search(re.sub(r"[\s\-()（）]", "", contact or ""))
    return f"+86{found.group(1)}" if found else ""


def masked(phone: str) -> str:
    """A phone number as the console shows it: 138****5678."""
    digits = re.sub(r"\D", "", phone or "")
    digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def scrubbed(text: str) -> str:
    """Text from elsewhere (a provider's error) with any run of seven or more digits masked, so a
    phone number it echoes is never stored whole."""
    return re.sub(r"\+?\d{7,}", lambda m: masked(m.group(0)), text or "")


def short(text: str, limit: int = SHORT_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "……"


def cn_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def due_soon(due_on: date, on: date, days: int = REMIND_DAYS) -> bool:
    """Whether a deadline falls today or within the next `days` days."""
    return 0 <= (due_on - on).days <= days


def track_link(code: str) -> str:
    return f"/public/track?code={code}"


# --- events: a decision on a proposal ------------------------------------------------------------


def _to_proposer(proposer: Proposer, key: str, text: str, sms: str) -> list[Notice]:
    """The proposer by tracking code (and SMS when they left a mobile number), and the deputy who
    proposed it, if one did."""
    phone = mobile_number(proposer.contact)
    told = [Notice(f"{key}:proposer-{proposer.id}", Recipient("proposer", proposer.id), text,
                   track_link(proposer.code), phone, (proposer.code, sms[:SMS_PARAM_CHARS]) if phone else ())]
    if proposer.deputy is not None:
        told.append(Notice(f"{key}:deputy-{proposer.deputy}", Recipient("deputy", proposer.deputy), text,
                           track_link(proposer.code)))
    return told


def decision_words(stage_to: str) -> tuple[str, str]:
    label = stages.STAGES.get(stage_to, stage_to)
    return DECISIONS.get(stage_to, (f"办理阶段变为“{label}”", label))


def proposal_decided(proposal: Proposer, stage_to: str, reason: str, event_id: int,
                     merged_in: tuple[Proposer, ...] = ()) -> list[Notice]:
    """A proposal moved to `stage_to` (event `event_id` of its history): its proposer hears the
    decision and its reason, and so does everyone whose proposal was merged into it."""
    outcome, sms = decision_words(stage_to)
    why = f"理由：{reason.strip()}" if reason.strip() else ""
    key = f"proposal-event-{event_id}"
    # A voided entry's wording leaves the public pages, so its notice does not repeat it either.
    named = "" if stage_to == "voided" else f"“{proposal.title}”"
    told = _to_proposer(proposal, key, f"您的建议{named}（查询码 {proposal.code}）{outcome}。{why}", sms)
    for source in merged_in:
        told += _to_proposer(source, key, f"您的建议“{source.title}”已并入“{proposal.title}”（查询码 "
                                          f"{proposal.code}）合并办理，该建议{outcome}。{why}", sms)
    return told


def proposal_merged(source: Proposer, target: Proposer, event_id: int) -> list[Notice]:
    """A duplicate merged into another proposal: its proposer is told where it went on."""
    text = (f"您的建议“{source.title}”（查询码 {source.code}）与内容相近的“{target.title}”（查询码 {target.code}）"
            f"{MERGED[0]}，联名人数合并计算；用您的查询码仍可查看办理进展。")
    return _to_proposer(source, f"proposal-event-{event_id}", text, MERGED[1])


# --- events: a project's department and its supervision group -------------------------------------


def _to_department(project: ProjectFacts, key: str, text: str, link: str) -> list[Notice]:
    if project.department is None:
        return []
    return [Notice(f"{key}:department-{project.department}", Recipient("department", project.department), text,
                   link)]


def rectification_link(project_id: int, rect_id: int) -> str:
    return f"/console/supervision/projects/{project_id}#rect-{rect_id}"


def rectification_raised(project: ProjectFacts, rect_id: int, request: str, due_on: date,
                         source_label: str) -> list[Notice]:
    text = (f"“{project.title}”收到新的整改要求（来源：{source_label}），限 {cn_date(due_on)} 前完成并答复："
            f"{short(request)}")
    return _to_department(project, f"rect-{rect_id}-raised", text, rectification_link(project.id, rect_id))


def rectification_sent_back(project: ProjectFacts, rect_id: int, request: str, reason: str,
                            event_id: int) -> list[Notice]:
    text = (f"“{project.title}”的整改要求“{short(request)}”，答复未获销号（不予销号）：{short(reason, 200)}。"
            "请再次整改并答复。")
    return _to_department(project, f"proposal-event-{event_id}", text, rectification_link(project.id, rect_id))


def rectification_replied(project: ProjectFacts, rect_id: int, request: str, group: tuple[int, ...],
                          event_id: int) -> list[Notice]:
    """The department answered: the supervision group verifies (销号 or 不予销号)."""
    text = f"您监督的“{project.title}”：承办部门答复了整改要求“{short(request)}”，请核实后销号或不予销号。"
    return [Notice(f"proposal-event-{event_id}:deputy-{deputy}", Recipient("deputy", deputy), text,
                   f"/tablet/supervision/projects/{project.id}") for deputy in group]


def plan_returned(project: ProjectFacts, reason: str, event_id: int) -> list[Notice]:
    text = f"“{project.title}”的实施方案被退回修改：{short(reason, 200)}"
    return _to_department(project, f"proposal-event-{event_id}", text, f"/console/projects/{project.id}#plan")


# --- time: deadlines near and reports overdue -------------------------------------------------------


def _days(due_on: date, on: date) -> str:
    left = (due_on - on).days
    return "今天到期" if left == 0 else f"还有 {left} 天"


def rectification_due(project: ProjectFacts, rect_id: int, request: str, due_on: date, status: str,
                      on: date) -> list[Notice]:
    """An open rectification (not yet answered) due within REMIND_DAYS days: its department is reminded,
    once per deadline."""
    if status != "open" or not due_soon(due_on, on):
        return []
    text = (f"“{project.title}”的整改要求“{short(request)}”将于 {cn_date(due_on)} 到期（{_days(due_on, on)}），"
            "请按期整改并答复。")
    return _to_department(project, f"rect-{rect_id}-due-{due_on.isoformat()}", text,
                          rectification_link(project.id, rect_id))


def milestone_due(project: ProjectFacts, milestone_id: int, title: str, percent: int, due_on: date,
                  stage: str, on: date) -> list[Notice]:
    """A milestone of a project being implemented, not finished, due within REMIND_DAYS days; a
    decision that moves its date makes a new deadline, reminded of again."""
    if stage != "implementing" or percent >= 100 or not due_soon(due_on, on):
        return []
    text = (f"“{project.title}”的里程碑“{short(title)}”计划于 {cn_date(due_on)} 完成（{_days(due_on, on)}），"
            f"目前报告完成 {percent}%。")
    return _to_department(project, f"milestone-{milestone_id}-due-{due_on.isoformat()}", text,
                          f"/console/projects/{project.id}")


def report_overdue(project: ProjectFacts, since: date, every_days: int, on: date,
                   lead: int | None) -> list[Notice]:
    """A progress report overdue (`since`: the last report, or the start): the department and the
    group's lead are told once for each report missed, i.e. again only after a report came and
    the next one is late in its turn. The caller decides that it is overdue
    (lifecycle.projects.report_due)."""
    key = f"project-{project.id}-report-after-{since.isoformat()}"
    late = f"已超过 {every_days} 天没有报送进度（上次：{cn_date(since)}）"
    told = _to_department(project, key, f"“{project.title}”{late}，请尽快报送进度报告。",
                          f"/console/projects/{project.id}#report")
    if lead is not None:
        told.append(Notice(f"{key}:deputy-{lead}", Recipient("deputy", lead),
                           f"您任组长监督的“{project.title}”{late}。", f"/tablet/supervision/projects/{project.id}"))
    return told
