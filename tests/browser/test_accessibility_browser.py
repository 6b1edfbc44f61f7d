"""Accessibility, checked by axe-core (WCAG 2.2 A/AA and best practice) in Chromium over the pages
every audience sees: the public site, the secretariat's console and a deputy's tablet on the demo's
year (data in every stage), walked link by link, plus the vote itself step by step, the big screen
and error states. A violation fails the test, listed by page and rule.

axe-core comes from the npm registry (tests/browser/axe, pinned by its lock file; `make test`
installs it) and is used only here: the app never serves it. The pages' Content-Security-Policy
forbids injected scripts, so the test's browser context bypasses it, as a browser extension would.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.async_api import Error as PlaywrightError, expect

from tests.browser.conftest import ROOT
from tests.browser.test_hall_browser import DESKTOP, TABLET, tablet_login
from tests.demo_site import demo_logins, load_demo, serving
from tests.hall import make_hall
from tests.needs import missing

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Links the walk does not follow: leaving, files (PDF, spreadsheets, photos, feeds) and forms' targets.
NOT_PAGES = re.compile(r"/logout|[./](pdf|csv|xlsx|zip|json|png|jpe?g|svg)(\?|$)|/(download|export|files?|photos?|"
                       r"attachments/\d+$|data(/|$)|state$)|/static/|/healthz|/trust\.crt")
BALLOT = ("wcag2aaa",)  # the ballot is read by everyone: enhanced contrast (7:1) too
PER_SHAPE, MOST = 2, 60  # pages of the same shape (ids aside), pages per audience


@dataclass
class Findings:
    pages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def report(self) -> str:
        return f"{len(self.violations)} violations on {len(self.pages)} pages:\n" + "\n".join(self.violations)


def axe_script() -> str:
    if not AXE.exists():
        missing(f"{AXE.relative_to(ROOT)} is not installed (make setup runs npm ci in tests/browser/axe)")
    return AXE.read_text(encoding="utf-8")


async def audit(page, label: str, findings: Findings, extra: tuple[str, ...] = ()) -> None:
    """Run axe on what the page shows now (with `extra` tags, such as wcag2aaa for the ballot);
    each violation becomes one line naming the page."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=axe_script())
    found = await page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            where: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " · " + (n.failureSummary || "").split("\\n")[1])}));
    }""", [*TAGS, *extra])
    findings.pages.append(label)
    for v in found:
        findings.violations.append(f"{label}: [{v['impact']}] {v['id']} ({v['help']}) at " + " | ".join(v["where"]))


def shape(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"[0-9A-Z]{4}-[0-9A-Z]{4}", "CODE", parts.path)  # a tracking or project code is an id too
    return re.sub(r"\d+", "N", path) + "?" + ",".join(sorted(re.findall(r"([^&=]+)=", parts.query)))


async def walk(page, base: str, starts: list[str], label: str, findings: Findings) -> None:
    """Visit the pages reachable from `starts` by links within the audience's own part of the site
    (the first path segment of the starts: /public, /console, /tablet), a few of each shape, and
    audit each one."""
    own = {"/" + urlsplit(s).path.strip("/").split("/")[0] for s in starts}
    queue, seen, shapes, visited = [urljoin(base, s) for s in starts], set(), Counter(), 0
    while queue and visited < MOST:
        url = queue.pop(0).split("#")[0]
        parts = urlsplit(url)
        if url in seen or not url.startswith(base) or NOT_PAGES.search(parts.path + "?" + parts.query) \
                or "/" + parts.path.strip("/").split("/")[0] not in own:
            continue
        seen.add(url)
        if shapes[shape(url)] >= PER_SHAPE:
            continue
        shapes[shape(url)] += 1
        try:
            response = await page.goto(url)
        except PlaywrightError as error:  # a link to a file the walk did not know for one
            assert "Download is starting" in str(error), error
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited += 1
        await audit(page, f"{label} {url.removeprefix(base)}", findings)
        for href in await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            if href.startswith(base) and href.split("#")[0] not in seen:
                queue.append(href)


@pytest.fixture(scope="module")
async def demo(tmp_path_factory):
    """The demo (`make run`'s data) on its own SQLite database, served."""
    env = {**os.environ, "PIAOJUE_DATA": str(tmp_path_factory.mktemp("a11y-demo")), "PIAOJUE_DEMO": "1"}
    env.pop("DATABASE_URL", None)
    await asyncio.to_thread(load_demo, env)
    with serving(env) as server:
        yield env, server.url


async def test_every_page_of_the_demo_passes_axe_for_every_audience(demo, browser, artifacts):
    env, url = demo
    findings = Findings()
    public = await browser.new_context(base_url=url, bypass_csp=True, **DESKTOP)
    page = await public.new_page()
    await walk(page, url, ["/public", "/public/proposals", "/public/projects", "/public/track?code=NOSUCHCODE",
                           "/public/no-such-page"], "公众", findings)
    for start in ("/console/login", "/tablet/login", "/trust"):
        await page.goto(start)
        await audit(page, f"公众 {start}", findings)
    await page.goto("/public/propose")
    if await page.get_by_role("button", name=re.compile("提交")).count():
        await page.get_by_role("button", name=re.compile("提交")).first.click()  # empty: the errors' page
        await audit(page, "公众 提交空建议后", findings)
    await public.close()

    console = await browser.new_context(base_url=url, bypass_csp=True, **DESKTOP)
    page = await console.new_page()
    await page.goto("/console/login")
    await page.get_by_label("用户名").fill("mishu")
    await page.get_by_label("密码").fill("wrong-password")
    await page.get_by_role("button", name="登录").click()
    await audit(page, "秘书处 登录失败", findings)
    await page.get_by_label("用户名").fill("mishu")
    await page.get_by_label("密码").fill("qingxi2025")
    await page.get_by_role("button", name="登录").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))
    await walk(page, url, ["/console", "/console/dashboard", "/console/proposals", "/console/projects",
                           "/console/rounds", "/console/audit", "/console/notifications"], "秘书处", findings)
    await console.close()

    tablet = await browser.new_context(base_url=url, bypass_csp=True, **TABLET)
    page = await tablet.new_page()
    await page.goto("/tablet/login")
    await page.locator("#code").press_sequentially("0000 0000")
    await page.get_by_role("button", name="登录", exact=True).click()
    await audit(page, "代表 登录码错误", findings)
    code = next(iter(demo_logins(env).values()))
    await tablet_login(page, code)
    await walk(page, url, ["/tablet"], "代表平板", findings)
    await tablet.close()

    print(f"axe over {len(findings.pages)} pages:\n" + "\n".join(findings.pages))
    assert len(findings.pages) >= 40, findings.pages  # the walk really went through the site
    assert not findings.violations, findings.report()


async def test_the_whole_vote_on_a_tablet_and_the_big_screen_pass_axe(live_server, browser, artifacts):
    hall = await make_hall(deputies=5)
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, seats=2)
    findings = Findings()
    context = await browser.new_context(base_url=live_server, bypass_csp=True, **TABLET)
    page = await context.new_page()
    await tablet_login(page, hall.codes[hall.deputy_ids[0]])
    await audit(page, "平板 首页（有正在进行的票决）", findings)
    await page.goto(f"/tablet/polls/{poll_id}")
    await audit(page, "选票 未填", findings, BALLOT)
    for n, value in enumerate(("for", "against", "abstain")):  # each choice's colour, marked
        await page.locator(f"li.candidate:nth-child({n + 1}) label.choice-{value}").click()
    await audit(page, "选票 已选三项", findings, BALLOT)
    await page.get_by_role("button", name="下一步：核对选票").click()
    await expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    await audit(page, "选票 核对", findings, BALLOT)
    await page.get_by_role("button", name=re.compile("确认投票")).click()
    await expect(page.get_by_text(re.compile("已投票|投票成功")).first).to_be_visible()
    await audit(page, "选票 已投", findings, BALLOT)
    await page.goto(f"/tablet/polls/{poll_id}")
    await audit(page, "选票 再次打开（已投过）", findings)
    await context.close()

    screen = await browser.new_context(base_url=live_server, bypass_csp=True, **DESKTOP)
    page = await screen.new_page()
    await page.goto(f"/screen/sessions/{hall.session_id}")
    await page.wait_for_load_state("networkidle")
    await audit(page, "大屏幕 投票进行中", findings)
    await screen.close()
    assert not findings.violations, findings.report()
