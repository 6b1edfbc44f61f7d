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

import re
import unicodedata
from dataclasses import dataclass

from voting import spreadsheets
from voting.spreadsheets import MAX_BYTES, MAX_ROWS, Column, FileError, Layout, Parse, Record

__all__ = [
    "COLUMNS",
    "Column",
    "DeputyRow",
    "LAYOUT",
    "MAX_BYTES",
    "MAX_ROWS",
    "RosterParse",
    "RowError",
    "parse_roster",
    "template_csv",
    "template_xlsx",
]

COLUMNS: tuple[Column, ...] = (
    Column("代表证号", True, "代表证号码，1–20 位字母、数字或连字符（-），文件内不得重复"),
    Column("姓名", True, "代表姓名，1–20 个字，前后及中间的空格会被去掉"),
    Column("性别", False, "填写“男”或“女”，可留空"),
    Column("代表团", True, "所属代表团名称，不超过 30 个字，如“城关镇代表团”"),
    Column("工作单位及职务", False, "不超过 100 个字，可留空"),
    Column("手机", False, "11 位手机号码，以 1 开头，可留空"),
)
"""The roster columns as ``(header, required, description)``, in template order."""

LAYOUT = Layout(
    document="代表名册",
    item="代表",
    columns=COLUMNS,
    aliases={  # headers people commonly type instead of the documented ones
        "代表证号码": "代表证号",
        "代表编号": "代表证号",
        "代表姓名": "姓名",
        "所属代表团": "代表团",
        "工作单位和职务": "工作单位及职务",
        "单位及职务": "工作单位及职务",
        "工作单位职务": "工作单位及职务",
        "手机号": "手机",
        "手机号码": "手机",
    },
)
"""What a roster file holds, for :mod:`voting.spreadsheets`."""

_NUMBER_RE = re.compile(r"[A-Za-z0-9-]{1,20}")
_PHONE_RE = re.compile(r"1[0-9]{10}")
_INTEGRAL_TEXT_RE = re.compile(r"([0-9]+)\.0+")
_SCIENTIFIC_RE = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+")
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
class RosterParse(Parse[DeputyRow, RowError]):
    """Result of :func:`parse_roster`.

    Import only when ``ok``: ``errors`` empty and at least one row. With any
    error, ``rows`` holds the rows that passed their own checks, for preview
    only.
    """


# --------------------------------------------------------------------------
# entry point


def parse_roster(filename: str, data: bytes) -> RosterParse:
    """Parse an uploaded roster (CSV or XLSX) into deputy rows and errors.

    The file is read by :func:`voting.spreadsheets.read_records`: the type is
    told from the content, not from ``filename`` (used only in messages);
    UTF-8 or GBK CSV and XLSX are accepted, legacy ``.xls`` is refused with a
    request to save as ``.xlsx`` or CSV. The header row may sit under a few
    title rows; column order is free and extra columns are ignored. Blank rows
    are skipped. Every problem is reported: a missing required column or an
    unreadable / oversized file as a single file-level error (``row`` None),
    otherwise one error per bad cell with its spreadsheet row number, e.g.
    ``第 7 行：「代表证号」A023 与第 3 行重复``.

    The caller must import nothing unless ``errors`` is empty; ``rows`` then
    holds every deputy in file order. Numbers Excel stored as numbers
    (代表证号 1023.0, 手机 13800138000.0) come out as plain strings.
    """
    try:
        records = spreadsheets.read_records(filename, data, LAYOUT)
    except FileError as exc:
        return RosterParse(rows=[], errors=[RowError(None, str(exc))])
    result = RosterParse()
    seen: dict[str, int] = {}  # case-folded deputy number -> first row
    for record in records:
        row = _parse_row(record, seen, result.errors)
        if row is not None:
            result.rows.append(row)
    return result


# --------------------------------------------------------------------------
# one row


def _parse_row(record: Record, seen: dict[str, int], errors: list[RowError]) -> DeputyRow | None:
    n, get = record.row, record.text
    before = len(errors)

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
    return spreadsheets.template_csv(LAYOUT, _EXAMPLES)


def template_xlsx() -> bytes:
    """An XLSX template: sheet 代表名册 (bold header, widths, two examples) and sheet 填写说明."""
    return spreadsheets.template_xlsx(
        LAYOUT,
        _EXAMPLES,
        sheet="代表名册",
        widths={"代表证号": 14, "姓名": 12, "性别": 8, "代表团": 20, "工作单位及职务": 40, "手机": 16},
        rules=_RULES,
        text_columns=("代表证号", "手机"),
        choices={"性别": (("男", "女"), "性别只能填写“男”或“女”")},
    )
