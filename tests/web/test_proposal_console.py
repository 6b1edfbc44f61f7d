"""The console's proposal pages: a department screens, the secretariat enters, lists and builds the ballot."""

from datetime import timedelta

from lifecycle import proposals, screening
from lifecycle.proposals import Who
from tests.hall import STAFF, csrf_of, login_staff
from voting import accounts
from voting.tables import StaffAccount

SECRETARIAT = Who(STAFF, "secretariat")


async def open_round(hall) -> int:
    today = proposals.today()
    return await proposals.create_round(hall.congress_id, today.year + 1, f"{today.year + 1} 年民生实事项目征集",
                                        today - timedelta(days=1), today + timedelta(days=30), 3000, SECRETARIAT)


async def login_department(client) -> None:
    if not await StaffAccount.exists().where(StaffAccount.username == "fagai"):
        await accounts.create_staff("fagai", "发改局 李审", "review-pass-1", role="screener")
    await client.get("/console/login")
    response = await client.post("/console/login", data={"username": "fagai", "password": "review-pass-1",
                                                         "_csrf_token": csrf_of(client)})
    assert response.status_code in (302, 303) and response.headers["location"] == "/console/rounds"


async def test_a_paper_proposal_with_mistakes_comes_back_as_typed_then_saves_with_a_code(hall, client):
    round_id = await open_round(hall)
    await login_staff(client)
    form = {"_csrf_token": csrf_of(client), "round": str(round_id), "channel": "liaison_station",
            "title": "东岭村道路硬化", "description": "太短", "township": "城关镇", "village": "东岭村",
            "category": "transport", "cost_wan": "很多", "proposer_name": "王大伯", "contact": "13800000000",
            "received_on": str(proposals.today())}
    refused = await client.post("/console/proposals/new", data=form)
    assert refused.status_code == 400
    assert "项目内容至少 10 个字。" in refused.text and "估算投资（万元）应填数字。" in refused.text
    assert 'value="东岭村道路硬化"' in refused.text and 'value="13800000000"' in refused.text
    saved = await client.post("/console/proposals/new", data={**form, "description": "村道全长 3 公里，雨天泥泞难行。",
                                                              "cost_wan": "120"})
    assert saved.status_code in (302, 303)
    page = await client.get(saved.headers["location"])
    assert "已保存。查询码" in page.text and "代表联络站" in page.text
    assert "王大伯" not in page.text and "13800000000" not in page.text  # shown only when asked, and audited


async def test_a_proposers_name_and_phone_are_shown_only_when_asked_by_those_handling_it_and_each_look_is_audited(
        hall, client):
    from lifecycle.proposal_input import ProposalInput
    from tests.lifecycle.test_projects import department_who
    from voting import audit

    round_id = await open_round(hall)
    made = await proposals.submit(round_id, ProposalInput(
        title="西岭村饮水改造", description="西岭村饮水水源不稳定，旱季缺水严重。", township="城关镇", village="西岭村",
        category="water", proposer_name="赵大娘", contact="13900001111"), SECRETARIAT)
    base = f"/console/proposals/{made['id']}"
    await login_department(client)  # the screening department handling it
    page = await client.get(base)
    assert "赵大娘" not in page.text and "13900001111" not in page.text and "查看姓名和联系方式" in page.text
    shown = await client.post(f"{base}/contact", data={"_csrf_token": csrf_of(client)})
    assert shown.status_code == 200 and "赵大娘 · 13900001111" in shown.text
    assert "赵大娘" not in (await client.get(base)).text  # not kept on the page
    looks = [e for e in await audit.entries(limit=20) if e["action"] == "proposer_contact_viewed"]
    assert looks[0]["subject"] == made["code"] and looks[0]["actor"] == "初审部门 发改局 李审"

    # Once its screening is over, the screening department no longer sees them; the secretariat does.
    await proposals.move(made["id"], "rejected", SECRETARIAT, "水源已列入县级规划")
    refused = await client.post(f"{base}/contact", data={"_csrf_token": csrf_of(client)})
    assert refused.status_code == 403 and "赵大娘" not in refused.text
    # An implementing department sees neither the proposal nor its proposer.
    client.cookies.clear()
    await department_who(hall)
    await client.get("/console/login")
    await client.post("/console/login", data={"username": "jiaotong", "password": "dept-pass-123",
                                              "_csrf_token": csrf_of(client)})
    for response in (await client.get(base), await client.get("/console/rounds"),
                     await client.post(f"{base}/contact", data={"_csrf_token": csrf_of(client)})):
        assert response.status_code == 403 and "赵大娘" not in response.text
    client.cookies.clear()
    await login_staff(client)
    assert "赵大娘 · 13900001111" in (await client.post(f"{base}/contact", data={"_csrf_token": csrf_of(client)})).text
    assert len([e for e in await audit.entries(limit=20) if e["action"] == "proposer_contact_viewed"]) == 2


async def test_each_login_sees_only_its_own_menu_and_lands_where_it_works_or_where_it_was_going(hall, client):
    from tests.lifecycle.test_projects import department_who

    await department_who(hall)
    await client.get("/console/login")
    landed = await client.post("/console/login", data={"username": "jiaotong", "password": "dept-pass-123",
                                                       "_csrf_token": csrf_of(client)})
    assert landed.headers["location"] == "/console/projects"
    menu = (await client.get("/console/projects")).text.split('class="bar-nav"')[1].split("</nav>")[0]
    assert "项目实施" in menu and "看板" in menu and "建议征集" not in menu and "操作日志" not in menu
    client.cookies.clear()
    await login_department(client)  # a screening department: lands on the proposals, sees only them
    menu = (await client.get("/console/rounds")).text.split('class="bar-nav"')[1].split("</nav>")[0]
    assert "建议征集" in menu and "项目实施" not in menu and "看板" not in menu and "会议" not in menu
    assert (await client.get("/console/projects")).status_code == 403

    # Asked for a page before logging in: back there after it; never to another site.
    client.cookies.clear()
    asked = await client.get("/console/audit?action=plan_saved")
    assert asked.headers["location"] == "/console/login?next=%2Fconsole%2Faudit%3Faction%3Dplan_saved"
    form = await client.get(asked.headers["location"])
    assert 'name="next" value="/console/audit?action=plan_saved"' in form.text
    await login_staff_to(client, "/console/audit?action=plan_saved")
    for hostile in ("//evil.example/console", "https://evil.example/", "/console/\\evil", "/\\evil.example",
                    "/tablet/", "/console/login"):
        client.cookies.clear()
        await login_staff_to(client, hostile, expected="/console")


async def login_staff_to(client, asked: str, expected: str | None = None) -> None:
    from voting import accounts
    from voting.tables import StaffAccount

    if not await StaffAccount.exists().where(StaffAccount.username == "staff"):
        await accounts.create_staff("staff", "测试员", "correct-horse-9")
    await client.get("/console/login")
    response = await client.post("/console/login", data={"username": "staff", "password": "correct-horse-9",
                                                         "next": asked, "_csrf_token": csrf_of(client)})
    assert response.headers["location"] == (expected or asked), (asked, response.headers["location"])


async def test_a_department_screens_but_sees_nothing_else_of_the_console(hall, client):
    round_id = await open_round(hall)
    made = await proposals.submit(round_id, proposals_input(), SECRETARIAT)
    await login_department(client)
    assert (await client.get("/console")).status_code == 403
    assert (await client.get("/console/proposals/new")).status_code == 403
    listing = await client.get(f"/console/proposals?round={round_id}&stage=submitted")
    assert listing.status_code == 200 and made["code"] in listing.text
    token = csrf_of(client)
    bad = await client.post(f"/console/proposals/{made['id']}/review", data={"_csrf_token": token, "a_land": "fails"})
    assert bad.status_code == 400 and "“用地”评为“不符合”，请写明意见。" in bad.text
    review = {f"a_{key}": "meets" for key in screening.CRITERIA}
    assert (await client.post(f"/console/proposals/{made['id']}/review",
                              data={"_csrf_token": token, **review})).status_code in (302, 303)
    no_reason = await client.post(f"/console/proposals/{made['id']}/move",
                                  data={"_csrf_token": token, "target": "rejected", "reason": ""})
    assert no_reason.status_code == 409 and "须写明理由" in no_reason.text
    moved = await client.post(f"/console/proposals/{made['id']}/move",
                              data={"_csrf_token": token, "target": "shortlisted", "reason": "群众需求迫切"})
    assert moved.status_code in (302, 303)
    page = await client.get(f"/console/proposals/{made['id']}")
    assert "初审入围" in page.text and "初审部门（初审部门 发改局 李审）" in page.text


def proposals_input(title: str = "东岭村道路硬化", village: str = "东岭村"):
    from lifecycle.proposal_input import ProposalInput

    return ProposalInput(title=title, description="村道全长 3 公里，雨天泥泞，群众出行不便。", township="城关镇",
                         village=village, category="transport", cost_wan=120, supporters=2)


async def test_the_secretariat_builds_the_candidate_list_and_it_becomes_a_poll(hall, client):
    round_id = await open_round(hall)
    ids = []
    for n in range(3):
        made = await proposals.submit(round_id, proposals_input(f"候选民生项目{n + 1}", f"村{n}"), SECRETARIAT)
        await proposals.record_review(made["id"], dict.fromkeys(screening.CRITERIA, "meets"), {}, "", SECRETARIAT)
        await proposals.move(made["id"], "shortlisted", SECRETARIAT)
        ids.append(made["id"])
    await login_staff(client)
    token = csrf_of(client)
    page = await client.get(f"/console/sessions/{hall.session_id}/candidates")
    assert page.status_code == 200 and "初审入围的建议（3 条）" in page.text
    added = await client.post(f"/console/sessions/{hall.session_id}/candidates",
                              data={"_csrf_token": token, "proposal": [str(i) for i in ids]})
    assert added.status_code in (302, 303)
    await client.post(f"/console/sessions/{hall.session_id}/candidates/{ids[2]}/shift",
                      data={"_csrf_token": token, "direction": "up"})
    page = await client.get(f"/console/sessions/{hall.session_id}/candidates")
    assert page.text.index("候选民生项目3") < page.text.index("候选民生项目2")
    assert "候选 3 个 · 应选 2 个" in page.text and "差额 1 个" in page.text
    made = await client.post(f"/console/sessions/{hall.session_id}/candidates/poll",
                             data={"_csrf_token": token, "title": "2027 年民生实事项目票决", "seats": "2",
                                   "threshold_base": "entitled", "threshold_fraction": "1/2",
                                   "threshold_strict": "1", "quorum_fraction": "2/3"})
    assert made.status_code in (302, 303) and made.headers["location"].startswith("/console/polls/")
    poll_page = await client.get(made.headers["location"])
    text = poll_page.text
    assert text.index("候选民生项目1") < text.index("候选民生项目3") < text.index("候选民生项目2")


async def test_importing_a_spreadsheet_stores_all_rows_or_none_and_lists_the_codes(hall, client):
    from lifecycle.tables import Proposal

    round_id = await open_round(hall)
    await login_staff(client)
    template = await client.get("/console/proposal-template.csv")
    assert template.status_code == 200 and "项目名称" in template.content.decode("utf-8-sig")
    header = "项目名称,项目内容,乡镇（街道）,村（社区）,类别,估算投资（万元）,建议人\n"
    good = "东岭村道路硬化,村道全长 3 公里雨天泥泞难行,城关镇,东岭村,交通出行,120,王大伯\n"
    bad = "幼儿园扩班,幼儿园学位紧张需要扩班,,南塘社区,教育,很多,李阿姨\n"
    before = await Proposal.count()
    refused = await client.post(f"/console/rounds/{round_id}/import",
                                data={"_csrf_token": csrf_of(client), "channel": "liaison_station"},
                                files={"file": ("建议.csv", (header + good + bad).encode("utf-8"), "text/csv")})
    assert refused.status_code == 400 and "没有导入任何建议" in refused.text and "第 3 行" in refused.text
    assert await Proposal.count() == before
    imported = await client.post(f"/console/rounds/{round_id}/import",
                                 data={"_csrf_token": csrf_of(client), "channel": "liaison_station"},
                                 files={"file": ("建议.csv", (header + good).encode("gbk"), "text/csv")})
    assert imported.status_code == 200 and "导入成功：建议.csv 共 1 条建议" in imported.text
    row = await Proposal.select().where(Proposal.round == round_id).first()
    assert row["channel"] == "liaison_station" and row["code"] in imported.text


async def test_the_review_note_and_meeting_minutes_show_to_staff_and_not_to_the_public(hall, client):
    round_id = await open_round(hall)
    made = await proposals.submit(round_id, proposals_input("西山村饮水改造", "西山村"), SECRETARIAT)
    await login_department(client)
    token = csrf_of(client)
    review = {f"a_{key}": "meets" for key in screening.CRITERIA}
    assert (await client.post(f"/console/proposals/{made['id']}/review",
                              data={"_csrf_token": token, **review, "note": "建议与水利局共商后入围"})).status_code in (302, 303)
    assert (await client.post(f"/console/proposals/{made['id']}/meetings", data={
        "_csrf_token": token, "kind": "consultation", "meeting": "水利局共商会", "held_on": "2026-11-20",
        "document": "", "notes": "水利局同意纳入明年计划，资金由县财政统筹"})).status_code in (302, 303)
    page = await client.get(f"/console/proposals/{made['id']}")
    assert "综合意见" in page.text and "建议与水利局共商后入围" in page.text
    assert "共商会议：水利局共商会（2026-11-20）" in page.text
    assert "纪要：水利局同意纳入明年计划，资金由县财政统筹" in page.text
    public = await client.get(f"/public/proposals/{made['code']}")
    assert public.status_code == 200 and "水利局共商会" in public.text and "资金由县财政统筹" not in public.text


async def test_the_template_kept_with_its_example_imports_only_the_real_rows(hall, client):
    from lifecycle.tables import Proposal

    round_id = await open_round(hall)
    await login_staff(client)
    template = (await client.get("/console/proposal-template.csv")).content.decode("utf-8-sig").rstrip("\r\n")
    real = "\r\n西岭村通组道路硬化,西岭村通组道路雨天泥泞难行建议硬化,城关镇,西岭村,交通出行,90,,,李大妈,,\r\n"
    before = await Proposal.count()
    only_example = await client.post(f"/console/rounds/{round_id}/import",
                                     data={"_csrf_token": csrf_of(client), "channel": "liaison_station"},
                                     files={"file": ("建议.csv", template.encode("utf-8-sig"), "text/csv")})
    assert only_example.status_code == 400 and "只有模板中的示例行" in only_example.text
    imported = await client.post(f"/console/rounds/{round_id}/import",
                                 data={"_csrf_token": csrf_of(client), "channel": "liaison_station"},
                                 files={"file": ("建议.csv", (template + real).encode("utf-8-sig"), "text/csv")})
    assert "共 1 条建议" in imported.text and "第 2 行：模板中的示例行" in imported.text
    assert await Proposal.count() == before + 1
    assert not await Proposal.exists().where((Proposal.round == round_id) & (Proposal.title == "东岭村村道硬化"))


async def test_a_file_imported_again_shows_the_repeated_rows_and_imports_only_when_confirmed(hall, client):
    from lifecycle.tables import Proposal

    round_id = await open_round(hall)
    await login_staff(client)
    data = ("项目名称,项目内容,乡镇（街道）,村（社区）,类别,估算投资（万元）,建议人\n"
            "南塘社区老年食堂,南塘社区老人多吃饭难建议开办食堂,城关镇,南塘社区,养老托育,60,陈阿姨\n").encode("utf-8")

    async def send(**more: str):
        return await client.post(f"/console/rounds/{round_id}/import",
                                 data={"_csrf_token": csrf_of(client), "channel": "liaison_station", **more},
                                 files={"file": ("建议.csv", data, "text/csv")})

    assert "共 1 条建议" in (await send()).text
    code = (await Proposal.select(Proposal.code).where(Proposal.round == round_id).first())["code"]
    again = await send()
    assert again.status_code == 400 and 'id="repeats"' in again.text
    assert "第 2 行：“南塘社区老年食堂”" in again.text and code in again.text and 'name="repeats_ok"' in again.text
    assert await Proposal.count().where(Proposal.round == round_id) == 1
    confirmed = await send(repeats_ok="1")
    assert confirmed.status_code == 200 and "共 1 条建议" in confirmed.text
    assert await Proposal.count().where(Proposal.round == round_id) == 2


async def test_a_paper_proposal_keeps_the_day_it_was_received_and_its_scanned_pages(hall, client, citizen):
    """Issue 16, item 7: a paper proposal carries its attachments and the date it was received."""
    from lifecycle.tables import Proposal, ProposalAttachment
    from tests.web.test_public import png

    round_id = await open_round(hall)
    await login_staff(client)
    form = await client.get("/console/proposals/new")
    assert f'name="received_on" type="date" required value="{proposals.today()}"' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    fields = {"_csrf_token": csrf_of(client), "round": str(round_id), "channel": "evening_talk",
              "title": "北岭村文化广场照明", "description": "广场晚上没有照明，老人跳舞不安全。", "township": "城关镇",
              "village": "北岭村", "category": "culture_sport", "supporters": "12"}
    scan = png(80, 120, "white")
    before = await Proposal.count()
    for received, message in ((str(proposals.today() + timedelta(days=1)), "收到日期不能晚于今天。"),
                              ("", "请填写收到日期"), ("3月1日", "格式不对"),
                              (str(proposals.today() - timedelta(days=400)), "不能早于一年前")):
        refused = await client.post("/console/proposals/new", data={**fields, "received_on": received},
                                    files=[("files", ("扫描件.png", scan, "image/png"))])
        assert refused.status_code == 400 and message in refused.text, received
        assert "北岭村文化广场照明" in refused.text and "附件没有保存" in refused.text  # typed text kept, file said
    not_a_photo = await client.post("/console/proposals/new", data={**fields, "received_on": str(proposals.today())},
                                    files=[("files", ("说明.exe", b"MZ\x90\x00not a picture", "image/png"))])
    assert not_a_photo.status_code == 400 and "附件都没有保存" in not_a_photo.text
    assert await Proposal.count() == before  # nothing kept from any refusal

    received_on = proposals.today() - timedelta(days=5)
    saved = await client.post("/console/proposals/new", data={**fields, "received_on": str(received_on)},
                              files=[("files", ("扫描件.png", scan, "image/png"))])
    assert saved.status_code in (302, 303), saved.text
    page = await client.get(saved.headers["location"])
    assert f"<dt>收到日期</dt><dd>{received_on}</dd>" in page.text and "扫描件.png" in page.text
    row = await Proposal.select().where(Proposal.title == "北岭村文化广场照明").first()
    assert row["received_on"] == received_on and row["supporters"] == 12
    attachment = await ProposalAttachment.select().where(ProposalAttachment.proposal == row["id"]).first()
    public = await citizen.get(f"/public/proposals/{row['code']}")
    assert f"{received_on.year}年{received_on.month}月{received_on.day}日" in public.text
    assert (await citizen.get(f"/public/attachments/{attachment['sha256']}")).status_code == 200
