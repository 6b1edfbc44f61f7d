"""A tablet passes from hand to hand: once a deputy has voted, the back button never shows their
marks again, and once they log out it shows nothing of theirs at all."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.test_hall_browser import TABLET, review_approving, tablet_login
from tests.hall import make_hall
from voting import ballot_box, polls

pytestmark = pytest.mark.browser


async def test_the_back_button_after_voting_and_after_logging_out_shows_no_marks(browser, live_server, artifacts):
    hall = await make_hall(deputies=3, delegations=1)
    poll_id = await hall.poll(candidates=3, seats=1)
    deputy = hall.deputy_ids[0]
    await hall.check_in(deputy)
    refs = [c["ref"] for c in await polls.candidates_of(poll_id)]
    tablet = await browser.new_context(base_url=live_server, **TABLET)
    page = await tablet.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        await tablet_login(page, hall.codes[deputy])
        await review_approving(page, poll_id, refs[2])
        await page.get_by_role("button", name="确认投票").click()
        await expect(page.get_by_role("heading", name="您的选票已投入票箱")).to_be_visible()
        assert await ballot_box.has_voted(poll_id, deputy)

        await page.go_back()  # the ballot's entry became the confirmation: Back goes to the home page
        await expect(page.locator(".poll-row")).to_contain_text("已投票")
        await page.goto(f"/tablet/polls/{poll_id}")  # the ballot's address, typed again
        await expect(page.get_by_text("您在本次票决中已经投过票")).to_be_visible()
        assert await page.locator("input[type=radio]:checked").count() == 0
        await page.screenshot(path=artifacts / "tablet-back-01-after-voting.png", full_page=True)

        await page.goto("/tablet")
        await page.get_by_role("button", name="退出").click()
        await expect(page).to_have_url(re.compile(r"/tablet/login"))
        await page.go_back()
        await expect(page).to_have_url(re.compile(r"/tablet/login"))
        assert await page.locator(".poll-row").count() == 0
        await page.screenshot(path=artifacts / "tablet-back-02-after-logout.png", full_page=True)
    finally:
        await tablet.close()
