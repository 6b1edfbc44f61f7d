"""The notification centre on the real database: each event tells the right people exactly once,
reminders come once per deadline however often the scan runs, and each recipient reads (and marks
read) only their own, where they look: a proposer by tracking code, a department on its console, a
deputy on the tablet."""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import datetime, timedelta, timezone

from lifecycle import notification_rules, notifications, projects, proposals, reminders, supervision
from lifecycle.proposals import Who
from lifecycle.tables import Milestone, Notification, Project, SmsMessage
from tests.conftest import ROOT, python_command
from tests.hall import csrf, csrf_of, login_deputy, login_staff
from tests.lifecycle.test_proposals import ALL_MET, DEPARTMENT, SECRETARIAT, idea, open_round
from tests.lifecycle.test_supervision import deputy, department, implementing, with_group
from tests.web.test_supervision_pages import browser_of_its_own, login_department, username_of
from voting import audit
from voting.audit import Actor


async def texts(kind: str, recipient_id: int) -> list[str]:
    return [n["text"] for n in await notifications.of(kind, recipient_id)]


def shown_notices(page_html: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<p class="notice-text">([^<]*)</p>', page_html)]


# --- decisions on proposals ------------------------------------------------------------------------


async def test_a_decision_tells_the_proposer_once_and_everyone_whose_proposal_was_merged_into_it(hall):
    round_id = await open_round(hall)
    kept = await proposals.submit(round_id, idea(contact="王先生 138-0000-1111"), Who.citizen(), client="n1")
    duplicate = await proposals.submit(round_id, idea("关于东岭村道路硬化的建议"), Who.citizen(), client="n2")
    by_deputy = hall.deputy_ids[4]
    mine = await proposals.submit(round_id, idea("西岭村卫生室改造", village="西岭村"),
                                  Who(Actor("deputy", by_deputy, "代表"), "deputy"), deputy_id=by_deputy)

    await proposals.merge(duplicate["id"], kept["id"], DEPARTMENT)
    assert await texts("proposer", duplicate["id"]) == [
        f"您的建议“关于东岭村道路硬化的建议”（查询码 {duplicate['code']}）与内容相近的“东岭村道路硬化”（查询码 "
        f"{kept['code']}）合并办理，联名人数合并计算；用您的查询码仍可查看办理进展。"]
    assert await texts("proposer", kept["id"]) == []  # absorbing a duplicate is no decision on it

    await proposals.record_review(kept["id"], ALL_MET, {}, "", DEPARTMENT)
    await proposals.move(kept["id"], "shortlisted", DEPARTMENT)
    assert await texts("proposer", kept["id"]) == [
        f"您的建议“东岭村道路硬化”（查询码 {kept['code']}）通过初审，列入初选名单。"]
    assert (await texts("proposer", duplicate["id"]))[0] == (
        f"您的建议“关于东岭村道路硬化的建议”已并入“东岭村道路硬化”（查询码 {kept['code']}）合并办理，"
        "该建议通过初审，列入初选名单。")

    await proposals.move(mine["id"], "rejected", DEPARTMENT, "与已建项目重复")
    expected = f"您的建议“西岭村卫生室改造”（查询码 {mine['code']}）未予采纳。理由：与已建项目重复"
    assert await texts("proposer", mine["id"]) == [expected]
    assert await texts("deputy", by_deputy) == [expected]  # the deputy who proposed it hears it on the tablet

    # Each event once: told again, nothing is added; without SMS settings nothing was queued.
    proposal = await proposals.get_proposal(mine["id"])
    event = (await proposals.history(mine["id"]))[-1]["id"]
    again = notification_rules.proposal_decided(notifications.proposer(proposal), "rejected", "与已建项目重复", event)
    assert await notifications.tell(again) == 0
    assert await Notification.count().where(Notification.recipient_id == mine["id"]) == 1
    assert await SmsMessage.count().where(  # the proposer left a mobile number, but SMS is not configured
        SmsMessage.notification.recipient_id == kept["id"]) == 0


async def test_the_proposer_reads_the_notices_by_tracking_code_and_marks_them_read(hall, client):
    round_id = await open_round(hall)
    made = await proposals.submit(round_id, idea(), Who.citizen(), client="n3")
    other = await proposals.submit(round_id, idea("南岭村路灯安装", village="南岭村"), Who.citizen(), client="n4")
    for proposal_id in (made["id"], other["id"]):
        await proposals.move(proposal_id, "rejected", DEPARTMENT, "不属于民生实事项目范围")
    [notice] = await notifications.of("proposer", made["id"])
    [strangers] = await notifications.of("proposer", other["id"])

    page = await client.get("/public/track", params={"code": made["code"]})
    assert page.status_code == 200 and shown_notices(page.text) == [notice["text"]]
    assert "未读" in page.text and other["code"] not in page.text
    token = await csrf(client, "/public/track")
    # another proposal's notice under this code, or no notice at all: refused, nothing changes
    for wrong in (str(strangers["id"]), "x1"):
        refused = await client.post("/public/notifications/read", data={"code": made["code"], "id": wrong,
                                                                        "_csrf_token": token})
        assert refused.status_code == 404 and "没有这条通知" in refused.text
    assert await notifications.unread("proposer", made["id"]) == 1
    assert await notifications.unread("proposer", other["id"]) == 1
    assert (await client.post("/public/notifications/read", data={"code": "ZZZZ-ZZZZ", "_csrf_token": token})
            ).status_code == 404

    read = await client.post("/public/notifications/read", data={"code": made["code"], "id": str(notice["id"]),
                                                                 "_csrf_token": token})
    assert read.status_code in (302, 303) and made["code"] in read.headers["location"]
    page = await client.get("/public/track", params={"code": made["code"]})
    assert "已读" in page.text and 'class="notice-unread"' not in page.text
    assert await notifications.unread("proposer", other["id"]) == 1
    logged = await audit.entries(action="notifications_read", limit=5)
    assert logged[0]["subject"] == f"建议人 {made['code']}" and json.loads(logged[0]["detail"]) == {"count": 1}


# --- a project's department and its supervision group ---------------------------------------------


async def test_rectifications_and_a_returned_plan_reach_the_department_and_the_group(hall, client):
    department_id, dept = await department(hall)
    [project_id] = await implementing(hall, department_id, titles=("东岭村排水沟改造",))
    await with_group(hall, project_id)  # deputy 0 leads, 1 and 2 are members
    today = proposals.today()
    rect = await supervision.raise_rectification(project_id, None, "东段排水沟按设计返工", today + timedelta(days=30),
                                                 deputy(hall, 1))
    due = today + timedelta(days=30)
    assert await texts("department", department_id) == [
        f"“东岭村排水沟改造”收到新的整改要求（来源：视察），限 {due.year}年{due.month}月{due.day}日 前完成并答复："
        "东段排水沟按设计返工"]

    await supervision.reply_rectification(rect, "已按设计返工，排水沟全线贯通。", dept)
    replied = "您监督的“东岭村排水沟改造”：承办部门答复了整改要求“东段排水沟按设计返工”，请核实后销号或不予销号。"
    for n in (0, 1, 2):
        assert await texts("deputy", hall.deputy_ids[n]) == [replied]
    assert await texts("deputy", hall.deputy_ids[3]) == []

    await supervision.send_back_rectification(rect, "西段仍有积水，请继续整改", deputy(hall, 0))
    assert (await texts("department", department_id))[0] == (
        "“东岭村排水沟改造”的整改要求“东段排水沟按设计返工”，答复未获销号（不予销号）：西段仍有积水，请继续整改。"
        "请再次整改并答复。")

    # a plan submitted and returned
    [planned] = await implementing(hall, department_id, titles=("东岭村公厕新建",))
    await Project.update({Project.stage: "planning", Project.plan_submitted_at: datetime.now(timezone.utc)}).where(
        Project.id == planned)
    await projects.return_plan(planned, "公厕选址须避开水源地", SECRETARIAT)
    assert (await notifications.of("department", department_id))[0]["text"] == \
        "“东岭村公厕新建”的实施方案被退回修改：公厕选址须避开水源地"
    assert (await notifications.of("department", department_id))[0]["link"] == f"/console/projects/{planned}#plan"

    # the lead reads it on the tablet's home page and marks it read there
    await login_deputy(client, hall.codes[hall.deputy_ids[0]])
    home = await client.get("/tablet")
    assert replied in shown_notices(home.text) and "1 条未读" in home.text
    marked = await client.post("/tablet/notifications/read", data={"_csrf_token": csrf_of(client)})
    assert marked.status_code in (302, 303)
    assert await notifications.unread("deputy", hall.deputy_ids[0]) == 0
    assert await notifications.unread("deputy", hall.deputy_ids[1]) == 1  # each deputy marks their own


async def test_a_department_sees_only_its_own_notifications_with_the_count_in_its_menu(hall, client):
    ours, dept = await department(hall, "县交通运输局")
    theirs, other_dept = await department(hall, "县水利局")
    [road] = await implementing(hall, ours, titles=("东岭村道路硬化",))
    [water] = await implementing(hall, theirs, titles=("南山村饮水工程",))
    for project_id in (road, water):
        await with_group(hall, project_id)
        for request in ("路肩加固", "补设警示标志"):
            await supervision.raise_rectification(project_id, None, request,
                                                  proposals.today() + timedelta(days=20), deputy(hall, 0))
    [their_notice, _] = await notifications.of("department", theirs)

    await login_department(client, await username_of(dept))
    page = await client.get("/console/notifications")
    shown = shown_notices(page.text)
    assert len(shown) == 2 and all("东岭村道路硬化" in t for t in shown) and "南山村饮水工程" not in page.text
    assert re.search(r'class="nav-count"[^>]*>2<', page.text)
    projects_page = await client.get("/console/projects")  # the count is in the menu on every page
    assert re.search(r'class="nav-count"[^>]*>2<', projects_page.text)

    refused = await client.post("/console/notifications/read", data={"id": str(their_notice["id"]),
                                                                     "_csrf_token": csrf_of(client)})
    assert refused.status_code == 404 and await notifications.unread("department", theirs) == 2
    first = (await notifications.of("department", ours))[0]
    await client.post("/console/notifications/read", data={"id": str(first["id"]), "_csrf_token": csrf_of(client)})
    page = await client.get("/console/notifications")
    assert re.search(r'class="nav-count"[^>]*>1<', page.text) and page.text.count('class="notice-unread"') == 1
    await client.post("/console/notifications/read", data={"_csrf_token": csrf_of(client)})
    assert 'class="nav-count"' not in (await client.get("/console/notifications")).text
    assert await notifications.unread("department", ours) == 0 and await notifications.unread(
        "department", theirs) == 2

    async with browser_of_its_own() as office:  # the secretariat sees everyone's, and marks nothing
        await login_staff(office)
        overview = await office.get("/console/notifications")
        assert "南山村饮水工程" in overview.text and "东岭村道路硬化" in overview.text and "承办部门 县水利局" in overview.text
        assert (await office.post("/console/notifications/read", data={"_csrf_token": csrf_of(office)})
                ).status_code == 403
    assert await notifications.unread("department", theirs) == 2


# --- reminders ---------------------------------------------------------------------------------------


async def test_reminders_come_once_per_deadline_however_often_the_scan_runs(hall):
    department_id, dept = await department(hall)
    today = proposals.today()
    [project_id] = await implementing(hall, department_id, titles=("北岭村文化礼堂",))
    await Project.update({Project.starts_on: today - timedelta(days=100),
                          Project.ends_on: today + timedelta(days=200)}).where(Project.id == project_id)
    await with_group(hall, project_id)
    await Milestone.insert(Milestone(project=project_id, position=1, title="主体结构", weight=60,
                                     due_on=today + timedelta(days=3)),
                           Milestone(project=project_id, position=2, title="室内装修", weight=40,
                                     due_on=today + timedelta(days=5)))  # not yet, not even tomorrow
    near = await supervision.raise_rectification(project_id, None, "消防通道清理", today + timedelta(days=2),
                                                 deputy(hall, 0))
    await supervision.raise_rectification(project_id, None, "外墙补漆", today + timedelta(days=5), deputy(hall, 0))
    answered = await supervision.raise_rectification(project_id, None, "补装照明", today + timedelta(days=1),
                                                     deputy(hall, 0))
    await supervision.reply_rectification(answered, "照明已补装完毕。", dept)  # answered: the group's turn, no reminder
    lead = hall.deputy_ids[0]

    async def count() -> int:  # this project's people (the scan covers every project in the database)
        return len(await notifications.of("department", department_id)) + len(await notifications.of("deputy", lead))

    before = await count()  # the two requests raised
    assert await reminders.scan() >= 4
    assert await count() == before + 4  # the rectification, the milestone, the report (department and lead)
    assert await reminders.scan() == 0
    await reminders.scan(today + timedelta(days=1))
    assert await count() == before + 4  # the same deadlines, a day nearer: not again
    told = [n["text"] for n in await notifications.of("department", department_id)][:3]
    start = today - timedelta(days=100)
    late = f"已超过 92 天没有报送进度（上次：{start.year}年{start.month}月{start.day}日）"
    assert sorted(told) == sorted([
        f"“北岭村文化礼堂”的整改要求“消防通道清理”将于 {notification_rules.cn_date(today + timedelta(days=2))} 到期"
        "（还有 2 天），请按期整改并答复。",
        f"“北岭村文化礼堂”的里程碑“主体结构”计划于 {notification_rules.cn_date(today + timedelta(days=3))} 完成"
        "（还有 3 天），目前报告完成 0%。",
        f"“北岭村文化礼堂”{late}，请尽快报送进度报告。"])
    assert (await texts("deputy", lead))[0] == f"您任组长监督的“北岭村文化礼堂”{late}。"
    assert len(await audit.entries(action="reminders_made", limit=50)) >= 1

    # the department answers and reports: nothing more is due today; the next report, late in its turn, is told
    await supervision.reply_rectification(near, "通道已清理完毕。", dept)
    stones = await projects.milestones(project_id)
    await projects.file_report(project_id, "本季度", today, {stones[0]["id"]: 50}, 10, "主体结构已完成一半，进展顺利。", dept)
    assert await reminders.scan() == 0
    later = today + timedelta(days=93)
    await reminders.scan(later)
    assert await count() == before + 4 + 1 + 2  # the reply, for the lead to verify; the late report, to both
    assert (await texts("deputy", lead))[0] == (
        f"您任组长监督的“北岭村文化礼堂”已超过 92 天没有报送进度（上次：{notification_rules.cn_date(today)}）。")
    assert await reminders.scan(later) == 0


async def test_the_command_line_runs_the_pass_and_says_sms_is_not_configured(hall):
    done = subprocess.run(python_command("-m", "lifecycle", "notify"), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"新提醒 \d+ 条；短信未配置（缺少 PIAOJUE_SMS_SECRET_ID、PIAOJUE_SMS_SECRET_KEY、"
                        r"PIAOJUE_SMS_APP_ID、PIAOJUE_SMS_SIGN_NAME、PIAOJUE_SMS_TEMPLATE_ID），不发送短信。\n",
                        done.stdout), done.stdout
