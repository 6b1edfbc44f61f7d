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
