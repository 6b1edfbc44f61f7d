"""The translation office's page (双语) in Chromium: a Uyghur translation is typed right to left in
its own font, a refused one comes back at the form with the typing kept, and axe finds nothing on
the page in either state."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.bilingual import pseudo
from tests.browser.test_accessibility_browser import Findings, audit
from tests.browser.test_bilingual_ballot_browser import FONT_OF
from tests.browser.test_hall_browser import DESKTOP
from tests.hall import STAFF, make_hall
from voting import accounts, translations
from voting.tables import Congress, StaffAccount

pytestmark = pytest.mark.browser


async def test_the_office_types_uyghur_right_to_left_and_a_refusal_keeps_the_typing(live_server, browser, artifacts):
    hall = await make_hall(deputies=5)
    poll_id = await hall.poll(candidates=3, seats=1, open_=False, title="2027年某县民生实事项目票决")
    await translations.set_language(hall.congress_id, "ug", STAFF, "测试")
    await translations.enter(hall.congress_id, {"候选项目01": pseudo("ug", "候选项目01")}, STAFF)
    if not await StaffAccount.exists().where(StaffAccount.username == "fanyi1"):
        await accounts.create_staff("fanyi1", "翻译室一", "pw-for-tests-3")
    context = await browser.new_context(base_url=live_server, bypass_csp=True, **DESKTOP)  # axe is injected
    findings = Findings()
    try:
        page = await context.new_page()
        await page.goto("/console/login")
        await page.get_by_label("用户名").fill("fanyi1")
        await page.get_by_label("密码").fill("pw-for-tests-3")
        await page.get_by_role("button", name="登录").click()
        await page.get_by_role("link", name="双语", exact=True).click()
        congress = (await Congress.select(Congress.name).where(Congress.id == hall.congress_id).first())["name"]
        await page.get_by_role("link", name=re.compile(f"录入译文.*{congress}")).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("双语")
        await expect(page.get_by_text(re.compile(r"还有 \d+ 条没有译文")).first).to_be_visible()
        await audit(page, "双语 维吾尔文", findings)
        await page.screenshot(path=artifacts / "translations-01-page.png", full_page=True)

        title = page.locator(f'[name="t-{translations.source_hash("2027年某县民生实事项目票决")}"]')
        shown = await title.evaluate(FONT_OF)
        assert shown["family"].startswith('"Noto Naskh Arabic"') and shown["direction"] == "rtl", shown
        assert shown["align"] in ("right", "start"), shown
        await title.fill("Wrong script")
        await page.get_by_role("button", name="保存译文").click()
        await expect(page.locator("#texts-error")).to_contain_text("译文里有不属于维吾尔文的字符")
        await expect(page.locator("#texts-error")).to_be_in_viewport()  # the page comes back at the form
        await expect(title).to_have_value("Wrong script")
        await audit(page, "双语 译文被拒", findings)
        await page.screenshot(path=artifacts / "translations-02-refused.png")

        await title.fill(pseudo("ug", "2027年某县民生实事项目票决"))
        await page.get_by_role("button", name="保存译文").click()
        await expect(page.get_by_role("status")).to_contain_text("已保存 1 条译文")
        await page.goto(f"/console/polls/{poll_id}")
        await expect(page.locator("#translations-needed")).to_contain_text("开始投票前还需要")
        await audit(page, "票决 缺译文", findings)
        await page.screenshot(path=artifacts / "translations-03-poll.png")
    finally:
        await context.close()
    assert not findings.violations, findings.report()
