"""The tally sheet and the presidium notice at their worst: 40 candidates, 12 seats, a
runoff, long titles, a scrutiny team of 15. Read back from the real PDFs: the signature
lines share a page with per-candidate figures and the seal; the notice is one page laid
out on GB/T 9704-2012's type area, measured on the rendered page."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import documents
from tests.hall import STAFF, make_hall
from tests.reports.pages import ARTIFACTS, look
from voting import ballot_box, notices, polls, scrutiny
from voting.poll_settings import CandidateInput, PollSettings
from tests import sealed

MM = 72 / 25.4  # points per millimetre
A4 = (210.0, 297.0)
# GB/T 9704-2012 on A4: 天头 37 mm, 订口 28 mm, type area 156 × 225 mm.
TOP, LEFT, WIDTH, HEIGHT = 37.0, 28.0, 156.0, 225.0

LONG_POLL_TITLE = "二〇二六年青溪县城乡居民最关心最直接最现实的民生实事项目候选项目差额票决（县十九届人大三次会议第二次全体会议）"
PLACES = "城关镇 石门乡 岭头镇 龙潭镇 溪口镇 白沙乡 东溪镇 南塘社区 北山街道 西岙乡".split()
WORKS = ("居家养老服务中心及老年食堂建设工程", "农村饮用水水质提升及供水管网改造工程", "中心小学塑胶跑道和风雨操场改造",
         "卫生院发热门诊及标准化建设项目", "溪滩公园健身步道及夜间照明工程", "城乡公交候车亭新建和站牌更新",
         "农贸市场提升改造和周边停车位扩容", "生活垃圾分类处理站建设")


def candidate_titles(n: int) -> list[str]:
    titles = [f"{PLACES[i % len(PLACES)]}{WORKS[i % len(WORKS)]}" for i in range(n)]
    # the longest a title may be: 100 characters, wrapping on the sheet
    titles[20] = ("全县" + "农村公路危桥改造、村道硬化加宽、错车道和安全防护设施建设，" * 4)[:100]
    titles[3] = ("县城老旧小区加装电梯、雨污分流和消防通道改造提升工程（第一批共十二个小区）")
    return titles


def spread(counts: dict[str, int], ballots: int) -> list[dict[str, str]]:
    """Ballots whose `for` counts per candidate are `counts`, as evenly spread as can be."""
    marks: list[dict[str, str]] = [{} for _ in range(ballots)]
    for ref, n in sorted(counts.items(), key=lambda item: -item[1]):
        for ballot in sorted(range(ballots), key=lambda i: (len(marks[i]), i))[:n]:
            marks[ballot][ref] = "for"
    return marks


async def worst_case():
    """A 60-deputy hall; 40 candidates for 12 seats; three tie at the cut-off for the last two
    seats; the runoff settles them; a chief scrutineer, 6 scrutineers and 8 counters."""
    hall = await make_hall(deputies=60)
    await hall.check_in()
    titles = candidate_titles(40)
    first = await polls.create_poll(hall.session_id, PollSettings(
        title=LONG_POLL_TITLE, method="approval", seats=12, max_approvals=None, non_competitive=False,
        threshold_base="entitled", threshold_fraction="1/2", threshold_strict=True, quorum_fraction="2/3",
        candidates=tuple(CandidateInput(t, "简介", "青溪县", 100) for t in titles)), STAFF)
    await sealed.open_poll(first, STAFF)
    counts = {f"P{n:02d}": 60 - n for n in range(1, 11)}  # 59 … 50, all over the bar of 31
    counts |= {"P11": 40, "P12": 40, "P13": 40}  # tied at the cut-off: a runoff for 2 seats
    counts |= {f"P{n:02d}": n % 4 for n in range(14, 41)}
    for deputy, marks in zip(hall.deputy_ids, spread(counts, 60)):
        assert await sealed.cast(first, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(first, STAFF)
    assert polls.stored_result(await polls.get_poll(first))["runoff_seats"] == 2
    runoff = await polls.open_runoff(first, STAFF)
    for deputy, marks in zip(hall.deputy_ids, spread({"P01": 45, "P02": 38, "P03": 12}, 60)):
        await sealed.cast(runoff, deputy, marks)
    await sealed.close_poll(runoff, STAFF)
    ids = hall.deputy_ids
    await scrutiny.set_members(hall.session_id, ids[0], ids[1:7], ids[7:15], STAFF)
    for poll_id in (first, runoff):
        for deputy in ids[:7]:
            await scrutiny.confirm(poll_id, deputy, "paper", STAFF)
    await scrutiny.publish(first, STAFF)  # every round of the decision is published before its notice
    await scrutiny.publish(runoff, STAFF)
    return hall, first, runoff


def pages_text(content: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def ink(content: bytes, page: int, name: str):
    """Page `page` of the PDF at 300 dpi as a one-bit image (ink white), and mm per pixel."""
    from PIL import Image

    pdf = ARTIFACTS / f"{name}.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-f", str(page), "-l", str(page), str(pdf),
                    str(ARTIFACTS / f"{name}-300")], check=True)
    found = sorted(ARTIFACTS.glob(f"{name}-300-*{page}.png"))[-1]
    image = Image.open(found)
    return image.point(lambda p: 255 if p < 160 else 0), 25.4 / 300


def font_sizes(content: bytes, page: int = 0) -> dict[str, float]:
    """Each text run's size in points as drawn (text matrix × size), keyed by the run's text."""
    sizes: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            sizes[squeeze(text)] = round(size * scale, 2)

    PdfReader(io.BytesIO(content)).pages[page].extract_text(visitor_text=visit)
    return sizes


@pytest.fixture
async def worst(hall):
    return await worst_case()


async def test_signatures_share_a_page_with_the_figures_and_the_seal(worst):
    hall, first, runoff = worst
    team = await scrutiny.members(hall.session_id)
    assert len(team) == 15
    for poll_id in (first, runoff):
        poll = await polls.get_poll(poll_id)
        result = polls.stored_result(poll)
        titles = {c["ref"]: squeeze(c["title"]) for c in await polls.candidates_of(poll_id)}
        content = await documents.tally_pdf(poll_id)
        look(content, f"worst-tally-{poll['round']}", keep_pdf=True)
        pages = pages_text(content)
        signed = [n for n, text in enumerate(pages) if "总监票人：" in text]
        assert len(signed) == 1, "the signature lines are printed once"
        text = pages[signed[0]]
        for member in team:  # every member's own line, on that page
            assert squeeze(member["name"]) in text
        rows = [c for c in result["candidates"]
                if f"{titles[c['id']]}{c['for']}{c['against']}{c['abstain']}{c['unmarked']}{c['rank']}" in text]
        assert rows, "the signed page carries per-candidate figures"
        assert poll["ballots_sha256"] in text
        for n, page in enumerate(pages, start=1):  # every page: the seal and its place in the sheet
            assert poll["ballots_sha256"] in page and f"第{n}页共{len(pages)}页" in page
            if n > 1:  # the poll and its figures on every further page
                assert poll["ref"] in page and f"应到{poll['entitled']}人" in page
                assert f"有效票{result['valid']}张" in page
    first_pages = pages_text(await documents.tally_pdf(first))
    assert len(first_pages) > 1  # 40 candidates do not fit one page: the test is of the real case
    whole = "".join(first_pages)
    assert "未达到规定票数" in whole and "过门槛" not in whole and "未过门槛" not in whole
    assert whole.count("python-mvotingrecount") == 1


async def test_the_notice_is_one_page_on_the_gbt_9704_type_area(worst):
    hall, first, runoff = worst
    content = await documents.notice_pdf(await notices.issue_notice(runoff, STAFF))
    look(content, "worst-notice", keep_pdf=True)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (210, 297)
    text = squeeze(reader.pages[0].extract_text())
    assert "两轮合计确定下列12个项目为民生实事项目" in text
    assert re.search(r"\d年\d{1,2}月\d{1,2}日", text) and "—1—" in text
    assert not re.search(r"[\u4e00-\u9fff] \d|\d [\u4e00-\u9fff]", reader.pages[0].extract_text()), \
        "no space between Chinese and numbers"
    image, px = ink(content, 1, "worst-notice")
    bottom = TOP + HEIGHT
    body = image.crop((0, 0, image.width, round(bottom / px))).getbbox()
    left, top, right = body[0] * px, body[1] * px, body[2] * px
    assert abs(left - LEFT) <= 1, left  # 订口 28 mm: each paragraph's wrapped lines start there
    assert abs(top - TOP) <= 1, top  # 天头 37 mm: the title's first line
    assert abs(right - (LEFT + WIDTH)) <= 1, right  # full lines end at the type area's right edge
    assert body[3] * px <= bottom
    # the page number: "— 1 —" 7 mm under the type area, an odd page's 右空一字 (one 14 pt character)
    number = image.crop((0, round(bottom / px), image.width, image.height)).getbbox()
    assert abs(number[2] * px - (LEFT + WIDTH - 14 / MM)) <= 1
    dash = image.crop((number[0], round(bottom / px), number[0] + round(2.5 / px), image.height)).getbbox()
    assert abs(bottom + dash[1] * px - (bottom + 7)) <= 1
    sizes = font_sizes(content)
    title = next(size for run, size in sizes.items() if "主席团公告" in run)
    body_size = next(size for run, size in sizes.items() if "现予公告" in run)
    page_number = next(size for run, size in sizes.items() if run.startswith("—"))
    assert (title, body_size, page_number) == (22, 16, 14)


async def test_issuer_and_date_are_placed_as_the_standard_places_them(worst):
    hall, first, runoff = worst
    content = await documents.notice_pdf(await notices.issue_notice(runoff, STAFF))
    baselines = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            baselines[squeeze(text)] = -cm[3] * tm[5] / MM  # mm from the top

    PdfReader(io.BytesIO(content)).pages[0].extract_text(visitor_text=visit)
    date = next(run for run in baselines if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", run))
    issuer = next(run for run in baselines if run.endswith("主席团") and "公告" not in run)
    image, px = ink(content, 1, "notice-sign")

    def line_ink(baseline):  # the ink of the line whose baseline is given: left and right, mm
        box = image.crop((0, round((baseline - 5) / px), image.width, round((baseline + 1) / px))).getbbox()
        return box[0] * px, box[2] * px

    date_left, date_right = line_ink(baselines[date])
    issuer_left, issuer_right = line_ink(baselines[issuer])
    assert baselines[issuer] < baselines[date]  # the issuer above the date
    # 右空四字: four 16 pt characters between the date's end and the type area's right edge
    assert abs(date_right - (LEFT + WIDTH - 4 * 16 / MM)) <= 1
    # an issuer too long to centre on the date ends two characters from the right edge
    assert abs(issuer_right - (LEFT + WIDTH - 2 * 16 / MM)) <= 1
    assert issuer_left < date_left


def test_issuer_short_enough_is_centred_on_the_date():
    layout = documents.notice_layout("青溪县", "2026年12月5日")
    sign = layout["sign"]
    # 青溪县主席团 is 6 characters, the date 6.5: centred, it stands 0.25 character further in
    assert sign["date_right_em"] == 4 and sign["issuer_right_em"] == 4.25
    assert documents.notice_layout("青溪县第十九届人民代表大会第三次会议", "")["title_lines"] == [
        "青溪县第十九届人民代表大会", "第三次会议主席团公告"]


async def test_tally_sheet_prints_issued_and_returned_per_medium(hall):
    """The paper reconciliation (voting.paper) reaches the sheet as `reconciliation`: tablets only
    when no paper was used; every figure and the serials' account when it was."""
    from reports.pdf import html_to_pdf, render_html

    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    for deputy in hall.deputy_ids[:20]:
        await sealed.cast(poll_id, deputy, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    context = await documents.tally_context(poll_id)
    shown = "".join(pages_text(html_to_pdf(render_html("print/tally_sheet.html", **context))))
    assert "投票方式发出收回平板电脑2020合计2020" in shown and "纸质选票编号核对" not in shown
    context["reconciliation"] = {
        "media": [{"medium": "electronic", "issued": 18, "returned": 17},
                  {"medium": "paper", "issued": 4, "returned": 3}],
        "serials": {"printed": 10, "counted": 3, "voided": 1, "unused": 5, "missing": 1},
    }
    text = "".join(pages_text(html_to_pdf(render_html("print/tally_sheet.html", **context))))
    assert "投票方式发出收回平板电脑1817纸质选票43合计2220" in text
    assert "纸质选票编号核对：印制10张＝计入3张＋作废1张＋退回未用5张＋缺失1张。" in text
    context["reconciliation"]["serials"]["missing"] = 0  # one sheet unaccounted for: said so
    text = "".join(pages_text(html_to_pdf(render_html("print/tally_sheet.html", **context))))
    assert "（不相等：相差1张）" in text
