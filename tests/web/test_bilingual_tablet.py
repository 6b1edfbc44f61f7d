"""The tablet in a congress's second language: every word a deputy reads to vote, and each
candidate's title and summary, in Chinese first and then the translation, marked with its language
and direction; the fonts served by the hall; a Chinese-only congress's tablet unchanged."""

from __future__ import annotations

import html
import re

import httpx

from tests.bilingual import open_bilingual, translate_all
from tests.hall import STAFF, login_deputy
from tests import sealed
from voting import help_requests, polls, translations, vocabulary


async def tablet_of(hall, deputy: int) -> httpx.AsyncClient:
    from app import app

    tablet = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 50200 + deputy)),
                               base_url="http://hall.local")
    await login_deputy(tablet, hall.codes[deputy])
    return tablet


def second_language_spans(page: str, code: str, direction: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(
        rf'<span class="l2" lang="{code}" dir="{direction}">([^<]*)</span>', page)]


async def test_the_ballot_shows_every_text_in_chinese_then_in_uyghur_right_to_left(hall):
    poll_id, entered = await open_bilingual(hall, "ug", candidates=5, seats=2)
    deputy = hall.deputy_ids[0]
    await hall.check_in(deputy)
    tablet = await tablet_of(hall, deputy)
    try:
        home = (await tablet.get("/tablet")).text
        shown = second_language_spans(home, "ug", "rtl")
        for word in ("代表票决", "请求协助", "退出", "签到", "票决", "进入投票"):
            assert entered[word] in shown, word
        name = (await polls.get_poll(poll_id))["title"]
        assert f"{html.escape(name)} <span class=\"l2\" lang=\"ug\" dir=\"rtl\">{html.escape(entered[name])}</span>" in home
        assert '<link rel="stylesheet" href="/static/bilingual.css">' in home

        page = (await tablet.get(f"/tablet/polls/{poll_id}")).text
        shown = second_language_spans(page, "ug", "rtl")
        for n in range(1, 6):  # each candidate's title and summary, Chinese first
            title, summary = f"候选项目{n:02d}", f"第 {n} 个项目的简介"
            assert re.search(rf'<h2 class="candidate-title">{title} <span class="l2" lang="ug" dir="rtl">'
                             rf'{re.escape(html.escape(entered[title]))}</span></h2>', page), title
            assert entered[summary] in shown
        for word in ("赞成", "不赞成", "弃权", "清除此项选择", "下一步：核对选票", "请核对您的选票", "返回修改", "确认投票"):
            assert entered[word] in shown, word
        instructions = "请对每个候选项目选择“赞成”“不赞成”或“弃权”。应选 {seats} 个，赞成最多 {cap} 个；不选视为未表态。"
        assert entered[instructions].replace("{seats}", "2").replace("{cap}", "2") in shown  # figures in both
        # what the page's script says later is there in both languages, its figures left to fill in
        counter = re.search(r'<template class="said" data-said="counter">(.*?)</template>', page, re.S).group(1)
        assert "已赞成 {count} 个 / 最多 2 个" in counter and entered["已赞成 {count} 个 / 最多 {cap} 个"].replace(
            "{cap}", "2") in html.unescape(counter)
        for said in ("over-cap", "unmarked", "mark-for", "mark-against", "mark-abstain", "mark-none", "sending"):
            assert f'data-said="{said}"' in page, said
        assert f'data-said="{html.escape(help_requests.ASKED)}"' in page

        # Cast as the tablet does: the page it ends on is in both languages too.
        from tests.hall import cast_on_tablet
        done = await cast_on_tablet(tablet, poll_id, {"P01": "for"})
        assert entered["您的选票已投入票箱。"] in second_language_spans(done.text, "ug", "rtl")
        again = await tablet.get(f"/tablet/polls/{poll_id}")
        assert entered["您在本次票决中已经投过票，不能再次投票。"] in second_language_spans(again.text, "ug", "rtl")
    finally:
        await tablet.aclose()


async def test_an_open_ballot_keeps_the_translation_it_opened_with(hall):
    """A translation changed while the poll is open reaches the next poll, not the deputies voting
    now: paper and tablets of one poll read the same words."""
    poll_id, entered = await open_bilingual(hall, "bo", candidates=3, seats=1)
    from tests.bilingual import OFFICE
    await translations.enter(hall.congress_id, {"候选项目01": "ལམ་བཟོ་བ།"}, OFFICE, reason="更正")
    deputy = hall.deputy_ids[1]
    await hall.check_in(deputy)
    tablet = await tablet_of(hall, deputy)
    try:
        page = (await tablet.get(f"/tablet/polls/{poll_id}")).text
        shown = second_language_spans(page, "bo", "ltr")
        assert entered["候选项目01"] in shown and "ལམ་བཟོ་བ།" not in shown
    finally:
        await tablet.aclose()


async def test_a_chinese_only_congress_tablet_has_no_second_language(hall):
    poll_id = await hall.poll(candidates=3, seats=2)
    deputy = hall.deputy_ids[2]
    await hall.check_in(deputy)
    tablet = await tablet_of(hall, deputy)
    try:
        for path in ("/tablet", f"/tablet/polls/{poll_id}"):
            page = (await tablet.get(path)).text
            assert 'class="l2"' not in page and "bilingual.css" not in page and 'class="said"' not in page
        page = (await tablet.get(f"/tablet/polls/{poll_id}")).text
        assert "应选 <b>2</b> 个，<b>赞成最多 2 个</b>" in page  # the Chinese ballot as it was
    finally:
        await tablet.aclose()


async def test_the_hall_serves_each_script_s_font_to_tablets_that_lack_it(client):
    for code in ("bo", "ug", "ii"):
        font = await client.get(f"/tablet/fonts/{code}.ttf")
        assert font.status_code == 200 and font.headers["content-type"] == "font/ttf"
        assert font.content[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true") and len(font.content) > 50_000
    for wrong in ("xx.ttf", "bo", "..%2F..%2Fetc%2Fpasswd"):
        assert (await client.get(f"/tablet/fonts/{wrong}")).status_code == 404


def test_the_vocabulary_has_each_word_once_per_method():
    for method in vocabulary.METHODS:
        words = vocabulary.words_for(method)
        assert len(words) == len(set(words))


async def test_the_published_result_names_the_projects_in_both_languages(hall):
    from tests.hall import scrutinize

    poll_id, entered = await open_bilingual(hall, "bo", candidates=3, seats=1, threshold_base="none")
    deputy = hall.deputy_ids[3]
    await hall.check_in(deputy)
    await sealed.cast(poll_id, deputy, {"P02": "for"})
    await sealed.close_poll(poll_id, STAFF)
    await scrutinize(hall, poll_id)
    tablet = await tablet_of(hall, deputy)
    try:
        page = (await tablet.get(f"/tablet/results/{poll_id}")).text
        shown = second_language_spans(page, "bo", "ltr")
        title = (await polls.get_poll(poll_id))["title"]
        assert entered[title] in shown
        assert re.search(r'<span class="chosen-title">候选项目02 <span class="l2" lang="bo" dir="ltr">'
                         + re.escape(html.escape(entered["候选项目02"])), page)
        assert all(entered[f"候选项目0{n}"] in shown for n in (1, 2, 3))
    finally:
        await tablet.aclose()


async def test_the_console_prints_no_ballot_of_a_poll_with_an_untranslated_text_and_registers_no_serial(client, hall):
    """A refused print must not leave serials registered as printed: they would be counted
    missing at the count."""
    from tests.bilingual import OFFICE
    from tests.hall import csrf_of, login_staff
    from voting.tables import PaperSerial

    poll_id = await hall.poll(candidates=3, seats=2, open_=False)
    entered = await translate_all(hall.congress_id, "ug", poll_id)
    await polls.update_poll(poll_id, polls.settings_of(await polls.get_poll(poll_id), [
        {**c, "title": "新增项目" if c["position"] == 3 else c["title"]} for c in await polls.candidates_of(poll_id)]),
        STAFF, "候选项目更名")
    await login_staff(client)
    refused = await client.post(f"/console/polls/{poll_id}/paper-ballots",
                                data={"_csrf_token": csrf_of(client), "count": "5"})
    assert refused.status_code == 409 and "新增项目" in refused.text and "没有维吾尔文译文" in refused.text
    assert await PaperSerial.count().where(PaperSerial.poll == poll_id) == 0
    await translations.enter(hall.congress_id, {"新增项目": entered["候选项目03"]}, OFFICE)
    printed = await client.post(f"/console/polls/{poll_id}/paper-ballots",
                                data={"_csrf_token": csrf_of(client), "count": "5"})
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    assert await PaperSerial.count().where(PaperSerial.poll == poll_id) == 5


async def test_a_satisfaction_form_on_the_tablet_is_in_both_languages_too(hall):
    poll_id, entered = await open_bilingual(hall, "ii", candidates=3, method="satisfaction")
    deputy = hall.deputy_ids[4]
    await hall.check_in(deputy)
    tablet = await tablet_of(hall, deputy)
    try:
        page = (await tablet.get(f"/tablet/polls/{poll_id}")).text
        shown = second_language_spans(page, "ii", "ltr")
        for word in ("满意", "基本满意", "不满意", "弃权", "请对每个项目选择“满意”“基本满意”“不满意”或“弃权”。"):
            assert entered[word] in shown, word
        assert 'class="counter' not in page  # no approvals to count on a satisfaction form
    finally:
        await tablet.aclose()
