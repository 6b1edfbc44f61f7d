"""The satisfaction evaluation (满意度测评) of the year's accepted projects: a poll of method
`satisfaction` in the session vote engine, one candidate per project, whose verdicts
(满意 / 基本满意 / 不满意, rule 7 of the ballot file spec) flow back onto each project.

Each candidate carries its project's proposal code as `reference`, as the candidate list does;
when the poll is counted, the close hook below finds each project by that code, writes its
verdict and moves it to `evaluated`, in the closing transaction. A void poll or one without
quorum reports no verdicts and changes nothing: the projects stay `accepted` and can go into a
new evaluation poll. A correction of the count after the close (voting.scrutiny) is carried
over by `apply_correction`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from lifecycle import projects, stages
from lifecycle.proposals import Who, _event, today
from lifecycle.tables import Project
from voting import audit, polls, scrutiny
from voting.audit import Actor
from voting.database import write_transaction
from voting.errors import Conflict, Forbidden, NotFound, Refused
from voting.poll_settings import CandidateInput, PollSettings
from voting.rules import VERDICT_LABELS
from voting.tables import Candidate, Poll, Session

UNCLOSED = ("draft", "open", "counting")


def default_title(year: int) -> str:
    return f"{year}年民生实事项目满意度测评"


async def _projects(congress_id: int, year: int, stage: str) -> list[dict[str, Any]]:
    return await Project.select(
        Project.all_columns(), Project.proposal.code.as_alias("code"),
        Project.proposal.township.as_alias("township"), Project.proposal.village.as_alias("village"),
        Project.department.name.as_alias("department_name")).where(
        (Project.congress == congress_id) & (Project.year == year) & (Project.stage == stage)).order_by(Project.id)


def needs_rectification(verdict: str | None, rectify_basically: bool) -> bool:
    """Whether a verdict opens a rectification and calls for a later evaluation — pure: 不满意
    always, 基本满意 where the congress has set so (its supervision settings)."""
    return verdict == "dissatisfied" or (verdict == "basically_satisfied" and rectify_basically)


async def awaiting(congress_id: int, year: int) -> list[dict[str, Any]]:
    """What an evaluation poll of `year` is made of: the year's accepted projects of the congress,
    and projects evaluated before whose verdict called for rectification, to be evaluated again."""
    fresh = await _projects(congress_id, year, "accepted")
    return fresh + [p for p in await to_evaluate_again(congress_id) if p["year"] <= year]


async def to_evaluate_again(congress_id: int | None = None) -> list[dict[str, Any]]:
    """Evaluated projects whose verdict called for rectification (needs_rectification under their
    congress's settings): each may go into a later satisfaction poll; marked `again`."""
    query = Project.select(
        Project.all_columns(), Project.proposal.code.as_alias("code"),
        Project.proposal.township.as_alias("township"), Project.proposal.village.as_alias("village"),
        Project.congress.name.as_alias("congress_name"), Project.department.name.as_alias("department_name")).where(
        (Project.stage == "evaluated") & Project.verdict.is_in(["dissatisfied", "basically_satisfied"])).order_by(
        Project.id)
    if congress_id is not None:
        query = query.where(Project.congress == congress_id)
    settings: dict[int, bool] = {}
    found = []
    for row in await query:
        if row["congress"] not in settings:
            settings[row["congress"]] = (await projects.thresholds(row["congress"])).rectify_basically
        if needs_rectification(row["verdict"], settings[row["congress"]]):
            found.append({**row, "again": True})
    return found


async def pending_polls(codes: list[str]) -> dict[str, dict[str, Any]]:
    """For each proposal code on a satisfaction poll not yet counted: that poll (id, ref, title, status)."""
    if not codes:
        return {}
    rows = await Candidate.select(Candidate.reference, Candidate.poll.id.as_alias("poll_id"),
                                  Candidate.poll.ref.as_alias("ref"), Candidate.poll.title.as_alias("title"),
                                  Candidate.poll.status.as_alias("status")).where(
        Candidate.reference.is_in(codes) & (Candidate.poll.method == "satisfaction")
        & Candidate.poll.status.is_in(list(UNCLOSED)))
    return {r["reference"]: {"id": r["poll_id"], "ref": r["ref"], "title": r["title"], "status": r["status"]}
            for r in rows}


def candidate_inputs(rows: list[dict[str, Any]]) -> tuple[CandidateInput, ...]:
    """One candidate per project, its proposal code as the reference; two projects of the same
    name are told apart by their place (candidate titles must differ)."""
    titles = Counter(r["title"] for r in rows)
    made = []
    for r in rows:
        place = f"{r['township'] or ''}{r['village'] or ''}"
        title = r["title"] if titles[r["title"]] == 1 or not place else f"{r['title']}（{place}）"
        made.append(CandidateInput(title=title[:100], summary=(r["targets"] or "")[:300],
                                   location=place[:100], cost_wan=r["budget_wan"], reference=r["code"]))
    return tuple(made)


async def open_evaluation(congress_id: int, year: int, session_id: int, title: str, who: Who,
                          project_ids: list[int] | None = None, *, threshold_base: str = "entitled",
                          threshold_fraction: str = "1/2", threshold_strict: bool = True,
                          quorum_fraction: str = "2/3") -> int:
    """Make the satisfaction poll (a draft, opened from its poll page like any other) on the
    year's accepted projects of the congress, or on the chosen ones among them; returns its id.
    The verdict rule is the poll's threshold (default: more than half of all deputies)."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden("满意度测评由秘书处组织。")
    title = title.strip() or default_title(year)
    async with write_transaction():
        session = await Session.select(Session.term.congress.as_alias("congress")).where(
            Session.id == session_id).first()
        if session is None:
            raise NotFound("没有这次会议。")
        if session["congress"] != congress_id:
            raise Refused("测评须在本级人大的会议上进行，请选择本级人大的会议。", code="wrong_session")
        rows = await awaiting(congress_id, year)
        if project_ids is not None:
            chosen = set(project_ids)
            known = {r["id"] for r in rows}
            if not chosen:
                raise Refused("请至少选择一个项目。", code="none_chosen")
            if chosen - known:
                raise Refused(f"所选项目中有不是 {year} 年度已验收、待测评的项目。", code="not_awaiting")
            rows = [r for r in rows if r["id"] in chosen]
        if not rows:
            raise Refused(f"{year} 年度没有已验收、待测评的项目。", code="nothing_to_evaluate")
        # Take the projects (row locks on PostgreSQL): a second evaluation opened at the same moment
        # waits here, then sees this poll's candidates and is refused.
        await Project.update({Project.updated_at: datetime.now(timezone.utc)}).where(
            Project.id.is_in([r["id"] for r in rows]))
        pending = await pending_polls([r["code"] for r in rows])
        if pending:
            taken = [r for r in rows if r["code"] in pending]
            first = pending[taken[0]["code"]]
            names = "、".join(f"“{r['title']}”" for r in taken)
            raise Conflict(f"{names}已在满意度测评“{first['title']}”（{first['ref']}）中，"
                           "请在那次测评计票后再测评。", code="already_pending")
        settings = PollSettings(title=title, method="satisfaction", seats=None, max_approvals=None,
                                non_competitive=False, threshold_base=threshold_base,
                                threshold_fraction=threshold_fraction, threshold_strict=threshold_strict,
                                quorum_fraction=quorum_fraction, candidates=candidate_inputs(rows))
        poll_id = await polls.create_poll(session_id, settings, who.actor)
        await audit.record(who.actor, "evaluation_opened", subject=title,
                           detail={"poll": poll_id, "year": year, "projects": [r["id"] for r in rows]})
    return poll_id


def _verdict_text(poll_title: str, entry: dict[str, Any], corrected: bool = False) -> str:
    counts = (f"满意 {entry['satisfied']} 票，基本满意 {entry['basically_satisfied']} 票，"
              f"不满意 {entry['dissatisfied']} 票，弃权 {entry['abstain']} 票")
    lead = f"“{poll_title}”计票结果更正" if corrected else f"经“{poll_title}”满意度测评"
    return f"{lead}：{VERDICT_LABELS[entry['verdict']]}（{counts}）"


async def _by_project(poll_id: int, result: dict[str, Any], *stage: str) -> list[tuple[dict[str, Any], dict]]:
    """(project, result entry) for each candidate of the poll whose reference is a project in one of `stage`."""
    reference_of = {c["ref"]: c["reference"] for c in await polls.candidates_of(poll_id) if c["reference"]}
    entries = {reference_of[e["id"]]: e for e in result.get("candidates", []) if e["id"] in reference_of}
    if not entries:
        return []
    rows = await Project.select(Project.all_columns(), Project.proposal.code.as_alias("code")).where(
        Project.proposal.code.is_in(list(entries)) & Project.stage.is_in(list(stage)))
    return [(row, entries[row["code"]]) for row in rows]


@polls.on_close
async def apply_verdicts(poll_id: int, result: dict[str, Any], actor: Actor) -> None:
    """The count of a satisfaction poll flows back: each accepted project on it gets its verdict
    and moves to `evaluated`; a project evaluated before and evaluated again gets its new verdict
    (the history keeps both). A verdict that calls for it opens a rectification for the project's
    department. A void poll or one without quorum changes nothing."""
    if result.get("method") != "satisfaction" or result.get("status") != "valid":
        return
    poll = await Poll.select(Poll.id, Poll.title).where(Poll.id == poll_id).first()
    who = Who(actor, "system")
    for project, entry in await _by_project(poll_id, result, "accepted", "evaluated"):
        verdict = entry.get("verdict")
        if verdict not in VERDICT_LABELS:
            continue
        await Project.update({Project.verdict: verdict}).where(Project.id == project["id"])
        if project["stage"] == "accepted":
            await projects.move_project(project["id"], "evaluated", who, facts=frozenset({"verdict"}),
                                        text=_verdict_text(poll["title"], entry))
        else:
            await _event(project["proposal"], "verdict", who, text="再次" + _verdict_text(poll["title"], entry),
                         detail={"poll": poll_id, "before": project["verdict"], "after": verdict})
        await _consequence(project, poll["title"], entry, who)


async def _consequence(project: dict[str, Any], poll_title: str, entry: dict[str, Any], who: Who) -> None:
    """A verdict that calls for it (needs_rectification) opens a rectification for the project's
    department, due in the congress's set number of days; its group verifies it as any other."""
    limits = await projects.thresholds(project["congress"])
    if not needs_rectification(entry["verdict"], limits.rectify_basically):
        return
    from lifecycle import supervision  # supervision imports projects, as this module does

    due = today() + timedelta(days=limits.verdict_rectify_days)
    request = (f"满意度测评“{poll_title[:60]}”结果为{VERDICT_LABELS[entry['verdict']]}"
               f"（满意 {entry['satisfied']} 票，基本满意 {entry['basically_satisfied']} 票，不满意 "
               f"{entry['dissatisfied']} 票）。请承办部门针对代表意见整改，整改情况报监督小组核实；"
               "整改后在以后的满意度测评中再次测评。")
    await supervision.raise_rectification(project["id"], None, request, due, who, source="evaluation")


async def apply_correction(poll_id: int, who: Who) -> int:
    """After a correction of the count (voting.scrutiny), put the corrected verdicts on the
    projects the poll evaluated; returns how many changed. The history says why."""
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()
    async with write_transaction():
        poll = await polls.get_poll(poll_id)
        if poll["method"] != "satisfaction" or poll["status"] != "closed":
            raise Conflict("只有已计票的满意度测评才能按更正后的结果更新。", code="not_counted")
        result = await scrutiny.current_result(poll)
        if not result or result.get("status") != "valid":
            raise Conflict("这次测评没有有效的测评结果。", code="no_verdicts")
        changed = 0
        for project, entry in await _by_project(poll_id, result, "evaluated"):
            if entry.get("verdict") in VERDICT_LABELS and entry["verdict"] != project["verdict"]:
                await Project.update({Project.verdict: entry["verdict"],
                                      Project.updated_at: datetime.now(timezone.utc)}).where(
                    Project.id == project["id"])
                await _event(project["proposal"], "verdict", who,
                             text=_verdict_text(poll["title"], entry, corrected=True),
                             detail={"poll": poll_id, "before": project["verdict"], "after": entry["verdict"]})
                changed += 1
        await audit.record(who.actor, "evaluation_corrected", subject=poll["title"],
                           detail={"poll": poll_id, "changed": changed})
    return changed


async def evaluations(congress_id: int | None = None) -> list[dict[str, Any]]:
    """Satisfaction polls that evaluate projects (a candidate refers to a project), newest first,
    each with its projects, the result in force and where the projects' verdicts differ from it."""
    query = Poll.select(Poll.all_columns(), Poll.session.name.as_alias("session_name"),
                        Poll.session.term.congress.as_alias("congress")).where(Poll.method == "satisfaction")
    if congress_id:
        query = query.where(Poll.session.term.congress == congress_id)
    found = []
    for poll in await query.order_by(Poll.id, ascending=False):
        candidates = await polls.candidates_of(poll["id"])
        codes = [c["reference"] for c in candidates if c["reference"]]
        if not codes:
            continue
        rows = await Project.select(Project.id, Project.title, Project.stage, Project.verdict, Project.year,
                                    Project.proposal.code.as_alias("code")).where(Project.proposal.code.is_in(codes))
        if not rows:
            continue
        by_code = {r["code"]: r for r in rows}
        result = await scrutiny.current_result(poll) if poll["status"] == "closed" else None
        verdicts = {c["reference"]: None for c in candidates}
        if result and result.get("status") == "valid":
            ref_to_code = {c["ref"]: c["reference"] for c in candidates}
            verdicts = {ref_to_code[e["id"]]: e.get("verdict") for e in result["candidates"]}
        items = [{**by_code[c["reference"]], "candidate": c, "counted": verdicts.get(c["reference"])}
                 for c in candidates if c["reference"] in by_code]
        stale = [i for i in items if i["stage"] == "evaluated" and i["counted"] and i["counted"] != i["verdict"]]
        found.append({**poll, "projects": items, "result": result, "stale": stale,
                      "summary": Counter(i["counted"] for i in items if i["counted"])})
    return found


async def completed_projects(congress_id: int | None = None) -> list[dict[str, Any]]:
    """Projects awaiting acceptance, and accepted ones awaiting evaluation, for the secretariat's overview."""
    query = Project.select(Project.all_columns(), Project.proposal.code.as_alias("code"),
                           Project.proposal.township.as_alias("township"),
                           Project.proposal.village.as_alias("village"),
                           Project.congress.name.as_alias("congress_name"),
                           Project.department.name.as_alias("department_name")).where(
        Project.stage.is_in(["completed", "accepted"])).order_by(Project.congress).order_by(
        Project.year).order_by(Project.id)
    if congress_id:
        query = query.where(Project.congress == congress_id)
    return await query


async def sessions_by_congress() -> dict[int, list[dict[str, Any]]]:
    """Each congress's sessions, newest first: where an evaluation poll can be held."""
    rows = await Session.select(Session.id, Session.name, Session.term.congress.as_alias("congress")).order_by(
        Session.id, ascending=False)
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["congress"], []).append(row)
    return found
