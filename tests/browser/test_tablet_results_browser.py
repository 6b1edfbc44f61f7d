"""A deputy sees a vote's result on the tablet once it is published, and nothing of it before."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.test_hall_browser import TABLET, tablet_login
from tests.hall import STAFF, make_hall, scrutinize
from voting import ballot_box, polls
from tests import sealed

pytestmark = pytest.mark.browser


async def test_a_deputy_sees_the_published_result_and_nothing_before(browser, live_server, artifacts):
    hall = await make_hall(deputies=10, delegations=1)
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, seats=2, title="二〇二七年度民生实事项目票决（县城老旧小区加装电梯和雨污分流改造）")
    plan = [{"P02": "for", "P04": "for"}] * 7 + [{"P02": "for", "P01": "for"}] * 2 + [{"P03": "for"}]
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(poll_id, STAFF)  # counted; the scrutineers have not confirmed it yet

    tablet = await browser.new_context(base_url=live_server, **TABLET)
    page = await tablet.new_page()
    page.set_default_timeout(15_000)
    try:
        await tablet_login(page, hall.codes[hall.deputy_ids[9]])
        row = page.locator(".poll-row", has_text="二〇二七年度民生实事项目票决")
        await expect(row.get_by_text("已投票")).to_be_visible()
        assert await page.get_by_role("link", name="查看结果").count() == 0
        await page.goto(f"/tablet/results/{poll_id}")
        await expect(page.get_by_text("这次票决的结果尚未公布")).to_be_visible()
        assert await page.get_by_text("候选项目02").count() == 0 and await page.locator("svg.result-bar").count() == 0
        await page.screenshot(path=artifacts / "tablet-result-01-not-published.png", full_page=True)

        await page.goto("/tablet")
        await scrutinize(hall, poll_id)  # confirmed and published while the tablet shows its home page
        link = page.get_by_role("link", name="查看结果")
        await expect(link).to_be_visible()  # the home page's poll list refreshes itself
        await link.click()
        await expect(page).to_have_url(re.compile(rf"/tablet/results/{poll_id}$"))
        await expect(page.get_by_role("heading", name="确定的民生实事项目（2 个）")).to_be_visible()
        chosen = await page.locator(".chosen-list li").all_inner_texts()
        assert [re.sub(r"\s+", "", c) for c in chosen] == ["候选项目02赞成9票", "候选项目04赞成7票"]
        bars = page.locator("svg.result-bar")
        assert await bars.count() == 4
        assert [await b.get_attribute("aria-label") for b in await bars.all()] == \
            ["赞成 9 票", "赞成 7 票", "赞成 2 票", "赞成 1 票"]
        size = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('.chosen-list')).fontSize)")
        assert size >= 24  # big type for deputies of 60
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 800  # the long title wraps; nothing runs off the tablet
        icon = await page.locator('link[rel="icon"]').get_attribute("href")
        assert icon == "/static/favicon.svg" and (await page.request.get("/favicon.ico")).ok
        await page.screenshot(path=artifacts / "tablet-result-02-published.png", full_page=True)
        await page.set_viewport_size({"width": 1280, "height": 800})
        await page.screenshot(path=artifacts / "tablet-result-03-landscape.png", full_page=True)
    finally:
        await tablet.close()
