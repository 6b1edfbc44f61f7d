"""The public page of a chosen project: its whole life from the proposal to upkeep, and nothing private."""

import io
import re
from datetime import date, timedelta

from PIL import Image

from lifecycle import acceptance, maintenance, projects, proposals, supervision, uploads
from lifecycle.proposals import Who
from lifecycle.tables import Inspection, MaintenanceEntry, Project, ProjectAttachment, Proposal
from tests.lifecycle.test_dashboard import add_project, project_round
from tests.lifecycle.test_projects import chosen_project, department_who, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT
from tests.web.test_list_queries import counting
from voting.audit import Actor

START = date(2027, 1, 1)
PRIVATE = ("王大伯", "13800001234", "镇长李四", "村民赵五", "村民张三", "承办部门 交通局 王工", "秘书处 测试",
           "监督小组 陈组长账号", "质监站 钱工账号")


def photo(colour=(90, 140, 60), size=(320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


async def lived_project(hall) -> dict:
    """A project carried through its whole life with the real use cases; only the satisfaction
    verdict (which takes a whole satisfaction poll) is written into the table directly."""
    project = await chosen_project(hall)
    await Proposal.update({Proposal.proposer_name: "王大伯", Proposal.contact: "13800001234"}).where(
        Proposal.id == project["proposal"])
    department, dept = await department_who(hall)
    await projects.save_plan(project["id"], plan(department, START), SECRETARIAT)
    await publish(project["id"], dept)
    stones = await projects.milestones(project["id"])
    road = await uploads.store(photo(), "路基施工.png")
    await projects.file_report(project["id"], "2027年第一季度", START + timedelta(days=90),
                               {stones[0]["id"]: 100, stones[1]["id"]: 10}, 50, "路基全部完成，路面开始铺设。", dept,
                               photos=(road,))
    await projects.record_decision(project["id"], "adjust", "县人大常委会", "第十二次主任会议", date(2027, 5, 10),
                                   "青人常〔2027〕9号", "因雨季顺延完工日期", {"ends_on": date(2027, 9, 30)},
                                   SECRETARIAT)
    deputies = hall.deputy_ids[:3]
    await supervision.set_group(project["id"], deputies[0], deputies[1:], SECRETARIAT)
    lead = Who(Actor("deputy", deputies[0], "监督小组 陈组长账号"), "deputy")
    on = proposals.today()
    site = await uploads.store(photo((150, 90, 40)), "弯道护栏缺失.png")
    inspection = await supervision.record_inspection(
        project["id"], on, deputies, "镇长李四、村民赵五", "路面平整，但弯道处缺少护栏。", True, None, lead,
        photos=(site,))
    rect = await supervision.raise_rectification(project["id"], inspection, "弯道处加装波形护栏", on + timedelta(days=20),
                                                 lead)
    await supervision.reply_rectification(rect, "已加装护栏 120 米。", dept)
    await supervision.close_rectification(rect, lead)
    await projects.file_report(project["id"], "2027年第二季度", START + timedelta(days=180),
                               {stones[0]["id"]: 100, stones[1]["id"]: 100}, 118, "路面全部完工，护栏已加装。", dept)
    await projects.move_project(project["id"], "completed", dept)
    quality = Who(Actor("staff", None, "质监站 钱工账号"), "secretariat")
    await acceptance.record_acceptance(
        project["id"], on, deputies[:2], "村民张三等 5 人",
        {"content": {"ok": True, "note": ""}, "scale": {"ok": True, "note": "3.1 公里"},
         "quality": {"ok": True, "note": ""}}, "符合设计要求。", "accepted", 24, quality,
        noted=True)  # the plan's dates lie ahead of today's acceptance: warned of, and noted
    await Project.update({Project.stage: "evaluated", Project.verdict: "satisfied"}).where(
        Project.id == project["id"])
    await maintenance.add_custodian(project["id"], "", deputies[0], "路长，每月巡查", on, SECRETARIAT)
    await maintenance.add_custodian(project["id"], "村民张三", None, "日常保洁", on, SECRETARIAT)
    await maintenance.log_maintenance(project["id"], on, "巡查发现排水沟落叶堵塞，已清理。", False, SECRETARIAT)
    row = await projects.get_project(project["id"])
    return {**row, "report_photo": road.sha256, "site_photo": site.sha256, "deputies": deputies}


async def test_the_public_page_tells_the_whole_life_and_nothing_private(hall, client, monkeypatch):
    project = await lived_project(hall)
    code = project["code"]
    page = await client.get(f"/public/projects/{code}")
    assert page.status_code == 200
    html = page.text
    positions = [html.index(marker) for marker in ("一、群众建议和代表票决", "二、实施方案", "三、实施进度",
                                                   "四、视察监督", "五、验收", "六、满意度测评", "七、运维管护")]
    assert positions == sorted(positions)
    for shown in ("候选民生项目01", "票决确定", "县交通运输局", "王局长", "120 万元", "路基", "2027年第一季度",
                  "路基全部完成，路面开始铺设。", "弯道处缺少护栏", "随机抽查", "弯道处加装波形护栏", "已加装护栏 120 米。",
                  "整改完成", "青人常〔2027〕9号", "第十二次主任会议", "调整", "验收通过", "3.1 公里", "质保期 24 个月",
                  "选民代表参加", "满意", "路长，每月巡查", "群众管护员", "日常保洁", "排水沟落叶堵塞"):
        assert shown in html, shown
    from voting.tables import Deputy

    names = [r["name"] for r in await Deputy.select(Deputy.name).where(Deputy.id.is_in(project["deputies"]))]
    assert all(name in html for name in names)  # deputies act in public office: named
    for private in PRIVATE:
        assert private not in html, private
    assert "确定管护人员：群众管护员（自" in html  # the stored history names the villager; the public one does not
    assert all(step in html for step in ('data-step="proposal"', 'data-step="vote"', 'data-step="plan"',
                                          'data-step="progress"', 'data-step="inspection"',
                                          'data-step="acceptance"', 'data-step="evaluation"',
                                          'data-step="maintenance"'))
    assert html.count("life-done") == 7 and 'life-current" data-step="maintenance"' in html  # upkeep goes on
    assert not re.search(r"\sstyle\s*=", html)

    for sha in (project["report_photo"], project["site_photo"]):
        assert f"/public/projects/{code}/files/{sha}" in html
        served = await client.get(f"/public/projects/{code}/files/{sha}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff" and "sandbox" in served.headers[
            "content-security-policy"]
    round_id = await project_round(hall.congress_id)
    stranger = await add_project(hall.congress_id, round_id, "另一个项目")
    assert (await client.get(f"/public/projects/{stranger['code']}/files/{project['site_photo']}")).status_code == 404
    assert (await client.get(f"/public/projects/{code}/files/{'0' * 64}")).status_code == 404
    assert (await client.get("/public/projects/ZZZZ-ZZZZ")).status_code == 404

    # the page asks the same questions however much the project holds
    seen = counting(monkeypatch)
    await client.get(f"/public/projects/{code}")
    before = len(seen)
    monkeypatch.undo()
    more = (await Inspection.insert(Inspection(project=project["id"], held_on=date(2027, 6, 1),
                                               deputies=project["deputies"], findings="复查", by="测试"))
            .returning(Inspection.id))[0]
    extra = await uploads.store(photo((10, 20, 30)), "复查.png")
    await ProjectAttachment.insert(ProjectAttachment(project=project["id"], kind="inspection", record=more["id"],
                                                     sha256=extra.sha256, media_type=extra.media_type,
                                                     size=extra.size, name=extra.name))
    await MaintenanceEntry.insert(MaintenanceEntry(project=project["id"], on=date(2027, 11, 1), note="二次巡查", by="x"))
    seen = counting(monkeypatch)
    assert "二次巡查" in (await client.get(f"/public/projects/{code}")).text
    assert len(seen) == before and before <= 16, seen
    monkeypatch.undo()

    item = await client.get(f"/public/proposals/{code}")
    assert f'href="/public/projects/{code}"' in item.text and "查看项目实施全过程" in item.text
    for private in PRIVATE:
        assert private not in item.text, private


async def test_a_project_whose_plan_is_not_published_shows_no_draft(hall, client):
    project = await chosen_project(hall)
    department, _ = await department_who(hall, "县水利局", "shuili-public")
    await projects.save_plan(project["id"], plan(department, START), SECRETARIAT)
    row = await projects.get_project(project['id'])
    html = (await client.get(f"/public/projects/{row['code']}")).text
    assert "实施方案正在编制" in html and "县水利局" not in html and "王局长" not in html
    # Nor does the public list of the year give the draft's department and budget away.
    listed = (await client.get(f"/public/projects?year={row['year']}&congress={hall.congress_id}")).text
    assert row["title"] in listed and "县水利局" not in listed and "预算 120 万元" not in listed
    await publish(project["id"])
    listed = (await client.get(f"/public/projects?year={row['year']}&congress={hall.congress_id}")).text
    assert "县水利局承办" in listed and "预算 120 万元" in listed  # published: now shown


async def test_the_public_list_by_year_shows_colours_and_costs_fixed_queries(hall, client, monkeypatch):
    round_id = await project_round(hall.congress_id, 2031)
    await add_project(hall.congress_id, round_id, "公示项目甲", year=2031, stage="suspended")
    await add_project(hall.congress_id, round_id, "公示项目乙", year=2031)
    path = f"/public/projects?year=2031&congress={hall.congress_id}"
    page = await client.get(path)
    assert page.status_code == 200 and "公示项目甲" in page.text and "灰" in page.text and "绿灯" in page.text
    seen = counting(monkeypatch)
    await client.get(path)
    few = len(seen)
    monkeypatch.undo()
    for n in range(60):
        await add_project(hall.congress_id, round_id, f"公示批量项目{n:02d}", year=2031)
    seen = counting(monkeypatch)
    listing = await client.get(path)
    assert "公示批量项目47" in listing.text and "公示批量项目48" not in listing.text and "下一页" in listing.text
    assert len(seen) == few and few <= 8, seen
