"""The implementation pages: a department plans, publishes and reports on its own project only."""

from datetime import date, timedelta

from lifecycle import projects
from tests.hall import csrf_of, login_staff
from tests.lifecycle.test_projects import chosen_project, department_who, publish
from tests.lifecycle.test_proposals import SECRETARIAT


async def login_as(client, username: str, password: str = "dept-pass-123") -> None:
    await client.get("/console/login")
    response = await client.post("/console/login", data={"username": username, "password": password,
                                                         "_csrf_token": csrf_of(client)})
    assert response.status_code in (302, 303)
    return response.headers["location"]


async def test_a_department_plans_publishes_and_reports_progress(hall, client):
    project = await chosen_project(hall)
    department, _ = await department_who(hall)
    await projects.save_plan(project["id"], projects.PlanInput(department, "", None, "", "", None, None, ()),
                             SECRETARIAT)
    assert await login_as(client, "jiaotong") == "/console/projects"
    listing = await client.get("/console/projects")
    assert project["title"] in listing.text
    base = f"/console/projects/{project['id']}"
    start = date(2027, 3, 1)
    plan = {"_csrf_token": csrf_of(client), "lead_official": "王局长", "budget_wan": "120", "funding": "县财政",
            "targets": "硬化 3 公里", "starts_on": str(start), "ends_on": str(start + timedelta(days=200)),
            "m1_title": "路基", "m1_weight": "40", "m1_due": str(start + timedelta(days=60)),
            "m2_title": "路面", "m2_weight": "60", "m2_due": str(start + timedelta(days=400))}
    refused = await client.post(f"{base}/plan", data=plan)
    assert refused.status_code == 400 and "第 2 个里程碑的日期应在开工与完成日期之间" in refused.text
    assert 'value="路面"' in refused.text
    saved = await client.post(f"{base}/plan", data={**plan, "m2_due": str(start + timedelta(days=180))})
    assert saved.status_code in (302, 303)
    submitted = await client.post(f"{base}/plan/submit", data={"_csrf_token": csrf_of(client)})
    assert submitted.status_code in (302, 303)
    page = await client.get(base)
    assert "提交审定。审定期间不能修改，请等待秘书处审定" in page.text and 'name="m1_title"' not in page.text
    refused = await client.post(f"{base}/move", data={"_csrf_token": csrf_of(client), "target": "implementing"})
    assert refused.status_code == 409 and "承办部门不能公布实施方案" in refused.text

    # The secretariat returns it once with what must change, then publishes the corrected plan.
    client.cookies.clear()
    await login_staff(client)
    review = await client.get(base)
    assert "审定并公布实施方案" in review.text and "退回修改" in review.text
    no_reason = await client.post(f"{base}/plan/return", data={"_csrf_token": csrf_of(client), "reason": ""})
    assert no_reason.status_code == 400 and "须写明需要修改的内容" in no_reason.text
    returned = await client.post(f"{base}/plan/return", data={"_csrf_token": csrf_of(client),
                                                               "reason": "资金来源请写明县财政和上级补助各多少"})
    assert returned.status_code in (302, 303)
    client.cookies.clear()
    await login_as(client, "jiaotong")
    back = await client.get(base)
    assert "实施方案退回修改：资金来源请写明县财政和上级补助各多少。请修改后重新提交审定" in back.text
    assert 'name="m1_title"' in back.text  # editable again
    saved = await client.post(f"{base}/plan", data={**plan, "m2_due": str(start + timedelta(days=180)),
                                                    "_csrf_token": csrf_of(client), "funding": "县财政 80 万元，上级补助 40 万元"})
    assert saved.status_code in (302, 303)
    assert (await client.post(f"{base}/plan/submit", data={"_csrf_token": csrf_of(client)})).status_code in (302, 303)
    client.cookies.clear()
    await login_staff(client)
    published = await client.post(f"{base}/move", data={"_csrf_token": csrf_of(client), "target": "implementing"})
    assert published.status_code in (302, 303)
    client.cookies.clear()
    await login_as(client, "jiaotong")
    stones = await projects.milestones(project["id"])
    report = await client.post(f"{base}/reports", data={
        "_csrf_token": csrf_of(client), "period": "2027年第二季度", "filed_on": str(start + timedelta(days=90)),
        f"p_{stones[0]['id']}": "100", f"p_{stones[1]['id']}": "20", "spent_wan": "60",
        "narrative": "路基全部完成，路面铺设两成。"})
    assert report.status_code in (302, 303)
    page = await client.get(base)
    assert "总体 52%" in page.text and "2027年第二季度" in page.text
    assert (await projects.get_project(project["id"]))["progress"] == 52


async def test_a_department_cannot_open_another_departments_project(hall, client):
    project = await chosen_project(hall)
    mine, _ = await department_who(hall)
    await department_who(hall, "县水利局", "shuili")
    await projects.save_plan(project["id"], projects.PlanInput(mine, "", None, "", "", None, None, ()), SECRETARIAT)
    await login_as(client, "shuili")
    assert project["title"] not in (await client.get("/console/projects")).text
    other = await client.get(f"/console/projects/{project['id']}")
    assert other.status_code == 403 and "不由您的部门承办" in other.text
    refused = await client.post(f"/console/projects/{project['id']}/reports", data={
        "_csrf_token": csrf_of(client), "period": "一季度", "narrative": "试图报送别人的进度。"})
    assert refused.status_code == 403
    assert (await client.get("/console/departments")).status_code == 403


async def test_the_secretariat_creates_departments_and_their_logins(hall, client):
    await login_staff(client)
    made = await client.post("/console/departments", data={"_csrf_token": csrf_of(client),
                                                            "congress": str(hall.congress_id), "name": "县教育局"})
    assert made.status_code in (302, 303)
    department = next(d for d in await projects.departments(hall.congress_id) if d["name"] == "县教育局")
    account = await client.post("/console/departments/staff", data={
        "_csrf_token": csrf_of(client), "role": "department", "department": str(department["id"]),
        "username": "jiaoyu", "display_name": "教育局 李老师", "password": "edu-pass-123"})
    assert account.status_code in (302, 303)
    page = await client.get("/console/departments")
    assert "jiaoyu" in page.text and "县教育局" in page.text


async def test_a_progress_report_carries_photos_served_only_to_those_who_may_see_the_project(hall, client):
    import io

    from PIL import Image

    project = await chosen_project(hall)
    department, _ = await department_who(hall, "县农业农村局", "nongye")
    start = date.today() - timedelta(days=30)
    from tests.lifecycle.test_projects import plan

    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"], SECRETARIAT)
    await login_as(client, "nongye")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 60)).save(buffer, "PNG")
    base = f"/console/projects/{project['id']}"
    form = {"_csrf_token": csrf_of(client), "period": "十一月", "filed_on": str(date.today()), "spent_wan": "5",
            "narrative": "开工准备完成，材料进场。"}
    bad = await client.post(f"{base}/reports", data=form, files=[("photos", ("现场.jpg", b"<html>x</html>", "image/jpeg"))])
    assert bad.status_code == 400 and "只能上传" in bad.text and not await projects.reports(project["id"])
    good = await client.post(f"{base}/reports", data=form, files=[("photos", ("现场.png", buffer.getvalue(), "image/png"))])
    assert good.status_code in (302, 303)
    page = await client.get(base)
    sha = page.text.split("/console/project-attachments/")[1][:64]
    photo = await client.get(f"/console/project-attachments/{sha}")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.headers["x-content-type-options"] == "nosniff"
    await department_who(hall, "县文旅局", "wenlv")
    await login_as(client, "wenlv")
    assert (await client.get(f"/console/project-attachments/{sha}")).status_code == 403


async def test_the_status_light_thresholds_are_settings_of_the_congress(hall, client):
    from lifecycle import colours

    project = await chosen_project(hall)
    start = date.today() - timedelta(days=100)
    department, _ = await department_who(hall, "县商务局", "shangwu")
    from tests.lifecycle.test_projects import plan

    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"], SECRETARIAT)
    row = await projects.get_project(project["id"])  # half the time gone, nothing reported: 50 points behind
    assert await projects.colour_of(row) == "red"
    await login_staff(client)
    bad = await client.post(f"/console/congresses/{hall.congress_id}/thresholds", data={
        "_csrf_token": csrf_of(client), "yellow_gap": "60", "red_gap": "40", "near_days": "7",
        "report_every_days": "92"})
    assert bad.status_code == 400 and "黄灯差距应小于红灯差距" in bad.text
    saved = await client.post(f"/console/congresses/{hall.congress_id}/thresholds", data={
        "_csrf_token": csrf_of(client), "yellow_gap": "40", "red_gap": "60", "near_days": "7",
        "report_every_days": "200", "verdict_rectify_days": "45", "rectify_basically": "1"})
    assert saved.status_code in (302, 303)
    assert await projects.thresholds(hall.congress_id) == colours.Thresholds(40, 60, 7, 200, True, 45)
    page = await client.get("/console/departments")
    assert 'name="verdict_rectify_days" type="number" min="7" max="366" value="45"' in page.text
    assert 'name="rectify_basically" value="1" checked' in page.text
    assert await projects.colour_of(row) == "yellow"


async def test_thresholds_for_a_congress_that_does_not_exist_are_refused(hall, client):
    """Found by tests/security/test_openapi_fuzz.py: the settings row's foreign key failed (a 500)."""
    from lifecycle.tables import SupervisionSettings

    await login_staff(client)
    missing = hall.congress_id + 10_000
    response = await client.post(f"/console/congresses/{missing}/thresholds", data={
        "_csrf_token": csrf_of(client), "yellow_gap": "10", "red_gap": "20", "near_days": "7",
        "report_every_days": "30"})
    assert response.status_code == 404 and "没有这个人大" in response.text
    assert not await SupervisionSettings.exists().where(SupervisionSettings.congress == missing)


async def test_the_secretariat_changes_published_milestones_by_a_decision_from_the_project_page(hall, client):
    import re

    from tests.lifecycle.test_projects import plan

    project = await chosen_project(hall)
    department, _ = await department_who(hall)
    start = date(2027, 3, 1)
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"])
    await login_staff(client)
    base = f"/console/projects/{project['id']}"
    page = await client.get(base)
    # The decision form holds the milestones as they stand (and two empty rows), ready to change.
    rows = dict(re.findall(r'name="(d\d_(?:id|title|weight|due))" [^>]*value="([^"]*)"', page.text))
    assert (rows["d1_title"], rows["d1_weight"], rows["d2_title"], rows["d3_title"]) == ("路基", "40", "路面", "")
    decision = {"_csrf_token": csrf_of(client), "kind": "adjust", "body": "县人大常委会", "meeting": "第十三次会议",
                "decided_on": "2027-04-01", "document": "常发〔2027〕12号", "summary": "增加排水工程，调整里程碑",
                "budget_wan": "", "ends_on": "", "targets": "", **rows}
    refused = await client.post(f"{base}/decisions", data={**decision, "d2_weight": "40", "d3_title": "排水沟",
                                                           "d3_weight": "30", "d3_due": "2027-07-01"})
    assert refused.status_code == 400 and "权重合计须为 100（现在是 110）" in refused.text
    assert 'value="排水沟"' in refused.text  # what was typed comes back
    saved = await client.post(f"{base}/decisions", data={**decision, "d2_weight": "40", "d3_title": "排水沟",
                                                         "d3_weight": "20", "d3_due": "2027-07-01"})
    assert saved.status_code in (302, 303)
    assert [(m["title"], m["weight"]) for m in await projects.milestones(project["id"])] == [
        ("路基", 40), ("路面", 40), ("排水沟", 20)]
    public = await client.get(f"/public/projects/{(await projects.get_project(project['id']))['code']}")
    assert "里程碑：路基 40（2027-04-30）；路面 60（2027-08-28） → 路基 40（2027-04-30）；路面 40（2027-08-28）；排水沟 20（2027-07-01）" \
        in public.text
