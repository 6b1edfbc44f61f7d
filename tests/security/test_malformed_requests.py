"""Malformed requests to every route, as every role: nothing may answer 5xx.

schemathesis is not installed here (and there is no network to fetch it), so this is a small
generator of our own. It walks the app's own route list (`app.routes`: every path of the OpenAPI
schema at /schema/openapi.json, checked below, and the routes left out of it) and sends each route,
as each role:

- path parameters of the wrong type or out of range (text for an id, a negative id, ids past
  32 and 64 bits, traversal, NUL and markup in a hash or code);
- for pages, every query parameter the controllers read, all set to one hostile value at a time;
- for forms (with a valid CSRF token, so the handler itself reads them): every form field the
  controllers read (found in web/*.py), all set to one hostile value at a time (a number past
  64 bits, one past 32 bits, the largest 32-bit one, a superscript digit, a NUL, an impossible
  date, 10,000 characters), files with hostile names, a body that is not a form at all, a
  multipart body with a broken boundary, JSON sent to a form;
- for the JSON API: bodies that are not JSON, JSON of the wrong shape, and huge numbers.

A role the route's guard turns away (per the authorization matrix's table) gets the wrong paths and
one hostile form; a role it lets in gets everything. Refusals (400, 403, 404, 405, 409, 413, 415,
422, 429) are all fine; a 5xx is a bug. The logouts are left out (they would end the browser's
login mid-walk; they take no input). PDFs are not laid out here (tests/security/test_hostile_text
and the matrix render real ones); everything up to the layout runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hall import csrf_of
from tests.security.routes import PARAM, Route, all_routes, fill, param_value
from tests.security.test_authorization_matrix import BAD, EXPECTED, GONE, OK, PASS
from tests.security.world import ROLES, World, browser_as, build_world
from tests.web.test_public_project import photo

WEB = Path(__file__).resolve().parents[2] / "web"
BAD_INTS = ("abc", "-1", "0", "2147483648", "9223372036854775808", "99999999999999999999999")
BAD_TEXTS = ("..%2F..%2Fsecret.key", "%00", "Z" * 300, "%3Cscript%3E", "0" * 64)
HOSTILE = ("99999999999999999999999", "2147483648", "2147483647", "²", "a\x00b", "2027-13-45", "x" * 10_000)
EXTRA_FIELDS = ("m_P01", "m_P99", "c1_title", "c1_cost", "c1_summary", "m1_title", "m1_weight", "m1_due", "p_1",
                "a_land", "c_land", "c_content", "n_content", "website")
JSON_BODIES = (b"not json", b"[]", b'{"marks": "for"}', b'{"marks": {"P01": 5}}', b'{"code": 12345678}',
               b'{"deputies": 99999999999999999999999, "candidates": -1, "seats": "x"}',
               b'{"deputies": 100000000, "candidates": 1e308}', b'{"username": [], "password": {}}',
               b'{"marks": {"' + b"P" * 5000 + b'": "for"}}')


def read_by_controllers() -> tuple[list[str], list[str]]:
    """Every form field and query parameter name the controllers in web/ read."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in WEB.glob("*.py"))
    fields = set(re.findall(r"""(?:form|fields|data|raw|values)\.get\(\s*["']([a-z_0-9]+)["']""", source))
    fields |= set(re.findall(r"""form\[["']([a-z_0-9]+)["']\]""", source))
    fields |= set(re.findall(r"""(?:getall|_all)\((?:raw, )?["']([a-z_0-9]+)["']""", source))
    queries = set(re.findall(r"""query_params\.get\(\s*["']([a-z_0-9]+)["']""", source))
    queries |= set(re.findall(r"""_number\(request, ["']([a-z_0-9]+)["']\)""", source))
    queries |= set(re.findall(r"""(\w+): FromQuery""", source))
    queries |= {"q", "page", "year", "congress", "category", "township", "stage", "round", "code"}
    assert {"title", "reason", "serial", "count", "narrative"} <= fields and {"page", "ruled", "colour"} <= queries
    return sorted(fields | set(EXTRA_FIELDS)), sorted(queries)


FIELDS, QUERY_NAMES = read_by_controllers()
PNG = photo((12, 34, 56), (8, 8))


def bad_paths(route: Route, world: World) -> list[str]:
    """The route with one path parameter at a time made wrong, the others real."""
    paths = []
    for name, kind in route.params:
        for bad in BAD_INTS if kind == "int" else BAD_TEXTS:
            paths.append(PARAM.sub(lambda m, n=name, b=bad: b if m.group(1) == n else
                                   param_value(route, m.group(1), world), route.path))
    return paths


async def requests_for(client, route: Route, world: World, deep: bool):
    """(description, response) for each malformed request to the route. A role the route's guard
    turns away gets the wrong paths and one hostile form or body; a role it lets in gets them all."""
    good = fill(route, world)  # an event stream's session is one that does not exist: it answers at once
    for path in bad_paths(route, world):
        yield f"{route.method} {path}", await client.request(route.method, path, **_plain_body(route, client))
    values = HOSTILE if deep else HOSTILE[:1]
    if route.method == "GET":
        for value in values:
            params = dict.fromkeys(QUERY_NAMES, value[:1000])  # a URL holds 64 KB at most
            yield f"GET {good}?<all queries>={value[:20]!r}", await client.get(good, params=params)
        return
    if route.path.startswith("/api/"):
        for body in JSON_BODIES if deep else JSON_BODIES[:2]:
            yield f"{route.method} {good} json={body[:40]!r}", await client.request(
                route.method, good, content=body, headers={"content-type": "application/json"})
        return
    token = csrf_of(client)
    for value in values:
        form = {**dict.fromkeys(FIELDS, value), "_csrf_token": token}
        yield f"POST {good} <all fields>={value[:20]!r}", await client.post(good, data=form)
    if not deep:
        return
    files = [(field, (f"a\x00b\u202e<img src=x>{field}.png", PNG, "image/png")) for field in ("file", "files", "photos")]
    files.append(("file", ("名册.csv", "代表证号,姓名\nA\x00,\x00\n".encode(), "text/csv")))
    yield f"POST {good} files with hostile names", await client.post(
        good, data={**dict.fromkeys(FIELDS, "1"), "_csrf_token": token}, files=files)
    headers = {"x-csrftoken": token}
    yield f"POST {good} garbage form", await client.post(
        good, content=b"\xff\xfe%%%&&&==\x00" * 50,
        headers={**headers, "content-type": "application/x-www-form-urlencoded"})
    yield f"POST {good} broken multipart", await client.post(
        good, content=b"--zzz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx" * 3,
        headers={**headers, "content-type": "multipart/form-data; boundary=zzz"})
    yield f"POST {good} json to a form", await client.post(
        good, content=b'{"title": 1}', headers={**headers, "content-type": "application/json"})


def let_in(route: Route, role: str) -> bool:
    """Whether the route's guard lets the role through (the authorization matrix's table). The admin
    passes exactly the guards the secretariat does (web/auth.require_staff, lifecycle.stages.SECRETARIAT),
    which the matrix checks route by route, so the admin's walk stays shallow."""
    answer = EXPECTED.get(route.key, {}).get(role, PASS)
    return role != "admin" and answer in (OK, PASS, BAD, GONE)


def _plain_body(route: Route, client) -> dict:
    if route.method == "GET":
        return {}
    if route.path.startswith("/api/"):
        return {"json": {}} if route.method != "DELETE" else {}
    return {"data": {"_csrf_token": csrf_of(client)}}


@pytest.fixture(scope="module")
async def world() -> World:
    return await build_world()


@pytest.mark.parametrize("role", ROLES)  # the staff last: what they change cannot lock the deputies out early
async def test_no_malformed_request_gets_a_server_error(role, world, monkeypatch):
    # Laying out PDFs is not what is tested here (test_hostile_text and the matrix render real ones);
    # the documents' data and HTML are still gathered and rendered for every request.
    monkeypatch.setattr("reports.pdf.html_to_pdf", lambda html: b"%PDF-1.7 (laid out elsewhere)")
    client = await browser_as(world, role)
    errors = []
    sent = 0
    try:
        for route in all_routes():
            if route.path.endswith("/logout"):
                continue
            async for description, response in requests_for(client, route, world, let_in(route, role)):
                sent += 1
                if response.status_code >= 500:
                    errors.append(f"{description}: {response.status_code} {response.text[:160]!r}")
    finally:
        await client.aclose()
    assert sent > 500
    assert not errors, f"{len(errors)} server errors as {role}:\n  " + "\n  ".join(errors[:60])


async def test_the_walk_covers_every_path_of_the_openapi_schema():
    from tests.security.world import browser

    client = browser()
    try:
        schema = await client.get("/schema/openapi.json")
    finally:
        await client.aclose()
    assert schema.status_code == 200
    walked = {(r.method, PARAM.sub(lambda m: "{" + m.group(1) + "}", r.path)) for r in all_routes()}
    documented = {(method.upper(), path) for path, item in schema.json()["paths"].items() for method in item
                  if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE")}
    assert documented and documented <= walked, sorted(documented - walked)
