"""The clerk imports the roster in a real browser: upload an office file, read the preview (nothing
written yet), confirm, and see the result. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.voting.test_roster_import import padded_term, roll_of, the_office_file
from voting import accounts
from voting.tables import PendingUpload
from voting.tables import StaffAccount

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}
USER, PASSWORD = "mingce", "pw-for-roster-1"


async def test_upload_preview_confirm(live_server, browser, artifacts, tmp_path):
    term_id = await padded_term()
    if not await StaffAccount.exists().where(StaffAccount.username == USER):
        await accounts.create_staff(USER, "张敏", PASSWORD)
    before = await roll_of(term_id)
    file = tmp_path / "青溪县第十九届代表名册.xlsx"
    file.write_bytes(the_office_file())

    context = await browser.new_context(base_url=live_server, **DESKTOP)
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        await page.goto("/console/login")
        await page.get_by_label("用户名").fill(USER)
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await expect(page).to_have_url(re.compile(r"/console/?$"))

        await page.goto(f"/console/terms/{term_id}/import")
        await page.get_by_label("名册文件").set_input_files(file)
        await page.get_by_role("button", name="上传并预览").click()
        await expect(page.get_by_role("heading", name=re.compile("核对名册导入"))).to_be_visible()
        await expect(page.locator("#figures")).to_have_text("新增 3 人，更新 2 人，跳过 3 行")
        renamed = page.locator("#updates tr.name-changed")
        await expect(renamed).to_have_count(1)
        await expect(renamed).to_contain_text("李秀英 → 李秀兰")
        color = await renamed.locator(".now").first.evaluate("e => getComputedStyle(e).color")
        assert color == "rgb(179, 38, 30)"  # the changed name in red
        await expect(page.locator("#skipped")).to_contain_text("隐藏的行")
        await expect(page.locator("#warnings")).to_contain_text("代表证号 101 按名册中已有的 000101")
        confirm = page.get_by_role("button", name=re.compile("确认导入"))
        box = await confirm.bounding_box()
        assert box and box["height"] >= 56  # a large target
        await page.screenshot(path=artifacts / "roster-01-preview.png", full_page=True)
        assert await roll_of(term_id) == before  # nothing written while the clerk reads

        await confirm.click()
        await expect(page.get_by_role("heading", name="已导入名册")).to_be_visible()
        await expect(page.get_by_role("status")).to_contain_text("新增 3 人，更新 2 人，无变化 1 人，跳过 3 行")
        await page.screenshot(path=artifacts / "roster-02-done.png", full_page=True)
        after = await roll_of(term_id)
        assert len(after) == len(before) + 3 and after["000102"]["name"] == "李秀兰"
        assert "101" not in after  # the number Excel shortened did not become a second deputy
        assert not await PendingUpload.count().where(PendingUpload.purpose == f"roster:{term_id}")

        await page.go_back()  # Back to the preview: it is gone, the form says so (no resend, no cache-miss page)
        await expect(page.get_by_role("alert")).to_contain_text("预览已失效")
        await expect(page.get_by_role("button", name=re.compile("确认导入"))).to_have_count(0)
        await page.reload()
        await expect(page.get_by_role("alert")).to_contain_text("预览已失效")
        assert await roll_of(term_id) == after
    finally:
        await context.close()
