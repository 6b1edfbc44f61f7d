"""A department screens a proposal and the secretariat builds the candidate list that becomes a poll,
in a real browser. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from lifecycle import proposals, screening
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from tests.hall import STAFF, make_hall
from voting import accounts
from voting.tables import StaffAccount

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}
SECRETARIAT = Who(STAFF, "secretariat")


async def staff(username: str, name: str, role: str) -> None:
    if not await StaffAccount.exists().where(StaffAccount.username == username):
        await accounts.create_staff(username, name, "pw-for-tests-2", role=role)


async def log_in(page, username: str, password: str = "pw-for-tests-2") -> None:
    await page.goto("/console/login")
    await sign_in(page, username, password)


async def sign_in(page, username: str, password: str = "pw-for-tests-2") -> None:
    """Fill in the login form the page is showing and send it."""
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()


async def test_screen_a_proposal_then_build_the_candidate_list_into_a_poll(live_server, browser, artifacts):
    hall = await make_hall(deputies=12)
    today = proposals.today()
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, "浏览器测试征集", today,
                                            today + timedelta(days=20), 2000, SECRETARIAT)
    ids = []
    for n, title in enumerate(["城关幼儿园扩班", "东岭村道路硬化", "老年食堂建设"]):
        made = await proposals.submit(round_id, ProposalInput(
            title=title, description=f"{title}：群众反映强烈，需求迫切，受益面广。", township="城关镇",
            village=f"第{n + 1}村", category="education", cost_wan=100 + n, supporters=n + 1), SECRETARIAT)
        ids.append(made)
    for made in ids[1:]:
        await proposals.record_review(made["id"], dict.fromkeys(screening.CRITERIA, "meets"), {}, "", SECRETARIAT)
        await proposals.move(made["id"], "shortlisted", SECRETARIAT)
    await staff("shencha", "发改局 李审", "screener")
    await staff("mishu3", "张敏", "secretariat")

    context = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await context.new_page()
        # --- the department screens the first proposal
        await log_in(page, "shencha")
        await expect(page.get_by_role("heading", name="民生实事项目建议征集")).to_be_visible()
        await page.goto(f"/console/proposals/{ids[0]['id']}")
        for fieldset in await page.locator("fieldset.criterion").all():
            await fieldset.get_by_role("radio", name="符合", exact=True).check()
        await page.screenshot(path=artifacts / "screening-01-review.png", full_page=True)
        await page.get_by_role("button", name="保存评估").click()
        await expect(page.get_by_text("全部标准已评估，可以入围")).to_be_visible()
        await page.locator("form.decision-shortlisted textarea").fill("惠及全镇适龄儿童")
        await page.get_by_role("button", name="初审入围").click()
        await expect(page.locator("h1 .stage")).to_have_text("初审入围")
        await page.screenshot(path=artifacts / "screening-02-shortlisted.png", full_page=True)
        await page.get_by_role("button", name="退出").click()

        # --- the secretariat puts all three on the list, moves one up and makes the poll
        await log_in(page, "mishu3")
        await page.goto(f"/console/sessions/{hall.session_id}/candidates")
        for box in await page.locator("input[name=proposal]").all():
            await box.check()
        await page.get_by_role("button", name="列入候选项目名单").click()
        await expect(page.get_by_text("差额 1 个（3 选 2）")).to_be_visible()
        await page.get_by_role("button", name="上移 城关幼儿园扩班").click()
        await page.screenshot(path=artifacts / "screening-03-candidate-list.png", full_page=True)
        await page.get_by_role("button", name="生成票决").click()
        await page.wait_for_load_state()
        await page.screenshot(path=artifacts / "screening-03b-after.png", full_page=True)
        await expect(page).to_have_url(re.compile(r"/console/polls/\d+$"))
        rows = page.locator("ol.plain-list li")
        await expect(rows).to_have_count(3)
        texts = await rows.all_inner_texts()
        names = ("老年食堂建设", "城关幼儿园扩班", "东岭村道路硬化")
        assert [next(n for n in names if n in t) for t in texts] == list(names)  # supporters, then moved up
        await page.screenshot(path=artifacts / "screening-04-poll.png", full_page=True)
    finally:
        await context.close()
