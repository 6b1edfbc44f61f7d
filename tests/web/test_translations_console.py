"""双语 in the console, through HTTP: the secretariat sets a congress's second language, the
translation office sees every text a poll shows and what is missing, enters translations on the
page or through a spreadsheet, and a poll opens only once every text it shows has one."""

from __future__ import annotations

import html
import io
import json
import re
from html.parser import HTMLParser

from tests import sealed
from tests.bilingual import pseudo, translate_all
from tests.hall import STAFF, csrf_of, key_ceremony_on_console, login_deputy, login_staff
from voting import polls, translations, vocabulary
from voting.tables import AuditEntry, Translation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FormFields(HTMLParser):
    """The fields of the page's 译文 form as a browser would send them: each textarea's text and
    each hidden input's value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.fields: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str]] = {}  # a textarea's attributes (lang, dir)
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = attrs.get("id") == "texts"
        elif self.inside and tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif self.inside and tag == "input" and attrs.get("name") == "reason":
            self.fields["reason"] = attrs.get("value", "")
        elif self.inside and tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""
            self.attrs[self._textarea] = attrs

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def texts_form(page_text: str) -> FormFields:
    parser = FormFields()
    parser.feed(page_text)
    assert parser.fields, page_text[-1500:]
    return parser


def field(source: str) -> str:
    return "t-" + translations.source_hash(source)


def page_of(hall) -> str:
    return f"/console/congresses/{hall.congress_id}/translations"


async def stored(congress_id: int) -> int:
    return await Translation.count().where(Translation.congress == congress_id)


async def poll_and_language(hall, code: str = "bo") -> dict:
    poll_id = await hall.poll(candidates=3, seats=1, open_=False, title="2027年测试县民生实事项目票决")
    await translations.set_language(hall.congress_id, code, STAFF, "测试")
    return await polls.get_poll(poll_id)


async def test_the_secretariat_sets_the_language_and_sees_every_text_to_translate(client, hall):
    poll_id = await hall.poll(candidates=3, seats=1, open_=False, title="2027年测试县民生实事项目票决")
    await login_staff(client)
    menu = (await client.get("/console")).text
    assert '<a href="/console/translations">双语</a>' in menu
    listed = await client.get("/console/translations")
    assert f'href="{page_of(hall)}"' in listed.text and "只用中文" in listed.text

    before = await client.get(page_of(hall))
    assert before.status_code == 200 and "现在只用中文" in before.text and 'name="t-' not in before.text
    chosen = await client.post(f"{page_of(hall)}/language",
                               data={"_csrf_token": csrf_of(client), "language": "ug", "reason": "常委会第五次会议决定"})
    assert chosen.status_code in (302, 303)
    page = await client.get(chosen.headers["location"])
    assert "第二语言已保存" in page.text and "<b>维吾尔文</b>" in page.text
    assert '<option value="ug" selected>' in page.text
    entry = await AuditEntry.select().where(AuditEntry.action == "second_language_set").order_by(
        AuditEntry.id, ascending=False).first()
    detail = entry["detail"] if isinstance(entry["detail"], dict) else json.loads(entry["detail"])
    assert entry["reason"] == "常委会第五次会议决定" and detail == {"before": "无（只用中文）", "after": "维吾尔文"}
    logged = (await client.get("/console/audit", params={"action": "second_language_set"})).text
    assert "设定第二语言" in logged and "常委会第五次会议决定" in logged

    # Every text the poll shows is there, each once with a field, Uyghur written right to left.
    poll = await polls.get_poll(poll_id)
    wanted = await translations.texts_for_poll(poll)
    form = texts_form(page.text)
    for text in wanted:
        assert field(text["source"]) in form.fields, text
        assert form.attrs[field(text["source"])]["lang"] == "ug" and form.attrs[field(text["source"])]["dir"] == "rtl"
    for word in vocabulary.ALL:  # piaojue's words for either method
        assert field(word) in form.fields
    assert html.escape("第 2 个项目的简介") in page.text and "候选项目 2 简介" in page.text
    assert page.text.count('<span class="tag tag-missing">未翻译</span>') == len(form.attrs)
    assert f"本页还有 <b>{len(form.attrs)}</b> 条文字没有维吾尔文译文" in page.text
    assert f"还有 {len(wanted)} 条没有译文" in page.text and 'aria-label="2027年测试县民生实事项目票决：已翻译 0 条' in page.text

    # Back to Chinese only: the texts are no longer asked for.
    cleared = await client.post(f"{page_of(hall)}/language",
                                data={"_csrf_token": csrf_of(client), "language": "", "reason": "改为只用中文"})
    assert cleared.status_code in (302, 303)
    assert 'name="t-' not in (await client.get(page_of(hall))).text
    unknown = await client.post(f"{page_of(hall)}/language",
                                data={"_csrf_token": csrf_of(client), "language": "xx", "reason": "试一下"})
    assert unknown.status_code == 400 and "请从列表中选择第二语言" in unknown.text and 'value="试一下"' in unknown.text


async def test_translations_typed_on_the_page_are_stored_with_who_and_when_and_a_change_keeps_the_old(client, hall):
    poll = await poll_and_language(hall)
    await login_staff(client)
    form = texts_form((await client.get(page_of(hall))).text)
    title, candidate = poll["title"], "候选项目01"
    fields = {**form.fields, field(title): pseudo("bo", title), field(candidate): pseudo("bo", candidate),
              "_csrf_token": csrf_of(client)}
    saved = await client.post(page_of(hall), data=fields)
    assert saved.status_code in (302, 303) and saved.headers["location"].endswith("?saved=texts&count=2#texts")
    book = await translations.book(hall.congress_id, "bo")
    assert book == {title: pseudo("bo", title), candidate: pseudo("bo", candidate)}

    page = (await client.get(saved.headers["location"])).text
    assert "已保存 2 条译文" in page
    form = texts_form(page)
    assert form.fields[field(title)] == pseudo("bo", title)
    assert re.search(r"测试员 于 \d{4}-\d\d-\d\d \d\d:\d\d 录入", page)
    missing = len(await translations.missing_for_poll(poll))
    assert f"还有 {missing} 条没有译文" in page and missing == len(await translations.texts_for_poll(poll)) - 2

    # Only what is missing, to work through: the translated ones are left off, and saving stays in that view.
    only = await client.get(f"{page_of(hall)}?missing=1")
    left = texts_form(only.text)
    assert field(title) not in left.fields and field("候选项目02") in left.fields and "显示全部文字" in only.text
    summary = "第 1 个项目的简介"
    went = await client.post(page_of(hall), data={**left.fields, field(summary): pseudo("bo", summary),
                                                  "_csrf_token": csrf_of(client)})
    assert went.headers["location"].endswith("?saved=texts&count=1&missing=1#texts")
    assert field(summary) not in texts_form((await client.get(went.headers["location"])).text).fields
    form = texts_form((await client.get(page_of(hall))).text)

    # The same page sent again changes nothing; a changed text is a new row, the old one kept.
    again = await client.post(page_of(hall), data={**form.fields, "_csrf_token": csrf_of(client)})
    assert again.headers["location"].endswith("count=0#texts")
    assert "没有改动的译文" in (await client.get(again.headers["location"])).text
    better = pseudo("bo", title + "（改）")
    changed = await client.post(page_of(hall), data={**form.fields, field(title): better,
                                                     "_csrf_token": csrf_of(client)})
    assert changed.headers["location"].endswith("count=1#texts")
    assert await stored(hall.congress_id) == 4
    page = (await client.get(page_of(hall))).text
    assert "修改记录：此前的 1 条译文" in page and pseudo("bo", title) in page
    assert texts_form(page).fields[field(title)] == better


async def test_a_field_shown_before_someone_else_saved_does_not_undo_their_translation(client, hall):
    poll = await poll_and_language(hall)
    await login_staff(client)
    form = texts_form((await client.get(page_of(hall))).text)  # shown while nothing is translated
    await translations.enter(hall.congress_id, {poll["title"]: pseudo("bo", poll["title"])}, STAFF)  # a colleague
    candidate = "候选项目02"
    sent = await client.post(page_of(hall), data={**form.fields, field(candidate): pseudo("bo", candidate),
                                                  "_csrf_token": csrf_of(client)})
    assert sent.headers["location"].endswith("count=1#texts")
    assert (await translations.book(hall.congress_id, "bo"))[poll["title"]] == pseudo("bo", poll["title"])


async def test_a_wrong_script_or_a_lost_placeholder_is_refused_with_nothing_stored_and_the_typing_kept(client, hall):
    poll = await poll_and_language(hall)
    await login_staff(client)
    form = texts_form((await client.get(page_of(hall))).text)
    greeting = "{name} 代表，您好"
    assert greeting in vocabulary.ALL
    good, chinese, lost = pseudo("bo", poll["title"]), "村道硬化工程", pseudo("bo", "代表").rstrip("།") + "།"
    refused = await client.post(page_of(hall), data={
        **form.fields, field(poll["title"]): good, field("候选项目01"): chinese, field(greeting): lost,
        "_csrf_token": csrf_of(client)})
    assert refused.status_code == 400
    message = re.search(r'<p class="notice notice-error" role="alert" id="texts-error">([^<]+)</p>', refused.text)
    assert message, refused.text[-2000:]
    said = html.unescape(message.group(1))
    assert said.startswith("译文没有保存：") and "“候选项目01”：译文里有不属于藏文的字符" in said
    assert "缺少 {name}" in said
    assert await stored(hall.congress_id) == 0  # the good one is not stored either: all or nothing
    shown = texts_form(refused.text)
    kept = shown.fields
    assert kept[field(poll["title"])] == good and kept[field("候选项目01")] == chinese and kept[field(greeting)] == lost
    # each refused field is marked where it is, with its own reason; the good one is not
    invalid = {name for name, attrs in shown.attrs.items() if attrs.get("aria-invalid") == "true"}
    assert invalid == {field("候选项目01"), field(greeting)}
    assert '<p class="field-error" id="e-t' in refused.text and "译文的占位符与中文不一致：缺少 {name}" in refused.text


async def test_a_draft_poll_lists_what_is_missing_and_opens_once_everything_is_translated(client, hall):
    poll = await poll_and_language(hall, "ii")
    await login_staff(client)
    path = f"/console/polls/{poll['id']}"
    shown = await client.get(path)
    missing = await translations.missing_for_poll(poll)
    assert f"开始投票前还需要 {len(missing)} 条彝文译文" in shown.text
    assert f'href="{page_of(hall)}#poll-{poll["id"]}"' in shown.text and f"票决名称：{poll['title']}" in shown.text

    await key_ceremony_on_console(client, hall, poll["id"])
    await hall.reach_quorum(poll["id"])
    refused = await client.post(f"{path}/open", data={"_csrf_token": csrf_of(client)})
    assert refused.status_code == 409
    assert re.search(rf'id="open-error">本届人大设定了第二语言彝文，还有 {len(missing)} 条文字没有彝文译文', refused.text)
    assert (await polls.get_poll(poll["id"]))["status"] == "draft"

    # The office fills every field on the page and saves once.
    form = texts_form((await client.get(page_of(hall))).text)
    typed = {name: pseudo("ii", source) for name, source in
             ((field(t["source"]), t["source"]) for t in await translations.texts_for_poll(poll))}
    saved = await client.post(page_of(hall), data={**form.fields, **typed, "_csrf_token": csrf_of(client)})
    assert saved.status_code in (302, 303), saved.text[-1500:]
    page = (await client.get(page_of(hall))).text
    assert "译文齐全" in page and f"已翻译 {len(typed)} 条，共 {len(typed)} 条" in page
    assert "开始投票前还需要" not in (await client.get(path)).text
    opened = await client.post(f"{path}/open", data={"_csrf_token": csrf_of(client)})
    assert opened.status_code in (302, 303)
    assert (await polls.get_poll(poll["id"]))["second_language"] == "ii"


async def test_replacing_a_translation_an_opened_poll_showed_needs_a_reason(client, hall):
    poll_id = await hall.poll(candidates=3, seats=1, open_=False)
    entries = await translate_all(hall.congress_id, "bo", poll_id)
    await hall.reach_quorum(poll_id)
    await sealed.open_poll(poll_id, STAFF)
    poll = await polls.get_poll(poll_id)
    await login_staff(client)
    page = (await client.get(page_of(hall))).text
    assert '<span class="tag">已用于开始过的票决</span>' in page and "投票中：平板和打印文件仍按开始投票时的译文" in page
    form = texts_form(page)
    better = pseudo("bo", "更好的译文")
    before = await stored(hall.congress_id)
    refused = await client.post(page_of(hall), data={**form.fields, field(poll["title"]): better,
                                                     "_csrf_token": csrf_of(client)})
    assert refused.status_code == 400 and "修改须写明理由" in refused.text
    assert await stored(hall.congress_id) == before and texts_form(refused.text).fields[field(poll["title"])] == better
    with_reason = await client.post(page_of(hall), data={**form.fields, field(poll["title"]): better,
                                                         "reason": "原译文有错别字", "_csrf_token": csrf_of(client)})
    assert with_reason.status_code in (302, 303)
    page = (await client.get(page_of(hall))).text
    assert "（理由：原译文有错别字）" in page and entries[poll["title"]] in page  # the old one in the history
    # The open poll still shows what it opened with.
    shown = await translations.for_poll(await polls.get_poll(poll_id))
    assert shown.second(poll["title"]) == entries[poll["title"]]


def filled_sheet(content: bytes, fill) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    sheet = book["译文"]
    assert [c.value for c in sheet[1]] == ["类别", "中文", "译文"]
    for row in sheet.iter_rows(min_row=2):
        row[2].value = fill(row[0].value, row[1].value, row[2].value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_spreadsheet_goes_out_with_every_text_and_comes_back_translated(client, hall):
    poll = await poll_and_language(hall, "ug")
    await translations.enter(hall.congress_id, {poll["title"]: pseudo("ug", poll["title"])}, STAFF)
    await login_staff(client)
    page = (await client.get(page_of(hall))).text
    assert f'href="{page_of(hall)}.xlsx"' in page
    exported = await client.get(f"{page_of(hall)}.xlsx")
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    assert "%E7%BB%B4%E5%90%BE%E5%B0%94%E6%96%87%E8%AF%91%E6%96%87%E8%A1%A8.xlsx" in exported.headers[
        "content-disposition"]  # …维吾尔文译文表.xlsx

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exported.content))["译文"]
    rows = {r[1]: (r[0], r[2]) for r in sheet.iter_rows(min_row=2, values_only=True)}
    wanted = {t["source"] for t in await translations.texts_for_poll(poll)}
    assert wanted <= set(rows) and len(rows) == len(set(rows))
    assert rows[poll["title"]] == (f"{poll['title']} · 票决名称", pseudo("ug", poll["title"]))
    assert rows["候选项目01"][1] is None
    assert sheet.cell(row=2, column=3).alignment.readingOrder == 2  # Uyghur reads right to left

    content = filled_sheet(exported.content, lambda kind, source, now: now or pseudo("ug", source))
    imported = await client.post(f"{page_of(hall)}/import", data={"_csrf_token": csrf_of(client)},
                                 files={"file": ("译文表.xlsx", content, XLSX)})
    assert imported.status_code in (302, 303), imported.text[-2000:]
    page = (await client.get(imported.headers["location"])).text
    assert f"已导入 {len(rows) - 1} 条新的或修改过的译文" in page
    assert "未翻译</span>" not in page and await translations.missing_for_poll(poll) == []
    assert (await translations.book(hall.congress_id, "ug"))["候选项目02"] == pseudo("ug", "候选项目02")


async def test_a_bad_row_in_the_spreadsheet_refuses_the_file_by_row_and_stores_nothing(client, hall):
    poll = await poll_and_language(hall, "bo")
    await login_staff(client)
    exported = await client.get(f"{page_of(hall)}.xlsx")
    sources = [row[1] for row in __import__("openpyxl").load_workbook(io.BytesIO(exported.content))["译文"].iter_rows(
        min_row=2, values_only=True)]
    latin_row = sources.index("候选项目02") + 2  # the header is row 1

    def fill(kind, source, now):
        return "Road works" if source == "候选项目02" else pseudo("bo", source)

    content = filled_sheet(exported.content, fill)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    book["译文"].cell(row=2, column=2).value = "被改动的中文"
    out = io.BytesIO()
    book.save(out)
    refused = await client.post(f"{page_of(hall)}/import", data={"_csrf_token": csrf_of(client), "reason": "整理"},
                                files={"file": ("译文表.xlsx", out.getvalue(), XLSX)})
    assert refused.status_code == 400
    assert "译文表.xlsx 有 2 处问题，没有导入任何译文" in refused.text
    assert f"第 {latin_row} 行：译文里有不属于藏文的字符" in refused.text
    assert "第 2 行：中文“被改动的中文”不是本届人大需要翻译的文字" in refused.text
    assert await stored(hall.congress_id) == 0 and 'value="整理"' in refused.text
    assert len(await translations.missing_for_poll(poll)) == len(await translations.texts_for_poll(poll))

    empty = await client.post(f"{page_of(hall)}/import", data={"_csrf_token": csrf_of(client)},
                              files={"file": ("空.xlsx", exported.content, XLSX)})
    assert empty.status_code == 400 and "中没有填写译文，没有导入" in empty.text


async def test_only_the_secretariat_reaches_the_page(client, hall):
    anonymous = await client.get(page_of(hall), follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/console/login" in anonymous.headers["location"]
    await login_deputy(client, hall.codes[hall.deputy_ids[0]])
    deputy = await client.get(page_of(hall), follow_redirects=False)
    assert deputy.status_code in (302, 303) and "/console/login" in deputy.headers["location"]
    posted = await client.post(f"{page_of(hall)}/language", data={"_csrf_token": csrf_of(client), "language": "bo"})
    assert posted.status_code in (302, 303) and "/console/login" in posted.headers["location"]
    assert await translations.congress_language(hall.congress_id, fresh=True) == ""
