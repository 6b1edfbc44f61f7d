"""请求协助 in Chromium: a deputy half-way through the ballot asks for help; the page stays as it was,
every mark still chosen, and says help is coming; what leaves the tablet holds no mark; the poll
page on the secretariat's console shows the deputy within seconds, without a reload."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from playwright.async_api import expect

from tests.browser.test_hall_browser import DESKTOP, STAFF_PASSWORD, STAFF_USER, TABLET, tablet_login
from tests.hall import make_hall
from voting import accounts
from voting.tables import Deputy, StaffAccount

pytestmark = pytest.mark.browser


async def test_help_from_the_ballot_keeps_the_marks_and_reaches_the_console(live_server, browser, artifacts):
    from tests.web.test_help_requests import handle_all_waiting

    await handle_all_waiting()
    hall = await make_hall(deputies=8)
    poll_id = await hall.poll(candidates=4, seats=2)
    deputy = hall.deputy_ids[-1]  # checked in by the quorum
    name = (await Deputy.select(Deputy.name).where(Deputy.id == deputy).first())["name"]
    if not await StaffAccount.exists().where(StaffAccount.username == STAFF_USER):
        await accounts.create_staff(STAFF_USER, "张敏", STAFF_PASSWORD)

    desk_context = await browser.new_context(base_url=live_server, **DESKTOP)
    tablet_context = await browser.new_context(base_url=live_server, **TABLET)
    try:
        desk = await desk_context.new_page()
        await desk.goto("/console/login")
        await desk.get_by_label("用户名").fill(STAFF_USER)
        await desk.get_by_label("密码").fill(STAFF_PASSWORD)
        await desk.get_by_role("button", name="登录", exact=True).click()
        await desk.goto(f"/console/polls/{poll_id}")
        await expect(desk.locator("#progress")).to_be_visible()

        page = await tablet_context.new_page()
        await tablet_login(page, hall.codes[deputy])
        await page.goto(f"/tablet/polls/{poll_id}")
        await page.locator('[id="c-P01"] label.choice-for').click()
        await page.locator('[id="c-P03"] label.choice-against').click()
        async with page.expect_request(lambda r: r.url.endswith("/tablet/help")) as sent:
            await page.get_by_role("button", name="请求协助").click()
        body = parse_qs((await sent.value).post_data or "")
        assert set(body) == {"_csrf_token", "place", "next"} and body["place"] == ["ballot"], body
        await expect(page.get_by_role("status").filter(has_text="已通知会场工作人员")).to_be_visible()
        await expect(page.get_by_role("button", name="已请求协助")).to_be_visible()
        assert page.url.endswith(f"/tablet/polls/{poll_id}")  # the page was never left
        await expect(page.locator('[id="c-P01"] input[value="for"]')).to_be_checked()
        await expect(page.locator('[id="c-P03"] input[value="against"]')).to_be_checked()
        await page.screenshot(path=artifacts / "help-01-tablet.png", full_page=True)

        help_list = desk.locator("#help")
        await expect(help_list).to_contain_text(f"{name} 代表", timeout=8_000)  # refreshed in place
        await expect(help_list).to_contain_text("在选票页面")
        await expect(desk.locator(".nav-help")).to_have_count(0)  # the menu counts on the next page load
        await desk.screenshot(path=artifacts / "help-02-console.png", full_page=True)
        await help_list.get_by_role("button", name="已到场协助").click()
        await expect(desk).to_have_url(re.compile(rf"/console/polls/{poll_id}#help$"))
        await expect(desk.locator("#help")).not_to_contain_text(name)
    finally:
        await tablet_context.close()
        await desk_context.close()
