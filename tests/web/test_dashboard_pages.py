"""The dashboard, the progress bulletin's links and the participation pages, through the app."""

import io
import re
from datetime import date

import openpyxl

from tests.hall import login_staff, make_hall
from tests.lifecycle.test_dashboard import ON, YEAR, add_department, add_project, project_round
from tests.lifecycle.test_projects import department_who
from tests.web.test_list_queries import counting
from tests.web.test_project_pages import login_as


async def projects_in(hall, n: int, start: int = 0, **columns) -> list[dict]:
    round_id = await project_round(hall.congress_id)
    return [await add_project(hall.congress_id, round_id, f"总览项目{i:02d}",
                              **{"progress": 10 * (i % 10), "spent_wan": 5 * i, "last_report_on": ON, **columns})
            for i in range(start, start + n)]


async def test_the_dashboard_draws_its_charts_as_svg_with_words_and_no_inline_style(client):
    hall = await make_hall(deputies=3)
    await projects_in(hall, 4)
    await projects_in(hall, 1, start=4, stage="evaluated", verdict="basically_satisfied", progress=100)
    await login_staff(client)
    page = await client.get(f"/console/dashboard?congress={hall.congress_id}&year={YEAR}")
    assert page.status_code == 200
    html = page.text
    assert html.count('<svg class="chart"') == 5
    for words in ("各阶段项目数", "进度状态（红黄绿灯）", "各类别预算与已支出", "项目进度分布", "满意度测评结果",
                  "绿灯", "红灯", "基本满意 1 个", "总览项目04"):
        assert words in html, words
    assert not re.search(r"\sstyle\s*=", html) and "<script>" not in html  # CSP: no inline styles or scripts
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "/console/dashboard/bulletin.pdf" in html and "bulletin.html" in html
    preview = await client.get(f"/console/dashboard/bulletin.html?congress={hall.congress_id}&year={YEAR}&number=3")
    assert preview.status_code == 200 and "第三期" in preview.text and "总览项目03" in preview.text


async def test_a_department_sees_only_its_own_projects_figures(client):
    hall = await make_hall(deputies=3)
    department, _ = await department_who(hall, "县民政局", "minzheng-dash")
    await projects_in(hall, 2, department=department, budget_wan=70)
    await projects_in(hall, 3, start=2, budget_wan=500)
    other = await make_hall(deputies=3)
    await projects_in(other, 2, start=5)
    await login_as(client, "minzheng-dash")
    page = await client.get(f"/console/dashboard?congress={other.congress_id}&year={YEAR}")
    assert page.status_code == 200
    assert "总览项目00" in page.text and "总览项目01" in page.text
    for title in ("总览项目02", "总览项目03", "总览项目05"):
        assert title not in page.text
    shown = re.sub(r'value="[^"]*"', "", page.text)  # not the random CSRF token, which may hold any digits
    assert "本部门承办的项目" in shown and "140" in shown and "500" not in shown
    bulletin = await client.get(f"/console/dashboard/bulletin.html?congress={other.congress_id}&year={YEAR}")
    assert "总览项目00" in bulletin.text and "总览项目02" not in bulletin.text and "本部门承办项目" in bulletin.text
    assert (await client.get(f"/console/terms/{hall.term_id}/participation")).status_code == 403


async def test_the_dashboard_costs_the_same_queries_for_three_projects_as_for_sixty(client, monkeypatch):
    hall = await make_hall(deputies=3)
    await projects_in(hall, 3)
    await login_staff(client)
    path = f"/console/dashboard?congress={hall.congress_id}&year={YEAR}"
    assert (await client.get(path)).status_code == 200  # warm
    seen = counting(monkeypatch)
    assert "总览项目02" in (await client.get(path)).text
    few = list(seen)
    monkeypatch.undo()
    await projects_in(hall, 57, start=3)
    water = await add_department(hall.congress_id, "县水务局")
    await projects_in(hall, 5, start=60, department=water, stage="accepted", verdict="satisfied")
    seen = counting(monkeypatch)
    page = await client.get(path)
    assert "总览项目49" in page.text and "总览项目50" not in page.text  # the first page of fifty
    assert len(seen) == len(few), (few, seen)
    assert len(seen) <= 12, seen
    seen.clear()
    assert "总览项目64" in (await client.get(path + "&page=2")).text and len(seen) == len(few)


async def test_the_participation_pages_and_the_yearly_export(client):
    hall = await make_hall(deputies=4)
    await login_staff(client)
    year = date.today().year
    overview = await client.get(f"/console/terms/{hall.term_id}/participation?year={year}")
    assert overview.status_code == 200 and "参加票决（次）" in overview.text
    deputy = hall.deputy_ids[0]
    assert f"/console/deputies/{deputy}/record?year={year}" in overview.text
    record = await client.get(f"/console/deputies/{deputy}/record?year={year}")
    assert record.status_code == 200 and "履职档案" in record.text and "不记录投票内容" in record.text
    sheet = await client.get(f"/console/terms/{hall.term_id}/participation.xlsx?year={year}")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[1][4:] == ("参加票决（次）", "提出项目建议（件）", "参加视察（次）", "参加验收（次）", "参加监督小组（个）",
                           "担任管护员（个）", "合计") and len(rows) == 2 + 4
    assert (await client.get("/console/deputies/99999999/record")).status_code == 404


async def test_a_year_whose_span_no_stored_time_can_bound_shows_this_year(client):
    """Found by tests/security/test_openapi_fuzz.py: year 1 began before UTC's year 1 and year 9999
    ended in year 10000 (a 500 on each participation page)."""
    hall = await make_hall(deputies=2)
    await login_staff(client)
    this_year = f"{date.today().year} 年"
    for year in (1, 9999):
        overview = await client.get(f"/console/terms/{hall.term_id}/participation?year={year}")
        assert overview.status_code == 200 and this_year in overview.text
        record = await client.get(f"/console/deputies/{hall.deputy_ids[0]}/record?year={year}")
        assert record.status_code == 200 and this_year in record.text
        sheet = await client.get(f"/console/terms/{hall.term_id}/participation.xlsx?year={year}")
        assert sheet.status_code == 200 and str(date.today().year) in sheet.headers["content-disposition"]
