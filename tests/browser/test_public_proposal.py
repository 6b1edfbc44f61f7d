"""A citizen proposes a project on the public pages in a real browser (on a phone-sized screen),
with a photo, gets the tracking code and looks the proposal up. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.async_api import expect

from lifecycle import proposals
from lifecycle.proposals import Who
from lifecycle.tables import Proposal, ProposalAttachment
from tests.hall import STAFF, make_hall

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 414, "height": 860}, "device_scale_factor": 1, "locale": "zh-CN",
         "has_touch": True, "timezone_id": "Asia/Shanghai"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


async def top_screenshot(page, path) -> None:
    """A whole-page picture taken from the top, so the sticky bar is where a person sees it."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=path, full_page=True)


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_citizen_proposes_with_a_photo_and_tracks_it(live_server, browser, artifacts):
    hall = await make_hall(deputies=3)
    today = proposals.today()
    title = f"{today.year + 1} 年青溪县民生实事项目建议征集（浏览器）"
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, title, today - timedelta(days=5),
                                            today + timedelta(days=25), 8000, Who(STAFF, "secretariat"))

    context = await browser.new_context(base_url=live_server, **PHONE)
    page = await context.new_page()
    page.set_default_timeout(10_000)
    blocked: list[str] = []  # what the Content-Security-Policy stopped (an inline style or script)
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    try:
        await page.goto("/public")
        await expect(page.get_by_role("heading", name="民生实事，由您来提，代表来定")).to_be_visible()
        card = page.locator(".open-round", has_text=title)
        await expect(card).to_be_visible()
        await page.screenshot(path=artifacts / "public-01-home.png", full_page=True)
        await card.get_by_role("link", name="我要提建议").click()
        await expect(page).to_have_url(re.compile(rf"/public/propose\?round={round_id}$"))

        # --- a first try with a too-short name: the message sits by the field, the text stays
        await page.get_by_label("项目名称").fill("修路")
        await page.get_by_label("项目内容").fill("东岭村到镇上的村道 3 公里，坑洼不平，雨天泥泞，\n学生上学和老人看病都不方便。")
        await page.get_by_label("乡镇（街道）").fill("城关镇")
        await page.get_by_label("村（社区）").fill("东岭村")
        await page.get_by_label("类别").select_option(label="交通出行")
        await page.get_by_label("估算投资（万元）").fill("150")
        await page.get_by_label("受益人数").fill("2600")
        await page.get_by_label("姓名").fill("王大伯")
        await page.get_by_label("电话或其他联系方式").fill("13800001234")
        files = page.get_by_label("照片或 PDF 材料")
        await files.set_input_files({"name": "村道.png", "mimeType": "image/png", "buffer": photo()})
        await expect(page.locator("#website")).not_to_be_in_viewport()
        await top_screenshot(page, artifacts / "public-02-form.png")
        await page.get_by_role("button", name="提交建议").click()
        await expect(page.locator("#f-title .field-error")).to_have_text("项目名称至少 4 个字。")
        await expect(page.locator("#err-files")).to_contain_text("重新选择附件")
        await expect(page.get_by_label("项目内容")).to_have_value(re.compile("学生上学和老人看病都不方便"))
        await expect(page.get_by_label("电话或其他联系方式")).to_have_value("13800001234")
        await top_screenshot(page, artifacts / "public-03-form-errors.png")

        # --- corrected, the photo chosen again: the tracking code, large
        await page.get_by_label("项目名称").fill("东岭村村道硬化")
        await files.set_input_files({"name": "村道.png", "mimeType": "image/png", "buffer": photo()})
        await page.get_by_role("button", name="提交建议").click()
        await expect(page.get_by_role("heading", name="您的建议已提交，谢谢！")).to_be_visible()
        code = (await page.locator("#tracking-code").inner_text()).strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
        await expect(page.get_by_text("抄下来")).to_be_visible()
        await page.screenshot(path=artifacts / "public-04-code.png", full_page=True)
        row = await Proposal.select().where(Proposal.code == code).first()
        assert row["title"] == "东岭村村道硬化" and row["proposer_name"] == "王大伯" and row["channel"] == "online"
        assert await ProposalAttachment.count().where(ProposalAttachment.proposal == row["id"]) == 1

        # --- not public yet: only its code finds it, and the page says when it will be listed
        await page.goto(f"/public/track?code={code}")
        await expect(page.locator(".publicity-note")).to_contain_text("公开前只有凭查询码才能看到")
        await page.goto("/public")
        await expect(card.locator("figcaption")).to_contain_text("已收到建议 1 条，公示等待期满后在这里列出")
        await proposals.release(row["id"], Who(STAFF, "secretariat"))  # looked at before the window ends

        # --- later: the track page, typed in as someone would from a note; the round's count has the proposal
        await page.goto("/public")
        await expect(card.locator("figcaption")).to_contain_text("已收到建议")
        await expect(card.locator("svg.stage-chart rect.stage-submitted")).to_have_count(1)
        await page.get_by_label("请输入提交建议时得到的查询码").fill(code.lower().replace("-", " "))
        await top_screenshot(page, artifacts / "public-05-home-with-counts.png")
        await page.get_by_role("button", name="查询", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/public/track\?code="))
        await expect(page.get_by_role("heading", name="东岭村村道硬化")).to_be_visible()
        await expect(page.locator(".stage-line")).to_contain_text("已提交，待初审")
        await expect(page.locator(".timeline")).to_contain_text("通过“网上征集”提交")
        await page.screenshot(path=artifacts / "public-06-track.png", full_page=True)
        for text in ("王大伯", "13800001234"):
            assert text not in await page.content()

        # --- the item page shows the photo (served by the app under its own headers)
        await page.get_by_role("link", name="查看建议全文和附件").click()
        image = page.locator("img.thumb")
        await expect(image).to_be_visible()
        assert await image.evaluate("img => img.complete && img.naturalWidth") == 320
        await page.screenshot(path=artifacts / "public-07-item.png", full_page=True)
        assert not blocked, blocked
        assert all(url.endswith("/favicon.ico") for url in missing), missing
    finally:
        await context.close()

    desk = await browser.new_context(base_url=live_server, **DESKTOP)
    page = await desk.new_page()
    try:
        await page.goto("/public/proposals")
        await expect(page.locator(".proposal-row", has_text="东岭村村道硬化")).to_be_visible()
        await page.screenshot(path=artifacts / "public-08-list-desktop.png", full_page=True)
    finally:
        await desk.close()
