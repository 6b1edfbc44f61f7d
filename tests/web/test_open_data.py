"""The open-data feed (web/open_data.py, docs/open-data.md) read back over HTTP and held against
the public pages: the same proposals and projects in the same stages with the same progress, the
published result with the seal the notice prints, and nothing private in any JSON or CSV."""

from __future__ import annotations

import csv
import html
import io
import re

from lifecycle import candidate_lists, projects, proposals
from lifecycle.tables import Proposal
from tests.hall import STAFF, login_staff, scrutinize
from tests.lifecycle.test_projects import chosen_project, department_who, plan
from tests.lifecycle.test_proposals import ALL_MET, DEPARTMENT, SECRETARIAT, idea, rules
from tests.web.test_public_project import PRIVATE, START, lived_project
from tests import sealed
from voting import notices
from web.open_data import DATASETS, safe_cell, shown_time

PLANTED = ("钱秀英", "13912345678", "qian@example.cn")  # a proposer's name, phone and mail
FORMULA = '=HYPERLINK("http://evil.example/","点此")'


async def year_of_proposals(hall) -> dict:
    """A congress's year as the pages show it: a project through its whole life (its proposer's
    name and phone planted), its vote counted, confirmed and published with a notice, more proposals
    with a proposer's details planted (one titled like a spreadsheet formula), one merged away, a
    satisfaction poll counted but not published, and a candidate list still in draft."""
    lived = await lived_project(hall)
    project_proposal = await Proposal.select(Proposal.round, Proposal.poll).where(
        Proposal.id == lived["proposal"]).first()
    poll_id, round_id = project_proposal["poll"], project_proposal["round"]
    await scrutinize(hall, poll_id)
    notice = await notices.issue_notice(poll_id, STAFF)
    made = []
    for n in range(6):
        title = FORMULA if n == 2 else f"开放数据建议{n:02d}"
        made.append(await proposals.submit(round_id, idea(
            title=title, village=f"开放村{n}", channel="liaison_station", proposer_name=PLANTED[0],
            contact=PLANTED[1] if n % 2 else PLANTED[2]), SECRETARIAT))
    await proposals.record_review(made[0]["id"], ALL_MET, {}, "", DEPARTMENT)
    await proposals.move(made[0]["id"], "shortlisted", DEPARTMENT)
    await proposals.merge(made[5]["id"], made[4]["id"], DEPARTMENT, "同一条村道")
    return {"project": lived, "poll": poll_id, "notice": notice, "made": made, "merged": made[5]["code"],
            "round": round_id, "year": (await proposals.get_round(round_id))["year"]}


async def feed(client, url: str) -> list[dict]:
    """Every record of a dataset, page by page through `next`."""
    records = []
    while url:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert len(body["items"]) <= body["per_page"] and body["total"] >= len(records)
        records += body["items"]
        url = body["next"]
    return records


async def html_pages(client, url: str) -> str:
    """A public list's pages, all of them, following 下一页."""
    text = ""
    while url:
        page = await client.get(url)
        assert page.status_code == 200
        text += page.text
        following = re.search(r'href="([^"]+)" rel="next"', page.text)
        url = html.unescape(following.group(1)) if following else ""
    return text


async def test_the_feed_holds_what_the_pages_show_and_nothing_private(hall, client):
    year = await year_of_proposals(hall)
    satisfaction = await hall.poll(candidates=2, method="satisfaction", title="满意度测评（未公布）")
    await sealed.close_poll(satisfaction, STAFF)  # counted, never confirmed or published
    bodies = []

    index = await client.get("/public/data")
    assert index.status_code == 200 and index.headers["access-control-allow-origin"] == "*"
    bodies.append(index.text)
    described = index.json()
    assert [d["name"] for d in described["datasets"]] == ["proposals", "candidate-lists", "results", "projects"]
    assert hall.congress_id in [c["id"] for c in described["congresses"]]
    assert described["schema_version"] and described["licence"]
    where = f"congress={hall.congress_id}&year={year['year']}"

    # proposals: the same codes in the same order as the public list, page after page, each in the
    # stage its page shows, with the history its page shows
    records = await feed(client, f"/public/data/proposals?{where}&per_page=3")
    listing = await html_pages(client, f"/public/proposals?{where}")
    shown = re.findall(r'<a class="proposal-title" href="/public/proposals/([^"]+)">([^<]*)</a>\s*'
                       r'<span class="stage stage-(\w+)">([^<]+)</span>', listing)
    assert [(r["code"], r["title"], r["stage"], r["stage_label"]) for r in records] == [
        (code, html.unescape(title), stage, label) for code, title, stage, label in shown]
    assert len(records) == 7  # two on the candidate list, six more, one of them merged away
    assert year["merged"] not in {r["code"] for r in records}
    for record in records:
        page = (await client.get(f"/public/proposals/{record['code']}")).text
        assert html.escape(record["description"], quote=False) in page
        assert all(html.escape(e["text"], quote=False) in page for e in record["history"])
        assert record["congress"]["id"] == hall.congress_id and record["year"] == year["year"]
        assert record["updated_at"] and record["url"].endswith(f"/public/proposals/{record['code']}")
    shortlisted = next(r for r in records if r["code"] == year["made"][0]["code"])
    assert shortlisted["stage_label"] == "初审入围" and shortlisted["history"][-1]["stage"] == "shortlisted"

    # projects: the list's codes, colours and progress; the page's stage, decision, reports, acceptance
    project_records = await feed(client, f"/public/data/projects?{where}")
    project_list = await html_pages(client, f"/public/projects?{where}")
    code = year["project"]["code"]
    assert [p["code"] for p in project_records] == re.findall(r'href="/public/projects/([^"/]+)"', project_list) == [code]
    project = project_records[0]
    assert f"完成 {project['progress']}%" in project_list and project["colour_word"] in project_list
    page = (await client.get(f"/public/projects/{code}")).text
    assert project["stage_label"] in page and f"总体完成 <b>{project['progress']}%</b>" in page
    assert project["plan"]["department"] == "县交通运输局" and len(project["plan"]["milestones"]) == 2
    assert [r["narrative"] for r in project["reports"]] == ["路基全部完成，路面开始铺设。", "路面全部完工，护栏已加装。"]
    assert project["decisions"][0]["document"] == "青人常〔2027〕9号" and project["decisions"][0]["document"] in page
    assert project["acceptances"][0]["result_label"] == "验收通过" and project["verdict"] == "满意"
    assert project["inspections"][0]["rectifications"][0]["status_label"] == "整改完成"
    assert [c["who"] for c in project["custodians"]][1] == "群众管护员"
    assert project["reports"][0]["filed_on"] == "2027-04-01" and "2027年4月1日" in page
    for photo in project["reports"][0]["photos"] + project["inspections"][0]["photos"]:
        assert (await client.get(photo["url"])).status_code == 200

    # results: the published vote only, with the seal its notice prints; candidate lists: the opened one
    results = await feed(client, f"/public/data/results?congress={hall.congress_id}")
    assert [r["id"] for r in results] == [year["poll"]]
    result = results[0]
    assert [c["proposal"] for c in result["candidates"] if c["outcome"] == "winner"] == [code]
    await login_staff(client)  # the presidium's notice, as the secretariat prints it
    notice = (await client.get(f"/console/notices/{year['notice']}/html")).text
    assert len(result["seal"]) == 64 and result["seal_short"] in notice
    lists = await feed(client, f"/public/data/candidate-lists?congress={hall.congress_id}")
    assert [entry["id"] for entry in lists] == [year["poll"]]
    ballot = next(entry for entry in lists if entry["id"] == year["poll"])
    assert [c["proposal"] for c in ballot["candidates"]][0] == code and ballot["seats"] == 1

    # nothing private, in any dataset, JSON or CSV
    for dataset in DATASETS:
        for suffix in ("", ".csv"):
            response = await client.get(f"/public/data/{dataset.name}{suffix}?congress={hall.congress_id}")
            assert response.status_code == 200, response.text
            bodies.append(response.content.decode("utf-8"))
    for text in bodies:
        for private in (*PLANTED, *PRIVATE):
            assert private not in text, private


async def test_the_csv_is_the_json_in_fixed_columns_and_formulas_stay_text(hall, client):
    year = await year_of_proposals(hall)
    where = f"congress={hall.congress_id}&year={year['year']}&per_page=5"
    for dataset in DATASETS:
        query = where if dataset.name in ("proposals", "projects") else f"congress={hall.congress_id}"
        data = (await client.get(f"/public/data/{dataset.name}?{query}")).json()
        response = await client.get(f"/public/data/{dataset.name}.csv?{query}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
        assert response.headers["x-total-count"] == str(data["total"])
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert tuple(rows[0].keys()) == dataset.columns
        lines = [line for record in data["items"] for line in dataset.lines(record)]
        assert [[row[c] for c in dataset.columns] for row in rows] == [
            [safe_cell(line.get(c)) for c in dataset.columns] for line in lines]
        if data["next"]:
            assert response.headers["link"] == f'<{data["next"].replace("/" + dataset.name, f"/{dataset.name}.csv")}>; rel="next"'
    proposals_csv = (await client.get(f"/public/data/proposals.csv?{where}&page=1")).content.decode("utf-8-sig")
    titles = [row["title"] for row in csv.DictReader(io.StringIO(proposals_csv))]
    assert "'" + FORMULA in titles and FORMULA not in titles
    projects_csv = (await client.get(f"/public/data/projects.csv?{where}")).content.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(projects_csv)))
    assert (row["code"], row["stage"], row["acceptance"], row["verdict"], row["plan_published"]) == (
        year["project"]["code"], "evaluated", "验收通过", "满意", "是")


async def test_a_bad_parameter_is_answered_with_problem_details(hall, client):
    await year_of_proposals(hall)
    for query, status, words in (
            ("page=0", 400, "页码"), ("page=abc", 400, "页码"), ("page=²", 400, "页码"),
            ("per_page=1000", 400, "1 到 100"), ("per_page=-1", 400, "每页条数"),
            ("year=19", 400, "四位年份"), ("year=二〇二六", 400, "四位年份"),
            ("congress=x", 400, "人大的编号"), ("congress=987654321", 404, "没有编号为 987654321 的人大"),
            ("yaer=2026", 400, "不支持参数 yaer"), (f"congress={hall.congress_id}&page=99", 404, "没有第 99 页")):
        for suffix in ("", ".csv"):
            response = await client.get(f"/public/data/proposals{suffix}?{query}")
            assert response.status_code == status, (query, response.text)
            assert response.headers["content-type"].startswith("application/problem+json"), query
            problem = response.json()
            assert problem["status"] == status and words in problem["detail"], (query, problem)
    missing = await client.get("/public/data/ballots")
    assert missing.status_code == 404 and missing.json()["detail"] == "没有找到您要的内容：请检查请求的地址。"


def test_shown_times_and_cells():
    assert shown_time("2027年3月5日") == "2027-03-05"
    assert shown_time("2027年12月31日 23:05") == "2027-12-31T23:05:00+08:00"
    assert shown_time("") is None and shown_time("已确定") is None
    assert [safe_cell(v) for v in ("=1+2", "+86 139", "-3", "@SUM(A1)", "\t=x", "普通", None, True, -3, 0)] == [
        "'=1+2", "'+86 139", "'-3", "'@SUM(A1)", "'\t=x", "普通", "", "是", "-3", "0"]


async def test_a_draft_candidate_list_is_not_data_but_its_proposals_are(hall, client):
    today = proposals.today()
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, "草稿名单的征集", today, today, None,
                                            SECRETARIAT)
    made = [await proposals.submit(round_id, idea(title=f"草稿名单上的建议{n}"), SECRETARIAT) for n in (1, 2)]
    for proposal in made:
        await proposals.record_review(proposal["id"], ALL_MET, {}, "", DEPARTMENT)
        await proposals.move(proposal["id"], "shortlisted", DEPARTMENT)
    await candidate_lists.add(hall.session_id, [p["id"] for p in made], SECRETARIAT)
    await candidate_lists.make_poll(hall.session_id, rules(1), SECRETARIAT)  # a draft: the list may still change
    assert await feed(client, f"/public/data/candidate-lists?congress={hall.congress_id}") == []
    listed = await feed(client, f"/public/data/proposals?congress={hall.congress_id}")
    assert [(r["code"], r["stage_label"]) for r in listed] == [(p["code"], "候选项目") for p in reversed(made)]


async def test_a_plan_not_yet_published_is_not_in_the_feed(hall, client):
    """The project's page shows no draft plan (test_public_project); neither does the feed, though
    the plan's department and budget are stored."""
    project = await chosen_project(hall)
    department, _ = await department_who(hall, "县水利局", "shuili-open-data")
    await projects.save_plan(project["id"], plan(department, START), SECRETARIAT)
    listed = await feed(client, f"/public/data/projects?congress={hall.congress_id}")
    assert [(p["id"], p["plan"], p["progress"]) for p in listed] == [(project["id"], None, None)]
    for suffix in ("", ".csv"):
        text = (await client.get(f"/public/data/projects{suffix}?congress={hall.congress_id}")).text
        assert "县水利局" not in text and "王局长" not in text and "县财政" not in text
