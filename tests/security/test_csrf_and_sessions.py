"""Forged forms, fixed and stolen sessions, guessed passwords.

Already covered elsewhere, and not repeated here: the tablet login form without its token
(tests/web/test_tablet.py), the public multipart form with a missing or forged token
(tests/web/test_public.py), a stale token on the scrutineers' ruling (test_tablet_scrutiny.py),
the JSON ballot sent as text/plain (test_tablet.py), deputies' login-code guessing over the JSON
API against a real server (tests/web/test_concurrency.py). This file takes those checks to
every route and to the other doors.
"""

from __future__ import annotations

import secrets

import pytest

from tests.hall import csrf_of
from tests.security.routes import all_routes, fill
from tests.security.world import PASSWORD, World, browser, browser_as, build_world, log_in
from voting import accounts, polls
from voting.tables import AuditEntry, Ballot, CheckIn, Congress, LoginSession, Poll
from web.auth import COOKIE

EXPIRED = "页面已过期"


@pytest.fixture(scope="module")
async def world() -> World:
    return await build_world()


def form_routes():
    return [r for r in all_routes() if r.method != "GET" and not r.path.startswith("/api/")]


# --- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["secretariat", "deputy"])
async def test_every_form_without_its_token_is_refused_in_chinese_and_changes_nothing(world, role):
    client = await browser_as(world, role)
    before = (await Poll.select(Poll.id, Poll.status).order_by(Poll.id), await Ballot.count(),
              await LoginSession.count())
    refused = []
    try:
        for route in form_routes():
            url = fill(route, world)
            plain = await client.request(route.method, url, data={"m_P01": "for", "reason": "伪造"})
            forged = await client.request(route.method, url, data={"_csrf_token": secrets.token_hex(32)})
            header = await client.request(route.method, url, headers={"x-csrftoken": "x" * 64})
            for response in (plain, forged, header):
                if response.status_code != 403 or EXPIRED not in response.text:
                    refused.append(f"{route.key}: {response.status_code}")
    finally:
        await client.aclose()
    assert not refused, "forms taken without a valid CSRF token:\n  " + "\n  ".join(refused)
    after = (await Poll.select(Poll.id, Poll.status).order_by(Poll.id), await Ballot.count(),
             await LoginSession.count())
    assert after == before  # no poll opened, closed or deleted, no ballot cast, nobody logged out


async def test_another_browsers_token_does_not_pass(world):
    """The token is bound to the browser's own CSRF cookie: one read from another browser is useless."""
    victim = await browser_as(world, "secretariat")
    attacker = browser()
    try:
        await attacker.get("/public")
        stolen = csrf_of(attacker)
        response = await victim.post(f"/console/polls/{world.open_poll}/stop", data={"_csrf_token": stolen})
        assert response.status_code == 403 and EXPIRED in response.text
        assert (await polls.get_poll(world.open_poll))["status"] == "open"
    finally:
        await victim.aclose()
        await attacker.aclose()


async def test_the_json_api_takes_only_json_so_a_cross_site_form_changes_nothing(world):
    """The API is left out of the CSRF check (app.py); instead it accepts application/json only,
    which a page on another site cannot send without a CORS preflight this app never grants."""
    deputy = await browser_as(world, "deputy")
    staff = await browser_as(world, "secretariat")
    before = await AuditEntry.count(), await Congress.count(), await Ballot.count(), await CheckIn.count()
    statuses = await Poll.select(Poll.id, Poll.status).order_by(Poll.id)
    try:
        for route in all_routes():
            if not route.path.startswith("/api/") or route.method not in ("POST", "PUT", "PATCH"):
                continue
            client = deputy if "/tablet/" in route.path or route.path.endswith("/ballot") else staff
            url = fill(route, world)
            bodies = {
                "application/x-www-form-urlencoded": "marks=P01&code=12345678&deputies=5&username=x&password=y",
                "text/plain": '{"marks": {"P01": "for"}, "deputies": 5, "code": "12345678"}',
                "multipart/form-data; boundary=b": '--b\r\nContent-Disposition: form-data; name="marks"\r\n\r\n'
                                                   'P01\r\n--b--\r\n',
            }
            for media, body in bodies.items():
                response = await client.post(url, content=body, headers={"content-type": media,
                                                                         "origin": "https://evil.example"})
                assert response.status_code == 415, (route.key, media, response.status_code)
                assert response.headers["content-type"].startswith("application/problem+json")
                assert "access-control-allow-origin" not in response.headers
        preflight = await staff.options(f"/api/polls/{world.open_poll}/close", headers={
            "origin": "https://evil.example", "access-control-request-method": "POST",
            "access-control-request-headers": "content-type"})
        assert "access-control-allow-origin" not in preflight.headers
    finally:
        await deputy.aclose()
        await staff.aclose()
    # every change (a check-in, a poll opened, a rehearsal made, even a failed login) leaves an audit entry
    assert (await AuditEntry.count(), await Congress.count(), await Ballot.count(), await CheckIn.count()) == before
    assert await Poll.select(Poll.id, Poll.status).order_by(Poll.id) == statuses


# --- sessions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["deputy", "secretariat"])
async def test_a_login_cookie_set_before_login_is_never_the_one_after(world, role):
    """Session fixation: an attacker who plants a login cookie in a browser gains nothing; the login
    answers with a fresh token of its own, and the planted value opens nothing."""
    planted = secrets.token_urlsafe(32)
    client = browser()
    try:
        client.cookies.set(COOKIE, planted, domain="hall.local")
        await log_in(client, world, role)
        issued = client.cookies.get(COOKIE)
        assert issued and issued != planted
        assert await accounts.viewer_for_token(planted) is None
        assert (await accounts.viewer_for_token(issued)).kind == ("deputy" if role == "deputy" else "staff")
        again = browser()
        try:
            await log_in(again, world, role)
            assert again.cookies.get(COOKIE) not in (issued, planted)  # every login its own token
        finally:
            await again.aclose()
    finally:
        await client.aclose()
    thief = browser()
    try:
        thief.cookies.set(COOKIE, planted, domain="hall.local")
        home = "/tablet" if role == "deputy" else "/console"
        response = await thief.get(home)
        assert response.status_code in (302, 303) and response.headers["location"].endswith(f"{home}/login")
    finally:
        await thief.aclose()


@pytest.mark.parametrize("role, home, logout", [("deputy", "/tablet", "/tablet/logout"),
                                                ("secretariat", "/console", "/console/logout")])
async def test_logout_ends_the_login_on_the_server_not_just_in_the_browser(world, role, home, logout):
    client = await browser_as(world, role)
    token = client.cookies.get(COOKIE)
    try:
        assert (await client.get(home)).status_code == 200
        response = await client.post(logout, data={"_csrf_token": csrf_of(client)})
        assert response.status_code in (302, 303) and response.headers["location"].endswith(f"{home}/login")
        assert COOKIE not in client.cookies or not client.cookies.get(COOKIE)
    finally:
        await client.aclose()
    assert await accounts.viewer_for_token(token) is None
    replay = browser()
    try:
        replay.cookies.set(COOKIE, token, domain="hall.local")  # the old cookie, kept by whoever copied it
        page = await replay.get(home)
        assert page.status_code in (302, 303) and page.headers["location"].endswith(f"{home}/login")
        api = await replay.get(f"/api/polls/{world.open_poll}/progress")
        assert api.status_code == 401
    finally:
        await replay.aclose()


async def test_the_login_cookie_is_http_only_and_same_site(world):
    client = browser()
    try:
        await client.get("/console/login")
        response = await client.post("/console/login", data={
            "username": world.usernames["secretariat"], "password": PASSWORD, "_csrf_token": csrf_of(client)})
        cookie = next(v for k, v in response.headers.multi_items()
                      if k == "set-cookie" and v.startswith(f"{COOKIE}="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Path=/" in cookie
    finally:
        await client.aclose()


# --- guessing ------------------------------------------------------------------------------------


async def test_guessing_a_staff_password_is_throttled_after_eight_tries_even_for_the_right_one(world):
    """Eight wrong passwords from one address, then the ninth try is refused with 429 in Chinese,
    even with the right password; another address still logs in. (The deputies' codes through the
    JSON API: tests/web/test_concurrency.py.)"""
    username = world.usernames["admin"]
    guesser = browser()
    try:
        await guesser.get("/console/login")
        for n in range(accounts.THROTTLE_FAILURES):
            wrong = await guesser.post("/console/login", data={"username": username, "password": f"guess-{n}",
                                                               "_csrf_token": csrf_of(guesser)})
            assert wrong.status_code == 400 and "用户名或密码不正确" in wrong.text
            assert COOKIE not in wrong.cookies
        ninth = await guesser.post("/console/login", data={"username": username, "password": PASSWORD,
                                                           "_csrf_token": csrf_of(guesser)})
        assert ninth.status_code == 429 and "尝试次数过多" in ninth.text and "15 分钟" in ninth.text
        assert COOKIE not in ninth.cookies
        api = await guesser.post("/api/staff/login", json={"username": username, "password": PASSWORD})
        assert api.status_code == 429 and api.json()["code"] == "throttled"  # the same count, whichever door
    finally:
        await guesser.aclose()
    elsewhere = browser()
    try:
        await log_in(elsewhere, world, "admin")
    finally:
        await elsewhere.aclose()


async def test_guessing_codes_and_links_on_the_tablet_forms_is_throttled_too(world):
    guesser = browser()
    try:
        await guesser.get("/tablet/login")
        for n in range(accounts.THROTTLE_FAILURES // 2):
            wrong = await guesser.post("/tablet/login", data={"code": f"{n:08d}", "_csrf_token": csrf_of(guesser)})
            assert wrong.status_code == 400
            link = await guesser.get(f"/tablet/l/{secrets.token_urlsafe(24)}")
            assert link.status_code == 400
        right = await guesser.post("/tablet/login", data={"code": world.login_code("deputy"),
                                                          "_csrf_token": csrf_of(guesser)})
        assert right.status_code == 429 and "尝试次数过多" in right.text and COOKIE not in right.cookies
        link = await guesser.get(f"/tablet/l/{world.hall.links[world.bystander]}")
        assert link.status_code == 429 and COOKIE not in link.cookies
    finally:
        await guesser.aclose()
