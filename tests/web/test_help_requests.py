"""请求协助: a deputy asks for help from the tablet, the secretariat sees who and where on the
console (the poll page while it is open, the menu, the help page), and clears it once someone went
over. Nothing of a ballot travels or is kept."""

from __future__ import annotations

import httpx

from tests.hall import STAFF, csrf_of, login_deputy, login_staff
from voting import help_requests
from voting.tables import AuditEntry, HelpRequest

FETCHED = {"X-Requested-With": "piaojue"}


async def tablet_of(hall, deputy: int) -> httpx.AsyncClient:
    from app import app

    tablet = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.9", 50100 + deputy)),
                               base_url="http://hall.local")
    await login_deputy(tablet, hall.codes[deputy])
    return tablet


async def handle_all_waiting() -> None:
    """Earlier tests (the schema fuzzer among them) may have left requests waiting: someone went."""
    for waiting in await help_requests.waiting():
        await help_requests.handle(waiting["id"], STAFF)


async def test_a_deputy_asks_once_and_the_console_shows_who_and_where_until_someone_went(hall, client):
    await handle_all_waiting()
    poll_id = await hall.poll(candidates=3, seats=1)
    deputy = hall.deputy_ids[-1]
    tablet = await tablet_of(hall, deputy)
    try:
        asked = await tablet.post("/tablet/help", data={"_csrf_token": csrf_of(tablet), "place": "ballot"},
                                  headers=FETCHED)
        assert asked.status_code == 200 and asked.text == help_requests.ASKED and "仍保留在本页" in asked.text
        again = await tablet.post("/tablet/help", data={"_csrf_token": csrf_of(tablet), "place": "review"},
                                  headers=FETCHED)
        assert again.text == help_requests.ALREADY  # one request while one waits
        assert await HelpRequest.count().where(HelpRequest.deputy == deputy) == 1
        # A request carries the page's kind and nothing else; the row keeps no more than that.
        names = {column._meta.db_column_name for column in HelpRequest._meta.columns}
        assert names == {"id", "deputy", "place", "asked_at", "handled_at", "handled_by"}
    finally:
        await tablet.aclose()

    await login_staff(client)
    name, number = (await HelpRequest.select(HelpRequest.deputy.name, HelpRequest.deputy.number).where(
        HelpRequest.deputy == deputy).first()).values()
    page = await client.get(f"/console/polls/{poll_id}")
    assert "代表请求协助（1 人）" in page.text and f"<b>{name}</b> 代表（代表证号 {number}" in page.text
    assert "在选票页面" in page.text and 'hx-get="/console/help/waiting"' in page.text
    assert "代表请求协助<span class=\"nav-count\" aria-label=\"1 人等待\">1</span>" in (await client.get("/console")).text
    live = await client.get("/console/help/waiting", headers={"hx-current-url": f"http://hall.local/console/polls/{poll_id}"})
    assert f"<b>{name}</b>" in live.text and "<html" not in live.text
    assert f'name="next" value="/console/polls/{poll_id}"' in live.text  # 已到场协助 comes back to the poll page
    foreign = await client.get("/console/help/waiting", headers={"hx-current-url": "https://evil.example/console/x"})
    assert 'name="next" value="/console/x"' in foreign.text  # only the path is taken: never another site

    waiting = await help_requests.waiting()
    handled = await client.post(f"/console/help/{waiting[0]['id']}/handled",
                                data={"_csrf_token": csrf_of(client), "next": f"/console/polls/{poll_id}"})
    assert handled.status_code in (302, 303) and handled.headers["location"].endswith(f"/console/polls/{poll_id}#help")
    assert await help_requests.waiting() == []
    page = await client.get(f"/console/polls/{poll_id}")
    assert "代表请求协助（" not in page.text and "nav-help" not in page.text
    twice = await client.post(f"/console/help/{waiting[0]['id']}/handled", data={"_csrf_token": csrf_of(client)})
    assert twice.status_code == 409 and "已经处理过了" in twice.text
    actions = [e["action"] for e in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.subject == f"代表 {number} {name}").order_by(AuditEntry.id)]
    assert actions[-2:] == ["help_requested", "help_given"]

    # Once handled, the deputy may ask again.
    tablet = await tablet_of(hall, deputy)
    try:
        assert (await tablet.post("/tablet/help", data={"_csrf_token": csrf_of(tablet), "place": "x<script>"},
                                  headers=FETCHED)).text == help_requests.ASKED
    finally:
        await tablet.aclose()
    assert (await help_requests.waiting())[0]["place"] == "other"  # an unknown page is 其他页面


async def test_without_script_the_form_comes_back_to_the_page_with_the_answer(hall):
    deputy = hall.deputy_ids[0]
    tablet = await tablet_of(hall, deputy)
    try:
        sent = await tablet.post("/tablet/help", data={"_csrf_token": csrf_of(tablet), "next": "/tablet/"})
        assert sent.status_code in (302, 303) and sent.headers["location"] == "/tablet/?help=1"
        shown = await tablet.get(sent.headers["location"])
        assert "已通知会场工作人员" in shown.text and 'class="notice notice-ok help-status"' in shown.text
        away = await tablet.post("/tablet/help", data={"_csrf_token": csrf_of(tablet), "next": "https://evil.example/"})
        assert away.headers["location"] == "/tablet?help=1"  # never another site
    finally:
        await tablet.aclose()


async def test_no_time_pressure_the_ballot_never_reloads_and_a_login_outlasts_a_long_sitting(hall, monkeypatch):
    """Reading slowly loses nothing: the ballot page refreshes nothing by itself (its marks live
    only in the page), and a deputy's login is still good after a whole day's sitting of idling."""
    from datetime import timedelta

    from voting import accounts

    poll_id = await hall.poll(candidates=3, seats=1)
    tablet = await tablet_of(hall, hall.deputy_ids[-1])
    try:
        ballot = await tablet.get(f"/tablet/polls/{poll_id}")
        assert ballot.status_code == 200 and 'class="ballot ballot-step"' in ballot.text
        assert "hx-trigger" not in ballot.text and 'http-equiv="refresh"' not in ballot.text
        later = accounts._now() + timedelta(hours=14)
        monkeypatch.setattr(accounts, "_now", lambda: later)
        again = await tablet.get(f"/tablet/polls/{poll_id}")
        assert again.status_code == 200 and 'class="ballot ballot-step"' in again.text  # not sent to log in
    finally:
        await tablet.aclose()
