"""A citizen follows a chosen project in a real browser: from the proposal they can read, through
the vote, the plan, progress, an inspection with its photo and the acceptance, to upkeep.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_public_proposal import DESKTOP, PHONE, top_screenshot
from tests.web.test_public_project import PRIVATE, lived_project

pytestmark = pytest.mark.browser
TIMELINE = ("提出建议", "票决确定", "公布实施方案", "实施进度", "视察监督", "验收", "满意度测评", "运维管护")


async def test_the_public_page_shows_a_projects_whole_timeline(live_server, browser, artifacts, hall):
    project = await lived_project(hall)
    code = project["code"]
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        context = await browser.new_context(base_url=live_server, **options)
        page = await context.new_page()
        page.set_default_timeout(10_000)
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        missing: list[str] = []
        page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
        try:
            # from the proposal's own page to the project
            await page.goto(f"/public/proposals/{code}")
            await page.get_by_role("link", name="查看项目实施全过程").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(project["title"])

            steps = page.locator("ol.life-steps > li")
            await expect(steps).to_have_count(len(TIMELINE))
            for n, label in enumerate(TIMELINE):
                step = steps.nth(n)
                await expect(step.locator(".life-label")).to_have_text(label)
                # an evaluated project: everything done, its upkeep going on
                await expect(step).to_have_class("life-step life-current" if label == "运维管护" else "life-step life-done")
            await expect(steps.nth(1)).to_contain_text("票决确定")
            await expect(steps.nth(3)).to_contain_text("完成 100%")
            await expect(steps.nth(5)).to_contain_text("验收通过")

            # the sections follow the same order down the page
            headings = await page.locator("main h2").all_inner_texts()
            order = ["群众建议和代表票决", "实施方案", "实施进度", "视察监督", "验收", "满意度测评", "运维管护"]
            found = [next(i for i, h in enumerate(headings) if title in h) for title in order]
            assert found == sorted(found), headings

            history = page.locator("#proposal ol.public-history")
            await expect(history).to_contain_text("票决确定")
            await expect(history).to_contain_text("实施中")
            await expect(page.locator("#plan table.milestones")).to_contain_text("路面")
            await expect(page.locator("#progress")).to_contain_text("2027年第二季度")
            inspection = page.locator("#inspections article.inspection").first
            await expect(inspection).to_contain_text("弯道处缺少护栏")
            await expect(inspection).to_contain_text("已加装护栏 120 米")
            image = inspection.locator("img.thumb")
            await image.scroll_into_view_if_needed()
            await expect(image).to_be_visible()
            await expect(image).to_have_js_property("naturalWidth", 320)  # loaded from the attachment route
            await expect(page.locator("#acceptance")).to_contain_text("验收通过")
            await expect(page.locator("#evaluation")).to_contain_text("满意")
            await expect(page.locator("#maintenance")).to_contain_text("群众管护员")

            text = await page.locator("main").inner_text()
            for private in PRIVATE:
                assert private not in text, private
            assert not blocked, blocked
            assert not missing, missing
            await top_screenshot(page, artifacts / f"public-project-{name}.png")

            # and the year's list shows it with its colour in words
            await page.goto(f"/public/projects?year={project['year']}&congress={project['congress']}")
            row = page.locator("li.project-row", has_text=project["title"])
            await expect(row).to_contain_text("绿灯")
            await expect(row).to_contain_text("完成 100%")
            await top_screenshot(page, artifacts / f"public-projects-{name}.png")
        finally:
            await context.close()
