"""The headers every answer carries, no inline script or style on any page, and body size limits.

Already covered, not repeated: the tablet login page's headers (tests/web/test_tablet.py), no
inline style or script on the dashboard, the screen and the scrutineers' page (test_dashboard_pages,
test_screen, test_tablet_scrutiny), a stored upload served inert (test_public), the proposal
routes' own limit when the declared length is too large (test_public: the public and the tablet
form). Here: every page the app serves, and bodies that really are too large.
"""

from __future__ import annotations

import re

import pytest

from lifecycle import uploads
from tests.hall import csrf_of
from tests.security.routes import all_routes, fill
from tests.security.test_authorization_matrix import QUERIES
from tests.security.world import World, browser_as, build_world
from web import public

PREVIEWS = ("/tally.html", "/satisfaction.html", "/html", "/bulletin.html")  # print previews: own policy


@pytest.fixture(scope="module")
async def world() -> World:
    return await build_world()


def directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in policy.split(";") if part.strip()}


def check_headers(response, where: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "no-referrer", where
    policy = directives(headers.get("content-security-policy", ""))
    if headers.get("content-type", "").startswith("text/html"):  # a stored photo has X-Frame-Options only
        assert policy.get("frame-ancestors") == "'none'", (where, policy)
    scripts = policy.get("script-src", policy.get("default-src", ""))
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts, (where, policy)
    assert policy.get("default-src") in ("'self'", "'none'"), (where, policy)


def check_markup(html: str, where: str, *, preview: bool) -> None:
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        if preview:
            raise AssertionError(f"{where}: a script in a print preview")
        data_block = re.search(r"""type=["']application/json["']""", attributes)
        assert "src=" in attributes or data_block, f"{where}: an inline <script>{body[:80]}"
        assert "src=" not in attributes or not body.strip(), f"{where}: a script with a src and a body"
        if "src=" in attributes:
            assert re.search(r"""src=["']/static/""", attributes), f"{where}: a script from elsewhere: {attributes}"
    assert not re.search(r"\son[a-z]+\s*=", re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)), \
        f"{where}: an inline event handler attribute"
    assert "javascript:" not in html.lower(), f"{where}: a javascript: URL"
    if not preview:
        assert not re.search(r"\sstyle\s*=", html), f"{where}: an inline style attribute"
        assert "<style" not in html, f"{where}: an inline <style> block"


@pytest.mark.parametrize("role", ["anonymous", "deputy", "scrutineer", "group_lead", "department", "secretariat"])
async def test_every_page_carries_the_policy_and_has_no_inline_script_or_style(world, role, monkeypatch):
    monkeypatch.setattr("reports.pdf.html_to_pdf", lambda html: b"%PDF-1.7")  # a PDF's headers, not its layout
    client = await browser_as(world, role)
    pages = 0
    try:
        for route in all_routes():
            if route.method != "GET":
                continue
            params = QUERIES[route.key](world) if route.key in QUERIES else None
            response = await client.get(fill(route, world), params=params)
            check_headers(response, f"{role} {route.key} ({response.status_code})")
            if route.path.startswith(("/tablet", "/console", "/api/")):  # a shared tablet's back button
                kept = response.headers.get("cache-control", "")  # a stored photo: kept, by this browser only
                assert kept == "no-store" or ("attachments/" in route.path and kept.startswith("private")) or (
                    route.path.startswith("/tablet/fonts/") and kept.startswith("public")), (role, route.key, kept)
                # (a script's font is the same for everyone and holds nothing of anyone: cached like /static)
            if response.headers.get("content-type", "").startswith("text/html"):
                pages += 1
                preview = directives(response.headers["content-security-policy"]).get("default-src") == "'none'"
                assert not preview or route.path.endswith(PREVIEWS), f"{route.key}: a page with a preview's policy"
                check_markup(response.text, f"{role} {route.key}", preview=preview)
                if preview:
                    policy = directives(response.headers["content-security-policy"])
                    assert policy["default-src"] == "'none'" and "script-src" not in policy, policy
    finally:
        await client.aclose()
    assert pages >= 5


async def test_error_pages_and_problem_answers_carry_the_headers_too(world):
    client = await browser_as(world, "secretariat")
    try:
        answers = [await client.get("/console/polls/987654321"), await client.get("/no/such/page"),
                   await client.get("/public/proposals/ZZZZ-ZZZZ"), await client.get("/api/polls/987654321/result"),
                   await client.post("/console/congresses", data={"name": "x"}),  # no CSRF token: 403
                   await client.request("PUT", "/console/congresses"), await client.get("/static/app.js"),
                   await client.get(f"/console/polls/{world.closed_poll}/tally.pdf")]
        for response in answers:
            check_headers(response, f"{response.request.method} {response.request.url.path} ({response.status_code})")
            if response.headers.get("content-type", "").startswith("text/html"):
                check_markup(response.text, response.request.url.path, preview=False)
    finally:
        await client.aclose()


async def test_a_five_megabyte_body_to_an_ordinary_form_is_refused_in_chinese(world):
    """The app takes 4 MB at most (app.py); more to a form without a limit of its own is a 413 with
    a message in Chinese, whether the CSRF token rides in a header or in the (too large) body.
    (A route that reads no body, a check-in say, never reads the 5 MB at all.)"""
    five_mb = 5 * 1024 * 1024
    staff = await browser_as(world, "secretariat")
    deputy = await browser_as(world, "deputy")
    try:
        for client, url in ((staff, "/console/congresses"), (deputy, f"/tablet/polls/{world.open_poll}/cast"),
                            (staff, f"/console/polls/{world.open_poll}/paper/issue")):
            token = csrf_of(client)
            in_header = await client.post(url, content=b"name=" + b"x" * five_mb, headers={
                "x-csrftoken": token, "content-type": "application/x-www-form-urlencoded"})
            in_body = await client.post(url, data={"_csrf_token": token, "name": "x" * five_mb})
            for response in (in_header, in_body):
                assert response.status_code == 413, (url, response.status_code)
                assert "上传的内容太大" in response.text, response.text[:300]
                check_headers(response, url)
        api = await deputy.post(f"/api/polls/{world.open_poll}/ballot", content=b'{"marks": {"' + b"P" * five_mb
                                + b'": "for"}}', headers={"content-type": "application/json"})
        assert api.status_code == 413 and api.headers["content-type"].startswith("application/problem+json")
        assert api.json()["title"] == "上传的内容太大。"
    finally:
        await staff.aclose()
        await deputy.aclose()


async def test_an_oversized_upload_to_the_propose_route_gets_the_chinese_too_large_page(world):
    """A body that really is larger than the proposal route's limit (not just a declared length, which
    tests/web/test_public.py covers), sent in chunks with no length declared, as a browser might."""
    from tests.security.world import browser

    citizen = browser()
    chunk = b"\0" * (1024 * 1024)
    chunks = public.MAX_BODY // len(chunk) + 2
    stored_before = await uploads.stored_hashes()

    async def body():
        yield b'--zzz\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n' \
              b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
        for _ in range(chunks):
            yield chunk
        yield b"\r\n--zzz--\r\n"

    try:
        await citizen.get("/public/propose")
        response = await citizen.post("/public/propose", content=body(), headers={
            "content-type": "multipart/form-data; boundary=zzz", "x-csrftoken": csrf_of(citizen)})
    finally:
        await citizen.aclose()
    assert response.status_code == 413, response.status_code
    assert "上传的文件太大" in response.text and "/public/propose" in response.text
    check_headers(response, "/public/propose 413")
    check_markup(response.text, "/public/propose 413", preview=False)
    stored_after = await uploads.stored_hashes()
    assert stored_after == stored_before


async def test_the_api_schema_is_plain_json_and_no_page_of_it_fetches_from_the_internet():
    from tests.security.world import browser

    client = browser()
    try:
        schema = await client.get("/schema/openapi.json")
        assert schema.status_code == 200 and schema.json()["info"]["title"] == "piaojue 票决"
        check_headers(schema, "/schema/openapi.json")
        root = await client.get("/schema")  # the same JSON, not a documentation page
        assert root.status_code == 200 and root.json() == schema.json()
        for page in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc", "/schema/scalar"):
            response = await client.get(page)
            assert response.status_code == 404, page  # Litestar's HTML pages would load CDN scripts
            assert "cdn." not in response.text and "unpkg" not in response.text, page
    finally:
        await client.aclose()
