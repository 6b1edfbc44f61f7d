"""Numbered paper ballots (选票) for a poll: one PDF, one ballot per page.

The ballots of a print run differ only in their serial and QR code, so the ballot is
laid out and written once and stamped with each serial (`ballots_pdf_sync`): WeasyPrint
lays out the ballot without its serial and QR code (one page), then a page per ballot
holding only that serial and QR code, in the template's own place for them; as the PDF
is written, the ballot's page becomes a form XObject drawn under every serial page
(`_stamp`). Fonts are subset once and the ballot's text and rules are in the file once:
450 ballots take a few seconds in the calling thread (a document per ballot took two
minutes, all of them in one document 10 to 30 s) and under a megabyte. A stamped page
looks exactly like a whole ballot: `ballots_html` is the print run as a plain document,
a whole ballot a page, and the tests compare the two pixel for pixel. Each ballot
carries its serial in print and as a QR code (a PNG data URI, no files).

WeasyPrint's time grows with the boxes on a page (a table cell costs about a
millisecond a page), so a ballot is built from few of them:
- a candidate row is one paragraph, "12<tab>title": a tab stop puts every title at the
  same x and a hanging indent keeps its wrapped lines under it;
- when every title surely fits on one line, a whole list is one paragraph, a line a
  row, its rules a repeated background;
- the rules between number, title and boxes are thin background strips of the list,
  the column labels one run of text spaced with em and en spaces;
- the QR code is a PNG, not an inline SVG, and the garbage collector is paused while
  the documents are built.

A ballot is always one sheet. The layout is chosen from the candidates: one roomy
column for up to 14, a compact column for up to 24, two columns on A4 beyond, A3 as
the last resort for very many long titles. `choose_layout` estimates each layout's
height from the titles (CJK characters are exactly one em wide; line breaking is
modelled with the punctuation rules) and takes the roomiest that fits, then makes the
rows taller to use the sheet. A list that fits no layout is refused rather than
printed across two sheets. The tests check the page count of every PDF.
"""

from __future__ import annotations

import base64
import gc
import math
import struct
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import anyio
import segno

from markupsafe import Markup

from reports.pdf import TEMPLATES, _font_config, environment, font_file, render_html
from voting import poll_settings, print_words
from voting.bilingual import CHINESE_ONLY, Bilingual
from voting.errors import Conflict, Refused
from voting.languages import LANGUAGES

TEMPLATE = "print/ballot.html"
PT = 25.4 / 72  # millimetres per point

OPTIONS = {
    "approval": ("赞成", "不赞成", "弃权"),
    "satisfaction": ("满意", "基本满意", "不满意", "弃权"),
}
PAGE_SIZES = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}


@dataclass(frozen=True)
class Layout:
    """Every measure the template uses; the height estimate reads the same numbers.

    Lengths are in millimetres, x positions from the inner left edge of a candidate list.
    """

    name: str
    size: str  # A4 | A3
    columns: int
    title_pt: float  # candidate titles
    text_pt: float  # session line and instructions
    heading_pt: float  # 选票
    head_pt: float  # the row naming the options
    row_mm: float  # least height of a candidate row, its rule included
    box_mm: float  # width of each option's box
    qr_mm: float
    number_em: float = 2.8  # where titles start, in ems of the title font (the number sits before)
    margin_mm: float = 12.0
    gap_mm: float = 6.0
    line_height: float = 1.3  # of candidate titles
    pad_mm: float = 1.0  # least padding above and below a title
    second_head_mm: float = 0.0  # the column labels' row grows by this for their translations

    @property
    def page_width(self) -> float:
        return PAGE_SIZES[self.size][0]

    @property
    def page_height(self) -> float:
        return PAGE_SIZES[self.size][1]

    @property
    def content_mm(self) -> float:
        return self.page_width - 2 * self.margin_mm

    @property
    def column_mm(self) -> float:
        """Outer width of one candidate list."""
        room = self.content_mm - (self.columns - 1) * self.gap_mm - 1  # 1 mm spare
        return round(room / self.columns, 2)

    @property
    def inner_mm(self) -> float:
        return round(self.column_mm - 2 * RULE_MM, 2)

    @property
    def em_mm(self) -> float:
        return self.title_pt * PT

    @property
    def title_x(self) -> float:
        return round(self.number_em * self.em_mm, 2)

    @property
    def number_x(self) -> float:
        return round(0.45 * self.em_mm, 2)

    @property
    def number_line_x(self) -> float:
        return round(self.title_x - 0.4 * self.em_mm, 2)

    def boxes_x(self, options: int) -> float:
        return round(self.inner_mm - options * self.box_mm, 2)

    def title_mm(self, options: int) -> float:
        """Width a title wraps in."""
        return round(self.boxes_x(options) - TITLE_RIGHT_MM - self.title_x, 2)

    @property
    def line_mm(self) -> float:
        return self.title_pt * PT * self.line_height

    @property
    def head_row_mm(self) -> float:
        """The row naming the columns: one line, centred."""
        return round(max(7.0, 2 * self.head_pt * PT) + self.second_head_mm, 2)

    def for_method(self, method: str) -> "Layout":
        """Boxes wide enough for the longest option label (基本满意) on one line."""
        widest = max(len(o) for o in OPTIONS[method])
        return replace(self, box_mm=max(self.box_mm, round(widest * self.head_pt * PT + 1.6, 1)))

    def head_labels(self, method: str) -> tuple[str | None, list[dict[str, Any]]]:
        """The column labels, each centred over its column.

        The labels are all CJK characters, exactly one em wide each, so their positions are
        known without measuring text. Returns the header as one run of text spaced with em
        and en spaces (U+3000, U+2002: cheaper to lay out than a box per label) when that
        keeps every label within half an em of centre and clear of the rules; otherwise
        None, and the labels with the left margins that place them exactly.
        """
        options = OPTIONS[method]
        labels = ["序号", "候选项目" if method == "approval" else "测评项目", *options]
        boxes_x = self.boxes_x(len(options))
        edges = [0.0, self.number_line_x, boxes_x, *(boxes_x + (i + 1) * self.box_mm for i in range(len(options)))]
        em = self.head_pt * PT
        exact, end = [], 0.0
        text, at, fits_text = "", 0.0, True
        for i, label in enumerate(labels):
            width = len(label) * em
            x = (edges[i] + edges[i + 1]) / 2 - width / 2
            exact.append({"text": label, "margin": round(x - end, 2)})
            end = x + width
            halves = max(0, round((x - at) / em * 2))
            text += "\u3000" * (halves // 2) + "\u2002" * (halves % 2) + label
            at += halves * em / 2
            fits_text &= edges[i] + 0.5 <= at and at + width <= edges[i + 1] - 0.5
            at += width
        return (text if fits_text else None), exact

    @property
    def mark_mm(self) -> float:
        """Width of the corner holding the QR code and the serial under it."""
        return max(self.qr_mm, 34)

    @property
    def head_margin_mm(self) -> float:
        """Left and right margin of the centred heading, clear of the QR code."""
        return self.mark_mm + 2

    @property
    def head_min_mm(self) -> float:
        return self.qr_mm + 5

    def row_classes(self, most_lines: int) -> list[dict[str, float]]:
        """Per line count, the padding that centres a title in its row and the least height."""
        found = []
        for lines in range(1, most_lines + 1):
            text = lines * self.line_mm
            pad = max(self.pad_mm, (self.row_mm - RULE_MM - text) / 2)
            found.append({"lines": lines, "pad": round(pad, 2),
                          "min": round(max(0.0, self.row_mm - RULE_MM - 2 * pad), 2)})
        return found


RULE_MM = 0.6 * PT  # the 0.6 pt rules of print.css


def _png_uri(rows: list[tuple[int, int]]) -> str:
    """A PNG one pixel wide, `(grey, alpha)` a pixel from the top, as a data URI."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = b"".join(bytes([0, grey, alpha]) for grey, alpha in rows)  # filter byte, grey, alpha
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, len(rows), 8, 4, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _pixel_png(grey: int) -> str:
    """One opaque pixel: stretched as a background, it draws a rule or a band."""
    return _png_uri([(grey, 255)])


def _row_rules_uri(layout: Layout) -> str:
    """A row's height with its rule at the bottom, repeated down a one-paragraph list: a
    pixel column as many pixels high as the rule goes into the row (drawn without smoothing)."""
    pixels = max(2, round(layout.row_mm / RULE_MM))
    return _png_uri([(0, 0)] * (pixels - 1) + [(0, 255)])


BLACK_PNG = _pixel_png(0)
GREY_PNG = _pixel_png(0xEE)
TITLE_RIGHT_MM = 1.5  # space between a title and the first box
LAYOUTS = (
    Layout("roomy", "A4", 1, title_pt=14, text_pt=11.5, heading_pt=24, head_pt=11.5, row_mm=12.8, box_mm=20,
           qr_mm=24, number_em=3, pad_mm=1.5),
    Layout("compact", "A4", 1, title_pt=12, text_pt=10, heading_pt=20, head_pt=10, row_mm=8.6, box_mm=17,
           qr_mm=20, number_em=3, line_height=1.25),
    Layout("double", "A4", 2, title_pt=10.5, text_pt=9.5, heading_pt=20, head_pt=8.5, row_mm=9.5, box_mm=10.5,
           qr_mm=20, margin_mm=10, gap_mm=4, line_height=1.15, pad_mm=0.6),
    Layout("double-a3", "A3", 2, title_pt=12.5, text_pt=11, heading_pt=24, head_pt=10.5, row_mm=12, box_mm=15,
           qr_mm=24, line_height=1.25),
    Layout("dense-a3", "A3", 2, title_pt=10.5, text_pt=10, heading_pt=20, head_pt=8.5, row_mm=9, box_mm=11,
           qr_mm=20, margin_mm=10, gap_mm=4, line_height=1.2, pad_mm=0.8),
    # the last resort, for dozens of titles near the 100-character limit
    Layout("small-a3", "A3", 2, title_pt=9, text_pt=9.5, heading_pt=20, head_pt=8.5, row_mm=8, box_mm=10.5,
           qr_mm=20, margin_mm=10, gap_mm=4, line_height=1.1, pad_mm=0.5),
)
TEXT_LINE = 1.4  # line height of the session line and the instructions
MAX_STRETCH = 1.3  # rows may grow by this much where the sheet has room
FIT = 0.985  # use at most this share of the room


def instructions(poll: dict[str, Any]) -> list[str]:
    """The rules sentence and how to mark, as printed."""
    return [poll_settings.describe(poll), *how_to_mark(poll)]


def how_to_mark(poll: dict[str, Any]) -> list[str]:
    """The instructions under the rules sentence."""
    if poll["method"] == "approval":
        cap = poll.get("max_approvals") or poll.get("seats")
        return ["每个项目在“赞成”“不赞成”“弃权”中只选一项，在该格内划“○”；不划的视为未表态。",
                f"赞成的项目不得超过 {cap} 个，超过的本张选票无效；请勿在选票上写姓名或作其他记号。"]
    return ["每个项目在“满意”“基本满意”“不满意”“弃权”中只选一项，在该格内划“○”；不划的视为未表态。",
            "请勿在测评表上写姓名或作其他记号。"]


HEADER_SLACK_MM = 1.0  # the estimates came within 0.7 mm of WeasyPrint's layout on the samples measured


NO_LINE_START = set("，。、：；！？）》」』】〉…·%,.:;!?)]}")  # closing punctuation stays on the line before
NO_LINE_END = set("（《「『【〈([{")  # opening punctuation goes with what follows
QUOTES = set("“”‘’\"'")  # no break on either side of a quotation mark (UAX #14, LB19)


def _char_width(ch: str) -> float:
    """Width in em: CJK and full-width characters are exactly 1, Latin about 0.6, capitals 0.7."""
    if unicodedata.east_asian_width(ch) in "WFA":
        return 1.0
    if ch == " ":
        return 0.25
    return 0.7 if ch.isupper() or ch in "MW%@&" else 0.6


def _text_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def _units(text: str) -> list[float]:
    """Widths of the pieces a line break cannot split: a CJK character with the punctuation
    that sticks to it, a Latin word with the space after it."""
    units: list[float] = []
    glue_next = False  # the previous character may not end a line
    in_word = False
    for ch in text:
        width = _char_width(ch)
        wide = width == 1.0
        joins = units and (glue_next or ch in NO_LINE_START or ch in QUOTES or (in_word and not wide and ch != " ")
                           or (ch == " " and in_word))
        if joins:
            units[-1] += width
        else:
            units.append(width)
        in_word = not wide and ch != " "
        glue_next = ch in NO_LINE_END or ch in QUOTES
    return units


def _lines(text: str, width_mm: float, pt: float) -> int:
    """Lines the text takes, filling them greedily as the line breaker does; a piece longer
    than a line is broken anywhere (overflow-wrap: anywhere)."""
    return _fill(_units(text), max(1.0, width_mm / (pt * PT)))


def _fill(units: list[float], per_line: float) -> int:
    """Lines that pieces of these widths (em) take, `per_line` em a line."""
    lines, used = 1, 0.0
    for unit in units:
        if used + unit <= per_line + 1e-6:
            used += unit
        elif unit <= per_line:
            lines, used = lines + 1, unit
        else:
            if used:
                lines += 1
            full, used = divmod(unit, per_line)
            lines += int(full) - (1 if used == 0 else 0)
            used = used or per_line
    return lines


def _widest(text: str) -> float:
    """An upper bound of the width in em: no glyph of the CJK fonts is wider than 1 em."""
    return sum(1.0 if ord(ch) < 0x10000 else 1.5 for ch in text)


def one_line_each(titles: list[str], layout: Layout, options: int) -> bool:
    """Whether every title surely fits on one line, so the list can be one paragraph."""
    room = layout.title_mm(options) / (layout.title_pt * PT) * 0.97
    return all(_widest(t) <= room for t in titles)


def display_title(title: str) -> str:
    """A title as printed: any run of white space (a newline, a tab) becomes one space."""
    return " ".join(title.split())


def title_lines(title: str, layout: Layout, options: int) -> int:
    return _lines(title, layout.title_mm(options), layout.title_pt)


# --- the second language ------------------------------------------------------------------------
# With a second language each text is printed in Chinese and then in the translation, on a line
# of its own (the translation of a candidate's title under it, in the same cell). The height
# estimate adds the translation's lines: its widths are read from the font's own advances
# (a code point as wide as its isolated form: joined Arabic letters and Tibetan stacks are no
# wider), and a ballot that still comes out longer than a sheet is laid out again in the next
# layout (`ballots_pdf_sync`) rather than printed on two.

# Each second language's size against the Chinese it follows and its line height: Tibetan
# stacks reach far above and below the line, Arabic script's marks less so.
SECOND_TYPE = {"bo": (1.15, 1.85), "ug": (0.95, 1.5), "ii": (0.95, 1.35)}
HEAD_SECOND = 0.9  # the column labels' translations, against the labels' size
WIDTH_MARGIN = 1.1  # on every estimated width of a second language
BREAK_AFTER = set(" \u0f0b\u0f0d\u0f0e")  # space, Tibetan tsheg and shad


@dataclass(frozen=True)
class Second:
    """The translations a ballot prints, in the order the ballot shows them."""

    code: str
    direction: str
    poll_title: str
    heading: str
    instructions: tuple[str, ...]
    labels: tuple[str, ...]  # 序号, 候选项目 (测评项目), the options
    titles: tuple[str, ...]

    @property
    def scale(self) -> float:
        return SECOND_TYPE[self.code][0]

    @property
    def line_height(self) -> float:
        return SECOND_TYPE[self.code][1]


def second_sources(poll: dict[str, Any], candidates: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What a ballot prints in the second language: the Chinese source of each text."""
    method = poll["method"]
    words = [*print_words.BALLOT_COMMON,
             *(print_words.BALLOT_APPROVAL if method == "approval" else print_words.BALLOT_SATISFACTION),
             print_words.rules_sentence(poll)[0]]
    return ([{"kind": "票决名称", "source": poll["title"]}]
            + [{"kind": f"候选项目 {n} 名称", "source": c["title"]} for n, c in enumerate(candidates, start=1)]
            + [{"kind": "选票用语", "source": w} for w in words])


def _how_to_mark_words(poll: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """`how_to_mark`'s lines as vocabulary words and their figures."""
    if poll["method"] == "approval":
        return [(print_words.BALLOT_APPROVAL[4], {}),
                (print_words.BALLOT_APPROVAL[5], {"cap": poll.get("max_approvals") or poll.get("seats")})]
    return [(print_words.BALLOT_SATISFACTION[5], {}), (print_words.BALLOT_SATISFACTION[6], {})]


def second_texts(poll: dict[str, Any], candidates: list[dict[str, Any]], words: Bilingual) -> Second | None:
    """The ballot's translations, or None for a ballot in Chinese only."""
    if not words:
        return None
    assert words.language is not None
    method = poll["method"]
    rules, figures = print_words.rules_sentence(poll)
    labels = ["序号", "候选项目" if method == "approval" else "测评项目", *OPTIONS[method]]
    return Second(
        code=words.code, direction=words.language.direction,
        poll_title=display_title(words.second(poll["title"])),
        heading=words.second("满意度测评表" if method == "satisfaction" else "选票"),
        instructions=(words.second(rules, **figures), *(words.second(w, **v) for w, v in _how_to_mark_words(poll))),
        labels=tuple(words.second(label) for label in labels),
        titles=tuple(display_title(words.second(c["title"])) for c in candidates))


@lru_cache(maxsize=8)
def _advances(family: str) -> dict[int, float]:
    """Code point -> advance in em of a font family's cmap glyph; {} if it cannot be read."""
    path = font_file(family)
    if path is None:
        return {}  # not installed: every character counts 1 em
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(path, lazy=True)
        upm, metrics = font["head"].unitsPerEm, font["hmtx"]
        return {code: metrics[glyph][0] / upm for code, glyph in font.getBestCmap().items()}
    except Exception:  # noqa: BLE001  (no font file, no fontTools: every character counts 1 em)
        return {}


def _second_units(text: str, code: str) -> list[float]:
    """Widths in em of the pieces a line break cannot split: a word with the space or tsheg
    after it; each Yi syllable on its own (Yi breaks between any two, as CJK does)."""
    advances = _advances(LANGUAGES[code].font)
    units: list[float] = []
    open_unit = False
    for ch in text:
        if ch.isspace():
            ch = " "
        width = _char_width(ch) if not LANGUAGES[code].in_script(ch) else advances.get(ord(ch), 1.0)
        width *= WIDTH_MARGIN
        syllable = code == "ii" and LANGUAGES[code].in_script(ch)
        if open_unit and not syllable:
            units[-1] += width
        else:
            units.append(width)
        open_unit = ch not in BREAK_AFTER
    return units


def second_lines(text: str, width_mm: float, pt: float, code: str) -> int:
    """Lines a translation takes at `pt` in `width_mm`; 0 for none."""
    if not text:
        return 0
    return _fill(_second_units(text, code), max(1.0, width_mm / (pt * PT)))


def widest_word_mm(texts: tuple[str, ...], pt: float, code: str) -> float:
    return max((u for t in texts for u in _second_units(t, code)), default=0.0) * pt * PT


def second_line_mm(pt: float, second: Second) -> float:
    """Height of a line of the translation that follows Chinese of `pt`."""
    return pt * second.scale * PT * second.line_height


def with_second(layout: Layout, method: str, second: Second | None) -> Layout:
    """The layout with boxes wide enough for each option's translation, no word broken, and
    the column labels' row tall enough for theirs."""
    if second is None:
        return layout
    options = len(OPTIONS[method])
    pt = layout.head_pt * second.scale * HEAD_SECOND
    box = max(layout.box_mm, round(widest_word_mm(second.labels[2:], pt, second.code) + 2.0, 1))
    layout = replace(layout, box_mm=box)
    widths = [layout.number_line_x, layout.boxes_x(options) - layout.number_line_x, *[box] * options]
    lines = max(second_lines(label, width - 1.0, pt, second.code) for label, width in zip(second.labels, widths))
    return replace(layout, second_head_mm=round(lines * pt * PT * second.line_height + 1.0, 2))


def _row_text_mm(layout: Layout, options: int, title: str, second_title: str | None, second: Second | None) -> float:
    text = title_lines(title, layout, options) * layout.line_mm
    if second is not None and second_title:
        text += (second_lines(second_title, layout.title_mm(options), layout.title_pt * second.scale, second.code)
                 * second_line_mm(layout.title_pt, second))
    return text


def _row_height(title: str, layout: Layout, options: int, second_title: str | None = None,
                second: Second | None = None) -> float:
    return max(layout.row_mm, _row_text_mm(layout, options, title, second_title, second) + 2 * layout.pad_mm + RULE_MM)


def header_height(layout: Layout, poll: dict[str, Any], session_name: str, second: Second | None = None) -> float:
    """Everything above the candidate rows: heading, QR code, instructions, the options' row."""
    head_width = layout.content_mm - 2 * layout.head_margin_mm
    poll_pt = layout.text_pt + 3
    heading = (_lines(session_name, head_width, layout.text_pt + 1) * (layout.text_pt + 1) * PT * TEXT_LINE
               + 1 + _lines(poll["title"], head_width, poll_pt) * poll_pt * PT * 1.3
               + 1.5 + layout.heading_pt * PT * 1.2)
    text_width = layout.content_mm - 6 - 0.5
    if second is not None:
        heading += (second_lines(second.poll_title, head_width, poll_pt * second.scale, second.code)
                    * second_line_mm(poll_pt, second)
                    + second_lines(second.heading, head_width, poll_pt * second.scale, second.code)
                    * second_line_mm(poll_pt, second))
    heading = max(heading, layout.head_min_mm)
    howto = sum(_lines(p, text_width, layout.text_pt) for p in instructions(poll)) * layout.text_pt * PT * TEXT_LINE
    if second is not None:
        howto += sum(second_lines(p, text_width, layout.text_pt * second.scale, second.code)
                     for p in second.instructions) * second_line_mm(layout.text_pt, second)
    howto += 2 * 2.5 + 3 + 2 * RULE_MM  # margins, padding, border
    return heading + howto + layout.head_row_mm + HEADER_SLACK_MM


def columns_of(candidates: list[Any], layout: Layout) -> list[list[Any]]:
    if layout.columns == 1:
        return [list(candidates)]
    half = math.ceil(len(candidates) / 2)
    return [list(candidates[:half]), list(candidates[half:])]


def _room(layout: Layout, poll: dict[str, Any], session_name: str, second: Second | None = None) -> float:
    return (layout.page_height - 2 * layout.margin_mm - header_height(layout, poll, session_name, second)) * FIT


def _tallest_column(layout: Layout, poll: dict[str, Any], titles: list[str], second: Second | None = None) -> float:
    options = len(OPTIONS[poll["method"]])
    if second is not None:
        rows = list(zip(titles, second.titles))
        tallest = 0.0
        for column in columns_of(rows, layout):
            height = sum(_row_height(t, layout, options, s, second) for t, s in column)
            if column:  # the last row's padding and rule again, as below
                text = _row_text_mm(layout, options, *column[-1], second)
                height += max(layout.pad_mm, (layout.row_mm - RULE_MM - text) / 2) + RULE_MM
            tallest = max(tallest, height)
        return tallest
    one_paragraph = one_line_each(titles, layout, options)
    tallest = 0.0
    for column in columns_of(titles, layout):
        height = sum(_row_height(t, layout, options) for t in column)
        if column and not one_paragraph:
            # WeasyPrint 70 counts a block's bottom padding and rule twice when it decides
            # whether the block still fits on the page: leave room for the last row's again.
            lines = title_lines(column[-1], layout, options)
            height += max(layout.pad_mm, (layout.row_mm - RULE_MM - lines * layout.line_mm) / 2) + RULE_MM
        tallest = max(tallest, height)
    return tallest


def fits(layout: Layout, poll: dict[str, Any], titles: list[str], session_name: str = "",
         second: Second | None = None) -> bool:
    return _tallest_column(layout, poll, titles, second) <= _room(layout, poll, session_name, second)


def _stretched(layout: Layout, poll: dict[str, Any], titles: list[str], session_name: str,
               second: Second | None = None) -> Layout:
    """The layout with rows made taller (bigger boxes to mark) to use the sheet, up to MAX_STRETCH."""
    room = _room(layout, poll, session_name, second)
    low, high = layout.row_mm, layout.row_mm * MAX_STRETCH
    for _ in range(20):
        middle = (low + high) / 2
        if _tallest_column(replace(layout, row_mm=middle), poll, titles, second) <= room:
            low = middle
        else:
            high = middle
    return replace(layout, row_mm=math.floor(low * 10) / 10)


def layouts_to_try(poll: dict[str, Any], titles: list[str], session_name: str = "",
                   second: Second | None = None) -> Iterator[Layout]:
    """The roomiest layout that keeps the ballot on one sheet, then, for a ballot that the
    estimate got wrong, the same unstretched and the later ones.

    Up to 14 candidates get the roomy single column, up to 24 the compact one, more
    go to two columns on A4; long titles can push a list on to the next layout, and
    A3 is the last resort.
    """
    count = len(titles)
    start = 0 if count <= 14 else 1 if count <= 24 else 2
    candidates = [with_second(layout.for_method(poll["method"]), poll["method"], second) for layout in LAYOUTS[start:]]
    for at, layout in enumerate(candidates):
        if fits(layout, poll, titles, session_name, second):
            yield _stretched(layout, poll, titles, session_name, second)
            yield from candidates[at:]
            return
    raise Refused(f"{len(titles)} 个候选项目的名称太长，一张 A3 选票也印不下；请精简项目名称后再打印选票。",
                  code="ballot_too_long")


def choose_layout(poll: dict[str, Any], titles: list[str], session_name: str = "",
                  second: Second | None = None) -> Layout:
    """The roomiest layout that keeps the ballot on one sheet (`layouts_to_try`)."""
    return next(layouts_to_try(poll, titles, session_name, second))


def qr_png_uri(text: str) -> str:
    """The QR code as a PNG data URI, one pixel a module, printed crisp (image-rendering:
    pixelated). WeasyPrint draws a PNG from the ready image; an inline SVG QR code (segno's
    svg_inline) is parsed and drawn path by path on every page, which cost a third of a
    ballot's rendering time when measured."""
    qr = segno.make(text, error="m")
    # segno's own PNG writer took twice as long as choosing the mask; a grey PNG of the matrix
    # (light 255, dark 0) is the same image.
    return _grey_png_uri([bytes(0 if dark else 255 for dark in row) for row in qr.matrix_iter(scale=1, border=2)])


def _grey_png_uri(rows: list[bytes]) -> str:
    """An 8-bit greyscale PNG, a `bytes` of grey values a row, as a data URI."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = b"".join(b"\0" + row for row in rows)  # filter byte 0 (none) before each row
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _context(poll: dict[str, Any], candidates: list[dict[str, Any]], session: dict[str, Any],
             words: Bilingual = CHINESE_ONLY, layout: Layout | None = None) -> dict[str, Any]:
    """What the ballot template needs besides the ballots themselves: in `layout`, or the one
    `choose_layout` takes."""
    method = poll["method"]
    options = len(OPTIONS[method])
    titles = [display_title(c["title"]) for c in candidates]
    second = second_texts(poll, candidates, words)
    layout = layout or choose_layout(poll, titles, session["name"], second)
    numbered = [{"number": i, "title": t, "lines": title_lines(t, layout, options)}
                for i, t in enumerate(titles, start=1)]
    if second is None:
        for c in numbered:
            c["name"] = f"l{c['lines']}"
        row_classes = [{"name": f"l{c['lines']}", **c} for c in layout.row_classes(max(c["lines"] for c in numbered))]
    else:
        row_classes = _second_row_classes(layout, options, numbered, second)
    boxes_x = layout.boxes_x(options)
    strips = [layout.number_line_x, *(boxes_x + i * layout.box_mm for i in range(options))]
    head_text, labels = layout.head_labels(method)
    if second is not None:
        head_text = None
        widths = [layout.number_line_x, boxes_x - layout.number_line_x, *[layout.box_mm] * options]
        labels = [{**label, "l2": l2, "width": round(width, 2)}
                  for label, l2, width in zip(labels, second.labels, widths)]
    return dict(
        poll=poll, session=session, method=method, layout=layout, instructions=instructions(poll),
        columns=columns_of(numbered, layout), one_line_each=second is None and one_line_each(titles, layout, options),
        row_classes=row_classes,
        head_text=head_text, labels=labels, boxes_x=boxes_x, title_right_mm=TITLE_RIGHT_MM,
        strips=[round(x - RULE_MM / 2, 2) for x in strips], rule_mm=round(RULE_MM, 3),
        black=BLACK_PNG, grey=GREY_PNG, row_rules=_row_rules_uri(layout), second=second,
        second_type=_second_type(layout, second),
    )


def _second_row_classes(layout: Layout, options: int, numbered: list[dict[str, Any]],
                        second: Second) -> list[dict[str, Any]]:
    """Per candidate, a class by its lines in Chinese and in translation: the padding that
    centres both in the row and the least height. Sets each candidate's `name` and `l2`."""
    classes: dict[str, dict[str, Any]] = {}
    l2_pt = layout.title_pt * second.scale
    for c, l2 in zip(numbered, second.titles):
        extra = second_lines(l2, layout.title_mm(options), l2_pt, second.code)
        c.update(l2=l2, name=f"l{c['lines']}-{extra}")
        text = c["lines"] * layout.line_mm + extra * second_line_mm(layout.title_pt, second)
        pad = max(layout.pad_mm, (layout.row_mm - RULE_MM - text) / 2)
        classes[c["name"]] = {"name": c["name"], "pad": round(pad, 2),
                              "min": round(max(0.0, layout.row_mm - RULE_MM - 2 * pad), 2)}
    return list(classes.values())


def _second_type(layout: Layout, second: Second | None) -> dict[str, float]:
    """The translations' sizes (pt) and line heights, as `header_height` and the rows estimate them."""
    if second is None:
        return {}
    return {"scale": second.scale, "line_height": second.line_height,
            "title_pt": round(layout.title_pt * second.scale, 2), "text_pt": round(layout.text_pt * second.scale, 2),
            "poll_pt": round((layout.text_pt + 3) * second.scale, 2),
            "head_pt": round(layout.head_pt * second.scale * HEAD_SECOND, 2)}


def _numbered(serials: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"serial": serial, "qr": qr_png_uri(text)} for serial, text in serials]


def ballots_html(poll: dict[str, Any], candidates: list[dict[str, Any]], session: dict[str, Any],
                 serials: list[tuple[str, str]], words: Bilingual = CHINESE_ONLY) -> str:
    """One HTML document: a whole ballot per (serial, QR text) pair, each on its own page.

    `poll` is a Poll row (title, method, seats, max_approvals, threshold_*), `candidates`
    Candidate rows in ballot order, `session` has the session's `name`; `words` the poll's
    second language, if any (`ballot_words`).
    """
    if not serials:
        raise ValueError("no ballots to print")
    return render_html(TEMPLATE, **_context(poll, candidates, session, words), ballots=_numbered(serials))


# The template prints a ballot as a section holding the serial corner (.mark) and the rest.
# A stamped print run renders the template with one of the two hidden: once the rest of
# one ballot, then the serial corner of every ballot; nothing else moves, as the corner is
# positioned absolutely. No copy may add a bookmark (each <h1> would make one, and the
# ballot's own page is dropped from the PDF).
_BALLOT_ONLY_CSS = "\n.ballot > .mark { display: none !important; }\nh1 { bookmark-level: none; }\n"
_SERIALS_ONLY_CSS = "\n.ballot > :not(.mark) { display: none !important; }\nh1 { bookmark-level: none; }\n"
# Serial pages laid out per WeasyPrint document. Its pagination walks the styles of every
# element of a document for every page, so one document of n pages takes n² time (2,000
# serial pages: 23 s instead of 10); a hundred a document keeps it linear.
SERIAL_PAGES = 100


def _with_css(extra: str) -> Markup:
    """The print stylesheet and `extra`, for the template's `print_css` (trusted, unescaped)."""
    return Markup(str(environment().globals["print_css"]) + extra)


def stamped_html(poll: dict[str, Any], candidates: list[dict[str, Any]], session: dict[str, Any],
                 serials: list[tuple[str, str]], per_document: int = SERIAL_PAGES, words: Bilingual = CHINESE_ONLY,
                 layout: Layout | None = None) -> tuple[str, Iterator[str]]:
    """The documents of a stamped print run: the ballot without serial and QR code (one
    page), then, lazily, documents of at most `per_document` pages, a page per (serial,
    QR text) pair with only that serial and QR code in place."""
    if not serials:
        raise ValueError("no ballots to print")
    context = _context(poll, candidates, session, words, layout)
    ballot = render_html(TEMPLATE, **context, ballots=[{"serial": "", "qr": BLACK_PNG}],
                         print_css=_with_css(_BALLOT_ONLY_CSS))
    # The serial pages leave out the candidate lists, the bulk of a ballot's markup.
    bare = {**context, "columns": [], "instructions": [""], "labels": [], "print_css": _with_css(_SERIALS_ONLY_CSS),
            "second": None}
    serial_pages = (render_html(TEMPLATE, **bare, ballots=_numbered(serials[at:at + per_document]))
                    for at in range(0, len(serials), per_document))
    return ballot, serial_pages


STAMP = "PJBallot"  # the name of the form XObject holding the ballot, drawn under each serial page


def _number(reference: bytes | str) -> int:
    """The object number of a pydyf reference (b"12 0 R")."""
    number, generation, r = (reference.decode() if isinstance(reference, bytes) else reference).split()
    if generation != "0" or r != "R":
        raise RuntimeError(f"not a reference to a new object: {reference!r}")
    return int(number)


def _stamp(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: the first page (the ballot) becomes a form XObject drawn under
    every other page (a serial and QR code each), and leaves the page tree.

    Works on the pydyf objects WeasyPrint 70 writes: a flat Kids array of references
    (number, 0, "R"), a page's Contents one stream, every page sharing one Resources
    dictionary; anything else is refused rather than printed wrong.
    """
    import pydyf

    kids = pdf.pages["Kids"]
    pages = [pdf.objects[number] for number in kids[::3]]
    if len(pages) < 2 or list(kids[1::3]) != [0] * len(pages) or list(kids[2::3]) != ["R"] * len(pages):
        raise RuntimeError("a stamped print run needs the ballot's page and serial pages")
    ballot_page, serial_pages = pages[0], pages[1:]
    for key in ("Resources", "MediaBox"):
        if any(page[key] != ballot_page[key] for page in serial_pages):
            raise RuntimeError(f"the pages of a stamped print run differ in {key}")
    resources = pdf.objects[_number(ballot_page["Resources"])]

    form = pdf.objects[_number(ballot_page["Contents"])]
    # The ballot's resources: the shared ones, but of the shared XObjects (the serial pages'
    # QR codes are there too) only those the ballot draws itself.
    drawn = {op[1:-3].decode() for op in form.stream if isinstance(op, bytes) and op.endswith(b" Do")}
    own = pydyf.Dictionary(resources)
    own["XObject"] = pydyf.Dictionary({name: ref for name, ref in resources["XObject"].items() if name in drawn})
    pdf.add_object(own)
    form.extra.update({"Type": "/XObject", "Subtype": "/Form", "BBox": ballot_page["MediaBox"],
                       "Resources": own.reference})
    resources["XObject"][STAMP] = form.reference
    for page in serial_pages:
        # First on the page, before its transformation matrix: the form draws in default space.
        pdf.objects[_number(page["Contents"])].stream.insert(0, f"q /{STAMP} Do Q".encode())
    del kids[:3]
    pdf.pages["Count"] -= 1
    ballot_page.clear()  # no longer a page: an empty dictionary that nothing refers to


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while WeasyPrint builds a long document.

    Hundreds of pages of boxes stay alive until the PDF is written, and the collector
    would walk all of them again and again (a fifth of the time for 450 ballots when
    they were one document each). It is switched back on afterwards, unless something
    else had switched it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ballots_pdf_sync(poll: dict[str, Any], candidates: list[dict[str, Any]], session: dict[str, Any],
                     serials: list[tuple[str, str]], per_document: int = SERIAL_PAGES,
                     words: Bilingual = CHINESE_ONLY) -> bytes:
    """The PDF of a print run, a page per serial in the order given, stamped (see the top).

    The ballot is laid out in the layout `choose_layout` takes; should it come out longer
    than a sheet all the same (a translation wider than estimated), in the next one of
    `layouts_to_try`. Everything runs in the calling thread and process; `per_document` is
    how many serial pages WeasyPrint lays out at a time (`SERIAL_PAGES`).
    """
    from weasyprint import HTML

    base_url, font_config = str(TEMPLATES / "print"), _font_config()
    titles = [display_title(c["title"]) for c in candidates]
    second = second_texts(poll, candidates, words)
    with _collector_paused():
        for layout in layouts_to_try(poll, titles, session["name"], second):
            ballot_html, serial_htmls = stamped_html(poll, candidates, session, serials, per_document, words, layout)
            ballot = HTML(string=ballot_html, base_url=base_url).render(font_config=font_config)
            if len(ballot.pages) == 1:
                break
        else:
            raise Refused(f"{len(titles)} 个候选项目连同译文，一张 A3 选票也印不下；请精简项目名称或译文后再打印选票。",
                          code="ballot_too_long")
        pages = list(ballot.pages)
        for html in serial_htmls:
            pages += HTML(string=html, base_url=base_url).render(font_config=font_config).pages
            # Only what this document left behind (its pages survive to the next generation):
            # 450 ballots peak at 225 MB rather than 280, 2,000 at 280 MB rather than 550.
            gc.collect(0)
        if len(pages) != 1 + len(serials):
            raise RuntimeError(f"a stamped print run of {len(serials)} ballots laid out as "
                               f"{len(ballot.pages)} + {len(pages) - len(ballot.pages)} pages")
        return ballot.copy(pages).write_pdf(finisher=_stamp)


async def ballot_words(poll: dict[str, Any], candidates: list[dict[str, Any]]) -> Bilingual:
    """The words a stored poll's ballot is printed with (voting.translations.for_poll).

    With a second language, a ballot prints only when each of its texts has a translation:
    otherwise a Conflict names what is missing, before anything is printed. A poll given as
    its settings alone (no session: the layout tests) prints in Chinese.
    """
    if "session" not in poll:
        return CHINESE_ONLY
    from voting import translations

    words = await translations.for_poll(poll)
    if not words:
        return words
    assert words.language is not None
    missing = [t for t in second_sources(poll, candidates) if t["source"] not in words.book]
    if missing:
        raise Conflict(translations.missing_refusal(words.language, missing, where="选票上", then="打印选票"),
                       code="translations_missing")
    return words


async def ballots_pdf(poll: dict[str, Any], candidates: list[dict[str, Any]], session: dict[str, Any],
                      serials: list[tuple[str, str]], words: Bilingual | None = None) -> bytes:
    """The PDF of all the ballots, built in a worker thread (the QR codes and HTML too),
    so the event loop keeps taking the hall's votes while it prints. `words`: the poll's
    (`ballot_words`, looked up when not given)."""
    if words is None:
        words = await ballot_words(poll, candidates)
    return await anyio.to_thread.run_sync(
        lambda: ballots_pdf_sync(poll, candidates, session, serials, words=words))
