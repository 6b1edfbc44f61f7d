"""The server goes down just as a deputy taps 确认投票: the tablet says it is resending, keeps
the same ballot, and once the server is back the ballot goes in, once."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.browser.test_hall_browser import TABLET, review_approving, tablet_login
from tests.hall import make_hall
from tests.servers import LiveServer
from voting import ballot_box, polls
from voting.database import fetch_value

pytestmark = pytest.mark.browser


async def test_a_ballot_cast_while_the_server_restarts_is_resent_and_counted_once(browser, artifacts):
    hall = await make_hall(deputies=3, delegations=1)
    poll_id = await hall.poll(candidates=3, seats=1)
    deputy = hall.deputy_ids[0]
    await hall.check_in(deputy)
    refs = [c["ref"] for c in await polls.candidates_of(poll_id)]

    server = LiveServer()
    await asyncio.to_thread(server.start)
    tablet = await browser.new_context(base_url=server.url, **TABLET)
    page = await tablet.new_page()
    page.set_default_timeout(15_000)
    try:
        await tablet_login(page, hall.codes[deputy])
        await review_approving(page, poll_id, refs[1])

        await asyncio.to_thread(server.kill)  # the power goes as the deputy taps
        await page.get_by_role("button", name="确认投票").click()
        status = page.locator(".cast-status")
        await expect(status).to_contain_text("网络中断，正在重新提交")
        await expect(page.get_by_role("button", name="确认投票")).to_be_disabled()
        await page.screenshot(path=artifacts / "tablet-retry-01-resending.png", full_page=True)
        assert not await ballot_box.has_voted(poll_id, deputy)

        await asyncio.to_thread(server.start)
        await expect(page.get_by_role("heading", name="您的选票已投入票箱")).to_be_visible(timeout=30_000)
        await page.screenshot(path=artifacts / "tablet-retry-02-recorded.png", full_page=True)
        assert await ballot_box.has_voted(poll_id, deputy)
        assert await fetch_value("SELECT COUNT(*) AS n FROM sealed_ballot WHERE poll = {}", poll_id) == 1
        await page.get_by_role("link", name="返回首页").click()
        await expect(page.locator(".poll-row")).to_contain_text("已投票")
    finally:
        await tablet.close()
        await asyncio.to_thread(server.stop)
