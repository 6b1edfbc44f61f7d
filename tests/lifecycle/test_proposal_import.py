"""Proposals gathered on paper, imported from real CSV (UTF-8 BOM, GBK) and XLSX files into the database."""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta

import openpyxl
import pytest

from lifecycle import proposal_import, proposals
from lifecycle.proposal_import import EXAMPLE, MAX_ROWS, ProposalRow, RowError, parse_proposals

EXAMPLE_SKIPPED = "模板中的示例行（与模板示例相同），没有导入"
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from lifecycle.tables import Proposal, ProposalEvent
from tests.hall import STAFF
from voting import audit
from voting.audit import Actor
from voting.errors import Forbidden, Refused
from voting.tables import AuditEntry

SECRETARIAT = Who(STAFF, "secretariat")
_rounds = itertools.count(1)

HEADER = ["项目名称", "项目内容", "乡镇（街道）", "村（社区）", "类别", "估算投资（万元）", "受益人数", "征集渠道",
          "建议人", "联系方式", "联名人数", "收到日期"]
GOOD = [  # the first row is like the template's example, but a real proposal (another title)
    ["东岭村通组道路硬化", "村道全长 3 公里，雨天泥泞，群众出行不便。", "城关镇", "东岭村", "交通出行", "120", "3000",
     "代表联络站", "王大伯", "13800000000", "15"],
    ["溪口镇卫生院改扩建", "卫生院病房不足，群众看病要去县城，建议扩建住院楼。", "溪口镇", "", "医疗卫生", "800.4", "",
     "", "", "", ""],
    ["西山社区老年食堂", "社区老年人多，子女在外务工，吃饭难，建议开办老年食堂。", "城关镇", "西山社区", "养老托育", "",
     "1,200", "入户走访", "李秀英", "", "2"],
    ["南溪村饮水工程", "南溪村地处山区，旱季缺水，需要新建蓄水池和管网。", "南溪乡", "南溪村", "water", "60", "850",
     "evening_talk", "", "0571-12345678", ""],
]
EXPECTED = [
    ProposalRow(2, ProposalInput("东岭村通组道路硬化", "村道全长 3 公里，雨天泥泞，群众出行不便。", "城关镇", "东岭村",
                                 "transport", 120, 3000, "liaison_station", "王大伯", "13800000000", 15)),
    ProposalRow(3, ProposalInput("溪口镇卫生院改扩建", "卫生院病房不足，群众看病要去县城，建议扩建住院楼。", "溪口镇",
                                 "", "health", 800, None, "", "", "", 1)),
    ProposalRow(4, ProposalInput("西山社区老年食堂", "社区老年人多，子女在外务工，吃饭难，建议开办老年食堂。", "城关镇",
                                 "西山社区", "elderly_childcare", None, 1200, "home_visit", "李秀英", "", 2)),
    ProposalRow(5, ProposalInput("南溪村饮水工程", "南溪村地处山区，旱季缺水，需要新建蓄水池和管网。", "南溪乡",
                                 "南溪村", "water", 60, 850, "evening_talk", "", "0571-12345678", 1)),
]


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "建议汇总"
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def as_numbers(rows: list[list[object]]) -> list[list[object]]:
    """How Excel holds what was typed: numbers as numbers."""
    def cell(text: object) -> object:
        if isinstance(text, str) and text.replace(".", "", 1).isdigit():
            return float(text) if "." in text else int(text)
        return text
    return [[cell(v) for v in row] for row in rows]


async def new_round(hall, *, closed: bool = False) -> dict:
    today = proposals.today()
    opens, closes = ((today - timedelta(days=60), today - timedelta(days=30)) if closed
                     else (today - timedelta(days=3), today + timedelta(days=10)))
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, f"纸质建议导入测试 {next(_rounds)}",
                                            opens, closes, None, SECRETARIAT)
    return await proposals.get_round(round_id)


async def import_entries(round_row: dict) -> list[dict]:
    return await AuditEntry.select(AuditEntry.actor, AuditEntry.detail).where(
        (AuditEntry.action == "proposals_imported") & (AuditEntry.subject == round_row["title"])).output(
        load_json=True)


# -------------------------------------------------------------- good files


GOOD_FILES = {
    "utf8-bom.csv": lambda: csv_bytes([HEADER, *GOOD]),
    "gbk.csv": lambda: csv_bytes([HEADER, *GOOD], "gbk"),
    "excel.xlsx": lambda: xlsx_bytes(as_numbers([HEADER, *GOOD])),
}


def test_gbk_file_is_really_not_utf8():
    with pytest.raises(UnicodeDecodeError):
        GOOD_FILES["gbk.csv"]().decode("utf-8")


@pytest.mark.parametrize("name", list(GOOD_FILES))
def test_good_files_parse_every_row(name):
    parsed = parse_proposals(name, GOOD_FILES[name]())
    assert parsed.errors == []
    assert parsed.rows == EXPECTED
    assert parsed.ok and parsed.filename == name


@pytest.mark.parametrize("name", list(GOOD_FILES))
async def test_good_files_import_every_row_with_tracking_codes(hall, name):
    round_row = await new_round(hall, closed=True)  # the secretariat may enter paper proposals after the window
    before = await Proposal.count()
    made = await proposal_import.import_proposals(round_row["id"], parse_proposals(name, GOOD_FILES[name]()),
                                                  SECRETARIAT, "村落夜话")
    assert await Proposal.count() == before + len(GOOD)
    assert [m["row"] for m in made] == [2, 3, 4, 5]
    assert [m["title"] for m in made] == [row[0] for row in GOOD]
    assert all(len(m["code"]) == 9 and m["code"][4] == "-" for m in made)
    assert len({m["code"] for m in made}) == len(made)

    stored = await Proposal.select().where(Proposal.round == round_row["id"]).order_by(Proposal.id)
    assert [p["code"] for p in stored] == [m["code"] for m in made]
    # a blank channel took the import's default; the others kept their own
    assert [p["channel"] for p in stored] == ["liaison_station", "evening_talk", "home_visit", "evening_talk"]
    assert [(p["stage"], p["cost_wan"], p["beneficiaries"], p["supporters"]) for p in stored] == [
        ("submitted", 120, 3000, 15), ("submitted", 800, None, 1), ("submitted", None, 1200, 2),
        ("submitted", 60, 850, 1)]
    assert stored[0]["proposer_name"] == "王大伯" and stored[3]["contact"] == "0571-12345678"
    for m in made:
        tracked = await proposals.track(m["code"])
        assert tracked["own"]["id"] == m["id"]
        assert [e["kind"] for e in tracked["history"]] == ["submitted"]

    (entry,) = await import_entries(round_row)
    assert entry["actor"] == STAFF.label
    assert entry["detail"] == {"round": round_row["id"], "count": 4, "channel": "evening_talk", "filename": name}
    submitted = await AuditEntry.count().where(
        (AuditEntry.action == "proposal_submitted") & AuditEntry.subject.is_in([m["code"] for m in made]))
    assert submitted == len(GOOD)
    assert audit.ACTION_LABELS["proposals_imported"] == "导入建议"


async def test_rows_that_all_name_a_channel_need_no_default(hall):
    round_row = await new_round(hall)
    rows = [r for r in GOOD if r[7]]
    made = await proposal_import.import_proposals(round_row["id"], parse_proposals("x.csv", csv_bytes([HEADER, *rows])),
                                                  SECRETARIAT, "")
    assert len(made) == 3
    assert (await import_entries(round_row))[0]["detail"]["channel"] == ""


async def test_a_blank_channel_without_a_default_refuses_the_file(hall):
    round_row = await new_round(hall)
    before = await Proposal.count()
    parsed = parse_proposals("x.csv", csv_bytes([HEADER, *GOOD]))
    with pytest.raises(Refused, match="第 3 行没有填写征集渠道"):
        await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "")
    with pytest.raises(Refused, match="征集渠道“网上征集”无效"):  # not a paper channel
        await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "网上征集")
    assert await Proposal.count() == before


async def test_only_the_secretariat_imports(hall):
    round_row = await new_round(hall)
    parsed = parse_proposals("x.csv", csv_bytes([HEADER, *GOOD]))
    for who in (Who.citizen(), Who(Actor("staff", None, "初审部门 发改局"), "screener"),
                Who(Actor("staff", None, "承办部门 交通局"), "department")):
        with pytest.raises(Forbidden):
            await proposal_import.import_proposals(round_row["id"], parsed, who, "入户走访")


# -------------------------------------------------------------- bad rows: nothing stored


BAD = [
    HEADER,                                                                                   # row 1
    GOOD[0],                                                                                  # row 2 ok
    ["北山村路灯", "北山村主干道没有路灯，夜间出行不安全。", "", "北山村", "公共安全", "30", "", "", "", "", ""],  # row 3
    GOOD[2],                                                                                  # row 4 ok
    ["东门小学操场改造", "操场是煤渣跑道，下雨积水，学生无法上体育课。", "城关镇", "", "教育", "很多", "", "", "", "", ""],  # row 5
]
BAD_ERRORS = [
    RowError(3, "乡镇（街道）", "第 3 行：请填写乡镇（街道）。"),
    RowError(5, "估算投资（万元）", "第 5 行：估算投资（万元）应填数字。"),
]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes])
async def test_bad_rows_are_reported_by_row_number_and_nothing_is_stored(hall, make):
    round_row = await new_round(hall)
    parsed = parse_proposals("bad", make(BAD))
    assert parsed.errors == BAD_ERRORS
    assert not parsed.ok
    assert [r.row for r in parsed.rows] == [2, 4]  # for preview only
    before = await Proposal.count()
    with pytest.raises(Refused) as refused:
        await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "代表联络站")
    assert "没有导入任何建议" in refused.value.message
    assert "第 3 行：请填写乡镇（街道）" in refused.value.message
    assert "第 5 行：估算投资（万元）应填数字" in refused.value.message
    assert await Proposal.count() == before
    assert await import_entries(round_row) == []


async def test_a_row_failing_while_stored_leaves_nothing_behind(hall, monkeypatch):
    round_row = await new_round(hall)
    real_submit = proposals.submit
    calls = []

    async def failing_submit(round_id, data, who, **more):
        calls.append(data.title)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return await real_submit(round_id, data, who, **more)

    monkeypatch.setattr(proposals, "submit", failing_submit)
    before = (await Proposal.count(), await ProposalEvent.count(), await AuditEntry.count())
    with pytest.raises(RuntimeError):
        await proposal_import.import_proposals(round_row["id"], parse_proposals("x.csv", csv_bytes([HEADER, *GOOD])),
                                               SECRETARIAT, "意见箱")
    assert len(calls) == 3
    assert (await Proposal.count(), await ProposalEvent.count(), await AuditEntry.count()) == before


def test_every_problem_of_a_row_is_reported_in_column_order():
    row = ["修路", "短", "城关镇", "村" * 31, "道路", "-5", "很多人", "电话", "", "x" * 51, "1.5"]
    assert [(e.row, e.field) for e in parse_proposals("x.csv", csv_bytes([HEADER, row])).errors] == [
        (2, "项目名称"), (2, "项目内容"), (2, "村（社区）"), (2, "类别"), (2, "估算投资（万元）"), (2, "受益人数"),
        (2, "征集渠道"), (2, "联系方式")]
    messages = [e.message for e in parse_proposals("x.csv", csv_bytes([HEADER, row])).errors]
    assert messages[0] == "第 2 行：项目名称至少 4 个字。"
    assert messages[3].startswith("第 2 行：类别“道路”不在可选范围内，请填写：教育、医疗卫生")
    assert messages[6].startswith("第 2 行：征集渠道“电话”不在可选范围内，请填写：代表联络站")


def test_blank_rows_are_skipped_but_counted():
    rows = [HEADER, GOOD[0], [""] * 11, [" ", "\u3000"] + [""] * 9, GOOD[1][:2] + ["", *GOOD[1][3:]]]
    parsed = parse_proposals("x.csv", csv_bytes(rows))
    assert [r.row for r in parsed.rows] == [2]
    assert parsed.errors == [RowError(5, "乡镇（街道）", "第 5 行：请填写乡镇（街道）。")]


def test_line_breaks_survive_in_the_content_only():
    row = ["东岭村\n村道硬化", "第一段：现状。\n第二段：建议硬化。", "城关镇", "", "交通出行", "", "", "意见箱", "", "", ""]
    (parsed,) = parse_proposals("x.xlsx", xlsx_bytes([HEADER, row])).rows
    assert parsed.proposal.title == "东岭村 村道硬化"
    assert parsed.proposal.description == "第一段：现状。\n第二段：建议硬化。"


# -------------------------------------------------------------- headers


def test_header_aliases():
    header = ["建议名称", "具体内容", "乡镇", "村", "类别", "估算投资", "受益人数", "渠道", "姓名", "电话", "联名人数"]
    for header in (header, ["名称", "内容", "街道", "社区", "项目类别", "投资", "受益人口", "征集渠道", "建议人",
                            "联系方式", "联名人数"],
                   ["*项目名称（必填）", "项目内容", "乡镇(街道)", "村（社区）", "类别", "估算投资(万元)", "受益人数",
                    "征集 渠道", "建议人", "联系方式", "联名人数"]):
        for make in (csv_bytes, xlsx_bytes):
            parsed = parse_proposals("x", make([header, *GOOD]))
            assert parsed.errors == [] and parsed.rows == EXPECTED, header


def test_column_order_free_extra_columns_ignored_title_rows_tolerated():
    order = [8, 0, 2, 4, 1]  # 建议人, 项目名称, 乡镇, 类别, 项目内容
    rows = [["青溪县 2026 年民生实事项目建议汇总表"], ["序号", *[HEADER[i] for i in order], "备注"],
            *[[n, *[row[i] for i in order], "无"] for n, row in enumerate(GOOD, start=1)]]
    parsed = parse_proposals("x.csv", csv_bytes(rows))
    assert parsed.errors == []
    assert [(r.row, r.proposal.title, r.proposal.proposer_name, r.proposal.cost_wan) for r in parsed.rows] == [
        (3, "东岭村通组道路硬化", "王大伯", None), (4, "溪口镇卫生院改扩建", "", None), (5, "西山社区老年食堂", "李秀英", None),
        (6, "南溪村饮水工程", "", None)]


def test_a_missing_required_column_is_one_file_error():
    rows = [["项目名称", "乡镇", "估算投资"], ["东岭村村道硬化", "城关镇", "120"]]
    (error,) = parse_proposals("x.csv", csv_bytes(rows)).errors
    assert error.row is None and error.field == ""
    assert error.message.startswith("第 1 行表头缺少必填列：「项目内容」「类别」；")


# -------------------------------------------------------------- templates


def test_template_csv_parses_back_to_the_example():
    data = proposal_import.template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEADER and len(lines) == 2
    parsed = parse_proposals("建议汇总表模板.csv", data)
    assert parsed.errors == [] and parsed.rows == [] and parsed.skipped == [(2, EXAMPLE_SKIPPED)]
    # Its columns read back into every field: the same row under another title is a proposal.
    renamed = data.decode("utf-8-sig").replace(EXAMPLE.title, "西岭村村道硬化").encode("utf-8-sig")
    assert parse_proposals("建议汇总表.csv", renamed).rows == [ProposalRow(2, replace(EXAMPLE, title="西岭村村道硬化"))]


def test_template_xlsx_parses_back_to_the_example_and_has_dropdowns():
    data = proposal_import.template_xlsx()
    parsed = parse_proposals("建议汇总表模板.xlsx", data)
    assert parsed.errors == [] and parsed.rows == [] and parsed.skipped == [(2, EXAMPLE_SKIPPED)]

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    renamed = io.BytesIO()
    ws.cell(row=2, column=HEADER.index("项目名称") + 1).value = "西岭村村道硬化"
    wb.save(renamed)
    assert parse_proposals("建议汇总表.xlsx", renamed.getvalue()).rows == [
        ProposalRow(2, replace(EXAMPLE, title="西岭村村道硬化"))]
    assert [c.value for c in ws[1]] == HEADER
    assert all(c.font.bold for c in ws[1])
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "交通出行" in lists["E2"] and "代表联络站" in lists["H2"] and "网上征集" not in lists["H2"]
    notes = wb["填写说明"]
    assert [notes.cell(row=r, column=1).value for r in range(2, 2 + len(HEADER))] == HEADER


async def test_the_template_example_is_never_imported_as_a_proposal(hall):
    round_row = await new_round(hall)
    before = await proposals.list_proposals(proposals.Filters(round_id=round_row["id"]), 1)
    with pytest.raises(Refused, match="只有模板中的示例行"):
        await proposal_import.import_proposals(
            round_row["id"], parse_proposals("模板.xlsx", proposal_import.template_xlsx()), SECRETARIAT, "")
    # The example kept above a real row (typed with other spacing): only the real row goes in.
    data = proposal_import.template_csv().decode("utf-8-sig").rstrip("\r\n") + "\r\n" + ",".join(GOOD[0]) + "\r\n"
    spaced = data.replace("东岭村村道硬化", "东岭村 村道硬化", 1).encode("utf-8-sig")
    parsed = parse_proposals("模板.csv", spaced)
    assert parsed.skipped == [(2, EXAMPLE_SKIPPED)] and [r.row for r in parsed.rows] == [3]
    made = await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "代表联络站")
    assert [m["row"] for m in made] == [3] and made[0]["title"] != EXAMPLE.title
    after = await proposals.list_proposals(proposals.Filters(round_id=round_row["id"]), 1)
    assert after["total"] == before["total"] + 1


# -------------------------------------------------------------- file level


def test_oversized_file_is_refused_with_a_clear_message():
    data = csv_bytes([HEADER, *GOOD]) + b"x" * (2 * 1024 * 1024)
    parsed = parse_proposals("大文件.csv", data)
    assert parsed.rows == []
    (error,) = parsed.errors
    assert error.row is None
    assert error.message.startswith("“大文件.csv”大小为 2.0 MB，超过 2 MB 的上限")


@pytest.mark.parametrize(("data", "says"), [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00", "不是 CSV 文本，也不是 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 Excel（.xls）"),
    (b"", "是空文件，请选择填好的建议汇总表"),
])
async def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_clear_message(hall, data, says):
    parsed = parse_proposals("建议.pdf", data)
    (error,) = parsed.errors
    assert error.row is None and says in error.message
    round_row = await new_round(hall)
    before = await Proposal.count()
    with pytest.raises(Refused, match=says):
        await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "意见箱")
    assert await Proposal.count() == before


def test_a_word_document_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    (error,) = parse_proposals("建议.docx", out.getvalue()).errors
    assert "是Word 文档，不是 Excel 工作簿；请上传建议汇总表模板格式的 .xlsx 或 .csv 文件" in error.message


def test_more_than_max_rows_is_refused():
    assert MAX_ROWS == 5000
    row = GOOD[0]
    parsed = parse_proposals("x.csv", csv_bytes([HEADER] + [row] * (MAX_ROWS + 1)))
    assert parsed.rows == []
    (error,) = parsed.errors
    assert error.row is None and error.message == (
        "文件中的建议超过 5000 行的上限，请检查是否混入了其他数据，或分批导入")
    assert len(parse_proposals("x.csv", csv_bytes([HEADER] + [row] * MAX_ROWS)).rows) == MAX_ROWS


async def test_an_empty_parse_imports_nothing(hall):
    round_row = await new_round(hall)
    with pytest.raises(Refused, match="没有建议"):
        await proposal_import.import_proposals(round_row["id"], proposal_import.ProposalParse(filename="x.csv"),
                                               SECRETARIAT, "意见箱")


async def test_the_refusal_lists_at_most_twenty_errors(hall):
    round_row = await new_round(hall)
    rows = [HEADER] + [[v if i != 2 else "" for i, v in enumerate(GOOD[0])] for _ in range(25)]
    parsed = parse_proposals("x.csv", csv_bytes(rows))
    assert len(parsed.errors) == 25
    with pytest.raises(Refused) as refused:
        await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "意见箱")
    message = refused.value.message
    assert "第 21 行" in message and "第 22 行" not in message and message.endswith("……共 25 处。")


async def test_the_same_file_imported_twice_is_refused_until_the_clerk_confirms_new_proposals(hall):
    round_row = await new_round(hall)
    data = csv_bytes([HEADER, *GOOD])
    first = await proposal_import.import_proposals(round_row["id"], parse_proposals("建议.csv", data), SECRETARIAT,
                                                   "代表联络站")
    listed = await proposals.list_proposals(proposals.Filters(round_id=round_row["id"]), 1)
    again = parse_proposals("建议（副本）.csv", data.replace("王大伯".encode(), " 王大伯 ".encode()))
    with pytest.raises(Refused) as refused:
        await proposal_import.import_proposals(round_row["id"], again, SECRETARIAT, "代表联络站")
    assert refused.value.code == "import_repeats" and f"有 {len(GOOD)} 行与本次征集中已有的建议相同" in refused.value.message
    assert (await proposals.list_proposals(proposals.Filters(round_id=round_row["id"]), 1))["total"] == listed["total"]
    repeats = await proposal_import.already_entered(round_row["id"], again)
    assert [row for row, _ in repeats] == [item["row"] for item in first]
    assert first[0]["code"] in repeats[0][1]

    confirmed = await proposal_import.import_proposals(round_row["id"], again, SECRETARIAT, "代表联络站",
                                                       repeats_confirmed=True)
    assert len(confirmed) == len(GOOD)
    assert (await proposals.list_proposals(proposals.Filters(round_id=round_row["id"]), 1))["total"] == \
        listed["total"] + len(GOOD)


# -------------------------------------------------------------- 收到日期 (the day a paper proposal came in)


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes])
async def test_the_day_each_paper_proposal_was_received_is_imported_with_it(hall, make):
    today = proposals.today()
    days = [today - timedelta(days=3), today - timedelta(days=40), None, today]
    typed = [days[0].isoformat(), f"{days[1].year}年{days[1].month}月{days[1].day}日", "", days[3].strftime("%Y/%m/%d")]
    if make is xlsx_bytes:
        typed[0] = datetime.combine(days[0], datetime.min.time())  # a real Excel date cell
    rows = [[*row, when] for row, when in zip(GOOD, typed)]
    round_row = await new_round(hall)
    parsed = parse_proposals("x" + (".csv" if make is csv_bytes else ".xlsx"), make([HEADER, *rows]))
    assert parsed.errors == [] and [r.received_on for r in parsed.rows] == days
    made = await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "evening_talk")
    stored = await Proposal.select(Proposal.received_on).where(Proposal.round == round_row["id"]).order_by(Proposal.id)
    assert [p["received_on"] for p in stored] == days and [m["received_on"] for m in made] == days


async def test_a_received_day_that_cannot_be_is_reported_by_row_and_nothing_is_stored(hall):
    today = proposals.today()
    bad = ["明天", (today + timedelta(days=1)).isoformat(), (today - timedelta(days=400)).isoformat(), "2026-02-30"]
    rows = [[*row, when] for row, when in zip(GOOD, bad)]
    parsed = parse_proposals("x.csv", csv_bytes([HEADER, *rows]))
    assert [e.message for e in parsed.errors] == [
        "第 2 行：收到日期“明天”不是日期，请写成 2026-11-20 这样的格式。",
        "第 3 行：收到日期不能晚于今天。",
        f"第 4 行：收到日期不能早于一年前（{today - timedelta(days=366)}）。",
        "第 5 行：收到日期“2026-02-30”不是日期，请写成 2026-11-20 这样的格式。"]
    round_row = await new_round(hall)
    with pytest.raises(Refused, match="没有导入任何建议"):
        await proposal_import.import_proposals(round_row["id"], parsed, SECRETARIAT, "evening_talk")
    assert not await Proposal.exists().where(Proposal.round == round_row["id"])
