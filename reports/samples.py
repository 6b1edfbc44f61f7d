"""`make samples`: one PDF of each printed document for the demo data, for people evaluating piaojue.

Runs against its own database under samples/.data: loads the demo, simulates the
vote (every deputy present, random ballots), closes it, issues the notice, prints. Then
the session votes on four of the demo's proposals as that year's projects, which are
planned and reported on until one is completed and accepted: the acceptance certificate
and the progress bulletin. After the notice, layout samples of a bilingual ballot and notice (Tibetan,
Uyghur) as PNGs in docs/ (`bilingual_samples`; sample texts, not official translations).
Usage: python -m reports.samples OUTPUT_DIR
"""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import date
from pathlib import Path


async def _key_cards(poll_id: int, actor) -> list[str]:
    """The key ceremony for a sample poll: the session's scrutineers hold the cards (chosen from the
    first deputies if the demo session has none yet); their texts, to open the box at the count."""
    from voting import key_ceremony, polls, scrutiny
    from voting.tables import Deputy, Session

    poll = await polls.get_poll(poll_id)
    if not await scrutiny.members(poll["session"]):
        term = (await Session.select(Session.term).where(Session.id == poll["session"]).first())["term"]
        first = [d["id"] for d in await Deputy.select(Deputy.id).where(Deputy.term == term).order_by(Deputy.id).limit(3)]
        await scrutiny.set_members(poll["session"], first[0], first[1:3], [], actor)
    ceremony = await key_ceremony.hold(poll_id, actor)
    return [card.share.text for card in ceremony.cards]


async def _cast(poll_id: int, deputy_id: int, marks: dict[str, str]):
    from voting import ballot_box

    return await ballot_box.cast(poll_id, deputy_id, ballot_box.seal_for(await ballot_box.ballot_for(poll_id), marks))


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
        sitting = await sittings.open_sitting_of(session["id"])
        if sitting is None:
            first = next(s for s in await sittings.sittings_of(session["id"]) if s["status"] == "planned")
            await sittings.move_sitting(first["id"], "open", actor)
            sitting = await sittings.open_sitting_of(session["id"])
        await CheckIn.insert(*[CheckIn(session=session["id"], sitting=sitting["id"], deputy=d["id"], by="样例")
                               for d in deputies[:219]])
        cards = await _key_cards(poll["id"], actor)
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
            await _cast(poll["id"], deputy["id"], marks)
        await polls.close_poll(poll["id"], actor, cards)
        for member in await scrutiny.members(session["id"]):
            if member["role"] in scrutiny.CONFIRMING:
                await scrutiny.confirm(poll["id"], member["deputy"], "paper", actor)
        await scrutiny.publish(poll["id"], actor)
        await notices.issue_notice(poll["id"], actor)
    save("计票结果报告单.pdf", await documents.tally_pdf(poll["id"]))
    notice = (await notices.notices_of_poll(poll["id"]))[0]
    save("主席团公告.pdf", await documents.notice_pdf(notice["id"]))
    written += await bilingual_samples(poll["id"], notice["id"], DOCS, actor)
    await _satisfaction_samples(session, [candidates[i] for i in range(10)], actor, save)
    roster = await sittings.deputies_with_presence(session["id"])
    save("代表登录卡.pdf", await login_cards.issue_and_print(roster[:16], "http://127.0.0.1:8000", session["name"],
                                                         actor))
    await _project_samples(session, actor, save)
    return written


DOCS = Path(__file__).resolve().parent.parent / "docs"


async def bilingual_samples(poll_id: int, notice_id: int, docs: Path, actor) -> list[Path]:
    """双语排版样例: the demo poll's paper ballot and notice in Chinese and Tibetan, and in Chinese
    and Uyghur, as PNGs in docs/ (ballot-bo.png, notice-bo.png, ballot-ug.png, notice-ug.png).

    Layout samples only: the texts (reports.sample_translations) are entered as a translation
    office would, but are not official translations, and the poll was counted in Chinese; its
    ballot and notice are printed here in the congress's current words instead of the ones it
    opened with. The congress is set back to Chinese only afterwards.
    """
    import subprocess
    import tempfile

    from reports import ballots, documents, sample_translations
    from reports.pdf import render_pdf_fitting_async
    from voting import polls, sittings, translations
    from voting.serials import make_serial, qr_text

    poll = await polls.get_poll(poll_id)
    candidates = await polls.candidates_of(poll_id)
    session = await sittings.session_context(poll["session"])
    congress_id = await translations.congress_of_session(poll["session"])
    docs.mkdir(parents=True, exist_ok=True)
    written = []

    def png(content: bytes, name: str) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            pdf = Path(scratch) / "sample.pdf"
            pdf.write_bytes(content)
            subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                            str(docs / name)], check=True)
        written.append(docs / f"{name}.png")

    for code, texts in sample_translations.TEXTS.items():
        await translations.set_language(congress_id, code, actor, "样例：检查双语排版")
        await translations.enter(congress_id, texts, actor)
        words = await translations.for_congress(congress_id)
        serial = make_serial(poll_id, 1)  # not registered: a picture, not a ballot
        png(await ballots.ballots_pdf(poll, candidates, session, [(serial, qr_text(poll["ref"], serial))], words=words),
            f"ballot-{code}")
        context = await documents.notice_context(notice_id, words)
        png(await render_pdf_fitting_async("print/notice.html", documents.NOTICE_FITS, **context), f"notice-{code}")
    await translations.set_language(congress_id, "", actor, "样例：恢复只用中文")
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
        cards = await _key_cards(poll_id, actor)
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
            await _cast(poll_id, row["deputy"], marks)
        await polls.close_poll(poll_id, actor, cards)
    save("满意度测评结果报告.pdf", await documents.satisfaction_pdf(poll_id))


# The demo proposals (lifecycle.demo.IDEAS) the session votes on as the year's projects, each with
# its department, lead official, funding, start and end (month, day), milestones (title, weight,
# due) and progress reports (period, filed on, percent per milestone, spent 万元, narrative).
PROJECTS = (
    ("城关镇南塘社区老年食堂", "县民政局", "陈科长", "县财政 60 万元，福彩公益金 25 万元", (3, 1), (9, 30),
     (("场地改造装修", 50, (6, 30)), ("设备购置和开业运营", 50, (9, 30))),
     (("第二季度", (6, 30), (100, 20), 48, "场地改造装修完成，厨房设备已招标。"),
      ("第三季度", (9, 28), (100, 100), 83, "设备安装调试完毕，9 月 26 日试营业，日均就餐老人 120 人次。"))),
    ("石门乡饮用水管网改造", "县水利局", "李局长", "县财政 230 万元，上级补助 200 万元", (3, 15), (12, 20),
     (("主管网铺设", 60, (8, 31)), ("入户管道改造", 40, (12, 20))),
     (("第二季度", (6, 30), (45, 0), 150, "主管网完成 45%，雨季施工有所放缓。"),
      ("第三季度", (9, 30), (85, 15), 260, "主管网基本铺通，入户改造已在石门村开工。"))),
    ("岭头镇中心小学塑胶跑道", "县教育局", "吴副局长", "县财政 120 万元", (4, 1), (8, 31),
     (("基础施工", 40, (7, 20)), ("面层铺装和划线", 60, (8, 31))),
     (("第三季度", (9, 15), (100, 50), 70, "基础施工完成；面层材料到货延误，铺装推迟到国庆假期。"),)),
    ("龙潭镇溪滩公园健身步道", "县文化广电旅游体育局", "周主任", "县财政 95 万元", (5, 1), (11, 30),
     (("步道铺设", 70, (9, 30)), ("照明和健身器材", 30, (11, 30))), ()),
)
# The acceptance of the first of them, on 20 October: who came, the checklist, the findings.
ACCEPTANCE = ((10, 20), "南塘社区居民代表 陈阿姨、王大伯", {
    "content": {"ok": True, "note": "餐厅、厨房和助餐点按方案建成"},
    "scale": {"ok": True, "note": "餐位 80 个，可供 200 名老人就餐"},
    "quality": {"ok": True, "note": "消防、燃气和食品安全检查合格"},
}, "项目按实施方案完成，运营单位已确定，价格公示上墙。建议社区做好就餐老人满意度回访。")


async def _project_samples(session, actor, save) -> None:
    """The acceptance certificate (验收意见书) and the progress bulletin (进度通报) of the year's projects."""
    from lifecycle.dashboard import Scope
    from lifecycle.tables import Acceptance
    from reports import acceptance, bulletin

    def accepted():
        return Acceptance.select(Acceptance.id, Acceptance.project.year.as_alias("year"),
                                 Acceptance.project.congress.as_alias("congress")).order_by(Acceptance.id).first()

    record = await accepted()
    if record is None:
        await _projects_of_the_year(session, actor)
        record = await accepted()
    save("验收意见书.pdf", await acceptance.certificate_pdf(record["id"]))
    save("进度通报.pdf", await bulletin.bulletin(Scope(record["year"], record["congress"]), pdf=True, number=3,
                                             on=date(record["year"], 10, 31)))


async def _projects_of_the_year(session, actor) -> None:
    """PROJECTS entered, screened and voted on at the session for its year (three seats); each
    chosen one planned, published and reported on; the first completed and accepted. Everything
    goes through the same use cases as real input."""
    from lifecycle import acceptance, candidate_lists, projects, proposals, screening
    from lifecycle.demo import IDEAS
    from lifecycle.projects import MilestoneInput, PlanInput
    from lifecycle.proposal_input import ProposalInput
    from lifecycle.proposals import Who
    from lifecycle.tables import Project
    from voting import ballot_box, polls
    from voting.audit import Actor
    from voting.poll_settings import PollSettings
    from voting.tables import CheckIn, Term

    year = session["starts_on"].year
    congress_id = (await Term.select(Term.congress).where(Term.id == session["term_id"]).first())["congress"]
    secretariat = Who(actor, "secretariat")
    screener = Who(Actor("staff", None, "初审部门 县发改局"), "screener")
    round_id = await proposals.create_round(congress_id, year, f"{year} 年民生实事项目征集", date(year - 1, 9, 1),
                                            date(year - 1, 10, 31), 1500, secretariat)
    ideas = {idea[0]: idea for idea in IDEAS}
    proposal_ids = []
    for n, (title, *_) in enumerate(PROJECTS):
        _, town, village, category, cost, people, channel, text = ideas[title]
        made = await proposals.submit(round_id, ProposalInput(
            title=title, description=text, township=town, village=village, category=category, cost_wan=cost,
            beneficiaries=people, channel=channel, proposer_name="王大伯", supporters=12 + 7 * n), secretariat)
        await proposals.record_review(made["id"], dict.fromkeys(screening.CRITERIA, "meets"), {}, "", screener)
        await proposals.move(made["id"], "shortlisted", screener)
        proposal_ids.append(made["id"])
    await candidate_lists.add(session["id"], proposal_ids, secretariat)
    poll_id = await candidate_lists.make_poll(session["id"], PollSettings(
        title=f"{year}年青溪县民生实事项目票决（群众建议）", method="approval", seats=3, max_approvals=None,
        non_competitive=False, threshold_base="entitled", threshold_fraction="1/2", threshold_strict=True,
        quorum_fraction="2/3", candidates=()), secretariat)
    cards = await _key_cards(poll_id, actor)
    await polls.open_poll(poll_id, actor)
    rng = random.Random(2026)
    present = [row["deputy"] for row in await CheckIn.select(CheckIn.deputy).where(
        CheckIn.session == session["id"]).order_by(CheckIn.id)]
    for deputy in present:
        fors = [f"P{n:02d}" for n, share in enumerate((0.9, 0.85, 0.8, 0.4), start=1) if rng.random() < share]
        await _cast(poll_id, deputy, dict.fromkeys(fors[:3], "for"))
    await polls.close_poll(poll_id, actor, cards)  # the chosen proposals become projects

    for proposal_id, (title, department, lead, funding, starts, ends, stones, reports) in zip(proposal_ids, PROJECTS):
        project = await Project.select().where(Project.proposal == proposal_id).first()
        if project is None:  # not chosen
            continue
        plan = PlanInput(await projects.create_department(congress_id, department, secretariat), lead,
                         project["budget_wan"], funding, project["targets"], date(year, *starts), date(year, *ends),
                         tuple(MilestoneInput(name, weight, date(year, *due)) for name, weight, due in stones))
        await projects.save_plan(project["id"], plan, secretariat)
        await projects.submit_plan(project["id"], secretariat)
        await projects.move_project(project["id"], "implementing", secretariat)
        milestones = [m["id"] for m in await projects.milestones(project["id"])]
        for period, filed_on, percents, spent, narrative in reports:
            await projects.file_report(project["id"], f"{year}年{period}", date(year, *filed_on),
                                       dict(zip(milestones, percents)), spent, narrative, secretariat)
        if title == PROJECTS[0][0]:
            held_on, representatives, checklist, findings = ACCEPTANCE
            await projects.move_project(project["id"], "completed", secretariat)
            await acceptance.record_acceptance(project["id"], date(year, *held_on), present[5:9], representatives,
                                               checklist, findings, "accepted", 24, secretariat)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "samples")
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(write_samples(out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
