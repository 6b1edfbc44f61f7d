"""Supervision through HTTP: the deputy's tablet pages (inspections with photos, rectifications,
lots), the console's (groups, replies, the secretariat's overview), and every refusal."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from PIL import Image

from lifecycle import proposals, supervision, uploads
from lifecycle.tables import Inspection, Project, ProjectAttachment, Rectification
from tests.hall import csrf, csrf_of, login_deputy, login_staff
from tests.lifecycle.test_proposals import SECRETARIAT
from tests.lifecycle.test_supervision import department, implementing, with_group

_clients = itertools.count(1)


@asynccontextmanager
async def browser_of_its_own():
    """Another person's browser: its own cookies (and client address)."""
    from app import app

    n = next(_clients)
    transport = httpx.ASGITransport(app=app, client=(f"10.9.0.{n}", 41000 + n))
    async with httpx.AsyncClient(transport=transport, base_url="http://hall.local") as other:
        yield other


async def stored(data: bytes) -> bool:
    return hashlib.sha256(data).hexdigest() in await uploads.stored_hashes()


def png(colour: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 36), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def login_department(client, username: str, password: str = "dept-pass-123") -> None:
    await client.get("/console/login")
    response = await client.post("/console/login", data={"username": username, "password": password,
                                                         "_csrf_token": csrf_of(client)})
    assert response.status_code in (302, 303), response.text


async def username_of(who) -> str:
    from voting.tables import StaffAccount

    return (await StaffAccount.select(StaffAccount.username).where(StaffAccount.id == who.actor.id).first())["username"]


async def supervised(hall):
    """An implementing project of a department, its group: deputy 0 leads, 1 and 2 are members."""
    department_id, dept = await department(hall)
    [project_id] = await implementing(hall, department_id)
    await with_group(hall, project_id)
    return project_id, department_id, dept


def inspection_form(token: str, hall, **more) -> dict:
    return {"_csrf_token": token, "held_on": str(proposals.today()), "went": [str(hall.deputy_ids[0])],
            "others": "县交通局 李科长", "findings": "东段排水沟未按设计施工，路肩有塌陷。", **more}


async def test_a_member_records_an_inspection_with_a_photo_from_the_tablet(hall, client):
    project_id, _, _ = await supervised(hall)
    await login_deputy(client, hall.codes[hall.deputy_ids[0]])
    home = await client.get("/tablet")
    assert 'href="/tablet/supervision"' in home.text and "我的监督项目" in home.text
    listing = await client.get("/tablet/supervision")
    assert listing.status_code == 200 and f"/tablet/supervision/projects/{project_id}" in listing.text
    assert "组长" in listing.text and 'class="light light-' in listing.text and "<progress" in listing.text
    assert "抽签确定视察项目" in listing.text  # the lead may draw lots
    page = await client.get(f"/tablet/supervision/projects/{project_id}")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert f'value="{proposals.today()}"' in page.text  # the date defaults to today
    assert f'name="went" value="{hall.deputy_ids[0]}" checked' in page.text  # and the deputy went

    token = csrf_of(client)
    base = f"/tablet/supervision/projects/{project_id}/inspections"
    short = await client.post(base, data=inspection_form(token, hall, findings="太短了", others="村民代表 王大伯"),
                              files=[("photos", ("现场.png", png(), "image/png"))])
    assert short.status_code == 400 and "10 到 4000 字" in short.text and "照片没有保存" in short.text
    assert 'value="村民代表 王大伯"' in short.text and ">太短了</textarea>" in short.text
    assert not await stored(png())  # a form refused for its text keeps no photo
    not_photo = await client.post(base, data=inspection_form(token, hall),
                                  files=[("photos", ("说明.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", "application/pdf"))])
    assert not_photo.status_code == 400 and "不是照片" in not_photo.text
    too_many = await client.post(base, data=inspection_form(token, hall),
                                 files=[("photos", (f"{n}.png", png(), "image/png")) for n in range(7)])
    assert too_many.status_code == 400 and "最多附 6 张照片，您选了 7 张" in too_many.text
    fake = await client.post(base, data=inspection_form(token, hall),
                             files=[("photos", ("x.png", b"<script>alert(1)</script>", "image/png"))])
    assert fake.status_code == 400 and "只能上传" in fake.text
    without_token = {k: v for k, v in inspection_form(token, hall).items() if k != "_csrf_token"}
    no_csrf = await client.post(base, data=without_token)
    assert no_csrf.status_code == 403
    assert not await Inspection.exists().where(Inspection.project == project_id)

    photo = png("teal")
    saved = await client.post(base, data=inspection_form(token, hall, unannounced="1"),
                              files=[("photos", ("现场 1.png", photo, "image/png"))])
    assert saved.status_code == 303, saved.text[-2000:]
    row = await Inspection.select().where(Inspection.project == project_id).first()
    assert row["unannounced"] and row["by"].startswith("代表")
    attached = await ProjectAttachment.select().where(
        (ProjectAttachment.record == row["id"]) & (ProjectAttachment.project == project_id)
        & (ProjectAttachment.kind == "inspection")).first()
    assert attached is not None
    shown = await client.get(saved.headers["location"])
    assert "视察记录已保存" in shown.text and f"/tablet/supervision/attachments/{attached['sha256']}" in shown.text
    # The photo is a public record, served inert, to anyone.
    async with browser_of_its_own() as anyone:
        served = await anyone.get(f"/tablet/supervision/attachments/{attached['sha256']}")
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/png" and served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert (await client.get(f"/tablet/supervision/attachments/{'0' * 64}")).status_code == 404
    assert (await client.get("/tablet/supervision/attachments/..%2f..%2fsecret.key")).status_code == 404

    huge = await client.post(base, content=b"x" * 64,
                             headers={"content-type": "multipart/form-data; boundary=zzz", "x-csrftoken": token,
                                      "content-length": str(uploads.MAX_BYTES * supervision.MAX_PHOTOS + 2 ** 21)})
    assert huge.status_code == 413 and "上传的文件太大" in huge.text

    await Project.update({Project.stage: "terminated"}).where(Project.id == project_id)
    ended = await client.get(f"/tablet/supervision/projects/{project_id}")
    assert "不再记录监督小组视察或提出整改要求" in ended.text and "/inspections" not in ended.text
    assert attached["sha256"] in ended.text  # the record and its photo stay


async def test_a_deputy_outside_the_group_is_refused_everything(hall, client):
    project_id, _, _ = await supervised(hall)
    await login_deputy(client, hall.codes[hall.deputy_ids[7]])
    assert "我的监督项目" not in (await client.get("/tablet")).text
    assert "不在任何项目的监督小组" in (await client.get("/tablet/supervision")).text
    page = await client.get(f"/tablet/supervision/projects/{project_id}")
    assert page.status_code == 403 and "不是" in page.text and "监督小组的成员" in page.text
    token = csrf_of(client)
    refused = await client.post(f"/tablet/supervision/projects/{project_id}/inspections",
                                data=inspection_form(token, hall, went=[str(hall.deputy_ids[7])]),
                                files=[("photos", ("x.png", png(), "image/png"))])
    assert refused.status_code == 403 and not await stored(png())
    assert not await Inspection.exists().where(Inspection.project == project_id)
    raised = await client.post(f"/tablet/supervision/projects/{project_id}/rectifications", data={
        "_csrf_token": token, "request": "请整改", "due_on": str(proposals.today() + timedelta(days=9))})
    assert raised.status_code == 403 and not await Rectification.exists().where(Rectification.project == project_id)
    rect = await supervision.raise_rectification(project_id, None, "补设警示标志", proposals.today() +
                                                 timedelta(days=9), SECRETARIAT)
    closed = await client.post(f"/tablet/supervision/rectifications/{rect}/close", data={"_csrf_token": token})
    assert closed.status_code == 403
    lots = await client.get("/tablet/supervision/lots")
    assert lots.status_code == 403 and "组长" in lots.text
    drew = await client.post("/tablet/supervision/lots", data={"_csrf_token": token, "year": "2027", "count": "1"})
    assert drew.status_code == 403
    # Not logged in: to the login page.
    async with browser_of_its_own() as anonymous:
        assert (await anonymous.get("/tablet/supervision")).status_code in (302, 303)


async def test_a_rectification_goes_from_the_group_to_the_department_and_back(hall, client):
    project_id, department_id, dept = await supervised(hall)
    _, other = await department(hall, "县水利局")
    await login_deputy(client, hall.codes[hall.deputy_ids[1]])  # a member, not the lead
    token = csrf_of(client)
    base = f"/tablet/supervision/projects/{project_id}/rectifications"
    today = proposals.today()
    late = await client.post(base, data={"_csrf_token": token, "request": "东段排水沟按设计返工",
                                         "due_on": str(today - timedelta(days=1))})
    assert late.status_code == 400 and "今天之后" in late.text and ">东段排水沟按设计返工</textarea>" in late.text
    made = await client.post(base, data={"_csrf_token": token, "request": "东段排水沟按设计返工",
                                         "due_on": str(today + timedelta(days=20))})
    assert made.status_code == 303
    rect = (await Rectification.select().where(Rectification.project == project_id).first())["id"]
    early = await client.post(f"/tablet/supervision/rectifications/{rect}/close", data={"_csrf_token": token})
    assert early.status_code == 409 and "还没有答复" in early.text

    async with browser_of_its_own() as other_desk:
        await login_department(other_desk, await username_of(other))
        listing = await other_desk.get("/console/supervision")
        assert listing.status_code == 200 and "东段排水沟按设计返工" not in listing.text
        assert (await other_desk.get(f"/console/supervision/projects/{project_id}")).status_code == 403
        refused = await other_desk.post(f"/console/supervision/rectifications/{rect}/reply", data={
            "_csrf_token": csrf_of(other_desk), "reply": "不是我们的项目，却想答复。"})
        assert refused.status_code == 403
        assert (await supervision.rectification(rect))["status"] == "open"

    async with browser_of_its_own() as desk:
        await login_department(desk, await username_of(dept))
        listing = await desk.get("/console/supervision")
        assert "东段排水沟按设计返工" in listing.text and f"/console/supervision/rectifications/{rect}/reply" in listing.text
        empty = await desk.post(f"/console/supervision/rectifications/{rect}/reply", data={
            "_csrf_token": csrf_of(desk), "reply": "好", "back": "list"})
        assert empty.status_code == 400 and "4 到 4000 字" in empty.text and ">好</textarea>" in empty.text
        replied = await desk.post(f"/console/supervision/rectifications/{rect}/reply", data={
            "_csrf_token": csrf_of(desk), "reply": "已按设计返工，排水沟全线贯通。", "back": "list"})
        assert replied.status_code == 303
        assert (await desk.post(f"/console/supervision/rectifications/{rect}/close", data={
            "_csrf_token": csrf_of(desk), "note": "部门自己销号"})).status_code == 403  # only the group or secretariat
        assert (await desk.post(f"/console/supervision/projects/{project_id}/group", data={
            "_csrf_token": csrf_of(desk), "lead": hall.numbers[hall.deputy_ids[5]]})).status_code == 403

    page = await client.get(f"/tablet/supervision/projects/{project_id}")
    assert "排水沟全线贯通" in page.text and "核实整改到位，销号" in page.text
    closed = await client.post(f"/tablet/supervision/rectifications/{rect}/close",
                               data={"_csrf_token": token, "note": "现场核实已返工"})
    assert closed.status_code == 303
    assert (await supervision.rectification(rect))["status"] == "closed"
    code = (await proposals.get_proposal(await _proposal(project_id)))["code"]
    history = await client.get(f"/public/proposals/{code}")
    assert "东段排水沟按设计返工" in history.text and "排水沟全线贯通" in history.text and "销号" in history.text


async def _proposal(project_id: int) -> int:
    from lifecycle import projects

    return (await projects.get_project(project_id))["proposal"]


async def test_the_secretariat_sets_groups_by_number_and_sees_overdue_requests_first(hall, client):
    project_id, _, _ = await supervised(hall)
    [second] = await implementing(hall)
    today = proposals.today()
    soon = await supervision.raise_rectification(project_id, None, "补种行道树", today + timedelta(days=5), SECRETARIAT)
    late = await supervision.raise_rectification(second, None, "清理施工垃圾", today + timedelta(days=9), SECRETARIAT)
    await Rectification.update({Rectification.due_on: today - timedelta(days=3)}).where(Rectification.id == late)
    await login_staff(client)
    overview = await client.get("/console/supervision")
    assert overview.status_code == 200
    assert overview.text.index(f'id="rect-{late}"') < overview.text.index(f'id="rect-{soon}"')
    assert "已逾期 3 天" in overview.text and "未设定" in overview.text

    base = f"/console/supervision/projects/{second}/group"
    numbers = [hall.numbers[d] for d in hall.deputy_ids]
    unknown = await client.post(base, data={"_csrf_token": csrf_of(client), "lead": numbers[3],
                                            "members": f"{numbers[4]}，X-9999"})
    assert unknown.status_code == 400 and "X-9999" in unknown.text and f'value="{numbers[4]}，X-9999"' in unknown.text
    twice = await client.post(base, data={"_csrf_token": csrf_of(client), "lead": numbers[3],
                                          "members": f"{numbers[3]},{numbers[4]}"})
    assert twice.status_code == 400 and "两种职务" in twice.text
    saved = await client.post(base, data={"_csrf_token": csrf_of(client), "lead": numbers[3],
                                          "members": f"{numbers[4]}、{numbers[5]}"})
    assert saved.status_code == 303
    group = await supervision.group_of(second)
    assert [(m["number"], m["role"]) for m in group] == [(numbers[3], "lead"), (numbers[4], "member"),
                                                         (numbers[5], "member")]
    page = await client.get(f"/console/supervision/projects/{second}")
    assert "监督小组已保存" in (await client.get(saved.headers["location"])).text and numbers[4] in page.text

    # The secretariat closes an unanswered request only with a reason.
    no_reason = await client.post(f"/console/supervision/rectifications/{late}/close",
                                  data={"_csrf_token": csrf_of(client), "note": ""})
    assert no_reason.status_code == 400 and "理由" in no_reason.text
    with_reason = await client.post(f"/console/supervision/rectifications/{late}/close",
                                    data={"_csrf_token": csrf_of(client), "note": "项目调整，该项取消"})
    assert with_reason.status_code == 303 and (await supervision.rectification(late))["status"] == "closed"

    drawn = await client.post("/console/supervision/lots", data={
        "_csrf_token": csrf_of(client), "congress": str(hall.congress_id), "year": str(today.year + 1), "count": "9"})
    assert drawn.status_code == 400 and "1 到 2" in drawn.text
    drawn = await client.post("/console/supervision/lots", data={
        "_csrf_token": csrf_of(client), "congress": str(hall.congress_id), "year": str(today.year + 1), "count": "1"})
    assert drawn.status_code == 303
    [made] = await supervision.draws(hall.congress_id)
    assert made["seed"] in (await client.get("/console/supervision")).text


async def test_a_group_lead_draws_lots_on_the_tablet_and_the_draw_can_be_repeated(hall, client):
    project_id, _, _ = await supervised(hall)
    await implementing(hall, count=3)
    await login_deputy(client, hall.codes[hall.deputy_ids[0]])
    page = await client.get("/tablet/supervision/lots")
    assert page.status_code == 200 and "实施中 4 个" in page.text
    year = str(proposals.today().year + 1)
    wrong = await client.post("/tablet/supervision/lots", data={"_csrf_token": await csrf(client, "/tablet"),
                                                                "year": year, "count": "9"})
    assert wrong.status_code == 400 and "1 到 4" in wrong.text and 'value="9"' in wrong.text
    done = await client.post("/tablet/supervision/lots", data={"_csrf_token": csrf_of(client), "year": year,
                                                               "count": "2"})
    assert done.status_code == 303
    [made] = await supervision.draws(hall.congress_id)
    shown = await client.get(done.headers["location"])
    assert made["seed"] in shown.text and "已复核一致" in shown.text
    assert re.search(rf'random\.Random\("{made["seed"]}"\)\.sample\(\[[0-9, ]+\], 2\)', shown.text)
    assert made["drawn"] == supervision.draw(made["pool"], 2, made["seed"])
    assert "lots_drawn" in [e["action"] for e in await _audit()]
    if project_id in made["drawn"]:
        project_page = await client.get(f"/tablet/supervision/projects/{project_id}")
        assert f'<option value="{made["id"]}"' in project_page.text


async def _audit() -> list[dict]:
    from voting import audit

    return await audit.entries(limit=50)
