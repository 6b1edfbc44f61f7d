"""A deputy votes on a tablet in a real browser; the secretariat closes the poll and sees the result.

Screenshots of every step go to tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs

import pytest
from playwright.async_api import expect

from tests.hall import make_hall
from voting import accounts, ballot_box, polls, secrecy
from voting.tables import Deputy, StaffAccount
from tests import sealed

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 800, "height": 1280}, "device_scale_factor": 1, "locale": "zh-CN",
          "has_touch": True, "timezone_id": "Asia/Shanghai"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}
STAFF_USER, STAFF_PASSWORD = "mishu2", "pw-for-tests-1"


async def tablet_login(page, code: str) -> None:
    """Type the login card's code on the tablet and arrive at its home page."""
    await page.goto("/tablet/login")
    await page.locator("#code").press_sequentially(code)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/tablet/?$"))


async def review_approving(page, poll_id: int, ref: str) -> None:
    """Open the ballot, mark 赞成 for one candidate, and go on to the review screen."""
    await page.goto(f"/tablet/polls/{poll_id}")
    await page.locator(f'[id="c-{ref}"] label.choice-for').click()
    await page.get_by_role("button", name="下一步：核对选票").click()
    await expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()


def other_ballot(i: int, refs: list[str]) -> dict[str, str]:
    """Nine other deputies: P01 9 赞成, P02 8, P03 6, P04 3, P05 0 (at most 3 赞成 each)."""
    p1, p2, p3, p4, p5 = refs
    marks = {p1: "for", p2: "for" if i < 8 else "against", p5: "against"}
    if i < 6:
        marks[p3] = "for"
    else:
        marks[p3] = "abstain"
        marks[p4] = "for"
    return marks


async def test_deputy_votes_on_a_tablet_and_the_secretariat_counts(live_server, browser, artifacts):
    # --- arrange: 12 deputies, an open approval poll (5 candidates, 3 seats), 9 present and voted
    hall = await make_hall(deputies=12)
    poll_id = await hall.poll(candidates=5, seats=3)
    if not await StaffAccount.exists().where(StaffAccount.username == STAFF_USER):
        await accounts.create_staff(STAFF_USER, "张敏", STAFF_PASSWORD)
    candidates = await polls.candidates_of(poll_id)
    refs = [c["ref"] for c in candidates]
    titles = {c["ref"]: c["title"] for c in candidates}
    deputy_id, others = hall.deputy_ids[0], hall.deputy_ids[1:10]
    await hall.check_in(*others)
    for i, other in enumerate(others):
        assert await sealed.cast(poll_id, other, other_ballot(i, refs)) is ballot_box.Outcome.accepted
    name = (await Deputy.select(Deputy.name).where(Deputy.id == deputy_id).first())["name"]
    # With this deputy: P01 10, P02 8, P03 7, P04 4, P05 0; more than half of 12 (7) needed.

    tablet = await browser.new_context(base_url=live_server, **TABLET)
    page = await tablet.new_page()
    page.set_default_timeout(10_000)
    try:
        # --- log in with the code on the login card
        await page.goto("/tablet/login")
        await expect(page.get_by_role("heading", name="代表登录")).to_be_visible()
        await page.locator("#code").press_sequentially(hall.codes[deputy_id])
        await page.screenshot(path=artifacts / "hall-01-tablet-login.png", full_page=True)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/tablet/?$"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        await expect(page.get_by_text("投票进行中，请先签到")).to_be_visible()

        # --- check in; the status part refreshes itself (htmx, every 4 s) and keeps the link
        await page.get_by_role("button", name="签到", exact=True).click()
        await expect(page.get_by_text("已签到")).to_be_visible()
        async with page.expect_response(lambda r: r.url.endswith("/tablet/status") and r.ok, timeout=8_000):
            pass
        enter = page.get_by_role("link", name="进入投票")
        await expect(enter).to_be_visible()
        await expect(page.locator("#tablet-status")).to_have_count(1)
        await expect(page.get_by_role("heading", name="签到")).to_have_count(1)
        await page.screenshot(path=artifacts / "hall-02-tablet-home-checked-in.png", full_page=True)

        # --- the ballot: three 赞成 fill the cap, the fourth is disabled, one 不赞成
        await enter.click()
        await expect(page).to_have_url(re.compile(rf"/tablet/polls/{poll_id}$"))
        await expect(page.locator(".candidate")).to_have_count(5)
        await page.screenshot(path=artifacts / "hall-03-ballot.png", full_page=True)

        def choice(ref: str, label: str):
            return page.locator(f'[id="c-{ref}"]').get_by_role("radio", name=label, exact=True)

        for ref in (refs[0], refs[2], refs[3]):
            await page.locator(f'[id="c-{ref}"] label.choice-for').click()
            await expect(choice(ref, "赞成")).to_be_checked()
        counter = page.locator(".counter")
        await expect(counter.locator(".counter-value")).to_have_text("3")
        await expect(counter.locator(".counter-full")).to_be_visible()
        await expect(counter).to_contain_text("已达上限")
        await expect(choice(refs[1], "赞成")).to_be_disabled()
        await expect(choice(refs[1], "不赞成")).to_be_enabled()
        await page.locator(f'[id="c-{refs[4]}"] label.choice-against').click()
        await expect(choice(refs[4], "不赞成")).to_be_checked()
        await page.evaluate("window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) / 2)")
        await page.screenshot(path=artifacts / "hall-03b-ballot-middle.png")

        # --- review, then cast
        await page.get_by_role("button", name="下一步：核对选票").click()
        await expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()
        rows = page.locator(".review-row")
        await expect(rows).to_have_count(5)
        expected = {refs[0]: "赞成", refs[1]: "未选择（未表态）", refs[2]: "赞成", refs[3]: "赞成", refs[4]: "不赞成"}
        for n, ref in enumerate(refs):
            await expect(rows.nth(n).locator(".review-title")).to_contain_text(titles[ref])
            await expect(rows.nth(n).locator(".mark")).to_have_text(expected[ref])
        await expect(page.locator(".review-step .lead")).to_contain_text("赞成 3 个")
        await page.screenshot(path=artifacts / "hall-04-review.png", full_page=True)

        # What leaves the tablet is the sealed box: no mark, no candidate, in the request.
        async with page.expect_request(lambda r: r.url.endswith(f"/tablet/polls/{poll_id}/cast")) as sent:
            await page.get_by_role("button", name="确认投票").click()
        body = parse_qs((await sent.value).post_data or "")
        assert set(body) == {"_csrf_token", "login", "sealed"}, body
        # (Matching the base64 text for "P0\d" or "for" found them by chance in about one run in 30.)
        sealed_box = base64.b64decode(body["sealed"][0])
        assert len(sealed_box) == secrecy.sealed_length(len(refs))
        assert not re.search(rb'"marks"|"format"|"poll"|P0\d"|"(for|against|abstain)"', sealed_box)
        await expect(page.get_by_role("heading", name="您的选票已投入票箱")).to_be_visible()
        await page.screenshot(path=artifacts / "hall-05-confirmation.png", full_page=True)
        html, text = await page.content(), await page.locator("body").inner_text()
        assert not re.search(r"b-[0-9a-f]{4,}", html), "the confirmation must not show a ballot id"
        assert 'name="m_' not in html and not re.search(r'value="(for|against|abstain)"', html)
        for word in ("赞成", "弃权", *titles.values()):
            assert word not in text, f"the confirmation page shows {word!r}"

        # --- going back leaves the ballot behind (the confirmation took its place in the history):
        # the home page, asked of the server again, says voted; the ballot's address says so too
        await expect(page).to_have_url(re.compile(rf"/tablet/polls/{poll_id}/done$"))
        await page.go_back()
        await expect(page.locator(".poll-row")).to_contain_text("已投票")
        await page.goto(f"/tablet/polls/{poll_id}")
        await expect(page.get_by_role("heading", name="已投票", exact=True)).to_be_visible()
        assert await page.locator("input[type=radio]").count() == 0
        await page.screenshot(path=artifacts / "hall-06-voted-again.png", full_page=True)
        assert await ballot_box.has_voted(poll_id, deputy_id)
    finally:
        await tablet.close()

    # --- the secretariat closes the poll and reads the count
    desk = await browser.new_context(base_url=live_server, **DESKTOP)
    page = await desk.new_page()
    page.set_default_timeout(10_000)
    questions: list[str] = []

    async def accept(dialog):
        questions.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    try:
        await page.goto("/console/login")
        await page.get_by_label("用户名").fill(STAFF_USER)
        await page.get_by_label("密码").fill(STAFF_PASSWORD)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/console/?$"))
        await page.goto(f"/console/polls/{poll_id}")
        await expect(page.locator("#progress")).to_contain_text("10")
        await page.get_by_role("button", name="结束投票，开启票箱计票").click()
        await expect(page.get_by_role("heading", name="开启票箱计票")).to_be_visible()
        assert questions and "结束投票" in questions[0]
        cards = await sealed.give_key(poll_id)
        await page.get_by_label("第 1 张钥匙卡").fill(cards[0])
        await page.get_by_label("第 3 张钥匙卡").fill(cards[2])
        await page.get_by_role("button", name="开启票箱，计票").click()
        await expect(page.get_by_role("heading", name="计票结果")).to_be_visible()
        # The tablet's sealed box opened to the marks the deputy chose in the browser.
        assert {c["id"]: c["for"] for c in polls.stored_result(await polls.get_poll(poll_id))["candidates"]}[refs[0]] == 10
        winners = page.locator(".winners")
        await expect(winners.get_by_role("heading")).to_contain_text("确定的项目（3 个）")
        await expect(winners.locator("ol > li")).to_have_text([titles[refs[0]], titles[refs[1]], titles[refs[2]]])
        chart = page.locator("svg.result-chart")
        await expect(chart).to_be_visible()
        await expect(chart.locator("rect")).to_have_count(5)
        await expect(chart.locator("rect.bar-win")).to_have_count(3)
        await page.screenshot(path=artifacts / "hall-07-console-result.png", full_page=True)
    finally:
        await desk.close()

    result = polls.stored_result(await polls.get_poll(poll_id))
    assert result["winners"] == [refs[0], refs[1], refs[2]]
    assert {c["id"]: c["for"] for c in result["candidates"]} == dict(zip(refs, [10, 8, 7, 4, 0]))
