"""Demo data for an empty database: 青溪县 congress, 231 deputies, a draft vote on 12 projects.

Loaded by `make run` (skip with PIAOJUE_DEMO=0). The demo logins are written to
`<data dir>/demo-logins.txt` and printed, since only hashes are stored.
"""

from __future__ import annotations

from pathlib import Path

from config import settings
from voting import accounts, demo_data, polls, roster, scrutiny, sittings
from voting.audit import Actor
from voting.poll_settings import CandidateInput, PollSettings
from voting.tables import Congress, Deputy

DEMO_USER = "mishu"
DEMO_PASSWORD = "qingxi2025"


async def load_if_empty() -> Path | None:
    """Load the demo when there is no congress yet; the path of the logins file, or None."""
    if await Congress.exists():
        return None
    actor = Actor.system()
    congress = demo_data.CONGRESS
    congress_id = await sittings.create_congress(congress["name"], congress["level"], congress["place"], actor)
    term_id = await sittings.create_term(congress_id, demo_data.TERM["number"], actor)
    session = demo_data.SESSION
    session_id = await sittings.create_session(term_id, session["number"], session["starts_on"],
                                               session["ends_on"], actor)
    for held_on, starts_at, ends_at in demo_data.SITTINGS:  # planned: the secretariat opens the first one
        await sittings.create_sitting(session_id, held_on, starts_at, ends_at, actor)
    await roster.import_deputies(term_id, demo_data.deputies(), actor, source="演示数据")
    projects = demo_data.candidate_projects()
    await polls.create_poll(session_id, PollSettings(
        title=demo_data.POLL["title"], method="approval", seats=demo_data.POLL["seats"], max_approvals=None,
        non_competitive=False, threshold_base="entitled", threshold_fraction="1/2", threshold_strict=True,
        quorum_fraction="2/3",
        candidates=tuple(CandidateInput(p["title"], p["summary"], p["location"], p["cost_wan"]) for p in projects),
    ), actor)
    await accounts.create_staff(DEMO_USER, "张敏", DEMO_PASSWORD, role="admin")
    deputies = await Deputy.select(Deputy.id, Deputy.number, Deputy.name).where(Deputy.term == term_id).order_by(
        Deputy.number)
    codes = await accounts.issue_login_codes([d["id"] for d in deputies], actor, reason="演示数据")
    ids = [d["id"] for d in deputies]
    await scrutiny.set_members(session_id, ids[0], ids[1:3], ids[3:5], actor)  # as the presidium proposed
    lines = [f"秘书处控制台  用户名 {DEMO_USER}  密码 {DEMO_PASSWORD}", "",
             "监票人（演示）：总监票人 " + deputies[0]["name"] + "，监票人 " + deputies[1]["name"] + "、"
             + deputies[2]["name"] + "；计票人 " + deputies[3]["name"] + "、" + deputies[4]["name"], "",
             "代表登录码（演示）："]
    lines += [f"{d['number']}  {d['name']}  {accounts.format_code(codes[d['id']][0])}" for d in deputies]
    path = settings().data_dir / "demo-logins.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
