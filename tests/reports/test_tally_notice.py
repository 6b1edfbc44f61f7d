"""The tally sheet and the presidium notice, read back from real PDFs."""

import io
import re
from datetime import date

from pypdf import PdfReader

from reports import documents
from reports.wording import chinese_date, official_date
from tests.reports.pages import look
import pytest

from tests.hall import STAFF, csrf_of, login_staff, scrutinize
from voting.errors import Conflict
from voting import ballot_box, notices, polls
from tests import sealed



def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def counted_poll(hall, titles_hostile=False):
    await hall.check_in()
    poll_id = await hall.poll(candidates=5, seats=2)
    plan = [{"P01": "for", "P02": "for"}] * 17 + [{"P03": "for", "P02": "against"}] * 3 + [{}]
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(poll_id, STAFF)
    return poll_id


def test_chinese_dates_as_official_documents_write_them():
    assert chinese_date(date(2025, 1, 15)) == "二〇二五年一月十五日"
    assert chinese_date(date(2030, 12, 31)) == "二〇三〇年十二月三十一日"
    assert chinese_date(date(2026, 10, 20)) == "二〇二六年十月二十日"


async def test_tally_sheet_carries_the_count_the_rules_and_the_seal(hall):
    poll_id = await counted_poll(hall)
    poll = await polls.get_poll(poll_id)
    result = polls.stored_result(poll)
    content = await documents.tally_pdf(poll_id)
    look(content, "tally-sheet", resolution=50, keep_pdf=True)
    assert content.startswith(b"%PDF") and len(content) < 1_000_000
    text = squeeze(pdf_text(content))
    assert "计票结果报告单" in text and poll["ref"] in text
    positions = [text.index(f"候选项目{n:02d}") for n in range(1, 6)]
    assert positions == sorted(positions)
    assert "应到代表实到代表发出选票收回选票有效票无效票当选所需赞成票" in text
    assert f"3030{poll['issued']}{result['returned']}{result['valid']}{result['invalid']}{result['required']}" in text
    assert "候选项目0117" in text  # P01: 17 for
    assert poll["ballots_sha256"] in text
    for role in ("总监票人", "监票人", "计票人"):
        assert role in text
    assert result["winners"] == ["P01", "P02"] and "确定的项目（2个" in text and "尚缺" not in text


async def test_notice_numbers_increment_per_session_and_are_never_reissued(hall):
    first = await counted_poll(hall)
    second = await hall.poll(candidates=3, seats=1)
    await sealed.close_poll(second, STAFF)
    with pytest.raises(Conflict, match="确认计票结果并公布后"):
        await notices.issue_notice(first, STAFF)
    await scrutinize(hall, first)
    await scrutinize(hall, second)
    n1 = await notices.issue_notice(first, STAFF)
    n2 = await notices.issue_notice(second, STAFF)
    assert [(await notices.get_notice(n))["number"] for n in (n1, n2)] == [1, 2]
    with pytest.raises(Conflict):
        await notices.issue_notice(first, STAFF)
    content = await documents.notice_pdf(n1)
    look(content, "notice", resolution=50, keep_pdf=True)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1  # the issuer and date stay on the page
    text = squeeze(pdf_text(content))
    assert "主席团公告（第1号）" in text
    assert "应到代表30人，实到30人，符合法定人数" in text and "候选项目01" in text
    issued = (await notices.get_notice(n1))["issued_at"]
    assert official_date(issued.astimezone(documents.BEIJING).date()) in text  # 2026年12月5日, GB/T 9704
    second_text = squeeze(pdf_text(await documents.notice_pdf(n2)))
    assert "主席团公告（第2号）" in second_text and "没有项目获得规定的赞成票数" in second_text


async def test_console_downloads_the_documents(client, hall):
    poll_id = await counted_poll(hall)
    await login_staff(client)
    page = await client.get(f"/console/polls/{poll_id}")
    assert "计票结果报告单（PDF）" in page.text and "发布主席团公告" not in page.text
    tally = await client.get(f"/console/polls/{poll_id}/tally.pdf")
    assert tally.status_code == 200 and tally.headers["content-type"] == "application/pdf"
    assert "计票结果报告单" in pdf_text(tally.content)
    preview = await client.get(f"/console/polls/{poll_id}/tally.html")
    assert "<script" not in preview.text and "default-src 'none'" in preview.headers["content-security-policy"]
    refused = await client.post(f"/console/polls/{poll_id}/notices", data={"_csrf_token": csrf_of(client)})
    assert refused.status_code == 409 and "确认计票结果并公布后" in refused.text
    await scrutinize(hall, poll_id)
    assert "发布主席团公告" in (await client.get(f"/console/polls/{poll_id}")).text
    issued = await client.post(f"/console/polls/{poll_id}/notices", data={"_csrf_token": csrf_of(client)})
    assert issued.status_code in (302, 303)
    page = await client.get(f"/console/polls/{poll_id}")
    notice_link = re.search(r'href="(/console/notices/\d+/pdf)"', page.text).group(1)
    notice = await client.get(notice_link)
    assert "主席团公告" in pdf_text(notice.content)
    again = await client.post(f"/console/polls/{poll_id}/notices", data={"_csrf_token": csrf_of(client)})
    assert again.status_code == 409 and "已经发布过公告" in again.text


async def test_console_prints_numbered_paper_ballots(client, hall):
    from voting.tables import PaperSerial

    poll_id = await hall.poll(candidates=5, seats=3, open_=False)
    await login_staff(client)
    page = await client.get(f"/console/polls/{poll_id}")
    assert "打印编号选票" in page.text
    response = await client.post(f"/console/polls/{poll_id}/paper-ballots",
                                 data={"_csrf_token": csrf_of(client), "count": "3"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    registered = [r["serial"] for r in await PaperSerial.select(PaperSerial.serial).where(
        PaperSerial.poll == poll_id).order_by(PaperSerial.serial)]
    assert len(reader.pages) == 3 and len(registered) == 3
    printed = [next(s for s in registered if s in page_.extract_text()) for page_ in reader.pages]
    assert sorted(printed) == registered  # every registered serial on a page of its own, in a shuffled order
    bad = await client.post(f"/console/polls/{poll_id}/paper-ballots", data={"_csrf_token": csrf_of(client),
                                                                            "count": "三"})
    assert bad.status_code == 400 and "整数" in bad.text


async def test_after_a_runoff_the_tally_and_the_notice_show_both_rounds(hall):
    await hall.check_in()
    first = await hall.poll(candidates=4, seats=2)
    plan = ([{"P01": "for", "P02": "for"}] * 10 + [{"P01": "for", "P03": "for"}] * 10
            + [{"P02": "for", "P03": "for"}] * 6 + [{"P04": "for"}] * 4)
    for deputy, marks in zip(hall.deputy_ids, plan):
        await sealed.cast(first, deputy, marks)
    await sealed.close_poll(first, STAFF)
    await scrutinize(hall, first)  # the first round's result is announced before the further vote
    runoff = await polls.open_runoff(first, STAFF)
    for deputy in hall.deputy_ids[:18]:
        await sealed.cast(runoff, deputy, {"P02": "for"})  # 候选项目03
    await sealed.close_poll(runoff, STAFF)
    tally = squeeze(pdf_text(await documents.tally_pdf(runoff)))
    assert "第2轮另行票决" in tally and "各轮合计确定的项目（2个）：候选项目01（第1轮）、候选项目03（第2轮）" in tally
    await scrutinize(hall, runoff)
    notice = squeeze(pdf_text(await documents.notice_pdf(await notices.issue_notice(runoff, STAFF))))
    assert "两轮合计确定下列2个项目为民生实事项目" in notice
    assert notice.index("候选项目01") < notice.index("候选项目03")
