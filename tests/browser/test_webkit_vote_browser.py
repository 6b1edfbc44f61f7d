"""The whole vote in WebKit, the engine of every iPad in the hall (the other tests use Chromium).

A deputy logs in with their card's code, checks in, marks a twelve-candidate ballot with plain
WebDriver taps (a tap the page covers, with a sticky bar say, fails the test), reviews and casts;
the box WebKit sealed with the vendored TweetNaCl opens at the count to exactly those marks. The
chief scrutineer then confirms the count on a WebKit tablet: the Ed25519 signature made in the
page checks on the server. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

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
            label.click()
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
    tap(tablet, "确认投票")
    heading(tablet, "您的选票已投入票箱")
    tablet.save_screenshot(str(artifacts / "webkit-03-cast.png"))
    assert await ballot_box.has_voted(poll_id, deputy)

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


async def test_a_uyghur_ballot_in_webkit_reads_right_to_left_and_casts(live_server, webkit, artifacts):
    """The iPad's engine shapes and lays out the second language as Chromium does: the Uyghur under
    each Chinese text, right to left in Noto Naskh Arabic (the tablet's own or the hall's), the
    page's script speaking both languages, and the box opening to the marks tapped."""
    from tests.bilingual import translate_all

    hall = await make_hall(deputies=8)
    poll_id = await hall.poll(candidates=4, seats=1, open_=False)
    entered = await translate_all(hall.congress_id, "ug", poll_id)
    await hall.reach_quorum(poll_id)
    await sealed.open_poll(poll_id, STAFF)
    tablet = webkit()
    log_in(tablet, live_server, hall.codes[hall.deputy_ids[-1]])  # checked in by the quorum
    tablet.get(f"{live_server}/tablet/polls/{poll_id}")
    title = wait_for(tablet, lambda d: d.find_elements("css selector", '[id="c-P02"] .candidate-title .l2'))[0]
    assert title.text == entered["候选项目02"]
    shown = tablet.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.direction, s.fontFamily,"
        " document.fonts.check('20px \"Noto Naskh Arabic\"', arguments[0].textContent)]", title)
    assert shown[0] == "rtl" and shown[1].startswith('"Noto Naskh Arabic"') and shown[2], shown
    tablet.find_element("css selector", '[id="c-P02"] label.choice-for').click()
    counter = tablet.find_element("css selector", ".counter-text")
    wait_for(tablet, lambda d: entered["已赞成 {count} 个 / 最多 {cap} 个"].replace("{count}", "1").replace(
        "{cap}", "1") in counter.text)
    tablet.save_screenshot(str(artifacts / "webkit-ug-ballot.png"))
    next(b for b in tablet.find_elements("css selector", "button.to-review")).click()
    mark = wait_for(tablet, lambda d: [m for m in d.find_elements("css selector", '.review-row[data-ref="P02"] .mark')
                                       if m.is_displayed()])[0]
    tablet.save_screenshot(str(artifacts / "webkit-ug-review.png"))
    assert mark.text.startswith("赞成") and mark.find_element("css selector", ".l2").text == entered["赞成"]
    next(b for b in tablet.find_elements("css selector", ".cast-form button")).click()
    heading(tablet, "您的选票已投入票箱")
    assert entered["您的选票已投入票箱。"] in tablet.find_element("css selector", "h1").text
    tablet.save_screenshot(str(artifacts / "webkit-ug-done.png"))
    result = await sealed.close_poll(poll_id, STAFF)
    assert {c["id"]: c["for"] for c in result["candidates"]}["P02"] == 1
