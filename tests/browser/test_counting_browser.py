"""Paper ballots counted in a real browser, as the hall does it: two counter deputies enter each
returned sheet on their tablets (one sheet spoiled with too many approvals, counted as invalid),
the chief scrutineer rules the sheet they read differently, the secretariat counts, and the
chief scrutineer confirms. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
from playwright.async_api import expect

from tests.hall import STAFF, counting_team, make_hall
from voting import accounts, ballot_box, paper, polls, signed_seal
from voting.tables import Confirmation, StaffAccount
from tests import sealed

pytestmark = pytest.mark.browser
TABLET = {"viewport": {"width": 800, "height": 1280}, "device_scale_factor": 1, "locale": "zh-CN",
          "has_touch": True, "timezone_id": "Asia/Shanghai"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


async def tablet_of(browser, live_server, code: str):
    context = await browser.new_context(base_url=live_server, **TABLET)
    page = await context.new_page()
    await page.goto("/tablet/login")
    await page.locator("#code").press_sequentially(code)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/tablet/?$"))
    return context, page


CHOICE = {"赞成": "for", "不赞成": "against", "弃权": "abstain", "未划": "none"}


def choice(scope, title: str, label: str):
    """The big touch target for one mark of one candidate (the whole button, as a finger taps it)."""
    return scope.locator("li.ruling-candidate", has_text=title).locator(f"label.choice-{CHOICE[label]}")


async def enter(page, serial: str, marks: dict[str, str]) -> None:
    """One counter's entry of one sheet on the tablet: the serial as typed, then a tap per mark."""
    await page.get_by_label("选票编号").fill(serial)
    for title, label in marks.items():
        await choice(page, title, label).click()
    await page.get_by_role("button", name="保存录入").click()


async def test_counters_enter_on_tablets_a_scrutineer_rules_and_the_count_is_confirmed(live_server, browser,
                                                                                       artifacts):
    hall = await make_hall(deputies=8)
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    serials = sorted(await paper.register_print_run(poll_id, 4, STAFF))
    for deputy in hall.deputy_ids[4:6]:
        await paper.issue_paper(poll_id, deputy, STAFF)
    for deputy in hall.deputy_ids[:4]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await polls.stop_voting(poll_id, STAFF)
    await counting_team(hall, (2, 3))  # chief scrutineer deputy 0, scrutineer 1, counters 2 and 3
    entry = f"/tablet/scrutiny/polls/{poll_id}/entry"
    contexts = []
    try:
        alice_context, alice = await tablet_of(browser, live_server, hall.codes[hall.deputy_ids[2]])
        bob_context, bob = await tablet_of(browser, live_server, hall.codes[hall.deputy_ids[3]])
        contexts += [alice_context, bob_context]
        await alice.get_by_role("link", name=re.compile("监票")).click()
        await alice.get_by_role("link", name="录入纸质选票").click()
        await expect(alice).to_have_url(re.compile(re.escape(entry) + "$"))
        await enter(alice, serials[0].replace("-", ""), {"候选项目01": "赞成", "候选项目03": "不赞成"})
        await expect(alice.get_by_role("status")).to_contain_text(f"选票 {serials[0]}：已录入。请另一位计票人再录入一次")
        await alice.screenshot(path=artifacts / "counting-01-counter-entry.png", full_page=True)
        await enter(alice, serials[0], {"候选项目01": "赞成"})  # the same counter again: refused on the page
        await expect(alice.get_by_role("alert")).to_contain_text("须由另一位计票人")
        await expect(alice.get_by_label("选票编号")).to_have_value(serials[0])
        await alice.goto(entry)
        await enter(alice, serials[1], {"候选项目01": "赞成", "候选项目02": "赞成"})  # spoiled: two approvals of one
        await expect(alice.get_by_role("status")).to_contain_text("已录入")

        await bob.goto(entry)
        await enter(bob, serials[0], {"候选项目01": "赞成", "候选项目03": "弃权"})  # read differently
        await expect(bob.get_by_role("status")).to_contain_text("两次录入不一致，这张选票等待监票人裁定")
        await enter(bob, serials[1], {"候选项目01": "赞成", "候选项目02": "赞成"})
        await expect(bob.get_by_role("status")).to_contain_text("两次录入一致，选票已计入")
        await expect(bob.get_by_role("status")).to_contain_text("超过 1 个，计为无效票")
        await bob.screenshot(path=artifacts / "counting-02-spoiled-sheet-invalid.png", full_page=True)
        await enter(bob, serials[2], {"候选项目02": "赞成"})  # a third sheet when two were issued
        await expect(bob.get_by_role("alert")).to_contain_text("多出来了")

        chief_context, chief = await tablet_of(browser, live_server, hall.codes[hall.deputy_ids[0]])
        contexts.append(chief_context)
        await chief.goto("/tablet/scrutiny")
        ruling = chief.locator(f'[id="dispute-{serials[0]}"]')
        # what both counters agree on is already chosen; the scrutineer rules the one difference
        await expect(ruling.locator("li.ruling-candidate", has_text="候选项目01").locator(
            'input[value="for"]')).to_be_checked()
        await expect(ruling.locator("li.ruling-candidate", has_text="候选项目02").locator(
            'input[value="none"]')).to_be_checked()
        await expect(ruling.locator("li.ruling-candidate", has_text="候选项目03").locator("input:checked")).to_have_count(0)
        await chief.screenshot(path=artifacts / "counting-03-ruling-prefilled.png", full_page=True)
        await choice(ruling, "候选项目03", "不赞成").click()
        chief.once("dialog", lambda dialog: dialog.accept())
        await ruling.get_by_role("button", name="提交裁定").click()
        await expect(chief.get_by_role("status").first).to_contain_text(f"选票 {serials[0]} 已按您的裁定计入")

        desk_context = await browser.new_context(base_url=live_server, **DESKTOP)
        contexts.append(desk_context)
        desk = await desk_context.new_page()
        if not await StaffAccount.exists().where(StaffAccount.username == "jipiao-mishu"):
            await accounts.create_staff("jipiao-mishu", "秘书处 计票", "pw-for-tests-3")
        await desk.goto("/console/login")
        await desk.get_by_label("用户名").fill("jipiao-mishu")
        await desk.get_by_label("密码").fill("pw-for-tests-3")
        await desk.get_by_role("button", name="登录").click()
        await desk.goto(f"/console/polls/{poll_id}/paper")
        await expect(desk.locator("#reconciliation")).to_contain_text("印制 4 张 = 计入 2")
        await desk.get_by_role("link", name="全部录入完毕，开启票箱计票").click()
        # 开启票箱: two scrutineers' key cards, as a hand scanner types them into the fields.
        cards = await sealed.give_key(poll_id)
        await expect(desk.locator("h1")).to_have_text("开启票箱计票")
        await desk.get_by_label("第 1 张钥匙卡").fill(cards[1])
        await desk.get_by_label("第 2 张钥匙卡").fill(cards[0])
        await desk.screenshot(path=artifacts / "counting-03b-key-cards.png", full_page=True)
        desk.once("dialog", lambda dialog: dialog.accept())  # 计票后结果封存…确定开启票箱计票吗？
        await desk.get_by_role("button", name="开启票箱，计票").click()
        await expect(desk.locator("h1 .status")).to_have_text("已计票")
        result = polls.stored_result(await polls.get_poll(poll_id))
        assert (result["returned"], result["valid"], result["invalid"]) == (6, 5, 1)
        assert [c["for"] for c in result["candidates"]] == [5, 0, 0] and result["candidates"][2]["against"] == 1

        await chief.goto("/tablet/scrutiny")
        chief.once("dialog", lambda dialog: dialog.accept())
        async with chief.expect_request(lambda r: r.url.endswith("/confirm")) as sent:
            await chief.get_by_role("button", name="确认计票结果").click()
        await expect(chief.locator(".confirmed-mark")).to_have_text("✓ 您已确认")
        # The tablet signed the seal with a key made for this confirmation and wiped after it: the
        # server holds the public half, the signature checks out, and nothing of the key is left in
        # the browser for whoever holds the tablet next (an earlier version's kept seed is removed).
        stored = await Confirmation.select().where(Confirmation.poll == poll_id).first()
        assert stored["how"] == "tablet" and len(stored["public_key"]) == 64
        assert signed_seal.signature_valid(stored["public_key"], stored["statement"], stored["signature"])
        body = unquote_plus((await sent.value).post_data)
        assert "signature=" in body and f"public_key={stored['public_key']}" in body
        kept = await chief.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        assert "signing-key" not in kept and stored["public_key"] not in kept, kept
        await chief.evaluate("localStorage.setItem('piaojue.signing-key.deputy-1', 'AAAA')")
        await chief.reload()
        assert await chief.evaluate("localStorage.getItem('piaojue.signing-key.deputy-1')") is None
        await expect(chief.locator(".confirmed")).to_contain_text(signed_seal.key_fingerprint(stored["public_key"]))
        await chief.screenshot(path=artifacts / "counting-04-confirmed.png", full_page=True)
    finally:
        for context in contexts:
            await context.close()
