"""A deputy of a Uyghur-speaking county votes in Chromium on a ballot in Chinese and Uyghur, and
one of a Tibetan county on a 320 px screen: each translation is laid out in its own script's font
and direction, what the page's script says (the approvals counter, the marks under review, 正在提交)
is in both languages, axe finds nothing (valid lang attributes, contrast), and the box the tablet
sealed opens to exactly the marks tapped."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.bilingual import open_bilingual
from tests.browser.test_accessibility_browser import BALLOT, Findings, audit
from tests.browser.test_big_text_browser import PROBLEMS, SMALL
from tests.browser.test_hall_browser import TABLET, tablet_login
from tests.hall import STAFF, make_hall
from tests import sealed

pytestmark = pytest.mark.browser

FONT_OF = """(e) => { const s = getComputedStyle(e); return {family: s.fontFamily, direction: s.direction,
  align: s.textAlign, fonts: document.fonts.check("20px '" + s.fontFamily.split(",")[0].replace(/["']/g, "") + "'",
  e.textContent)}; }"""


async def bilingual_poll(code: str, candidates: int = 6, seats: int = 2):
    hall = await make_hall(deputies=8)
    poll_id, entered = await open_bilingual(hall, code, candidates=candidates, seats=seats)
    return hall, poll_id, entered


async def test_a_uyghur_ballot_reads_right_to_left_under_the_chinese_and_casts(live_server, browser, artifacts):
    hall, poll_id, entered = await bilingual_poll("ug")
    deputy = hall.deputy_ids[-1]  # checked in by the quorum
    context = await browser.new_context(base_url=live_server, bypass_csp=True, **TABLET)  # axe is injected
    findings = Findings()
    try:
        page = await context.new_page()
        await tablet_login(page, hall.codes[deputy])
        await page.goto(f"/tablet/polls/{poll_id}")
        title = page.locator('[id="c-P02"] .candidate-title .l2')
        await expect(title).to_have_text(entered["候选项目02"])
        shown = await title.evaluate(FONT_OF)
        assert shown["family"].startswith('"Noto Naskh Arabic"') and shown["direction"] == "rtl", shown
        assert shown["fonts"], shown  # the face is there (the tablet's own or the hall's) and covers the text
        approve = page.locator('[id="c-P01"] label.choice-for')
        await expect(approve).to_contain_text("赞成")
        await expect(approve.locator(".l2")).to_have_text(entered["赞成"])
        await audit(page, "ug ballot", findings, BALLOT)

        await approve.click()
        counter = page.locator(".counter-text")
        await expect(counter).to_contain_text("已赞成 1 个 / 最多 2 个")
        await expect(counter.locator(".l2")).to_have_text(
            entered["已赞成 {count} 个 / 最多 {cap} 个"].replace("{count}", "1").replace("{cap}", "2"))
        await page.locator('[id="c-P04"] label.choice-against').click()
        await page.screenshot(path=artifacts / "bilingual-ug-ballot.png", full_page=True)
        await page.get_by_role("button", name="下一步：核对选票").click()
        row = page.locator('.review-row[data-ref="P01"] .mark')
        await expect(row).to_contain_text("赞成")
        await expect(row.locator(".l2")).to_have_text(entered["赞成"])
        unmarked = page.locator('.review-row[data-ref="P03"] .mark .l2')
        await expect(unmarked).to_have_text(entered["未选择（未表态）"])
        note = page.locator(".unmarked-note")
        await expect(note).to_contain_text("有 4 个项目您没有选择")
        await expect(note.locator(".l2")).to_have_text(
            entered["有 {count} 个项目您没有选择，计为未表态。如需表态，请按“返回修改”。"].replace("{count}", "4"))
        await audit(page, "ug review", findings, BALLOT)
        await page.screenshot(path=artifacts / "bilingual-ug-review.png", full_page=True)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.get_by_role("button", name="确认投票").click()
        await expect(page).to_have_url(re.compile(rf"/tablet/polls/{poll_id}/done$"))
        assert not errors, errors
        await expect(page.locator("h1")).to_contain_text("您的选票已投入票箱。")
        await expect(page.locator("h1 .l2")).to_have_text(entered["您的选票已投入票箱。"])
        await audit(page, "ug done", findings)
    finally:
        await context.close()
    assert not findings.violations, findings.report()

    result = await sealed.close_poll(poll_id, STAFF)
    votes = {c["id"]: c for c in result["candidates"]}
    assert votes["P01"]["for"] == 1 and votes["P04"]["against"] == 1 and votes["P02"]["for"] == 0


async def test_a_tibetan_ballot_fits_a_small_tablet(live_server, browser, artifacts):
    """On 320 px, Tibetan stacks and long summaries wrap: no sideways scrolling, nothing clipped,
    every choice a full-size target."""
    hall, poll_id, entered = await bilingual_poll("bo", candidates=4, seats=1)
    context = await browser.new_context(base_url=live_server, **SMALL)
    try:
        page = await context.new_page()
        await tablet_login(page, hall.codes[hall.deputy_ids[-1]])
        await page.goto(f"/tablet/polls/{poll_id}")
        summary = page.locator('[id="c-P03"] .candidate-summary .l2')
        await expect(summary).to_have_text(entered["第 3 个项目的简介"])
        shown = await summary.evaluate(FONT_OF)
        assert shown["family"].startswith('"Noto Serif Tibetan"') and shown["direction"] == "ltr", shown
        await page.locator('[id="c-P02"] label.choice-for').click()
        await page.screenshot(path=artifacts / "bilingual-bo-320.png", full_page=True)
        problems = await page.evaluate(PROBLEMS, 48)
        assert not problems, problems
    finally:
        await context.close()
