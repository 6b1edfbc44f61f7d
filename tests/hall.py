"""Builds a sitting for a test: congress, term, session, deputies with login codes, polls."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from voting import accounts, polls, roster, sittings
from voting.audit import Actor
from voting.poll_settings import CandidateInput, PollSettings
from voting.roster_import import DeputyRow
from voting.tables import CheckIn, Deputy
from tests import sealed

_counter = itertools.count(1)
STAFF = Actor("staff", None, "秘书处 测试")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建华秀英志强丽娟国平海燕文军明霞永红玉兰德胜春梅"


@dataclass
class Hall:
    congress_id: int
    term_id: int
    session_id: int
    deputy_ids: list[int]
    codes: dict[int, str]
    links: dict[int, str]
    numbers: dict[int, str] = field(default_factory=dict)
    sitting_id: int = 0  # the session's first sitting (全体会议), open

    async def check_in(self, *deputy_ids: int) -> None:
        for deputy_id in deputy_ids or self.deputy_ids:
            await sittings.check_in(self.session_id, deputy_id, STAFF)

    async def reach_quorum(self, poll_id: int) -> None:
        """A poll opens only with its quorum present (voting.rules.quorum_refusal): check in, from
        the end of the roll, just enough deputies the test did not check in itself."""
        figures = await polls.quorum_figures(await polls.get_poll(poll_id))
        missing = figures["needed"] - figures["present"]
        if missing > 0 and figures["sitting"]:
            present = {r["deputy"] for r in await CheckIn.select(CheckIn.deputy).where(
                CheckIn.sitting == figures["sitting"])}
            for deputy_id in [d for d in reversed(self.deputy_ids) if d not in present][:missing]:
                await sittings.check_in(self.session_id, deputy_id, STAFF)

    async def poll(self, candidates: int = 5, seats: int = 3, method: str = "approval", open_: bool = True,
                   **rules) -> int:
        settings = PollSettings(
            title=rules.pop("title", f"测试票决 {next(_counter)}"), method=method,
            seats=seats if method == "approval" else None, max_approvals=rules.pop("max_approvals", None),
            non_competitive=rules.pop("non_competitive", False),
            threshold_base=rules.pop("threshold_base", "entitled"),
            threshold_fraction=rules.pop("threshold_fraction", "1/2"),
            threshold_strict=rules.pop("threshold_strict", True),
            quorum_fraction=rules.pop("quorum_fraction", "2/3"),
            show_running_totals=rules.pop("show_running_totals", False),
            candidates=tuple(CandidateInput(f"候选项目{n:02d}", f"第 {n} 个项目的简介", "青溪县", 100 * n)
                             for n in range(1, candidates + 1)),
        )
        poll_id = await polls.create_poll(self.session_id, settings, STAFF)
        if open_:
            await self.reach_quorum(poll_id)
            await sealed.open_poll(poll_id, STAFF)
        return poll_id


async def scrutinize(hall: "Hall", poll_id: int) -> None:
    """The session's scrutiny team (deputies 1 and 2) confirms the count and the result is published."""
    from voting import scrutiny

    chief, scrutineer = hall.deputy_ids[0], hall.deputy_ids[1]
    if not await scrutiny.members(hall.session_id):
        await scrutiny.set_members(hall.session_id, chief, [scrutineer], [hall.deputy_ids[2]], STAFF)
    for deputy in (chief, scrutineer):
        await scrutiny.confirm(poll_id, deputy, "paper", STAFF)
    await scrutiny.publish(poll_id, STAFF)


async def counting_team(hall: "Hall", counters: tuple[int, ...] = (2, 3)) -> list:
    """The session's scrutiny team: chief scrutineer deputy 0, scrutineer deputy 1, and counters
    (deputies 2 and 3 unless told): returns the counters as `paper.Counter`s, as the tablet makes them."""
    from voting import scrutiny
    from voting.paper import Counter

    ids = [hall.deputy_ids[n] for n in counters]
    await scrutiny.set_members(hall.session_id, hall.deputy_ids[0], [hall.deputy_ids[1]], ids, STAFF)
    return [Counter(deputy, f"计票人 {hall.numbers[deputy]}") for deputy in ids]


async def make_hall(deputies: int = 30, delegations: int = 3) -> Hall:
    n = next(_counter)
    congress_id = await sittings.create_congress(f"测试{n}县人民代表大会", "county", f"测试{n}县", STAFF)
    term_id = await sittings.create_term(congress_id, 19, STAFF)
    session_id = await sittings.create_session(term_id, 3, None, None, STAFF)
    sitting_id = await sittings.create_sitting(session_id, date.today(), "08:30", "12:00", STAFF)
    await sittings.move_sitting(sitting_id, "open", STAFF)
    rows = [
        DeputyRow(number=f"T{n}-{i:04d}", name=SURNAMES[i % 20] + GIVEN[(i * 7) % 24] + GIVEN[(i * 3) % 24],
                  gender="男" if i % 3 else "女", delegation=f"第{i % delegations + 1}代表团", affiliation=None,
                  phone=None)
        for i in range(1, deputies + 1)
    ]
    await roster.import_deputies(term_id, rows, STAFF, source="测试")
    found = await Deputy.select(Deputy.id, Deputy.number).where(Deputy.term == term_id).order_by(Deputy.number)
    ids = [d["id"] for d in found]
    issued = await accounts.issue_login_codes(ids, STAFF)
    return Hall(congress_id, term_id, session_id, ids, {k: v[0] for k, v in issued.items()},
                {k: v[1] for k, v in issued.items()}, {d["id"]: d["number"] for d in found}, sitting_id)


def csrf_of(client) -> str:
    return client.cookies.get("csrftoken", "")


async def csrf(client, path: str = "/tablet/login") -> str:
    """Load a page so the CSRF cookie is set, and return the token forms must carry."""
    await client.get(path)
    return csrf_of(client)


def ballot_page_fields(page) -> dict[str, str]:
    """What the tablet's script reads from the ballot page to seal the marks: the poll's key and
    ref, the padded length, and the login the cast form belongs to."""
    import html
    import re

    found = {name: re.search(rf'data-{name}="([^"]*)"', page.text) for name in ("public-key", "poll-ref", "padded-length")}
    login = re.search(r'name="login" value="([^"]*)"', page.text)
    assert all(found.values()) and login, page.text[-2000:]
    return {**{k: html.unescape(v.group(1)) for k, v in found.items()}, "login": login.group(1)}


def seal_for_page(page, marks: dict[str, str]) -> tuple[str, str]:
    """(sealed box, login tag) as the ballot page's script makes them for these marks."""
    from voting import secrecy

    fields = ballot_page_fields(page)
    cleaned = {ref: value for ref, value in marks.items() if value}
    candidates = page.text.count('class="card candidate"')
    assert secrecy.plaintext_length(candidates) == int(fields["padded-length"])  # the page pads as the server reads
    return secrecy.seal_marks(bytes.fromhex(fields["public-key"]), fields["poll-ref"], cleaned, candidates), fields["login"]


def signed_confirmation(page, deputy_id: int) -> dict[str, str]:
    """What the scrutiny page's script adds to the confirm form: the statement the page shows,
    signed with this deputy's tablet key (tests.sealed.signing_seed)."""
    import html
    import re

    found = re.search(r'name="statement" value="([^"]*)"', page.text)
    assert found, page.text[-2000:]
    return sealed.signed_form(html.unescape(found.group(1)), deputy_id)


async def cast_on_tablet(client, poll_id: int, marks: dict[str, str]):
    """As a deputy does it: open the ballot, mark, 核对选票, 确认投票 (the page seals the marks); the page it ends on."""
    page = await client.get(f"/tablet/polls/{poll_id}")
    if 'class="ballot ballot-step"' not in page.text:
        return page  # voted, closed: the page says why
    box, login = seal_for_page(page, marks)
    return await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                             data={"sealed": box, "login": login, "_csrf_token": csrf_of(client)})


async def login_deputy(client, code: str) -> None:
    token = await csrf(client)
    response = await client.post("/tablet/login", data={"code": code, "_csrf_token": token})
    assert response.status_code in (302, 303), response.text


async def login_staff(client, username: str = "staff", password: str = "correct-horse-9") -> None:
    from voting.tables import StaffAccount

    if not await StaffAccount.exists().where(StaffAccount.username == username):
        await accounts.create_staff(username, "测试员", password)
    token = await csrf(client, "/console/login")
    response = await client.post("/console/login", data={"username": username, "password": password,
                                                         "_csrf_token": token})
    assert response.status_code in (302, 303), response.text


async def key_ceremony_on_console(client, hall: "Hall", poll_id: int) -> list[str]:
    """The key ceremony as the secretariat holds it from the poll's page (a scrutiny team chosen
    first if the session has none): the cards' texts, as printed."""
    import html
    import re

    from voting import scrutiny

    if not await scrutiny.members(hall.session_id):
        await scrutiny.set_members(hall.session_id, hall.deputy_ids[0], [hall.deputy_ids[1]], [], STAFF)
    shown = await client.post(f"/console/polls/{poll_id}/key-ceremony", data={"_csrf_token": csrf_of(client)})
    assert shown.status_code == 200 and "钥匙卡只显示这一次" in shown.text, shown.text[-1500:]
    return [html.unescape(t) for t in re.findall(r'<p class="key-text mono">([^<]+)</p>', shown.text)]


async def api_cast(client, poll_id: int, marks: dict[str, str], **extra):
    """A tablet's cast through the JSON API: the poll's key fetched, the marks sealed, sent
    (with `extra` fields beside the sealed box)."""
    from voting.rehearsal import sealed_body

    sealing = (await client.get(f"/api/polls/{poll_id}/ballot")).json()
    return await client.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, marks, **extra),
                             headers={"content-type": "application/json"})
