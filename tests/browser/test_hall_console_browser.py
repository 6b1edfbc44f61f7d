"""Quorum before the vote and the second staff member's approval, clicked in a real browser.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_hall_browser import DESKTOP
from tests.hall import STAFF, make_hall
from voting import accounts, polls, scrutiny, sittings
from voting.tables import StaffAccount

pytestmark = pytest.mark.browser


async def staff_page(browser, live_server, username: str):
    """A secretariat clerk's console, logged in, in a browser of their own."""
    if not await StaffAccount.exists().where(StaffAccount.username == username):
        await accounts.create_staff(username, f"秘书处{username[-1]}", "pw-for-tests-3")
    context = await browser.new_context(base_url=live_server, **DESKTOP)
    page = await context.new_page()
    await page.goto("/console/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill("pw-for-tests-3")
    await page.get_by_role("button", name="登录").click()
    return context, page


async def test_the_open_button_states_the_figures_and_a_refusal_stays_beside_it(live_server, browser, artifacts):
    hall = await make_hall(deputies=9)
    await hall.check_in(*hall.deputy_ids[:5])  # 5 of 9: 2/3 needs 6
    poll_id = await hall.poll(candidates=3, seats=1, open_=False)
    context, page = await staff_page(browser, live_server, "huiwu1")
    try:
        await page.goto(f"/console/polls/{poll_id}")
        questions = []

        async def answer(dialog):
            questions.append(dialog.message)
            await dialog.accept()

        page.on("dialog", answer)
        # No key yet: the poll does not open, and says why.
        await page.get_by_role("button", name="开始投票").click()
        await expect(page.locator("#open-error")).to_contain_text("还没有举行钥匙仪式")
        # The key ceremony at the counting desk: the cards shown once, to print, with their QR codes.
        await scrutiny.set_members(hall.session_id, hall.deputy_ids[0], [hall.deputy_ids[1]], [], STAFF)
        await page.goto(f"/console/polls/{poll_id}")
        await page.get_by_role("button", name="生成钥匙卡").click()
        await expect(page.get_by_role("heading", name="钥匙卡：请现在打印")).to_be_visible()
        await expect(page.locator(".key-card")).to_have_count(3)
        await expect(page.locator(".key-card svg").first).to_be_visible()
        await expect(page.locator(".key-card").nth(2)).to_contain_text("主席团（备用）")
        await page.screenshot(path=artifacts / "key-01-cards.png", full_page=True)
        await page.get_by_role("link", name="已打印并装封，返回").click()
        await expect(page.locator("#key")).to_contain_text("钥匙已生成")
        questions.clear()
        await page.get_by_role("button", name="开始投票").click()
        await expect(page.locator("#open-error")).to_have_text("不足法定人数，不能开始投票：应到 9 人，实到 5 人，需要 6 人。")
        assert "应到 9 人，实到 5 人，需要 6 人，不足法定人数" in questions[0]
        await page.screenshot(path=artifacts / "hall-01-no-quorum.png", full_page=True)
        assert (await polls.get_poll(poll_id))["status"] == "draft"

        await hall.check_in(hall.deputy_ids[5])
        await page.goto(f"/console/polls/{poll_id}")
        await page.get_by_role("button", name="开始投票").click()
        await expect(page.locator("h1 .status")).to_have_text("投票中")
        assert "应到 9 人，实到 6 人，需要 6 人，符合法定人数" in questions[1]
    finally:
        await context.close()


async def test_a_check_in_during_the_vote_waits_for_a_second_staff_member(live_server, browser, artifacts):
    hall = await make_hall(deputies=9)
    await hall.check_in(*hall.deputy_ids[:6])
    await hall.poll(candidates=3, seats=1)
    absent = hall.deputy_ids[8]
    first, first_page = await staff_page(browser, live_server, "huiwu2")
    second, second_page = await staff_page(browser, live_server, "huiwu3")
    deputies = f"/console/sessions/{hall.session_id}/deputies"
    try:
        await first_page.goto(deputies)
        await first_page.locator(f"#d{absent}").get_by_role("button", name="申请补签到").click()
        await expect(first_page.locator("#changed-note")).to_contain_text("等待另一位工作人员批准")
        await expect(first_page.locator("#approvals")).to_contain_text("须由另一位工作人员批准")
        await expect(first_page.locator("#approvals").get_by_role("button", name="批准")).to_have_count(0)
        await first_page.screenshot(path=artifacts / "hall-02-requested.png", full_page=True)
        assert not await sittings.is_checked_in(hall.session_id, absent)

        await second_page.goto(deputies)
        second_page.once("dialog", lambda dialog: dialog.accept())
        await second_page.locator("#approvals").get_by_role("button", name="批准").click()
        await expect(second_page.locator("#changed-note")).to_contain_text("已批准并生效")
        await expect(second_page.locator(f"#d{absent}")).to_contain_text("已签到")
        await expect(second_page.locator(f"#d{absent}")).to_have_class("row-changed")
        await second_page.screenshot(path=artifacts / "hall-03-approved.png", full_page=True)
        assert await sittings.is_checked_in(hall.session_id, absent)

        screen = await second.new_page()
        await screen.set_viewport_size({"width": 1920, "height": 1080})
        await screen.goto(f"/screen/sessions/{hall.session_id}")
        await expect(screen.locator("#announcements")).to_contain_text("由工作人员补签到")
        await screen.screenshot(path=artifacts / "hall-04-screen.png")
    finally:
        await first.close()
        await second.close()
