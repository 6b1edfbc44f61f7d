"""Parse the deputies roster (代表名册) the secretariat uploads, CSV or XLSX.

Pure parsing: no database, no web. The page that receives the upload calls
:func:`parse_roster`, then :func:`voting.roster.preview_import` shows what it would
change; it imports **nothing** unless ``RosterParse.errors`` is empty (and ``rows``
is not), and only once the clerk confirms the preview. Rows that passed every
check are listed in ``rows`` only so a page can preview them; while any error
remains the file as a whole is not trusted.

Rows that are not deputies are set aside in ``RosterParse.skipped``, each with why:
the template's example rows (marked in its 示例 column, or the examples of an older
template copied unchanged), and rows hidden in Excel by hand or by a filter.

Row numbers in messages are the ones the user sees in Excel / WPS: the header
is normally row 1 and the first deputy row 2. Blank rows are skipped but still
counted, so numbers keep matching the spreadsheet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from voting import spreadsheets
from voting.roster import DeputyRow, normalise_number
from voting.spreadsheets import FILTERED, MAX_BYTES, MAX_ROWS, Column, FileError, Layout, Parse, Record

__all__ = [
    "COLUMNS",
    "Column",
    "DeputyRow",
    "LAYOUT",
    "MAX_BYTES",
    "MAX_ROWS",
    "RosterParse",
    "RowError",
    "SkippedRow",
    "parse_roster",
    "template_csv",
    "template_xlsx",
]

COLUMNS: tuple[Column, ...] = (
    Column("代表证号", True, "代表证号码，1–20 位字母、数字或连字符（-），不分大小写，文件内不得重复"),
    Column("姓名", True, "代表姓名，1–20 个字，前后及中间的空格会被去掉"),
    Column("性别", False, "填写“男”或“女”，可留空"),
    Column("代表团", True, "所属代表团名称，不超过 30 个字，如“城关镇代表团”"),
    Column("工作单位及职务", False, "不超过 100 个字，可留空"),
    Column("手机", False, "11 位手机号码，以 1 开头，可留空"),
)
"""The roster columns as ``(header, required, description)``, in template order."""

EXAMPLE = Column("示例", False, "模板中的示例行在此列标有“示例”，不会导入；填写真实代表时此列留空（也可以删除此列）")
"""The template's last column: a row with anything in it is an example, never imported."""

EXAMPLE_MARK = "示例（不导入）"

LAYOUT = Layout(
    document="代表名册",
    item="代表",
    columns=COLUMNS + (EXAMPLE,),
    aliases={  # headers people commonly type instead of the documented ones (spaces are ignored)
        "代表证号码": "代表证号",
        "代表证编号": "代表证号",
        "代表证": "代表证号",
        "代表编号": "代表证号",
        "代表姓名": "姓名",
        "所属代表团": "代表团",
        "所在代表团": "代表团",
        "代表团名称": "代表团",
        "工作单位和职务": "工作单位及职务",
        "单位及职务": "工作单位及职务",
        "工作单位职务": "工作单位及职务",
        "工作单位": "工作单位及职务",
        "单位职务": "工作单位及职务",
        "职务": "工作单位及职务",
        "手机号": "手机",
        "手机号码": "手机",
        "联系电话": "手机",
        "联系手机": "手机",
        "移动电话": "手机",
        "电话": "手机",
        "是否示例": "示例",
    },
)
"""What a roster file holds, for :mod:`voting.spreadsheets`."""

_NUMBER_RE = re.compile(r"[A-Za-z0-9-]{1,20}")
_PHONE_RE = re.compile(r"1[0-9]{10}")
_INTEGRAL_TEXT_RE = re.compile(r"([0-9]+)\.0+")
_SCIENTIFIC_RE = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+")
_GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女"}


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row of the file that is not imported, and why (shown in the preview)."""

    row: int
    reason: str
    number: str
    name: str


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
    only. ``skipped`` are rows set aside (examples, hidden rows), ``columns``
    the documented headers the file has (a column it lacks is left as it is on
    the roll), ``notes`` what the clerk should know about how it was read.
    """

    skipped: list[SkippedRow] = field(default_factory=list)
    columns: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)


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
    result = RosterParse(columns=frozenset(h for r in records for h in r.values))
    seen: dict[str, int] = {}  # normalised deputy number -> first row
    merged: dict[str, list[str]] = {}  # header -> merged cells read
    for record in records:
        reason = _skip_reason(record)
        if reason:
            result.skipped.append(SkippedRow(record.row, reason, record.text("代表证号"), _squeeze(record.text("姓名"))))
            continue
        for header, cells in record.merged.items():
            if cells not in merged.setdefault(header, []):
                merged[header].append(cells)
        row = _parse_row(record, seen, result.errors)
        if row is not None:
            result.rows.append(row)
    for header, cells in merged.items():
        shown = "、".join(cells[:3]) + (f" 等 {len(cells)} 处" if len(cells) > 3 else "")
        result.notes.append(f"「{header}」列有合并单元格（{shown}），每一行都按合并单元格中的值读取，请在预览中核对")
    return result


def _skip_reason(record: Record) -> str:
    if record.hidden:
        return "被筛选隐藏的行（筛选条件不符）" if record.hidden == FILTERED else "隐藏的行"
    if record.text("示例"):
        return "模板中的示例行（“示例”列有内容）"
    typed = (normalise_number(record.text("代表证号")), _squeeze(record.text("姓名")),
             _squeeze(record.text("代表团")), " ".join(record.text("工作单位及职务").split()))
    if any(typed == (n, name, d, a) for n, name, _, d, a, _ in _EXAMPLES):
        return "模板中的示例行（与模板示例相同）"
    return ""


# --------------------------------------------------------------------------
# one row


def _parse_row(record: Record, seen: dict[str, int], errors: list[RowError]) -> DeputyRow | None:
    n, get = record.row, record.text
    before = len(errors)

    def bad(header: str, problem: str) -> None:
        if header in record.merged:
            problem += f"（该格在合并单元格 {record.merged[header]} 中，读作合并单元格的值；请取消合并后逐行填写）"
        errors.append(RowError(n, f"第 {n} 行：「{header}」{problem}"))

    # 代表证号
    number = normalise_number(get("代表证号"))
    if not number:
        bad("代表证号", "不能为空")
    elif len(number) > 20:
        bad("代表证号", f"{number} 超过 20 个字符（现为 {len(number)} 个）")
    elif not _NUMBER_RE.fullmatch(number):
        bad("代表证号", f"{number} 只能由字母、数字和连字符（-）组成")
    else:
        first = seen.get(number)
        if first is not None:
            bad("代表证号", f"{number} 与第 {first} 行重复")
        else:
            seen[number] = n

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
        digits = _INTEGRAL_TEXT_RE.sub(r"\1", digits)
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
    return DeputyRow(number, name, gender, delegation, affiliation, phone, n)


def _squeeze(text: str) -> str:
    """Names: drop all spaces in Chinese text (王　伟 → 王伟), else collapse."""
    parts = text.split()
    if any(ord(ch) > 0x7F for ch in text):
        return "".join(parts)
    return " ".join(parts)


# --------------------------------------------------------------------------
# templates


_EXAMPLES = (
    ("D001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000"),
    ("D002", "李秀英", "女", "东溪镇代表团", "东溪镇中心卫生院院长", ""),
)
"""The template's example deputies; a row equal to one of them is never imported."""

_RULES = (
    "第 1 行为表头，列的顺序不限，多余的列会被忽略；列名须与上表一致。",
    "每位代表占一行，空行会被跳过。",
    "“是否必填”为“是”的列必须填写；代表证号在文件内不能重复。",
    "代表证号、手机号请设为“文本”格式，避免 Excel 把手机号显示成科学计数法或去掉开头的 0。",
    f"文件不超过 2 MB，代表不超过 {MAX_ROWS} 行；支持 .xlsx 和 CSV（UTF-8 或 GBK 编码），不支持旧版 .xls。",
    "只要有一处错误，整份名册都不会导入；请按提示的行号改正后重新上传。",
    "“示例”列标有“示例”的两行是示例，不会导入，可以保留也可以删除；真实代表的“示例”列请留空。",
    "隐藏的行和被筛选隐藏的行不会导入。",
    "上传后先显示预览（新增、更新、跳过各多少人），核对无误并点“确认导入”后才写入名册。",
)


def _marked_examples() -> list[tuple[str, ...]]:
    return [(*example, EXAMPLE_MARK) for example in _EXAMPLES]


def template_csv() -> bytes:
    """A CSV template: UTF-8 with BOM (so Excel shows Chinese), header + two example rows marked 示例."""
    return spreadsheets.template_csv(LAYOUT, _marked_examples())


def template_xlsx() -> bytes:
    """An XLSX template: sheet 代表名册 (bold header, widths, two examples marked 示例) and sheet 填写说明."""
    return spreadsheets.template_xlsx(
        LAYOUT,
        _marked_examples(),
        sheet="代表名册",
        widths={"代表证号": 14, "姓名": 12, "性别": 8, "代表团": 20, "工作单位及职务": 40, "手机": 16, "示例": 16},
        rules=_RULES,
        text_columns=("代表证号", "手机"),
        choices={"性别": (("男", "女"), "性别只能填写“男”或“女”")},
    )
