"""Finding deputies as you type (static/deputy_picker.js) in Chromium: the deputies at an acceptance
and a custodian, each found by typing a few characters, picked by tap or keyboard, and saved; and
the same custodian form without JavaScript, as a plain list. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from lifecycle.tables import Acceptance, Custodian
from tests.browser.test_screening_browser import DESKTOP, log_in, staff
from tests.hall import make_hall
from tests.lifecycle.test_acceptance import completed_project
from voting.tables import Deputy

pytestmark = pytest.mark.browser


async def roster(hall) -> list[dict]:
    return await Deputy.select(Deputy.id, Deputy.name, Deputy.number,
                               Deputy.delegation.name.as_alias("delegation")).where(
        Deputy.term == hall.term_id).order_by(Deputy.number)


def found_by(rows: list[dict], typed: str) -> list[dict]:
    """Who matches what was typed: every word in the name, number or delegation."""
    return [r for r in rows if all(w.lower() in f"{r['name']} {r['number']} {r['delegation']}".lower()
                                   for w in typed.split())]


def unique(rows: list[dict]) -> list[dict]:
    """Deputies no one else shares a name with (the page shows names)."""
    return [r for r in rows if sum(o["name"] == r["name"] for o in rows) == 1]


async def test_acceptance_deputies_and_a_custodian_are_found_as_you_type(live_server, browser, artifacts):
    hall = await make_hall(deputies=30)
    project, _, _ = await completed_project(hall)
    rows = await roster(hall)
    first, second, keeper = unique(rows)[0], unique(rows)[-1], unique(rows)[len(unique(rows)) // 2]
    await staff("mishu-chazhao", "张敏", "secretariat")

    context = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        page = await context.new_page()
        await log_in(page, "mishu-chazhao")
        await page.goto(f"/console/projects/{project['id']}/acceptance")
        picker = page.locator("fieldset.deputy-picker")
        search = page.get_by_role("searchbox", name="查找代表")
        await expect(picker.locator("label.check:visible")).to_have_count(len(rows))

        typed = first["name"][:2]
        await search.press_sequentially(typed, delay=60)  # a few characters, one key at a time
        await expect(picker.locator("label.check:visible")).to_have_count(len(found_by(rows, typed)))
        await expect(picker.locator(".deputy-search-status")).to_contain_text(f"找到 {len(found_by(rows, typed))} 位")
        await page.screenshot(path=artifacts / "picker-01-acceptance-typed.png", full_page=True)
        await picker.get_by_role("checkbox", name=f"{first['name']} {first['number']}", exact=True).check()

        by_delegation = f"{second['delegation']} {second['name'][-1]}"  # a delegation and one character
        await search.fill(by_delegation)
        assert len(found_by(rows, by_delegation)) < len(rows)
        await expect(picker.locator("label.check:visible")).to_have_count(len(found_by(rows, by_delegation)))
        await picker.get_by_role("checkbox", name=f"{second['name']} {second['number']}", exact=True).check()
        await search.fill(second["number"])  # the deputy number alone: one deputy, Enter does nothing more
        await expect(picker.locator("label.check:visible")).to_have_count(1)
        await search.fill("查无此人")
        await expect(picker.locator(".deputy-search-status")).to_contain_text("没有找到“查无此人”")
        await search.fill("")
        chosen = picker.locator(".deputy-chosen")
        await expect(chosen).to_contain_text("已选 2 位")
        await expect(chosen.get_by_role("button")).to_have_count(2)

        await all_in_order_and_saved(page, artifacts / "picker-02-acceptance-chosen.png")
        record = await Acceptance.select(Acceptance.deputies).where(Acceptance.project == project["id"]).output(
            load_json=True).first()
        assert sorted(record["deputies"]) == sorted([first["id"], second["id"]])
        await expect(page.locator(".acceptance-record")).to_contain_text(first["name"])

        await page.goto(f"/console/projects/{project['id']}/maintenance")
        combo = page.get_by_role("combobox", name="担任管护员的代表（可不选）")
        await expect(page.locator('select[name="deputy"]')).to_be_hidden()
        await combo.press_sequentially(keeper["name"][:2], delay=60)
        options = page.get_by_role("option")
        await expect(options).to_have_count(min(12, len(found_by(rows, keeper["name"][:2]))))
        await page.screenshot(path=artifacts / "picker-03-custodian-typed.png", full_page=True)
        await combo.press_sequentially(keeper["name"][2:], delay=60)
        await expect(options).to_have_count(1)
        await combo.press("ArrowDown")
        await expect(options.first).to_have_attribute("aria-selected", "true")
        await combo.press("Enter")  # picks the deputy; the form is not sent
        await expect(combo).to_have_value(f"{keeper['name']}（{keeper['delegation']}）")
        await expect(page.locator('select[name="deputy"]')).to_have_value(str(keeper["id"]))
        await page.get_by_label("管护职责").fill("路长，每周巡查一次")
        await page.get_by_role("button", name="添加管护人员").click()
        await expect(page.get_by_role("status")).to_contain_text("已添加管护人员")
        await expect(page.locator("#custodians tbody")).to_contain_text(f"人大代表 {keeper['number']}")
        await page.screenshot(path=artifacts / "picker-04-custodian-saved.png", full_page=True)
    finally:
        await context.close()
    saved = await Custodian.select(Custodian.deputy, Custodian.name).where(Custodian.project == project["id"])
    assert saved == [{"deputy": keeper["id"], "name": keeper["name"]}]


async def test_without_javascript_the_forms_are_the_plain_lists(live_server, browser):
    hall = await make_hall(deputies=30)
    project, _, _ = await completed_project(hall)
    rows = unique(await roster(hall))
    await staff("mishu-wujiaoben", "张敏", "secretariat")
    context = await browser.new_context(base_url=live_server, java_script_enabled=False, **DESKTOP)
    try:
        page = await context.new_page()
        await log_in(page, "mishu-wujiaoben")
        await page.goto(f"/console/projects/{project['id']}/acceptance")
        await expect(page.get_by_role("searchbox")).to_have_count(0)
        await accepted_without_search(page, f"{rows[0]['name']} {rows[0]['number']}")
        await page.goto(f"/console/projects/{project['id']}/maintenance")
        await expect(page.get_by_role("combobox", name="担任管护员的代表（可不选）")).to_be_visible()  # the select
        await page.get_by_label("担任管护员的代表（可不选）").select_option(str(rows[1]["id"]))
        await page.get_by_label("管护职责").fill("管护员，每月巡查一次")
        await page.get_by_role("button", name="添加管护人员").click()
        await expect(page.locator("#custodians tbody")).to_contain_text(f"人大代表 {rows[1]['number']}")
    finally:
        await context.close()
    assert [c["deputy"] for c in await Custodian.select(Custodian.deputy).where(
        Custodian.project == project["id"])] == [rows[1]["id"]]


async def accepted_without_search(page, deputy: str) -> None:
    await page.get_by_role("checkbox", name=deputy, exact=True).check()
    await all_in_order_and_saved(page)
    await expect(page.locator("h1 .stage")).to_have_text("已验收")


async def all_in_order_and_saved(page, screenshot=None) -> None:
    """The rest of the acceptance form: every item in order, accepted, sent."""
    for key in ("content", "scale", "quality"):
        await page.locator(f"fieldset.check-{key}").get_by_role("radio", name="符合", exact=True).check()
    await page.get_by_role("radio", name="验收合格", exact=True).check()
    if screenshot:
        await page.screenshot(path=screenshot, full_page=True)
    await page.get_by_role("button", name="保存验收记录").click()
    await expect(page.get_by_role("status")).to_contain_text("验收记录已保存")
