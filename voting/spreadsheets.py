"""Reading and writing the spreadsheets the secretariat uploads and downloads, CSV or XLSX.

Shared by every import (the deputies roster, the proposals gathered on paper): one
:class:`Layout` says what a kind of file holds (its columns, the headers people type
instead, what it is called in messages), :func:`read_records` turns an uploaded file
into one :class:`Record` per filled row, and :func:`template_csv` / :func:`template_xlsx`
write the template to download. Pure: no database, no web.

Row numbers are the ones the user sees in Excel / WPS: the header is normally row 1
and the first data row 2. Blank rows are skipped but still counted, so numbers keep
matching the spreadsheet. Every file-level problem (unreadable, oversized, a required
column missing...) is raised as :class:`FileError`, whose message is shown as is.

An XLSX sheet is read as the person sees it: a number shown with leading zeros by its
format (``000123``) is read so; a cell merged down a column (代表团 typed once per
group) is read in every row it covers, and each :class:`Record` says which of its cells
came from a merged cell; a cell merged across columns below the header is refused,
naming the merged cells. Rows hidden by hand or by a filter are still returned, marked
in ``Record.hidden``, so each import decides (the roster skips them and says so).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Generic, NamedTuple, TypeVar

__all__ = [
    "Column",
    "FILTERED",
    "FileError",
    "HIDDEN",
    "Layout",
    "MAX_BYTES",
    "MAX_ROWS",
    "Parse",
    "Record",
    "clean_cell",
    "file_label",
    "read_records",
    "template_csv",
    "template_xlsx",
]

MAX_BYTES = 2 * 1024 * 1024
"""Largest upload accepted by default (2 MB)."""

MAX_ROWS = 5000
"""Most data rows (not counting the header and blank rows) in one file by default."""

_MAX_UNZIPPED = 64 * 1024 * 1024  # guard against zip bombs posing as .xlsx
_HEADER_SCAN = 10  # title rows tolerated above the header
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


class FileError(Exception):
    """A file-level problem; the message is shown to the user as is."""


class Column(NamedTuple):
    header: str
    required: bool
    description: str


@dataclass(frozen=True)
class Layout:
    """What one kind of upload holds and how messages name it.

    ``document`` names the file (代表名册), ``item`` one row of it (代表); ``aliases``
    maps headers people commonly type to the documented ones. Headers are compared
    after folding full-width characters, spaces, ``*`` and marks like ``（必填）``.
    """

    document: str
    item: str
    columns: tuple[Column, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    max_rows: int = MAX_ROWS
    max_bytes: int = MAX_BYTES
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {_header_key(c.header): c.header for c in self.columns}
        for alias, header in self.aliases.items():
            assert header in self.headers, f"alias {alias} names no column"
            lookup.setdefault(_header_key(alias), header)
        object.__setattr__(self, "_lookup", lookup)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)

    def header_map(self, cells: list[str]) -> tuple[dict[str, int], list[str]]:
        """Known header -> column index, and known headers that appear twice."""
        found: dict[str, int] = {}
        repeated: list[str] = []
        for index, cell in enumerate(cells):
            header = self._lookup.get(_header_key(cell))
            if header is not None:
                if header in found:
                    repeated.append(header)
                else:
                    found[header] = index
        return found, repeated

    def is_header(self, cells: list[str]) -> bool:
        """Whether a row holds every required column."""
        return set(self.required) <= set(self.header_map(cells)[0])


HIDDEN = "hidden"
"""``Record.hidden`` of a row hidden by hand (or in a collapsed group)."""

FILTERED = "filtered"
"""``Record.hidden`` of a row hidden by the sheet's filter (自动筛选)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One filled row: its spreadsheet row number and its cells by documented header.

    ``hidden`` is "" for a visible row, else :data:`HIDDEN` or :data:`FILTERED`;
    ``merged`` maps a header to the merged cells (``C3:C6``) its value was read from,
    for cells under the first row of a merge."""

    row: int
    values: Mapping[str, str]
    hidden: str = ""
    merged: Mapping[str, str] = field(default_factory=dict)

    def raw(self, header: str) -> str:
        """The cell as read ("" when the file has no such column)."""
        return self.values.get(header, "")

    def text(self, header: str) -> str:
        """The cell with invisible and control characters dropped, trimmed."""
        return clean_cell(self.raw(header))


RowT = TypeVar("RowT")
ErrorT = TypeVar("ErrorT")


@dataclass(slots=True)
class Parse(Generic[RowT, ErrorT]):
    """What an import made of a file. Import only when ``ok``: ``errors`` empty and at
    least one row. With any error, ``rows`` holds the rows that passed their own checks,
    for preview only."""

    rows: list[RowT] = field(default_factory=list)
    errors: list[ErrorT] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def file_label(filename: str) -> str:
    """How messages name an uploaded file."""
    return f"“{filename}”" if filename else "文件"


# --------------------------------------------------------------------------
# entry point


def read_records(filename: str, data: bytes, layout: Layout) -> list[Record]:
    """The filled rows under the header of an uploaded CSV or XLSX file.

    The type is told from the content, not from ``filename`` (used only in
    messages): XLSX by the zip signature, legacy ``.xls`` is refused with a
    request to save as ``.xlsx`` or CSV, anything else is read as CSV text
    (UTF-8 with or without BOM, else GB18030/GBK as Chinese Excel saves it;
    UTF-16 "Unicode text" with BOM also works, comma or tab separated).

    The header row may sit under a few title rows; column order is free and
    extra columns are ignored. Raises :class:`FileError` for an empty,
    oversized or unreadable file, a missing required column or a repeated one,
    no rows or more than ``layout.max_rows``.
    """
    label = file_label(filename)
    if not data:
        raise FileError(f"{label}是空文件，请选择填好的{layout.document}")
    if len(data) > layout.max_bytes:
        raise FileError(
            f"{label}大小为 {len(data) / 1024 / 1024:.1f} MB，超过 {layout.max_bytes / 1024 / 1024:g} MB 的上限；"
            "请删除多余的工作表、图片或格式后再上传"
        )
    if data.startswith(b"PK\x03\x04"):
        sheet = _read_xlsx(data, label, layout)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(
            f"{label}是旧版 Excel（.xls）文件或加密的 Excel 文件，无法直接读取；"
            "请在 Excel 或 WPS 中“另存为” Excel 工作簿（.xlsx）或 CSV（逗号分隔）后再上传"
        )
    else:
        sheet = _Sheet(_read_csv(data, label, layout))
    return _records(sheet, layout)


# --------------------------------------------------------------------------
# reading the file into (row number, [text, ...]) pairs


_Table = list[tuple[int, list[str]]]


@dataclass
class _Sheet:
    """The filled rows as text, and what the sheet's layout says about them."""

    table: _Table
    hidden: dict[int, str] = field(default_factory=dict)  # row -> HIDDEN | FILTERED
    merged: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column index) -> "C3:C6"
    across: list[tuple[int, str]] = field(default_factory=list)  # (last row, "B5:C5") merges across columns


def _collect(rows: Iterable[tuple[int, Iterable[object]]], layout: Layout) -> _Table:
    """Keep non-blank rows as text; stop once there are clearly too many."""
    table: _Table = []
    for number, values in rows:
        cells = [v if isinstance(v, str) else _cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        table.append((number, cells))
        if len(table) > layout.max_rows + _HEADER_SCAN + 1:
            break
    return table


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return str(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _read_csv(data: bytes, label: str, layout: Layout) -> _Table:
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" in data:
        raise FileError(
            f"{label}不是 CSV 文本，也不是 Excel 工作簿（.xlsx）；"
            f"请上传{layout.document}模板格式的 .xlsx 或 .csv 文件"
        )
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        raise FileError(
            f"{label}的文字编码无法识别（既不是 UTF-8 也不是 GBK）；"
            "请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）后再上传"
        )
    text = text.lstrip("\ufeff")
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect(enumerate(reader, start=1), layout)
    except csv.Error as exc:
        raise FileError(
            f"{label}的 CSV 格式有误（第 {reader.line_num} 行附近）：{exc}；"
            "请用 Excel 或 WPS 打开后重新另存为 CSV"
        ) from None


def _read_xlsx(data: bytes, label: str, layout: Layout) -> _Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and b"opendocument" in zf.read("mimetype")[:200]:
                raise FileError(
                    f"{label}是 OpenDocument 表格（.ods），请另存为 Excel 工作簿（.xlsx）或 CSV 后再上传"
                )
            if "xl/workbook.xml" not in names:
                kind = "Word 文档" if "word/document.xml" in names else "压缩包"
                raise FileError(
                    f"{label}是{kind}，不是 Excel 工作簿；请上传{layout.document}模板格式的 .xlsx 或 .csv 文件"
                )
            if sum(i.file_size for i in zf.infolist()) > _MAX_UNZIPPED:
                raise FileError(f"{label}解压后内容过大，请只保留{layout.document}一张工作表后再上传")
    except zipfile.BadZipFile:
        raise FileError(f"{label}已损坏，无法作为 Excel 工作簿（.xlsx）打开") from None

    import openpyxl  # imported lazily: CSV-only callers do not pay for it

    try:
        # Not read-only: hidden rows, the filter and merged cells are only read in full mode
        # (a 2 MB, 5,000-row roster still loads in about a second).
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # openpyxl raises many kinds on malformed workbooks
        raise FileError(
            f"{label}无法作为 Excel 工作簿读取，文件可能已损坏；"
            "请在 Excel 或 WPS 中重新另存为 .xlsx 或 CSV 后再上传"
        ) from None
    try:
        sheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        sheets = sheets or list(wb.worksheets)
        if not sheets:
            raise FileError(f"{label}中没有工作表")
        chosen = sheets[0]
        for ws in sheets:  # the first sheet whose header has every required column
            head = _collect(_sheet_rows(ws, {}, limit=_HEADER_SCAN * 3), layout)[:_HEADER_SCAN]
            if any(layout.is_header(cells) for _, cells in head):
                chosen = ws
                break
        return _sheet(chosen, layout)
    except FileError:
        raise
    except Exception:
        raise FileError(
            f"{label}的内容无法读取，文件可能已损坏；请在 Excel 或 WPS 中重新另存为 .xlsx 或 CSV 后再上传"
        ) from None
    finally:
        wb.close()


def _sheet(ws, layout: Layout) -> _Sheet:
    """The sheet's rows as the person sees them, with its hidden rows and merged cells."""
    from openpyxl.utils.cell import range_boundaries

    sheet = _Sheet(table=[])
    fill: dict[tuple[int, int], str] = {}
    for merge in ws.merged_cells.ranges:
        if merge.min_col != merge.max_col:
            sheet.across.append((merge.max_row, merge.coord))
            continue
        value = _shown_text(ws.cell(row=merge.min_row, column=merge.min_col))
        for row in range(merge.min_row + 1, merge.max_row + 1):
            fill[(row, merge.min_col - 1)] = value
            sheet.merged[(row, merge.min_col - 1)] = merge.coord
    filter_rows = range(0)
    if ws.auto_filter.ref and ws.auto_filter.filterColumn:
        _, first, _, last = range_boundaries(ws.auto_filter.ref)
        filter_rows = range(first + 1, last + 1)
    for number, dimension in ws.row_dimensions.items():
        if dimension.hidden:
            sheet.hidden[number] = FILTERED if number in filter_rows else HIDDEN
    sheet.table = _collect(_sheet_rows(ws, fill), layout)
    return sheet


def _sheet_rows(ws, fill: Mapping[tuple[int, int], str], limit: int | None = None):
    for number, cells in enumerate(ws.iter_rows(max_row=limit), start=1):
        yield number, [fill.get((number, index)) or _shown_text(cell) for index, cell in enumerate(cells)]


def _shown_text(cell) -> str:
    """A cell's text as shown: a whole number formatted ``000000`` keeps its leading zeros."""
    value = cell.value
    text = _cell_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and text.isdigit():
        zeros = str(cell.number_format or "")
        if zeros and set(zeros) == {"0"}:
            return text.zfill(len(zeros))
    return text


# --------------------------------------------------------------------------
# header and rows


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    key = "".join(key.split()).strip("*")
    for suffix in ("(必填)", "(选填)", "(可选)"):
        key = key.removesuffix(suffix)
    return key.strip("*")


def _records(sheet: _Sheet, layout: Layout) -> list[Record]:
    table, item = sheet.table, layout.item
    if not table:
        raise FileError(f"文件中没有内容，请按模板填写表头和{item}信息")

    # The header is the first row (among the first few) with all required
    # columns; failing that, the row with most known columns, else the first.
    candidates = table[:_HEADER_SCAN]
    header_at = next((i for i, (_, cells) in enumerate(candidates) if layout.is_header(cells)), None)
    if header_at is None:
        scores = [len(layout.header_map(cells)[0]) for _, cells in candidates]
        best = max(scores)
        header_at = scores.index(best) if best else 0
    header_row, header_cells = table[header_at]
    columns, repeated = layout.header_map(header_cells)

    missing = [h for h in layout.required if h not in columns]
    if missing:
        raise FileError(
            f"第 {header_row} 行表头缺少必填列：{''.join(f'「{h}」' for h in missing)}；"
            f"表头应为{'、'.join(f'「{h}」' for h in layout.headers)}（顺序不限，"
            "可下载模板对照）"
        )
    if repeated:
        raise FileError(
            f"第 {header_row} 行表头中{''.join(f'「{h}」' for h in dict.fromkeys(repeated))}出现了不止一次，"
            "请删除重复的列"
        )

    across = [coord for last, coord in sheet.across if last > header_row]
    if across:
        raise FileError(
            f"表格中有跨列的合并单元格（{'、'.join(across[:5])}{' 等' if len(across) > 5 else ''}），"
            f"无法确定每一列的内容；请取消合并单元格、每格填写一项后重新上传"
        )

    body = table[header_at + 1 :]
    if len(body) > layout.max_rows:
        raise FileError(
            f"文件中的{item}超过 {layout.max_rows} 行的上限，请检查是否混入了其他数据，或分批导入"
        )
    if not body:
        raise FileError(f"第 {header_row} 行表头下面没有{item}信息，请填写后再上传")
    return [
        Record(number, {h: cells[i] for h, i in columns.items() if i < len(cells)}, sheet.hidden.get(number, ""),
               {h: sheet.merged[(number, i)] for h, i in columns.items() if (number, i) in sheet.merged})
        for number, cells in body
    ]


def clean_cell(text: str) -> str:
    """Drop invisible and control characters; trim (incl. full-width spaces)."""
    text = text.translate(_INVISIBLE)
    text = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in text
        if ch in "\t\r\n" or unicodedata.category(ch) != "Cc"
    )
    return text.strip()


# --------------------------------------------------------------------------
# templates


def template_csv(layout: Layout, examples: Sequence[Sequence[object]]) -> bytes:
    """A CSV template: UTF-8 with BOM (so Excel shows Chinese), the header and example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(layout.headers)
    writer.writerows(examples)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(
    layout: Layout,
    examples: Sequence[Sequence[object]],
    *,
    sheet: str,
    widths: Mapping[str, int],
    rules: Sequence[str],
    text_columns: Iterable[str] = (),
    choices: Mapping[str, tuple[Sequence[str], str]] | None = None,
) -> bytes:
    """An XLSX template: sheet ``sheet`` (bold header, required ones in red, widths,
    the examples) and sheet 填写说明 (each column, whether required, what to fill, then
    the numbered ``rules``).

    ``text_columns`` are formatted as text so Excel keeps long numbers and leading
    zeros; ``choices`` gives a column a dropdown: ``header: (values, error message)``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(layout.headers))
    for example in examples:
        ws.append(list(example))

    for row in ws.iter_rows(min_row=2, max_row=len(examples) + 1):  # the examples in grey italics
        for cell in row:
            cell.font = Font(italic=True, color="808080")

    text_columns = set(text_columns)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[letter].width = widths[column.header]
        if column.header in text_columns:
            ws.column_dimensions[letter].number_format = "@"
            for row in range(2, len(examples) + 2):
                ws.cell(row=row, column=index).number_format = "@"
    ws.freeze_panes = "A2"

    for header, (values, error) in (choices or {}).items():
        letter = get_column_letter(layout.headers.index(header) + 1)
        rule = DataValidation(type="list", formula1=f'"{",".join(values)}"', allow_blank=True)
        rule.error = error
        rule.errorTitle = header
        ws.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}{layout.max_rows + 1}")

    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in layout.columns:
        notes.append([column.header, "是" if column.required else "否", column.description])
    notes.append([])
    notes.append(["填写规则"])
    for number, rule_text in enumerate(rules, start=1):
        notes.append([f"{number}. {rule_text}"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
    notes.cell(row=len(layout.columns) + 3, column=1).font = Font(bold=True)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 60

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
