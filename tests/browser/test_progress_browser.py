"""A department files a progress report on its project in a real browser. Screenshots in tests/artifacts/."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from lifecycle import projects
from tests.hall import make_hall
from tests.lifecycle.test_projects import chosen_project, department_who, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


async def test_a_department_files_progress(live_server, browser, artifacts):
    hall = await make_hall(deputies=30)
    project = await chosen_project(hall)
    department, _ = await department_who(hall, "县住建局", "zhujian")
    start = date.today() - timedelta(days=60)
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"], SECRETARIAT)
    context = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await context.new_page()
        await page.goto("/console/login")
        await page.get_by_label("用户名").fill("zhujian")
        await page.get_by_label("密码").fill("dept-pass-123")
        await page.get_by_role("button", name="登录").click()
        await expect(page.get_by_role("heading", name="民生实事项目实施")).to_be_visible()
        await page.get_by_role("link", name=project["title"]).click()
        await page.get_by_label("报告期").fill("第一次进度报告")
        await page.get_by_label("路基 完成比例").fill("100")
        await page.get_by_label("路面 完成比例").fill("15")
        await page.get_by_label("累计支出（万元）").fill("45")
        await page.get_by_label("进展情况").fill("路基已全部完成，路面开始铺设，进度正常。")
        await page.get_by_role("button", name="报送进度").click()
        await expect(page.get_by_role("status")).to_have_text("已保存。")
        await expect(page.locator("#reports")).to_contain_text("总体 49%")
        await page.screenshot(path=artifacts / "progress-01-reported.png", full_page=True)
    finally:
        await context.close()
    assert (await projects.get_project(project["id"]))["progress"] == 49
