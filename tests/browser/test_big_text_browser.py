"""Big type without breakage, in Chromium: the browser's own text size set to 200 % (as a deputy
or citizen sets it on their device) and a screen 320 CSS px wide. The tablet's whole vote and the
public pages stay usable: no horizontal scrolling, no clipped text, no sticky bar taller than a
quarter of the screen, nothing covering a control (each is tapped, as a trial, where it is),
touch targets of 48 px at least. And a deputy's own 大字 switch: on the ballot without losing a
mark, kept with the deputy on the next tablet. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_hall_browser import TABLET, tablet_login
from lifecycle import proposals
from lifecycle.proposal_input import ProposalInput
from tests.hall import make_hall
from tests.lifecycle.test_proposals import SECRETARIAT, open_round
from tests.needs import missing

pytestmark = pytest.mark.browser

SMALL = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1, "locale": "zh-CN",
         "has_touch": True, "timezone_id": "Asia/Shanghai"}
CONTROLS = ("button:visible, a.button:visible, label.choice:visible, input:not([type=hidden]):not([type=radio])"
            ":not([type=checkbox]):visible, select:visible, textarea:visible")

PROBLEMS = """(min) => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
      && getComputedStyle(e).position !== "absolute").slice(-3).map(e => e.outerHTML.slice(0, 90));
    problems.push("scrolls sideways: " + root.scrollWidth + " px wide; widest: " + wide.join(", "));
  }
  for (const e of document.querySelectorAll("body *")) {
    const style = getComputedStyle(e);
    const box = e.getBoundingClientRect();
    if (!box.width || !box.height || style.visibility === "hidden" || e.closest(".sr-only, [aria-hidden=true]")) continue;
    if ((style.position === "sticky" || style.position === "fixed") && box.height > window.innerHeight / 4)
      problems.push("sticky " + e.tagName + "." + e.className + " is " + Math.round(box.height) + " px of "
                    + window.innerHeight);
    if (["hidden", "clip"].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1 && e.textContent.trim())
      problems.push("clipped: " + e.tagName + "." + e.className + " “" + e.textContent.trim().slice(0, 20) + "”");
  }
  const targets = "button, a.button, label.choice, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select";
  for (const e of document.querySelectorAll(targets)) {
    const box = e.getBoundingClientRect();
    if (!box.width || e.closest(".sr-only,[hidden]")) continue;
    if (box.height < min - 0.5 || box.width < min - 0.5)
      problems.push("small target: " + e.tagName + "." + e.className + " “" + (e.textContent || e.value || "").trim().slice(0, 12)
                    + "” " + Math.round(box.width) + "×" + Math.round(box.height));
  }
  return problems;
}"""


@pytest.fixture(scope="module")
async def big_text_browser(tmp_path_factory):
    """Chromium whose own text size is 200 %: Preferences the browser reads as the user's setting."""
    import os
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    profile = Path(tmp_path_factory.mktemp("chromium-200"))
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"webkit": {"webprefs": {"default_font_size": 32, "default_fixed_font_size": 26}}}))
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **SMALL)
        try:
            yield context
        finally:
            await context.close()


async def check(page, label: str, found: list[str], artifacts: Path) -> None:
    """Look at the page as it is now and tap each control as a trial (the tap must land on it)."""
    await page.screenshot(path=artifacts / f"bigtext-{label}.png", full_page=True)
    found.extend(f"{label}: {p}" for p in await page.evaluate(PROBLEMS, 48))
    controls = page.locator(CONTROLS)
    for n in range(await controls.count()):
        control = controls.nth(n)
        if await control.evaluate("e => e.disabled || !!(e.querySelector && e.querySelector('input:disabled'))"
                                  " || !!e.closest('[aria-hidden=true]')"):
            continue  # 赞成 over the limit does nothing on purpose; the robots' trap is off the screen
        try:
            await control.click(trial=True, timeout=1500)
        except Exception as error:  # covered by something else, or never reachable
            first = str(error).splitlines()
            found.append(f"{label}: cannot tap {await control.evaluate('e => e.outerHTML.slice(0, 80)')}: "
                         + " / ".join(line for line in first if "intercepts" in line or "Timeout" in line)[:200])


async def test_the_vote_and_the_public_pages_at_200_percent_text_and_320_px(big_text_browser, live_server, artifacts):
    page = await big_text_browser.new_page()
    size = await page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert size == "32px", size  # the setting really is 200 %
    hall = await make_hall(deputies=5)
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, seats=2)
    round_id = await open_round(hall)  # the public home shows its chart, /public/propose its form
    for n, stage in enumerate(("submitted", "reserve", "rejected")):
        made = await proposals.submit(round_id, ProposalInput(
            title=f"城关镇第{n + 1}条道路改造", description="道路破损，雨天积水，群众出行不便。", township="城关镇",
            village="北坪村", category="transport", proposer_name="王大伯", contact="13800000000"), SECRETARIAT)
        if stage != "submitted":
            await proposals.move(made["id"], stage, SECRETARIAT, "初审意见")
    found: list[str] = []
    page.set_default_timeout(10_000)
    await page.goto(live_server + "/tablet/login")
    await check(page, "tablet-login", found, artifacts)
    await page.locator("#code").press_sequentially(hall.codes[hall.deputy_ids[0]])
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/tablet/?$"))
    await check(page, "tablet-home", found, artifacts)
    await page.goto(f"{live_server}/tablet/polls/{poll_id}")
    await check(page, "ballot", found, artifacts)
    await page.locator("li.candidate:nth-child(1) label.choice-for").click()
    await page.locator("li.candidate:nth-child(2) label.choice-for").click()
    await check(page, "ballot-marked", found, artifacts)
    await page.get_by_role("button", name="下一步：核对选票").click()
    await expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    await check(page, "ballot-review", found, artifacts)
    await page.get_by_role("button", name="确认投票").click()
    await expect(page.get_by_text("已投票").first).to_be_visible()
    await check(page, "ballot-done", found, artifacts)
    for path in ("/public", "/public/propose", "/public/proposals", "/public/projects", "/public/track?code=ABCD-EFGH"):
        await page.goto(live_server + path)
        await check(page, "public" + re.sub(r"\W+", "-", path), found, artifacts)
    assert not found, "\n".join(found)


async def test_a_deputy_turns_on_big_text_on_the_ballot_without_losing_a_mark_and_keeps_it(live_server, browser,
                                                                                          artifacts):
    hall = await make_hall(deputies=3)
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    first = await browser.new_context(base_url=live_server, **TABLET)
    page = await first.new_page()
    await tablet_login(page, hall.codes[hall.deputy_ids[0]])
    await page.goto(f"/tablet/polls/{poll_id}")
    before = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    await page.locator("li.candidate:nth-child(2) label.choice-for").click()
    toggle = page.get_by_role("button", name="大字")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    after = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert after >= before * 1.25, (before, after)
    assert await page.locator("li.candidate:nth-child(2) input[value=for]").is_checked()  # the mark is still there
    await page.screenshot(path=artifacts / "bigtext-toggle-on-ballot.png", full_page=True)
    await first.close()

    other_tablet = await browser.new_context(base_url=live_server, **TABLET)
    page = await other_tablet.new_page()
    await tablet_login(page, hall.codes[hall.deputy_ids[0]])
    assert "large-text" in (await page.locator("body").get_attribute("class") or "")
    await expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    await page.get_by_role("button", name="大字").click()  # and off again
    await expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "false")
    await page.reload()
    assert "large-text" not in (await page.locator("body").get_attribute("class") or "")
    await page.context.clear_cookies()
    await tablet_login(page, hall.codes[hall.deputy_ids[1]])  # the next deputy has their own setting
    assert "large-text" not in (await page.locator("body").get_attribute("class") or "")
    await other_tablet.close()
