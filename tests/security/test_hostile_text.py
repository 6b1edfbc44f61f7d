"""Script and markup typed into every text field is shown as text: on every page and in the PDFs.

The texts go in through the same forms people use (the public form, the tablet, the console,
a roster CSV) wherever a form exists, so each field's own input handling is part of the test.
Each carries a tag of its own, so a page can be checked for the very field it shows:

- `<script>alert(1)</script>` must never reach a page as markup, and shows as `&lt;script&gt;`;
- `"><img src=x onerror=alert(1)>` (to break out of an attribute) likewise;
- `{{7*7}}` and `{% raw %}` show as typed: no template ever evaluates what was typed;
- a right-to-left override (U+202E), which makes text read backwards (a candidate's title printed
  reversed on the paper ballot), is dropped from every page, print document and the big screen;
  the stored text stays as typed (web/pages.py, reports/pdf.py: Jinja's finalize; web/screen.py);
- 10,000 characters in a field are refused with a message, never kept, never a server error.
"""

from __future__ import annotations

import io
import html
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from lifecycle import proposals
from lifecycle.proposal_input import BIDI_CONTROLS
from lifecycle.tables import Project, Proposal
from tests.hall import STAFF, csrf_of, login_deputy, make_hall
from tests.security.world import PASSWORD, browser
from tests.web.test_public_project import photo
from voting import accounts, ballot_box
from voting.tables import Deputy
from tests import sealed

RTL = "\u202e"
IMG = '"><img src=x onerror=alert(1)>'  # 30 characters: fits the shortest fields
SHOWN_IMG = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
LONG = "长" * 10_000


def hostile(tag: str) -> str:
    return f"{RTL}<script>alert(1)</script>{{{{7*7}}}}{{% raw %}}{tag}"


def shown(tag: str) -> str:
    """How hostile(tag) reads in a page's HTML: escaped, the template syntax untouched."""
    return f"&lt;script&gt;alert(1)&lt;/script&gt;{{{{7*7}}}}{{% raw %}}{tag}"


NAME = "<b>张</b>{{7*7}}NM"  # a deputy's name holds 20 characters at most
SHOWN_NAME = "&lt;b&gt;张&lt;/b&gt;{{7*7}}NM"


def assert_inert(html: str, where: str) -> None:
    assert "<script>alert" not in html, f"{where}: a script tag from the data is markup"
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html, f"{where}: an img tag from the data"
    assert "<b>张</b>" not in html, f"{where}: markup from a deputy's name"
    assert "</script>49" not in html and "&gt;49{% raw" not in html and ">49{% raw" not in html, \
        f"{where}: {{{{7*7}}}} was evaluated"


async def ok(response, *codes: int):
    assert response.status_code in (codes or (200, 302, 303)), (response.status_code, response.text[:1500])
    return response


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture(scope="module")
async def stage() -> dict:
    """A sitting, a proposal and a project whose every text field was typed by an attacker."""
    hall = await make_hall(deputies=12)
    staff = browser()
    await staff.__aenter__()
    username = f"hostile_{hall.congress_id}"
    await accounts.create_staff(username, "秘书处 测试", PASSWORD)
    await staff.get("/console/login")
    await ok(await staff.post("/console/login", data={"username": username, "password": PASSWORD,
                                                      "_csrf_token": csrf_of(staff)}))
    token = csrf_of(staff)
    today = proposals.today()

    # Deputies named by a roster file.
    number = f"H{hall.congress_id}-01"
    csv = ("代表证号,姓名,性别,代表团,工作单位及职务,手机\n"
           f"{number},{NAME},男,\"{IMG.replace(chr(34), chr(34) * 2)}\",\"{hostile('AFF')}\",\n").encode("utf-8")
    uploaded = await ok(await staff.post(f"/console/terms/{hall.term_id}/import", data={"_csrf_token": token},
                                         files={"file": ("名册.csv", csv, "text/csv")}), 303)
    preview = await ok(await staff.get(uploaded.headers["location"]), 200)
    assert_inert(preview.text, "roster import preview")
    form = {key: re.search(rf'name="{key}" value="([^"]*)"', preview.text).group(1) for key in ("token", "digest")}
    await ok(await staff.post(f"/console/terms/{hall.term_id}/import/confirm", data={"_csrf_token": token, **form}),
             303)
    deputy = (await Deputy.select(Deputy.id).where(Deputy.number == number).first())["id"]
    code = (await accounts.issue_login_codes([deputy], STAFF))[deputy][0]
    await hall.check_in(*hall.deputy_ids, deputy)

    # A proposal from the public form, one from the console's paper entry, one from the tablet.
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, hostile("RT")[:60],
                                            today - timedelta(days=2), today + timedelta(days=20), 5000,
                                            proposals.Who(STAFF, "secretariat"))
    citizen = browser()
    async with citizen:
        await citizen.get("/public/propose")
        made = await ok(await citizen.post("/public/propose", data={
            "_csrf_token": csrf_of(citizen), "round": str(round_id), "title": hostile("T1"),
            "description": hostile("D1") + "，路面坑洼，群众出行不便。", "township": IMG, "village": "{{7*7}}{% raw %}村",
            "category": "transport", "cost_wan": "120", "beneficiaries": "3000", "proposer_name": "<b>王</b>",
            "contact": "<i>138</i>", "website": ""}), 303)
    public_code = made.headers["location"].split("code=")[1]
    proposal = (await Proposal.select(Proposal.id).where(Proposal.code == public_code).first())["id"]
    await ok(await staff.post("/console/proposals/new", data={
        "_csrf_token": token, "round": str(round_id), "channel": "liaison_station", "title": hostile("T2"),
        "description": hostile("D2") + "，补充说明。", "township": "城关镇", "village": "", "category": "water",
        "cost_wan": "", "beneficiaries": "", "proposer_name": hostile("PN")[:20], "contact": "",
        "received_on": str(proposals.today())}))
    tablet = browser()
    await tablet.__aenter__()
    await login_deputy(tablet, code)
    deputy_made = await ok(await tablet.post("/tablet/propose", data={
        "_csrf_token": csrf_of(tablet), "round": str(round_id), "title": hostile("T3"),
        "description": hostile("D3") + "，代表调研所得。", "township": "城关镇", "village": "", "category": "other",
        "cost_wan": "", "beneficiaries": ""}), 303)

    # Screening: a review, a meeting and a decision with reasons, all typed in the console.
    review = {"_csrf_token": token, "note": hostile("R2")}
    from lifecycle import screening

    for key in screening.CRITERIA:
        review[f"a_{key}"] = "meets"
        review[f"c_{key}"] = hostile("R1") if key == "necessity" else ""
    await ok(await staff.post(f"/console/proposals/{proposal}/review", data=review))
    await ok(await staff.post(f"/console/proposals/{proposal}/meetings", data={
        "_csrf_token": token, "kind": "consultation", "meeting": hostile("M1"), "held_on": str(today),
        "document": hostile("M2"), "notes": hostile("M3")}))
    await ok(await staff.post(f"/console/proposals/{proposal}/move", data={
        "_csrf_token": token, "target": "shortlisted", "reason": hostile("S1")}))
    from tests.lifecycle.test_proposals import shortlisted

    other = (await shortlisted(round_id, 1))[0]

    # The candidate list becomes a poll; the hall votes; the hostile proposal is chosen.
    session = hall.session_id
    await ok(await staff.post(f"/console/sessions/{session}/candidates", data={
        "_csrf_token": token, "proposal": [str(proposal), str(other)]}))
    made_poll = await ok(await staff.post(f"/console/sessions/{session}/candidates/poll", data={
        "_csrf_token": token, "title": hostile("PT"), "seats": "1", "threshold_base": "entitled",
        "threshold_fraction": "1/2", "threshold_strict": "1", "quorum_fraction": "2/3"}))
    list_poll = int(made_poll.headers["location"].rsplit("/", 1)[1])
    numbers = hall.numbers
    await ok(await staff.post(f"/console/sessions/{session}/scrutiny", data={
        "_csrf_token": token, "chief": number, "scrutineers": numbers[hall.deputy_ids[1]], "counters": ""}))
    cards_page = await ok(await staff.post(f"/console/polls/{list_poll}/key-ceremony", data={"_csrf_token": token}))
    cards = [html.unescape(t) for t in re.findall(r'<p class="key-text mono">([^<]+)</p>', cards_page.text)]
    await ok(await staff.post(f"/console/polls/{list_poll}/open", data={"_csrf_token": token}))
    for voter in hall.deputy_ids:
        await sealed.cast(list_poll, voter, {"P01": "for"})
    await ok(await staff.post(f"/console/polls/{list_poll}/stop", data={"_csrf_token": token}))
    await ok(await staff.post(f"/console/polls/{list_poll}/count", data={"_csrf_token": token, "card_1": cards[0],
                                                                        "card_2": cards[1]}))
    for confirming in (deputy, hall.deputy_ids[1]):
        await ok(await staff.post(f"/console/polls/{list_poll}/confirmations", data={
            "_csrf_token": token, "deputy": str(confirming)}))
    await ok(await staff.post(f"/console/polls/{list_poll}/publish", data={"_csrf_token": token}))
    await ok(await staff.post(f"/console/polls/{list_poll}/notices", data={"_csrf_token": token}))
    project = await Project.select().where(Project.proposal == proposal).first()
    assert project is not None, "the hostile proposal was not chosen"

    # A poll typed in the console, with hostile candidates; open on the tablets.
    poll_form = {"_csrf_token": token, "title": hostile("PT2"), "method": "approval", "seats": "1",
                 "max_approvals": "", "threshold_base": "entitled", "threshold_fraction": "1/2",
                 "threshold_strict": "on", "quorum_fraction": "2/3", "reason": ""}
    for n, title in enumerate((hostile("C1"), "村道硬化工程", "老年食堂建设"), start=1):
        poll_form.update({f"c{n}_title": title, f"c{n}_summary": hostile(f"CS{n}") if n == 1 else "",
                          f"c{n}_location": IMG if n == 1 else "", f"c{n}_cost": str(100 * n)})
    created = await ok(await staff.post(f"/console/sessions/{session}/polls", data=poll_form))
    typed_poll = int(created.headers["location"].rsplit("/", 1)[1])
    draft = await ok(await staff.get(f"/console/polls/{typed_poll}/edit"), 200)  # the form, filled in again
    assert_inert(draft.text, "the poll form")
    assert shown("C1") in draft.text and shown("PT2") in draft.text and SHOWN_IMG in draft.text
    ballots_pdf = await ok(await staff.post(f"/console/polls/{typed_poll}/paper-ballots", data={
        "_csrf_token": token, "count": "1"}), 200)
    await ok(await staff.post(f"/console/polls/{typed_poll}/key-ceremony", data={"_csrf_token": token}), 200)
    await ok(await staff.post(f"/console/polls/{typed_poll}/open", data={"_csrf_token": token}))

    # The project's life: department, plan, report, decision, supervision, acceptance, upkeep.
    await ok(await staff.post("/console/departments", data={
        "_csrf_token": token, "congress": str(hall.congress_id), "name": hostile("DP")}))
    from lifecycle import projects

    department = next(d["id"] for d in await projects.departments(hall.congress_id))
    base = f"/console/projects/{project['id']}"
    start = today - timedelta(days=30)
    await ok(await staff.post(f"{base}/plan", data={
        "_csrf_token": token, "department": str(department), "lead_official": hostile("L1")[:40],
        "budget_wan": "120", "funding": hostile("F1"), "targets": hostile("G1"), "starts_on": str(start),
        "ends_on": str(start + timedelta(days=200)), "m1_title": hostile("MS1"), "m1_weight": "100",
        "m1_due": str(start + timedelta(days=100))}))
    await ok(await staff.post(f"{base}/plan/submit", data={"_csrf_token": token}))
    await ok(await staff.post(f"{base}/plan/return", data={"_csrf_token": token, "reason": hostile("PR")}))
    await ok(await staff.post(f"{base}/plan/submit", data={"_csrf_token": token}))
    await ok(await staff.post(f"{base}/move", data={"_csrf_token": token, "target": "implementing"}))
    milestone = (await projects.milestones(project["id"]))[0]["id"]
    await ok(await staff.post(f"{base}/reports", data={
        "_csrf_token": token, "period": "<b>一季度</b>", "filed_on": str(today), "spent_wan": "50",
        f"p_{milestone}": "40", "narrative": hostile("N1") + "，路基完成，路面开始铺设。"},
        files=[("photos", ("<img src=x onerror=alert(1)>.png", photo(), "image/png"))]))
    await ok(await staff.post(f"{base}/decisions", data={
        "_csrf_token": token, "kind": "adjust", "body": "县人大常委会", "meeting": hostile("DM"),
        "decided_on": str(today), "document": hostile("DD"), "summary": hostile("DS"),
        "targets": hostile("DT")}))
    await ok(await staff.post(f"/console/supervision/projects/{project['id']}/group", data={
        "_csrf_token": token, "lead": number, "members": numbers[hall.deputy_ids[2]]}))
    await ok(await tablet.post(f"/tablet/supervision/projects/{project['id']}/inspections", data={
        "_csrf_token": csrf_of(tablet), "held_on": str(today), "went": [str(deputy)], "others": hostile("I0"),
        "findings": hostile("I1") + "，路面平整。", "unannounced": "1", "lot_draw": ""},
        files=[("photos", ("\"><svg onload=alert(1)>.png", photo((1, 2, 3)), "image/png"))]))
    await ok(await tablet.post(f"/tablet/supervision/projects/{project['id']}/rectifications", data={
        "_csrf_token": csrf_of(tablet), "request": hostile("RQ"), "due_on": str(today + timedelta(days=9)),
        "inspection": ""}))
    from lifecycle import supervision

    rect = (await supervision.rectifications(project["id"]))[0]["id"]
    await ok(await staff.post(f"/console/supervision/rectifications/{rect}/reply", data={
        "_csrf_token": token, "reply": hostile("RP"), "back": "project"}))
    await ok(await tablet.post(f"/tablet/supervision/rectifications/{rect}/close", data={
        "_csrf_token": csrf_of(tablet), "note": hostile("CL")}))
    await ok(await staff.post(f"{base}/reports", data={
        "_csrf_token": token, "period": "二季度", "filed_on": str(today), "spent_wan": "118",
        f"p_{milestone}": "100", "narrative": "全部完工。" * 3}))
    await ok(await staff.post(f"{base}/move", data={"_csrf_token": token, "target": "completed"}))
    acceptance_form = {"_csrf_token": token, "held_on": str(today), "deputy": [str(deputy), str(hall.deputy_ids[2])],
                       "representatives": hostile("AR"), "findings": hostile("AF"), "result": "accepted",
                       "warranty_months": "24", "rectify_by": ""}
    for key in ("content", "scale", "quality"):
        acceptance_form[f"c_{key}"] = "1"
        acceptance_form[f"n_{key}"] = hostile("AN") if key == "content" else ""
    accepted = await ok(await staff.post(f"{base}/acceptance", data=acceptance_form))
    acceptance_id = int(accepted.headers["location"].split("saved=")[1].split("#")[0])
    await ok(await staff.post(f"{base}/maintenance/custodians", data={
        "_csrf_token": token, "name": hostile("CU")[:20], "deputy": "", "duty": hostile("CD"), "since": str(today)}))
    await ok(await staff.post(f"{base}/maintenance/log", data={
        "_csrf_token": token, "on": str(today), "note": hostile("LG") + "，清理排水沟。", "defect": "", "due_on": ""}))
    project = await projects.get_project(project["id"])
    yield {"hall": hall, "staff": staff, "tablet": tablet, "token": token, "deputy": deputy, "round": round_id,
            "proposal": proposal, "public_code": public_code, "project": project, "list_poll": list_poll,
            "typed_poll": typed_poll, "acceptance": acceptance_id, "ballots_pdf": ballots_pdf.content,
            "deputy_made": deputy_made.headers["location"]}
    await staff.aclose()
    await tablet.aclose()


async def test_every_page_shows_the_markup_as_text(stage):
    hall, project, code = stage["hall"], stage["project"], stage["project"]["code"]
    p, s = project["id"], hall.session_id
    console = {  # page: the fields it must show (as text)
        "/console": [], f"/console/sessions/{s}": [SHOWN_NAME, shown("PT"), shown("PT2")],
        f"/console/sessions/{s}/deputies": [SHOWN_NAME, SHOWN_IMG], f"/console/sessions/{s}/candidates": [shown("T1")],
        f"/console/polls/{stage['list_poll']}": [shown("PT"), shown("T1")],
        f"/console/polls/{stage['typed_poll']}": [shown("PT2"), shown("C1"), shown("CS1")],
        f"/console/polls/{stage['typed_poll']}/paper": [shown("PT2")],
        "/console/rounds": [], f"/console/proposals?round={stage['round']}": [shown("T1"), shown("T2"), shown("T3")],
        # (the review's overall note and a meeting's minutes are kept, not shown: nothing to check on a page)
        f"/console/proposals/{stage['proposal']}": [shown("T1"), shown("D1"), shown("R1"), shown("M1"), shown("M2"),
                                                    shown("S1"), SHOWN_IMG],
        "/console/projects": [shown("T1")],
        f"/console/projects/{p}": [shown("T1"), shown("N1"), shown("DM"), shown("DD"), shown("DS"), shown("MS1"),
                                    shown("F1"), shown("PR")],
        f"/console/projects/{p}/acceptance": [shown("AR"), shown("AF"), shown("AN"), SHOWN_NAME],
        f"/console/projects/{p}/maintenance": [shown("CD"), shown("LG")],
        "/console/supervision": [], f"/console/supervision/projects/{p}": [shown("I1"), shown("I0"), shown("RQ"),
                                                                           shown("RP")],
        f"/console/dashboard?congress={hall.congress_id}&year={project['year']}": [shown("T1")],
        "/console/departments": [shown("DP")], "/console/audit": [],
        f"/console/deputies/{stage['deputy']}/record?year={proposals.today().year}": [SHOWN_NAME],
        f"/console/terms/{hall.term_id}/participation": [SHOWN_NAME], "/console/evaluations": [],
        f"/console/polls/{stage['list_poll']}/tally.html": [shown("T1")],
        f"/console/projects/{p}/acceptance/{stage['acceptance']}/certificate/html": [shown("T1"), shown("AF"),
                                                                                    shown("AR")],
        f"/console/dashboard/bulletin.html?congress={hall.congress_id}&year={project['year']}": [shown("T1")],
    }
    tablet = {
        "/tablet": [SHOWN_NAME, shown("PT2")], f"/tablet/polls/{stage['typed_poll']}": [shown("C1"), shown("CS1")],
        "/tablet/scrutiny": [shown("PT")], "/tablet/supervision": [shown("T1")],
        f"/tablet/supervision/projects/{p}": [shown("I1"), shown("RQ"), shown("RP")],
        "/tablet/propose": [], stage["deputy_made"]: [shown("T3")],
    }
    public = {
        f"/public/track?code={stage['public_code']}": [shown("T1"), shown("S1")],
        f"/public/proposals/{stage['public_code']}": [shown("T1"), shown("D1"), SHOWN_IMG],
        "/public/proposals?q=alert": [], "/public": [], "/public/propose": [],
        f"/public/projects?year={project['year']}&congress={hall.congress_id}": [shown("T1")],
        f"/public/projects/{code}": [shown("T1"), shown("N1"), shown("I1"), shown("RQ"), shown("RP"), shown("CL"),
                                     shown("DS"), shown("AF"), shown("CD"), shown("LG")],
        f"/screen/sessions/{s}": [],
    }
    missing = []
    for client, pages in ((stage["staff"], console), (stage["tablet"], tablet), (stage["staff"], public)):
        for url, fields in pages.items():
            response = await client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.text[:800])
            assert_inert(response.text, url)
            missing += [f"{url}: {f}" for f in fields if f not in response.text]
            assert RTL not in response.text, f"{url}: a right-to-left override reached the page"
    assert not missing, "fields not shown as typed:\n  " + "\n  ".join(missing)


async def test_the_screen_state_keeps_markup_out_of_its_script_block(stage):
    """The big screen embeds its state as JSON in a <script type="application/json"> block: a title
    with </script> in it must not end the block."""
    page = await stage["staff"].get(f"/screen/sessions/{stage['hall'].session_id}")
    block = re.search(r'<script type="application/json" id="screen-state">(.*?)</script>', page.text, re.S)
    assert block and "<" not in block.group(1), "markup inside the screen's JSON block"
    assert "alert(1)" in block.group(1)  # the poll's title is there, escaped (\u003c) rather than markup
    state = await stage["staff"].get(f"/screen/sessions/{stage['hall'].session_id}/state")
    assert state.headers["content-type"].startswith("application/json")
    assert state.headers["x-content-type-options"] == "nosniff"


async def test_the_pdfs_print_the_markup_as_text(stage):
    staff, project = stage["staff"], stage["project"]
    printed = {
        "tally sheet": (f"/console/polls/{stage['list_poll']}/tally.pdf", "T1"),
        "notice": (None, "T1"),
        "certificate": (f"/console/projects/{project['id']}/acceptance/{stage['acceptance']}/certificate/pdf", "AF"),
        "bulletin": (f"/console/dashboard/bulletin.pdf?congress={stage['hall'].congress_id}&year={project['year']}",
                     "T1"),
    }
    from lifecycle import evaluation
    from voting import notices

    notice = (await notices.notices_of_poll(stage["list_poll"]))[0]["id"]
    printed["notice"] = (f"/console/notices/{notice}/pdf", "T1")
    # The satisfaction poll on the accepted (hostile) project, counted: its result report.
    hall = stage["hall"]
    evaluated = await evaluation.open_evaluation(hall.congress_id, project["year"], hall.session_id, hostile("EV"),
                                                 proposals.Who(STAFF, "secretariat"), [project["id"]])
    await sealed.open_poll(evaluated, STAFF)
    for voter in hall.deputy_ids:
        await sealed.cast(evaluated, voter, {"P01": "satisfied"})
    await sealed.close_poll(evaluated, STAFF)
    printed["satisfaction report"] = (f"/console/polls/{evaluated}/satisfaction.pdf", "EV")
    texts = {"ballots": pdf_text(stage["ballots_pdf"])}
    for name, (url, _) in printed.items():
        response = await staff.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), (name, response.status_code)
        texts[name] = pdf_text(response.content)
    tags = {name: tag for name, (_, tag) in printed.items()} | {"ballots": "C1"}
    wrong = []  # every document checked, each one's problem listed
    for name, text in texts.items():
        typed = f"<script>alert(1)</script>{{{{7*7}}}}{{%raw%}}{tags[name]}"  # whitespace is dropped when read back
        if typed not in text:  # missing, or printed reversed by a right-to-left override
            wrong.append(f"{name}: the typed text does not read as typed: {text[:300]}")
        if f"</script>49{{%raw%}}{tags[name]}" in text:
            wrong.append(f"{name}: {{{{7*7}}}} was evaluated")
        controls = sorted({f"U+{ord(c):04X}" for c in text if ord(c) in BIDI_CONTROLS})
        if controls:
            wrong.append(f"{name}: bidi controls printed: {controls}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("where", ["public", "console", "tablet"])
async def test_ten_thousand_characters_are_refused_with_a_message_and_come_back_escaped(stage, where):
    round_id = stage["round"]
    fields = {"round": str(round_id), "title": LONG, "description": hostile("X1") + LONG, "township": LONG,
              "village": LONG, "category": "transport", "cost_wan": "9" * 50, "beneficiaries": LONG,
              "proposer_name": LONG, "contact": LONG, "website": ""}
    if where == "public":
        client = browser()
        await client.__aenter__()
        await client.get("/public/propose")
        url = "/public/propose"
    elif where == "console":
        client, url = stage["staff"], "/console/proposals/new"
        fields["channel"] = "liaison_station"
    else:
        client, url = stage["tablet"], "/tablet/propose"
    before = await Proposal.count()
    try:
        response = await client.post(url, data={**fields, "_csrf_token": csrf_of(client)})
    finally:
        if where == "public":
            await client.aclose()
    assert response.status_code == 400, response.text[:500]
    assert "不能超过" in response.text
    assert_inert(response.text, url)
    assert await Proposal.count() == before


async def test_long_texts_in_the_other_forms_are_refused_with_a_message(stage):
    """Every other free-text field of the console and the tablet, 10,000 characters long. (A
    congress's name was kept whole on SQLite and a server error on PostgreSQL, past its column's
    100 characters: web/console.py now refuses it.)"""
    staff, tablet, token = stage["staff"], stage["tablet"], stage["token"]
    p, proposal = stage["project"]["id"], stage["proposal"]
    today = str(proposals.today())
    posts = [
        (staff, f"/console/proposals/{proposal}/review", {"note": LONG, "a_necessity": "meets", "c_necessity": LONG}),
        (staff, f"/console/proposals/{proposal}/meetings", {"kind": "consultation", "meeting": LONG,
                                                           "held_on": today, "document": LONG, "notes": LONG}),
        (staff, f"/console/proposals/{proposal}/move", {"target": "reserve", "reason": LONG}),
        (staff, f"/console/projects/{p}/decisions", {"kind": "adjust", "body": LONG, "meeting": LONG,
                                                     "decided_on": today, "document": LONG, "summary": LONG}),
        (staff, f"/console/projects/{p}/maintenance/log", {"on": today, "note": LONG}),
        (staff, f"/console/projects/{p}/maintenance/custodians", {"name": LONG, "duty": LONG, "since": today}),
        (staff, f"/console/supervision/projects/{p}/group", {"lead": LONG, "members": LONG}),
        (staff, "/console/departments", {"congress": str(stage["hall"].congress_id), "name": LONG}),
        (staff, "/console/rounds", {"congress": str(stage["hall"].congress_id), "year": "2030", "title": LONG,
                                    "opens_on": today, "closes_on": today}),
        (staff, f"/console/sessions/{stage['hall'].session_id}/polls", {"title": LONG, "method": "approval",
                                                                        "seats": "1", "c1_title": LONG,
                                                                        "c2_title": LONG, "c1_summary": LONG}),
        (staff, "/console/congresses", {"name": LONG, "level": "county", "place": LONG}),
        (tablet, f"/tablet/supervision/projects/{p}/inspections", {"held_on": today, "others": LONG,
                                                                   "findings": LONG, "went": str(stage["deputy"])}),
        (tablet, f"/tablet/supervision/projects/{p}/rectifications", {"request": LONG, "due_on": today}),
    ]
    for client, url, form in posts:
        response = await client.post(url, data={**form, "_csrf_token": csrf_of(client) if client is tablet else token})
        assert response.status_code == 400, (url, response.status_code, response.text[:500])  # a message, nothing kept
        assert_inert(response.text, url)
