"""Numbered paper ballots: registered when printed, one page each, read back from the PDF."""

import asyncio
import io
import re

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import ContentStream

from reports import ballots
from voting.serials import make_serial, parse_serial, qr_text
from tests.reports.pages import look
from tests.hall import STAFF
from voting import paper, polls, sittings
from voting.errors import Refused
from voting.tables import AuditEntry, PaperSerial
from tests import sealed

SERIAL = re.compile(r"\d{4,}-\d{5}-\d")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_of(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def assert_in_order(text: str, titles: list[str]) -> None:
    at = 0
    for title in titles:
        found = text.find(squeeze(title), at)
        assert found >= 0, f"{title!r} missing or out of order"
        at = found + len(squeeze(title))


def images_drawn(reader, content, resources):
    """(name, width) of every image a page or form draws, through nested forms."""
    xobjects = resources.get("/XObject", {})
    for operands, operator in ContentStream(content.get_contents() if hasattr(content, "get_contents")
                                            else content, reader).operations:
        if operator == b"Do":
            xobject = xobjects[operands[0]].get_object()
            if xobject["/Subtype"] == "/Image":
                yield operands[0], xobject["/Width"]
            else:
                yield from images_drawn(reader, xobject, xobject.get("/Resources", resources))


async def print_ballots(poll_id: int, count: int) -> tuple[dict, list[dict], list[str], bytes]:
    poll = await polls.get_poll(poll_id)
    candidates = await polls.candidates_of(poll_id)
    session = await sittings.session_context(poll["session"])
    serials = await paper.register_print_run(poll_id, count, STAFF)
    content = await ballots.ballots_pdf(poll, candidates, session, [(s, qr_text(poll["ref"], s)) for s in serials])
    return poll, candidates, serials, content


@pytest.mark.parametrize("candidates, seats, count, layout", [
    (5, 3, 4, "roomy"), (12, 10, 6, "roomy"), (40, 30, 5, "double"),
])
async def test_each_ballot_is_one_page_with_every_candidate_and_its_own_serial(hall, candidates, seats, count,
                                                                                layout):
    poll_id = await hall.poll(candidates=candidates, seats=seats, open_=False)
    poll, rows, serials, content = await print_ballots(poll_id, count)
    titles = [c["title"] for c in rows]
    assert ballots.choose_layout(poll, titles).name == layout

    pages = pages_of(content)
    assert len(pages) == count
    for page, serial in zip(pages, serials):
        assert SERIAL.findall(page) == [serial]
        text = squeeze(page)
        assert_in_order(text, titles)
        assert squeeze(poll["title"]) in text and "选票" in text
        assert "应选" in text and f"每张选票最多赞成{seats}个" in text
        assert all(option in text for option in ("赞成", "不赞成", "弃权"))
    assert len(set(serials)) == count
    registered = await PaperSerial.select(PaperSerial.serial).where(PaperSerial.poll == poll_id) \
        .order_by(PaperSerial.id)
    # The register holds the run in number order; the sheets come off the printer shuffled.
    assert [r["serial"] for r in registered] == sorted(serials)
    assert sorted(parse_serial(s) for s in serials) == [(poll_id, n) for n in range(1, count + 1)]
    if candidates in (12, 40):
        look(content, f"ballots-{candidates}")


async def test_the_qr_code_carries_poll_and_serial(hall):
    poll_id = await hall.poll(candidates=3, seats=2, open_=False)
    poll, _, serials, content = await print_ballots(poll_id, 2)
    reader = PdfReader(io.BytesIO(content))
    for page, serial in zip(reader.pages, serials):
        # Pages share one resource dictionary: find the image this page draws (the others
        # it draws are the one-pixel rules and bands stretched as backgrounds).
        (name,) = {n for n, width in images_drawn(reader, page, page["/Resources"]) if width > 1}
        (image,) = [i for i in page.images if i.name.rsplit(".", 1)[0] == name.lstrip("/")]
        pixels = image.image.convert("L")
        expected = segno.make(qr_text(poll["ref"], serial), error="m")
        size = len(expected.matrix) + 4  # two modules of quiet zone each side
        assert pixels.size == (size, size)
        dark = [[pixels.getpixel((x, y)) < 128 for x in range(size)] for y in range(size)]
        assert dark == [[bool(v) for v in row] for row in expected.matrix_iter(scale=1, border=2)]


async def test_a_second_print_run_continues_the_numbering_and_is_audited(hall):
    poll_id = await hall.poll(candidates=4, seats=2)  # open: printing goes on while the vote runs
    first = await paper.register_print_run(poll_id, 3, STAFF)
    second = await paper.register_print_run(poll_id, 2, STAFF)
    assert [sorted(parse_serial(s)[1] for s in run) for run in (first, second)] == [[1, 2, 3], [4, 5]]
    first, second = sorted(first), sorted(second)  # the audit names each run's range in number order
    runs = await PaperSerial.select(PaperSerial.serial, PaperSerial.run).where(PaperSerial.poll == poll_id) \
        .order_by(PaperSerial.id)
    assert [r["run"] for r in runs] == [1, 1, 1, 2, 2]
    poll = await polls.get_poll(poll_id)
    entries = await AuditEntry.select(AuditEntry.subject, AuditEntry.detail).where(
        (AuditEntry.action == "ballots_printed") & (AuditEntry.subject == f"{poll['title']}（{poll['ref']}）")
    ).order_by(AuditEntry.id).output(load_json=True)
    assert [e["detail"] for e in entries] == [{"run": 1, "count": 3, "first": first[0], "last": first[-1]},
                       {"run": 2, "count": 2, "first": second[0], "last": second[-1]}]

    assert await paper.is_printed(poll_id, second[-1])
    assert await paper.is_printed(poll_id, " " + qr_text(poll["ref"], first[0]) + "\n")
    assert not await paper.is_printed(poll_id, make_serial(poll_id, 6))  # well formed, never printed
    assert not await paper.is_printed(poll_id + 1, second[-1])  # printed for another poll
    assert not await paper.is_printed(poll_id, first[0][:-1] + str((int(first[0][-1]) + 1) % 10))
    assert not await paper.is_printed(poll_id, "not a serial")


async def test_simultaneous_print_runs_never_share_a_number(hall):
    poll_id = await hall.poll(candidates=3, seats=2, open_=False)
    runs = await asyncio.gather(*(paper.register_print_run(poll_id, 3, STAFF) for _ in range(4)))
    numbers = sorted(parse_serial(s)[1] for run in runs for s in run)
    assert numbers == list(range(1, 13))
    stored = await PaperSerial.select(PaperSerial.run).where(PaperSerial.poll == poll_id)
    assert sorted({r["run"] for r in stored}) == [1, 2, 3, 4]


async def test_print_runs_are_refused_in_words_and_leave_nothing_behind(hall):
    draft = await hall.poll(candidates=3, seats=2, open_=False)
    for poll_id, count, words in ((draft, 0, "1 到 2000"), (draft, 2001, "1 到 2000"),
                                  (10 ** 8, 5, "没有这次票决")):
        with pytest.raises(Refused) as caught:
            await paper.register_print_run(poll_id, count, STAFF)
        assert words in caught.value.message
    closed = await hall.poll(candidates=3, seats=2)
    await sealed.close_poll(closed, STAFF)
    with pytest.raises(Refused) as caught:
        await paper.register_print_run(closed, 5, STAFF)
    assert "已经结束" in caught.value.message
    assert await PaperSerial.count().where(PaperSerial.poll.is_in([draft, closed])) == 0
    assert len(await paper.register_print_run(draft, 2000, STAFF)) == 2000  # the most in one run


HALL = {"name": "青溪县第十九届人民代表大会第三次会议"}


def poll_dict(method="approval", seats=3, **extra):
    return {"id": 7, "ref": "2025-s1-7", "title": "2025年青溪县民生实事项目票决", "method": method,
            "seats": seats if method == "approval" else None, "max_approvals": None, "threshold_base": "entitled",
            "threshold_fraction": "1/2", "threshold_strict": True, **extra}


def numbered(count):
    return [(make_serial(7, n), qr_text("2025-s1-7", make_serial(7, n))) for n in range(1, count + 1)]


async def test_hostile_and_long_titles_print_as_text_and_wrap_on_one_page():
    long_title = "关于实施城乡供水一体化" + "和农村饮水安全巩固提升" * 17 + "工程"
    assert len(long_title) == 200
    titles = ["村道硬化工程", "<b>x</b>", long_title, "老年食堂 & “幸福院”建设", "A" * 60 + "路灯"]
    candidates = [{"title": t} for t in titles]
    html = ballots.ballots_html(poll_dict(), candidates, HALL, numbered(1))
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    content = await ballots.ballots_pdf(poll_dict(), candidates, HALL, numbered(3))
    pages = pages_of(content)
    assert len(pages) == 3
    for page in pages:
        assert "<b>x</b>" in page
        assert_in_order(squeeze(page), titles)


@pytest.mark.parametrize("titles, method", [
    ([f"第{n}号" + "农村公路提质改造和安全生命防护工程" * 3 for n in range(1, 41)], "approval"),  # 40 long
    ([f"{n}号项目：" + "老旧小区改造" * 2 for n in range(1, 41)], "satisfaction"),
    ([f"候选项目{n:02d}" for n in range(1, 25)], "satisfaction"),
])
async def test_forty_long_titles_or_satisfaction_options_still_fit_one_sheet(titles, method):
    poll = poll_dict(method=method, seats=20)
    content = await ballots.ballots_pdf(poll, [{"title": t} for t in titles], HALL, numbered(2))
    pages = pages_of(content)
    assert len(pages) == 2
    for page in pages:
        assert_in_order(squeeze(page), titles)
        if method == "satisfaction":
            assert all(o in page for o in ("满意", "基本满意", "不满意", "弃权"))


def test_layout_follows_the_number_of_candidates():
    poll = poll_dict()
    short = [f"第{n}个项目" for n in range(1, 41)]
    assert ballots.choose_layout(poll, short[:14]).name == "roomy"
    assert ballots.choose_layout(poll, short[:24]).name == "compact"
    assert ballots.choose_layout(poll, short[:40]).name == "double"
    assert ballots.choose_layout(poll, ["很长的项目名称" * 14] * 40).size == "A3"
