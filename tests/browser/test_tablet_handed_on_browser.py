"""One tablet, two deputies: what deputy A marked never reaches deputy B, whatever B presses.

The hall's tablets are handed from deputy to deputy. Deputy A marks a ballot, reviews it, goes
back to change it, confirms (or walks away before confirming) and logs out; deputy B logs in on
the same tablet and presses Back, reloads, or opens the tab A left open. B must never see A's
marks (they live in the page that showed them, never on the server), never cast them,
and never land on Chromium's ERR_CACHE_MISS page; A's ballot counts
once and B's not at all until B marks their own.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Error as BrowserError
from playwright.async_api import expect

from tests.browser.test_hall_browser import TABLET, tablet_login
from tests.hall import make_hall
from voting import ballot_box, polls
from voting.tables import Ballot, Deputy, SealedBallot

pytestmark = pytest.mark.browser


async def mark_and_review(page, poll_id: int, marks: dict[str, str]) -> None:
    """A marks the ballot (赞成 / 不赞成 by candidate ref), reviews, goes back once to change
    nothing, and reviews again: every step of the ballot a deputy may take before confirming."""
    await page.goto(f"/tablet/polls/{poll_id}")
    for ref, value in marks.items():
        await page.locator(f'[id="c-{ref}"] label.choice-{value}').click()
    await page.get_by_role("button", name="下一步：核对选票").click()
    await expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    await page.get_by_role("button", name="返回修改").click()
    for ref, value in marks.items():  # 返回修改 keeps A's marks for A (in the page only)
        await expect(page.locator(f'input[name="m_{ref}"][value="{value}"]')).to_be_checked()
    await page.get_by_role("button", name="下一步：核对选票").click()
    await expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()


async def log_out(page) -> None:
    await page.goto("/tablet")
    await page.get_by_role("button", name="退出").click()
    await expect(page).to_have_url(re.compile(r"/tablet/login"))


async def shows_none_of(page, marks: dict[str, str], where: str) -> None:
    """The page on screen shows no mark of A's: no ticked choice, no review of a filled ballot,
    and no browser error page."""
    assert not page.url.startswith("chrome-error://"), f"{where}: a browser error page ({page.url})"
    html = await page.content()
    assert "ERR_CACHE_MISS" not in html and "确认重新提交表单" not in html, where
    assert await page.locator("input[type=radio]:checked").count() == 0, f"{where}: a ticked choice"
    assert not await page.locator(".review-step").is_visible(), f"{where}: a review of a filled-in ballot"
    for ref in marks:
        assert await page.locator(f'[id="c-{ref}"] input:checked').count() == 0, where


async def back(page, where: str) -> None:
    """The browser's Back, as a deputy presses it; a page Chromium cannot show is a failure."""
    try:
        await page.go_back(wait_until="load")
    except BrowserError as error:  # ERR_CACHE_MISS and the like surface here
        raise AssertionError(f"{where}: Back failed: {error}") from error


async def ballots_in(poll_id: int) -> int:
    """Ballots in the box: sealed while the poll is open."""
    return await SealedBallot.count().where(SealedBallot.poll == poll_id) + await Ballot.count().where(
        Ballot.poll == poll_id)


@pytest.mark.parametrize("a_casts", [True, False], ids=["A-confirmed", "A-walked-away"])
async def test_the_next_deputy_never_sees_or_casts_the_previous_ballot(browser, live_server, artifacts, a_casts):
    hall = await make_hall(deputies=10, delegations=1)
    poll_id = await hall.poll(candidates=4, seats=2)
    refs = [c["ref"] for c in await polls.candidates_of(poll_id)]
    await hall.check_in()
    cast_before = 0
    for presses in (1, 2, 3, 4):
        a, b = hall.deputy_ids[2 * presses - 2], hall.deputy_ids[2 * presses - 1]
        a_marks = {refs[0]: "for", refs[presses % 4]: "against" if presses % 4 else "for", refs[3]: "against"}
        tablet = await browser.new_context(base_url=live_server, **TABLET)
        page = await tablet.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        try:
            await tablet_login(page, hall.codes[a])
            await mark_and_review(page, poll_id, a_marks)
            if a_casts:
                await page.get_by_role("button", name="确认投票").click()
                await expect(page.get_by_role("heading", name="您的选票已投入票箱")).to_be_visible()
                cast_before += 1
            await log_out(page)

            await tablet_login(page, hall.codes[b])
            for n in range(1, presses + 1):
                where = f"B after Back ×{n} (A {'cast' if a_casts else 'did not cast'})"
                await back(page, where)
                await shows_none_of(page, a_marks, where)
                await page.reload(wait_until="load")
                await shows_none_of(page, a_marks, where + ", reloaded")
                if n == presses:
                    await page.screenshot(path=artifacts / f"tablet-handed-on-{a_casts}-{presses}.png", full_page=True)
            # Whatever page B is on now, a 确认投票 there (if any) casts nothing of A's.
            confirm = page.get_by_role("button", name="确认投票")
            if await confirm.count():
                await confirm.click()
            assert not await ballot_box.has_voted(poll_id, b), "B voted without marking anything"
            assert await ballots_in(poll_id) == cast_before
            assert await ballot_box.has_voted(poll_id, a) is a_casts

            # B's own ballot, marked by B, goes in as B's: the tablet works for the next deputy.
            await page.goto(f"/tablet/polls/{poll_id}")
            await shows_none_of(page, a_marks, "B's own ballot")
            await page.locator(f'[id="c-{refs[2]}"] label.choice-for').click()
            await page.get_by_role("button", name="下一步：核对选票").click()
            await expect(page.locator(".review-row .mark-for")).to_have_count(1)
            await page.get_by_role("button", name="确认投票").click()
            await expect(page.get_by_role("heading", name="您的选票已投入票箱")).to_be_visible()
            cast_before += 1
            assert await ballot_box.has_voted(poll_id, b)
            assert await ballots_in(poll_id) == cast_before
        finally:
            await tablet.close()


async def test_a_tab_left_open_by_the_previous_deputy_goes_blank_and_cannot_cast(browser, live_server, artifacts):
    hall = await make_hall(deputies=2, delegations=1)
    poll_id = await hall.poll(candidates=3, seats=1)
    refs = [c["ref"] for c in await polls.candidates_of(poll_id)]
    await hall.check_in()
    a, b = hall.deputy_ids
    a_marks = {refs[1]: "for", refs[2]: "against"}
    tablet = await browser.new_context(base_url=live_server, **TABLET)
    tablet.on("page", lambda opened: opened.on("dialog", lambda dialog: dialog.accept()))
    first = await tablet.new_page()
    first.set_default_timeout(15_000)
    try:
        await tablet_login(first, hall.codes[a])
        second = await tablet.new_page()  # A opens the ballot in a second tab and reviews it there
        second.set_default_timeout(15_000)
        await mark_and_review(second, poll_id, a_marks)
        await first.bring_to_front()
        await log_out(first)
        await tablet_login(first, hall.codes[b])

        # The tab A left open no longer shows A's review: it left the page as soon as the login
        # changed (A's logout), for the tablet's front page.
        await second.bring_to_front()
        await expect(second).to_have_url(re.compile(r"/tablet(/login)?/?$"))
        await shows_none_of(second, a_marks, "A's second tab after B logged in")
        names = {d["id"]: d["name"] for d in await Deputy.select(Deputy.id, Deputy.name).where(Deputy.id.is_in([a, b]))}
        assert names[a] not in await second.locator("body").inner_text()
        await second.screenshot(path=artifacts / "tablet-handed-on-second-tab.png", full_page=True)
        await back(second, "A's second tab, Back")
        await shows_none_of(second, a_marks, "A's second tab, Back")
    finally:
        await tablet.close()
    assert await ballots_in(poll_id) == 0
    assert not await ballot_box.has_voted(poll_id, a) and not await ballot_box.has_voted(poll_id, b)
