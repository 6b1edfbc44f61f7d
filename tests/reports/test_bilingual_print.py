"""A congress's second language on paper: the ballot, the tally sheet and the notice print each
text in Chinese and then in the translation the office entered, in the language's own font, and
a ballot stays one sheet. Real WeasyPrint, real PDFs, read back with pypdf.

The translations are made up (tests.bilingual.pseudo): each source gets its own run of letters,
so finding a translation in the text proves that text, and nothing else, was printed."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import ballots, documents
from reports.pdf import render_html
from tests import sealed
from tests.bilingual import OFFICE, pseudo, translate_all
from tests.hall import STAFF, scrutinize
from tests.reports.pages import look
from voting import ballot_box, languages, notices, paper, poll_settings, polls, print_words, sittings, translations
from voting import vocabulary
from voting.errors import Conflict
from voting.languages import fill
from voting.serials import qr_text
from voting.tables import PaperSerial

ROOT = Path(__file__).resolve().parents[2]
FONT_FILES = {"bo": "NotoSerifTibetan", "ug": "NotoNaskhArabic", "ii": "NotoSansYi"}


def flat(text: str) -> str:
    """Text as compared: NFKC (Arabic presentation forms become letters), no white space (pypdf
    puts spaces or line breaks inside a Tibetan stack or between lines at will)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def script(text: str) -> str:
    """Only the letters of the second languages' scripts: pypdf reads a right-to-left line with
    figures in it in the order it was drawn, so the figures are checked apart (in the HTML)."""
    return "".join(ch for ch in flat(text) if any(lang.in_script(ch) for lang in languages.LANGUAGES.values()))


def find(text: str, wanted: str, start: int = 0) -> int:
    """Where the letters of `wanted` are, in order, among those of `text` after `start`, read in
    logical or in visual (reversed) order; -1 if not."""
    letters, wanted = script(text[start:]), script(wanted)
    assert wanted, "a translation without letters proves nothing"
    at = letters.find(wanted)
    return at if at >= 0 else letters.find(wanted[::-1])


def assert_both(text: str, chinese: str, translation: str) -> None:
    """The Chinese is printed, and its translation after it."""
    at = text.find(flat(chinese))
    assert at >= 0, f"{chinese!r} missing"
    assert find(text, translation, at + len(flat(chinese))) >= 0, f"translation of {chinese!r} missing or before it"


def pages_text(content: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def fonts_of(content: bytes) -> set[str]:
    """Every font a PDF's pages draw with, through the forms they draw (a stamped ballot's)."""
    found: set[str] = set()

    def walk(resources) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            found.add(str(font.get_object()["/BaseFont"]).replace("-", ""))  # /ABCDEF+Noto-Serif-Tibetan
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in PdfReader(io.BytesIO(content)).pages:
        walk(page.get("/Resources"))
    return found


async def bilingual_draft(hall, code: str, candidates: int, seats: int, method: str = "approval") -> int:
    poll_id = await hall.poll(candidates=candidates, seats=seats, method=method, open_=False)
    await translate_all(hall.congress_id, code, poll_id)
    return poll_id


async def print_run(poll_id: int, count: int) -> tuple[dict, list[dict], bytes]:
    poll = await polls.get_poll(poll_id)
    candidates = await polls.candidates_of(poll_id)
    serials = await paper.register_print_run(poll_id, count, STAFF)
    content = await ballots.ballots_pdf(poll, candidates, await sittings.session_context(poll["session"]),
                                        [(s, qr_text(poll["ref"], s)) for s in serials])
    return poll, candidates, content


# --- the words ----------------------------------------------------------------------------------

def test_each_form_of_the_rules_sentence_is_a_word_that_fills_in_to_what_the_ballot_prints():
    for method, base, fraction, strict in itertools.product(
            ("approval", "satisfaction"), (*poll_settings.THRESHOLD_BASES,), ("1/2", "2/3", "3/5"), (True, False)):
        poll = {"method": method, "threshold_base": base, "threshold_fraction": fraction, "threshold_strict": strict,
                "seats": 4, "max_approvals": 3 if method == "approval" else None}
        source, figures = print_words.rules_sentence(poll)
        assert source in vocabulary.words_for(method)
        assert fill(source, figures) == poll_settings.describe(poll)
        assert languages.placeholders(source) == set(figures)  # every figure reaches the translation


def test_print_css_sets_each_second_language_in_its_noto_font():
    css = (ROOT / "templates" / "print" / "print.css").read_text(encoding="utf-8")
    for code, lang in languages.LANGUAGES.items():
        rule = re.search(rf":lang\({code}\)\s*{{\s*font-family:\s*\"([^\"]+)\"", css)
        assert rule and rule.group(1) == lang.font


# --- the paper ballot ---------------------------------------------------------------------------

@pytest.mark.parametrize("code, candidates, seats, count", [
    ("bo", 12, 6, 3), ("ug", 12, 6, 3), ("ii", 12, 6, 2), ("bo", 30, 15, 3), ("ug", 30, 15, 3),
])
async def test_a_bilingual_ballot_prints_chinese_then_the_translation_on_one_sheet_per_serial(
        hall, code, candidates, seats, count):
    poll_id = await bilingual_draft(hall, code, candidates, seats)
    poll, rows, content = await print_run(poll_id, count)
    pages = pages_text(content)
    assert len(pages) == count  # one sheet per serial
    serials = [r["serial"] for r in await PaperSerial.select(PaperSerial.serial).where(PaperSerial.poll == poll_id)]
    for page in pages:
        assert sum(s in page for s in serials) == 1
        assert_both(page, poll["title"], pseudo(code, poll["title"]))
        assert_both(page, "选票", pseudo(code, "选票"))
        for label in ("序号", "候选项目", "赞成", "不赞成", "弃权"):
            assert_both(page, label, pseudo(code, label))
        for c in rows:
            assert_both(page, c["title"], pseudo(code, c["title"]))
        source, figures = print_words.rules_sentence(poll)
        assert_both(page, poll_settings.describe(poll), fill(pseudo(code, source), figures))
    assert any(FONT_FILES[code] in font for font in fonts_of(content))
    look(content, f"ballot-{code}-{candidates}", resolution=80)


async def test_a_bilingual_satisfaction_form_prints_its_four_choices_in_both(hall):
    poll_id = await bilingual_draft(hall, "ug", 10, 0, method="satisfaction")
    poll, rows, content = await print_run(poll_id, 2)
    pages = pages_text(content)
    assert len(pages) == 2
    for label in ("满意度测评表", "测评项目", "满意", "基本满意", "不满意", "弃权", rows[-1]["title"]):
        assert_both(pages[0], label, pseudo("ug", label))


async def test_a_chinese_only_ballot_prints_no_second_language(hall):
    poll_id = await hall.poll(candidates=12, seats=6, open_=False)
    poll, rows, content = await print_run(poll_id, 2)
    html = ballots.ballots_html(poll, rows, await sittings.session_context(poll["session"]), [("1", "x")])
    assert 'class="l2"' not in html and " lang=" not in html.split("<body", 1)[1]
    assert not any(name in font for font in fonts_of(content) for name in FONT_FILES.values())
    assert ballots.choose_layout(poll, [c["title"] for c in rows]).name == "roomy"


async def test_a_draft_with_an_untranslated_text_is_refused_before_anything_prints(hall):
    poll_id = await hall.poll(candidates=5, seats=3, open_=False)
    poll = await polls.get_poll(poll_id)
    await translations.set_language(hall.congress_id, "bo", OFFICE, "测试")
    texts = await translations.texts_for_poll(poll)
    await translations.enter(hall.congress_id, {t["source"]: pseudo("bo", t["source"]) for t in texts
                                                if t["source"] not in ("候选项目03", "选票")}, OFFICE)
    candidates = await polls.candidates_of(poll_id)
    session = await sittings.session_context(poll["session"])
    with pytest.raises(Conflict) as refused:
        await ballots.ballots_pdf(poll, candidates, session, [("0001", "x")])
    assert refused.value.code == "translations_missing"
    message = refused.value.message
    assert "藏文" in message and "还有 2 条" in message and "候选项目 3 名称“候选项目03”" in message
    assert "选票用语“选票”" in message and "打印选票" in message
    # The summaries and the tablet's words are not on paper: translating what the ballot shows is enough.
    await translations.enter(hall.congress_id, {s: pseudo("bo", s) for s in ("候选项目03", "选票")}, OFFICE)
    assert len(pages_text(await ballots.ballots_pdf(poll, candidates, session, [("0001", "x")]))) == 1


# --- the tally sheet and the notice -------------------------------------------------------------

async def counted_bilingual_poll(hall, code: str) -> int:
    await hall.check_in()
    poll_id = await hall.poll(candidates=5, seats=2, open_=False)
    await translate_all(hall.congress_id, code, poll_id)
    await hall.reach_quorum(poll_id)
    await sealed.open_poll(poll_id, STAFF)
    plan = [{"P01": "for", "P02": "for"}] * 17 + [{"P03": "for", "P02": "against"}] * 3 + [{}]
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(poll_id, STAFF)
    return poll_id


@pytest.mark.parametrize("code", ["bo", "ug", "ii"])
async def test_the_tally_sheet_and_the_notice_print_both_languages(hall, code):
    poll_id = await counted_bilingual_poll(hall, code)
    poll = await polls.get_poll(poll_id)
    assert poll["second_language"] == code
    result = polls.stored_result(poll)
    candidates = await polls.candidates_of(poll_id)

    tally = await documents.tally_pdf(poll_id)
    text = "".join(pages_text(tally))
    for word in ("计票结果报告单", "选票情况", "应到代表", "各项目得票", "未表态", "确定", "总监票人"):
        assert_both(text, word, pseudo(code, word))
    for c in candidates:
        assert_both(text, c["title"], pseudo(code, c["title"]))
    source, figures = print_words.rules_sentence(poll)
    assert find(text, fill(pseudo(code, source), figures)) >= 0
    assert any(FONT_FILES[code] in font for font in fonts_of(tally))
    look(tally, f"tally-{code}", resolution=80)

    await scrutinize(hall, poll_id)
    notice_id = await notices.issue_notice(poll_id, STAFF)
    notice = await documents.notice_pdf(notice_id)
    text = "".join(pages_text(notice))
    issued = (await notices.get_notice(notice_id))["issued_at"].astimezone(documents.BEIJING).date()
    session = await sittings.session_context(poll["session"])
    opening = "{session}于{year}年{month}月{day}日举行全体会议，以无记名投票方式对《{title}》的{count}个候选项目进行了票决。"
    assert find(text, pseudo(code, opening)) >= 0 and find(text, pseudo(code, poll["title"])) >= 0
    # The figures, the title's translation and the session's name are filled into the translation
    # as into the Chinese (checked in the HTML: pypdf reads a right-to-left line in drawing order).
    html = await documents.notice_html(notice_id)
    name = f'<span class="zh" lang="zh-CN" dir="ltr">{session["name"]}</span>'  # kept whole, left to right
    assert fill(pseudo(code, opening), {"session": name, "year": issued.year, "month": issued.month,
                                        "day": issued.day, "title": pseudo(code, poll["title"]), "count": 5}) in html
    assert fill(pseudo(code, "共发出选票{issued}张，收回{returned}张，其中有效票{valid}张，无效票{invalid}张。"),
                {"issued": poll["issued"], "returned": result["returned"], "valid": result["valid"],
                 "invalid": result["invalid"]}) in html
    for chinese in ("主席团公告", "现予公告。"):
        assert_both(text, chinese, pseudo(code, chinese))
    for ref in result["winners"]:
        title = next(c["title"] for c in candidates if c["ref"] == ref)
        assert_both(text, title, pseudo(code, title))
    assert flat("应到代表30人，实到30人，符合法定人数") in text  # the Chinese reads as it did
    assert any(FONT_FILES[code] in font for font in fonts_of(notice))
    look(notice, f"notice-{code}", resolution=80)


async def test_chinese_only_documents_carry_no_second_language(hall):
    await hall.check_in()
    poll_id = await hall.poll(candidates=5, seats=2)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    await scrutinize(hall, poll_id)
    notice_id = await notices.issue_notice(poll_id, STAFF)
    for html in (await documents.poll_document("tally", poll_id, pdf=False), await documents.notice_html(notice_id)):
        assert 'class="l2"' not in html and "lang=\"" not in html.split("<body", 1)[1]
    assert render_html("print/_bilingual.html").strip() == ""


def test_preflight_asks_for_the_font_of_each_second_language_set():
    from voting import preflight

    cjk = set(preflight.FONTS)
    assert preflight._fonts(cjk).state == preflight.OK
    missing = preflight._fonts(cjk, ("ug",))
    assert missing.state == preflight.FAIL and "Noto Naskh Arabic" in missing.detail
    assert "fonts-noto-core" in missing.detail and "维吾尔文" in missing.detail
    present = preflight._fonts(cjk | {"Noto Naskh Arabic", "Noto Serif Tibetan"}, ("bo", "ug"))
    assert present.state == preflight.OK and "藏文" in present.detail
