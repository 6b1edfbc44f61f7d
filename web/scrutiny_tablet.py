"""The scrutiny team's tablet pages (监票): counters enter returned paper ballots, the chief
scrutineer and scrutineers rule on disagreements and confirm the count.

Every member is a deputy logged in on a tablet, acting in the role the session page gave
them; a secretariat account has no page here. Counters enter, twice per sheet by two
different counters (voting.paper); chief scrutineer and scrutineers rule and confirm.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from voting import paper, polls, scrutiny, sittings
from voting.accounts import Viewer
from voting.errors import Forbidden, Refused
from voting.paper import Counter, Entry
from voting.rules import METHOD_VALUES, STATUS_LABELS as RESULT_STATUS_LABELS, VALUE_LABELS, VERDICT_LABELS
from web.auth import require_deputy
from web.pages import form_dict, page

NO_MARK = "none"  # the ruling form's 未划: the candidate is not marked on the sheet
HOW_LABELS = {"tablet": "平板", "paper": "纸质签字"}
NOT_A_MEMBER = "您不是本次会议的监票人。"


async def _scrutiny_role(viewer: Viewer) -> tuple[dict[str, Any] | None, str | None]:
    """The deputy's current session and their part in its scrutiny team (chief, scrutineer, counter or None)."""
    session = await sittings.current_session_for_term(viewer.term_id) if viewer.term_id else None
    return session, (await scrutiny.role_of(session["id"], viewer.id) if session else None)


def _dispute_rows(dispute: dict[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """A disputed ballot's two entries side by side, candidate by candidate, differences flagged."""
    entries = dispute["entries"]

    def shown(entry: dict[str, Any], ref: str) -> str:
        if entry["void"]:
            return "作废"
        value = entry["marks"].get(ref)
        return VALUE_LABELS.get(value, value) if value else "未划"

    rows = []
    for c in candidates:
        cells = [shown(e, c["ref"]) for e in entries]
        rows.append({"candidate": c, "cells": cells, "differs": len(set(cells)) > 1})
    voids = ["作废" if e["void"] else "有效" for e in entries]
    return {"serial": dispute["serial"], "entries": entries, "rows": rows,
            "voids": voids if any(e["void"] for e in entries) else None, "agreed": _agreed(entries, candidates)}


def _agreed(entries: list[dict[str, Any]], candidates: list[dict[str, Any]]) -> dict[str, str]:
    """The ruling form's starting choices: each candidate on which every entry agrees (未划 too),
    when no entry voided the whole sheet; the scrutineer then rules only where they differ."""
    if any(e["void"] for e in entries):
        return {}
    agreed = {}
    for c in candidates:
        values = {e["marks"].get(c["ref"]) or NO_MARK for e in entries}
        if len(values) == 1:
            agreed[c["ref"]] = values.pop()
    return agreed


async def _scrutiny_items(session: dict[str, Any], viewer: Viewer, role: str) -> list[dict[str, Any]]:
    """What the session's polls hold for a chief scrutineer or scrutineer: paper ballots to rule on
    while a poll is being counted, counts to confirm (or confirmed) once it is closed."""
    if role not in scrutiny.CONFIRMING:
        return []
    items: list[dict[str, Any]] = []
    for poll in await polls.polls_of_session(session["id"]):
        if poll["status"] == "counting":
            candidates = await polls.candidates_of(poll["id"])
            state = await paper.paper_state(poll["id"])
            items.append({"kind": "counting", "poll": poll, "candidates": candidates,
                          "choices": METHOD_VALUES[poll["method"]], "waiting": len(state["waiting"]),
                          "counted": state["counted"], "issued": state["issued"],
                          "disputes": [_dispute_rows(d, candidates) for d in state["disputed"]],
                          "pending": len(state["disputed"])})
        elif poll["status"] == "closed":
            confirmation = await scrutiny.confirmation_state(poll["id"])
            mine = next((m for m in confirmation["team"] if m["deputy"] == viewer.id), None)
            if mine is None:
                continue
            candidates = await polls.candidates_of(poll["id"])
            statement = None if mine["confirmation"] else await scrutiny.statement_for(poll, viewer.id)
            items.append({"kind": "closed", "poll": poll, "by_ref": {c["ref"]: c for c in candidates},
                          "result": await scrutiny.current_result(poll), "confirmation": confirmation,
                          "mine": mine["confirmation"], "seal": scrutiny.seal_in_force(poll, confirmation["corrections"]),
                          "statement": statement.text if statement else "",
                          "pending": 0 if mine["confirmation"] else 1})
    return items


async def scrutiny_entry(viewer: Viewer) -> dict[str, Any] | None:
    """The home page's 监票 entry: shown to the session's scrutiny team, with what awaits them."""
    session, role = await _scrutiny_role(viewer)
    if session is None or role is None:
        return None
    if role == "counter":
        pending = len(await _counting_polls(session))
    else:
        pending = sum(i["pending"] for i in await _scrutiny_items(session, viewer, role))
    return {"role": role, "role_label": scrutiny.ROLES[role], "pending": pending}


def _ruling_from(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str], bool]:
    """The ruling form as sent: every choice as chosen (kept for the page), the marks for the box
    (未划 dropped), and whether the whole sheet is ruled void."""
    chosen = {key[2:]: value for key, value in form.items() if key.startswith("m_") and value}
    marks = {ref: value for ref, value in chosen.items() if value != NO_MARK}
    return chosen, marks, form.get("void") == "1"


def _missing_choices(chosen: dict[str, str], candidates: list[dict[str, Any]]) -> str:
    missing = [f"第{n}项“{c['title']}”" for n, c in enumerate(candidates, start=1) if c["ref"] not in chosen]
    if not missing:
        return ""
    return (f"还有 {len(missing)} 个候选项目没有裁定：{'、'.join(missing)}。"
            "请对照纸质选票逐项选择；选票上没有划的，请选“未划”。")


# --- the counters' entry page ----------------------------------------------------------

ENTRY_OUTCOMES = {e.value: e for e in Entry}


def _entered_marks(form: dict[str, str]) -> dict[str, str]:
    """The entry form's marks: `m_<candidate ref>`, 未划 (NO_MARK or blank) left out."""
    return {key[2:]: value for key, value in form.items() if key.startswith("m_") and value and value != NO_MARK}


async def _counting_poll(viewer: Viewer, poll_id: int) -> dict[str, Any]:
    """The poll a counter enters sheets of: of their current session, and they a counter in it."""
    session, role = await _scrutiny_role(viewer)
    if session is None or role is None:
        raise Forbidden(NOT_A_MEMBER)
    if role != "counter":
        raise Forbidden("纸质选票由计票人录入；总监票人、监票人裁定两次录入不一致的选票并确认计票结果。")
    poll = await polls.get_poll(poll_id)
    if poll["session"] != session["id"]:
        raise Refused("这次票决不属于您所在的会议。", code="not_yours")
    return poll


async def _counting_polls(session: dict[str, Any]) -> list[dict[str, Any]]:
    """The session's polls whose paper ballots are being entered, with where they stand."""
    rows = []
    for poll in await polls.polls_of_session(session["id"]):
        if poll["status"] == "counting":
            state = await paper.paper_state(poll["id"])
            rows.append({"poll": poll, "issued": state["issued"], "counted": state["counted"],
                         "waiting": len(state["waiting"]), "disputed": len(state["disputed"])})
    return rows


async def _entry_page(request: Request, viewer: Viewer, poll: dict[str, Any], status_code: int = 200,
                      **more: Any) -> Template:
    state, form = await paper.paper_state(poll["id"]), more.pop("form", {})
    return page("tablet/scrutiny_paper_entry.html", request, viewer, status_code=status_code, poll=poll,
                marks={key[2:]: value for key, value in form.items() if key.startswith("m_")}, form=form,
                candidates=await polls.candidates_of(poll["id"]), choices=METHOD_VALUES[poll["method"]],
                labels=VALUE_LABELS, no_mark=NO_MARK, state=state, status_labels=polls.STATUS_LABELS,
                error=more.pop("error", ""), **more)



class ScrutinyTabletController(Controller):
    path = "/tablet/scrutiny"

    async def _scrutiny_page(self, request: Request, viewer: Viewer, status_code: int = 200,
                             error: dict[str, Any] | None = None) -> Template:
        session, role = await _scrutiny_role(viewer)
        if session is None or role is None:
            raise Forbidden(NOT_A_MEMBER)
        items = await _scrutiny_items(session, viewer, role)
        # A refusal is shown on the form it concerns; if that form is gone (another scrutineer
        # ruled first, the count was corrected), at the top of the page.
        page_error = ""
        if error:
            target = next((i for i in items if i["poll"]["id"] == error["poll"]), None)
            if target is None:
                shown_on_form = False
            elif error.get("serial"):
                shown_on_form = any(d["serial"] == error["serial"] for d in target.get("disputes", []))
            else:
                shown_on_form = target["kind"] == "closed"
            page_error = "" if shown_on_form else error["message"]
        counting = await _counting_polls(session) if role == "counter" else []
        return page("tablet/scrutiny.html", request, viewer, status_code=status_code, session=session, role=role,
                    counting=counting,
                    role_label=scrutiny.ROLES[role], items=items, labels=VALUE_LABELS, no_mark=NO_MARK,
                    how_labels=HOW_LABELS, roles=scrutiny.ROLES, status_labels=polls.STATUS_LABELS,
                    result_status_labels=RESULT_STATUS_LABELS, verdict_labels=VERDICT_LABELS,
                    ruled=paper.shown_serial(str(request.query_params.get("ruled") or "")),
                    error=error or {}, page_error=page_error)

    async def _scrutiny_poll(self, viewer: Viewer, poll_id: int) -> tuple[dict[str, Any], str]:
        """The poll a scrutineer acts on: of their current session, and they chief or scrutineer in it."""
        session, role = await _scrutiny_role(viewer)
        if session is None or role is None:
            raise Forbidden(NOT_A_MEMBER)
        if role not in scrutiny.CONFIRMING:
            raise Forbidden("计票人在计票台录入纸质选票；裁定和确认由总监票人、监票人进行。")
        poll = await polls.get_poll(poll_id)
        if poll["session"] != session["id"]:
            raise Refused("这次票决不属于您所在的会议。", code="not_yours")
        return poll, role

    @get("/")
    async def scrutiny_home(self, request: Request) -> Template:
        """监票: disputed paper ballots to rule on, counts to confirm, for the session's scrutiny team."""
        viewer = await require_deputy(request)
        return await self._scrutiny_page(request, viewer)

    @post("/polls/{poll_id:int}/rule")
    async def scrutiny_rule(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """A ruling on a paper ballot whose two entries differ: what the sheet says goes into the box."""
        viewer = await require_deputy(request)
        _, role = await self._scrutiny_poll(viewer, poll_id)
        form = form_dict(await request.form())
        serial = form.get("serial", "").strip()
        chosen, marks, void = _ruling_from(form)
        reason = form.get("reason", "").strip()[:500]
        try:
            missing = "" if void else _missing_choices(chosen, await polls.candidates_of(poll_id))
            if missing:
                raise Refused(missing, code="incomplete_ruling")
            await paper.rule(poll_id, serial, marks, void, Counter(viewer.id, f"{scrutiny.ROLES[role]} {viewer.name}"),
                             reason)
        except Refused as refused:
            return await self._scrutiny_page(request, viewer, refused.status_code, error={
                "poll": poll_id, "serial": serial, "message": refused.message, "marks": chosen, "void": void,
                "reason": reason})
        return Redirect(f"/tablet/scrutiny?{urlencode({'ruled': serial})}#poll-{poll_id}", status_code=303)

    @post("/polls/{poll_id:int}/confirm")
    async def scrutiny_confirm(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        """The scrutineer confirms the count in force, as the page showed it (its seal)."""
        viewer = await require_deputy(request)
        poll, _ = await self._scrutiny_poll(viewer, poll_id)
        form = form_dict(await request.form())
        # A form sends a hidden field's line breaks as CRLF; the tablet signed the text with LF.
        statement = form.get("statement", "").replace("\r\n", "\n")
        signed = scrutiny.Signed(statement, form.get("public_key", ""), form.get("signature", ""))
        try:
            await scrutiny.confirm(poll_id, viewer.id, "tablet", viewer.actor, seen_seal=form.get("seal", ""),
                                   signed=signed if signed.signature or signed.public_key else None)
        except Refused as refused:
            return await self._scrutiny_page(request, viewer, refused.status_code,
                                             error={"poll": poll_id, "message": refused.message})
        return Redirect(f"/tablet/scrutiny#poll-{poll_id}", status_code=303)

    @get("/polls/{poll_id:int}/entry")
    async def entry_form(self, request: Request, poll_id: FromPath[int]) -> Template:
        """录入纸质选票: a counter enters one returned sheet at a time, as it reads."""
        viewer = await require_deputy(request)
        poll = await _counting_poll(viewer, poll_id)
        query = request.query_params
        outcome = ENTRY_OUTCOMES.get(str(query.get("outcome") or ""))
        return await _entry_page(request, viewer, poll, entered=paper.shown_serial(str(query.get("entered") or "")),
                                 outcome=outcome.value if outcome else "",
                                 message=paper.ENTRY_MESSAGES[outcome] if outcome else "",
                                 note=str(query.get("note") or "")[:200] if outcome else "")

    @post("/polls/{poll_id:int}/entry")
    async def enter(self, request: Request, poll_id: FromPath[int]) -> Template | Redirect:
        viewer = await require_deputy(request)
        poll = await _counting_poll(viewer, poll_id)
        form = form_dict(await request.form())
        marks, void = _entered_marks(form), form.get("void") == "1"
        try:
            outcome = await paper.enter(poll_id, form.get("serial", ""), marks, void,
                                        Counter(viewer.id, f"{scrutiny.ROLES['counter']} {viewer.name}"))
            note = await paper.sheet_note(poll_id, marks, void)
        except Refused as refused:
            return await _entry_page(request, viewer, poll, refused.status_code, error=refused.message, form=form)
        query = {"entered": paper.shown_serial(form.get("serial", "")), "outcome": outcome.value, "note": note}
        return Redirect(f"/tablet/scrutiny/polls/{poll_id}/entry?{urlencode(query)}", status_code=303)
