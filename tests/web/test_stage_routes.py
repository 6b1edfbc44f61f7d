"""The stage policy through the console's own forms, filled in as a department would try them:
what the table in tests/lifecycle/test_stage_policy.py refuses, the route refuses, with the reason
on the page, and nothing moves. Each refusal has its allowed twin, so the test sees a route that
refuses everything as wrong too."""

from datetime import date

from lifecycle import candidate_lists, projects
from lifecycle.tables import Proposal
from tests.hall import csrf_of, login_staff
from tests.lifecycle.test_projects import chosen_project, department_who, plan
from tests.lifecycle.test_proposals import SECRETARIAT, open_round, shortlisted
from tests.web.test_project_pages import login_as
from tests.web.test_proposal_console import login_department


async def stage_of(proposal_id: int) -> str:
    return (await Proposal.select(Proposal.stage).where(Proposal.id == proposal_id).first())["stage"]


async def test_a_department_cannot_put_a_candidate_back_on_the_shortlist_but_the_secretariat_can(hall, client):
    ids = await shortlisted(await open_round(hall), 2)
    await candidate_lists.add(hall.session_id, ids, SECRETARIAT)
    await login_department(client)
    moved = await client.post(f"/console/proposals/{ids[0]}/move", data={
        "_csrf_token": csrf_of(client), "target": "shortlisted", "reason": "再议"})
    assert moved.status_code in (403, 409) and "不能移出候选项目" in moved.text
    removed = await client.post(f"/console/sessions/{hall.session_id}/candidates/{ids[0]}/remove",
                                data={"_csrf_token": csrf_of(client), "reason": "再议"})
    assert removed.status_code == 403
    assert await stage_of(ids[0]) == "candidate"
    assert [c["id"] for c in await candidate_lists.candidates(hall.session_id)] == ids

    client.cookies.clear()
    await login_staff(client)
    allowed = await client.post(f"/console/sessions/{hall.session_id}/candidates/{ids[0]}/remove",
                                data={"_csrf_token": csrf_of(client), "reason": "项目已由上级资金安排"})
    assert allowed.status_code in (302, 303)
    assert await stage_of(ids[0]) == "shortlisted"


async def test_a_department_cannot_withdraw_its_own_project_only_a_recorded_decision_does(hall, client):
    project = await chosen_project(hall)
    department, _ = await department_who(hall)
    await projects.save_plan(project["id"], plan(department, date(2027, 3, 1)), SECRETARIAT)
    await login_as(client, "jiaotong")
    base = f"/console/projects/{project['id']}"
    withdrawn = await client.post(f"{base}/move", data={"_csrf_token": csrf_of(client), "target": "terminated",
                                                        "reason": "资金不足，不再实施"})
    assert withdrawn.status_code in (403, 409) and "不能终止项目" in withdrawn.text
    decided = await client.post(f"{base}/decisions", data={
        "_csrf_token": csrf_of(client), "kind": "terminate", "meeting": "常委会第十次会议", "decided_on": "2027-02-01",
        "document": "常发〔2027〕1号", "summary": "终止"})
    assert decided.status_code == 403
    assert (await projects.get_project(project["id"]))["stage"] == "planning"


async def test_a_department_cannot_submit_another_departments_plan_nor_publish_its_own(hall, client):
    project = await chosen_project(hall)
    owner, _ = await department_who(hall)
    await department_who(hall, "县水利局", "shuili")
    await projects.save_plan(project["id"], plan(owner, date(2027, 3, 1)), SECRETARIAT)
    await login_as(client, "shuili")
    base = f"/console/projects/{project['id']}"
    for path, data in ((f"{base}/plan/submit", {}), (f"{base}/move", {"target": "implementing"})):
        refused = await client.post(path, data={"_csrf_token": csrf_of(client), **data})
        assert refused.status_code == 403 and "不由您的部门承办" in refused.text
    assert (await projects.get_project(project["id"]))["plan_submitted_at"] is None

    client.cookies.clear()
    await login_as(client, "jiaotong")
    submitted = await client.post(f"{base}/plan/submit", data={"_csrf_token": csrf_of(client)})
    assert submitted.status_code in (302, 303)
    own = await client.post(f"{base}/move", data={"_csrf_token": csrf_of(client), "target": "implementing"})
    assert own.status_code == 409 and "承办部门不能公布实施方案" in own.text
    returned = await client.post(f"{base}/plan/return", data={"_csrf_token": csrf_of(client), "reason": "自己退回自己"})
    assert returned.status_code == 403
    assert (await projects.get_project(project["id"]))["stage"] == "planning"

    client.cookies.clear()
    await login_staff(client)
    published = await client.post(f"{base}/move", data={"_csrf_token": csrf_of(client), "target": "implementing"})
    assert published.status_code in (302, 303)
    assert (await projects.get_project(project["id"]))["stage"] == "implementing"
