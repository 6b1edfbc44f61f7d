"""Completion and acceptance mean something (issue 16, item 1), on the real database.

The walkthrough that found these accepted a project at 0 % and issued its certificate. Now:

- a plan is published only with milestone weights that add up to 100;
- completion is reported only with every milestone at 100 %, or with a reason, which the public
  history shows beside what is unfinished;
- acceptance warns when there was no progress report, nothing was spent, or the acceptance is
  dated before the plan's start, and records only once the clerk notes it;
- a completion sent back shows its reason on the department's own project page.

Each refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from lifecycle import acceptance, projects, proposals
from lifecycle.projects import MilestoneInput
from tests.hall import csrf_of, login_staff
from tests.lifecycle.test_acceptance import ALL_OK, a_department, finish_works
from tests.lifecycle.test_projects import chosen_project, plan, publish
from tests.lifecycle.test_proposals import SECRETARIAT
from voting.errors import Conflict, Refused
from voting.tables import AuditEntry


async def published(hall) -> tuple[dict, int]:
    project = await chosen_project(hall)
    department, _ = await a_department(hall)
    start = proposals.today() - timedelta(days=240)
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)
    await publish(project["id"], SECRETARIAT)
    return await projects.get_project(project["id"]), department


async def test_a_plan_is_published_only_when_its_milestone_weights_add_up_to_100(hall):
    project = await chosen_project(hall)
    department, _ = await a_department(hall)
    start = proposals.today()
    short = replace(plan(department, start), milestones=(MilestoneInput("路基", 40, start + timedelta(days=60)),
                                                          MilestoneInput("路面", 50, start + timedelta(days=180))))
    await projects.save_plan(project["id"], short, SECRETARIAT)  # a draft may be saved as it is
    with pytest.raises(Conflict, match="权重合计为 100"):
        await projects.move_project(project["id"], "implementing", SECRETARIAT)
    assert (await projects.get_project(project["id"]))["stage"] == "planning"
    await projects.save_plan(project["id"], plan(department, start), SECRETARIAT)  # 40 + 60
    await publish(project["id"], SECRETARIAT)
    assert (await projects.get_project(project["id"]))["stage"] == "implementing"


async def test_completion_needs_every_milestone_at_100_or_a_reason_the_public_history_shows(hall):
    project, _ = await published(hall)
    stones = await projects.milestones(project["id"])
    await projects.file_report(project["id"], "三季度", proposals.today(), {stones[0]["id"]: 100, stones[1]["id"]: 60},
                               70, "路基完成，路面铺设过半。", SECRETARIAT)
    with pytest.raises(Conflict) as refused:
        await projects.move_project(project["id"], "completed", SECRETARIAT)
    assert "路面（60%）" in refused.value.message and "路基" not in refused.value.message
    assert refused.value.code == "milestones_unfinished"
    with pytest.raises(Conflict):
        await projects.move_project(project["id"], "completed", SECRETARIAT, "   ")  # spaces are no reason
    assert (await projects.get_project(project["id"]))["stage"] == "implementing"

    await projects.move_project(project["id"], "completed", SECRETARIAT, "路面余下部分冬季停工，先行交付使用")
    assert (await projects.get_project(project["id"]))["stage"] == "completed"
    texts = [e["text"] for e in await proposals.history(project["proposal"])]
    assert any("尚未完成：路面（60%）" in t and "先行交付使用" in t for t in texts), texts


async def test_completion_with_every_milestone_done_needs_no_reason(hall):
    project, _ = await published(hall)
    await finish_works(project["id"], proposals.today())
    await projects.move_project(project["id"], "completed", SECRETARIAT)
    assert (await projects.get_project(project["id"]))["stage"] == "completed"


async def record(project: dict, hall, held_on, noted: bool = False) -> int:
    return await acceptance.record_acceptance(project["id"], held_on, hall.deputy_ids[:2], "", ALL_OK, "",
                                              "accepted", 24, SECRETARIAT, noted=noted)


async def test_acceptance_warns_of_no_report_and_a_date_before_the_start(hall):
    project, _ = await published(hall)
    await projects.move_project(project["id"], "completed", SECRETARIAT, "承办部门未报送进度，按现场情况报告完工")
    with pytest.raises(Refused) as warned:
        await record(project, hall, project["starts_on"] - timedelta(days=3))
    assert warned.value.code == "acceptance_warnings"
    assert "没有报送过任何进度报告" in warned.value.message and "早于实施方案的开工日期" in warned.value.message
    assert (await projects.get_project(project["id"]))["stage"] == "completed"  # nothing recorded
    assert not await acceptance.acceptances_of(project["id"])


async def test_acceptance_of_a_project_that_spent_nothing_is_recorded_once_the_clerk_notes_it(hall):
    project, _ = await published(hall)
    await finish_works(project["id"], proposals.today(), spent_wan=0)
    await projects.move_project(project["id"], "completed", SECRETARIAT)
    with pytest.raises(Refused, match="已支出资金为 0"):
        await record(project, hall, proposals.today())
    record_id = await record(project, hall, proposals.today(), noted=True)
    assert (await projects.get_project(project["id"]))["stage"] == "accepted"
    entry = await AuditEntry.select().where(AuditEntry.action == "acceptance_recorded").order_by(
        AuditEntry.id, ascending=False).first().output(load_json=True)
    detail = entry["detail"]
    assert detail["acceptance"] == record_id and any("已支出资金为 0" in w for w in detail["warnings_noted"])


def test_the_warnings_are_a_pure_reading_of_the_project():
    start = proposals.today()
    project = {"starts_on": start}
    assert acceptance.warnings(project, [{"spent_wan": 10}], start) == []
    assert len(acceptance.warnings(project, [], start - timedelta(days=1))) == 2
    assert acceptance.warnings(project, [{"spent_wan": 5}, {"spent_wan": 0}], None) == [
        "最近一次进度报告的已支出资金为 0：项目似乎没有花钱。"]


async def test_a_completion_sent_back_shows_its_reason_on_the_department_s_page(hall, client: httpx.AsyncClient):
    project, _ = await published(hall)
    await finish_works(project["id"], proposals.today())
    await projects.move_project(project["id"], "completed", SECRETARIAT)
    await projects.move_project(project["id"], "implementing", SECRETARIAT, "排水沟未按方案砌筑，请整改后再报完工")
    await login_staff(client)
    page = await client.get(f"/console/projects/{project['id']}")
    assert page.status_code == 200
    history = page.text[page.text.index('id="history"'):]
    assert "排水沟未按方案砌筑" in history and "实施中" in history


async def test_the_console_asks_for_a_reason_only_while_milestones_are_unfinished(hall, client: httpx.AsyncClient):
    project, _ = await published(hall)
    await login_staff(client)
    page = await client.get(f"/console/projects/{project['id']}")
    assert 'id="unfinished"' in page.text and "路基（0%）" in page.text and "提前报告完工的理由" in page.text
    refused = await client.post(f"/console/projects/{project['id']}/move",
                                data={"_csrf_token": csrf_of(client), "target": "completed"})
    assert refused.status_code == 409 and "还有里程碑没有完成" in refused.text
    await finish_works(project["id"], proposals.today())
    page = await client.get(f"/console/projects/{project['id']}")
    assert 'id="unfinished"' not in page.text


async def test_the_acceptance_form_shows_the_warnings_and_takes_the_clerk_s_note(hall, client: httpx.AsyncClient):
    project, _ = await published(hall)
    await projects.move_project(project["id"], "completed", SECRETARIAT, "承办部门未报送进度，按现场情况报告完工")
    await login_staff(client)
    url = f"/console/projects/{project['id']}/acceptance"
    page = await client.get(url)
    assert 'id="acceptance-warnings"' in page.text and "没有报送过任何进度报告" in page.text
    assert 'name="noted"' in page.text
    form = {"_csrf_token": csrf_of(client), "held_on": proposals.today().isoformat(), "deputy": [str(d) for d in
            hall.deputy_ids[:2]], "representatives": "", "findings": "", "result": "accepted",
            "warranty_months": "24", "rectify_by": "", **{f"c_{key}": "1" for key in acceptance.CHECKLIST}}
    refused = await client.post(url, data=form)
    assert refused.status_code == 400 and "已知晓以上情况" in refused.text
    assert (await projects.get_project(project["id"]))["stage"] == "completed"
    taken = await client.post(url, data={**form, "noted": "1"})
    assert taken.status_code in (302, 303) and (await projects.get_project(project["id"]))["stage"] == "accepted"
