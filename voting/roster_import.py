"""Parse the deputies roster (代表名册) the secretariat uploads, CSV or XLSX.

Pure parsing: no database, no web. The page that receives the upload calls
:func:`parse_roster` and shows the result; it imports **nothing** unless
``RosterParse.errors`` is empty (and ``rows`` is not). Rows that passed every
check are listed in ``rows`` only so a page can preview them; while any error
remains the file as a whole is not trusted.

Row numbers in messages are the ones the user sees in Excel / WPS: the header
is normally row 1 and the first deputy row 2. Blank rows are skipped but still
counted, so numbers keep matching the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Iterable, NamedTuple

__all__ = [
    "COLUMNS",
    "Column",
    "DeputyRow",
    "MAX_BYTES",
    "MAX_ROWS",
    "RosterParse",
    "RowError",
    "parse_roster",
    "template_csv",
    "template_xlsx",
]

MAX_BYTES = 2 * 1024 * 1024
"""Largest upload accepted (2 MB)."""

MAX_ROWS = 5000
"""Most deputy rows (not counting the header and blank rows) in one file."""

_MAX_UNZIPPED = 64 * 1024 * 1024  # guard against zip bombs posing as .xlsx
_HEADER_SCAN = 10  # title rows tolerated above the header


class Column(NamedTuple):
    header: str
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("代表证号", True, "代表证号码，1–20 位字母、数字或连字符（-），文件内不得重复"),
    Column("姓名", True, "代表姓名，1–20 个字，前后及中间的空格会被去掉"),
    Column("性别", False, "填写“男”或“女”，可留空"),
    Column("代表团", True, "所属代表团名称，不超过 30 个字，如“城关镇代表团”"),
    Column("工作单位及职务", False, "不超过 100 个字，可留空"),
    Column("手机", False, "11 位手机号码，以 1 开头，可留空"),
)
"""The roster columns as ``(header, required, description)``, in template order."""

# Headers people commonly type instead of the documented ones.
_ALIASES = {
    "代表证号码": "代表证号",
    "代表编号": "代表证号",
    "代表姓名": "姓名",
    "所属代表团": "代表团",
    "工作单位和职务": "工作单位及职务",
    "单位及职务": "工作单位及职务",
    "工作单位职务": "工作单位及职务",
    "手机号": "手机",
    "手机号码": "手机",
}

_REQUIRED = tuple(c.header for c in COLUMNS if c.required)
_KNOWN = tuple(c.header for c in COLUMNS)

_NUMBER_RE = re.compile(r"[A-Za-z0-9-]{1,20}")
_PHONE_RE = re.compile(r"1[0-9]{10}")
_INTEGRAL_TEXT_RE = re.compile(r"([0-9]+)\.0+")
_SCIENTIFIC_RE = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女"}


@dataclass(frozen=True, slots=True)
class DeputyRow:
    """One deputy as read from the roster (or generated as demo data)."""

    number: str
    name: str
    gender: str | None
    delegation: str
    affiliation: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem found in the file; ``row`` is None for file-level problems."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class RosterParse:
    """Result of :func:`parse_roster`.

    Import only when ``ok``: ``errors`` empty and at least one row. With any
    error, ``rows`` holds the rows that passed their own checks, for preview
    only.
    """

    rows: list[DeputyRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


class _FileError(Exception):
    """A file-level problem; the message is shown to the user as is."""


# --------------------------------------------------------------------------
# entry point


def parse_roster(filename: str, data: bytes) -> RosterParse:
    """Parse an uploaded roster (CSV or XLSX) into deputy rows and errors.

    The type is told from the content, not from ``filename`` (used only in
    messages): XLSX by the zip signature, legacy ``.xls`` is refused with a
    request to save as ``.xlsx`` or CSV, anything else is read as CSV text
    (UTF-8 with or without BOM, else GB18030/GBK as Chinese Excel saves it;
    UTF-16 "Unicode text" with BOM also works, comma or tab separated).

    The header row may sit under a few title rows; column order is free and
    extra columns are ignored. Blank rows are skipped. Every problem is
    reported: a missing required column or an unreadable / oversized file as a
    single file-level error (``row`` None), otherwise one error per bad cell
    with its spreadsheet row number, e.g.
    ``第 7 行：「代表证号」A023 与第 3 行重复``.

    The caller must import nothing unless ``errors`` is empty; ``rows`` then
    holds every deputy in file order. Numbers Excel stored as numbers
    (代表证号 1023.0, 手机 13800138000.0) come out as plain strings.
    """
    label = f"“{filename}”" if filename else "文件"
    try:
        if not data:
            raise _FileError(f"{label}是空文件，请选择填好的代表名册")
        if len(data) > MAX_BYTES:
            raise _FileError(
                f"{label}大小为 {len(data) / 1024 / 1024:.1f} MB，超过 2 MB 的上限；"
                "请删除多余的工作表、图片或格式后再上传"
            )
        if data.startswith(b"PK\x03\x04"):
            table = _read_xlsx(data, label)
        elif data.startswith(b"\xd0\xcf\x11\xe0"):
            raise _FileError(
                f"{label}是旧版 Excel（.xls）文件或加密的 Excel 文件，无法直接读取；"
                "请在 Excel 或 WPS 中“另存为” Excel 工作簿（.xlsx）或 CSV（逗号分隔）后再上传"
            )
        else:
            table = _read_csv(data, label)
        return _parse_table(table)
    except _FileError as exc:
        return RosterParse(rows=[], errors=[RowError(None, str(exc))])


# --------------------------------------------------------------------------
# reading the file into (row number, [text, ...]) pairs


_Table = list[tuple[int, list[str]]]


def _collect(rows: Iterable[tuple[int, Iterable[object]]]) -> _Table:
    """Keep non-blank rows as text; stop once there are clearly too many."""
    table: _Table = []
    for number, values in rows:
        cells = [_cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        table.append((number, cells))
        if len(table) > MAX_ROWS + _HEADER_SCAN + 1:
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


def _read_csv(data: bytes, label: str) -> _Table:
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" in data:
        raise _FileError(
            f"{label}不是 CSV 文本，也不是 Excel 工作簿（.xlsx）；"
            "请上传代表名册模板格式的 .xlsx 或 .csv 文件"
        )
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        raise _FileError(
            f"{label}的文字编码无法识别（既不是 UTF-8 也不是 GBK）；"
            "请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）后再上传"
        )
    text = text.lstrip("\ufeff")
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect(enumerate(reader, start=1))
    except csv.Error as exc:
        raise _FileError(
            f"{label}的 CSV 格式有误（第 {reader.line_num} 行附近）：{exc}；"
            "请用 Excel 或 WPS 打开后重新另存为 CSV"
        ) from None


def _read_xlsx(data: bytes, label: str) -> _Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and b"opendocument" in zf.read("mimetype")[:200]:
                raise _FileError(
                    f"{label}是 OpenDocument 表格（.ods），请另存为 Excel 工作簿（.xlsx）或 CSV 后再上传"
                )
            if "xl/workbook.xml" not in names:
                kind = "Word 文档" if "word/document.xml" in names else "压缩包"
                raise _FileError(
                    f"{label}是{kind}，不是 Excel 工作簿；请上传代表名册模板格式的 .xlsx 或 .csv 文件"
                )
            if sum(i.file_size for i in zf.infolist()) > _MAX_UNZIPPED:
                raise _FileError(f"{label}解压后内容过大，请只保留代表名册一张工作表后再上传")
    except zipfile.BadZipFile:
        raise _FileError(f"{label}已损坏，无法作为 Excel 工作簿（.xlsx）打开") from None

    import openpyxl  # imported lazily: CSV-only callers do not pay for it

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on malformed workbooks
        raise _FileError(
            f"{label}无法作为 Excel 工作簿读取，文件可能已损坏；"
            "请在 Excel 或 WPS 中重新另存为 .xlsx 或 CSV 后再上传"
        ) from None
    try:
        sheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        sheets = sheets or list(wb.worksheets)
        if not sheets:
            raise _FileError(f"{label}中没有工作表")
        chosen = sheets[0]
        for ws in sheets:  # the first sheet whose header has every required column
            ws.reset_dimensions()
            head = _collect(_sheet_rows(ws, limit=_HEADER_SCAN * 3))[:_HEADER_SCAN]
            if any(_REQUIRED_SET <= set(_header_map(cells)[0]) for _, cells in head):
                chosen = ws
                break
        chosen.reset_dimensions()
        return _collect(_sheet_rows(chosen))
    except _FileError:
        raise
    except Exception:
        raise _FileError(
            f"{label}的内容无法读取，文件可能已损坏；请在 Excel 或 WPS 中重新另存为 .xlsx 或 CSV 后再上传"
        ) from None
    finally:
        wb.close()


def _sheet_rows(ws, limit: int | None = None):
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if limit is not None and number > limit:
            return
        yield number, values


# --------------------------------------------------------------------------
# header and rows


_REQUIRED_SET = frozenset(_REQUIRED)


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    key = "".join(key.split()).strip("*")
    for suffix in ("(必填)", "(选填)", "(可选)"):
        key = key.removesuffix(suffix)
    key = key.strip("*")
    return _ALIASES.get(key, key)


def _header_map(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    """Known header -> column index, and known headers that appear twice."""
    found: dict[str, int] = {}
    repeated: list[str] = []
    for index, cell in enumerate(cells):
        key = _header_key(cell)
        if key in _KNOWN:
            if key in found:
                repeated.append(key)
            else:
                found[key] = index
    return found, repeated


def _parse_table(table: _Table) -> RosterParse:
    if not table:
        raise _FileError("文件中没有内容，请按模板填写表头和代表信息")

    # The header is the first row (among the first few) with all required
    # columns; failing that, the row with most known columns, else the first.
    candidates = table[:_HEADER_SCAN]
    header_at = next(
        (i for i, (_, cells) in enumerate(candidates) if _REQUIRED_SET <= set(_header_map(cells)[0])),
        None,
    )
    if header_at is None:
        scores = [len(_header_map(cells)[0]) for _, cells in candidates]
        best = max(scores)
        header_at = scores.index(best) if best else 0
    header_row, header_cells = table[header_at]
    columns, repeated = _header_map(header_cells)

    missing = [h for h in _REQUIRED if h not in columns]
    if missing:
        raise _FileError(
            f"第 {header_row} 行表头缺少必填列：{''.join(f'「{h}」' for h in missing)}；"
            f"表头应为{'、'.join(f'「{h}」' for h in _KNOWN)}（顺序不限，"
            "可下载模板对照）"
        )
    if repeated:
        raise _FileError(
            f"第 {header_row} 行表头中{''.join(f'「{h}」' for h in dict.fromkeys(repeated))}出现了不止一次，"
            "请删除重复的列"
        )

    body = table[header_at + 1 :]
    if len(body) > MAX_ROWS:
        raise _FileError(
            f"文件中的代表超过 {MAX_ROWS} 行的上限，请检查是否混入了其他数据，或分批导入"
        )
    if not body:
        raise _FileError(f"第 {header_row} 行表头下面没有代表信息，请填写后再上传")

    result = RosterParse()
    seen: dict[str, int] = {}  # case-folded deputy number -> first row
    for row_number, cells in body:
        row = _parse_row(row_number, cells, columns, seen, result.errors)
        if row is not None:
            result.rows.append(row)
    return result


def _parse_row(
    n: int,
    cells: list[str],
    columns: dict[str, int],
    seen: dict[str, int],
    errors: list[RowError],
) -> DeputyRow | None:
    before = len(errors)

    def get(header: str) -> str:
        index = columns.get(header)
        if index is None or index >= len(cells):
            return ""
        return _clean(cells[index])

    def bad(header: str, problem: str) -> None:
        errors.append(RowError(n, f"第 {n} 行：「{header}」{problem}"))

    # 代表证号
    number = unicodedata.normalize("NFKC", get("代表证号"))
    number = _integral(number)
    if not number:
        bad("代表证号", "不能为空")
    elif len(number) > 20:
        bad("代表证号", f"{number} 超过 20 个字符（现为 {len(number)} 个）")
    elif not _NUMBER_RE.fullmatch(number):
        bad("代表证号", f"{number} 只能由字母、数字和连字符（-）组成")
    else:
        first = seen.get(number.casefold())
        if first is not None:
            bad("代表证号", f"{number} 与第 {first} 行重复")
        else:
            seen[number.casefold()] = n

    # 姓名
    name = _squeeze(get("姓名"))
    if not name:
        bad("姓名", "不能为空")
    elif len(name) > 20:
        bad("姓名", f"不能超过 20 个字（现为 {len(name)} 个）")

    # 性别
    raw_gender = get("性别")
    gender: str | None = None
    if raw_gender:
        gender = _GENDERS.get("".join(raw_gender.split()))
        if gender is None:
            bad("性别", f"只能填写“男”或“女”，不能是“{raw_gender}”")

    # 代表团
    delegation = _squeeze(get("代表团"))
    if not delegation:
        bad("代表团", "不能为空")
    elif len(delegation) > 30:
        bad("代表团", f"不能超过 30 个字（现为 {len(delegation)} 个）")

    # 工作单位及职务
    affiliation = " ".join(get("工作单位及职务").split()) or None
    if affiliation is not None and len(affiliation) > 100:
        bad("工作单位及职务", f"不能超过 100 个字（现为 {len(affiliation)} 个）")

    # 手机
    raw_phone = get("手机")
    phone: str | None = None
    if raw_phone:
        digits = unicodedata.normalize("NFKC", raw_phone)
        digits = "".join(digits.split()).replace("-", "")
        digits = _integral(digits)
        if digits.startswith("+86"):
            digits = digits[3:]
        if _PHONE_RE.fullmatch(digits):
            phone = digits
        elif _SCIENTIFIC_RE.fullmatch(digits):
            bad(
                "手机",
                f"{raw_phone} 被 Excel 显示成了科学计数法，号码已丢失；"
                "请把该列设为“文本”格式后重新填写",
            )
        else:
            bad("手机", f"{raw_phone} 不是以 1 开头的 11 位手机号码")

    if len(errors) > before:
        return None
    return DeputyRow(number, name, gender, delegation, affiliation, phone)


def _clean(text: str) -> str:
    """Drop invisible and control characters; trim (incl. full-width spaces)."""
    text = text.translate(_INVISIBLE)
    text = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in text
        if ch in "\t\r\n" or unicodedata.category(ch) != "Cc"
    )
    return text.strip()


def _squeeze(text: str) -> str:
    """Names: drop all spaces in Chinese text (王　伟 → 王伟), else collapse."""
    parts = text.split()
    if any(ord(ch) > 0x7F for ch in text):
        return "".join(parts)
    return " ".join(parts)


def _integral(text: str) -> str:
    """``1023.0`` (a number that went through a float) → ``1023``."""
    match = _INTEGRAL_TEXT_RE.fullmatch(text)
    return match.group(1) if match else text


# --------------------------------------------------------------------------
# templates


_EXAMPLES = (
    ("D001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000"),
    ("D002", "李秀英", "女", "东溪镇代表团", "东溪镇中心卫生院院长", ""),
)

_RULES = (
    "第 1 行为表头，列的顺序不限，多余的列会被忽略；列名须与上表一致。",
    "每位代表占一行，空行会被跳过。",
    "“是否必填”为“是”的列必须填写；代表证号在文件内不能重复。",
    "代表证号、手机号请设为“文本”格式，避免 Excel 把手机号显示成科学计数法或去掉开头的 0。",
    f"文件不超过 2 MB，代表不超过 {MAX_ROWS} 行；支持 .xlsx 和 CSV（UTF-8 或 GBK 编码），不支持旧版 .xls。",
    "只要有一处错误，整份名册都不会导入；请按提示的行号改正后重新上传。",
    "导入前请删除两行示例数据。",
)


def template_csv() -> bytes:
    """A CSV template: UTF-8 with BOM (so Excel shows Chinese), header + two example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_KNOWN)
    writer.writerows(_EXAMPLES)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """An XLSX template: sheet 代表名册 (bold header, widths, two examples) and sheet 填写说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "代表名册"
    ws.append(list(_KNOWN))
    for example in _EXAMPLES:
        ws.append(list(example))

    widths = {"代表证号": 14, "姓名": 12, "性别": 8, "代表团": 20, "工作单位及职务": 40, "手机": 16}
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[letter].width = widths[column.header]
        if column.header in ("代表证号", "手机"):
            ws.column_dimensions[letter].number_format = "@"
            for row in range(2, len(_EXAMPLES) + 2):
                ws.cell(row=row, column=index).number_format = "@"
    ws.freeze_panes = "A2"

    gender_col = get_column_letter(_KNOWN.index("性别") + 1)
    gender_rule = DataValidation(type="list", formula1='"男,女"', allow_blank=True)
    gender_rule.error = "性别只能填写“男”或“女”"
    gender_rule.errorTitle = "性别"
    ws.add_data_validation(gender_rule)
    gender_rule.add(f"{gender_col}2:{gender_col}{MAX_ROWS + 1}")

    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in COLUMNS:
        notes.append([column.header, "是" if column.required else "否", column.description])
    notes.append([])
    notes.append(["填写规则"])
    for number, rule in enumerate(_RULES, start=1):
        notes.append([f"{number}. {rule}"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
    notes.cell(row=len(COLUMNS) + 3, column=1).font = Font(bold=True)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 60

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
