"""The whole vote in WebKit, the engine of every iPad in the hall (the other tests use Chromium).

A deputy logs in with their card's code, checks in, marks a twelve-candidate ballot with plain
WebDriver taps (a tap the page covers, with a sticky bar say, fails the test), reviews and casts;
the box WebKit sealed with the vendored TweetNaCl opens at the count to exactly those marks. The
chief scrutineer then confirms the count on a WebKit tablet: the Ed25519 signature made in the
page checks on the server. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import time

import pytest

from tests import sealed
from tests.hall import STAFF, make_hall
from voting import ballot_box, polls, scrutiny, signed_seal
from voting.tables import Confirmation

pytestmark = pytest.mark.browser

CANDIDATES, CAP = 12, 3
MARKS = {"P01": "for", "P02": "against", "P03": "abstain", "P05": "for", "P06": "against", "P08": "abstain",
         "P10": "against", "P11": "abstain", "P12": "for"}  # P04, P07, P09 left unmarked


def wait_for(driver, what, timeout: float = 10.0):
    """Poll `what(driver)` until it is truthy; a node replaced meanwhile (htmx refreshes the tablet's
    status part) is looked for again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(what)


def tap(driver, text: str) -> None:
    """Tap the button or link reading `text` (found again if the page replaced it meanwhile)."""
    def tapped(d) -> bool:
        found = next((b for b in d.find_elements("css selector", "button, a")
                      if b.text.strip() == text and b.is_displayed()), None)
        if found is None:
            return False
        found.click()
        return True

    wait_for(driver, tapped)


def heading(driver, text: str):
    return wait_for(driver, lambda d: next((h for h in d.find_elements("css selector", "h1, h2")
                                            if text in h.text), None))


def log_in(driver, base: str, code: str) -> None:
    driver.get(base + "/tablet/login")
    wait_for(driver, lambda d: d.find_elements("id", "code"))[0].send_keys(code)
    tap(driver, "登录")
    wait_for(driver, lambda d: re.search(r"/tablet/?$", d.current_url))


async def test_a_deputy_votes_and_a_scrutineer_confirms_in_webkit(live_server, webkit, artifacts):
    from selenium.common.exceptions import ElementClickInterceptedException

    hall = await make_hall(deputies=10)
    poll_id = await hall.poll(candidates=CANDIDATES, seats=CAP)
    deputy, others = hall.deputy_ids[0], hall.deputy_ids[1:4]  # the quorum came in from the end of the roll
    await hall.check_in(*others)
    for other in others:
        assert await sealed.cast(poll_id, other, {"P04": "for"}) is ballot_box.Outcome.accepted

    tablet = webkit()
    log_in(tablet, live_server, hall.codes[deputy])
    tap(tablet, "签到")
    wait_for(tablet, lambda d: "已签到" in d.find_element("tag name", "body").text)
    tap(tablet, "进入投票")
    wait_for(tablet, lambda d: d.current_url.endswith(f"/tablet/polls/{poll_id}"))
    assert len(tablet.find_elements("css selector", ".candidate")) == CANDIDATES
    tablet.save_screenshot(str(artifacts / "webkit-01-ballot.png"))

    # Every choice tapped as a finger would, where WebDriver scrolls it to: nothing may cover it.
    for ref, value in MARKS.items():
        label = tablet.find_element("css selector", f'[id="c-{ref}"] label.choice-{value}')
        try:
            print("TRY", ref, value, tablet.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, r.width, r.height, innerHeight, scrollY, getComputedStyle(arguments[0]).display]", label))
            label.click()
        except Exception as e:
            print("AFTER", type(e).__name__, tablet.execute_script("const r = arguments[0].getBoundingClientRect(); const x=(r.left+r.right)/2, y=(r.top+r.bottom)/2; const el=document.elementFromPoint(x,y); return [r.top, r.bottom, r.left, r.right, innerHeight, innerWidth, scrollY, document.documentElement.scrollHeight, document.body.scrollHeight, getComputedStyle(document.body).overflow, getComputedStyle(document.documentElement).overflow, getComputedStyle(document.documentElement).height]", label))
            raise
        except ElementClickInterceptedException as covered:
            pytest.fail(f"the {value} choice of {ref} is covered where WebKit scrolls it: {covered.msg}")
        radio = tablet.find_element("css selector", f'[id="c-{ref}"] input[value="{value}"]')
        wait_for(tablet, lambda d: radio.is_selected())
    counter = tablet.find_element("css selector", ".counter .counter-value")
    assert counter.text == str(CAP)
    assert not tablet.find_element("css selector", '[id="c-P04"] input[value="for"]').is_enabled()  # the cap

    tap(tablet, "下一步：核对选票")
    heading(tablet, "请核对您的选票")
    rows = tablet.find_elements("css selector", ".review-row .mark")
    assert [r.text for r in rows] == [{"for": "赞成", "against": "不赞成", "abstain": "弃权"}.get(
        MARKS.get(f"P{n:02d}", ""), "未选择（未表态）") for n in range(1, CANDIDATES + 1)]
    tablet.save_screenshot(str(artifacts / "webkit-02-review.png"))
    started = time.monotonic()
    tap(tablet, "确认投票")
    heading(tablet, "您的选票已投入票箱")
    cast_seconds = time.monotonic() - started
    tablet.save_screenshot(str(artifacts / "webkit-03-cast.png"))
    assert await ballot_box.has_voted(poll_id, deputy)
    assert cast_seconds < 10, cast_seconds  # sealing, sending and the page that follows, in WebKit

    # The box WebKit sealed opens at the count to exactly the marks tapped.
    result = await sealed.close_poll(poll_id, STAFF)
    tallies = {c["id"]: c for c in result["candidates"]}
    for ref in (f"P{n:02d}" for n in range(1, CANDIDATES + 1)):
        expected = {"for": 3 if ref == "P04" else 0, "against": 0, "abstain": 0}
        if ref in MARKS:
            expected[MARKS[ref]] += 1
        assert {k: tallies[ref][k] for k in expected} == expected, ref
    assert result["returned"] == 4 and result["invalid"] == 0

    # The chief scrutineer signs the count on a WebKit tablet.
    chief = hall.deputy_ids[1]
    await scrutiny.set_members(hall.session_id, chief, [hall.deputy_ids[2]], [], STAFF)
    signer = webkit()
    log_in(signer, live_server, hall.codes[chief])
    signer.get(live_server + "/tablet/scrutiny")
    tap(signer, "确认计票结果")
    alert = wait_for(signer, lambda d: _alert(d))
    alert.accept()
    wait_for(signer, lambda d: "您已确认" in d.find_element("tag name", "body").text)
    stored = await Confirmation.select().where(Confirmation.poll == poll_id).first()
    assert stored["how"] == "tablet"
    assert signed_seal.signature_valid(stored["public_key"], stored["statement"], stored["signature"])
    kept = signer.execute_script("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert stored["public_key"] not in kept and "signing-key" not in kept
    signer.save_screenshot(str(artifacts / "webkit-04-confirmed.png"))
    assert polls.stored_result(await polls.get_poll(poll_id))["returned"] == 4


def _alert(driver):
    from selenium.common.exceptions import NoAlertPresentException

    try:
        return driver.switch_to.alert
    except NoAlertPresentException:
        return None
