"""Two counters enter the same paper ballot at the counting desk in a real browser; it counts once
both agree. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.hall import STAFF, make_hall
from voting import accounts, paper, polls
from voting.tables import StaffAccount

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


async def counter_page(browser, live_server, username: str):
    if not await StaffAccount.exists().where(StaffAccount.username == username):
        await accounts.create_staff(username, f"计票员{username[-1]}", "pw-for-tests-3")
    context = await browser.new_context(base_url=live_server, **DESKTOP)
    page = await context.new_page()
    await page.goto("/console/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill("pw-for-tests-3")
    await page.get_by_role("button", name="登录").click()
    return context, page


async def enter(page, poll_id: int, serial: str) -> None:
    await page.goto(f"/console/polls/{poll_id}/paper")
    await page.get_by_label("选票编号").fill(serial)
    await page.get_by_label("候选项目01 赞成").check()
    await page.get_by_label("候选项目03 不赞成").check()
    await page.get_by_role("button", name="保存录入").click()


async def test_two_counters_enter_a_paper_ballot_and_it_counts(live_server, browser, artifacts):
    hall = await make_hall(deputies=6)
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    serials = await paper.register_print_run(poll_id, 3, STAFF)
    await paper.issue_paper(poll_id, hall.deputy_ids[0], STAFF)
    await polls.stop_voting(poll_id, STAFF)
    first, first_page = await counter_page(browser, live_server, "jipiao1")
    second, second_page = await counter_page(browser, live_server, "jipiao2")
    try:
        await enter(first_page, poll_id, serials[0].replace("-", ""))
        await expect(first_page.get_by_role("status")).to_contain_text("请另一位计票人再录入一次")
        await first_page.screenshot(path=artifacts / "counting-01-first-entry.png", full_page=True)
        await enter(first_page, poll_id, serials[0])
        await expect(first_page.get_by_role("alert")).to_contain_text("须由另一位计票人")
        await enter(second_page, poll_id, serials[0])
        await expect(second_page.get_by_role("status")).to_contain_text("两次录入一致，选票已计入")
        await second_page.screenshot(path=artifacts / "counting-02-counted.png", full_page=True)
        second_page.once("dialog", lambda dialog: dialog.accept())  # 计票后结果封存…确定计票吗？
        await second_page.get_by_role("button", name="全部录入完毕，计票").click()
        await expect(second_page.locator("h1 .status")).to_have_text("已计票")
        result = polls.stored_result(await polls.get_poll(poll_id))
        assert result["returned"] == 1 and result["candidates"][0]["for"] == 1
        assert result["candidates"][2]["against"] == 1
    finally:
        await first.close()
        await second.close()
