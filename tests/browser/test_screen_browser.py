"""The hall's big screen in a real browser: live without reloading, through a blocked stream and a restart.

Screenshots of each phase, at 1280×720 and 1920×1080, go to tests/artifacts/screen-*.png
for a person to look at. The server is tests/servers.LiveServer (two workers on
PostgreSQL, as deployed) so a test can stop and start it under the open page.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from playwright.async_api import expect

from tests.hall import STAFF, make_hall
from tests.servers import LiveServer
from voting import ballot_box, polls
from voting.poll_settings import CandidateInput, PollSettings
from voting.tables import Poll
from tests import sealed

pytestmark = pytest.mark.browser

HD = {"width": 1280, "height": 720}
FULL_HD = {"width": 1920, "height": 1080}
PROJECTS = ["城乡居民饮用水提质工程", "农村公路提档升级改造", "老年助餐服务点建设", "中小学食堂改造提升",
            "城区公共停车位扩容", "乡镇卫生院诊疗设备更新", "农贸市场标准化改造", "城乡公共厕所新建改造",
            "青溪河道综合治理", "背街小巷路灯亮化", "婴幼儿托育服务中心", "残疾人康复服务站建设"]
FOR_COUNTS = [52, 50, 49, 47, 45, 44, 41, 38, 36, 33, 29, 21]  # of 55 ballots; 31 needed of 60 entitled


@pytest.fixture(scope="module")
def server(engine_name):
    with LiveServer(workers=2 if engine_name == "postgresql" else 1) as live:
        yield live


async def project_poll(hall, title="2026年度县级民生实事项目票决", seats=10, method="approval") -> int:
    settings = PollSettings(title=title, method=method, seats=seats if method == "approval" else None,
                            max_approvals=None, non_competitive=False, threshold_base="entitled",
                            threshold_fraction="1/2", threshold_strict=True, quorum_fraction="2/3",
                            candidates=tuple(CandidateInput(t, "", "青溪县", 500) for t in PROJECTS))
    poll_id = await polls.create_poll(hall.session_id, settings, STAFF)
    await sealed.open_poll(poll_id, STAFF)
    return poll_id


def approval_ballots(voters: int, counts: list[int], cap: int) -> list[dict[str, str]]:
    """Ballots with exactly these 赞成 counts per candidate, none over the cap; the rest 不赞成 or 弃权."""
    ballots: list[dict[str, str]] = [{} for _ in range(voters)]
    for n, count in enumerate(counts, start=1):
        ref = f"P{n:02d}"
        order = sorted(range(voters), key=lambda b: (sum(v == "for" for v in ballots[b].values()), (b * 7 + n) % voters))
        for b in order[:count]:
            ballots[b][ref] = "for"
        for i, b in enumerate(order[count:]):
            ballots[b][ref] = "against" if i % 3 else "abstain"
    assert all(sum(v == "for" for v in b.values()) <= cap for b in ballots)
    return ballots


async def fits(page) -> None:
    """Nothing scrolls, and every box sits inside the window and inside the box that holds it.

    Boxes, not glyphs: a CJK font's line box is taller than its line height, which is not
    clipping; a box pushed out of its container, or off the screen, is.
    """
    problems = await page.evaluate("""() => {
        const out = [];
        const d = document.documentElement;
        if (d.scrollWidth > innerWidth || d.scrollHeight > innerHeight) out.push(`page ${d.scrollWidth}x${d.scrollHeight}`);
        const visible = el => !el.hidden && el.offsetParent !== null && getComputedStyle(el).display !== 'none';
        const inside = (child, parent, what) => {
            const c = child.getBoundingClientRect(), p = parent.getBoundingClientRect();
            if (c.top < p.top - 1 || c.left < p.left - 1 || c.bottom > p.bottom + 1 || c.right > p.right + 1)
                out.push(`${what}: ${child.className || child.tagName} [${Math.round(c.left)},${Math.round(c.top)},`
                         + `${Math.round(c.right)},${Math.round(c.bottom)}] outside [${Math.round(p.left)},`
                         + `${Math.round(p.top)},${Math.round(p.right)},${Math.round(p.bottom)}]`);
        };
        const pairs = [['.frame > *', null], ['.body > *', '.body'], ['.figures > .figure', '.figures'],
                       ['.chart-rows > .row', '.chart-rows'], ['.winners > li', '.winners'],
                       ['.outcome > *', '.outcome'], ['.chart > *', '.chart'], ['.head > *', '.head'],
                       ['.title > *', '.title'], ['.foot > *', '.foot']];
        for (const [selector, parent] of pairs) {
            for (const el of document.querySelectorAll(selector)) {
                if (!visible(el)) continue;
                inside(el, parent ? el.closest(parent) : d, selector);
                const r = el.getBoundingClientRect();
                if (r.bottom > innerHeight + 1 || r.right > innerWidth + 1) out.push(`${selector} off screen`);
            }
        }
        for (const bar of document.querySelectorAll('.row-bar')) {
            const row = bar.closest('.row').getBoundingClientRect(), r = bar.getBoundingClientRect();
            if (visible(bar.closest('.row')) && r.width < 0.25 * row.width) out.push(`bars too narrow: ${Math.round(r.width)} of ${Math.round(row.width)}`);
        }
        for (const el of document.querySelectorAll('.figure-value, .winners li, .phase, #poll-title, .head-session')) {
            if (visible(el) && el.scrollWidth > el.clientWidth + 1) out.push(`${el.className || el.id} cut off at the side`);
        }
        return out;
    }""")
    assert problems == [], problems


async def shoot(page, artifacts, name: str) -> None:
    await page.wait_for_timeout(800)  # let numbers and bars finish moving
    await page.screenshot(path=artifacts / f"screen-{name}-{page.viewport_size['width']}.png")
    await fits(page)


async def both_sizes(page, artifacts, name: str) -> None:
    await page.set_viewport_size(FULL_HD)
    await shoot(page, artifacts, name)
    await page.set_viewport_size(HD)
    await shoot(page, artifacts, name)


async def test_the_big_screen_follows_the_vote_to_the_published_result(server, browser, artifacts):
    hall = await make_hall(deputies=60, delegations=4)
    context = await browser.new_context(base_url=server.url, viewport=HD, device_scale_factor=1, locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    try:
        await page.goto(f"/screen/sessions/{hall.session_id}")
        await expect(page.locator("#phase")).to_have_text("等待票决")
        await expect(page.locator("#message-main")).to_have_text("等待票决开始")
        await hall.check_in(*hall.deputy_ids[:38])
        await expect(page.locator("#att-present")).to_have_text("38")
        await expect(page.locator("#att-state")).to_have_text("尚不足法定人数")
        await both_sizes(page, artifacts, "1-idle")
        await hall.check_in(*hall.deputy_ids[38:55])
        await expect(page.locator("#att-state")).to_have_text("符合法定人数")

        poll_id = await project_poll(hall)
        await page.evaluate("window.__sameDocument = true")
        await expect(page.locator("#poll-title")).to_have_text("2026年度县级民生实事项目票决")
        await expect(page.locator("#phase")).to_have_text("投票进行中")
        await expect(page.locator("#fig-0")).to_have_text("55")
        await expect(page.locator("#fig-2")).to_have_text("0")

        ballots = approval_ballots(55, FOR_COUNTS, cap=10)
        voters = hall.deputy_ids[:55]
        for deputy, marks in zip(voters[:31], ballots[:31]):
            assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
        await ballot_box.issue(poll_id, voters[31])
        await expect(page.locator("#fig-2")).to_have_text("31")
        await expect(page.locator("#fig-1")).to_have_text("32")
        await expect(page.locator("#chart")).to_be_hidden()  # no running counts by default
        await both_sizes(page, artifacts, "2-voting")

        await Poll.update({Poll.show_running_totals: True}).where(Poll.id == poll_id)
        # Even allowed, running totals cannot show while the vote runs: tablet ballots stay sealed
        # until the scrutineers open the box at the count. The screen counts them in, nothing more.
        for deputy, marks in zip(voters[31:], ballots[31:]):
            assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
        await expect(page.locator("#fig-2")).to_have_text("55")
        await page.wait_for_timeout(2500)
        await expect(page.locator("#chart")).to_be_hidden()
        await both_sizes(page, artifacts, "3-running")
        await sealed.close_poll(poll_id, STAFF)
        await expect(page.locator("#phase")).to_have_text("计票完毕，待监票人确认")
        await expect(page.locator("#message-sub")).to_have_text("待监票人确认后公布结果")
        await expect(page.locator("#chart")).to_be_hidden()
        await expect(page.locator("#outcome")).to_be_hidden()
        await both_sizes(page, artifacts, "4-awaiting")

        await Poll.update({Poll.published_at: datetime.now(timezone.utc)}).where(Poll.id == poll_id)
        await expect(page.locator("#phase")).to_have_text("票决结果")
        await expect(page.locator("#winners li")).to_have_count(10)
        await expect(page.locator("#winners li").first).to_have_text(PROJECTS[0])
        await expect(page.locator("#chart-rows .row.win")).to_have_count(10)
        await expect(page.locator("#chart-rows .row.lose")).to_have_count(2)
        await expect(page.locator("#chart-rows .row").nth(11).locator(".row-value")).to_have_text("21")
        await expect(page.locator(".key-req")).to_have_text("当选线 31 票")
        await both_sizes(page, artifacts, "5-published")
        assert await page.evaluate("window.__sameDocument") is True, "the page must not have reloaded"
        assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    finally:
        await context.close()


async def test_a_tie_the_further_vote_and_a_satisfaction_result(server, browser, artifacts):
    hall = await make_hall(deputies=60, delegations=4)
    await hall.check_in(*hall.deputy_ids[:56])
    voters = hall.deputy_ids[:56]
    context = await browser.new_context(base_url=server.url, viewport=HD, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        first = await project_poll(hall, seats=10)
        tied = [52, 50, 49, 47, 45, 44, 41, 38, 36, 33, 33, 21]  # the 10th seat is tied
        for deputy, marks in zip(voters, approval_ballots(56, tied, cap=10)):
            assert await sealed.cast(first, deputy, marks) is ballot_box.Outcome.accepted
        await sealed.close_poll(first, STAFF)
        await Poll.update({Poll.published_at: datetime.now(timezone.utc)}).where(Poll.id == first)
        await page.goto(f"/screen/sessions/{hall.session_id}")
        await expect(page.locator("#winners li")).to_have_count(9)
        await expect(page.locator("#chart-rows .row.runoff")).to_have_count(2)
        await expect(page.locator("#outcome-note")).to_contain_text("另行票决（1 个名额）")
        await both_sizes(page, artifacts, "6-tie")

        further = await polls.open_runoff(first, STAFF)
        await expect(page.locator("#round")).to_have_text("第二轮另行票决 · 2026年度县级民生实事项目票决")
        await expect(page.locator("#phase")).to_have_text("投票进行中")
        await both_sizes(page, artifacts, "7-runoff-voting")
        for i, deputy in enumerate(voters):
            marks = {"P01": "for"} if i < 35 else {"P02": "for"} if i < 52 else {}
            assert await sealed.cast(further, deputy, marks) is ballot_box.Outcome.accepted
        await sealed.close_poll(further, STAFF)
        await Poll.update({Poll.published_at: datetime.now(timezone.utc)}).where(Poll.id == further)
        await expect(page.locator("#winners li")).to_have_count(10)
        await expect(page.locator("#winners li.later-round")).to_have_count(1)
        await expect(page.locator("#winners li").nth(9)).to_contain_text(PROJECTS[9])
        await both_sizes(page, artifacts, "8-runoff-published")

        satisfaction = await project_poll(hall, title="2025年度民生实事项目满意度测评", method="satisfaction")
        for i, deputy in enumerate(voters):
            marks = {f"P{n:02d}": ("satisfied" if (i + n) % 7 < 5 - (n % 4) else
                                   "basically_satisfied" if (i + n) % 7 < 6 else "dissatisfied")
                     for n in range(1, 13)}
            assert await sealed.cast(satisfaction, deputy, marks) is ballot_box.Outcome.accepted
        await sealed.close_poll(satisfaction, STAFF)
        await Poll.update({Poll.published_at: datetime.now(timezone.utc)}).where(Poll.id == satisfaction)
        await expect(page.locator("#phase")).to_have_text("测评结果")
        await expect(page.locator("#chart-rows .row")).to_have_count(12)
        await expect(page.locator("#winners li.verdict")).to_have_count(3)
        await both_sizes(page, artifacts, "9-satisfaction")
    finally:
        await context.close()


async def test_without_the_stream_the_screen_polls_and_says_so(server, browser, artifacts):
    hall = await make_hall(deputies=20)
    poll_id = await hall.poll(candidates=5, seats=3)
    await hall.check_in()
    context = await browser.new_context(base_url=server.url, viewport=HD, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        await page.route("**/events", lambda route: route.abort())
        await page.goto(f"/screen/sessions/{hall.session_id}")
        indicator = page.locator("#conn")
        await expect(indicator).to_be_visible()
        await expect(indicator).to_have_text("连接中断，正在重连…")
        await page.evaluate("window.__sameDocument = true")
        for n, deputy in enumerate(hall.deputy_ids[:2], start=1):
            assert await sealed.cast(poll_id, deputy, {"P01": "for"}) is ballot_box.Outcome.accepted
            await expect(page.locator("#fig-2")).to_have_text(str(n), timeout=8_000)  # a poll every 3 s
        await page.screenshot(path=artifacts / "screen-10-offline-1280.png")

        await page.unroute("**/events")
        await expect(indicator).to_be_hidden(timeout=15_000)  # EventSource came back by itself
        assert await sealed.cast(poll_id, hall.deputy_ids[2], {"P02": "for"}) is ballot_box.Outcome.accepted
        await expect(page.locator("#fig-2")).to_have_text("3", timeout=3_000)
        assert await page.evaluate("window.__sameDocument") is True
    finally:
        await context.close()


async def test_the_screen_survives_a_server_restart(server, browser):
    hall = await make_hall(deputies=20)
    poll_id = await hall.poll(candidates=5, seats=3)
    await hall.check_in()
    context = await browser.new_context(base_url=server.url, viewport=HD, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        await page.goto(f"/screen/sessions/{hall.session_id}")
        await expect(page.locator("#fig-2")).to_have_text("0")
        await page.evaluate("window.__sameDocument = true")
        await asyncio.to_thread(server.stop)
        await expect(page.locator("#conn")).to_be_visible()
        assert await sealed.cast(poll_id, hall.deputy_ids[0], {"P01": "for"}) is ballot_box.Outcome.accepted
        await asyncio.to_thread(server.start)
        await expect(page.locator("#fig-2")).to_have_text("1", timeout=15_000)
        await expect(page.locator("#conn")).to_be_hidden(timeout=15_000)
        assert await page.evaluate("window.__sameDocument") is True
    finally:
        await context.close()
