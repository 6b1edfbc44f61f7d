"""The acceptance (验收) of a completed project: deputies and voters' representatives inspect it
on site against the plan (content, scale, quality), record findings and a result, and fix the
warranty period (质保期).

A pass (`accepted`, or `accepted_after_rectification`) moves the project to `accepted` and sets
`Project.warranty_until`; a fail (`not_accepted`) sends it back to `implementing` with the
findings as the reason and raises rectification requests (整改) for the department with a
deadline. Each record runs in one transaction with its audit entry and the public history
entry of the move. Only the secretariat (the standing committee's working body) records one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from lifecycle import notification_rules, notifications, projects, stages
from lifecycle.proposals import Who, _event, today
from lifecycle.tables import Acceptance, Project, Rectification
from voting import audit
from voting.database import write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused
from voting.tables import Deputy

CHECKLIST = {"content": "建设内容", "scale": "建设规模", "quality": "工程质量"}
CHECK_LABELS = {True: "符合", False: "不符合"}
RESULTS = {
    "accepted": "验收合格",
    "accepted_after_rectification": "整改后验收合格",
    "not_accepted": "验收不合格",
}
PASSING = frozenset({"accepted", "accepted_after_rectification"})
MAX_WARRANTY_MONTHS = 120
MAX_NOTE = 500
MAX_FINDINGS = 4000
MAX_REPRESENTATIVES = 500


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty_until(held_on: date, months: int) -> date | None:
    """The last day of the warranty period, or None when there is none (0 months)."""
    return add_months(held_on, months) if months > 0 else None


@dataclass(frozen=True)
class CheckItem:
    ok: bool | None  # None: not assessed
    note: str = ""


def read_checklist(checklist: dict[str, Any]) -> dict[str, CheckItem]:
    """{"content": {"ok": True, "note": ""}, ...} as CheckItems; anything unreadable is unassessed."""
    items = {}
    for key in CHECKLIST:
        raw = checklist.get(key) or {}
        ok = raw.get("ok") if isinstance(raw, dict) else None
        note = raw.get("note", "") if isinstance(raw, dict) else ""
        items[key] = CheckItem(ok if isinstance(ok, bool) else None, str(note or "").strip())
    return items


def problems(held_on: date | None, deputy_ids: list[int], representatives: str, checklist: dict[str, CheckItem],
             findings: str, result: str, warranty_months: int | None, rectify_by: date | None,
             on: date) -> list[str]:
    """Every reason the record cannot be saved, in Chinese — pure."""
    found = []
    if held_on is None:
        found.append("请填写验收日期。")
    elif held_on > on:
        found.append("验收日期不能晚于今天。")
    if not deputy_ids:
        found.append("请选择参加验收的人大代表。")
    if len(representatives) > MAX_REPRESENTATIVES:
        found.append(f"群众代表不超过 {MAX_REPRESENTATIVES} 字。")
    for key, label in CHECKLIST.items():
        item = checklist[key]
        if item.ok is None:
            found.append(f"请对“{label}”作出评定（符合或不符合）。")
        elif not item.ok and not item.note:
            found.append(f"“{label}”评定为不符合，请写明问题。")
        if len(item.note) > MAX_NOTE:
            found.append(f"“{label}”的说明不超过 {MAX_NOTE} 字。")
    if len(findings) > MAX_FINDINGS:
        found.append(f"验收意见不超过 {MAX_FINDINGS} 字。")
    if result not in RESULTS:
        found.append("请选择验收结论。")
    elif result == "accepted" and any(item.ok is False for item in checklist.values()):
        found.append("有评定为不符合的项目，验收结论不能为“验收合格”；请选择“整改后验收合格”或“验收不合格”。")
    elif result in ("accepted_after_rectification", "not_accepted") and not findings:
        found.append(f"验收结论为“{RESULTS[result]}”的，须写明验收意见（发现的问题和整改要求）。")
    if warranty_months is None or not 0 <= warranty_months <= MAX_WARRANTY_MONTHS:
        found.append(f"质保期应为 0 到 {MAX_WARRANTY_MONTHS} 个月。")
    if result == "not_accepted" and rectify_by is None:
        found.append("验收不合格的，须填写整改期限。")
    if rectify_by is not None and held_on is not None and rectify_by <= held_on:
        found.append("整改期限应晚于验收日期。")
    return found


def warnings(project: dict[str, Any], reports: list[dict[str, Any]], held_on: date | None) -> list[str]:
    """What an acceptance should not pass over unnoticed — pure. The clerk may still record it,
    once they have confirmed they saw these (record_acceptance's `noted`)."""
    found = []
    latest = reports[-1] if reports else None  # oldest first (lifecycle.projects.reports)
    if latest is None:
        found.append("承办部门没有报送过任何进度报告。")
    elif not latest.get("spent_wan"):
        found.append("最近一次进度报告的已支出资金为 0：项目似乎没有花钱。")
    if held_on is not None and project.get("starts_on") and held_on < project["starts_on"]:
        found.append(f"验收日期 {held_on.isoformat()} 早于实施方案的开工日期 {project['starts_on'].isoformat()}。")
    return found


def rectification_requests(checklist: dict[str, CheckItem], findings: str) -> list[str]:
    """What the department is asked to put right: one request per item found wanting, or the
    findings as a whole when every item was found in order."""
    wanting = [f"验收发现{CHECKLIST[key]}不符合：{item.note}" for key, item in checklist.items() if item.ok is False]
    return wanting or [f"验收意见：{findings}"]


async def _deputies_of(congress_id: int, deputy_ids: list[int]) -> list[dict[str, Any]]:
    if not deputy_ids:
        return []
    return await Deputy.select(Deputy.id, Deputy.name).where(
        Deputy.id.is_in(deputy_ids) & (Deputy.term.congress == congress_id))


async def record_acceptance(project_id: int, held_on: date | None, deputy_ids: list[int], representatives: str,
                            checklist: dict[str, Any], findings: str, result: str, warranty_months: int | None,
                            who: Who, *, rectify_by: date | None = None, noted: bool = False) -> int:
    """Record the acceptance of a completed project; returns the record's id.

    `checklist` maps content/scale/quality to {"ok": bool, "note": str}; a note is needed
    when not ok. `accepted` needs every item in order; `accepted_after_rectification` and
    `not_accepted` need findings. `not_accepted` needs `rectify_by`, the deadline of the
    rectification requests it raises; with `accepted_after_rectification` a `rectify_by`
    raises them too (defects still to put right), without one it raises none. When `warnings`
    finds something (no progress report, nothing spent, a date before the start), the acceptance
    is refused with them (code `acceptance_warnings`) unless `noted`: the clerk confirmed seeing
    them; they then go into the audit entry.
    """
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("验收记录由秘书处（人大常委会工作机构）录入。")
    representatives, findings = representatives.strip(), findings.strip()
    items = read_checklist(checklist)
    deputy_ids = sorted(set(deputy_ids))
    found = problems(held_on, deputy_ids, representatives, items, findings, result, warranty_months, rectify_by,
                     today())
    if found:
        raise Refused("".join(found), code="acceptance_invalid")
    assert held_on is not None and warranty_months is not None
    async with write_transaction():
        project = await projects.get_project(project_id)
        await projects.check_access(project, who)
        # Take the project (a row lock on PostgreSQL): a second acceptance recorded at the same
        # moment waits here, then finds the stage moved on and is refused.
        taken = await Project.update({Project.updated_at: datetime.now(timezone.utc)}).where(
            (Project.id == project_id) & (Project.stage == "completed")).returning(Project.id)
        if not taken:
            raise Conflict(f"项目现在是“{stages.PROJECT_STAGES.get(project['stage'], project['stage'])}”，"
                           "完工待验收的项目才能验收。", code="not_completed")
        present = await _deputies_of(project["congress"], deputy_ids)
        if len(present) != len(deputy_ids):
            raise Refused("所选代表不是本级人大的代表。", code="unknown_deputy")
        noticed = warnings(project, await projects.reports(project_id), held_on)
        if noticed and not noted:
            raise Refused("请注意：" + "".join(noticed) + "如确认无误，请勾选“已知晓以上情况”后再次提交。",
                          code="acceptance_warnings")
        row = (await Acceptance.insert(Acceptance(
            project=project_id, held_on=held_on, deputies=deputy_ids, representatives=representatives,
            checklist={key: {"ok": item.ok, "note": item.note} for key, item in items.items()},
            findings=findings, result=result, warranty_months=warranty_months if result in PASSING else 0,
            by=who.actor.label)).returning(Acceptance.id))[0]
        label = RESULTS[result]
        summary = f"{held_on.isoformat()} 人大代表 {len(deputy_ids)} 名{'和群众代表' if representatives else ''}现场验收，{label}"
        if result in PASSING:
            until = warranty_until(held_on, warranty_months)
            warranty = f"，质保期 {warranty_months} 个月（至 {until.isoformat()}）" if until else "，不设质保期"
            await projects.move_project(project_id, "accepted", who, facts=frozenset({"acceptance"}),
                                        text=f"{summary}{warranty}。" + (f"验收意见：{findings}" if findings else ""))
            await Project.update({Project.warranty_until: until}).where(Project.id == project_id)
        else:
            await projects.move_project(project_id, "implementing", who, findings,
                                        text=f"{summary}，退回继续实施。验收意见：{findings}")
        raised = []
        if rectify_by is not None:
            for request in rectification_requests(items, findings):
                raised.append((await Rectification.insert(Rectification(
                    project=project_id, source="acceptance", request=request, due_on=rectify_by,
                    raised_by=who.actor.label)).returning(Rectification.id))[0]["id"])
                await notifications.tell(notification_rules.rectification_raised(
                    notifications.project_facts(project), raised[-1], request, rectify_by, "验收"))
            await _event(project["proposal"], "rectification", who,
                         text=f"验收提出整改要求 {len(raised)} 项，限 {rectify_by.isoformat()} 前整改完毕。",
                         detail={"acceptance": row["id"], "rectifications": raised})
        await audit.record(who.actor, "acceptance_recorded", subject=project["title"],
                           detail={"acceptance": row["id"], "result": result, "held_on": held_on.isoformat(),
                                   "warranty_months": warranty_months, "rectifications": raised,
                                   "warnings_noted": noticed})
    return row["id"]


async def acceptances_of(project_id: int) -> list[dict[str, Any]]:
    """The project's acceptance records, oldest first (a failed one, then the one that passed)."""
    return await Acceptance.select().where(Acceptance.project == project_id).order_by(
        Acceptance.held_on, Acceptance.id).output(load_json=True)


async def get_acceptance(acceptance_id: int, project_id: int | None = None) -> dict[str, Any]:
    row = await Acceptance.select().where(Acceptance.id == acceptance_id).output(load_json=True).first()
    if row is None or (project_id is not None and row["project"] != project_id):
        raise NotFound("没有这份验收记录。")
    return row


async def deputy_names(deputy_ids: list[int]) -> list[str]:
    """Names in the order of the register (by deputy number)."""
    if not deputy_ids:
        return []
    rows = await Deputy.select(Deputy.name).where(Deputy.id.is_in(list(deputy_ids))).order_by(Deputy.number)
    return [r["name"] for r in rows]


async def deputies_for(congress_id: int) -> list[dict[str, Any]]:
    """The deputies who may be chosen as present: active deputies of the congress's latest term,
    by delegation and number."""
    latest = await Deputy.select(Deputy.term).where(Deputy.term.congress == congress_id).order_by(
        Deputy.term.number, ascending=False).first()
    if latest is None:
        return []
    return await Deputy.select(Deputy.id, Deputy.name, Deputy.number,
                               Deputy.delegation.name.as_alias("delegation_name")).where(
        (Deputy.term == latest["term"]) & (Deputy.active == True)).order_by(  # noqa: E712
        Deputy.delegation.position).order_by(Deputy.delegation.id).order_by(Deputy.number)
