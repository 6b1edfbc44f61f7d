"""The acceptance certificate (民生实事项目验收意见书), read back from a real PDF."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from lifecycle import acceptance, projects, proposals
from lifecycle.tables import Project
from reports import acceptance as certificate
from reports.wording import chinese_date
from tests.lifecycle.test_acceptance import ALL_OK, a_department, completed_project, finish_works
from tests.lifecycle.test_projects import chosen_project, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT
from tests.reports.pages import look
from tests.reports.test_tally_notice import pdf_text, squeeze
from voting.tables import Deputy


async def test_the_certificate_shows_plan_people_checklist_result_warranty_and_signature_lines(hall):
    project = await chosen_project(hall)
    department, _ = await a_department(hall)
    start = proposals.today() - timedelta(days=240)
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"], SECRETARIAT)
    await finish_works(project["id"], start + timedelta(days=200))
    await projects.move_project(project["id"], "completed", SECRETARIAT)
    await Project.update({Project.title: "东岭村至西岭村道路硬化工程", Project.year: start.year}).where(
        Project.id == project["id"])
    held_on = proposals.today() - timedelta(days=2)
    present = hall.deputy_ids[:4]
    record_id = await acceptance.record_acceptance(
        project["id"], held_on, present, "东岭村村民代表 王大伯、西岭村村民代表 李秀英",
        {**ALL_OK, "quality": {"ok": True, "note": "抽检路面厚度 20 厘米，符合设计"}},
        "路基、路面按实施方案完成，排水边沟通畅。", "accepted", 24, SECRETARIAT)
    content = await certificate.certificate_pdf(record_id)
    look(content, "acceptance-certificate", resolution=50, keep_pdf=True)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    text = squeeze(pdf_text(content))
    assert "民生实事项目验收意见书" in text and f"{start.year}年度民生实事项目" in text
    assert "东岭村至西岭村道路硬化工程" in text and "县交通运输局（责任人王局长）" in text
    assert "120万元；资金来源：县财政80万元，上级补助40万元" in text
    assert f"{chinese_date(start)}至{chinese_date(start + timedelta(days=200))}" in text and "硬化村道3公里" in text
    assert f"验收日期{chinese_date(held_on)}" in text
    names = [d["name"] for d in await Deputy.select(Deputy.name).where(Deputy.id.is_in(present)).order_by(
        Deputy.number)]
    assert "、".join(names) + "（4名）" in text
    assert "东岭村村民代表王大伯、西岭村村民代表李秀英" in text
    assert "建设内容符合—" in text and "建设规模符合—" in text and "工程质量符合抽检路面厚度20厘米，符合设计" in text
    assert "路基、路面按实施方案完成，排水边沟通畅。" in text
    until = chinese_date(acceptance.add_months(held_on, 24))
    assert "五、验收结论验收合格" in text and f"质保期24个月，自验收之日起至{until}止" in text
    for role in ("验收组组长：", "人大代表：", "群众代表：", "承办部门（盖章）："):
        assert role in text
    html = await certificate.certificate_html(record_id)
    assert "<script" not in html and "东岭村至西岭村道路硬化工程" in html


async def test_a_failed_acceptance_prints_its_rectification_requests(hall):
    project, _, _ = await completed_project(hall)
    today = proposals.today()
    due = today + timedelta(days=45)
    record_id = await acceptance.record_acceptance(
        project["id"], today, hall.deputy_ids[:2], "", {**ALL_OK, "quality": {"ok": False, "note": "路面多处开裂"}},
        "工程质量不符合要求。", "not_accepted", 0, SECRETARIAT, rectify_by=due)
    text = squeeze(pdf_text(await certificate.certificate_pdf(record_id)))
    assert "验收不合格" in text and "工程质量不符合路面多处开裂" in text
    assert "项目退回承办部门继续实施" in text and "质保期" not in text
    assert f"整改要求（限{due.isoformat()}前完成）" in text and "验收发现工程质量不符合：路面多处开裂" in text
