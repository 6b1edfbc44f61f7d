"""Stamped print runs: the ballot laid out once, a page per serial, looking exactly like whole ballots."""

import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from reports import ballots
from reports.pdf import html_to_pdf
from tests.reports.test_ballots import HALL, SERIAL, assert_in_order, numbered, poll_dict, squeeze

TITLES = ["东溪至岭头村道提升改造工程", "城区老年食堂（助餐点）建设", "农村饮用水提标改造", "县第二小学食堂及运动场改造",
          "乡镇卫生院发热门诊建设", "城区公共停车泊位扩容", "农村生活垃圾分类处理提升", "村级文化礼堂及全民健身场地建设",
          "零工市场（就业驿站）建设", "龙潭溪堤防加固及滨水步道建设", "城区小区电动自行车充电设施建设", "婴幼儿托育服务点建设"]


def test_a_print_run_of_several_documents_is_one_pdf_a_page_per_serial_in_order():
    serials = numbered(23)
    content = ballots.ballots_pdf_sync(poll_dict(seats=10), [{"title": t} for t in TITLES], HALL, serials,
                                       per_document=5)  # serial pages laid out 5, 5, 5, 5 and 3 at a time
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 23 and not reader.outline
    forms = set()
    for page, (serial, _) in zip(reader.pages, serials):
        text = page.extract_text()
        assert SERIAL.findall(text) == [serial] and text.count("编号") == 1
        assert_in_order(squeeze(text), TITLES)
        assert squeeze(text).count(squeeze(TITLES[-1])) == 1
        assert page.get_contents().get_data().startswith(b"q /PJBallot Do Q")
        forms.add(page["/Resources"]["/XObject"].raw_get("/PJBallot").idnum)
    assert len(forms) == 1  # every page draws the same ballot
    # The ballot is in the file once: each further ballot costs its serial and QR code only.
    one = ballots.ballots_pdf_sync(poll_dict(seats=10), [{"title": t} for t in TITLES], HALL, serials[:1])
    assert len(content) < len(one) + 22 * 2_000


def raster(content: bytes, page: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "b.pdf"
        pdf.write_bytes(content)
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str(Path(folder) / "page")], check=True)
        return Image.open(Path(folder) / "page.png").convert("L")


@pytest.mark.parametrize("candidates, method", [
    (TITLES, "approval"),  # one roomy column, a paragraph a list
    ([t + "（二期）" for t in TITLES] * 3 + TITLES[:4], "approval"),  # 40 in two columns
    ([f"{n}号项目：" + "老旧小区改造" * 2 for n in range(1, 19)], "satisfaction"),
])
def test_a_stamped_ballot_looks_exactly_like_a_whole_one(candidates, method):
    poll, rows, serials = poll_dict(method=method, seats=10), [{"title": t} for t in candidates], numbered(3)
    whole = html_to_pdf(ballots.ballots_html(poll, rows, HALL, serials))
    stamped = ballots.ballots_pdf_sync(poll, rows, HALL, serials, per_document=2)
    assert len(PdfReader(io.BytesIO(stamped)).pages) == 3
    for page in (1, 3):
        expected, got = raster(whole, page), raster(stamped, page)
        assert got.size == expected.size
        assert ImageChops.difference(got, expected).getbbox() is None, f"page {page} differs"
