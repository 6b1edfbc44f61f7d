"""The translation office's work (双语): every text a congress translates, grouped as it works
through them, with what is in force and what is still missing, and the same texts as a
spreadsheet to fill offline and bring back (voting.spreadsheets).

The rules of a translation (its script, its placeholders, the reason for replacing one a poll
has shown) stay in voting.languages and voting.translations.enter: this module only lists and
reads. An imported file is checked row by row first, so each problem names its spreadsheet row,
then entered through translations.enter, all or nothing.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from voting import languages, print_words, tablet_words, translations, vocabulary
from voting.audit import Actor
from voting.errors import Refused
from voting.spreadsheets import Column, FileError, Layout, file_label, read_records, template_xlsx
from voting.tables import Poll

LISTED_STATUSES = ("draft", "open")  # the polls whose texts the office works on
METHOD_NAMES = {"approval": "差额票决", "satisfaction": "满意度测评"}
# piaojue's own words, grouped as the office sees them: where they are shown, and for which method
WORD_GROUPS = (
    ("平板：两种投票方式都用", tablet_words.COMMON),
    ("平板：差额票决", tablet_words.APPROVAL),
    ("平板：满意度测评", tablet_words.SATISFACTION),
    ("打印文件：两种投票方式都用", print_words.COMMON),
    ("打印文件：差额票决", print_words.APPROVAL),
    ("打印文件：满意度测评", print_words.SATISFACTION),
)


def field_of(source: str) -> str:
    """A text's form field: its source's hash (a source is a long Chinese text)."""
    return "t-" + translations.source_hash(source)


def shown_of(source: str) -> str:
    """The hidden field that carries which translation the page showed for the text."""
    return "o-" + translations.source_hash(source)


def text_mark(text: str) -> str:
    """A short mark of a translation as shown ("" for none): a field sent back unchanged is not a
    new translation, even if someone else entered one meanwhile."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else ""


@dataclass
class Text:
    kind: str
    source: str
    current: dict[str, Any] | None  # the row in force: text, entered_by, entered_at, reason
    earlier: list[dict[str, Any]]  # the rows it replaced, oldest first
    used: bool  # shown by a poll that opened: replacing it needs a reason
    repeat_of: str = ""  # the anchor of the same source listed earlier on the page (one field each)

    @property
    def field(self) -> str:
        return field_of(self.source)

    @property
    def shown_field(self) -> str:
        return shown_of(self.source)

    @property
    def anchor(self) -> str:
        return "t" + translations.source_hash(self.source)[:12]

    @property
    def mark(self) -> str:
        return text_mark(self.current["text"]) if self.current else ""


@dataclass
class Group:
    title: str
    texts: list[Text]
    poll: dict[str, Any] | None = None  # a poll's own texts; None for piaojue's words
    total: int = 0  # texts the poll shows (its own and piaojue's words for its method)
    missing: list[dict[str, str]] = field(default_factory=list)  # of those, the untranslated


@dataclass
class WorkList:
    congress: dict[str, Any]
    language: languages.Language | None
    groups: list[Group] = field(default_factory=list)

    @property
    def texts(self) -> list[Text]:
        return [t for g in self.groups for t in g.texts if not t.repeat_of]

    @property
    def missing(self) -> int:
        return sum(1 for t in self.texts if t.current is None)

    @property
    def poll_groups(self) -> list[Group]:
        return [g for g in self.groups if g.poll is not None]


def word_groups() -> list[tuple[str, list[str]]]:
    """piaojue's words by where they are shown and for which method, each once; any word of the
    vocabulary not in these groups comes last, so none is left off."""
    seen: set[str] = set()
    groups = []
    for title, words in WORD_GROUPS:
        fresh = [w for w in dict.fromkeys(words) if w in vocabulary.ALL and w not in seen]
        seen.update(fresh)
        if fresh:
            groups.append((title, fresh))
    rest = sorted(vocabulary.ALL - seen)
    if rest:
        groups.append(("其他用语", rest))
    return groups


async def listed_polls(congress_id: int) -> list[dict[str, Any]]:
    """The congress's draft and open polls, oldest first, with their session's name."""
    return await Poll.select(Poll.all_columns(), Poll.session.name.as_alias("session_name")).where(
        (Poll.session.term.congress == congress_id) & Poll.status.is_in(list(LISTED_STATUSES))).order_by(Poll.id)


async def work_list(congress: dict[str, Any]) -> WorkList:
    """Every text to translate for the congress in its second language: each draft or open
    poll's own texts, then piaojue's words; nothing to list without a second language."""
    lang = languages.language(await translations.congress_language(congress["id"], fresh=True))
    found = WorkList(congress, lang)
    if lang is None:
        return found
    rows = await translations.history(congress["id"], lang.code)
    used_upto = await translations.used_upto(congress["id"], lang.code)
    anchors: dict[str, str] = {}

    def item(kind: str, source: str) -> Text:
        entered = rows.get(source, [])
        text = Text(kind, source, entered[-1] if entered else None, entered[:-1],
                    bool(entered) and entered[-1]["id"] <= used_upto)
        if source in anchors:
            text.repeat_of = anchors[source]
        else:
            anchors[source] = text.anchor
        return text

    for poll in await listed_polls(congress["id"]):
        own = [item(t["kind"], t["source"]) for t in await translations.poll_texts(poll)]
        shown = await translations.texts_for_poll(poll)
        group = Group(f"{poll['title']}", own, poll, len(shown),
                      [t for t in shown if t["source"] not in rows])
        found.groups.append(group)
    for title, words in word_groups():
        found.groups.append(Group(title, [item("平板和打印用语", w) for w in words]))
    return found


def typed_entries(form: dict[str, str], work: WorkList) -> dict[str, str]:
    """The texts typed on the page that differ from what it showed (source -> text): a field left
    as shown is not sent on, so two people working at once do not undo each other."""
    entries = {}
    for text in work.texts:
        if text.field not in form:
            continue
        typed = form[text.field]
        shown = form.get(text.shown_field, text.mark)
        if text_mark(languages.normalised(typed)) != shown:
            entries[text.source] = typed
    return entries


def typed_problems(form: dict[str, str], work: WorkList) -> dict[str, str]:
    """Why each refused field of a sent page was refused (field -> Chinese), to show beside it:
    the same checks translations.enter makes of each text (voting.languages.refusal)."""
    lang = work.language
    if lang is None:
        return {}
    problems = {}
    current = {t.source: t.current for t in work.texts}
    for source, typed in typed_entries(form, work).items():
        text = languages.normalised(typed)
        if not text:
            if current.get(source):
                problems[field_of(source)] = "译文不能清空，只能改为新的译文。"
            continue
        why = languages.refusal(lang, source, text)
        if why:
            problems[field_of(source)] = why
    return problems


# --- the spreadsheet -----------------------------------------------------------------------------

KIND, SOURCE, TRANSLATION = "类别", "中文", "译文"
LAYOUT = Layout(
    "译文表", "译文",
    (Column(KIND, False, "这段文字是什么（票决名称、候选项目名称或简介、平板和打印用语），只供参考"),
     Column(SOURCE, True, "要翻译的中文原文，请勿修改：导入时按这一列找到对应的文字"),
     Column(TRANSLATION, False, "第二语言的译文；留空的行不导入")),
    aliases={"原文": SOURCE, "中文原文": SOURCE, "翻译": TRANSLATION, "译文（必填）": TRANSLATION},
)
RULES = (
    "第 1 行为表头；“中文”一列请勿修改，导入时按中文原文找到对应的文字。",
    "在“译文”一列填写译文；留空的行不导入，已有译文的行改动后导入即为新的译文。",
    "中文里的 {seats}、{name} 等占位符由系统填入数字或姓名，请原样保留在译文中合适的位置。",
    "请用该语言的文字输入，数字和标点可以保留；不要加入改变文字方向的控制字符。",
    "只要有一行有错误，整份文件都不会导入；请按提示的行号改正后重新上传。",
    "修改已用于开始过的票决的译文，须在导入页面写明理由；已开始的票决仍按原译文显示和打印。",
)


def export_xlsx(work: WorkList) -> bytes:
    """The work list as a spreadsheet (类别, 中文, 译文), each text once, with the translations
    in force; the translation column set right to left for a right-to-left script."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    assert work.language is not None
    rows = []
    for group in work.groups:
        for text in group.texts:
            if not text.repeat_of:
                kind = f"{group.title} · {text.kind}" if group.poll is not None else f"{group.title}"
                rows.append([kind, text.source, text.current["text"] if text.current else ""])
    content = template_xlsx(LAYOUT, rows, sheet="译文", widths={KIND: 28, SOURCE: 60, TRANSLATION: 60}, rules=RULES,
                            text_columns=(SOURCE, TRANSLATION))
    # template_xlsx writes its rows as grey examples: these are the texts themselves
    book = load_workbook(io.BytesIO(content))
    sheet = book["译文"]
    right_to_left = work.language.direction == "rtl"
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.font = Font()
            cell.alignment = Alignment(wrap_text=True, vertical="top",
                                       **({"horizontal": "right", "readingOrder": 2}
                                          if right_to_left and cell.column == 3 else {}))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class RowError:
    row: int | None
    message: str


def _folded(text: str) -> str:
    """A Chinese source as compared on import: a spreadsheet may rewrap lines or add spaces."""
    return "".join(unicodedata.normalize("NFC", text).split())


async def read_file(congress_id: int, filename: str, data: bytes) -> tuple[dict[str, str], list[RowError]]:
    """The translations a filled spreadsheet holds (source -> text), and every problem by row:
    a Chinese text that is not one to translate, the same text twice, a translation that
    voting.languages refuses."""
    lang = languages.language(await translations.congress_language(congress_id, fresh=True))
    if lang is None:
        raise Refused("本届人大没有设定第二语言，请先在“双语”页选择。", code="no_second_language")
    try:
        records = read_records(filename, data, LAYOUT)
    except FileError as problem:
        return {}, [RowError(None, str(problem))]
    known = {_folded(s): s for s in await translations.sources_of(congress_id)}
    entries: dict[str, str] = {}
    rows_of: dict[str, int] = {}
    errors: list[RowError] = []
    for record in records:
        chinese, typed = record.raw(SOURCE), languages.normalised(record.raw(TRANSLATION))
        source = known.get(_folded(chinese))
        if not typed:
            continue
        if source is None:
            errors.append(RowError(record.row, f"第 {record.row} 行：中文“{translations.short(chinese)}”不是本届人大需要翻译的文字"
                                               "（中文一列不能修改；票决名称或候选项目改过的，请重新导出译文表）。"))
            continue
        if source in entries and entries[source] != typed:
            errors.append(RowError(record.row, f"第 {record.row} 行：中文“{translations.short(chinese)}”在第 {rows_of[source]} 行"
                                               "已经出现，两行的译文不同，请只保留一行。"))
            continue
        why = languages.refusal(lang, source, typed)
        if why:
            errors.append(RowError(record.row, f"第 {record.row} 行：{why}"))
            continue
        entries[source], rows_of[source] = typed, record.row
    return entries, errors


async def import_file(congress_id: int, filename: str, data: bytes, actor: Actor, reason: str = "") -> int:
    """Enter the translations of a filled spreadsheet: all or nothing, each problem by row.
    Returns how many were new or changed."""
    entries, errors = await read_file(congress_id, filename, data)
    if errors:
        listed = "；".join(e.message.rstrip("。") for e in errors[:20])
        more = f"……共 {len(errors)} 处" if len(errors) > 20 else ""
        raise ImportRefused(f"{file_label(filename)}有错误，没有导入任何译文；请改正后重新上传。{listed}{more}。",
                            errors)
    if not entries:
        raise Refused(f"{file_label(filename)}中没有填写译文，没有导入。", code="import_empty")
    return await translations.enter(congress_id, entries, actor, reason)


class ImportRefused(Refused):
    """An imported file refused, with its problems by row for the page to list."""

    def __init__(self, message: str, errors: list[RowError]) -> None:
        super().__init__(message, code="import_invalid")
        self.errors = errors

