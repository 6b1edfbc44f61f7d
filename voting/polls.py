"""A poll's life: drafted with its rules, opened, closed and counted, exported.

Rules and candidates are frozen once the poll opens. Closing counts the ballots with
voting.rules, stores the result once (it is never edited afterwards) and seals the
ballot box: the SHA-256 of the exported ballot file is kept, and on PostgreSQL the
poll's register and ballot rows are rewritten in key order so no hidden column or
storage order remembers which arrived when.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from voting import audit, ballot_opening, key_ceremony, paper, poll_settings, rules, sittings, translations
from voting.audit import Actor
from voting.ballot_file import dump_ballot_file, dumps
from voting.database import after_seal, fetch, fetch_value, is_sqlite, write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.poll_settings import CandidateInput, PollSettings
from voting.tables import Candidate, Poll, ResultCorrection, Session

STATUS_LABELS = {"draft": "草稿", "open": "投票中", "counting": "录入纸质选票", "closed": "已计票"}

# Called inside the closing transaction with (poll id, result, actor), so whatever the
# result moves on (lifecycle's candidates) moves in the same commit as the count. The
# voting engine knows nothing of who listens: lifecycle registers itself.
CloseHook = Callable[[int, dict[str, Any], Actor], Awaitable[None]]
CLOSE_HOOKS: list[CloseHook] = []


def on_close(hook: CloseHook) -> CloseHook:
    if hook not in CLOSE_HOOKS:
        CLOSE_HOOKS.append(hook)
    return hook


# Called inside the transaction that records a correction of the count (voting.scrutiny)
# with (poll id, the result in force before, the corrected result, actor): whatever the
# first result moved on is moved again in the same commit, or the hook refuses (Conflict)
# and the correction is not recorded.
CorrectionHook = Callable[[int, dict[str, Any], dict[str, Any], Actor], Awaitable[None]]
CORRECTION_HOOKS: list[CorrectionHook] = []


def on_correction(hook: CorrectionHook) -> CorrectionHook:
    if hook not in CORRECTION_HOOKS:
        CORRECTION_HOOKS.append(hook)
    return hook


async def _next_ref(session_id: int) -> str:
    session = await Session.select(Session.starts_on, Session.number).where(Session.id == session_id).first()
    if session is None:
        raise NotFound("没有这次会议。")
    year = session["starts_on"].year if session["starts_on"] else datetime.now(timezone.utc).year
    count = await Poll.count().where(Poll.session == session_id)
    for n in range(count + 1, count + 100):
        ref = f"{year}-s{session_id}-{n}"
        if not await Poll.exists().where(Poll.ref == ref):
            return ref
    raise Conflict("无法生成票决编号。")


def _candidate_rows(poll_id: int, candidates: tuple[CandidateInput, ...]) -> list[Candidate]:
    return [
        Candidate(poll=poll_id, position=i, ref=f"P{i:02d}", title=c.title.strip(), summary=c.summary.strip(),
                  location=c.location.strip(), cost_wan=c.cost_wan, reference=c.reference.strip())
        for i, c in enumerate(candidates, start=1)
    ]


def _settings_columns(s: PollSettings) -> dict[Any, Any]:
    return {
        Poll.title: s.title, Poll.method: s.method, Poll.seats: s.seats, Poll.max_approvals: s.max_approvals,
        Poll.non_competitive: s.non_competitive, Poll.threshold_base: s.threshold_base,
        Poll.threshold_fraction: s.threshold_fraction.replace(" ", ""), Poll.threshold_strict: s.threshold_strict,
        Poll.quorum_fraction: s.quorum_fraction.replace(" ", ""), Poll.show_running_totals: s.show_running_totals,
    }


def _check(s: PollSettings) -> None:
    found = poll_settings.problems(s)
    if found:
        raise Refused("；".join(found), code="invalid_settings")


async def create_poll(session_id: int, s: PollSettings, actor: Actor, *, rehearsal: bool = False) -> int:
    """A draft poll. `rehearsal` says the session is a 会前演练 one (voting.rehearsal_data):
    real polls never go into a rehearsal session, rehearsal polls never into a real one."""
    _check(s)
    async with write_transaction():
        ref = await _next_ref(session_id)
        if await sittings.is_rehearsal_session(session_id) != rehearsal:
            raise Conflict("会前演练的会议中不能建立正式票决。" if not rehearsal
                           else "演练票决只能建在会前演练的会议中。", code="rehearsal_mismatch")
        columns = {column._meta.name: value for column, value in _settings_columns(s).items()}
        rows = await Poll.insert(Poll(session=session_id, ref=ref, status="draft", **columns))
        poll_id = rows[0]["id"]
        await Candidate.insert(*_candidate_rows(poll_id, s.candidates))
        await audit.record(actor, "poll_created", subject=f"{s.title}（{ref}）",
                           detail={"candidates": len(s.candidates), "seats": s.seats, "method": s.method})
    return poll_id


async def update_poll(poll_id: int, s: PollSettings, actor: Actor, reason: str = "") -> None:
    _check(s)
    async with write_transaction():
        before = await get_poll(poll_id)
        if before["status"] != "draft":
            raise Conflict("投票已经开始，票决办法和候选项目不能再修改。", code="frozen")
        await Poll.update(_settings_columns(s)).where(Poll.id == poll_id)
        await Candidate.delete().where(Candidate.poll == poll_id)
        await Candidate.insert(*_candidate_rows(poll_id, s.candidates))
        changed = {k: [before[k], v] for k, v in
                   {c._meta.name: v for c, v in _settings_columns(s).items()}.items() if before[k] != v}
        await audit.record(actor, "poll_rules_changed", subject=f"{s.title}（{before['ref']}）",
                           detail={"changed": changed, "candidates": [c.title for c in s.candidates]}, reason=reason)


async def delete_poll(poll_id: int, actor: Actor, reason: str = "") -> None:
    async with write_transaction():
        poll = await get_poll(poll_id)
        if poll["status"] != "draft":
            raise Conflict("已经开始的票决不能删除。", code="frozen")
        await Poll.delete().where(Poll.id == poll_id)
        await audit.record(actor, "poll_deleted", subject=f"{poll['title']}（{poll['ref']}）", reason=reason)


async def get_poll(poll_id: int) -> dict[str, Any]:
    poll = await Poll.select().where(Poll.id == poll_id).first()
    if poll is None:
        raise NotFound("没有这次票决。")
    return poll


async def get_poll_by_ref(ref: str) -> dict[str, Any]:
    poll = await Poll.select().where(Poll.ref == ref).first()
    if poll is None:
        raise NotFound(f"没有编号为 {ref} 的票决。")
    return poll


async def candidates_of(poll_id: int) -> list[dict[str, Any]]:
    return await Candidate.select().where(Candidate.poll == poll_id).order_by(Candidate.position)


def settings_of(poll: dict[str, Any], candidates: list[dict[str, Any]]) -> PollSettings:
    return PollSettings(
        title=poll["title"], method=poll["method"], seats=poll["seats"], max_approvals=poll["max_approvals"],
        non_competitive=poll["non_competitive"], threshold_base=poll["threshold_base"],
        threshold_fraction=poll["threshold_fraction"], threshold_strict=poll["threshold_strict"],
        quorum_fraction=poll["quorum_fraction"],
        candidates=tuple(CandidateInput(c["title"], c["summary"], c["location"], c["cost_wan"], c["reference"])
                         for c in candidates),
        show_running_totals=bool(poll["show_running_totals"]),
    )


async def polls_of_session(session_id: int) -> list[dict[str, Any]]:
    return await Poll.select().where(Poll.session == session_id).order_by(Poll.id)


async def open_polls_of_session(session_id: int) -> list[dict[str, Any]]:
    return await Poll.select().where((Poll.session == session_id) & (Poll.status == "open")).order_by(Poll.id)


async def open_poll(poll_id: int, actor: Actor) -> None:
    async with write_transaction():
        poll = await get_poll(poll_id)
        if poll["status"] != "draft":
            raise Conflict("这次票决已经开始过，不能再次开始。", code="not_draft")
        candidates = await candidates_of(poll_id)
        _check(settings_of(poll, candidates))
        key = await key_ceremony.key_in_force(poll_id)
        if key is None:
            raise Conflict("还没有举行钥匙仪式：开始投票前，请在监票人面前生成本次票决的钥匙卡并分发给他们。",
                           code="no_key_ceremony")
        language = await translations.freeze_for_opening(poll)
        figures = await quorum_figures(poll)
        if figures["refusal"]:
            raise Conflict(figures["refusal"], code=figures["code"])
        changed = await Poll.update({Poll.status: "open", Poll.opened_at: datetime.now(timezone.utc),
                                     Poll.sitting: figures["sitting"], **language}).where(
            (Poll.id == poll_id) & (Poll.status == "draft")).returning(Poll.id)
        if not changed:
            raise Conflict("这次票决已经开始过，不能再次开始。", code="not_draft")
        await audit.record(actor, "poll_opened", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"candidates": [c["title"] for c in candidates], "sitting": figures["sitting_name"],
                                   "entitled": figures["entitled"], "present": figures["present"],
                                   "quorum_needed": figures["needed"], "key_fingerprint": key["fingerprint"]})


async def quorum_figures(poll: dict[str, Any]) -> dict[str, Any]:
    """What the chair announces before a poll opens, at the session's open sitting: entitled,
    present, the quorum needed, and why it may not open (`refusal`, Chinese) or None."""
    sitting = await sittings.open_sitting_of(poll["session"])
    fraction = poll_settings.parse_fraction(poll["quorum_fraction"])
    fraction = rules.DEFAULT_QUORUM if fraction is None else fraction
    figures = await sittings.attendance(poll["session"], fraction, sitting_id=sitting["id"] if sitting else None)
    entitled, present = figures.entitled, figures.present if sitting else 0
    refusal = rules.quorum_refusal(entitled, present, fraction)
    code = "no_quorum"
    if sitting is None:
        refusal, code = "现在没有正在进行的全体会议，不能开始投票。请先在会议页面开始全体会议并组织代表签到。", "no_open_sitting"
    return {"sitting": sitting["id"] if sitting else None,
            "sitting_name": sittings.sitting_name(sitting["number"]) if sitting else "",
            "entitled": entitled, "present": present, "needed": rules.quorum_needed(entitled, fraction),
            "refusal": refusal, "code": code}


async def _hall_figures(poll: dict[str, Any]) -> tuple[int, int, int]:
    """Entitled (active deputies of the term), present (checked in to the sitting the poll opened in),
    issued (register rows)."""
    session = await Session.select(Session.term).where(Session.id == poll["session"]).first()
    entitled = await fetch_value("SELECT COUNT(*) AS n FROM deputy WHERE term = {} AND active = {}",
                                 session["term"], True)
    present = await fetch_value(
        "SELECT COUNT(*) AS n FROM check_in c JOIN deputy d ON d.id = c.deputy WHERE c.sitting = {} AND d.active = {}",
        poll["sitting"] or 0, True)
    issued = await fetch_value("SELECT COUNT(*) AS n FROM poll_voter WHERE poll = {}", poll["id"])
    return int(entitled), int(present), int(issued)


async def sitting_of_poll(poll: dict[str, Any]) -> int:
    """The sitting whose check-ins count for the poll: the one it opened in; before it opens, the
    session's current sitting (0 when there is none)."""
    if poll["sitting"]:
        return poll["sitting"]
    sitting = await sittings.current_sitting(poll["session"])
    return sitting["id"] if sitting else 0


async def stored_ballots(poll_id: int) -> list[rules.Ballot]:
    rows = await fetch("SELECT id, marks, void FROM ballot WHERE poll = {} ORDER BY id", poll_id)
    return [rules.Ballot(r["id"], json.loads(r["marks"] or "{}"), bool(r["void"])) for r in rows]


async def _reseal(poll_id: int) -> None:
    """PostgreSQL: rewrite the poll's ballots and register in key order in this one
    transaction, so every row carries the same transaction id and sits in key order."""
    for table, key, columns in (("ballot", "id", "id, poll, marks, void"),
                                ("poll_voter", "key", "key, poll, deputy, voted, medium, stamp")):
        await fetch(f"CREATE TEMP TABLE sealing_{table} ON COMMIT DROP AS "
                    f"SELECT {columns} FROM {table} WHERE poll = {{}}", poll_id)
        await fetch(f"DELETE FROM {table} WHERE poll = {{}}", poll_id)
        await fetch(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM sealing_{table} ORDER BY {key}")


async def stop_voting(poll_id: int, actor: Actor) -> None:
    """Stop the tablets and open the paper ballot box: the sheets handed out are now entered
    (voting.paper) before the count. A poll with no paper ballots issued goes straight to the count."""
    async with write_transaction():
        poll = await get_poll(poll_id)
        changed = await Poll.update({Poll.status: "counting"}).where(
            (Poll.id == poll_id) & (Poll.status == "open")).returning(Poll.id)
        if not changed:
            raise Conflict("只有正在投票的票决才能结束投票。", code="not_open")
        await audit.record(actor, "poll_stopped", subject=f"{poll['title']}（{poll['ref']}）")


async def paper_issued(poll_id: int) -> int:
    return int(await fetch_value("SELECT COUNT(*) AS n FROM poll_voter WHERE poll = {} AND medium = {}",
                                 poll_id, "paper"))


async def close_poll(poll_id: int, actor: Actor, cards: Sequence[str] = ()) -> dict[str, Any]:
    """Count the ballots (tablet and paper together) and store the result and the seal.
    Returns the piaojue-result/1 object.

    From `open` this stops the vote and counts at once; from `counting` (paper ballots
    being entered) it counts once every entered sheet is settled. `cards`: the scrutineers'
    key cards as read at the desk, k of them at least when tablets voted (voting.ballot_opening).
    """
    async with write_transaction():
        poll = await get_poll(poll_id)
        if poll["status"] not in ("open", "counting"):
            raise Conflict("只有正在投票或录入纸质选票的票决才能计票。", code="not_open")
        if problems := await paper.count_problems(poll_id):  # returned ≤ issued per medium, every sheet settled
            raise Conflict("现在不能计票：" + "；".join(problems) + "。", code="paper_unreconciled")
        changed = await Poll.update({Poll.status: "closed", Poll.closed_at: datetime.now(timezone.utc)}).where(
            (Poll.id == poll_id) & (Poll.status == poll["status"])).returning(Poll.id)
        if not changed:
            raise Conflict("只有正在投票或录入纸质选票的票决才能计票。", code="not_open")
        entitled, present, issued = await _hall_figures(poll)
        candidates = await candidates_of(poll_id)
        poll_rules = poll_settings.to_rules(poll, candidates, entitled, present, issued)
        opened = await ballot_opening.open_and_shuffle(poll, len(candidates), cards)
        ballots = sorted(opened, key=lambda b: b.id)
        result = rules.count(poll_rules, ballots).to_json()
        digest = seal(poll_rules, ballots)
        await Poll.update({Poll.entitled: entitled, Poll.present: present, Poll.issued: issued,
                           Poll.result: result, Poll.ballots_sha256: digest}).where(Poll.id == poll_id)
        if not is_sqlite():
            await _reseal(poll_id)
        await audit.record(actor, "poll_closed", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"status": result["status"], "returned": result["returned"],
                                   "winners": result.get("winners"), "sha256": digest})
        for hook in CLOSE_HOOKS:
            await hook(poll_id, result, actor)
    await after_seal(["ballot", "poll_voter", "sealed_ballot"])
    return result


def seal(poll_rules: rules.PollRules, ballots: list[rules.Ballot]) -> str:
    """The tamper-evident seal: SHA-256 of the exported ballot file (paper and tablet ballots)."""
    return hashlib.sha256(dumps(dump_ballot_file(poll_rules, ballots)).encode()).hexdigest()


async def verify(poll_id: int) -> dict[str, Any]:
    """Recompute the seal and the count from the ballots stored now and compare them with what was
    sealed at the close (or at the latest correction): any ballot altered, added or removed shows."""
    poll = await get_poll(poll_id)
    if poll["status"] != "closed":
        raise Conflict("投票结束并计票后才能核验。", code="not_closed")
    candidates = await candidates_of(poll_id)
    poll_rules = poll_settings.to_rules(poll, candidates, poll["entitled"], poll["present"], poll["issued"])
    ballots = await stored_ballots(poll_id)
    latest = await _latest_correction(poll_id)
    sealed_sha = latest["ballots_sha256"] if latest else poll["ballots_sha256"]
    sealed_result = latest["result"] if latest else stored_result(poll)
    now_sha = seal(poll_rules, ballots)
    recount = rules.count(poll_rules, ballots).to_json()
    return {"poll": poll["ref"], "sealed": sealed_sha, "computed": now_sha, "ballots": len(ballots),
            "intact": now_sha == sealed_sha and recount == sealed_result, "result_matches": recount == sealed_result,
            "recount": recount}


async def root_of(poll_id: int) -> int:
    """The first round of a chain of further votes (另行票决)."""
    for _ in range(20):
        row = await Poll.select(Poll.runoff_of).where(Poll.id == poll_id).first()
        if row is None or row["runoff_of"] is None:
            return poll_id
        poll_id = row["runoff_of"]
    return poll_id


async def rounds_of(poll_id: int) -> list[dict[str, Any]]:
    """Every round of the vote this poll belongs to, first round first."""
    chain = [await get_poll(await root_of(poll_id))]
    for _ in range(20):
        following = await Poll.select().where(Poll.runoff_of == chain[-1]["id"]).first()
        if following is None:
            break
        chain.append(following)
    return chain


async def final_outcome(poll_id: int) -> dict[str, Any]:
    """The chosen projects over all rounds: the first round's winners, then each further
    vote's; and what is still open (a further vote to hold, seats short)."""
    chain = await rounds_of(poll_id)
    winners: list[dict[str, Any]] = []
    pending_runoff: list[dict[str, Any]] = []
    shortfall = 0
    for poll in chain:
        result = await result_in_force(poll)
        if result is None or result.get("status") != "valid":
            pending_runoff = []
            break
        by_ref = {c["ref"]: c for c in await candidates_of(poll["id"])}
        winners += [{**by_ref[ref], "round": poll["round"]} for ref in result.get("winners", [])]
        pending_runoff = [by_ref[ref] for ref in result.get("runoff", [])]
        shortfall += result.get("shortfall", 0)
    last = chain[-1]
    return {"rounds": chain, "winners": winners, "runoff": pending_runoff, "shortfall": shortfall,
            "complete": last["status"] == "closed" and not pending_runoff}


async def open_runoff(poll_id: int, actor: Actor) -> int:
    """The further vote (另行票决) on the candidates tied at the cut-off, for the seats left, in the
    same session: created with the first round's rules and opened at once."""
    async with write_transaction():
        poll = await get_poll(poll_id)
        result = await result_in_force(poll)
        if poll["status"] != "closed" or not result or not result.get("runoff"):
            raise Conflict("这次票决没有需要另行票决的项目。", code="no_runoff")
        if await Poll.exists().where(Poll.runoff_of == poll_id):
            raise Conflict("另行票决已经开始过。", code="runoff_exists")
        by_ref = {c["ref"]: c for c in await candidates_of(poll_id)}
        tied = [by_ref[ref] for ref in result["runoff"]]
        seats = result["runoff_seats"]
        settings = PollSettings(
            title=translations.runoff_title(poll["title"]), method="approval", seats=seats, max_approvals=seats,
            non_competitive=len(tied) <= seats, threshold_base=poll["threshold_base"],
            threshold_fraction=poll["threshold_fraction"], threshold_strict=poll["threshold_strict"],
            quorum_fraction=poll["quorum_fraction"], show_running_totals=bool(poll["show_running_totals"]),
            candidates=tuple(CandidateInput(c["title"], c["summary"], c["location"], c["cost_wan"],
                                            c["reference"]) for c in tied))
        runoff_id = await create_poll(poll["session"], settings, actor,
                                      rehearsal=await sittings.is_rehearsal_session(poll["session"]))
        await Poll.update({Poll.round: poll["round"] + 1, Poll.runoff_of: poll_id}).where(Poll.id == runoff_id)
        await key_ceremony.inherit(poll_id, runoff_id)
        await translations.carry_to_runoff(poll, settings.title)
        await open_poll(runoff_id, actor)
        await audit.record(actor, "runoff_opened", subject=f"{poll['title']}（{poll['ref']}）",
                           detail={"runoff_poll": runoff_id, "seats": seats, "candidates": result["runoff"]})
    return runoff_id


async def export_ballot_file(poll_id: int) -> str:
    """The spec's ballot file for a closed poll (ballots in random-id order)."""
    poll = await get_poll(poll_id)
    if poll["status"] != "closed":
        raise Conflict("投票结束后才能导出选票文件。", code="not_closed")
    candidates = await candidates_of(poll_id)
    poll_rules = poll_settings.to_rules(poll, candidates, poll["entitled"], poll["present"], poll["issued"])
    return dumps(dump_ballot_file(poll_rules, await stored_ballots(poll_id)))


def stored_result(poll: dict[str, Any]) -> dict[str, Any] | None:
    """The count made at the close (never changed afterwards)."""
    result = poll["result"]
    if isinstance(result, str):
        result = json.loads(result) if result else None
    return result


async def _latest_correction(poll_id: int) -> dict[str, Any] | None:
    """The newest correction of the count (voting.scrutiny): its result and seal, or None."""
    return await ResultCorrection.select(ResultCorrection.result, ResultCorrection.ballots_sha256).where(
        ResultCorrection.poll == poll_id).order_by(ResultCorrection.id, ascending=False).output(load_json=True).first()


async def result_in_force(poll: dict[str, Any]) -> dict[str, Any] | None:
    """The result that stands: the latest correction's, else the count at the close."""
    latest = await _latest_correction(poll["id"])
    return latest["result"] if latest else stored_result(poll)


async def progress(poll_id: int) -> dict[str, Any]:
    """Live figures for the secretariat: present, issued, returned, overall and per delegation."""
    poll = await get_poll(poll_id)
    session = await Session.select(Session.term).where(Session.id == poll["session"]).first()
    rows = await fetch(
        """SELECT dl.name AS delegation, COUNT(d.id) AS entitled, COUNT(c.id) AS present,
                  COUNT(v.key) AS issued, COALESCE(SUM(CASE WHEN v.voted THEN 1 ELSE 0 END), 0) AS returned
           FROM delegation dl
           JOIN deputy d ON d.delegation = dl.id AND d.active = {}
           LEFT JOIN check_in c ON c.deputy = d.id AND c.sitting = {}
           LEFT JOIN poll_voter v ON v.deputy = d.id AND v.poll = {}
           WHERE dl.term = {}
           GROUP BY dl.id, dl.name, dl.position ORDER BY dl.position, dl.id""",
        True, await sitting_of_poll(poll), poll_id, session["term"],
    )
    delegations = [{k: (int(v) if k != "delegation" else v) for k, v in r.items()} for r in rows]
    totals = {k: sum(r[k] for r in delegations) for k in ("entitled", "present", "issued", "returned")}
    # Paper ballots come back unnamed: the box holds tablet and counted paper ballots alike.
    totals["returned"] = await ballot_opening.in_box(poll_id)
    totals["paper_issued"] = await paper_issued(poll_id)
    quorum = poll_settings.parse_fraction(poll["quorum_fraction"])
    totals["quorum_needed"] = rules.quorum_needed(totals["entitled"], quorum)
    totals["quorum_met"] = totals["present"] >= totals["quorum_needed"]
    return {"poll": poll["ref"], "status": poll["status"], **totals, "delegations": delegations}
