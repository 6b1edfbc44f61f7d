"""The satisfaction evaluation form (满意度测评表) and its result report, read back from real PDFs."""

import io

from pypdf import PdfReader

from reports import ballots, documents
from tests.hall import STAFF, login_staff
from tests.reports.pages import look
from tests.reports.test_tally_notice import pdf_text, squeeze
from voting import ballot_box, polls, sittings
from voting.serials import qr_text
from tests import sealed


async def evaluated_poll(hall):
    """30 deputies present; four projects; 满意 needs more than half of the 30 (16)."""
    await hall.check_in()
    poll_id = await hall.poll(candidates=4, method="satisfaction")
    plan = ([{"P01": "satisfied", "P02": "satisfied", "P03": "basically_satisfied", "P04": "dissatisfied"}] * 16
            + [{"P01": "satisfied", "P02": "basically_satisfied", "P03": "satisfied", "P04": "dissatisfied"}] * 8
            + [{"P01": "abstain", "P02": "dissatisfied"}] * 4)
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    await sealed.close_poll(poll_id, STAFF)
    return poll_id


async def test_result_report_gives_each_project_its_counts_rates_and_verdict(hall):
    poll_id = await evaluated_poll(hall)
    result = polls.stored_result(await polls.get_poll(poll_id))
    assert [c["verdict"] for c in result["candidates"]] == [
        "satisfied", "satisfied", "basically_satisfied", "dissatisfied"]
    content = await documents.satisfaction_pdf(poll_id)
    look(content, "satisfaction-report", resolution=50, keep_pdf=True)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    text = squeeze(pdf_text(content))
    assert "满意度测评结果报告" in text
    assert "满意票占全体代表过半数的为满意，满意与基本满意票合计占全体代表过半数的为基本满意，其余为不满意" in text
    assert "满意2个，基本满意1个，不满意1个" in text
    assert "门槛票数" in text and "门槛16票" in text  # 30 entitled: more than half is 16
    # P01: 24 满意 of 28 valid = 85.7 %; P03: 8 满意, 24 满意 + 基本满意
    assert "候选项目0124004085.7%85.7%满意" in text
    assert "候选项目03816004" in text and "28.6%85.7%基本满意" in text
    assert "候选项目04002404" in text and "0.0%0.0%不满意" in text
    positions = [text.index(f"候选项目{n:02d}") for n in range(1, 5)]
    assert positions == sorted(positions)


async def test_result_report_is_only_for_satisfaction_and_reached_from_the_poll_page(hall, client):
    approval = await hall.poll(candidates=3, seats=1)
    await sealed.close_poll(approval, STAFF)
    satisfaction = await evaluated_poll(hall)
    await login_staff(client)
    page = await client.get(f"/console/polls/{satisfaction}")
    assert f"/console/polls/{satisfaction}/satisfaction.pdf" in page.text
    assert "satisfaction.pdf" not in (await client.get(f"/console/polls/{approval}")).text
    response = await client.get(f"/console/polls/{satisfaction}/satisfaction.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "满意度测评结果报告" in squeeze(pdf_text(response.content))
    refused = await client.get(f"/console/polls/{approval}/satisfaction.html")
    assert refused.status_code == 409 and "只有满意度测评才有测评结果报告" in refused.text


async def test_the_paper_form_is_titled_as_an_evaluation_form_with_four_options(hall):
    poll_id = await hall.poll(candidates=6, method="satisfaction", open_=False)
    poll = await polls.get_poll(poll_id)
    session = await sittings.session_context(poll["session"])
    content = await ballots.ballots_pdf(poll, await polls.candidates_of(poll_id), session,
                                        [("0001-00001-8", qr_text(poll["ref"], "0001-00001-8"))])
    look(content, "satisfaction-form", resolution=50)
    text = squeeze(pdf_text(content))
    assert "满意度测评表" in text and "选票" not in text.replace("测评票", "")
    assert "测评项目满意基本满意不满意弃权" in text
    assert all(f"候选项目{n:02d}" in text for n in range(1, 7))
