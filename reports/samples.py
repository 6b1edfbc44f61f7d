"""`make samples`: one PDF of each printed document for the demo data, for people evaluating piaojue.

Runs against its own database under samples/.data: loads the demo, simulates the
vote (every deputy present, random ballots), closes it, issues the notice, prints.
Usage: python -m reports.samples OUTPUT_DIR
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path


async def write_samples(out: Path) -> list[Path]:
    from reports import ballots, documents, login_cards
    from voting import ballot_box, demo, notices, paper, polls, scrutiny, sittings
    from voting.serials import qr_text
    from voting.audit import Actor
    from voting.tables import CheckIn, Deputy, Poll

    actor = Actor("system", None, "样例")
    await demo.load_if_empty()
    poll = await Poll.select().order_by(Poll.id).first()
    session = await sittings.session_context(poll["session"])
    candidates = await polls.candidates_of(poll["id"])
    written: list[Path] = []

    def save(name: str, content: bytes) -> None:
        path = out / name
        path.write_bytes(content)
        written.append(path)

    if poll["status"] == "draft":
        serials = await paper.register_print_run(poll["id"], 20, actor)
        pairs = [(serial, qr_text(poll["ref"], serial)) for serial in serials]
        save("选票.pdf", await ballots.ballots_pdf(poll, candidates, session, pairs))
        deputies = await Deputy.select(Deputy.id).where(Deputy.term == session["term_id"])
        await CheckIn.insert(*[CheckIn(session=session["id"], deputy=d["id"], by="样例") for d in deputies[:219]])
        await polls.open_poll(poll["id"], actor)
        rng = random.Random(2025)
        popular = {c["ref"]: rng.uniform(0.35, 0.95) for c in candidates}
        for deputy in deputies[:214]:
            marks = {}
            for ref, share in popular.items():
                roll = rng.random()
                marks[ref] = "for" if roll < share else ("against" if roll < share + 0.08 else "abstain")
            fors = [ref for ref, value in marks.items() if value == "for"]
            for ref in fors[poll["seats"]:]:
                marks[ref] = "abstain"
            await ballot_box.cast(poll["id"], deputy["id"], marks)
        await polls.close_poll(poll["id"], actor)
        for member in await scrutiny.members(session["id"]):
            if member["role"] in scrutiny.CONFIRMING:
                await scrutiny.confirm(poll["id"], member["deputy"], "paper", actor)
        await scrutiny.publish(poll["id"], actor)
        await notices.issue_notice(poll["id"], actor)
    save("计票结果报告单.pdf", await documents.tally_pdf(poll["id"]))
    notice = (await notices.notices_of_poll(poll["id"]))[0]
    save("主席团公告.pdf", await documents.notice_pdf(notice["id"]))
    await _satisfaction_samples(session, [candidates[i] for i in range(10)], actor, save)
    roster = await sittings.deputies_with_presence(session["id"])
    save("代表登录卡.pdf", await login_cards.issue_and_print(roster[:16], "http://127.0.0.1:8000", session["name"],
                                                         actor))
    return written


async def _satisfaction_samples(session, projects, actor, save) -> None:
    """A satisfaction evaluation of ten projects: the numbered form and the result report."""
    from reports import ballots, documents
    from voting import ballot_box, paper, polls
    from voting.poll_settings import CandidateInput, PollSettings
    from voting.serials import qr_text
    from voting.tables import CheckIn, Poll

    existing = await Poll.select().where((Poll.session == session["id"]) & (Poll.method == "satisfaction")).first()
    if existing:
        poll_id = existing["id"]
    else:
        settings = PollSettings(
            title="2024 年度民生实事项目满意度测评", method="satisfaction", seats=None, max_approvals=None,
            non_competitive=False, threshold_base="entitled", threshold_fraction="1/2", threshold_strict=True,
            quorum_fraction="2/3",
            candidates=tuple(CandidateInput(p["title"], p["summary"], p["location"], p["cost_wan"]) for p in projects))
        poll_id = await polls.create_poll(session["id"], settings, actor)
    poll = await polls.get_poll(poll_id)
    if poll["status"] == "draft":
        serials = await paper.register_print_run(poll_id, 20, actor)
        save("满意度测评表.pdf", await ballots.ballots_pdf(
            poll, await polls.candidates_of(poll_id), session,
            [(serial, qr_text(poll["ref"], serial)) for serial in serials]))
        await polls.open_poll(poll_id, actor)
        rng = random.Random(2024)
        liking = [rng.uniform(0.3, 0.8) for _ in projects]
        present = await CheckIn.select(CheckIn.deputy).where(CheckIn.session == session["id"])
        for row in present[:210]:
            marks = {}
            for n, share in enumerate(liking, start=1):
                roll = rng.random()
                marks[f"P{n:02d}"] = ("satisfied" if roll < share else "basically_satisfied" if roll < share + 0.25
                                      else "dissatisfied" if roll < share + 0.32 else "abstain")
            await ballot_box.cast(poll_id, row["deputy"], marks)
        await polls.close_poll(poll_id, actor)
    save("满意度测评结果报告.pdf", await documents.satisfaction_pdf(poll_id))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "samples")
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(write_samples(out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
