"""Open data: what the public pages show, published as a JSON feed and as CSV (docs/open-data.md).

    GET /public/data                     the index: the datasets, their addresses, parameters, notes
    GET /public/data/<dataset>           one page of records as JSON, with `next`
    GET /public/data/<dataset>.csv       the same page as CSV (UTF-8 with BOM, fixed columns)

Datasets: `proposals`, `candidate-lists`, `results`, `projects`; parameters `page`, `per_page`,
`year`, `congress`. No login, like the public pages; a bad parameter is answered with problem
details (RFC 9457, as the JSON API answers), never a page.

A record holds what the public pages show and nothing else, because it is read and shaped by
the pages' own functions: proposals come from the public list and each one's tracking page
(`lifecycle.proposals.list_proposals(public=True)`, `web.public.tracked`), projects from the
public project list and page (`lifecycle.timeline.list_projects`, `web.public.project_view`,
with the plan only once it is published, as the page shows it), results from what the big
screen shows once the count is confirmed and published (`voting.screen.published_result`), with
the seal the tally sheet and the notice print, and candidate lists from the ballots of votes
that have begun (`voting.published`). So a proposal not yet released or hidden, a proposer's
name or phone, an account, a villager custodian's name never reach this module.

Times the pages show (Beijing time, to the minute) are written as ISO 8601 with +08:00;
`updated_at` is the newest stored time behind a record, in UTC, to the microsecond.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional
from urllib.parse import urlencode

from litestar import Request, Response, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from lifecycle import proposals, timeline
from lifecycle.proposals import Filters
from voting import audit_chain, polls, published, scrutiny
from voting.errors import NotFound, Refused
from voting.rules import METHOD_VALUES
from voting.screen import published_result
from voting.times import BEIJING
from web.pages import download, whole
from web.public import project_view, tracked
from web.screen import shown

SCHEMA_VERSION = "1.0"
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Documented in the OpenAPI schema as text: read_paging checks them and says what is wrong.
QUERY = {name: QueryParameter(annotation=Optional[str], name=name, required=False, default=None, description=text)
         for name, text in (
             ("page", "页码，从 1 开始；每页的 next 给出下一页的地址，最后一页为 null"),
             ("per_page", "每页条数，各数据集的默认值和上限见 /public/data 的 datasets"),
             ("year", f"年度（{FIRST_YEAR}–{LAST_YEAR}）：建议和项目为项目年度，名单和结果为票决年份"),
             ("congress", "人大的编号，见 /public/data 的 congresses"))}
PARAMETERS = tuple(QUERY)
LICENCE = ("本数据与本网站公开页面的内容相同，不含个人信息。引用、转载或再发布时请注明来源（本网站及数据的更新时间），"
           "并保持数据原意；使用条件以发布机关（本级人大常委会）的公告为准。")
NOTES = (
    "只包含公开页面上显示的内容：秘书处尚未公开或已隐藏的建议、建议人的姓名和联系方式、工作人员账号、群众管护员姓名都不在其中。",
    "计票结果只包含监票人确认并已公布的结果，附计票单和主席团公告上印的选票封存值（seal）。",
    "候选项目名单在票决开始后（名单锁定）公开；此前候选的建议可在 proposals 中按阶段“候选项目”查到。",
    "每条记录有稳定的标识（建议和项目的查询码、票决的编号），updated_at 为该记录最近一次变化的时间（UTC）。",
    "状态灯（colour）按请求时的日期计算，日期变化本身不改变 updated_at。",
    "CSV 为 UTF-8（带 BOM，Excel 可直接打开），列的顺序和名称固定；以 = + - @ 开头的单元格前加了单引号，防止被当作公式。",
)


# --- pure: times, cells, parameters ----------------------------------------------------------

SHOWN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?: (\d{2}):(\d{2}))?")


def shown_time(text: str | None) -> str | None:
    """A date or time as the pages show it (web.public.cn_date, beijing_time: 2027年3月5日 14:05)
    in ISO 8601: 2027-03-05, or 2027-03-05T14:05:00+08:00. None when the page shows none."""
    found = SHOWN.fullmatch(text or "")
    if not found:
        return None
    year, month, day, hour, minute = found.groups()
    if hour is None:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=BEIJING).isoformat()


def utc(moment: datetime | str | None) -> str | None:
    """A stored time in ISO 8601, UTC."""
    value = timeline.moment(moment)
    return value.isoformat().replace("+00:00", "Z") if value else None


def newest(*moments: datetime | str | None) -> datetime | None:
    known = [m for m in map(timeline.moment, moments) if m is not None]
    return max(known) if known else None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting like a formula gets a leading
    apostrophe (OWASP's advice on CSV injection); True/False as 是/否; None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    """The rows under a fixed header, as UTF-8 with a byte-order mark (Excel then reads Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    year: int | None
    congress: int | None

    def query(self, page: int) -> dict[str, Any]:
        wanted = {"page": page, "per_page": self.per_page, "year": self.year, "congress": self.congress}
        return {key: value for key, value in wanted.items() if value is not None}


def read_paging(given: dict[str, str], default_per_page: int, max_per_page: int) -> Paging:
    """The parameters of a dataset's page, or a refusal saying which one is wrong and why."""
    unknown = sorted(set(given) - set(PARAMETERS))
    if unknown:
        raise Refused(f"不支持参数 {unknown[0][:40]}：可用的参数是 {'、'.join(PARAMETERS)}。", code="bad_parameter")

    def number(name: str, low: int, high: int, rule: str) -> int | None:
        text = given.get(name)
        if text is None or text == "":
            return None
        value = whole(text)
        if value is None or not low <= value <= high:
            raise Refused(f"参数 {name} 的值“{text[:40]}”不对：{rule}", code="bad_parameter")
        return value

    page = number("page", 1, 10**6, "应为从 1 开始的页码。") or 1
    per_page = number("per_page", 1, max_per_page, f"每页条数应在 1 到 {max_per_page} 之间。") or default_per_page
    year = number("year", FIRST_YEAR, LAST_YEAR, f"应为 {FIRST_YEAR} 到 {LAST_YEAR} 之间的四位年份，如 2026。")
    congress = number("congress", 1, 2**31 - 1, "应为人大的编号（见 /public/data 的 congresses）。")
    return Paging(page, per_page, year, congress)


# --- the records -----------------------------------------------------------------------------


def _files(photos: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
    return [{"url": root + f["url"], "name": f["name"], "kind": f["kind"]} for f in photos]


def _event(event: dict[str, Any]) -> dict[str, Any]:
    """One entry of a public history (web.public.public_event)."""
    return {"at": shown_time(event["at"]), "kind": event["kind"], "role": event["role"], "text": event["text"],
            "stage": event["stage_to"] or None, "stage_label": event["stage_label"] or None}


async def _proposals(paging: Paging, root: str) -> tuple[list[dict[str, Any]], int]:
    listed = await proposals.list_proposals(Filters(year=paging.year, congress_id=paging.congress), paging.page,
                                            public=True, per_page=paging.per_page)
    rows = listed["rows"]
    changed = await timeline.proposals_changed([r["id"] for r in rows])
    rounds: dict[int, dict[str, Any]] = {}
    records = []
    for row in rows:
        found = await tracked(row["code"])  # what the proposal's public page shows
        item = found["item"]
        if row["round"] not in rounds:
            rounds[row["round"]] = await proposals.get_round(row["round"])
        released = timeline.moment(row.get("released_at"))
        released = released if released and released <= datetime.now(timezone.utc) else None
        records.append({
            "code": item["code"], "url": f"{root}/public/proposals/{item['code']}", "year": item["year"],
            "congress": {"id": row["congress"], "name": rounds[row["round"]]["congress_name"]},
            "round": {"id": row["round"], "title": item["round_title"]},
            "title": item["title"], "description": item["description"],
            "township": item["township"], "village": item["village"],
            "category": row["category"], "category_label": item["category"],
            "channel": row["channel"], "channel_label": item["channel"],
            "cost_wan": item["cost_wan"], "beneficiaries": item["beneficiaries"], "supporters": item["supporters"],
            "stage": item["stage"], "stage_label": item["stage_label"], "decision_reason": item["decision_reason"],
            "submitted_at": shown_time(item["submitted_at"]),
            "project": found["project_code"],
            "attachments": [{"url": f"{root}/public/attachments/{a['sha256']}", "name": a["name"], "kind": a["kind"]}
                            for a in found["attachments"]],
            "history": [_event(e) for e in found["history"]],
            "updated_at": utc(newest(changed.get(row["id"]), released)),
        })
    return records, listed["total"]


def _proposal_lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**record, "congress_id": record["congress"]["id"], "congress": record["congress"]["name"],
             "round": record["round"]["title"], "attachments": len(record["attachments"]),
             "history": len(record["history"])}]


def _vote_head(poll: dict[str, Any]) -> dict[str, Any]:
    """What a candidate list and a result both say of their poll."""
    opened = timeline.moment(poll["opened_at"])
    return {"id": poll["id"], "ref": poll["ref"], "title": poll["title"],
            "year": opened.astimezone(BEIJING).year if opened else None,
            "congress": {"id": poll["congress_id"], "name": poll["congress_name"]},
            "session": {"id": poll["session"], "name": poll["session_name"]}}


async def _candidate_lists(paging: Paging, root: str) -> tuple[list[dict[str, Any]], int]:
    listed = await published.polls_page("lists", paging.year, paging.congress, paging.page, paging.per_page)
    records = []
    for poll in listed["rows"]:
        candidates = await polls.candidates_of(poll["id"])
        records.append({
            **_vote_head(poll), "seats": poll["seats"], "non_competitive": poll["non_competitive"],
            "opened_at": utc(poll["opened_at"]),
            "candidates": [{"position": c["position"], "ref": c["ref"], "title": c["title"], "summary": c["summary"],
                            "location": c["location"], "cost_wan": c["cost_wan"], "proposal": c["reference"] or None,
                            "proposal_url": f"{root}/public/proposals/{c['reference']}" if c["reference"] else None}
                           for c in candidates],
            "updated_at": utc(poll["opened_at"]),
        })
    return records, listed["total"]


def _flat_vote(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "ref": record["ref"], "title": record["title"], "year": record["year"],
            "congress_id": record["congress"]["id"], "congress": record["congress"]["name"],
            "session_id": record["session"]["id"], "session": record["session"]["name"]}


def _list_lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    head = {**_flat_vote(record), "seats": record["seats"], "opened_at": record["opened_at"],
            "updated_at": record["updated_at"]}
    return [{**head, **{f"candidate_{key}": c[key] for key in ("position", "ref", "title", "summary", "location",
                                                                  "cost_wan")}, "proposal": c["proposal"]}
            for c in record["candidates"]]


async def _results(paging: Paging, root: str) -> tuple[list[dict[str, Any]], int]:
    listed = await published.polls_page("results", paging.year, paging.congress, paging.page, paging.per_page)
    records = []
    for poll in listed["rows"]:
        result = await published_result(poll)  # what the big screen shows
        if result is None:  # unpublished by a correction since the page was listed
            continue
        references = {c["ref"]: c["reference"] for c in await polls.candidates_of(poll["id"])}
        seal = await scrutiny.seal_of(poll)
        values = METHOD_VALUES[poll["method"]]
        records.append({
            **_vote_head(poll), "method": poll["method"], "round": poll["round"] or 1, "runoff_of": poll["runoff_of"],
            "status": result["status"], "status_label": result["status_label"], "returned": result["returned"],
            "valid": result["valid"], "invalid": result["invalid"], "required": result["required"],
            "candidates": [{"ref": line["ref"], "title": line["title"], "proposal": references.get(line["ref"]) or None,
                            **{value: line.get(value, 0) for value in values},
                            "rank": line.get("rank"), "passed": line.get("passed"), "outcome": line.get("outcome") or None,
                            "verdict": line.get("verdict"), "verdict_label": line.get("verdict_label") or None}
                           for line in result["candidates"]],
            "winners": result["winners"], "runoff": result["runoff"], "runoff_seats": result["runoff_seats"],
            "chosen": result["chosen"], "corrected": result["corrected"],
            "seal": seal, "seal_short": audit_chain.short(seal),
            "screen_url": f"{root}/screen/sessions/{poll['session']}",
            "published_at": utc(poll["published_at"]), "updated_at": utc(poll["published_at"]),
        })
    return records, listed["total"]


RESULT_VALUES = tuple(dict.fromkeys(v for values in METHOD_VALUES.values() for v in values))


def _result_lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    head = {**_flat_vote(record), **{key: record[key] for key in (
        "method", "round", "status", "status_label", "returned", "valid", "invalid", "required", "seal", "seal_short",
        "published_at", "updated_at")}}
    return [{**head, "candidate_ref": c["ref"], "candidate_title": c["title"], "proposal": c["proposal"],
             **{value: c.get(value) for value in RESULT_VALUES},
             **{key: c[key] for key in ("rank", "passed", "outcome", "verdict", "verdict_label")}}
            for c in record["candidates"]]


def _rectification(r: dict[str, Any]) -> dict[str, Any]:
    return {"source": r["source"], "request": r["request"], "due_on": shown_time(r["due_on"]), "status": r["status"],
            "status_label": r["status_label"], "reply": r["reply"], "replied_at": shown_time(r["replied_at"]),
            "closed_at": shown_time(r["closed_at"])}


def _project(row: dict[str, Any], view: dict[str, Any], changed: datetime | None, root: str) -> dict[str, Any]:
    """A project as its public page shows it (templates/public/project.html): the plan, its
    figures and milestones only once published."""
    p, item = view["project"], view["item"]
    plan = {"department": p["department"], "lead_official": p["lead_official"], "budget_wan": p["budget_wan"],
            "funding": p["funding"], "targets": p["targets"], "starts_on": shown_time(p["starts_on"]),
            "ends_on": shown_time(p["ends_on"]), "milestones": [
                {"title": m["title"], "weight": m["weight"], "due_on": shown_time(m["due_on"]), "percent": m["percent"]}
                for m in p["milestones"]], "files": _files(p["plan_files"], root)} if p["published"] else None
    return {
        "id": row["id"], "code": p["code"], "url": f"{root}/public/projects/{p['code']}", "title": p["title"],
        "year": p["year"], "congress": {"id": p["congress_id"], "name": p["congress"]},
        "category": row["category"], "category_label": p["category"],
        "stage": p["stage"], "stage_label": p["stage_label"], "colour": p["colour"], "colour_word": p["colour_word"],
        "progress": p["progress"] if p["published"] else None, "spent_wan": p["spent_wan"] if p["published"] else None,
        "proposal": {"code": item["code"], "url": f"{root}/public/proposals/{item['code']}",
                     "township": item["township"], "village": item["village"], "channel_label": item["channel"],
                     "supporters": item["supporters"], "submitted_at": shown_time(item["submitted_at"]),
                     "history": [_event(e) for e in view["history"]]},
        "plan": plan,
        "decisions": [{"kind": d["kind"], "kind_label": d["kind_label"], "body": d["body"], "meeting": d["meeting"],
                       "decided_on": shown_time(d["decided_on"]), "document": d["document"], "summary": d["summary"],
                       "changes": d["changes"]} for d in p["decisions"]],
        "reports": [{"period": r["period"], "filed_on": shown_time(r["filed_on"]), "progress": r["progress"],
                     "spent_wan": r["spent_wan"], "narrative": r["narrative"], "photos": _files(r["photos"], root)}
                    for r in p["reports"]],
        "inspections": [{"held_on": shown_time(i["held_on"]), "unannounced": i["unannounced"],
                         "deputies": i["deputies"], "findings": i["findings"], "photos": _files(i["photos"], root),
                         "rectifications": [_rectification(r) for r in i["rectifications"]]}
                        for i in p["inspections"]],
        "acceptances": [{"held_on": shown_time(a["held_on"]), "result": a["result"], "result_label": a["result_label"],
                         "checklist": a["checklist"], "findings": a["findings"], "deputies": a["deputies"],
                         "representatives_present": a["representatives"], "warranty_months": a["warranty_months"],
                         "photos": _files(a["photos"], root)} for a in p["acceptances"]],
        "warranty_until": shown_time(p["warranty_until"]),
        "other_rectifications": [_rectification(r) for r in p["other_rectifications"]],
        "verdict": p["verdict"] or None,
        "verdicts": [_event(e) for e in p["verdicts"]],
        "verdict_rectifications": [_rectification(r) for r in p["verdict_rectifications"]],
        "custodians": [{"who": c["who"], "deputy": c["deputy"], "duty": c["duty"], "since": shown_time(c["since"])}
                       for c in p["custodians"]],
        "maintenance": [{"on": shown_time(m["on"]), "note": m["note"], "defect": m["defect"],
                         "photos": _files(m["photos"], root)} for m in p["maintenance"]],
        "updated_at": utc(changed),
    }


async def _projects(paging: Paging, root: str) -> tuple[list[dict[str, Any]], int]:
    listed = await timeline.list_projects(paging.year, paging.congress, "", "", paging.page, paging.per_page)
    changed = await timeline.projects_changed([r["id"] for r in listed["rows"]])
    return [_project(row, await project_view(row["code"]), changed.get(row["id"]), root)
            for row in listed["rows"]], listed["total"]


def _project_lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    plan = record["plan"] or {}
    decision = record["decisions"][-1] if record["decisions"] else None
    acceptance = record["acceptances"][-1] if record["acceptances"] else None
    return [{**{key: record[key] for key in ("id", "code", "url", "title", "year", "category", "category_label",
                                             "stage", "stage_label", "colour", "colour_word", "progress",
                                             "spent_wan", "warranty_until", "verdict", "updated_at")},
             "congress_id": record["congress"]["id"], "congress": record["congress"]["name"],
             "plan_published": record["plan"] is not None, "department": plan.get("department"),
             "budget_wan": plan.get("budget_wan"), "starts_on": plan.get("starts_on"), "ends_on": plan.get("ends_on"),
             "milestones": len(plan.get("milestones", [])), "reports": len(record["reports"]),
             "latest_report": record["reports"][-1]["period"] if record["reports"] else None,
             "inspections": len(record["inspections"]), "decisions": len(record["decisions"]),
             "latest_decision": f"{decision['decided_on']} {decision['kind_label']}" if decision else None,
             "acceptance": acceptance["result_label"] if acceptance else None,
             "accepted_on": acceptance["held_on"] if acceptance else None,
             "custodians": len(record["custodians"]), "maintenance": len(record["maintenance"])}]


# --- the datasets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    name: str  # in the address
    title: str
    description: str
    identifier: str  # the field that names a record for good
    order: str
    default_per_page: int
    max_per_page: int
    read: Callable[[Paging, str], Awaitable[tuple[list[dict[str, Any]], int]]]
    columns: tuple[str, ...]  # the CSV's header, in order
    lines: Callable[[dict[str, Any]], list[dict[str, Any]]]  # a record's CSV rows


VOTE_COLUMNS = ("id", "ref", "title", "year", "congress_id", "congress", "session_id", "session")
DATASETS = (
    Dataset("proposals", "群众和代表的项目建议",
            "公开列表上的每条建议（不含建议人信息），附办理经过；year 为项目年度。", "code", "最新的在前（按提交先后倒序）",
            50, 100, _proposals,
            ("code", "url", "year", "congress_id", "congress", "round", "title", "description", "township", "village",
             "category", "category_label", "channel", "channel_label", "cost_wan", "beneficiaries", "supporters",
             "stage", "stage_label", "decision_reason", "submitted_at", "project", "attachments", "history",
             "updated_at"), _proposal_lines),
    Dataset("candidate-lists", "候选项目名单",
            "票决开始后锁定的候选项目名单（即选票上的项目），按选票顺序；year 为票决年份。CSV 每行一个候选项目。", "id",
            "按票决编号先后", 20, 50, _candidate_lists,
            (*VOTE_COLUMNS, "seats", "opened_at", "candidate_position", "candidate_ref", "candidate_title",
             "candidate_summary", "candidate_location", "candidate_cost_wan", "proposal", "updated_at"), _list_lines),
    Dataset("results", "票决和满意度测评结果",
            "监票人确认并已公布的计票结果，附选票封存值；year 为票决年份。CSV 每行一个候选项目。", "id", "按票决编号先后",
            20, 50, _results,
            (*VOTE_COLUMNS, "method", "round", "status", "status_label", "returned", "valid", "invalid", "required",
             "candidate_ref", "candidate_title", "proposal", *RESULT_VALUES, "rank", "passed", "outcome", "verdict",
             "verdict_label", "seal", "seal_short", "published_at", "updated_at"), _result_lines),
    Dataset("projects", "民生实事项目",
            "票决确定的项目：实施方案（公布后）、进度报告、视察和整改、调整决定、验收、满意度测评、管护；year 为项目年度。"
            "CSV 每行一个项目（摘要，明细见 JSON）。", "code", "按项目编号先后", 20, 50, _projects,
            ("id", "code", "url", "title", "year", "congress_id", "congress", "category", "category_label", "stage",
             "stage_label", "colour", "colour_word", "plan_published", "department", "budget_wan", "starts_on", "ends_on",
             "milestones", "progress", "spent_wan", "reports", "latest_report", "inspections", "decisions",
             "latest_decision", "acceptance", "accepted_on", "warranty_until", "verdict", "custodians", "maintenance",
             "updated_at"), _project_lines),
)
BY_NAME = {d.name: d for d in DATASETS}


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def answer(request: Request, name: str, as_csv: bool) -> Response[Any]:
    """One page of a dataset, as JSON or CSV. Refused (problem details) for a bad parameter, an
    unknown congress or a page past the last."""
    dataset = BY_NAME[name]
    given = {key: str(request.query_params.get(key) or "") for key in request.query_params.keys()}
    paging = read_paging(given, dataset.default_per_page, dataset.max_per_page)
    if paging.congress is not None and not await published.congress_exists(paging.congress):
        raise NotFound(f"没有编号为 {paging.congress} 的人大（可用的编号见 /public/data 的 congresses）。")
    root = _root(request)
    records, total = await dataset.read(paging, root)
    pages = max(1, -(-total // paging.per_page))
    if paging.page > pages:
        raise NotFound(f"没有第 {paging.page} 页：按这些条件共 {total} 条，{pages} 页。")
    path = f"{root}/public/data/{dataset.name}" + (".csv" if as_csv else "")
    following = f"{path}?{urlencode(paging.query(paging.page + 1))}" if paging.page < pages else None
    headers = {"Access-Control-Allow-Origin": "*", "X-Total-Count": str(total)}
    if following:
        headers["Link"] = f'<{following}>; rel="next"'
    records = shown(records)  # bidi controls dropped, as every page drops them
    if as_csv:
        body = csv_bytes(dataset.columns, [line for record in records for line in dataset.lines(record)])
        response = download(body, "text/csv; charset=utf-8", f"{dataset.name}-{paging.page}.csv")
        response.headers.update(headers)
        return response
    return Response({
        "dataset": dataset.name, "schema_version": SCHEMA_VERSION,
        "generated_at": utc(datetime.now(timezone.utc)),
        "filters": {"year": paging.year, "congress": paging.congress},
        "page": paging.page, "per_page": paging.per_page, "total": total, "pages": pages,
        "next": following, "items": records,
    }, headers=headers)


@get("/public/data")
async def open_data_index(request: Request) -> Response[dict[str, Any]]:
    """What the feed holds and how to read it: the datasets, their addresses, parameters and notes."""
    root = _root(request)
    return Response({
        "title": "民生实事项目票决制开放数据", "schema_version": SCHEMA_VERSION,
        "generated_at": utc(datetime.now(timezone.utc)), "licence": LICENCE, "notes": list(NOTES),
        "documentation": "docs/open-data.md（随本软件发布）",
        "parameters": {name: parameter.description for name, parameter in QUERY.items()},
        "congresses": await published.congresses(),
        "datasets": [{"name": d.name, "title": d.title, "description": d.description, "identifier": d.identifier,
                      "order": d.order, "json": f"{root}/public/data/{d.name}", "csv": f"{root}/public/data/{d.name}.csv",
                      "per_page": {"default": d.default_per_page, "max": d.max_per_page},
                      "csv_columns": list(d.columns)} for d in DATASETS],
    }, headers={"Access-Control-Allow-Origin": "*"})


def _page_of(dataset: Dataset, as_csv: bool) -> HTTPRouteHandler:
    """The route of one dataset's pages, as JSON or as CSV."""

    async def page_of_dataset(request: Request) -> Response[Any]:
        return await answer(request, dataset.name, as_csv)

    return get(f"/{dataset.name}.csv" if as_csv else f"/{dataset.name}", name=f"open-data-{dataset.name}"
               + ("-csv" if as_csv else ""), summary=f"{dataset.title}（{'CSV' if as_csv else 'JSON'}）",
               description=dataset.description)(page_of_dataset)


open_data_router = Router(path="/public/data", parameters=QUERY,
                          route_handlers=[_page_of(d, as_csv) for d in DATASETS for as_csv in (False, True)])
