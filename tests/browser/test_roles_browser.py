"""Screening departments (初审部门) and implementing departments (承办部门) are different roles, in a
real browser: each sees and does only its own part, a proposer's name and phone show only when
asked for, and the secretariat finds each look in the audit log. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from lifecycle import proposals
from lifecycle.proposal_input import ProposalInput
from tests.browser.test_screening_browser import DESKTOP, SECRETARIAT, log_in, sign_in, staff
from tests.hall import make_hall
from tests.lifecycle.test_dashboard import add_project, project_round
from tests.lifecycle.test_projects import department_who
from tests.lifecycle.test_proposals import open_round

pytestmark = pytest.mark.browser
PROPOSER, PHONE = "钱大爷", "13700002222"


async def post_from_the_page(page, action: str, fields: dict[str, str]):
    """Send a form the page does not offer, as a browser would (with the login's own CSRF token):
    the server's answer, which the browser then shows."""
    token = await page.locator("input[name=_csrf_token]").first.get_attribute("value")
    async with page.expect_navigation() as navigation:
        await page.evaluate("""([action, fields]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""", [action, {**fields, "_csrf_token": token}])
    return await navigation.value


async def test_screeners_and_implementing_departments_each_see_only_their_own_part(live_server, browser, artifacts):
    hall = await make_hall(deputies=3)
    made = await proposals.submit(await open_round(hall), ProposalInput(
        title="北坪村路灯安装", description="北坪村主干道没有路灯，夜间出行不便，群众多次反映。", township="城关镇",
        village="北坪村", category="transport", proposer_name=PROPOSER, contact=PHONE), SECRETARIAT)
    link = f"/console/proposals/{made['id']}"
    mine, _ = await department_who(hall, "县交通运输局", "jiaotong")
    theirs, _ = await department_who(hall, "县水利局", "shuili")
    round_id = await project_round(hall.congress_id)
    own = await add_project(hall.congress_id, round_id, "东岭村至溪口村道路硬化", department=mine)
    other = await add_project(hall.congress_id, round_id, "岭头镇饮水管网改造", department=theirs)
    await staff("shencha", "发改局 李审", "screener")
    await staff("mishu3", "张敏", "secretariat")

    context = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await context.new_page()
        # --- 1. the screening department follows a link to the proposal, logs in, and is back on it
        await page.goto(link)
        await expect(page).to_have_url(re.compile(r"/console/login\?next="))
        await sign_in(page, "shencha")
        await expect(page).to_have_url(live_server + link)
        await expect(page.locator("h1")).to_contain_text("北坪村路灯安装")
        await expect(page.locator("nav.bar-nav a")).to_have_text(["建议征集"])  # no projects, no polls
        body = page.locator("main")
        await expect(body).not_to_contain_text(PROPOSER)
        await expect(body).not_to_contain_text(PHONE)
        await page.screenshot(path=artifacts / "roles-01-screener-proposal.png", full_page=True)
        await page.get_by_role("button", name="查看姓名和联系方式").click()
        await expect(page.locator("#proposer")).to_contain_text(f"{PROPOSER} · {PHONE}")
        await expect(page.locator("#proposer")).to_contain_text("本次查看已记入操作日志")
        await page.screenshot(path=artifacts / "roles-02-screener-contact.png", full_page=True)
        refused = await page.goto("/console/projects")
        assert refused is not None and refused.status == 403
        await expect(body).to_contain_text("初审部门只办理建议初审")
        await page.goto("/console/rounds")
        await page.get_by_role("button", name="退出").click()

        # --- 2. an implementing department: its own projects only, nothing of the proposals
        await log_in(page, "jiaotong", "dept-pass-123")
        await expect(page).to_have_url(live_server + "/console/projects")
        await expect(page.locator("nav.bar-nav a")).to_have_text(["项目实施", "项目监督", "看板", "通知"])
        await expect(body).to_contain_text("东岭村至溪口村道路硬化")
        await expect(body).not_to_contain_text("岭头镇饮水管网改造")
        await page.screenshot(path=artifacts / "roles-03-department-projects.png", full_page=True)
        await page.get_by_role("link", name="东岭村至溪口村道路硬化").click()
        await expect(page).to_have_url(live_server + f"/console/projects/{own['id']}")
        refused = await page.goto(f"/console/projects/{other['id']}")
        assert refused is not None and refused.status == 403
        await expect(body).to_contain_text("这个项目不由您的部门承办")
        await expect(body).not_to_contain_text("岭头镇饮水管网改造")
        for pool in ("/console/rounds", "/console/proposals", link):
            refused = await page.goto(pool)
            assert refused is not None and refused.status == 403, pool
            await expect(body).to_contain_text("建议征集和初审由初审部门和秘书处办理")
            await expect(body).not_to_contain_text("北坪村路灯安装")
        await page.screenshot(path=artifacts / "roles-04-department-refused.png", full_page=True)
        await page.goto("/console/projects")
        for action, fields in ((f"{link}/review", {"a_necessity": "meets", "note": "承办部门想评估"}),
                               (f"{link}/move", {"target": "shortlisted", "reason": "承办部门想入围"}),
                               (f"{link}/contact", {})):
            answer = await post_from_the_page(page, action, fields)
            assert answer is not None and answer.status == 403, action
            await expect(body).to_contain_text("建议征集和初审由初审部门和秘书处办理")
            await expect(body).not_to_contain_text(PROPOSER)
            await expect(body).not_to_contain_text(PHONE)
            await page.goto("/console/projects")
        assert (await proposals.get_proposal(made["id"]))["stage"] == "submitted"
        assert await proposals.reviews(made["id"]) == []
        await page.get_by_role("button", name="退出").click()

        # --- 3. the secretariat finds the screening department's look in the audit log, by name
        await log_in(page, "mishu3")
        await page.goto("/console/audit")
        await page.locator("select[name=action]").select_option(label="查看建议人姓名和联系方式")
        await page.get_by_role("button", name="筛选").click()
        looks = page.locator("tbody tr", has_text=made["code"])
        await expect(looks).to_have_count(1)  # the department's refused attempt looked at nothing
        await expect(looks).to_contain_text("查看建议人姓名和联系方式")
        await expect(looks).to_contain_text("初审部门 发改局 李审")
        await page.screenshot(path=artifacts / "roles-05-audit-log.png", full_page=True)
    finally:
        await context.close()
