"""The progress bulletin (民生实事项目进度通报), read back from a real PDF."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lifecycle.dashboard import Scope
from lifecycle.tables import ProgressReport, Rectification
from reports import bulletin
from tests.hall import make_hall
from tests.lifecycle.test_dashboard import YEAR, add_department, add_project, project_round
from tests.reports.pages import look
from tests.reports.test_tally_notice import pdf_text, squeeze
from voting.errors import Refused
from voting.tables import Congress

ON = date(2027, 7, 2)
PROJECTS = (  # title, department, category, budget, spent, progress, stage, verdict
    ("城关镇东岭村至溪口村道路硬化", "县交通运输局", "transport", 320, 150, 52, "implementing", None),
    ("白沙镇中心幼儿园扩班", "县教育局", "education", 180, 120, 65, "implementing", None),
    ("岭头镇饮水管网改造", "县水利局", "water", 460, 80, 20, "implementing", None),
    ("石门乡卫生院发热门诊改造", "县卫生健康局", "health", 150, 150, 100, "accepted", None),
    ("桃源乡居家养老服务中心", "县民政局", "elderly_childcare", 90, 90, 100, "evaluated", "satisfied"),
    ("龙潭镇农贸市场提升", "县市场监管局", "other", 260, 60, 38, "implementing", None),
    ("枫林乡健身步道", "县文化广电旅游体育局", "culture_sport", 70, 10, 15, "suspended", None),
    ("溪口镇垃圾中转站", "县住房和城乡建设局", "environment", 210, 30, 0, "planning", None),
)


async def bulletin_congress():
    hall = await make_hall(deputies=3)
    await Congress.update({Congress.name: "青溪县人民代表大会"}).where(Congress.id == hall.congress_id)
    round_id = await project_round(hall.congress_id)
    departments = {}
    made = []
    for title, department, category, budget, spent, progress, stage, verdict in PROJECTS:
        if department not in departments:
            departments[department] = await add_department(hall.congress_id, department)
        row = await add_project(hall.congress_id, round_id, title, department=departments[department],
                                category=category, budget_wan=budget, spent_wan=spent, progress=progress, stage=stage,
                                verdict=verdict, last_report_on=date(2027, 6, 30) if stage != "planning" else None)
        made.append(row)
        if stage != "planning":
            for period, filed in (("2027年第一季度", date(2027, 3, 31)), ("2027年第二季度", date(2027, 6, 30))):
                await ProgressReport.insert(ProgressReport(project=row["id"], period=period, filed_on=filed,
                                                           progress=progress, spent_wan=spent,
                                                           narrative="按计划推进。", by="测试"))
    await Rectification.insert(Rectification(project=made[0]["id"], source="inspection", request="路肩未压实",
                                             due_on=date(2027, 6, 20), raised_by="测试"),
                               Rectification(project=made[0]["id"], source="inspection", request="排水沟堵塞",
                                             due_on=date(2027, 7, 30), raised_by="测试"))
    return hall


async def test_the_bulletin_gives_the_figures_the_charts_and_a_row_per_project():
    hall = await bulletin_congress()
    content = await bulletin.bulletin(Scope(YEAR, hall.congress_id), pdf=True, number=2, on=ON)
    look(content, "progress-bulletin", resolution=50, keep_pdf=True)
    reader = PdfReader(io.BytesIO(content))
    assert 1 <= len(reader.pages) <= 3
    text = squeeze(pdf_text(content))
    assert "民生实事项目进度通报" in text and "第二期" in text and "二〇二七年七月二日" in text
    assert "青溪县人民代表大会常务委员会办公室" in text and "青溪县人民代表大会2027年民生实事项目实施进度" in text
    assert "共有民生实事项目8个" in text and "绿灯" in text
    assert "计划投资1740万元，已支出690万元（40%）" in text
    assert "尚未完成整改的问题2个" in text
    # a row per project: department, progress, colour word, spent / budget, latest report, open rectifications
    assert "城关镇东岭村至溪口村道路硬化县交通运输局实施中52%红灯150/3202027年第二季度2" in text
    assert "岭头镇饮水管网改造县水利局实施中20%红灯80/4602027年第二季度" in text
    assert "枫林乡健身步道县文化广电旅游体育局暂停15%灰10/702027年第二季度" in text
    assert "溪口镇垃圾中转站县住房和城乡建设局编制实施方案0%绿灯30/210尚未报告" in text
    for chart in ("进度状态（红黄绿灯）", "各阶段项目数", "项目进度分布", "满意度测评结果", "各类别预算与已支出"):
        assert chart in text, chart
    fonts = {str(font) for page in reader.pages for font in
             (page["/Resources"].get("/Font") or {}).values()}
    assert fonts  # fonts are embedded (subset), not left to the reader's machine


async def test_a_bulletin_needs_one_congress():
    with pytest.raises(Refused, match="请先选择人大"):
        await bulletin.bulletin(Scope(YEAR), pdf=False)
