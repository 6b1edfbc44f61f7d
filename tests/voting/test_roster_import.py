"""Roster upload parsing: real CSV (UTF-8 BOM, GBK) and XLSX files."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from voting.roster_import import (
    COLUMNS,
    MAX_ROWS,
    DeputyRow,
    RosterParse,
    RowError,
    parse_roster,
    template_csv,
    template_xlsx,
)

HEADER = ["代表证号", "姓名", "性别", "代表团", "工作单位及职务", "手机"]

GOOD = [
    ["A001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000"],
    ["A002", "李秀英", "女", "东溪镇代表团", "东溪镇中心卫生院院长", ""],
    ["A003", "张　伟", "", "岭头镇代表团", "", "15912345678"],
    ["A-004", " 欧阳明月 ", "女", "县直机关代表团", "县教育局局长", "18600001111"],
]


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, before: list[list[object]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    for row in before or []:
        ws.append(row)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def messages(result: RosterParse) -> list[str]:
    return [e.message for e in result.errors]


EXPECTED_GOOD = [
    DeputyRow("A001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000"),
    DeputyRow("A002", "李秀英", "女", "东溪镇代表团", "东溪镇中心卫生院院长", None),
    DeputyRow("A003", "张伟", None, "岭头镇代表团", None, "15912345678"),
    DeputyRow("A-004", "欧阳明月", "女", "县直机关代表团", "县教育局局长", "18600001111"),
]


# -------------------------------------------------------------- good files


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_good_csv_imports_every_row(encoding):
    result = parse_roster("名册.csv", csv_bytes([HEADER, *GOOD], encoding))
    assert result.errors == []
    assert result.rows == EXPECTED_GOOD
    assert result.ok


def test_gbk_bytes_are_not_valid_utf8():
    # make sure the GBK case really exercises the fallback
    with pytest.raises(UnicodeDecodeError):
        csv_bytes([HEADER, *GOOD], "gbk").decode("utf-8")


def test_good_xlsx_imports_every_row():
    result = parse_roster("名册.xlsx", xlsx_bytes([HEADER, *GOOD]))
    assert result.errors == []
    assert result.rows == EXPECTED_GOOD


def test_type_detected_by_content_not_name():
    xlsx = xlsx_bytes([HEADER, *GOOD])
    assert parse_roster("名册.csv", xlsx).rows == EXPECTED_GOOD
    assert parse_roster("名册.xlsx", csv_bytes([HEADER, *GOOD])).rows == EXPECTED_GOOD
    assert parse_roster("", csv_bytes([HEADER, *GOOD])).rows == EXPECTED_GOOD


def test_column_order_free_and_extra_columns_ignored():
    header = ["序号", "代表团", "姓名", "备注", "代表证号"]
    rows = [[1, "城关镇代表团", "王建国", "无", "A001"], [2, "东溪镇代表团", "李秀英", "", "A002"]]
    for data in (csv_bytes([header, *rows]), xlsx_bytes([header, *rows])):
        result = parse_roster("x", data)
        assert result.errors == []
        assert result.rows == [
            DeputyRow("A001", "王建国", None, "城关镇代表团", None, None),
            DeputyRow("A002", "李秀英", None, "东溪镇代表团", None, None),
        ]


def test_tab_separated_utf16_text_from_excel():
    text = "\r\n".join("\t".join(r) for r in [HEADER, *GOOD]) + "\r\n"
    result = parse_roster("名册.txt", text.encode("utf-16"))
    assert result.errors == []
    assert result.rows == EXPECTED_GOOD


def test_title_row_above_header_keeps_row_numbers():
    rows = [HEADER, GOOD[0], ["A001", "李四", "男", "城关镇代表团", "", ""]]
    data = xlsx_bytes(rows, before=[["青溪县第十九届人大代表名册"]])
    result = parse_roster("名册.xlsx", data)
    assert messages(result) == ["第 4 行：「代表证号」A001 与第 3 行重复"]


# -------------------------------------------------------------- bad rows


BAD = [
    HEADER,                                                        # row 1
    ["A001", "王建国", "男", "城关镇代表团", "", "13800138000"],   # row 2 ok
    ["A002", "", "女", "东溪镇代表团", "", ""],                    # row 3 missing name
    ["A001", "李四", "男", "岭头镇代表团", "", ""],                # row 4 duplicate number
    ["A005", "赵五", "男", "白沙镇代表团", "", "1380013800"],      # row 5 bad phone
    ["A006", "钱六", "M", "石门乡代表团", "", ""],                 # row 6 bad gender
    ["A007", "孙七", "女", "", "", ""],                            # row 7 missing delegation
    ["A008", "周八", "男", "桃源乡代表团", "", "18912345678"],     # row 8 ok
    ["", "", "", "", "", ""],                                      # row 9 blank
    ["A 9", "吴九" * 11, "男", "龙潭镇代表团" * 6, "", "23800138000"],  # row 10 several
]


def check_bad(result: RosterParse) -> None:
    assert not result.ok
    assert [(e.row, e.message) for e in result.errors] == [
        (3, "第 3 行：「姓名」不能为空"),
        (4, "第 4 行：「代表证号」A001 与第 2 行重复"),
        (5, "第 5 行：「手机」1380013800 不是以 1 开头的 11 位手机号码"),
        (6, "第 6 行：「性别」只能填写“男”或“女”，不能是“M”"),
        (7, "第 7 行：「代表团」不能为空"),
        (10, "第 10 行：「代表证号」A 9 只能由字母、数字和连字符（-）组成"),
        (10, "第 10 行：「姓名」不能超过 20 个字（现为 22 个）"),
        (10, "第 10 行：「代表团」不能超过 30 个字（现为 36 个）"),
        (10, "第 10 行：「手机」23800138000 不是以 1 开头的 11 位手机号码"),
    ]
    # rows holds only rows that passed every check; none of the bad ones
    assert [r.number for r in result.rows] == ["A001", "A008"]


def test_bad_rows_csv_each_reported_with_row_number():
    check_bad(parse_roster("bad.csv", csv_bytes(BAD)))


def test_bad_rows_gbk_csv():
    check_bad(parse_roster("bad.csv", csv_bytes(BAD, "gbk")))


def test_bad_rows_xlsx_each_reported_with_row_number():
    check_bad(parse_roster("bad.xlsx", xlsx_bytes(BAD)))


def test_duplicate_number_is_case_insensitive():
    rows = [HEADER, ["d001", "甲乙", "", "城关镇代表团", "", ""], ["D001", "丙丁", "", "城关镇代表团", "", ""]]
    assert messages(parse_roster("x.csv", csv_bytes(rows))) == ["第 3 行：「代表证号」D001 与第 2 行重复"]


def test_affiliation_too_long():
    rows = [HEADER, ["D1", "甲乙", "", "城关镇代表团", "职" * 101, ""]]
    assert messages(parse_roster("x.csv", csv_bytes(rows))) == [
        "第 2 行：「工作单位及职务」不能超过 100 个字（现为 101 个）"
    ]


def test_scientific_phone_explained():
    rows = [HEADER, ["D1", "甲乙", "", "城关镇代表团", "", "1.38E+10"]]
    (message,) = messages(parse_roster("x.csv", csv_bytes(rows)))
    assert message.startswith("第 2 行：「手机」1.38E+10 被 Excel 显示成了科学计数法")


# -------------------------------------------------------------- file level


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes])
def test_missing_required_header_is_one_file_error(make):
    rows = [["编号", "姓名", "性别", "工作单位及职务"], ["A001", "王建国", "男", ""]]
    result = parse_roster("x", make(rows))
    assert result.rows == []
    assert len(result.errors) == 1
    (error,) = result.errors
    assert error.row is None
    assert "「代表证号」「代表团」" in error.message
    assert "「姓名」" not in error.message.split("；")[0]


def test_duplicate_header_column_refused():
    rows = [HEADER + ["姓名"], GOOD[0] + ["王建国"]]
    (error,) = parse_roster("x.csv", csv_bytes(rows)).errors
    assert error.row is None and "「姓名」出现了不止一次" in error.message


def test_header_aliases_and_marks():
    rows = [["*代表证号", "姓名（必填）", "所属代表团", "手机号码"], ["A1", "王建国", "城关镇代表团", "13800138000"]]
    result = parse_roster("x.csv", csv_bytes(rows))
    assert result.errors == []
    assert result.rows == [DeputyRow("A1", "王建国", None, "城关镇代表团", None, "13800138000")]


def test_legacy_xls_refused():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    result = parse_roster("名册.xls", data)
    assert result.rows == []
    (error,) = result.errors
    assert error.row is None
    assert ".xls" in error.message and ".xlsx" in error.message and "CSV" in error.message


def test_empty_file():
    (error,) = parse_roster("x.csv", b"").errors
    assert error.row is None and "空" in error.message


def test_header_only_is_an_error():
    result = parse_roster("x.csv", csv_bytes([HEADER]))
    assert not result.ok and result.errors[0].row is None


def test_undecodable_text():
    data = "代表证号,姓名,代表团\n".encode("utf-8") + b"\x81\x20\xff\xfe\x80,x,y\n"
    (error,) = parse_roster("x.csv", data).errors
    assert error.row is None and "编码" in error.message


def test_file_too_large():
    data = csv_bytes([HEADER]) + b"x" * (2 * 1024 * 1024)
    (error,) = parse_roster("big.csv", data).errors
    assert error.row is None and "2 MB" in error.message


def test_too_many_rows():
    rows = [HEADER] + [[f"D{i}", "王五", "", "城关镇代表团", "", ""] for i in range(MAX_ROWS + 1)]
    result = parse_roster("x.csv", csv_bytes(rows))
    assert result.rows == []
    (error,) = result.errors
    assert error.row is None and str(MAX_ROWS) in error.message


def test_exactly_max_rows_is_fine():
    rows = [HEADER] + [[f"D{i}", "王五", "", "城关镇代表团", "", ""] for i in range(MAX_ROWS)]
    result = parse_roster("x.csv", csv_bytes(rows))
    assert result.errors == [] and len(result.rows) == MAX_ROWS


def test_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    (error,) = parse_roster("x.xlsx", out.getvalue()).errors
    assert error.row is None and "不是 Excel 工作簿" in error.message


def test_corrupt_xlsx():
    data = xlsx_bytes([HEADER, *GOOD])[:3000]
    (error,) = parse_roster("x.xlsx", data).errors
    assert error.row is None


# -------------------------------------------------------------- normalising


def test_numeric_cells_normalised_xlsx():
    rows = [
        HEADER,
        [1023, "王建国", "男", "城关镇代表团", "", 13800138000],
        [1024.0, "李秀英", "女", "东溪镇代表团", "", 13900139000.0],
    ]
    result = parse_roster("x.xlsx", xlsx_bytes(rows))
    assert result.errors == []
    assert [(r.number, r.phone) for r in result.rows] == [("1023", "13800138000"), ("1024", "13900139000")]
    assert all(isinstance(r.number, str) and isinstance(r.phone, str) for r in result.rows)


def test_numeric_text_normalised_csv():
    rows = [HEADER, ["1023.0", "王建国", "男", "城关镇代表团", "", "13800138000.0"]]
    result = parse_roster("x.csv", csv_bytes(rows))
    assert result.errors == []
    assert (result.rows[0].number, result.rows[0].phone) == ("1023", "13800138000")


def test_full_width_and_spaces_cleaned():
    rows = [HEADER, ["Ａ０２３", "\u3000王\u3000伟\u3000", " 女 ", " 城关镇 代表团 ", "  小学  教师 ", "138 0013 8000"]]
    result = parse_roster("x.csv", csv_bytes(rows))
    assert result.errors == []
    assert result.rows == [DeputyRow("A023", "王伟", "女", "城关镇代表团", "小学 教师", "13800138000")]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes])
def test_blank_rows_skipped_but_counted(make):
    rows = [
        HEADER,
        GOOD[0],
        ["", "", "", "", "", ""],
        [None, " ", None, "\u3000", None, None] if make is xlsx_bytes else [" ", "", "", "", "", ""],
        GOOD[1],
        ["A009", "", "男", "城关镇代表团", "", ""],
    ]
    result = parse_roster("x", make(rows))
    assert [r.number for r in result.rows] == ["A001", "A002"]
    assert messages(result) == ["第 6 行：「姓名」不能为空"]


def test_xlsx_picks_the_sheet_with_the_roster():
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["请在第二张表填写"])
    ws = wb.create_sheet("名册")
    for row in [HEADER, *GOOD]:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    result = parse_roster("x.xlsx", out.getvalue())
    assert result.errors == [] and result.rows == EXPECTED_GOOD


def test_quoted_newline_in_csv_counts_as_one_row():
    rows = [HEADER, ["A001", "王建国", "男", "城关镇代表团", "城关镇\n党委书记", ""], ["A002", "", "", "城关镇代表团", "", ""]]
    result = parse_roster("x.csv", csv_bytes(rows))
    assert result.rows[0].affiliation == "城关镇 党委书记"
    assert messages(result) == ["第 3 行：「姓名」不能为空"]


# -------------------------------------------------------------- templates


def test_columns_constant():
    assert [c[0] for c in COLUMNS] == HEADER
    assert {c.header for c in COLUMNS if c.required} == {"代表证号", "姓名", "代表团"}
    for header, required, description in COLUMNS:
        assert isinstance(required, bool) and description


def test_template_csv_round_trips():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEADER
    assert len(lines) == 3
    result = parse_roster("代表名册模板.csv", data)
    assert result.errors == []
    assert len(result.rows) == 2


def test_template_xlsx_round_trips():
    data = template_xlsx()
    result = parse_roster("代表名册模板.xlsx", data)
    assert result.errors == []
    assert len(result.rows) == 2
    assert result.rows == parse_roster("t.csv", template_csv()).rows

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADER
    assert all(c.font.bold for c in ws[1])
    assert ws.column_dimensions["E"].width >= 30
    notes = wb["填写说明"]
    listed = [notes.cell(row=r, column=1).value for r in range(2, 2 + len(COLUMNS))]
    assert listed == HEADER
    required = [notes.cell(row=r, column=2).value for r in range(2, 2 + len(COLUMNS))]
    assert required == ["是" if c.required else "否" for c in COLUMNS]


def test_row_error_str():
    assert str(RowError(3, "第 3 行：x")) == "第 3 行：x"
