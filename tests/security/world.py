"""A sitting with something behind every route, and a logged-in browser for each role.

The security tests fill every route's path parameters from `World`: a hall with an open,
a draft, a counted (published, with a notice) and a counted satisfaction poll; a collection
round with a proposal carrying a photo; a project carried through its whole life
(tests/web/test_public_project.lived_project) by its department, with a supervision group,
an inspection photo, a progress-report photo and an acceptance; and a second department
that implements nothing of it.

Every browser gets a client address of its own: the login throttle counts failures per
address, and the matrix sends each role a few deliberately empty logins.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from lifecycle import projects, proposals, uploads
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from tests.hall import STAFF, Hall, csrf, csrf_of, make_hall
from tests.lifecycle.test_proposals import SECRETARIAT
from tests.web.test_public_project import lived_project, photo
from voting import accounts, ballot_box, notices, polls, scrutiny
from voting.tables import Notice
from tests import sealed

ROLES = ("anonymous", "deputy", "scrutineer", "counter", "group_lead", "department", "other_department", "screener",
         "secretariat", "admin")
DEPUTIES = ("deputy", "scrutineer", "counter", "group_lead")
STAFF_ROLES = ("department", "other_department", "screener", "secretariat", "admin")
PASSWORD = "attack-tests-9"
_addresses = itertools.count(1)


def fresh_address() -> str:
    """A client address no other browser in this run uses (TEST-NET-2, 198.51.100.0/24 and on)."""
    n = next(_addresses)
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


def browser(address: str | None = None) -> httpx.AsyncClient:
    from app import app

    transport = httpx.ASGITransport(app=app, client=(address or fresh_address(), 41000))
    return httpx.AsyncClient(transport=transport, base_url="http://hall.local")


@dataclass
class World:
    hall: Hall
    open_poll: int
    draft_poll: int
    closed_poll: int  # approval, counted, confirmed, published, with a notice
    satisfaction_poll: int  # counted
    notice: int
    round_id: int
    proposal_id: int
    proposal_code: str
    proposal_photo: str
    proposal_attachment: int
    project: dict
    department: int
    other_department: int
    rectification: int
    acceptance: int
    report_photo: str
    site_photo: str
    deputy: int
    scrutineer: int
    counter: int
    group_lead: int
    bystander: int  # a deputy no browser logs in as: the console may reissue their code
    usernames: dict[str, str] = field(default_factory=dict)

    def login_code(self, role: str) -> str:
        return self.hall.codes[getattr(self, role)]


async def build_world() -> World:
    """Everything the routes can point at, made with the real use cases."""
    hall = await make_hall(deputies=30)
    lived = await lived_project(hall)  # checks everyone in; deputies 0..2 form the supervision group
    deputy, scrutineer, bystander = hall.deputy_ids[10], hall.deputy_ids[6], hall.deputy_ids[20]
    await scrutiny.set_members(hall.session_id, hall.deputy_ids[5], [scrutineer], [hall.deputy_ids[7]], STAFF)
    closed_poll = await polls.polls_of_session(hall.session_id)
    closed_poll = next(p["id"] for p in closed_poll if p["status"] == "closed")
    for confirming in (hall.deputy_ids[5], scrutineer):
        await scrutiny.confirm(closed_poll, confirming, "paper", STAFF)
    await scrutiny.publish(closed_poll, STAFF)
    notice = await notices.issue_notice(closed_poll, STAFF)
    satisfaction = await hall.poll(candidates=2, method="satisfaction", title="满意度测评（安全测试）")
    for voter in hall.deputy_ids[21:26]:
        await sealed.cast(satisfaction, voter, {"P01": "satisfied", "P02": "dissatisfied"})
    await sealed.close_poll(satisfaction, STAFF)
    open_poll = await hall.poll(candidates=4, seats=2, title="正在投票（安全测试）")
    draft_poll = await hall.poll(candidates=3, seats=2, open_=False, title="草稿（安全测试）")

    today = proposals.today()
    round_id = await proposals.create_round(hall.congress_id, today.year + 1, f"安全测试征集 {hall.congress_id}",
                                            today - timedelta(days=3), today + timedelta(days=30), 5000, SECRETARIAT)
    picture = await uploads.store(photo((30, 60, 200)), "现场.png")
    made = await proposals.submit(round_id, ProposalInput(
        title="南山村饮水工程改造", description="水管老化，夏季经常停水。", township="城关镇", village="南山村",
        category="water", cost_wan=80, beneficiaries=1200, channel="liaison_station"), SECRETARIAT,
        attachments=(picture,))

    project = await projects.get_project(lived["id"])
    other_department = await projects.create_department(hall.congress_id, f"县水利局{hall.congress_id}", SECRETARIAT)
    from lifecycle import acceptance, supervision

    rect = (await supervision.rectifications(project["id"]))[0]["id"]
    accepted = (await acceptance.acceptances_of(project["id"]))[0]["id"]
    assert await Notice.exists().where(Notice.id == notice)

    world = World(hall=hall, open_poll=open_poll, draft_poll=draft_poll, closed_poll=closed_poll,
                  satisfaction_poll=satisfaction, notice=notice, round_id=round_id, proposal_id=made["id"],
                  proposal_code=made["code"], proposal_photo=picture.sha256, project=project,
                  proposal_attachment=(await proposals.attachments(made["id"]))[0]["id"],
                  department=project["department"], other_department=other_department, rectification=rect,
                  acceptance=accepted, report_photo=lived["report_photo"], site_photo=lived["site_photo"],
                  deputy=deputy, scrutineer=scrutineer, counter=hall.deputy_ids[7], group_lead=lived["deputies"][0], bystander=bystander)
    tag = secrets.token_hex(3)
    for role, staff_role, department in (("department", "department", world.department),
                                         ("other_department", "department", other_department),
                                         ("screener", "screener", None),
                                         ("secretariat", "secretariat", None), ("admin", "admin", None)):
        username = f"sec_{role}_{tag}"
        staff_id = await accounts.create_staff(username, f"安全测试 {role}", PASSWORD, role=staff_role)
        if department is not None:
            await projects.assign_staff(department, staff_id, Who(STAFF, "secretariat"))
        world.usernames[role] = username
    return world


async def log_in(client: httpx.AsyncClient, world: World, role: str) -> None:
    """Log the browser in as `role` through the login forms (anonymous: just pick up the CSRF cookie)."""
    if role in DEPUTIES:
        token = await csrf(client, "/tablet/login")
        response = await client.post("/tablet/login", data={"code": world.login_code(role), "_csrf_token": token})
    elif role in STAFF_ROLES:
        token = await csrf(client, "/console/login")
        response = await client.post("/console/login", data={"username": world.usernames[role], "password": PASSWORD,
                                                            "_csrf_token": token})
    else:
        await csrf(client, "/public")
        return
    assert response.status_code in (302, 303), (role, response.status_code, response.text[:500])
    assert csrf_of(client)


async def browser_as(world: World, role: str) -> httpx.AsyncClient:
    client = browser()
    await client.__aenter__()
    await log_in(client, world, role)
    return client
