"""The console's acceptance, maintenance and evaluation pages over HTTP."""

from __future__ import annotations

from datetime import timedelta

from lifecycle import proposals
from lifecycle.tables import Acceptance, Rectification
from tests.hall import csrf_of, login_staff
from tests.lifecycle.test_acceptance import accept, completed_project, evaluation_ready
from tests.reports.test_tally_notice import pdf_text, squeeze
from voting import polls


async def login_as(client, username: str, password: str = "dept-pass-123") -> None:
    await client.get("/console/login")
    response = await client.post("/console/login", data={"username": username, "password": password,
                                                         "_csrf_token": csrf_of(client)})
    assert response.status_code in (302, 303), response.text


def acceptance_form(token: str, deputies: list[int], **more) -> dict:
    form = {"_csrf_token": token, "held_on": proposals.today().isoformat(), "deputy": [str(d) for d in deputies],
            "representatives": "东岭村 王大伯", "c_content": "1", "n_content": "", "c_scale": "1", "n_scale": "",
            "c_quality": "1", "n_quality": "", "findings": "", "result": "accepted", "warranty_months": "24",
            "rectify_by": ""}
    form.update(more)
    return form


async def test_the_secretariat_records_an_acceptance_and_downloads_its_certificate(hall, client):
    project, _, _ = await completed_project(hall)
    await login_staff(client)
    page = await client.get(f"/console/projects/{project['id']}/acceptance")
    assert page.status_code == 200 and "录入验收记录" in page.text and "硬化村道 3 公里" in page.text
    token = csrf_of(client)
    chosen = hall.deputy_ids[:3]
    refused = await client.post(f"/console/projects/{project['id']}/acceptance", data=acceptance_form(
        token, chosen, c_quality="0", n_quality="", findings="路面有两处裂缝，须修补。", result="accepted"))
    assert refused.status_code == 400
    assert "“工程质量”评定为不符合，请写明问题。" in refused.text
    assert "不能为“验收合格”" in refused.text
    assert "路面有两处裂缝，须修补。" in refused.text and "东岭村 王大伯" in refused.text
    assert all(f'value="{d}" checked' in refused.text for d in chosen)
    assert f'value="{hall.deputy_ids[5]}" checked' not in refused.text
    assert 'name="c_quality" value="0" checked' in refused.text
    assert await Acceptance.count().where(Acceptance.project == project["id"]) == 0
    for held_on, message in (("2027-02-30", "验收日期“2027-02-30”格式不对，请写成 2027-03-01。"),
                             ("", "请填写验收日期，格式如 2027-03-01。")):
        bad_day = await client.post(f"/console/projects/{project['id']}/acceptance", data=acceptance_form(
            token, chosen, held_on=held_on, findings="村道已通车。"))
        assert bad_day.status_code == 400 and message in bad_day.text and "村道已通车。" in bad_day.text
    assert await Acceptance.count().where(Acceptance.project == project["id"]) == 0

    saved = await client.post(f"/console/projects/{project['id']}/acceptance", data=acceptance_form(token, chosen))
    assert saved.status_code in (302, 303)
    [record] = await Acceptance.select().where(Acceptance.project == project["id"])
    page = await client.get(saved.headers["location"])
    assert "验收记录已保存" in page.text and "已验收" in page.text and "录入验收记录" not in page.text
    link = f"/console/projects/{project['id']}/acceptance/{record['id']}/certificate/pdf"
    assert link in page.text
    pdf = await client.get(link)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = squeeze(pdf_text(pdf.content))
    assert "民生实事项目验收意见书" in text and project["title"] in text and "验收合格" in text
    preview = await client.get(f"/console/projects/{project['id']}/acceptance/{record['id']}/certificate/html")
    assert preview.status_code == 200 and "default-src 'none'" in preview.headers["content-security-policy"]
    elsewhere = await client.get(f"/console/projects/{project['id'] + 999}/acceptance/{record['id']}/certificate/pdf")
    assert elsewhere.status_code == 404


async def test_a_department_sees_its_acceptance_and_keeps_the_maintenance_log(hall, client):
    project, _, dept = await completed_project(hall)
    await login_as(client, await _username(dept))
    page = await client.get(f"/console/projects/{project['id']}/acceptance")
    assert page.status_code == 200 and "验收记录由秘书处录入" in page.text and "录入验收记录" not in page.text
    token = csrf_of(client)
    denied = await client.post(f"/console/projects/{project['id']}/acceptance",
                               data=acceptance_form(token, hall.deputy_ids[:2]))
    assert denied.status_code == 403
    early = await client.get(f"/console/projects/{project['id']}/maintenance")
    assert early.status_code == 200 and "项目验收通过后才安排管护" in early.text

    await accept(project["id"], hall, held_on=proposals.today() - timedelta(days=10), months=24)
    page = await client.get(f"/console/projects/{project['id']}/maintenance")
    assert page.status_code == 200 and "质保期至" in page.text
    added = await client.post(f"/console/projects/{project['id']}/maintenance/custodians", data={
        "_csrf_token": token, "deputy": "", "name": "王大伯", "duty": "保洁员，每天清扫", "since": proposals.today().isoformat()})
    assert added.status_code in (302, 303)
    missing_due = await client.post(f"/console/projects/{project['id']}/maintenance/log", data={
        "_csrf_token": token, "on": proposals.today().isoformat(), "note": "K0+300 处路面裂缝约 1 米。",
        "defect": "1", "due_on": ""})
    assert missing_due.status_code == 400 and "请填写整改期限" in missing_due.text
    assert "K0+300 处路面裂缝约 1 米。" in missing_due.text and 'name="defect" value="1" checked' in missing_due.text
    due = (proposals.today() + timedelta(days=20)).isoformat()
    logged = await client.post(f"/console/projects/{project['id']}/maintenance/log", data={
        "_csrf_token": token, "on": proposals.today().isoformat(), "note": "K0+300 处路面裂缝约 1 米。",
        "defect": "1", "due_on": due})
    assert logged.status_code in (302, 303)
    page = await client.get(logged.headers["location"])
    assert "王大伯" in page.text and f"质保期内，已要求整改（限 {due}，待整改）" in page.text
    assert await Rectification.count().where(Rectification.project == project["id"]) == 1
    assert (await client.get("/console/evaluations")).status_code == 403


async def _username(who) -> str:
    from voting.tables import StaffAccount

    row = await StaffAccount.select(StaffAccount.username).where(StaffAccount.id == who.actor.id).first()
    return row["username"]


async def test_another_department_is_kept_out(hall, client):
    project, _, _ = await completed_project(hall)
    from tests.lifecycle.test_acceptance import a_department

    _, stranger = await a_department(hall, "县水利局")
    await login_as(client, await _username(stranger))
    assert (await client.get(f"/console/projects/{project['id']}/acceptance")).status_code == 403
    assert (await client.get(f"/console/projects/{project['id']}/maintenance")).status_code == 403


async def test_the_secretariat_opens_an_evaluation_poll_from_the_list(hall, client):
    made = await evaluation_ready(hall, 3, accepted=2)
    await login_staff(client)
    page = await client.get("/console/evaluations")
    assert page.status_code == 200
    assert all(p["title"] in page.text for p in made)  # two to evaluate, one to accept
    assert f'/console/projects/{made[2]["id"]}/acceptance' in page.text
    token = csrf_of(client)
    form = {"_csrf_token": token, "congress": str(hall.congress_id), "year": str(made[0]["year"]),
            "session": str(hall.session_id), "title": "年度测评", "threshold_base": "entitled"}
    none = await client.post("/console/evaluations", data={**form, "title": "空的测评"})
    assert none.status_code == 400 and "请至少选择一个项目" in none.text and 'value="空的测评"' in none.text
    made_poll = await client.post("/console/evaluations", data={**form, "project": [str(made[0]["id"])]})
    assert made_poll.status_code in (302, 303)
    poll_id = int(made_poll.headers["location"].rsplit("/", 1)[1])
    assert [c["reference"] for c in await polls.candidates_of(poll_id)] == [made[0]["code"]]
    again = await client.post("/console/evaluations", data={**form, "project": [str(made[0]["id"])]})
    assert again.status_code == 409 and "已在满意度测评“年度测评”" in again.text
    page = await client.get("/console/evaluations")
    assert f'href="/console/polls/{poll_id}"' in page.text and "草稿" in page.text
