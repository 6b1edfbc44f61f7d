"""The secretariat records a project's acceptance in a real browser and downloads the certificate.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import io
import re

import pytest
from playwright.async_api import expect
from pypdf import PdfReader

from lifecycle import projects
from tests.browser.test_screening_browser import DESKTOP, log_in, staff
from tests.hall import make_hall
from tests.lifecycle.test_acceptance import a_department, complete
from tests.lifecycle.test_projects import chosen_project
from voting.tables import Congress, Deputy

pytestmark = pytest.mark.browser


async def test_record_an_acceptance_and_download_its_certificate(live_server, browser, artifacts):
    hall = await make_hall(deputies=12)
    project = await chosen_project(hall)
    department, _ = await a_department(hall)
    await complete(project["id"], department)
    names = [d["name"] for d in await Deputy.select(Deputy.name).where(Deputy.id.is_in(hall.deputy_ids[:2]))
             .order_by(Deputy.number)]
    await staff("mishu-yanshou", "张敏", "secretariat")

    context = await browser.new_context(base_url=live_server, accept_downloads=True, **DESKTOP)
    try:
        page = await context.new_page()
        await log_in(page, "mishu-yanshou")
        await page.goto(f"/console/projects/{project['id']}/acceptance")
        await expect(page.get_by_role("heading", name="录入验收记录")).to_be_visible()
        for name in names:
            await page.get_by_label(name).check()
        await page.get_by_label("群众代表").fill("东岭村 王大伯、李秀英")
        for key in ("content", "scale"):
            await page.locator(f"fieldset.check-{key}").get_by_role("radio", name="符合", exact=True).check()
        quality = page.locator("fieldset.check-quality")
        await quality.get_by_role("radio", name="不符合", exact=True).check()
        await page.get_by_role("radio", name="验收合格", exact=True).check()
        await page.get_by_role("button", name="保存验收记录").click()
        # refused: the note is missing and a failed item cannot pass; what was typed stays
        await expect(page.get_by_role("alert")).to_contain_text("“工程质量”评定为不符合，请写明问题。")
        await expect(page.get_by_label("群众代表")).to_have_value("东岭村 王大伯、李秀英")
        await expect(page.get_by_label(names[0])).to_be_checked()
        await page.screenshot(path=artifacts / "acceptance-01-refused.png", full_page=True)

        await quality.get_by_role("radio", name="符合", exact=True).check()
        await page.get_by_label("工程质量情况说明").fill("抽检路面厚度 20 厘米，符合设计")
        await page.get_by_label("验收意见").fill("路基、路面按实施方案完成，排水边沟通畅。")
        await page.get_by_label("质保期（月，0 为不设）").fill("24")
        await page.get_by_role("button", name="保存验收记录").click()
        await expect(page.get_by_role("status")).to_contain_text("验收记录已保存")
        await expect(page.locator("h1 .stage")).to_have_text("已验收")
        await expect(page.locator(".acceptance-record h2")).to_contain_text("验收合格")
        await page.screenshot(path=artifacts / "acceptance-02-recorded.png", full_page=True)

        async with page.expect_download() as info:
            await page.get_by_role("link", name="下载验收意见书（PDF）").first.click()
        download = await info.value
        assert re.match(r"验收意见书-.+\.pdf$", download.suggested_filename)
        content = open(await download.path(), "rb").read()
        text = re.sub(r"\s+", "", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages))
        assert "民生实事项目验收意见书" in text and project["title"] in text
        assert "、".join(names) + "（2名）" in text and "东岭村王大伯、李秀英" in text
        assert "工程质量符合抽检路面厚度20厘米，符合设计" in text and "验收合格" in text and "质保期24个月" in text

        await page.goto(f"/console/projects/{project['id']}/maintenance")
        await expect(page.locator(".warranty-state")).to_contain_text("质保期至")
        await page.screenshot(path=artifacts / "acceptance-03-maintenance.png", full_page=True)
        await page.goto("/console/evaluations")
        congress = await Congress.select(Congress.name).where(Congress.id == hall.congress_id).first()
        group = page.locator("form.evaluation-form", has=page.get_by_role(
            "heading", name=f"{congress['name']} · {project['year']} 年度（1 个）"))
        await expect(group.get_by_role("checkbox", name=f"测评 {project['title']}")).to_be_checked()
        await page.screenshot(path=artifacts / "acceptance-04-evaluations.png", full_page=True)
    finally:
        await context.close()
    assert (await projects.get_project(project["id"]))["stage"] == "accepted"


async def test_early_completion_needs_a_reason_and_acceptance_shows_what_to_note(live_server, browser, artifacts):
    from tests.lifecycle.test_completion import published

    hall = await make_hall(deputies=12)
    project, _ = await published(hall)
    await staff("mishu-wangong", "李红", "secretariat")
    context = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await context.new_page()
        await log_in(page, "mishu-wangong")
        await page.goto(f"/console/projects/{project['id']}")
        hint = page.locator("#unfinished")
        await expect(hint).to_contain_text("路基（0%）、路面（0%）")
        await page.get_by_label("提前报告完工的理由（必填）").fill("主体完工，附属工程冬季停工，先行交付使用")
        await page.screenshot(path=artifacts / "completion-01-early.png", full_page=True)
        await page.get_by_role("button", name="报告完工").click()
        await expect(page.locator("#history")).to_contain_text("先行交付使用")
        await expect(page.locator("#history")).to_contain_text("尚未完成：路基（0%）、路面（0%）")

        await page.goto(f"/console/projects/{project['id']}/acceptance")
        await expect(page.locator("#acceptance-warnings")).to_contain_text("没有报送过任何进度报告")
        await expect(page.get_by_label("已知晓以上情况，仍然录入（会记入操作日志）")).to_be_visible()
        await page.locator("#acceptance-warnings").scroll_into_view_if_needed()
        await page.screenshot(path=artifacts / "completion-02-acceptance-warnings.png")
    finally:
        await context.close()


async def test_a_dissatisfied_verdict_shows_everywhere_and_the_department_answers_it(live_server, browser, artifacts):
    """After a satisfaction poll finds a project 不满意: the public page says so and what must be put
    right by when, the department finds the request on its console and answers it, the dashboard
    marks the project, and the secretariat's evaluation page offers it for evaluation again."""
    from lifecycle import evaluation
    from tests.lifecycle.test_acceptance import evaluate, evaluation_ready
    from voting.tables import StaffAccount

    hall = await make_hall(deputies=30)
    made = await evaluation_ready(hall, 2, accepted=2)
    year = made[0]["year"]
    await evaluate(hall, year, {"P01": "satisfied", "P02": "dissatisfied"})
    bad = await projects.get_project(made[1]["id"])
    from lifecycle.tables import DepartmentStaff

    staff_id = (await DepartmentStaff.select(DepartmentStaff.staff).where(
        DepartmentStaff.department == bad["department"]).first())["staff"]
    department = (await StaffAccount.select(StaffAccount.username).where(StaffAccount.id == staff_id).first())["username"]
    await staff("mishu-ceping", "张敏", "secretariat")

    context = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await context.new_page()
        await page.goto(f"/public/projects/{bad['code']}#evaluation")
        section = page.locator("#evaluation")
        await expect(section.locator(".verdict")).to_have_text("不满意")
        await expect(section.locator(".notice-warn")).to_contain_text("测评结论要求整改：承办部门须在")
        await expect(section.locator(".rectification")).to_contain_text("满意度测评提出")
        await section.screenshot(path=artifacts / "verdict-01-public.png")

        await page.goto("/console/login")
        await page.get_by_label("用户名").fill(department)
        await page.get_by_label("密码").fill("dept-pass-123")
        await page.get_by_role("button", name="登录").click()
        await page.goto("/console/supervision")
        request = page.locator(".sv-rect", has_text="结果为不满意")
        await expect(request).to_contain_text("来源：满意度测评")
        await request.get_by_label("整改情况答复").fill("已召开群众座谈会，按意见增设路灯 12 盏、修补破损路面。")
        await request.get_by_role("button", name="提交答复").click()
        await expect(page.get_by_text("答复已提交")).to_be_visible()
        await page.get_by_role("button", name="退出").click()

        await log_in(page, "mishu-ceping")
        await page.goto(f"/console/dashboard?congress={hall.congress_id}&year={year}")
        row = page.locator("tr", has_text=bad["title"])
        await expect(row).to_contain_text("测评：不满意")
        await expect(row.locator(".state-warn")).to_be_visible()
        await page.goto("/console/evaluations")
        offered = page.locator(".evaluation-form tr", has_text=bad["title"])
        await expect(offered).to_contain_text("再次测评（上次：不满意）")
        await expect(offered.get_by_role("checkbox")).to_be_checked()
        await page.screenshot(path=artifacts / "verdict-02-evaluate-again.png", full_page=True)
        assert [p["id"] for p in await evaluation.awaiting(hall.congress_id, year)] == [bad["id"]]
    finally:
        await context.close()
