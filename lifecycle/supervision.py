"""Supervision of chosen projects (监督): supervision groups, lots drawn for unannounced
inspections, inspections with photos, and rectification requests with deadlines.

Each project has a supervision group (监督小组): one lead deputy and members, deputies of
the project's congress's current term, set by the secretariat. The group inspects (视察)
and records it from the tablet; it raises rectification requests (整改) with a deadline;
the implementing department answers; the group verifies and closes them (销号).

Who may do what:

- set a group: the secretariat;
- draw lots: the secretariat, or a deputy who leads a group of that congress;
- record an inspection, raise a rectification, close one: a member of the project's group
  (lead or member) or the secretariat; only the secretariat may close one that has not been
  answered, and only with a reason;
- answer a rectification: the staff of the project's own department
  (`lifecycle.projects.check_access`) or the secretariat.

Each change is one transaction with its audit entry. Inspections and rectifications
(raised, answered, closed) also go into the proposal's public history (`ProposalEvent`):
the public sees that an inspection happened and a summary of its findings, each request
with its deadline, the department's reply and the closing.

Drawing lots, repeatably: the pool is the congress's projects of the year in stage
`implementing`, ordered by id; the draw is `draw(pool, count, seed)`, i.e.
``random.Random(seed).sample(pool, count)`` with the seed as a text (CPython seeds a
`str` through SHA-512, the same on every platform since Python 3.2). The `LotDraw` row
keeps the seed, the pool in the order used and the ids drawn, so anyone can repeat it:

    python3 -c 'import random; print(random.Random("<seed>").sample([<pool ids>], <count>))'
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

from lifecycle import notification_rules, notifications, projects, stages
from lifecycle.proposals import Who, _event, today
from lifecycle.tables import (
    Inspection,
    LotDraw,
    Project,
    ProjectAttachment,
    Rectification,
    RectificationReply,
    Supervisor,
)
from lifecycle.uploads import MAX_PER_PROPOSAL, StoredUpload
from voting import audit
from voting.database import write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused
from voting.tables import Deputy, Term

GROUP_ROLES = {"lead": "组长", "member": "成员"}
STATUS_LABELS = {"open": "待答复", "replied": "已答复，待核实", "closed": "已销号"}
VERDICT_LABELS = {"": "待核实", "closed": "核实销号", "sent_back": "不予销号"}
SEND_BACK_CHARS = (4, 1000)
SOURCES = {"inspection": "视察", "acceptance": "验收", "warranty": "质保期", "evaluation": "满意度测评"}
# Stages in which a group inspects: from the plan (年初问计划) to completion awaiting acceptance.
INSPECTED_STAGES = frozenset({"planning", "implementing", "suspended", "completed"})
DRAW_STAGE = "implementing"
MAX_PHOTOS = MAX_PER_PROPOSAL
FINDINGS_CHARS = (10, 4000)
REQUEST_CHARS = (4, 2000)
REPLY_CHARS = (4, 4000)
MAX_NOTE_CHARS = 1000
MAX_OTHERS_CHARS = 500
MAX_DRAW = 50
SUMMARY_CHARS = 200  # of the findings, in the public history



def _now() -> datetime:
    return datetime.now(timezone.utc)


def cn_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _short(text: str, limit: int = SUMMARY_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "……"


# --- the group ---------------------------------------------------------------------------


async def group_of(project_id: int) -> list[dict[str, Any]]:
    """The project's supervision group, the lead first: deputy id, name, number, role."""
    rows = await Supervisor.select(Supervisor.deputy, Supervisor.role, Supervisor.deputy.name.as_alias("name"),
                                   Supervisor.deputy.number.as_alias("number")).where(
        Supervisor.project == project_id).order_by(Supervisor.id)
    return sorted(rows, key=lambda r: r["role"] != "lead")


async def role_in_group(project_id: int, deputy_id: int | None) -> str | None:
    """'lead', 'member' or None."""
    if deputy_id is None:
        return None
    row = await Supervisor.select(Supervisor.role).where(
        (Supervisor.project == project_id) & (Supervisor.deputy == deputy_id)).first()
    return row["role"] if row else None


async def _check_group_or_secretariat(project: dict[str, Any], who: Who, doing: str) -> None:
    if who.role in stages.SECRETARIAT:
        return
    if who.role == "deputy" and await role_in_group(project["id"], who.actor.id):
        return
    raise Forbidden(f"您不是“{project['title']}”监督小组的成员，不能{doing}。")


async def current_term(congress_id: int) -> int | None:
    """The congress's current term: the one with the highest number."""
    row = await Term.select(Term.id).where(Term.congress == congress_id).order_by(
        Term.number, ascending=False).first()
    return row["id"] if row else None


async def set_group(project_id: int, lead_deputy_id: int | None, member_ids: Sequence[int], who: Who) -> None:
    """Set (or replace) a project's supervision group: a lead deputy and members, all deputies
    of the current term of the project's congress, nobody twice."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("监督小组由秘书处（人大常委会工作机构）设定。")
    if lead_deputy_id is None:
        raise Refused("请确定监督小组组长。", code="no_lead")
    members = list(member_ids)
    if lead_deputy_id in members:
        raise Refused("组长不必再列为成员：同一位代表不能在小组里担任两种职务。", code="twice")
    if len(set(members)) != len(members):
        raise Refused("成员名单中有重复的代表。", code="twice")
    chosen = [lead_deputy_id, *members]
    async with write_transaction():
        project = await projects.get_project(project_id)
        term = await current_term(project["congress"])
        known = {d["id"] for d in await Deputy.select(Deputy.id).where(
            (Deputy.term == (term or -1)) & Deputy.id.is_in(chosen) & (Deputy.active == True))}  # noqa: E712
        if known != set(chosen):
            raise Refused("所选代表不都是本届人大代表，请核对代表证号。", code="unknown_deputy")
        await Supervisor.delete().where(Supervisor.project == project_id)
        await Supervisor.insert(Supervisor(project=project_id, deputy=lead_deputy_id, role="lead"),
                                *[Supervisor(project=project_id, deputy=d, role="member") for d in members])
        await audit.record(who.actor, "supervision_group_set", subject=project["title"],
                           detail={"project": project_id, "lead": lead_deputy_id, "members": members})


async def groups_of_deputy(deputy_id: int) -> list[dict[str, Any]]:
    """The projects whose supervision group the deputy is in: the project's columns, `role`
    (lead | member), `role_label` and `open_rectifications` (not yet closed)."""
    rows = await Supervisor.select(Supervisor.project, Supervisor.role).where(
        Supervisor.deputy == deputy_id).order_by(Supervisor.project)
    if not rows:
        return []
    role = {r["project"]: r["role"] for r in rows}
    found = await Project.select(Project.all_columns(), Project.proposal.code.as_alias("code"),
                                 Project.department.name.as_alias("department_name")).where(
        Project.id.is_in(list(role))).order_by(Project.id)
    counts: dict[int, int] = {}
    for r in await Rectification.select(Rectification.project).where(
            Rectification.project.is_in(list(role)) & (Rectification.status != "closed")):
        counts[r["project"]] = counts.get(r["project"], 0) + 1
    return [{**p, "role": role[p["id"]], "role_label": GROUP_ROLES[role[p["id"]]],
             "open_rectifications": counts.get(p["id"], 0)} for p in found]


async def leads_in(deputy_id: int, congress_id: int) -> bool:
    """Whether the deputy leads a supervision group of a project of this congress."""
    return await Supervisor.exists().where(
        (Supervisor.deputy == deputy_id) & (Supervisor.role == "lead") & (Supervisor.project.congress == congress_id))


# --- lots ----------------------------------------------------------------------------------


def draw(pool_ids: Sequence[int], count: int, seed: str) -> list[int]:
    """The projects drawn: `random.Random(seed).sample(pool, count)`. Pure and repeatable:
    the same pool (in the same order), count and seed give the same draw anywhere."""
    return random.Random(seed).sample(list(pool_ids), count)


async def draw_pool(congress_id: int, year: int) -> list[int]:
    """The projects a draw is made from: the congress's projects of the year being implemented, by id."""
    rows = await Project.select(Project.id).where(
        (Project.congress == congress_id) & (Project.year == year) & (Project.stage == DRAW_STAGE)).order_by(
        Project.id)
    return [r["id"] for r in rows]


async def draw_years(congress_id: int) -> list[int]:
    rows = await Project.select(Project.year).where(
        (Project.congress == congress_id) & (Project.stage == DRAW_STAGE)).distinct().order_by(Project.year)
    return [r["year"] for r in rows]


async def draw_lots(congress_id: int, year: int, count: int, who: Who, seed: str | None = None) -> dict[str, Any]:
    """Draw `count` projects by lot for an unannounced inspection and record the draw with its seed."""
    if who.role not in stages.SECRETARIAT and not (
            who.role == "deputy" and await leads_in(who.actor.id or -1, congress_id)):
        raise Forbidden("抽签由秘书处或监督小组组长进行。")
    seed = secrets.token_hex(8) if seed is None else seed.strip()
    if not seed or len(seed) > 64:
        raise Refused("抽签种子不能为空，且不超过 64 个字符。", code="bad_seed")
    async with write_transaction():
        pool = await draw_pool(congress_id, year)
        if not pool:
            raise Conflict(f"{year} 年度没有实施中的项目可以抽签。", code="empty_pool")
        if not 1 <= count <= min(len(pool), MAX_DRAW):
            raise Refused(f"抽取数量应在 1 到 {min(len(pool), MAX_DRAW)} 之间（实施中的项目共 {len(pool)} 个）。",
                          code="bad_count")
        drawn = draw(pool, count, seed)
        row = (await LotDraw.insert(LotDraw(congress=congress_id, year=year, seed=seed, pool=pool, drawn=drawn,
                                            by=who.actor.label)).returning(LotDraw.id))[0]
        await audit.record(who.actor, "lots_drawn", subject=f"{year} 年度",
                           detail={"draw": row["id"], "seed": seed, "pool": pool, "drawn": drawn})
    return await get_draw(row["id"])


async def get_draw(draw_id: int) -> dict[str, Any]:
    row = await LotDraw.select().where(LotDraw.id == draw_id).output(load_json=True).first()
    if row is None:
        raise NotFound("没有这次抽签。")
    return row


def repeats(row: dict[str, Any]) -> bool:
    """Whether a stored draw is what `draw` gives for its pool, count and seed."""
    return draw(row["pool"], len(row["drawn"]), row["seed"]) == list(row["drawn"])


async def draws(congress_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The congress's recent draws, newest first, with the titles of the projects drawn."""
    rows = await LotDraw.select().where(LotDraw.congress == congress_id).order_by(
        LotDraw.id, ascending=False).limit(limit).output(load_json=True)
    ids = sorted({i for r in rows for i in r["drawn"]})
    titles = {p["id"]: p["title"] for p in await Project.select(Project.id, Project.title).where(
        Project.id.is_in(ids))} if ids else {}
    return [{**r, "drawn_titles": [(i, titles.get(i, f"项目 {i}")) for i in r["drawn"]], "repeats": repeats(r)}
            for r in rows]


# --- inspections ----------------------------------------------------------------------------


def inspection_problems(held_on: date, deputy_ids: Sequence[int], others: str, findings: str, on: date,
                        photos: Sequence[StoredUpload] = ()) -> list[str]:
    """What keeps an inspection record from being saved, before anything is stored — pure."""
    others, findings = others.strip(), findings.strip()
    problems = []
    if not FINDINGS_CHARS[0] <= len(findings) <= FINDINGS_CHARS[1]:
        problems.append(f"视察发现的情况请写 {FINDINGS_CHARS[0]} 到 {FINDINGS_CHARS[1]} 字。")
    if len(others) > MAX_OTHERS_CHARS:
        problems.append(f"其他参加人员不超过 {MAX_OTHERS_CHARS} 字。")
    if held_on > on:
        problems.append("视察日期不能晚于今天。")
    if not deputy_ids:
        problems.append("请勾选参加视察的代表。")
    if len(photos) > MAX_PHOTOS:
        problems.append(f"每次视察最多附 {MAX_PHOTOS} 张照片。")
    if any(not p.is_image for p in photos):
        problems.append("视察记录只能附照片（JPG、PNG、WebP）。")
    return problems


async def record_inspection(project_id: int, held_on: date, deputy_ids: Sequence[int], others: str, findings: str,
                            unannounced: bool, lot_draw_id: int | None, who: Who,
                            photos: tuple[StoredUpload, ...] = ()) -> int:
    """Record an inspection by the project's group: the date, the deputies who went (group
    members), others present, the findings and photos. Returns the inspection id."""
    others, findings = others.strip(), findings.strip()
    went = list(dict.fromkeys(deputy_ids))
    problems = inspection_problems(held_on, went, others, findings, today(), photos)
    async with write_transaction():
        project = await projects.get_project(project_id)
        await _check_group_or_secretariat(project, who, "记录视察")
        if problems:
            raise Refused("".join(problems), code="inspection_invalid")
        if project["stage"] not in INSPECTED_STAGES:
            raise Conflict(f"项目处于“{stages.PROJECT_STAGES.get(project['stage'], project['stage'])}”阶段，"
                           "不再记录监督小组视察。", code="not_supervised")
        members = {m["deputy"] for m in await group_of(project_id)}
        if not set(went) <= members:
            raise Refused("参加视察的代表须是这个项目监督小组的成员。", code="not_members")
        drawn_by_lot = None
        if lot_draw_id is not None:
            drawn_by_lot = await LotDraw.select().where(LotDraw.id == lot_draw_id).output(load_json=True).first()
            if drawn_by_lot is None or drawn_by_lot["congress"] != project["congress"] \
                    or project_id not in drawn_by_lot["drawn"]:
                raise Refused("这次抽签没有抽中这个项目。", code="not_drawn")
            unannounced = True
        row = (await Inspection.insert(Inspection(
            project=project_id, held_on=held_on, deputies=went, others=others, findings=findings,
            unannounced=unannounced, lot_draw=lot_draw_id, by=who.actor.label)).returning(Inspection.id))[0]
        await projects.attach(project_id, "inspection", row["id"], photos)
        how = "（抽签确定，不打招呼）" if drawn_by_lot else "（不打招呼）" if unannounced else ""
        text = f"{cn_date(held_on)}，监督小组视察{how}：{_short(findings)}"
        if photos:
            text += f"（附照片 {len(photos)} 张）"
        detail: dict[str, Any] = {"inspection": row["id"], "photos": len(photos)}
        if drawn_by_lot:
            detail["lot_draw"] = {"id": lot_draw_id, "seed": drawn_by_lot["seed"]}
        await _event(project["proposal"], "inspection", who, text=text, detail=detail)
        await audit.record(who.actor, "inspection_recorded", subject=project["title"],
                           detail={"inspection": row["id"], "held_on": str(held_on), "deputies": went,
                                   "unannounced": unannounced, "lot_draw": lot_draw_id, "photos": len(photos)})
    return row["id"]


def _photo(row: dict[str, Any]) -> dict[str, Any]:
    return {"sha256": row["sha256"], "name": row["name"], "media_type": row["media_type"], "size": row["size"],
            "is_image": row["media_type"].startswith("image/")}


async def inspections(project_id: int) -> list[dict[str, Any]]:
    """The project's inspections, newest first, each with `photos` and `who_went` (names)."""
    rows = await Inspection.select().where(Inspection.project == project_id).order_by(
        Inspection.held_on, ascending=False).order_by(Inspection.id, ascending=False).output(load_json=True)
    if not rows:
        return []
    photos: dict[int, list[dict[str, Any]]] = {}
    for a in await ProjectAttachment.select().where(
            (ProjectAttachment.project == project_id) & (ProjectAttachment.kind == "inspection")).order_by(
            ProjectAttachment.id):
        photos.setdefault(a["record"], []).append(_photo(a))
    ids = sorted({d for r in rows for d in r["deputies"]})
    names = {d["id"]: d["name"] for d in await Deputy.select(Deputy.id, Deputy.name).where(Deputy.id.is_in(ids))} \
        if ids else {}
    return [{**r, "photos": photos.get(r["id"], []), "who_went": [names.get(d, "") for d in r["deputies"]]}
            for r in rows]


async def supervision_photo(sha256: str) -> dict[str, Any]:
    """An inspection photo, or one a department sent with a rectification reply, by its hash (both
    public records of the supervision), or NotFound."""
    row = await ProjectAttachment.select().where(
        (ProjectAttachment.sha256 == sha256) & ProjectAttachment.kind.is_in(["inspection", "rect_reply"])).first()
    if row is None:
        raise NotFound("没有找到这个附件")
    return row


# --- rectifications ---------------------------------------------------------------------------


async def rectification(rect_id: int) -> dict[str, Any]:
    row = await Rectification.select().where(Rectification.id == rect_id).first()
    if row is None:
        raise NotFound("没有这项整改要求。")
    return row


async def raise_rectification(project_id: int, inspection_id: int | None, request: str, due_on: date, who: Who,
                              source: str = "inspection") -> int:
    """A rectification request with a deadline (after today), from the project's group or the secretariat."""
    request = request.strip()
    if source not in SOURCES:
        raise Refused("未知的整改来源。")
    problems = []
    if not REQUEST_CHARS[0] <= len(request) <= REQUEST_CHARS[1]:
        problems.append(f"整改要求请写 {REQUEST_CHARS[0]} 到 {REQUEST_CHARS[1]} 字。")
    if due_on <= today():
        problems.append("整改期限应在今天之后。")
    async with write_transaction():
        project = await projects.get_project(project_id)
        if not (who.role == "system" and source == "evaluation"):  # a verdict's own rectification
            await _check_group_or_secretariat(project, who, "提出整改要求")
        if problems:
            raise Refused("".join(problems), code="rectification_invalid")
        if project["stage"] == "terminated":
            raise Conflict("项目已终止，不再提出整改要求。", code="terminated")
        if inspection_id is not None and not await Inspection.exists().where(
                (Inspection.id == inspection_id) & (Inspection.project == project_id)):
            raise Refused("所选视察记录不属于这个项目。", code="not_this_project")
        row = (await Rectification.insert(Rectification(
            project=project_id, source=source, inspection=inspection_id, request=request, due_on=due_on,
            status="open", raised_by=who.actor.label)).returning(Rectification.id))[0]
        await _event(project["proposal"], "rectification", who,
                     text=f"提出整改要求（{SOURCES[source]}，限 {cn_date(due_on)} 前完成）：{request}",
                     detail={"rectification": row["id"], "due_on": str(due_on)})
        await notifications.tell(notification_rules.rectification_raised(
            notifications.project_facts(project), row["id"], request, due_on, SOURCES[source]))
        await audit.record(who.actor, "rectification_raised", subject=project["title"],
                           detail={"rectification": row["id"], "due_on": str(due_on), "source": source})
    return row["id"]


def check_reply(reply: str) -> None:
    """A reply's length, checked before its photos are stored — pure."""
    if not REPLY_CHARS[0] <= len(reply.strip()) <= REPLY_CHARS[1]:
        raise Refused(f"整改情况请写 {REPLY_CHARS[0]} 到 {REPLY_CHARS[1]} 字。", code="reply_invalid")


async def reply_rectification(rect_id: int, reply: str, who: Who, photos: tuple[StoredUpload, ...] = ()) -> None:
    """The implementing department (its own projects only) or the secretariat answers, with photos
    of the work if it has them: open → replied. Each answer is a round of its own
    (RectificationReply); one sent back is answered again in a new round."""
    reply = reply.strip()
    if who.role not in stages.SECRETARIAT and who.role != "department":
        raise Forbidden("整改要求由承办部门答复。")
    async with write_transaction():
        rect = await rectification(rect_id)
        project = await projects.get_project(rect["project"])
        await projects.check_access(project, who)
        check_reply(reply)
        if rect["status"] != "open":
            raise Conflict("这项整改要求已经答复过了。" if rect["status"] == "replied" else "这项整改要求已经销号。",
                           code="not_open")
        round_no = await RectificationReply.count().where(RectificationReply.rectification == rect_id) + 1
        row = (await RectificationReply.insert(RectificationReply(
            rectification=rect_id, round=round_no, reply=reply, by=who.actor.label)).returning(
            RectificationReply.id))[0]
        await projects.attach(project["id"], "rect_reply", row["id"], photos)
        await Rectification.update({Rectification.status: "replied", Rectification.reply: reply,
                                    Rectification.replied_at: _now()}).where(Rectification.id == rect_id)
        again = f"第 {round_no} 次" if round_no > 1 else ""
        with_photos = f"（附照片 {len(photos)} 张）" if photos else ""
        event = await _event(project["proposal"], "rect_replied", who,
                             text=f"承办部门{again}答复整改要求“{_short(rect['request'], 60)}”{with_photos}：{reply}",
                             detail={"rectification": rect_id, "round": round_no})
        await notifications.tell(notification_rules.rectification_replied(  # the group verifies it
            notifications.project_facts(project), rect_id, rect["request"],
            tuple(m["deputy"] for m in await group_of(project["id"])), event))
        await audit.record(who.actor, "rectification_replied", subject=project["title"],
                           detail={"rectification": rect_id, "reply_round": round_no, "photos": len(photos)})


async def send_back_rectification(rect_id: int, reason: str, who: Who) -> None:
    """The group (or the secretariat) finds the reply does not settle the request: 不予销号, with
    the reason the department reads; replied → open, and the department answers again."""
    reason = reason.strip()
    async with write_transaction():
        rect = await rectification(rect_id)
        project = await projects.get_project(rect["project"])
        await _check_group_or_secretariat(project, who, "核实整改")
        if rect["status"] != "replied":
            raise Conflict("这项整改要求已经销号。" if rect["status"] == "closed"
                           else "承办部门还没有答复，等答复后再核实。", code="not_replied")
        if not SEND_BACK_CHARS[0] <= len(reason) <= SEND_BACK_CHARS[1]:
            raise Refused(f"不予销号须写明理由（{SEND_BACK_CHARS[0]} 到 {SEND_BACK_CHARS[1]} 字），承办部门会据此再整改。",
                          code="reason_required")
        await _verdict(rect_id, "sent_back", reason, who)
        await Rectification.update({Rectification.status: "open"}).where(Rectification.id == rect_id)
        who_said = "监督小组" if who.role == "deputy" else "秘书处"
        event = await _event(project["proposal"], "rect_sent_back", who,
                             text=f"{who_said}核实，整改要求“{_short(rect['request'], 60)}”不予销号：{reason}",
                             detail={"rectification": rect_id})
        await notifications.tell(notification_rules.rectification_sent_back(
            notifications.project_facts(project), rect_id, rect["request"], reason, event))
        await audit.record(who.actor, "rectification_sent_back", subject=project["title"],
                           detail={"rectification": rect_id}, reason=reason)


async def _verdict(rect_id: int, verdict: str, note: str, who: Who) -> None:
    """What the group made of the latest reply (none yet when the secretariat closes an unanswered request)."""
    latest = await RectificationReply.select(RectificationReply.id).where(
        RectificationReply.rectification == rect_id).order_by(RectificationReply.round, ascending=False).first()
    if latest is not None:
        await RectificationReply.update({RectificationReply.verdict: verdict, RectificationReply.verdict_note: note,
                                         RectificationReply.verdict_by: who.actor.label,
                                         RectificationReply.verdict_at: _now()}).where(
            RectificationReply.id == latest["id"])


async def rounds(rect_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each rectification's rounds, oldest first, each with its photos and verdict label."""
    if not rect_ids:
        return {}
    rows = await RectificationReply.select().where(RectificationReply.rectification.is_in(list(rect_ids))).order_by(
        RectificationReply.round)
    photos: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for a in await ProjectAttachment.select().where(
                (ProjectAttachment.kind == "rect_reply") & ProjectAttachment.record.is_in([r["id"] for r in rows])
        ).order_by(ProjectAttachment.id):
            photos.setdefault(a["record"], []).append(_photo(a))
    found: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["rectification"], []).append(
            {**r, "photos": photos.get(r["id"], []), "verdict_label": VERDICT_LABELS.get(r["verdict"], r["verdict"])})
    return found


async def close_rectification(rect_id: int, who: Who, note: str = "") -> None:
    """The group verifies the department's reply and closes the request (replied → closed).
    One not answered yet only the secretariat may close, and only with a reason."""
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise Refused(f"核实意见不超过 {MAX_NOTE_CHARS} 字。")
    async with write_transaction():
        rect = await rectification(rect_id)
        project = await projects.get_project(rect["project"])
        await _check_group_or_secretariat(project, who, "核实销号")
        if rect["status"] == "closed":
            raise Conflict("这项整改要求已经销号。", code="closed")
        if rect["status"] == "open":
            if who.role not in stages.SECRETARIAT:
                raise Conflict("承办部门还没有答复，不能销号；请等部门答复后再核实。", code="not_replied")
            if not note:
                raise Refused("承办部门尚未答复，秘书处销号须写明理由。", code="reason_required")
        if rect["status"] == "replied":
            await _verdict(rect_id, "closed", note, who)
        await Rectification.update({Rectification.status: "closed", Rectification.closed_at: _now(),
                                    Rectification.closed_by: who.actor.label}).where(Rectification.id == rect_id)
        who_closed = "监督小组" if who.role == "deputy" else "秘书处"
        text = f"{who_closed}核实，整改要求“{_short(rect['request'], 60)}”销号"
        await _event(project["proposal"], "rect_closed", who, text=text + (f"：{note}" if note else ""),
                     detail={"rectification": rect_id})
        await audit.record(who.actor, "rectification_closed", subject=project["title"],
                           detail={"rectification": rect_id, "was": rect["status"]}, reason=note)


def _flagged(row: dict[str, Any], on: date) -> dict[str, Any]:
    overdue = row["status"] != "closed" and row["due_on"] < on
    return {**row, "overdue": overdue, "days_left": (row["due_on"] - on).days,
            "status_label": STATUS_LABELS.get(row["status"], row["status"]),
            "source_label": SOURCES.get(row["source"], row["source"])}


async def rectifications(project_id: int, on: date | None = None) -> list[dict[str, Any]]:
    """All of a project's rectification requests, newest first, each with `overdue` (past its
    deadline and not closed), `days_left`, labels and its `rounds` of reply and verdict."""
    on = on or today()
    rows = await Rectification.select().where(Rectification.project == project_id).order_by(
        Rectification.id, ascending=False)
    by_rect = await rounds([r["id"] for r in rows])
    return [{**_flagged(r, on), "rounds": by_rect.get(r["id"], [])} for r in rows]


async def open_rectifications(*, project_id: int | None = None, department_id: int | None = None,
                              congress_id: int | None = None, on: date | None = None) -> list[dict[str, Any]]:
    """Rectification requests not closed yet (open or replied), overdue ones first, then by deadline;
    with the project's title and department."""
    on = on or today()
    query = Rectification.select(Rectification.all_columns(), Rectification.project.title.as_alias("project_title"),
                                 Rectification.project.department.as_alias("department"),
                                 Rectification.project.department.name.as_alias("department_name")).where(
        Rectification.status != "closed")
    if project_id is not None:
        query = query.where(Rectification.project == project_id)
    if department_id is not None:
        query = query.where(Rectification.project.department == department_id)
    if congress_id is not None:
        query = query.where(Rectification.project.congress == congress_id)
    found = await query
    by_rect = await rounds([r["id"] for r in found])
    rows = [{**_flagged(r, on), "rounds": by_rect.get(r["id"], [])} for r in found]
    return sorted(rows, key=lambda r: (not r["overdue"], r["due_on"], r["id"]))


async def check_department_access(rect_id: int, who: Who) -> dict[str, Any]:
    """The rectification, if `who` may answer it (for pages); Forbidden otherwise."""
    rect = await rectification(rect_id)
    await projects.check_access(await projects.get_project(rect["project"]), who)
    return rect
