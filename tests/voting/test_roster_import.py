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


def test_template_csv_examples_are_marked_and_never_imported():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEADER + ["示例"]
    assert len(lines) == 3 and all(line.endswith(",示例（不导入）") for line in lines[1:])
    result = parse_roster("代表名册模板.csv", data)
    assert result.errors == [] and result.rows == [] and not result.ok
    assert [(s.row, s.number, s.reason) for s in result.skipped] == [
        (2, "D001", "模板中的示例行（“示例”列有内容）"), (3, "D002", "模板中的示例行（“示例”列有内容）")]


def test_template_xlsx_examples_are_marked_and_never_imported():
    data = template_xlsx()
    result = parse_roster("代表名册模板.xlsx", data)
    assert result.errors == [] and result.rows == []
    assert [s.row for s in result.skipped] == [2, 3]
    assert result.skipped == parse_roster("t.csv", template_csv()).skipped

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADER + ["示例"]
    assert [ws.cell(row=r, column=7).value for r in (2, 3)] == ["示例（不导入）"] * 2
    assert all(c.font.bold for c in ws[1])
    assert all(c.font.italic for c in ws[2])  # the examples look like examples
    assert ws.column_dimensions["E"].width >= 30
    notes = wb["填写说明"]
    listed = [notes.cell(row=r, column=1).value for r in range(2, 2 + len(COLUMNS))]
    assert listed == HEADER
    required = [notes.cell(row=r, column=2).value for r in range(2, 2 + len(COLUMNS))]
    assert required == ["是" if c.required else "否" for c in COLUMNS]


def test_real_rows_added_under_the_template_examples_are_read_and_the_examples_skipped():
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    ws = wb.worksheets[0]
    ws.append(["A101", "周明", "男", "城关镇代表团", "", ""])
    ws.append(["D001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000"])  # example, mark removed
    out = io.BytesIO()
    wb.save(out)
    result = parse_roster("名册.xlsx", out.getvalue())
    assert result.errors == [] and [r.number for r in result.rows] == ["A101"]
    assert [(s.row, s.reason) for s in result.skipped] == [
        (2, "模板中的示例行（“示例”列有内容）"), (3, "模板中的示例行（“示例”列有内容）"),
        (5, "模板中的示例行（与模板示例相同）")]


def test_row_error_str():
    assert str(RowError(3, "第 3 行：x")) == "第 3 行：x"


# -------------------------------------------------------------- office files as the secretariat has them


def office_xlsx(build) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "代表名册"
    build(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


VARIANT_HEADER = ["代表证编号", "姓 名", "性\u3000别", "所在代表团", "工作单位", "联系电话"]


def test_title_row_merged_across_and_common_header_variants():
    def build(ws):
        ws.append(["青溪县第十九届人民代表大会代表名册"])
        ws.merge_cells("A1:F1")
        ws.append(VARIANT_HEADER)
        ws.append(["A001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", 13800138000])
    result = parse_roster("名册.xlsx", office_xlsx(build))
    assert result.errors == []
    assert result.rows == [DeputyRow("A001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000")]
    assert result.rows[0].row == 3


@pytest.mark.parametrize("header", [["代表证号", "姓名", "代表团", "手机"], ["代表证号码", "代表姓名", "所属代表团", "手机号码"],
                                    ["代表证编号", "姓\u3000名", "所在代表团", "联系电话"], ["代表证号*", " 姓 名（必填）", "代表团名称", "移动电话"]])
def test_header_variants_in_csv(header):
    result = parse_roster("x.csv", csv_bytes([header, ["A1", "王建国", "城关镇代表团", "13800138000"]]))
    assert result.errors == []
    assert result.rows == [DeputyRow("A1", "王建国", None, "城关镇代表团", None, "13800138000")]


def test_delegation_merged_down_is_read_in_every_row_it_covers():
    def build(ws):
        ws.append(HEADER)
        ws.append(["A001", "王建国", "男", "城关镇代表团", "", ""])
        ws.append(["A002", "李秀英", "女", None, "", ""])
        ws.append(["A003", "张伟", "男", None, "", ""])
        ws.append(["A004", "赵六", "男", "东溪镇代表团", "", ""])
        ws.merge_cells("D2:D4")
    result = parse_roster("名册.xlsx", office_xlsx(build))
    assert result.errors == []
    assert [(r.number, r.delegation) for r in result.rows] == [
        ("A001", "城关镇代表团"), ("A002", "城关镇代表团"), ("A003", "城关镇代表团"), ("A004", "东溪镇代表团")]
    assert result.notes == ["「代表团」列有合并单元格（D2:D4），每一行都按合并单元格中的值读取，请在预览中核对"]


def test_number_merged_down_is_refused_naming_the_merged_cells():
    def build(ws):
        ws.append(HEADER)
        ws.append(["A001", "王建国", "男", "城关镇代表团", "", ""])
        ws.append([None, "李秀英", "女", "城关镇代表团", "", ""])
        ws.merge_cells("A2:A3")
    result = parse_roster("名册.xlsx", office_xlsx(build))
    assert [e.message for e in result.errors] == [
        "第 3 行：「代表证号」A001 与第 2 行重复（该格在合并单元格 A2:A3 中，读作合并单元格的值；请取消合并后逐行填写）"]


def test_cells_merged_across_columns_are_refused_naming_them():
    def build(ws):
        ws.append(["青溪县代表名册"])
        ws.merge_cells("A1:F1")  # a title above the header is fine
        ws.append(HEADER)
        ws.append(["A001", "王建国", "男", "城关镇代表团", "", ""])
        ws.append(["A002", "李秀英", None, "东溪镇代表团", "", ""])
        ws.merge_cells("B4:C4")
    result = parse_roster("名册.xlsx", office_xlsx(build))
    (error,) = result.errors
    assert error.row is None and "合并单元格" in error.message and "B4:C4" in error.message
    assert "A1:F1" not in error.message


def test_hidden_and_filtered_rows_are_skipped_and_said_so():
    def build(ws):
        ws.append(HEADER)                                           # 1
        ws.append(["A001", "王建国", "男", "城关镇代表团", "", ""])    # 2
        ws.append(["A002", "李秀英", "女", "东溪镇代表团", "", ""])    # 3 filtered out
        ws.append(["A003", "张伟", "男", "城关镇代表团", "", ""])      # 4
        ws.append(["A004", "赵六", "男", "岭头镇代表团", "", ""])      # 5 hidden by hand
        ws.auto_filter.ref = "A1:F4"
        ws.auto_filter.add_filter_column(3, ["城关镇代表团"])
        ws.row_dimensions[3].hidden = True
        ws.row_dimensions[5].hidden = True
    result = parse_roster("名册.xlsx", office_xlsx(build))
    assert result.errors == []
    assert [r.number for r in result.rows] == ["A001", "A003"]
    assert [(s.row, s.number, s.name, s.reason) for s in result.skipped] == [
        (3, "A002", "李秀英", "被筛选隐藏的行（筛选条件不符）"), (5, "A004", "赵六", "隐藏的行")]


def test_a_hidden_row_with_errors_is_skipped_not_refused():
    def build(ws):
        ws.append(HEADER)
        ws.append(["A001", "王建国", "男", "城关镇代表团", "", ""])
        ws.append(["A001", "", "X", "", "", "123"])  # a hidden scratch row
        ws.row_dimensions[3].hidden = True
    result = parse_roster("名册.xlsx", office_xlsx(build))
    assert result.errors == [] and [s.row for s in result.skipped] == [3]


def test_numbers_typed_as_numbers():
    def build(ws):
        ws.append(HEADER)
        ws.append([123, "王建国", "男", "城关镇代表团", "", ""])
        ws.append([124.0, "李秀英", "女", "城关镇代表团", "", ""])
        ws.append([125, "张伟", "男", "城关镇代表团", "", ""])
        ws["A4"].number_format = "000000"  # Excel shows 000125: read as shown
    result = parse_roster("名册.xlsx", office_xlsx(build))
    assert [r.number for r in result.rows] == ["123", "124", "000125"]


def test_lower_case_and_full_width_numbers_are_normalised():
    result = parse_roster("x.csv", csv_bytes([HEADER, ["a-7", "赵六", "", "城关镇代表团", "", ""],
                                              ["ｄ００２", "王五", "", "城关镇代表团", "", ""]]))
    assert [r.number for r in result.rows] == ["A-7", "D002"]


def test_normalise_number():
    from voting.roster import normalise_number

    assert normalise_number(" d001 ") == "D001"
    assert normalise_number("Ａ－０２３") == "A-023"
    assert normalise_number("1023.0") == "1023"
    assert normalise_number("\u200bx1\u3000") == "X1"
    assert normalise_number(None) == normalise_number("") == ""
    assert normalise_number("D 9") == "D 9"  # not made valid: the roster refuses it


# -------------------------------------------------------------- preview, then confirm (the database)


from voting import pending_uploads, roster  # noqa: E402
from voting.errors import NotFound  # noqa: E402
from voting.roster import RosterChanged  # noqa: E402
from voting.tables import AuditEntry, Deputy, PendingUpload  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

_terms = __import__("itertools").count(1)


async def roll_of(term_id: int) -> dict[str, dict]:
    rows = await Deputy.select(Deputy.number, Deputy.name, Deputy.gender, Deputy.delegation.name, Deputy.affiliation,
                               Deputy.phone).where(Deputy.term == term_id)
    return {r["number"]: r for r in rows}


async def padded_term() -> int:
    """A term whose roll has zero-padded numbers, one with a letter."""
    from tests.hall import STAFF
    from voting import sittings

    congress_id = await sittings.create_congress(f"名册{next(_terms)}县人民代表大会", "county", "青溪县", STAFF)
    term_id = await sittings.create_term(congress_id, 19, STAFF)
    await roster.import_deputies(term_id, [
        DeputyRow("000101", "王建国", "男", "城关镇代表团", None, None),
        DeputyRow("000102", "李秀英", "女", "东溪镇代表团", None, None),
        DeputyRow("000103", "张伟", "男", "岭头镇代表团", None, None),
        DeputyRow("A-7", "赵六", "男", "岭头镇代表团", None, "13900000000"),
    ], STAFF)
    return term_id


def the_office_file() -> bytes:
    """The roster as a county office keeps it: a title, header variants, a merged 代表团, numbers that
    lost their zeros, a filter, a hidden row, the template's example left in."""
    def build(ws):
        ws.append(["青溪县第十九届人民代表大会代表名册"])                          # 1
        ws.merge_cells("A1:G1")
        ws.append(VARIANT_HEADER + ["示例"])                                      # 2
        ws.append([101, "王建国", "男", "城关镇代表团", None, None])               # 3 = 000101, unchanged
        ws.append(["000104", "陈静", "女", None, None, None])                     # 4 new, 代表团 merged D3:D4
        ws.merge_cells("D3:D4")
        ws.append(["000102", "李秀兰", "女", "东溪镇代表团", None, None])          # 5 name changed
        ws.append(["000106", "钱七", "男", "岭头镇代表团", None, None])            # 6 filtered out
        ws.append(["a-7", "赵六", "男", "岭头镇代表团", None, 13900000007])        # 7 phone changed
        ws.append(["000108", "孙八", "男", "岭头镇代表团", None, None])            # 8 hidden by hand
        ws.append(["D001", "王建国", "男", "城关镇代表团", "城关镇东门社区党委书记", "13800138000",
                   "示例（不导入）"])                                               # 9 the template's example
        ws.append([105, "周九", "男", "岭头镇代表团", None, None])                 # 10 new, short number
        ws.append(["000199", "张伟", "男", "新设代表团", None, None])               # 11 new, namesake of 000103
        ws.auto_filter.ref = "A2:G7"
        ws.auto_filter.add_filter_column(1, ["王建国", "陈静", "李秀兰", "赵六"])
        ws.row_dimensions[6].hidden = True
        ws.row_dimensions[8].hidden = True
    return office_xlsx(build)


async def test_the_preview_of_an_office_file_and_nothing_written_before_confirmation():
    from tests.hall import STAFF

    term_id = await padded_term()
    before = await roll_of(term_id)
    data = the_office_file()
    parsed = parse_roster("名册.xlsx", data)
    assert parsed.errors == []
    plan = await roster.preview_import(term_id, parsed, "sha")

    assert [(r.row, r.number, r.name, r.delegation) for r in plan.adds] == [
        (4, "000104", "陈静", "城关镇代表团"), (10, "105", "周九", "岭头镇代表团"), (11, "000199", "张伟", "新设代表团")]
    assert [(u.row, u.number, [(c.label, c.before, c.after) for c in u.changes]) for u in plan.updates] == [
        (5, "000102", [("姓名", "李秀英", "李秀兰")]), (7, "A-7", [("手机", "13900000000", "13900000007")])]
    assert plan.updates[0].name_change is not None and plan.updates[1].name_change is None
    assert [(r.row, r.number) for r in plan.unchanged] == [(3, "101")]
    assert [(s.row, s.reason) for s in plan.skipped] == [
        (6, "被筛选隐藏的行（筛选条件不符）"), (8, "隐藏的行"), (9, "模板中的示例行（“示例”列有内容）")]
    assert plan.new_delegations == ["新设代表团"] and plan.untouched == 1 and plan.conflicts == []
    warnings = [n.message for n in plan.warnings]
    assert warnings == [
        "「代表团」列有合并单元格（D3:D4），每一行都按合并单元格中的值读取，请在预览中核对",
        "第 3 行：代表证号 101 按名册中已有的 000101（王建国）处理；开头的 0 可能被 Excel 去掉了",
        "第 10 行：代表证号 105 比其他代表证号（6 位）短，开头的 0 可能被 Excel 去掉了；将作为新代表添加",
        "第 11 行：张伟（000199）将作为新代表添加，但名册中已有同名代表（代表证号 000103）；如是同一人，请改用名册中的代表证号",
    ]
    assert await roll_of(term_id) == before  # the preview wrote nothing

    summary = await roster.confirm_import(term_id, parse_roster("名册.xlsx", data), "sha", plan.digest, STAFF,
                                          filename="名册.xlsx")
    assert (summary.added, summary.updated, summary.unchanged, summary.skipped, summary.delegations_added) == (
        3, 2, 1, 3, 1)
    after = await roll_of(term_id)
    assert sorted(after) == sorted([*before, "000104", "105", "000199"])  # 101 did not become a second 王建国
    assert after["000102"]["name"] == "李秀兰" and after["A-7"]["phone"] == "13900000007"
    assert after["000199"]["delegation.name"] == "新设代表团"
    assert {k: v for k, v in after.items() if k not in ("000102", "A-7", "000104", "105", "000199")} == {
        k: v for k, v in before.items() if k not in ("000102", "A-7")}
    entry = await AuditEntry.select().where(AuditEntry.action == "deputies_imported").order_by(
        AuditEntry.id, ascending=False).first()
    assert entry["actor"] == STAFF.label and entry["at"] is not None
    detail = entry["detail"] if isinstance(entry["detail"], dict) else __import__("json").loads(entry["detail"])
    assert detail == {"source": "名册.xlsx", "added": 3, "updated": 2, "unchanged": 1, "skipped": 3,
                      "delegations_added": 1, "sha256": "sha"}


async def test_confirmation_is_refused_when_the_roll_changed_after_the_preview():
    from tests.hall import STAFF

    term_id = await padded_term()
    data = the_office_file()
    plan = await roster.preview_import(term_id, parse_roster("名册.xlsx", data), "sha")
    # meanwhile someone else puts 陈静 on the roll with another delegation
    await roster.import_deputies(term_id, [DeputyRow("000104", "陈静", "女", "东溪镇代表团", None, None)], STAFF)
    changed = await roll_of(term_id)
    with pytest.raises(RosterChanged) as refused:
        await roster.confirm_import(term_id, parse_roster("名册.xlsx", data), "sha", plan.digest, STAFF)
    assert await roll_of(term_id) == changed
    fresh = refused.value.plan
    assert [r.number for r in fresh.adds] == ["105", "000199"]
    assert [(u.number, [c.label for c in u.changes]) for u in fresh.updates] == [
        ("000104", ["代表团"]), ("000102", ["姓名"]), ("A-7", ["手机"])]
    summary = await roster.confirm_import(term_id, parse_roster("名册.xlsx", data), "sha", fresh.digest, STAFF)
    assert (summary.added, summary.updated) == (2, 3)


async def test_a_digest_of_another_file_or_source_is_refused():
    from tests.hall import STAFF

    term_id = await padded_term()
    data = the_office_file()
    plan = await roster.preview_import(term_id, parse_roster("名册.xlsx", data), "sha-of-the-previewed-file")
    before = await roll_of(term_id)
    other = csv_bytes([HEADER, ["000102", "改名了", "女", "东溪镇代表团", "", ""]])
    with pytest.raises(RosterChanged):
        await roster.confirm_import(term_id, parse_roster("x.csv", other), "sha-of-the-previewed-file", plan.digest, STAFF)
    with pytest.raises(RosterChanged):
        await roster.confirm_import(term_id, parse_roster("名册.xlsx", data), "sha-of-another-file", plan.digest, STAFF)
    assert await roll_of(term_id) == before


async def test_two_rows_that_are_one_deputy_cannot_be_imported():
    term_id = await padded_term()
    data = csv_bytes([HEADER, ["101", "王建国", "男", "城关镇代表团", "", ""],
                      ["000101", "王建国", "男", "城关镇代表团", "", ""]])
    plan = await roster.preview_import(term_id, parse_roster("x.csv", data))
    assert not plan.can_confirm
    assert [n.message for n in plan.conflicts] == [
        "第 3 行：代表证号 000101 与第 2 行是名册中的同一位代表（000101 王建国）"]


async def test_a_number_that_could_be_two_deputies_is_not_guessed():
    from tests.hall import STAFF

    term_id = await padded_term()
    await roster.import_deputies(term_id, [DeputyRow("0101", "另一人", "男", "城关镇代表团", None, None)], STAFF)
    assert "0101" in await roll_of(term_id)  # typed with its zero: not Excel's doing, so not matched to 000101
    plan = await roster.preview_import(term_id, parse_roster("x.csv", csv_bytes([HEADER, ["101", "王建国", "男", "城关镇代表团", "", ""]])))
    assert not plan.can_confirm and plan.adds == [] and "无法确定是哪一位" in plan.conflicts[0].message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
async def test_csv_from_excel_lower_case_and_lost_zeros_match_the_roll(encoding):
    term_id = await padded_term()
    data = csv_bytes([HEADER, ["a-7", "赵六", "男", "岭头镇代表团", "", "13900000000"],
                      ["102", "李秀英", "女", "东溪镇代表团", "", ""],
                      ["000103", "张卫", "男", "岭头镇代表团", "", ""],
                      ["A-8", "张卫", "男", "岭头镇代表团", "", ""]], encoding)
    plan = await roster.preview_import(term_id, parse_roster("x.csv", data))
    assert [r.number for r in plan.unchanged] == ["A-7", "102"]
    assert [(u.number, u.name_change.before, u.name_change.after) for u in plan.updates] == [("000103", "张伟", "张卫")]
    assert [r.number for r in plan.adds] == ["A-8"]
    assert "第 5 行：姓名 张卫 与第 4 行相同，代表证号却不同（000103、A-8）；请核对是否同一人" in [
        n.message for n in plan.warnings]


async def test_a_lower_case_number_finds_the_deputy():
    term_id = await padded_term()
    found = await roster.deputy_by_number(term_id, " a-7 ")
    assert found is not None and found["number"] == "A-7" and found["name"] == "赵六"
    assert await roster.deputy_by_number(term_id, "") is None
    assert await roster.deputy_by_number(term_id, "A-77") is None


async def test_numbers_stored_in_lower_case_before_are_raised_by_the_migration():
    import importlib

    from tests.hall import STAFF

    term_id = await padded_term()
    await roster.import_deputies(term_id, [DeputyRow("B-1", "甲", "男", "城关镇代表团", None, None)], STAFF)
    await Deputy.update({Deputy.number: "b-1"}).where((Deputy.term == term_id) & (Deputy.number == "B-1"))
    await Deputy.update({Deputy.number: "a-7"}).where((Deputy.term == term_id) & (Deputy.number == "A-7"))
    await Deputy.update({Deputy.number: "A-7"}).where((Deputy.term == term_id) & (Deputy.number == "000103"))
    migration = importlib.import_module("voting.piccolo_migrations.voting_2026_12_05t09_13_50_000000")
    await (await migration.forwards()).run()
    numbers = sorted((await roll_of(term_id)).keys())
    assert "B-1" in numbers and "b-1" not in numbers
    assert "a-7" in numbers and "A-7" in numbers  # a clash is left for the clerk, not merged
    plan = await roster.preview_import(term_id, parse_roster("x.csv", csv_bytes([HEADER, ["A-7", "赵六", "男", "岭头镇代表团", "", ""]])))
    assert "只差大小写" in plan.conflicts[0].message


async def test_kept_uploads_are_only_for_their_owner_and_purpose_and_expire(monkeypatch):
    held = await pending_uploads.keep("roster:1", 7, "名册.xlsx", b"bytes")
    assert (await pending_uploads.load(held.token, "roster:1", 7)).data == b"bytes"
    for purpose, owner in (("roster:2", 7), ("roster:1", 8)):
        with pytest.raises(NotFound):
            await pending_uploads.load(held.token, purpose, owner)
    for bad in ("", "../../etc/passwd", "x" * 32, "' OR '1'='1"):
        with pytest.raises(NotFound):
            await pending_uploads.load(bad, "roster:1", 7)
    await pending_uploads.drop(held.token)
    with pytest.raises(NotFound):
        await pending_uploads.load(held.token, "roster:1", 7)
    old = await pending_uploads.keep("roster:1", 7, "旧.xlsx", b"old")
    later = datetime.now(timezone.utc) + pending_uploads.MAX_AGE + timedelta(seconds=1)
    monkeypatch.setattr(pending_uploads, "_now", lambda: later)
    with pytest.raises(NotFound):  # too old to confirm, even before it is swept away
        await pending_uploads.load(old.token, "roster:1", 7)
    assert await pending_uploads.sweep() >= 1
    assert not await PendingUpload.exists().where(PendingUpload.token == old.token)
