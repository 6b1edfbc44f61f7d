"""The ballot by keyboard, in Chromium: moving back up a long ballot with Shift+Tab, each control
the focus lands on is in sight, below the sticky title bar and approvals counter, never under
them (WCAG 2.2, 2.4.11 Focus Not Obscured). A tablet's size, where the bar and counter stick."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_hall_browser import TABLET, tablet_login
from tests.hall import make_hall

pytestmark = pytest.mark.browser

COVERED = """() => {
  const focused = document.activeElement;
  const box = (focused.closest("label") || focused).getBoundingClientRect();
  const stuck = [...document.querySelectorAll(".bar, .counter")].map(e => e.getBoundingClientRect().bottom);
  return {what: focused.outerHTML.slice(0, 80), top: box.top, bottom: box.bottom, below: Math.max(...stuck),
          height: innerHeight};
}"""


async def test_shift_tab_up_a_long_ballot_keeps_each_focused_control_in_sight(live_server, browser):
    hall = await make_hall(deputies=8)
    poll_id = await hall.poll(candidates=12, seats=3)
    context = await browser.new_context(base_url=live_server, **TABLET)
    page = await context.new_page()
    try:
        await tablet_login(page, hall.codes[hall.deputy_ids[-1]])  # checked in by the quorum
        await page.goto(f"/tablet/polls/{poll_id}")
        await expect(page.locator(".candidate")).to_have_count(12)
        await page.locator('[id="c-P12"] input[value="abstain"]').focus()
        steps, seen = 0, []
        while steps < 80:
            await page.keyboard.press("Shift+Tab")
            steps += 1
            where = await page.evaluate(COVERED)
            if "c-P01" in await page.evaluate("document.activeElement.closest('.candidate')?.id || ''"):
                break
            if await page.evaluate("!!document.activeElement.closest('.ballot-step .candidate')"):
                seen.append(where)
        covered = [w for w in seen if w["top"] < w["below"] - 1 or w["bottom"] > w["height"] + 1]
        assert len(seen) >= 11 and not covered, covered[:3]
    finally:
        await context.close()
