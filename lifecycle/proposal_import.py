"""Proposals gathered on paper, imported from a spreadsheet (CSV or XLSX): all rows or none.

The secretariat collects proposals at liaison stations, home visits, evening talks...
and types them into the template (:func:`template_xlsx` / :func:`template_csv`).
:func:`parse_proposals` reads the upload with :mod:`voting.spreadsheets` and checks each
row with the same field rules as every other proposal form
(:func:`lifecycle.proposal_input.parse_proposal`), reporting each problem by spreadsheet
row and field. :func:`import_proposals` refuses the whole file while any error remains,
and otherwise submits every row in one transaction, returning the tracking codes to
hand to the proposers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

from lifecycle import proposals, stages
from lifecycle.proposal_input import (
    CATEGORIES,
    LABELS,
    LIMITS,
    PAPER_CHANNELS,
    ProposalInput,
    parse_proposal,
    received_problem,
)
from lifecycle.proposals import Who
from voting import audit, spreadsheets
from voting.database import write_transaction
from voting.errors import Forbidden, Refused
from voting.spreadsheets import MAX_BYTES, MAX_ROWS, Column, FileError, Layout, Parse, Record, file_label

__all__ = [
    "COLUMNS",
    "EXAMPLE",
    "LAYOUT",
    "MAX_BYTES",
    "MAX_ROWS",
    "ProposalParse",
    "ProposalRow",
    "RowError",
    "import_proposals",
    "parse_proposals",
    "template_csv",
    "template_xlsx",
]


RECEIVED = "收到日期"  # a paper proposal's: the day it reached the secretariat (proposals.submit's received_on)


def _length(key: str) -> str:
    least, most = LIMITS[key]
    return f"{least}–{most} 个字" if least else f"不超过 {most} 个字，可留空"


COLUMNS: tuple[Column, ...] = (
    Column(LABELS["title"], True, f"建议的项目名称，{_length('title')}，如“东岭村村道硬化”"),
    Column(LABELS["description"], True, f"项目的具体内容、现状和理由，{_length('description')}"),
    Column(LABELS["township"], True, f"项目所在的乡镇或街道，{_length('township')}"),
    Column(LABELS["village"], False, f"项目所在的村或社区，{_length('village')}"),
    Column(LABELS["category"], True, f"从下拉列表中选择：{'、'.join(CATEGORIES.values())}"),
    Column(LABELS["cost_wan"], False, "以万元为单位，只填数字，可留空"),
    Column(LABELS["beneficiaries"], False, "只填整数，可留空"),
    Column(LABELS["channel"], False,
           f"从下拉列表中选择：{'、'.join(PAPER_CHANNELS.values())}；留空时按导入时选择的征集渠道"),
    Column(LABELS["proposer_name"], False, f"提出建议的群众或单位，{_length('proposer_name')}；不公开"),
    Column(LABELS["contact"], False, f"电话或地址，{_length('contact')}；不公开，只用于答复建议人"),
    Column(LABELS["supporters"], False, "提出这条建议的人数，只填整数，留空按 1 人计"),
    Column(RECEIVED, False, "纸质建议送达的日期，如 2026-11-20（也可以是 Excel 的日期格式）；不能晚于今天，"
                            "也不能早于一年前；不知道可留空"),
)
"""The columns as ``(header, required, description)``, in template order; the headers
are the field labels of :data:`lifecycle.proposal_input.LABELS`."""

LAYOUT = Layout(
    document="建议汇总表",
    item="建议",
    columns=COLUMNS,
    aliases={  # headers people commonly type instead of the documented ones
        "建议名称": LABELS["title"],
        "名称": LABELS["title"],
        "项目": LABELS["title"],
        "建议项目": LABELS["title"],
        "内容": LABELS["description"],
        "具体内容": LABELS["description"],
        "建议内容": LABELS["description"],
        "项目简介": LABELS["description"],
        "乡镇": LABELS["township"],
        "街道": LABELS["township"],
        "乡镇街道": LABELS["township"],
        "所在乡镇": LABELS["township"],
        "村": LABELS["village"],
        "社区": LABELS["village"],
        "村社区": LABELS["village"],
        "村居": LABELS["village"],
        "项目类别": LABELS["category"],
        "建议类别": LABELS["category"],
        "估算投资": LABELS["cost_wan"],
        "投资": LABELS["cost_wan"],
        "投资估算": LABELS["cost_wan"],
        "估算投资(万)": LABELS["cost_wan"],
        "受益人口": LABELS["beneficiaries"],
        "渠道": LABELS["channel"],
        "建议来源": LABELS["channel"],
        "来源": LABELS["channel"],
        "姓名": LABELS["proposer_name"],
        "建议人姓名": LABELS["proposer_name"],
        "电话": LABELS["contact"],
        "联系电话": LABELS["contact"],
        "手机": LABELS["contact"],
        "联名": LABELS["supporters"],
        "收件日期": RECEIVED,
        "送达日期": RECEIVED,
        "来信日期": RECEIVED,
        "收到时间": RECEIVED,
    },
)
"""What a proposals file holds, for :mod:`voting.spreadsheets`."""

EXAMPLE = ProposalInput(
    title="东岭村村道硬化",
    description="东岭村通组道路全长 3 公里，现为泥土路，雨天泥泞，群众出行和农产品运输不便，建议硬化为水泥路。",
    township="城关镇",
    village="东岭村",
    category="transport",
    cost_wan=120,
    beneficiaries=3000,
    channel="liaison_station",
    proposer_name="王大伯",
    contact="13800000000",
    supporters=15,
)
"""The example row of the templates."""

_FIELD_OF = {label: key for key, label in {**LABELS, "received_on": RECEIVED}.items()}
_LISTED = 20  # errors spelled out in a refusal; the page shows them all


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem found in the file: its row and field label, or None and "" for the whole file."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ProposalRow(NamedTuple):
    """A row that passed every check. ``proposal.channel`` is "" when the row left the
    channel to the import's default."""

    row: int
    proposal: ProposalInput
    received_on: date | None = None  # blank in the file: not known


@dataclass(slots=True)
class ProposalParse(Parse[ProposalRow, RowError]):
    """Result of :func:`parse_proposals`. Import only when ``ok``; with any error, ``rows``
    holds the rows that passed their own checks, for preview only."""

    filename: str = field(default="", kw_only=True)
    # Rows left out on purpose, with why: the template's example row (which a clerk who keeps it,
    # as the roster template allows, must not see imported as a citizen's proposal).
    skipped: list[tuple[int, str]] = field(default_factory=list, kw_only=True)


# --------------------------------------------------------------------------
# parsing


def parse_proposals(filename: str, data: bytes) -> ProposalParse:
    """Parse an uploaded proposals file (CSV in UTF-8 or GBK, or XLSX) into rows and errors.

    Each problem comes with its spreadsheet row number and field, worded as on every
    proposal form, e.g. ``第 3 行：请填写乡镇（街道）。``; file-level problems (unreadable,
    over 2 MB or 5,000 rows, a required column missing) come as one error with ``row``
    None. 类别 and 征集渠道 take the names shown in the template (or their codes); a
    blank 征集渠道 is left to the import's default channel.
    """
    result = ProposalParse(filename=filename)
    try:
        records = spreadsheets.read_records(filename, data, LAYOUT)
    except FileError as exc:
        result.errors.append(RowError(None, "", str(exc)))
        return result
    for record in records:
        parsed = _parse_row(record, result.errors)
        if parsed is None:
            continue
        proposal, received = parsed
        if is_example(proposal):
            result.skipped.append((record.row, "模板中的示例行（与模板示例相同），没有导入"))
        else:
            result.rows.append(ProposalRow(record.row, proposal, received))
    return result


def is_example(proposal: ProposalInput) -> bool:
    """Whether a row is the template's example (its title, place and proposer, however typed)."""
    return _identity_of(proposal) == _identity_of(EXAMPLE)


def _parse_row(record: Record, errors: list[RowError]) -> tuple[ProposalInput, date | None] | None:
    form = {_FIELD_OF[header]: text for header, text in record.values.items()}
    problems: dict[str, str] = {}
    received, received_error = _received(form.pop("received_on", ""))
    if received_error:
        problems["received_on"] = received_error
    category = _choice(form.get("category", ""), CATEGORIES)
    if category is None:
        problems["category"] = (f"类别“{_shown(form['category'])}”不在可选范围内，"
                                f"请填写：{'、'.join(CATEGORIES.values())}。")
    channel = _choice(form.get("channel", ""), PAPER_CHANNELS)
    if channel is None:
        problems["channel"] = (f"征集渠道“{_shown(form['channel'])}”不在可选范围内，"
                               f"请填写：{'、'.join(PAPER_CHANNELS.values())}，或留空按导入时选择的渠道。")
    # The channel is settled here (the row's own, or the import's default later), so
    # parse_proposal is handed any valid one and checks the rest.
    proposal, found = parse_proposal({**form, "category": category or ""}, channel=next(iter(PAPER_CHANNELS)))
    found.update(problems)
    if found:
        errors.extend(RowError(record.row, label, f"第 {record.row} 行：{found[key]}")
                      for key, label in {**LABELS, "received_on": RECEIVED}.items() if key in found)
        return None
    assert proposal is not None
    return replace(proposal, channel=channel), received


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")


def _received(text: str) -> tuple[date | None, str]:
    """The 收到日期 of a row as typed (2026-11-20, 2026/11/20, 2026年11月20日, an Excel date), or
    None if blank; with the problem, worded as on the paper entry form, if it is no such day."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None, ""
    matched = _DATE.match(text)
    try:
        day = date(*(int(part) for part in matched.groups())) if matched else None
    except ValueError:
        day = None
    if day is None:
        return None, f"收到日期“{_shown(text)}”不是日期，请写成 2026-11-20 这样的格式。"
    return day, received_problem(day, proposals.today())


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _choice(text: str, options: dict[str, str]) -> str | None:
    """The option named by its label or code ("" when blank, None when unknown)."""
    folded = _fold(text)
    if not folded:
        return ""
    if folded in options:
        return folded
    return next((key for key, label in options.items() if _fold(label) == folded), None)


def _shown(text: str) -> str:
    text = " ".join(spreadsheets.clean_cell(text).split())
    return text if len(text) <= 20 else text[:20] + "…"


# --------------------------------------------------------------------------
# importing


def _identity(title: str, township: str, village: str, proposer: str) -> tuple[str, ...]:
    """What makes two entries the same proposal: title, place and proposer, however spaced."""
    return tuple(_fold(x or "") for x in (title, township, village, proposer))


def _identity_of(proposal: ProposalInput) -> tuple[str, ...]:
    return _identity(proposal.title, proposal.township, proposal.village, proposal.proposer_name)


async def already_entered(round_id: int, parsed: ProposalParse) -> list[tuple[int, str]]:
    """Rows of the file that match a proposal already in the round (same title, place and proposer):
    the same file imported twice, or a row entered by hand before. (row, "…已有…") for each."""
    from lifecycle.tables import Proposal

    stored = await Proposal.select(Proposal.code, Proposal.title, Proposal.township, Proposal.village,
                                   Proposal.proposer_name).where(Proposal.round == round_id)
    known = {_identity(r["title"], r["township"], r["village"], r["proposer_name"]): r["code"] for r in stored}
    found = []
    for item in parsed.rows:
        p = item.proposal
        code = known.get(_identity_of(p))
        if code:
            found.append((item.row, f"“{p.title}”（{p.township}{p.village}，{p.proposer_name or '未署名'}）"
                                    f"已有，查询码 {code}"))
    return found


async def import_proposals(round_id: int, parsed: ProposalParse, who: Who,
                           default_channel: str, *, repeats_confirmed: bool = False) -> list[dict[str, Any]]:
    """Submit every row of a file that parsed with no errors, in one transaction.

    ``default_channel`` (a code or name of :data:`PAPER_CHANNELS`, or "" when every row
    names its own) is the channel of rows that left it blank. Refuses the whole file
    while any error remains; if a row fails while being stored, nothing is stored.
    Returns, in file order, ``{"row", "id", "code", "title", "township", "proposer_name"}``
    for each proposal, so the tracking codes can be printed for the proposers. Rows that match
    proposals already in the round (`already_entered`) make it refuse, writing nothing
    (code ``import_repeats``), unless ``repeats_confirmed``: the clerk has seen them and says
    they are new proposals.
    """
    if who.role not in stages.SECRETARIAT:
        raise Forbidden()
    if parsed.errors:
        raise Refused(_refusal(parsed), code="import_invalid")
    if not parsed.rows:
        only_example = "（只有模板中的示例行）" if parsed.skipped else ""
        raise Refused(f"{file_label(parsed.filename)}中没有建议{only_example}，没有导入。", code="import_empty")
    channel = _choice(default_channel, PAPER_CHANNELS)
    if channel is None:
        raise Refused(f"征集渠道“{_shown(default_channel)}”无效，请选择：{'、'.join(PAPER_CHANNELS.values())}。")
    unnamed = [item.row for item in parsed.rows if not item.proposal.channel]
    if unnamed and not channel:
        raise Refused(f"{_rows(unnamed)}没有填写征集渠道，没有导入任何建议；"
                      "请选择本次导入的征集渠道，或在文件中填写后重新上传。", code="import_channel")
    made: list[dict[str, Any]] = []
    async with write_transaction():
        round_row = await proposals.get_round(round_id)
        repeats = await already_entered(round_id, parsed)
        if repeats and not repeats_confirmed:
            raise Refused(f"{file_label(parsed.filename)}中有 {len(repeats)} 行与本次征集中已有的建议相同"
                          "（可能重复导入了同一份文件），没有导入任何建议。", code="import_repeats")
        for item in parsed.rows:
            proposal = item.proposal if item.proposal.channel else replace(item.proposal, channel=channel)
            stored = await proposals.submit(round_id, proposal, who, received_on=item.received_on)
            made.append({"row": item.row, "id": stored["id"], "code": stored["code"], "title": proposal.title,
                         "township": proposal.township, "proposer_name": proposal.proposer_name,
                         "received_on": item.received_on})
        await audit.record(who.actor, "proposals_imported", subject=round_row["title"],
                           detail={"round": round_id, "count": len(made), "channel": channel,
                                   "filename": parsed.filename,
                                   **({"repeats_confirmed": [r for r, _ in repeats]} if repeats else {})})
    return made


def _refusal(parsed: ProposalParse) -> str:
    listed = "；".join(e.message.rstrip("。") for e in parsed.errors[:_LISTED])
    more = f"……共 {len(parsed.errors)} 处" if len(parsed.errors) > _LISTED else ""
    return (f"{file_label(parsed.filename)}有错误，没有导入任何建议；请改正后重新上传。"
            f"{listed}{more}。")


def _rows(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:_LISTED])
    return f"第 {shown}{' 等' if len(numbers) > _LISTED else ''} 行"


# --------------------------------------------------------------------------
# templates


def _example_row() -> list[object]:
    values = EXAMPLE.as_columns()
    values["category"] = CATEGORIES[EXAMPLE.category]
    values["channel"] = PAPER_CHANNELS[EXAMPLE.channel]
    return [values.get(_FIELD_OF[header], "") for header in LAYOUT.headers]  # 收到日期 left blank


_RULES = (
    "第 1 行为表头，列的顺序不限，多余的列会被忽略；列名须与上表一致。",
    "每条建议占一行，空行会被跳过。",
    "“是否必填”为“是”的列必须填写；类别、征集渠道请照上表填写（Excel 中可从下拉列表选择）。",
    "估算投资以万元为单位；估算投资、受益人数、联名人数只填数字，不要带单位。",
    "联系方式请设为“文本”格式，避免 Excel 把电话号码显示成科学计数法。",
    f"文件不超过 {MAX_BYTES // 1024 // 1024} MB，建议不超过 {MAX_ROWS} 行；"
    "支持 .xlsx 和 CSV（UTF-8 或 GBK 编码），不支持旧版 .xls。",
    "只要有一处错误，整份文件都不会导入；请按提示的行号改正后重新上传。",
    "导入后每条建议都有一个查询码，请转交建议人，凭码查询办理情况。",
    "导入前请删除示例数据。",
)


def template_csv() -> bytes:
    """A CSV template: UTF-8 with BOM (so Excel shows Chinese), the header and one example row."""
    return spreadsheets.template_csv(LAYOUT, [_example_row()])


def template_xlsx() -> bytes:
    """An XLSX template: sheet 建议汇总表 (bold header, widths, one example, dropdowns for
    类别 and 征集渠道) and sheet 填写说明."""
    return spreadsheets.template_xlsx(
        LAYOUT,
        [_example_row()],
        sheet="建议汇总表",
        widths=dict(zip(LAYOUT.headers, (24, 50, 14, 14, 12, 16, 10, 16, 12, 16, 10, 14))),
        rules=_RULES,
        text_columns=(LABELS["contact"],),
        choices={
            LABELS["category"]: (tuple(CATEGORIES.values()), "请从下拉列表中选择类别"),
            LABELS["channel"]: (tuple(PAPER_CHANNELS.values()), "请从下拉列表中选择征集渠道，或留空"),
        },
    )
