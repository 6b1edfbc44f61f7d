"""A congress's second language: a poll shows only what its translation office entered, opens
only when every text it shows has a translation, and keeps the words it opened with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.bilingual import OFFICE, pseudo, translate_all
from tests.hall import STAFF
from voting import ballot_box, help_requests, languages, polls, translations, vocabulary
from voting.errors import Conflict, Refused
from voting.tables import AuditEntry, Poll, Translation

ROOT = Path(__file__).resolve().parents[2]


async def test_a_poll_does_not_open_while_a_text_it_shows_has_no_translation(hall):
    poll_id = await hall.poll(candidates=4, open_=False)
    await hall.reach_quorum(poll_id)
    await translations.set_language(hall.congress_id, "ug", OFFICE, "本县为维吾尔族聚居区")
    from tests import sealed
    await sealed.give_key(poll_id)
    opened_before = await AuditEntry.count().where(AuditEntry.action == "poll_opened")

    with pytest.raises(Conflict) as refused:
        await polls.open_poll(poll_id, STAFF)
    assert refused.value.code == "translations_missing"
    poll = await polls.get_poll(poll_id)
    needed = len(await translations.texts_for_poll(poll))
    assert f"还有 {needed} 条文字没有维吾尔文译文" in refused.value.message
    assert "候选项目 1 名称“候选项目01”" in refused.value.message
    assert poll["status"] == "draft" and await AuditEntry.count().where(AuditEntry.action == "poll_opened") == opened_before

    # All but one translated: still refused, and the one is named.
    texts = await translations.texts_for_poll(poll)
    last = next(t for t in texts if t["source"] == "候选项目04")
    await translations.enter(hall.congress_id, {t["source"]: pseudo("ug", t["source"]) for t in texts if t is not last},
                             OFFICE)
    with pytest.raises(Conflict) as refused:
        await polls.open_poll(poll_id, STAFF)
    assert "还有 1 条" in refused.value.message and "候选项目04" in refused.value.message

    await translations.enter(hall.congress_id, {"候选项目04": pseudo("ug", "候选项目04")}, OFFICE)
    await polls.open_poll(poll_id, STAFF)
    opened = await polls.get_poll(poll_id)
    assert opened["status"] == "open" and opened["second_language"] == "ug"
    assert opened["translations_upto"] == max(r["id"] for r in await Translation.select(Translation.id))


async def test_a_chinese_only_congress_opens_as_before_and_shows_no_second_language(hall):
    poll_id = await hall.poll(candidates=3, seats=2)
    poll = await polls.get_poll(poll_id)
    assert poll["second_language"] == "" and poll["translations_upto"] is None
    shown = await translations.for_poll(poll)
    assert not shown and shown("赞成") == "赞成"


async def test_an_open_poll_keeps_the_words_it_opened_with_and_a_changed_one_needs_a_reason(hall):
    poll_id = await hall.poll(candidates=3, seats=2, open_=False)
    entered = await translate_all(hall.congress_id, "bo", poll_id)
    await hall.reach_quorum(poll_id)
    from tests import sealed
    await sealed.open_poll(poll_id, STAFF)
    title = "候选项目02"
    better = "ལམ་བཟོ་བ།"

    with pytest.raises(Refused) as refused:
        await translations.enter(hall.congress_id, {title: better}, OFFICE)
    assert "修改须写明理由" in refused.value.message and "已开始的票决仍按原译文显示和打印" in refused.value.message
    assert (await translations.for_congress(hall.congress_id)).second(title) == entered[title]

    assert await translations.enter(hall.congress_id, {title: better}, OFFICE, reason="译文有误，经翻译室复核更正") == 1
    assert (await translations.for_congress(hall.congress_id)).second(title) == better
    assert (await translations.for_poll(await polls.get_poll(poll_id))).second(title) == entered[title]
    rows = [r for r in (await translations.history(hall.congress_id, "bo"))[title]]
    assert [r["text"] for r in rows] == [entered[title], better]  # nothing overwritten: a correction is a new row
    assert rows[-1]["reason"] == "译文有误，经翻译室复核更正"
    entry = await AuditEntry.select().where(AuditEntry.action == "translations_entered").order_by(
        AuditEntry.id, ascending=False).first()
    assert entry["reason"] == "译文有误，经翻译室复核更正" and json.loads(entry["detail"])["changed"] == 1


@pytest.mark.parametrize(("code", "typed", "said"), [
    ("bo", "赞成", "不属于藏文的字符"),
    ("ug", "qoshulimen", "不属于维吾尔文的字符"),
    ("ii", "  ", "译文是空的"),
    ("ug", "قوشۇلىمەن \u202eباش", "改变文字方向的控制字符"),
    ("bo", "༡༢", "译文里没有藏文"),
])
def test_a_translation_in_the_wrong_script_or_empty_is_refused(code, typed, said):
    why = languages.refusal(languages.LANGUAGES[code], "赞成", languages.normalised(typed))
    assert why and said in why


def test_a_translation_must_keep_the_figures_the_software_fills_in():
    ug = languages.LANGUAGES["ug"]
    source = "已赞成 {count} 个 / 最多 {cap} 个"
    assert languages.refusal(ug, source, "{count} / {cap} قوشۇلدى") is None
    lost = languages.refusal(ug, source, "{count} قوشۇلدى")
    assert lost and "缺少 {cap}" in lost
    extra = languages.refusal(ug, source, "{count} / {cap} / {seats} قوشۇلدى")
    assert extra and "多出 {seats}" in extra


async def test_entering_is_all_or_nothing_and_names_each_refused_text(hall):
    await hall.poll(candidates=2, seats=1, open_=False)
    await translations.set_language(hall.congress_id, "ug", OFFICE)
    before = await Translation.count()
    with pytest.raises(Refused) as refused:
        await translations.enter(hall.congress_id, {"赞成": "قوشۇلىمەن", "不赞成": "不同意",
                                                    "已赞成 {count} 个 / 最多 {cap} 个": "قوشۇلدى",
                                                    "这不是任何地方的文字": "قوشۇلىمەن"}, OFFICE)
    said = refused.value.message
    assert "“不赞成”：译文里有不属于维吾尔文的字符" in said and "缺少 {cap}、{count}" in said
    assert "“这不是任何地方的文字”不是需要翻译的文字" in said and "。。" not in said
    assert await Translation.count() == before


async def test_a_congress_without_a_second_language_cannot_take_translations(hall):
    with pytest.raises(Refused) as refused:
        await translations.enter(hall.congress_id, {"赞成": "قوشۇلىمەن"}, OFFICE)
    assert refused.value.code == "no_second_language"
    with pytest.raises(Refused):
        await translations.set_language(hall.congress_id, "xx", OFFICE)


async def test_setting_the_language_is_audited_with_its_reason(hall):
    await translations.set_language(hall.congress_id, "ii", OFFICE, "本县为彝族自治县")
    entry = await AuditEntry.select().where(AuditEntry.action == "second_language_set").order_by(
        AuditEntry.id, ascending=False).first()
    assert json.loads(entry["detail"]) == {"before": "无（只用中文）", "after": "彝文"} and entry["reason"] == "本县为彝族自治县"


async def test_a_runoff_opens_at_once_with_its_title_made_of_the_entered_translations(hall):
    from tests import sealed

    poll_id = await hall.poll(candidates=3, seats=1, open_=False, threshold_base="none")
    entered = await translate_all(hall.congress_id, "ug", poll_id)
    await hall.reach_quorum(poll_id)
    await sealed.open_poll(poll_id, STAFF)
    await hall.check_in()
    for deputy in hall.deputy_ids[:10]:  # 候选项目01 and 02 tie
        await sealed.cast(poll_id, deputy, {"P01": "for"} if deputy % 2 else {"P02": "for"})
    result = await sealed.close_poll(poll_id, STAFF)
    if not result.get("runoff"):
        pytest.skip("the deputies' ids did not split evenly")
    runoff_id = await polls.open_runoff(poll_id, STAFF)
    runoff = await polls.get_poll(runoff_id)
    assert runoff["status"] == "open" and runoff["second_language"] == "ug"
    shown = await translations.for_poll(runoff)
    title = await polls.get_poll(poll_id)
    assert shown.second(runoff["title"]) == languages.fill(entered[translations.RUNOFF], {"title": entered[title["title"]]})


def test_every_word_the_pages_ask_for_is_one_a_congress_is_asked_to_translate():
    """A template's bi("…") that is not in voting.vocabulary would fail on the page, and no
    congress would be asked to translate it; every message the ballot box answers is there too."""
    asked = set()
    for template in (ROOT / "templates").rglob("*.html"):
        asked.update(re.findall(r'\bbi\("([^"]+)"', template.read_text(encoding="utf-8")))
    assert asked and not asked - vocabulary.ALL, asked - vocabulary.ALL
    told = {m.removeprefix("已投票：") for m in ballot_box.OUTCOME_MESSAGES.values()}
    assert not told - vocabulary.ALL, told - vocabulary.ALL
    assert {help_requests.ASKED, help_requests.ALREADY} <= vocabulary.ALL
