"""Operation and maintenance (运维) of an accepted project: its custodians (管护员, 路长…:
deputies or villagers) and the maintenance log.

A defect found within the warranty period (on or before `Project.warranty_until`) becomes a
rectification request (整改, source `warranty`) to the implementing department, with a
deadline; one found after it is only logged (upkeep is then the custodians' and the
village's). The secretariat and the project's own department keep these records; each is a
public history entry of the project.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lifecycle import notification_rules, notifications, projects
from lifecycle.proposals import Who, _event, today
from lifecycle.tables import Custodian, MaintenanceEntry, Rectification
from voting import audit
from voting.database import write_transaction
from voting.errors import Conflict, Refused
from voting.tables import Deputy

MAINTAINED = ("accepted", "evaluated")  # upkeep starts once the works are accepted


async def _project_for_upkeep(project_id: int, who: Who) -> dict[str, Any]:
    project = await projects.get_project(project_id)
    await projects.check_access(project, who)
    if project["stage"] not in MAINTAINED:
        raise Conflict("项目验收通过后才安排管护、记录运维。", code="not_accepted")
    return project


def in_warranty(project: dict[str, Any], on: date) -> bool:
    """Whether a defect found on `on` falls within the warranty period (its last day included)."""
    return project["warranty_until"] is not None and on <= project["warranty_until"]


async def add_custodian(project_id: int, name: str, deputy_id: int | None, duty: str, since: date | None,
                        who: Who) -> int:
    """A custodian: a deputy of the congress (their name from the register when none is typed) or
    a villager by name, with their duty and the date they took it on."""
    name, duty = name.strip(), duty.strip()
    found = []
    if deputy_id is None and not name:
        found.append("请填写管护员姓名，或选择担任管护员的代表。")
    if len(name) > 40:
        found.append("姓名不超过 40 字。")
    if not duty or len(duty) > 100:
        found.append("请填写管护职责（不超过 100 字），如“路长，每周巡查一次”。")
    if since is None:
        found.append("请填写开始管护的日期。")
    elif since > today():
        found.append("开始管护的日期不能晚于今天。")
    if found:
        raise Refused("".join(found), code="custodian_invalid")
    async with write_transaction():
        project = await _project_for_upkeep(project_id, who)
        if deputy_id is not None:
            deputy = await Deputy.select(Deputy.name).where(
                (Deputy.id == deputy_id) & (Deputy.term.congress == project["congress"])).first()
            if deputy is None:
                raise Refused("所选代表不是本级人大的代表。", code="unknown_deputy")
            name = name or deputy["name"]
        row = (await Custodian.insert(Custodian(project=project_id, name=name, deputy=deputy_id, duty=duty,
                                                since=since)).returning(Custodian.id))[0]
        # A deputy's name is public; a villager's is kept off the public history.
        shown = f"人大代表{name}" if deputy_id is not None else "群众管护员"
        await _event(project["proposal"], "custodian", who, text=f"确定管护人员：{shown}，{duty}（自 {since} 起）",
                     detail={"custodian": row["id"]})
        await audit.record(who.actor, "custodian_added", subject=project["title"],
                           detail={"custodian": row["id"], "deputy": deputy_id})
    return row["id"]


async def custodians_of(project_id: int) -> list[dict[str, Any]]:
    return await Custodian.select(Custodian.all_columns(), Custodian.deputy.number.as_alias("deputy_number")).where(
        Custodian.project == project_id).order_by(Custodian.since).order_by(Custodian.id)


async def log_maintenance(project_id: int, on: date | None, note: str, defect: bool, who: Who,
                          due_on: date | None = None) -> int:
    """An entry of the maintenance log. A defect found within the warranty period raises a
    rectification request to the department, due by `due_on` (required then); outside it the
    defect is logged only. Returns the entry's id."""
    note = note.strip()
    found = []
    if on is None:
        found.append("请填写日期。")
    elif on > today():
        found.append("日期不能晚于今天。")
    if not 4 <= len(note) <= 2000:
        found.append("请写明管护情况（4 到 2000 字）。")
    if found:
        raise Refused("".join(found), code="maintenance_invalid")
    assert on is not None
    async with write_transaction():
        project = await _project_for_upkeep(project_id, who)
        rectification = None
        if defect and in_warranty(project, on):
            if due_on is None:
                raise Refused(f"质保期（至 {project['warranty_until']}）内发现的问题由承办部门整改，请填写整改期限。",
                              code="due_required")
            if due_on <= on:
                raise Refused("整改期限应晚于发现问题的日期。", code="due_too_early")
            rectification = (await Rectification.insert(Rectification(
                project=project_id, source="warranty", request=f"质保期内发现问题：{note}", due_on=due_on,
                raised_by=who.actor.label)).returning(Rectification.id))[0]["id"]
            await notifications.tell(notification_rules.rectification_raised(
                notifications.project_facts(project), rectification, f"质保期内发现问题：{note}", due_on, "质保期"))
        row = (await MaintenanceEntry.insert(MaintenanceEntry(
            project=project_id, on=on, note=note, defect=defect, rectification=rectification,
            by=who.actor.label)).returning(MaintenanceEntry.id))[0]
        if rectification is not None:
            text = f"{on} 质保期内发现问题，要求承办部门于 {due_on} 前整改：{note}"
        elif defect:
            outside = "已过质保期" if project["warranty_until"] else "未设质保期"
            text = f"{on} 发现问题（{outside}，不转承办部门整改）：{note}"
        else:
            text = f"{on} 管护记录：{note}"
        await _event(project["proposal"], "maintenance", who, text=text,
                     detail={"entry": row["id"], "rectification": rectification})
        await audit.record(who.actor, "maintenance_logged", subject=project["title"],
                           detail={"entry": row["id"], "defect": defect, "rectification": rectification})
    return row["id"]


async def maintenance_log(project_id: int) -> list[dict[str, Any]]:
    """The log, newest first, each entry with the state of the rectification it raised."""
    return await MaintenanceEntry.select(
        MaintenanceEntry.all_columns(), MaintenanceEntry.rectification.status.as_alias("rectification_status"),
        MaintenanceEntry.rectification.due_on.as_alias("rectification_due_on")).where(
        MaintenanceEntry.project == project_id).order_by(MaintenanceEntry.on, ascending=False).order_by(
        MaintenanceEntry.id, ascending=False)
