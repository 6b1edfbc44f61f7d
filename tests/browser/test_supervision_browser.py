"""Supervision in a real browser: the group lead records an inspection with a photo from the tablet and
raises a rectification request; the department answers on the console; the lead sends it back (不予销号)
with a reason; the department answers again with a photo; the lead sees both rounds and closes it.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import expect

from lifecycle import supervision
from lifecycle.tables import Inspection, ProjectAttachment, Rectification
from tests.hall import make_hall
from voting import accounts
from tests.lifecycle.test_supervision import department, implementing, with_group
from voting.tables import StaffAccount

pytestmark = pytest.mark.browser
TABLET = {"viewport": {"width": 800, "height": 1280}, "device_scale_factor": 1, "locale": "zh-CN",
          "timezone_id": "Asia/Shanghai"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def site_photo(road: tuple[int, int, int] = (90, 90, 95)) -> bytes:
    """A small PNG that looks like something: a road under a sky."""
    image = Image.new("RGB", (320, 200), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 120, 320, 200), fill=(110, 150, 90))
    draw.polygon([(130, 200), (190, 200), (165, 120), (155, 120)], fill=road)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def test_an_inspection_with_a_photo_and_a_rectification_closed_after_the_department_replies(
        live_server, browser, artifacts):
    hall = await make_hall(deputies=12)
    department_id, dept = await department(hall, "县交通运输局")
    [project_id] = await implementing(hall, department_id, titles=("东岭村道路硬化",))
    await implementing(hall, count=2, titles=("城关幼儿园扩班", "溪口镇老年食堂"))
    await with_group(hall, project_id, lead=0, members=(1, 2))
    username = (await StaffAccount.select(StaffAccount.username).where(
        StaffAccount.id == dept.actor.id).first())["username"]
    lead_id, member_id = hall.deputy_ids[0], hall.deputy_ids[1]

    tablet = await browser.new_context(base_url=live_server, **TABLET)
    desk = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await tablet.new_page()
        await page.goto("/tablet/login")
        await page.get_by_label("登录码").fill(hall.codes[lead_id])
        await page.get_by_role("button", name="登录").click()
        await page.get_by_role("link", name=re.compile("我的监督项目")).click()
        await expect(page.get_by_role("heading", name="我的监督项目")).to_be_visible()
        await expect(page.locator(".sv-project")).to_have_count(1)
        await expect(page.locator(".sv-project .light")).to_contain_text("灯")
        await shot(page, artifacts / "supervision-01-my-projects.png")

        # --- the inspection, with a photo
        await page.locator(".sv-project-link").click()
        await expect(page.get_by_role("heading", name="记录视察")).to_be_visible()
        await page.get_by_label(await _name(member_id), exact=True).check()
        await page.get_by_label(re.compile("其他参加人员")).fill("县交通运输局 李科长；东岭村村委会 王主任")
        await page.get_by_label("视察发现的情况").fill(
            "路基已全线完成，东段约 300 米排水沟未按设计施工，沟底未硬化；部分路肩压实不足，雨后有塌陷。")
        await page.get_by_label("不打招呼（事先未通知承办部门）").check()
        await page.locator("input[name=photos]").set_input_files(
            files=[{"name": "东段排水沟.png", "mimeType": "image/png", "buffer": site_photo()}])
        await shot(page, artifacts / "supervision-02-inspection-form.png")
        await page.get_by_role("button", name="保存视察记录").click()
        await expect(page.get_by_text("视察记录已保存")).to_be_visible()
        photo = page.locator(".sv-photos img").first
        await expect(photo).to_be_visible()
        assert await photo.evaluate("img => img.complete && img.naturalWidth") == 320
        inspection = await Inspection.select().where(Inspection.project == project_id).output(load_json=True).first()
        assert sorted(inspection["deputies"]) == sorted([lead_id, member_id]) and inspection["unannounced"]
        assert await ProjectAttachment.count().where(
            (ProjectAttachment.record == inspection["id"]) & (ProjectAttachment.kind == "inspection")) == 1

        # --- a rectification request with the deadline offered
        await page.get_by_label("整改要求", exact=True).fill("东段排水沟按设计返工，沟底硬化；路肩重新压实。")
        await page.get_by_role("button", name="提出整改要求").click()
        await expect(page.get_by_text("整改要求已提出")).to_be_visible()
        await expect(page.locator("#rectifications .sv-rect")).to_have_count(1)
        await expect(page.locator("#rectifications")).to_contain_text("等待承办部门答复")
        await shot(page, artifacts / "supervision-03-rectification-raised.png")
        rect = await Rectification.select().where(Rectification.project == project_id).first()
        assert rect["inspection"] == inspection["id"] and rect["status"] == "open"

        # --- the department answers on the console
        console = await desk.new_page()
        await console.goto("/console/login")
        await console.get_by_label("用户名").fill(username)
        await console.get_by_label("密码").fill("dept-pass-123")
        await console.get_by_role("button", name="登录").click()
        await console.wait_for_load_state()
        await console.goto("/console/supervision")
        await expect(console.locator(f"#rect-{rect['id']}")).to_contain_text("东段排水沟按设计返工")
        await console.get_by_label("整改情况答复").fill("已组织施工单位返工，东段排水沟沟底已硬化，路肩重新分层压实。")
        await shot(console, artifacts / "supervision-04-department-reply.png")
        await console.get_by_role("button", name="提交答复").click()
        await expect(console.get_by_text("答复已提交")).to_be_visible()
        await shot(console, artifacts / "supervision-05-department-replied.png")

        # --- the lead finds it not done: 不予销号, with the reason
        await page.reload()
        await expect(page.locator("#rectifications")).to_contain_text("沟底已硬化")
        await page.get_by_role("button", name="整改不到位，不予销号").click()  # no reason: the browser asks for one
        assert (await supervision.rectification(rect["id"]))["status"] == "replied"
        await page.get_by_label(re.compile("整改不到位的理由")).fill("现场核查，东段仍有约 30 米沟底未硬化，雨后积水。")
        await page.get_by_role("button", name="整改不到位，不予销号").click()
        await expect(page.get_by_text("已不予销号")).to_be_visible()
        await expect(page.locator("#rectifications")).to_contain_text("等待承办部门答复")
        await expect(page.locator(".sv-sent-back")).to_contain_text("东段仍有约 30 米沟底未硬化")
        await shot(page, artifacts / "supervision-06-sent-back.png")

        # --- the department reads why and answers again, with a photo of the work
        await console.goto("/console/supervision")
        rect_box = console.locator(f"#rect-{rect['id']}")
        await expect(rect_box.locator(".sv-sent-back")).to_contain_text("东段仍有约 30 米沟底未硬化")
        await console.get_by_label(re.compile("重新答复")).fill("已对剩余 30 米沟底补做硬化，附返工后照片。")
        await rect_box.locator("input[name=photos]").set_input_files(
            files=[{"name": "返工后.png", "mimeType": "image/png", "buffer": site_photo((70, 70, 75))}])
        await console.get_by_role("button", name="提交答复").click()
        await expect(console.get_by_text("答复已提交")).to_be_visible()
        await shot(console, artifacts / "supervision-06b-department-answers-again.png")

        # --- the lead sees both rounds, the new photo, and closes it
        await page.reload()
        rounds = page.locator(f"#rect-{rect['id']} .sv-reply")
        await expect(rounds).to_have_count(2)
        await expect(rounds.nth(0)).to_contain_text("不予销号")
        await expect(rounds.nth(1)).to_contain_text("第 2 次答复")
        fixed = rounds.nth(1).locator("img")
        await expect(fixed).to_be_visible()
        assert await fixed.evaluate("img => img.complete && img.naturalWidth") == 320
        await page.get_by_label(re.compile("核实意见")).fill("现场核实，排水沟已按设计返工。")
        await page.locator("#rectifications").screenshot(path=artifacts / "supervision-06-verify.png")
        await page.get_by_role("button", name="核实整改到位，销号").click()
        await expect(page.get_by_text("已核实销号")).to_be_visible()
        await expect(page.locator("#rectifications")).to_contain_text("没有未销号的整改要求")
        await shot(page, artifacts / "supervision-07-closed.png")
        assert (await supervision.rectification(rect["id"]))["status"] == "closed"

        # --- the lead draws lots
        await page.goto("/tablet/supervision/lots")
        await page.get_by_label("抽取项目个数").fill("2")
        await page.get_by_role("button", name="抽签").click()
        await expect(page.locator(".sv-draw-new")).to_contain_text("已复核一致")
        await shot(page, artifacts / "supervision-08-lots.png")

        # --- the public history shows all of it
        proposal_code = await _code(project_id)
        await page.goto(f"/public/proposals/{proposal_code}")
        history = page.locator(".public-history")
        await expect(history).to_contain_text("不打招呼")
        await expect(history).to_contain_text("东段排水沟按设计返工")
        await expect(history).to_contain_text("沟底已硬化")
        await expect(history).to_contain_text("销号")
        await expect(history).to_contain_text("不予销号：现场核查，东段仍有约 30 米沟底未硬化")
        await expect(history).to_contain_text("承办部门第 2 次答复")

        # --- the secretariat's overview and the group form
        if not await StaffAccount.exists().where(StaffAccount.username == "sv-mishu"):
            await accounts.create_staff("sv-mishu", "张敏", "pw-for-tests-2")
        await console.get_by_role("button", name="退出").click()
        await console.goto("/console/login")
        await console.get_by_label("用户名").fill("sv-mishu")
        await console.get_by_label("密码").fill("pw-for-tests-2")
        await console.get_by_role("button", name="登录").click()
        await console.wait_for_load_state()
        await console.goto("/console/supervision")
        await expect(console.get_by_role("heading", name="抽签确定视察项目")).to_be_visible()
        await shot(console, artifacts / "supervision-09-secretariat.png")
        await console.goto(f"/console/supervision/projects/{project_id}")
        await console.get_by_text("调整监督小组").click()
        await expect(console.get_by_label("组长（代表证号）")).to_have_value(hall.numbers[lead_id])
        await shot(console, artifacts / "supervision-10-secretariat-project.png")
    finally:
        await tablet.close()
        await desk.close()


async def shot(page, path) -> None:
    """A full-page screenshot from the top (a page opened at an anchor is scrolled, and the bar is sticky)."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=path, full_page=True)


async def _name(deputy_id: int) -> str:
    from voting.tables import Deputy

    return (await Deputy.select(Deputy.name).where(Deputy.id == deputy_id).first())["name"]


async def _code(project_id: int) -> str:
    from lifecycle import projects

    return (await projects.get_project(project_id))["code"]
