"""The public side of proposal collection: propose, track, and read every proposal and its history.

No login here. Anyone may propose while a collection round is open, look a proposal
up by its tracking code and read the public list. Pages get proposals only through
`public_item` and `public_event`, which copy the columns fit to show, so the
proposer's name and contact, the deputy behind a deputy's proposal, the staff
account that acted and the rate limiter's client hashes never reach a template.

The deputy's tablet uses the same form (`templates/public/_proposal_form.html`) and
the same handling (`handle_submission`) with the channel fixed to 代表建议.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lifecycle import colours, dashboard, proposals, publicity, stages, timeline, uploads
from lifecycle import notifications
from lifecycle.life_steps import life_steps
from lifecycle.projects import ADJUSTABLE, DECISION_KINDS
from lifecycle.proposal_input import CATEGORIES, CHANNELS, LIMITS, parse_proposal
from lifecycle.proposals import Filters, Who
from voting.times import BEIJING
from lifecycle.tables import ProposalAttachment
from voting.tables import Congress
from voting.errors import NotFound, Refused
from web.auth import client_of
from web.pages import stored_file, page, whole

log = logging.getLogger("piaojue")

# A proposal's form may carry MAX_PER_PROPOSAL files of MAX_BYTES each, plus its text.
MAX_BODY = uploads.MAX_BYTES * uploads.MAX_PER_PROPOSAL + 1024 * 1024
TEXT_FIELDS = ("title", "description", "township", "village", "category", "cost_wan", "beneficiaries",
               "proposer_name", "contact")
FILE_FIELD = "files"
HONEYPOT = "website"  # hidden by CSS; people leave it empty, form-filling robots do not
NUMBER_CHARS = 12  # maxlength of the cost and beneficiaries inputs
STAGE_ORDER = ("submitted", "shortlisted", "reserve", "candidate", "chosen", "rejected", "merged")
CHART_WIDTH = 300
FILES_NOT_KEPT = "您选择的附件没有保存，请改好后重新选择附件。"
TOO_LARGE = (f"上传的文件太大：每个文件不超过 {uploads.MAX_BYTES // (1024 * 1024)} MB，一次最多 "
             f"{uploads.MAX_PER_PROPOSAL} 个。这次提交没有成功，请返回上一页，换用较小的文件（或少选几个）后再提交。")


# --- showing things in public --------------------------------------------------------


def cn_date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def beijing_time(value: datetime | str | None) -> str:
    """A stored timestamp as Beijing date and time, e.g. 2025年9月3日 14:05."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def public_item(row: dict[str, Any]) -> dict[str, Any]:
    """The columns of a proposal anyone may see, with labels; never the private ones."""
    return {
        "code": row["code"], "title": row["title"], "description": row.get("description", ""),
        "township": row["township"], "village": row.get("village") or "",
        "category": CATEGORIES.get(row["category"], row["category"]),
        "channel": CHANNELS.get(row["channel"], row["channel"]),
        "cost_wan": row.get("cost_wan"), "beneficiaries": row.get("beneficiaries"),
        "supporters": row.get("supporters") or 1, "stage": row["stage"],
        "stage_label": stages.STAGES.get(row["stage"], row["stage"]),
        "decision_reason": row.get("decision_reason") or "", "year": row.get("year"),
        "round_title": row.get("round_title", ""), "submitted_at": beijing_time(row.get("created_at")),
        "received_on": cn_date(row.get("received_on")),
    }


VILLAGER_CUSTODIAN = "确定管护人员：群众管护员"


def public_text(event: dict[str, Any]) -> str:
    """An event's text as the public reads it. A custodian who is not a deputy is a villager,
    named in the stored history: in public only "群众管护员" and the start date show (their
    duty is on the project's page), never the name."""
    text = event["text"] or ""
    if event["kind"] == "custodian" and not text.startswith("确定管护人员：人大代表"):
        since = re.search(r"（自 [0-9-]+ 起）$", text)
        return VILLAGER_CUSTODIAN + (since.group(0) if since else "")
    return text


def public_event(event: dict[str, Any]) -> dict[str, Any]:
    """One entry of the public history: what happened, the role that acted (never the account), when."""
    project_stage = event["kind"] == "project" and event["stage_to"] in stages.PROJECT_STAGES
    return {"kind": event["kind"], "role": stages.ROLES.get(event["role"], "工作人员"), "text": public_text(event),
            "at": beijing_time(event["at"]),
            "stage_to": event["stage_to"] if event["stage_to"] in stages.STAGES or project_stage else "",
            "stage_label": stages.PROJECT_STAGES[event["stage_to"]] if project_stage
            else stages.STAGES.get(event["stage_to"], "")}


def stage_chart(counts: dict[str, int]) -> dict[str, Any]:
    """Counts by stage as the segments of one horizontal bar (an SVG `CHART_WIDTH` wide)."""
    total = sum(counts.values())
    segments, x = [], 0.0
    for stage in STAGE_ORDER:
        n = counts.get(stage, 0)
        if not n:
            continue
        width = CHART_WIDTH * n / total
        segments.append({"stage": stage, "label": stages.STAGES[stage], "n": n, "x": round(x, 2),
                         "width": round(width, 2)})
        x += width
    return {"total": total, "segments": segments, "width": CHART_WIDTH}


async def _attachments(proposal_id: int) -> list[dict[str, Any]]:
    """The files of a proposal the public may open (not those staff hid)."""
    return [{"sha256": a["sha256"], "name": a["name"], "is_image": a["media_type"].startswith("image/"),
             "kind": uploads.KINDS.get(a["kind"], ("", a["kind"]))[1].upper(),
             "size": f"{a['size'] / (1024 * 1024):.1f} MB" if a["size"] >= 102400 else f"{a['size'] // 1024 + 1} KB"}
            for a in await proposals.attachments(proposal_id, public=True)]


def shown_item(row: dict[str, Any]) -> dict[str, Any]:
    """`public_item` with its standing in public (lifecycle.publicity); the wording is left out
    of a hidden or voided proposal, whose page shows only the code, the stage, the reason and
    the history."""
    standing = proposals.publicity_of(row)
    item = {**public_item(row), "publicity": standing.state, "publicity_text": standing.text,
            "hidden_reason": row["hidden_reason"], "shows_content": publicity.shows_content(standing.state, row["stage"])}
    if not item["shows_content"]:
        item.update(title=publicity.HIDDEN_WORDING, description="", village="", cost_wan=None, beneficiaries=None)
    return item


async def tracked(code: str) -> dict[str, Any]:
    """What the track and item pages show for a code (NotFound if there is none). A code is
    the proposer's: it finds a proposal not yet released too, with a note saying so."""
    found = await proposals.track(code)
    own, current = found["own"], found["current"]
    item = shown_item(own)
    return {
        "item": item,
        "own_title": own["title"],
        "history": [public_event(e) for e in found["history"]],
        "merged": own["id"] != current["id"],
        "current": shown_item(current),
        "current_history": [public_event(e) for e in found["current_history"]],
        "attachments": await _attachments(own["id"]) if item["shows_content"] else [],
        "project_code": await timeline.project_code_of(current["id"]) if current["stage"] == "chosen" else None,
    }


# --- chosen projects in public: the list and each project's whole life ---------------------

ACCEPTANCE_RESULTS = {"accepted": "验收通过", "accepted_after_rectification": "整改后验收通过",
                      "not_accepted": "验收未通过"}
CHECKLIST = {"content": "建设内容", "scale": "建设规模", "quality": "工程质量"}
RECTIFICATION_STATUS = {"open": "整改中", "replied": "部门已答复，待监督小组确认", "closed": "整改完成"}
RECTIFICATION_SOURCES = {"inspection": "视察", "acceptance": "验收", "warranty": "质保期", "evaluation": "满意度测评"}
MEDIA_KINDS = {media: kind for kind, (media, _) in uploads.KINDS.items()}


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 102400 else f"{size // 1024 + 1} KB"


def _files(rows: list[dict[str, Any]], code: str) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """A project's photos and files by what they belong to: (kind, record id) -> files."""
    found: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for a in rows:
        kind = MEDIA_KINDS.get(a["media_type"], "")
        found.setdefault((a["kind"], a["record"]), []).append({
            "url": f"/public/projects/{code}/files/{a['sha256']}", "name": a["name"],
            "is_image": a["media_type"].startswith("image/"), "kind": uploads.KINDS.get(kind, ("", kind))[1].upper(),
            "size": _size(a["size"])})
    return found


def _names(ids: Any, names: dict[int, str]) -> list[str]:
    return [names[int(i)] for i in (ids or []) if str(i).isdigit() and int(i) in names]


def public_project_row(row: dict[str, Any]) -> dict[str, Any]:
    """A project in the public list: what was chosen, who carries it out, how far it is, its colour."""
    public_plan = dashboard.plan_is_public(row)  # a plan drawn up but not yet published stays unseen
    return {"code": row["code"], "title": row["title"], "year": row.get("year"), "congress": row["congress_name"],
            "department": (row["department_name"] or "") if public_plan else "", "category": row["category_label"],
            "stage": row["stage"], "stage_label": row["stage_label"], "progress": row["progress"],
            "colour": row["colour"], "colour_word": row["colour_word"], "colour_meaning": row["colour_meaning"],
            "budget_wan": row["budget_wan"] if public_plan else None, "spent_wan": row["spent_wan"],
            "latest_period": row["latest_period"],
            "verdict": row["verdict_label"]}


def public_project(project: dict[str, Any], found: dict[str, Any], item: dict[str, Any],
                   history: list[dict[str, Any]]) -> dict[str, Any]:
    """What the public page of a project shows, copied field by field from the stored rows.

    Never shown: the accounts that filed reports, raised or closed rectifications and
    recorded decisions; the officials and villagers listed as also present at an
    inspection; the voters' representatives at an acceptance by name; a villager
    custodian's name (shown as 群众管护员 with the duty only); the proposer's details.
    """
    code = project["code"]
    files = _files(found["attachments"], code)
    names = found["deputy_names"]
    published = dashboard.plan_is_public(project)
    settings = found["thresholds"]
    thresholds = colours.Thresholds(settings["yellow_gap"], settings["red_gap"], settings["near_days"],
                                    settings["report_every_days"]) if settings else colours.Thresholds()
    colour = dashboard.colour_for(project, found["open_due"], proposals.today(), thresholds)
    rectifications = [{
        "inspection": r["inspection"], "source": RECTIFICATION_SOURCES.get(r["source"], ""), "request": r["request"],
        "due_on": cn_date(r["due_on"]), "status": r["status"],
        "status_label": RECTIFICATION_STATUS.get(r["status"], ""),
        "reply": r["reply"], "replied_at": beijing_time(r["replied_at"]), "closed_at": beijing_time(r["closed_at"]),
    } for r in found["rectifications"]]
    inspections = [{
        "held_on": cn_date(i["held_on"]), "unannounced": i["unannounced"], "findings": i["findings"],
        "deputies": _names(i["deputies"], names), "photos": files.get(("inspection", i["id"]), []),
        "rectifications": [r for r in rectifications if r["inspection"] == i["id"]],
    } for i in found["inspections"]]
    acceptances = [{
        "held_on": cn_date(a["held_on"]), "result": a["result"],
        "result_label": ACCEPTANCE_RESULTS.get(a["result"], ""),
        "checklist": [{"label": label, "ok": (a["checklist"] or {}).get(key, {}).get("ok"),
                       "note": str((a["checklist"] or {}).get(key, {}).get("note") or "")}
                      for key, label in CHECKLIST.items() if key in (a["checklist"] or {})],
        "findings": a["findings"], "warranty_months": a["warranty_months"],
        "deputies": _names(a["deputies"], names), "representatives": bool((a["representatives"] or "").strip()),
        "photos": files.get(("acceptance", a["id"]), []),
    } for a in found["acceptances"]]
    reports = [{
        "period": r["period"], "filed_on": cn_date(r["filed_on"]), "progress": r["progress"],
        "spent_wan": r["spent_wan"],
        "narrative": r["narrative"], "photos": files.get(("report", r["id"]), []),
    } for r in found["reports"]]
    custodians = [{
        "who": f"人大代表 {names[c['deputy']]}" if c["deputy"] in names else "群众管护员", "duty": c["duty"],
        "since": cn_date(c["since"]), "deputy": c["deputy"] in names,
    } for c in found["custodians"]]
    maintenance = [{"on": cn_date(m["on"]), "note": m["note"], "defect": m["defect"],
                    "photos": files.get(("maintenance", m["id"]), [])} for m in found["maintenance"]]
    decisions = [{
        "kind": d["kind"], "kind_label": DECISION_KINDS.get(d["kind"], d["kind"]), "body": d["body"],
        "meeting": d["meeting"], "decided_on": cn_date(d["decided_on"]), "document": d["document"],
        "summary": d["summary"],
        "changes": [{"label": ADJUSTABLE.get(k, k), "before": v.get("before", ""), "after": v.get("after", "")}
                    for k, v in (d["changes"] or {}).items() if isinstance(v, dict)],
    } for d in found["decisions"]]
    chosen_at = next((e["at"] for e in history if e["stage_to"] == "chosen"), "")
    verdict = dashboard.VERDICT_WORDS.get(project["verdict"] or "", "")
    last_acceptance = acceptances[-1] if acceptances else None
    done = {
        "proposal": item["submitted_at"].split(" ")[0], "vote": chosen_at.split(" ")[0] if chosen_at else "已确定",
        "plan": beijing_time(project["plan_published_at"]).split(" ")[0] if project["plan_published_at"]
        else ("已公布" if published else ""),
        "progress": f"{reports[-1]['period']} 完成 {project['progress']}%" if reports else "",
        "inspection": f"视察 {len(inspections)} 次" if inspections else "",
        "acceptance": f"{last_acceptance['held_on']} {last_acceptance['result_label']}" if last_acceptance else "",
        "evaluation": verdict,
        "maintenance": f"管护员 {len(custodians)} 名" if custodians else (
            f"管护记录 {len(maintenance)} 条" if maintenance else ""),
    }
    steps = life_steps(project["stage"], done, evaluation_pending=found.get("evaluation_pending", False),
                       warranty_until=cn_date(project["warranty_until"]) if project["warranty_until"] else "")
    return {
        "code": code, "title": project["title"], "year": project["year"], "congress": project["congress_name"],
        "congress_id": project["congress"], "category": CATEGORIES.get(project["category"], project["category"]),
        "stage": project["stage"], "stage_label": stages.PROJECT_STAGES.get(project["stage"], project["stage"]),
        "colour": colour, "colour_word": dashboard.COLOUR_WORDS[colour],
        "colour_meaning": dashboard.COLOUR_MEANINGS[colour], "published": published,
        "department": project["department_name"] or "", "lead_official": project["lead_official"],
        "budget_wan": project["budget_wan"], "funding": project["funding"], "targets": project["targets"],
        "starts_on": cn_date(project["starts_on"]), "ends_on": cn_date(project["ends_on"]),
        "progress": project["progress"], "spent_wan": project["spent_wan"], "verdict": verdict,
        "warranty_until": cn_date(project["warranty_until"]),
        "milestones": [{"title": m["title"], "weight": m["weight"], "due_on": cn_date(m["due_on"]),
                        "percent": m["percent"]} for m in found["milestones"]] if published else [],
        "plan_files": [f for (kind, _), fs in files.items() if kind == "plan" for f in fs] if published else [],
        "reports": reports, "inspections": inspections, "acceptances": acceptances, "decisions": decisions,
        "other_rectifications": [r for r in rectifications if r["inspection"] is None and r["source"] != "满意度测评"],
        "verdict_rectifications": [r for r in rectifications if r["source"] == "满意度测评"],
        "verdicts": [e for e in history if e["kind"] in ("project", "verdict") and "满意度测评" in e["text"]],
        "custodians": custodians, "maintenance": maintenance, "steps": steps,
    }


async def project_view(code: str) -> dict[str, Any]:
    """What a project's public page shows, read and shaped as the page and the open-data feed
    (web.open_data) both take it: the project, its proposal and the proposal's history."""
    project = await timeline.project_by_code(code)
    item = public_item(await proposals.get_proposal(project["proposal"]))
    history = [public_event(e) for e in await proposals.history(project["proposal"])]
    found = await timeline.story(project)
    return {"project": public_project(project, found, item, history), "item": item, "history": history}


# --- the proposal form, shared with the tablet -----------------------------------------


def round_choice(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "title": row["title"], "congress": row.get("congress_name", ""), "year": row["year"],
            "opens_on": cn_date(row["opens_on"]), "closes_on": cn_date(row["closes_on"])}


def form_context(rounds: list[dict[str, Any]], *, action: str, public: bool, values: dict[str, str] | None = None,
                 problems: dict[str, str] | None = None, error: str = "") -> dict[str, Any]:
    """What `_proposal_form.html` needs. `values` are what the person typed, shown back as typed."""
    values = dict(values or {})
    if len(rounds) == 1 and not values.get("round"):
        values["round"] = str(rounds[0]["id"])
    return {"rounds": [round_choice(r) for r in rounds], "action": action, "public": public, "values": values,
            "problems": problems or {}, "error": error, "limits": LIMITS, "number_chars": NUMBER_CHARS,
            "categories": CATEGORIES, "max_files": uploads.MAX_PER_PROPOSAL, "max_bytes": uploads.MAX_BYTES,
            "max_mb": uploads.MAX_BYTES // (1024 * 1024), "file_field": FILE_FIELD, "honeypot": HONEYPOT}


@dataclass
class Submission:
    """The outcome of a posted proposal form: its code, or the form again with what is wrong."""

    code: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    status_code: int = 200
    spam: bool = False


def _uploaded_files(form: Any) -> list[UploadFile]:
    # A file input left empty arrives as a part without a file name: a plain string here.
    return [value for value in form.getall(FILE_FIELD, []) if isinstance(value, UploadFile) and value.filename]


def _check_upload(data: bytes, name: str) -> None:
    """Refuse a file before anything is written, saying why (uploads.check)."""
    if not data or len(data) > uploads.MAX_BYTES or uploads.detect_kind(data) is None:
        uploads.check(data, name)


async def handle_submission(request: Request, rounds: list[dict[str, Any]], who: Who, *, channel: str,
                            action: str, public: bool, deputy_id: int | None = None) -> Submission:
    """Check a posted proposal form and submit it to one of `rounds`.

    The order matters for what is kept: the text fields first (nothing stored if one is
    wrong), then, for the public, the rate limit, then every file is checked before any
    is stored, and only then the proposal is recorded. What was typed always comes back.
    """
    form = await request.form()
    values = {key: (form.get(key) if isinstance(form.get(key), str) else "") for key in (*TEXT_FIELDS, "round")}
    if not public:
        values["proposer_name"] = values["contact"] = ""
    files = _uploaded_files(form)

    def again(status: int, problems: dict[str, str] | None = None, error: str = "") -> Submission:
        problems = dict(problems or {})
        if files and "files" not in problems:
            problems["files"] = FILES_NOT_KEPT
        return Submission(context=form_context(rounds, action=action, public=public, values=values,
                                               problems=problems, error=error), status_code=status)

    try:
        if public and str(form.get(HONEYPOT) or "").strip():
            return Submission(spam=True, status_code=400)
        if not rounds:
            return again(409, error="现在不在征集期内，这次填写的内容没有提交。您可以先把内容抄下来，下次征集时再提交。")
        chosen = next((r for r in rounds if str(r["id"]) == values["round"].strip()), None)
        if chosen is None and len(rounds) == 1:
            chosen = rounds[0]
        data, problems = parse_proposal(values, channel=channel)
        if chosen is None:
            problems["round"] = "请选择要参加的征集。"
        if len(files) > uploads.MAX_PER_PROPOSAL:
            try:
                uploads.check_count(0, len(files))
            except Refused as refused:
                problems["files"] = f"{refused.message}，您选了 {len(files)} 个。请重新选择附件。"
        if problems or data is None or chosen is None:
            return again(400, problems, "这次没有提交成功，请按下面标红的说明修改后再提交。")
        if public:
            await proposals.check_public_limit(client_of(request))
        contents = []
        for upload in files:
            content = await upload.read()
            try:
                _check_upload(content, upload.filename)
            except Refused as refused:
                shown = upload.filename[-uploads.MAX_NAME_CHARS:]
                return again(400, {"files": f"“{shown}”：{refused.message}。附件都没有保存，请重新选择附件。"},
                             "附件不符合要求，请看标红的说明。")
            contents.append((content, upload.filename))
        stored = await uploads.store_all(contents)  # all or none: a photo may fail to decode
        made = await proposals.submit(chosen["id"], data, who, deputy_id=deputy_id, client=client_of(request),
                                      attachments=stored)
        return Submission(code=made["code"])
    except Refused as refused:
        return again(refused.status_code, error=refused.message)
    finally:
        for upload in files:
            await upload.close()


def too_large(request: Request, exc: HTTPException) -> Response:
    """A proposal form over the size limit (refused before it is read): say so in plain words."""
    if request.url.path.startswith("/tablet"):
        return Template(template_name="error.html", status_code=413,
                        context={"viewer": getattr(request.state, "viewer", None), "message": TOO_LARGE,
                                 "audience": "tablet"})
    return Template(template_name="public/error.html", status_code=413,
                    context={"title": "文件太大", "message": TOO_LARGE, "back": "/public/propose"})


# --- errors on public pages ---------------------------------------------------------------

HTTP_MESSAGES = {400: "请求格式不正确。", 404: "没有找到您要的页面。", 405: "不支持这种请求方式。",
                 413: TOO_LARGE, 415: "请求体格式不支持。", 429: "请求太频繁，请稍后再试。"}


def _public_error(status: int, message: str, title: str = "无法完成") -> Response:
    return Template(template_name="public/error.html", status_code=status,
                    context={"title": title, "message": message, "back": "/public"})


def public_refused(request: Request, exc: Refused) -> Response:  # noqa: ARG001
    return _public_error(exc.status_code, exc.message)


def public_http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status == 403 and "CSRF" in str(exc.detail):
        message = "页面已过期，请刷新页面后重新填写提交。"
    elif isinstance(exc, ValidationException):
        message = "提交的内容格式不正确，请检查后重新提交。"
    elif status >= 500:
        log.error("server error on %s: %s", request.url.path, exc.detail)
        message = "服务器出现问题，请稍后重试。"
    else:
        message = HTTP_MESSAGES.get(status, "请求无法处理。")
    return _public_error(status, message)


# --- the pages -------------------------------------------------------------------------------


def _query(request: Request) -> dict[str, str]:
    return {key: str(request.query_params.get(key) or "") for key in request.query_params.keys()}


def _closed_context(upcoming: dict[str, Any] | None) -> dict[str, Any]:
    return {"upcoming": round_choice(upcoming) if upcoming else None}


class PublicController(Controller):
    path = "/public"
    exception_handlers = {Refused: public_refused, HTTPException: public_http_error}

    @get("/", name="public_home")
    async def home(self, request: Request) -> Template:
        open_now = await proposals.open_rounds()
        rounds = [{**round_choice(r), "chart": stage_chart(await proposals.stage_counts(r["id"], public=True)),
                   "pending": await proposals.pending_count(r["id"])}
                  for r in open_now]
        upcoming = None if open_now else await proposals.next_opening()
        return page("public/home.html", request, rounds=rounds, **_closed_context(upcoming))

    @get("/propose")
    async def propose_form(self, request: Request) -> Template:
        rounds = await proposals.open_rounds()
        if not rounds:
            return page("public/closed.html", request, **_closed_context(await proposals.next_opening()))
        wanted = str(request.query_params.get("round") or "")
        return page("public/propose.html", request,
                    **form_context(rounds, action="/public/propose", public=True, values={"round": wanted}))

    @post("/propose", request_max_body_size=MAX_BODY, exception_handlers={RequestEntityTooLarge: too_large})
    async def propose(self, request: Request) -> Template | Redirect:
        rounds = await proposals.open_rounds()
        outcome = await handle_submission(request, rounds, Who.citizen(), channel="online",
                                          action="/public/propose", public=True)
        if outcome.spam:
            return _public_error(400, "提交未被接受。如果您是正常填写的，请联系人大常委会工作人员。", "提交未被接受")
        if not outcome.code:
            if not rounds:
                outcome.context.update(_closed_context(await proposals.next_opening()))
            return page("public/propose.html", request, status_code=outcome.status_code, **outcome.context)
        return Redirect(f"/public/propose/done?{urlencode({'code': outcome.code})}", status_code=303)

    @get("/propose/done")
    async def proposed(self, request: Request) -> Template:
        found = await tracked(str(request.query_params.get("code") or ""))
        return page("public/done.html", request, item=found["item"])

    @get("/track")
    async def track(self, request: Request) -> Template:
        code = str(request.query_params.get("code") or "").strip()[:20]
        if not code:
            return page("public/track.html", request, code="", found=None, error="")
        try:
            found = await tracked(code)
        except NotFound as missing:
            return page("public/track.html", request, code=code, found=None, error=missing.message, status_code=404)
        notices = await notifications.of_tracking_code(found["item"]["code"])
        if not found["item"]["shows_content"]:
            withheld = await proposals.wordings(found["item"]["code"], found["own_title"])  # only when withheld
            notices = [{**n, "text": publicity.redacted(n["text"], withheld)} for n in notices]
        return page("public/track.html", request, code=found["item"]["code"], found=found, error="",
                    notices=notices)

    @get("/proposals")
    async def list_page(self, request: Request) -> Template:
        query = _query(request)
        filters = Filters.from_query(query)
        if filters.stage not in proposals.PUBLIC_STAGES:
            filters = replace(filters, stage="")
        number = query.get("page", "")
        listed = await proposals.list_proposals(filters, whole(number) or 1, public=True)
        kept = {key: value for key, value in (("q", filters.text), ("year", filters.year or ""),
                                              ("congress", filters.congress_id or ""),
                                              ("category", filters.category), ("township", filters.township),
                                              ("stage", filters.stage)) if value}

        def link(to_page: int) -> str:
            return "/public/proposals?" + urlencode({**kept, "page": to_page})

        years = sorted({r["year"] for r in await proposals.rounds()}, reverse=True)
        return page("public/list.html", request, rows=[public_item(r) for r in listed["rows"]], listed=listed,
                    filters=filters, years=years, townships=await proposals.public_townships(), categories=CATEGORIES,
                    stages={s: stages.STAGES[s] for s in proposals.PUBLIC_STAGES}, filtered=bool(kept),
                    prev_link=link(listed["page"] - 1) if listed["page"] > 1 else "",
                    next_link=link(listed["page"] + 1) if listed["page"] < listed["pages"] else "")

    @get("/proposals/{code:str}")
    async def item(self, request: Request, code: FromPath[str]) -> Template:
        return page("public/item.html", request, **await tracked(code))

    @get("/projects")
    async def projects_page(self, request: Request) -> Template:
        query = _query(request)

        def number(key: str) -> int | None:
            return whole(query.get(key, ""))

        years = await timeline.project_years()
        year = number("year") or (years[0] if years else None)
        congress_id = number("congress")
        category = query.get("category", "") if query.get("category", "") in CATEGORIES else ""
        text = query.get("q", "").strip()[:60]
        listed = await timeline.list_projects(year, congress_id, category, text, number("page") or 1)
        congress = await Congress.select(Congress.id, Congress.name).where(
            Congress.id == congress_id).first() if congress_id else None
        kept = {key: value for key, value in (("year", year or ""), ("congress", congress_id or ""),
                                              ("category", category), ("q", text)) if value}

        def link(to_page: int) -> str:
            return "/public/projects?" + urlencode({**kept, "page": to_page})

        return page("public/projects.html", request, rows=[public_project_row(r) for r in listed["rows"]],
                    listed=listed, years=years, year=year, congress=congress, category=category, text=text,
                    categories=CATEGORIES, filtered=bool(congress_id or category or text),
                    prev_link=link(listed["page"] - 1) if listed["page"] > 1 else "",
                    next_link=link(listed["page"] + 1) if listed["page"] < listed["pages"] else "")

    @get("/projects/{code:str}")
    async def project_page(self, request: Request, code: FromPath[str]) -> Template:
        return page("public/project.html", request, **await project_view(code))

    @get("/projects/{code:str}/files/{sha256:str}")
    async def project_file(self, code: FromPath[str], sha256: FromPath[str]) -> Response[bytes]:
        project = await timeline.project_by_code(code)
        row = await timeline.attachment(project["id"], sha256)
        if row["media_type"] not in MEDIA_KINDS:
            raise NotFound("没有找到这个附件")
        return await stored_file(row["sha256"], row["media_type"], row["size"], row["name"])

    @get("/attachments/{sha256:str}")
    async def attachment(self, sha256: FromPath[str]) -> Response[bytes]:
        row = await ProposalAttachment.select(ProposalAttachment.all_columns()).where(
            (ProposalAttachment.sha256 == sha256) & ProposalAttachment.proposal.is_not_null()
            & (ProposalAttachment.hidden_reason == "") & (ProposalAttachment.proposal.hidden_reason == "")
            & (ProposalAttachment.proposal.stage != "voided")).first()
        if row is None:
            raise NotFound("没有找到这个附件")
        return await stored_file(row["sha256"], row["media_type"], row["size"], row["name"])
