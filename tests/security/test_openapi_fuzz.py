"""Schemathesis over the OpenAPI schema: no operation answers with a 5xx, whoever asks, whatever is sent.

The app serves its schema at /schema/openapi.json. Every operation in it is called over real
HTTP on the real server (tests/servers.LiveServer: uvicorn on the test database) as six roles,
one after another, each the logged-in browser of one shared world (tests/security/world.py):
anonymous, a deputy on a tablet, the scrutineer, a supervision group's lead, a department and
the secretariat (the most powerful last; within a role, the logouts last). The only check is
schemathesis' `not_a_server_error`: what the schema does not document is no failure here.

The schema documents the path parameters and the JSON API, not the HTML forms, which the
handlers read themselves. So before the fuzzing, in this test only, the schema is filled in:
- each POST form's fields as the roles' pages render them (names, hidden values, options, which
  are required), with the names its handler's source reads (`form.get("...")`); the query
  parameters the pages link to, or the handler reads;
- for every id in a path, the world's real rows besides other numbers;
- the JSON API's bodies with the keys web/api.py reads.
A value is mostly one seen on a page (or a real row), else one of the field's kind (a date, a
number: one naming no row) or any text at all. Each operation draws from this schema and from
a second one in which every form field is sent, filled in as a person would, so the handlers
meet both whole forms and broken ones. The CSRF token goes in a header, so every POST reaches
its handler (an answer that the token was refused fails the test).

Deterministic (Hypothesis `derandomize`). PIAOJUE_FUZZ_EXAMPLES=200 runs deeper and
PIAOJUE_FUZZ_SEED=n draws other inputs; a failure names the operation and the role, gives
schemathesis' curl command and the server's log of the error.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import os
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from lifecycle.proposals import today
from tests.hall import csrf_of
from tests.security.routes import all_routes, fill
from tests.security.test_authorization_matrix import DENIED, EXPECTED, LOGIN_C, LOGIN_T, QUERIES, UNAUTH
from tests.security.world import World, browser_as, build_world, fresh_address
from tests.servers import LiveServer

FUZZED_ROLES = ("anonymous", "deputy", "scrutineer", "group_lead", "department", "screener", "secretariat")
HARVESTING_ROLES = FUZZED_ROLES + ("admin",)

EXAMPLES = int(os.environ.get("PIAOJUE_FUZZ_EXAMPLES", "20"))  # per operation a role may call
SEED = os.environ.get("PIAOJUE_FUZZ_SEED")
EXAMPLES_REFUSED = 3  # per operation the role's guard turns away (tests/security: the matrix says which)
EXAMPLES_HEAVY = 3  # a printed PDF or a spreadsheet: WeasyPrint takes a fraction of a second
HEAVY = re.compile(r"(\.pdf|/pdf|\.xlsx|/login-cards|/paper-ballots)$")
REFUSALS = (LOGIN_C, LOGIN_T, DENIED, UNAUTH)
REACHED_AT_LEAST = 0.9  # per role, the share of the operations it may use answered beyond their guards

MAX_SEEN = 12  # values seen per field, at most
NEVER_A_SESSION = 10**8  # the screen's event stream never ends for a real session: ask for none


# --- what the pages show: forms, their fields, the links' query strings -----------------------


@dataclass
class Field:
    values: set[str] = field(default_factory=set)
    kind: str = "text"  # text, date, number or file
    required: bool = False


@dataclass
class Form:
    method: str
    action: str
    multipart: bool
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, other: "Form") -> None:
        self.multipart |= other.multipart
        for name, entry in other.fields.items():
            mine = self.fields.setdefault(name, Field(kind=entry.kind, required=entry.required))
            mine.values |= entry.values
            mine.required &= entry.required  # required only where every form that has it requires it
            if entry.kind != "text":
                mine.kind = entry.kind


class FormParser(HTMLParser):
    """The forms of a page (fields and the values they would send) and the query strings of its links."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _field(self, name: str, attributes: dict[str, str]) -> Field:
        assert self._form is not None
        entry = self._form.fields.setdefault(name, Field())
        entry.required |= "required" in attributes
        return entry

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])
        if tag == "form":
            self._form = Form((a.get("method") or "get").lower(), a.get("action") or self.page,
                              "multipart" in a.get("enctype", ""))
            return
        if self._form is None:
            return
        if tag == "option" and self._select:
            self._option = a.get("value")
            if self._option is not None:
                self._form.fields[self._select].values.add(self._option)
            self._text = []
            return
        name = a.get("name", "")
        if not name or name == "_csrf_token":
            return
        if tag in ("input", "button"):
            kind = a.get("type", "text").lower()
            entry = self._field(name, a)
            if kind == "file":
                entry.kind = "file"
            elif kind in ("checkbox", "radio"):
                entry.values.add(a.get("value") or "on")
            else:
                if a.get("value"):
                    entry.values.add(a["value"])
                if kind == "date":
                    entry.kind = kind
                    entry.values.update({str(today()), str(today() + timedelta(days=30)),
                                         str(today() - timedelta(days=400))})
                elif kind == "number" or a.get("inputmode") in ("numeric", "decimal"):
                    entry.kind = "number"
                    entry.values.update(v for v in (a.get("min"), a.get("max")) if v)
        elif tag == "select":
            self._select = name
            self._field(name, a)
        elif tag == "textarea":
            self._textarea = name
            self._field(name, a)
            self._text = []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "form":
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._select and self._option is None:
            self._form.fields[self._select].values.add("".join(self._text).strip())
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text).strip()
            if text:
                self._form.fields[self._textarea].values.add(text)
            self._textarea = None


def pages_to_read(world: World) -> list[str]:
    """Every page of the app with the world's rows in its path, and each poll's pages for every poll."""
    urls: list[str] = []
    polls = (world.open_poll, world.draft_poll, world.closed_poll, world.satisfaction_poll)
    for route in all_routes():
        if route.method != "GET" or route.path.endswith(("/events", ".pdf", "/pdf", ".xlsx", ".csv", ".json")):
            continue
        if "{sha256" in route.path or "/l/{token" in route.path:
            continue
        url = fill(route, world)
        if route.key in QUERIES:
            url += "?" + "&".join(f"{k}={v}" for k, v in QUERIES[route.key](world).items())
        urls.append(url)
        if "{poll_id:int}" in route.path:
            urls += [route.path.replace("{poll_id:int}", str(poll)) for poll in polls]
    return list(dict.fromkeys(urls))


async def read_pages(world: World, role: str, forms: list[Form], links: list[str]) -> None:
    client = await browser_as(world, role)
    try:
        for url in pages_to_read(world):
            response = await client.get(url)
            if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            parser = FormParser(urlsplit(url).path)
            parser.feed(response.text)
            forms.extend(parser.forms)
            links.extend(parser.links)
    finally:
        await client.aclose()


FORM_NAME = re.compile(r"""(?:form|raw)(?:\.get|\.getall|\.getlist)?[\[(]\s*["'](\w+)["']"""
                       r"""|\w+\(\s*(?:form|raw)\s*,\s*["'](\w+)["']""")
QUERY_NAME = re.compile(r"""query_params\.get\(\s*["'](\w+)["']""")


def source_read_by(fn: Any) -> str:
    """A handler's source and that of the functions of its own module it calls (plan_from_form...)."""
    source = inspect.getsource(fn)
    module = inspect.getmodule(fn)
    for name in sorted(set(re.findall(r"\b(\w+)\(", source))):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__ and helper is not fn:
            source += inspect.getsource(helper)
    return source


def names_read_by_handlers() -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(method, OpenAPI path) → (form fields, query parameters) the handler's source reads by name."""
    from app import app

    found: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            try:
                source = source_read_by(handler.fn)
            except (OSError, TypeError):
                continue
            form = {a or b for a, b in FORM_NAME.findall(source)}
            query = set(QUERY_NAME.findall(source))
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            for method in handler.http_methods:
                found[(method.lower(), path)] = (form, query)
    return found


# --- the schema, filled in for this world -------------------------------------------------------
#
# A value is drawn from a strategy of this module, named as a string format in the schema
# (schemathesis.openapi.format): JSON Schema's own `anyOf: [{enum: seen}, {type: string}]`
# would be simplified to its wider half, and the values seen never sent.

FORMATS: set[str] = set()  # the formats registered here, unregistered when the module is done


def value_format(seen: Any, kind: str = "text", *, strict: bool = False) -> dict[str, Any]:
    """A string schema whose values are mostly a value seen on a page (or a real row), otherwise
    one of the right kind (a date, a number) or any text. `strict`: a value as a person would
    type it (seen, or of the right kind), never just anything."""
    import hashlib

    import schemathesis
    from hypothesis import strategies as st

    choices = sorted({str(v) for v in seen})[:MAX_SEEN]
    if kind == "text" and any(choices) and all(c.isdigit() for c in choices if c):
        kind = "number"  # an id chosen from a list: any other number names a row that is not there
    name = "piaojue-" + hashlib.sha256(repr((choices, kind, strict)).encode()).hexdigest()[:16]
    if name not in FORMATS:
        typed = {"date": st.dates(today() - timedelta(days=800), today() + timedelta(days=800)).map(str),
                 "number": st.integers(0, 120).map(str), "id": st.integers(1, 500).map(str),
                 "text": st.from_regex(r"[\u4e00-\u9fa5A-Za-z0-9_]{1,24}", fullmatch=True)}[kind]
        if not strict:
            typed = {"date": st.dates().map(str), "number": st.integers(-3, 10**12).map(str),
                     "id": st.one_of(st.integers(-3, 500), st.integers(-3, 2**40)).map(str), "text": st.text()}[kind]
        branches = [st.sampled_from(choices)] * 4 if choices else []
        branches += [typed] if strict or kind == "text" else [typed, st.text()]
        schemathesis.openapi.format(name, st.one_of(*branches))
        FORMATS.add(name)
    return {"type": "string", "format": name}


def forget_formats() -> None:
    from schemathesis.specs.openapi.formats import unregister_string_format

    for name in FORMATS:
        unregister_string_format(name)
    FORMATS.clear()


def world_rows(world: World) -> dict[str, list[Any]]:
    """Real values for each path parameter name."""
    return {
        "poll_id": [world.open_poll, world.draft_poll, world.closed_poll, world.satisfaction_poll],
        "session_id": [world.hall.session_id],
        "deputy_id": [world.bystander, world.deputy, world.scrutineer],
        "term_id": [world.hall.term_id],
        "notice_id": [world.notice],
        "round_id": [world.round_id],
        "proposal_id": [world.proposal_id],
        "attachment_id": [world.proposal_attachment],
        "project_id": [world.project["id"]],
        "congress_id": [world.hall.congress_id],
        "rect_id": [world.rectification],
        "acceptance_id": [world.acceptance],
        "sha256": [world.proposal_photo, world.site_photo, world.report_photo],
        "code": [world.proposal_code, world.project["code"]],
    }




def api_bodies(world: World, strict: bool) -> dict[tuple[str, str], dict[str, Any]]:
    """The JSON API's bodies: the keys each handler reads (web/api.py), besides anything else."""
    # A rehearsal of thousands of deputies is allowed, and slow: the fuzzing asks for a few.
    if strict:
        return {
            ("post", "/api/tablet/login"): {"code": value_format([world.login_code("bystander")], strict=True)},
            ("post", "/api/staff/login"): {"username": value_format(world.usernames.values(), strict=True),
                                           "password": {"type": "string"}},
            ("post", "/api/polls/{poll_id}/ballot"): {"sealed": {"type": "string", "maxLength": 2000}},
            ("post", "/api/rehearsals"): {"deputies": {"type": "integer", "minimum": 1, "maximum": 30},
                                          "candidates": {"type": "integer", "minimum": 2, "maximum": 15},
                                          "seats": {"type": "integer", "minimum": 1, "maximum": 15}},
            ("post", "/api/rehearsals/{congress_id}/polls"): {
                "candidates": {"type": "integer", "minimum": 2, "maximum": 15},
                "seats": {"type": "integer", "minimum": 1, "maximum": 15}},
        }
    return {
        ("post", "/api/tablet/login"): {"code": value_format([world.login_code("bystander")])},
        ("post", "/api/staff/login"): {"username": value_format(world.usernames.values()), "password": {}},
        ("post", "/api/polls/{poll_id}/ballot"): {"sealed": {}, "marks": {}},  # any JSON (strict: a sealed box)
        ("post", "/api/rehearsals"): {"deputies": {"anyOf": [{"type": "integer", "maximum": 30}, {"type": "string"}]},
                                      "candidates": {}, "seats": {}},
        ("post", "/api/rehearsals/{congress_id}/polls"): {"candidates": {}, "seats": {}},
    }


# Forms that post where another page's form posts (none at present: the cast form is on the ballot page).
SAME_FORM: dict[str, str] = {}


def op_pattern(path: str, operation: dict[str, Any]) -> re.Pattern[str]:
    kinds = {p["name"]: p.get("schema", {}).get("type") for p in operation.get("parameters", []) if p["in"] == "path"}
    regex = re.sub(r"\{(\w+)\}", lambda m: r"\d+" if kinds.get(m.group(1)) == "integer" else "[^/]+",
                   re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile(regex)


def fill_in(raw: dict[str, Any], world: World, forms: list[Form], links: list[str], *,
            strict: bool = False) -> dict[str, Any]:
    """The schema with the forms' bodies, the pages' query parameters and the world's rows; `strict`:
    every field of a form sent, each as a person would fill it in."""
    schema = copy.deepcopy(raw)
    rows = world_rows(world)
    read = names_read_by_handlers()
    operations = [(method, path, op) for path, item in schema["paths"].items() for method, op in item.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    patterns = {id(op): op_pattern(path, op) for _, path, op in operations}

    def operation_for(method: str, url: str) -> dict[str, Any] | None:
        path = urlsplit(url).path
        matching = [(path_.count("{"), op) for m, path_, op in operations
                    if m == method and patterns[id(op)].fullmatch(path)]
        return min(matching, key=lambda pair: pair[0])[1] if matching else None

    bodies: dict[int, Form] = {}  # id(operation) → the fields of every form posted to it
    queries: dict[int, dict[str, set[str]]] = {}
    for form in forms:
        op = operation_for(form.method, form.action)
        if op is None:
            continue
        if form.method == "post":
            bodies.setdefault(id(op), Form("post", form.action, False)).add(form)
        else:
            for name, entry in form.fields.items():
                queries.setdefault(id(op), {}).setdefault(name, set()).update(entry.values)
        for key, value in parse_qsl(urlsplit(form.action).query, keep_blank_values=True):
            queries.setdefault(id(op), {}).setdefault(key, set()).add(value)
    for link in links:
        op = operation_for("get", link)
        if op is not None:
            for key, value in parse_qsl(urlsplit(link).query, keep_blank_values=True):
                queries.setdefault(id(op), {}).setdefault(key, set()).add(value)
    posted = {path: op for method, path, op in operations if method == "post"}
    for target, source in SAME_FORM.items():
        if id(posted[source]) in bodies:
            bodies.setdefault(id(posted[target]), bodies[id(posted[source])])

    api = api_bodies(world, strict)
    for method, path, op in operations:
        form_names, query_names = read.get((method, path), (set(), set()))
        parameters = op.setdefault("parameters", [])
        for parameter in parameters:
            if parameter["in"] == "path" and parameter["name"] in rows:
                if path.endswith("/events"):  # no real session: its stream would never end
                    parameter["schema"] = {"type": "integer", "minimum": NEVER_A_SESSION, "maximum": 2**31 - 1}
                else:
                    integer = parameter["schema"].get("type") == "integer"
                    parameter["schema"] = value_format(rows[parameter["name"]], "id" if integer else "text")
        documented = {p["name"] for p in parameters if p["in"] == "query"}
        seen = queries.get(id(op), {})
        for name in sorted((set(seen) | query_names) - documented):
            parameters.append({"name": name, "in": "query", "required": False,
                               "schema": value_format(seen.get(name, set()))})
        if (method, path) in api:
            body = op["requestBody"]["content"]["application/json"]["schema"]
            body["properties"] = api[(method, path)]
            if strict:
                body["required"] = sorted(body["properties"])
        elif method != "get" and path.startswith("/api/") and "requestBody" not in op:
            # no body read, but JSON only (web/api._before_api_request stands in for a CSRF token)
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
        elif method == "post" and not path.startswith("/api/"):
            form = bodies.get(id(op), Form("post", path, False))
            for name in form_names - set(form.fields) - {"_csrf_token"}:
                form.fields[name] = Field()
            if not form.fields:
                continue
            properties = {name: {"type": "string", "format": "binary"} if entry.kind == "file"
                          else value_format(entry.values, entry.kind, strict=strict)
                          for name, entry in sorted(form.fields.items())}
            media = "multipart/form-data" if form.multipart else "application/x-www-form-urlencoded"
            op["requestBody"] = {"required": True, "content": {media: {"schema": {
                "type": "object", "properties": properties, "additionalProperties": False,
                "required": sorted(name for name, entry in form.fields.items() if entry.required or strict)}}}}
    return schema


# --- the fuzzing ---------------------------------------------------------------------------------


@dataclass
class Fuzzed:
    world: World
    schema: dict[str, Any]
    complete: dict[str, Any]  # the same with every form field sent, as a person fills it in
    logins: dict[str, dict[str, str]]  # role → cookies
    server: LiveServer


@pytest.fixture(scope="module")
def live_server():
    with LiveServer() as server:
        yield server


@pytest.fixture(scope="module")
async def fuzzed(live_server):
    world = await build_world()
    forms: list[Form] = []
    links: list[str] = []
    for role in HARVESTING_ROLES:
        await read_pages(world, role, forms, links)
    logins = {}
    for role in FUZZED_ROLES:  # all logged in before any fuzzing (which tries logins by the hundred)
        client = await browser_as(world, role)
        logins[role] = {"csrftoken": csrf_of(client), **({"piaojue_login": client.cookies["piaojue_login"]}
                                                           if role != "anonymous" else {})}
        await client.aclose()
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        raw = (await http.get("/schema/openapi.json")).raise_for_status().json()
    filled = fill_in(raw, world, forms, links)
    yield Fuzzed(world, filled, fill_in(raw, world, forms, links, strict=True), logins, live_server)
    forget_formats()


def allowed_operations(role: str) -> set[str]:
    """The operations ("METHOD /path/{param}") the authorization matrix lets `role` use."""
    return {re.sub(r"\{(\w+):\w+\}", r"{\1}", route) for route, answers in EXPECTED.items()
            if answers.get(role) not in REFUSALS}


def examples_for(key: str, role: str) -> int:
    """`key` is "METHOD /path/{param}" as the OpenAPI schema names it (the matrix: /path/{param:int})."""
    expected = next((answers.get(role) for route, answers in EXPECTED.items()
                     if re.sub(r"\{(\w+):\w+\}", r"{\1}", route) == key), None)
    if HEAVY.search(key.split(" ", 1)[1]):
        return EXAMPLES_HEAVY
    return EXAMPLES_REFUSED if expected in REFUSALS else EXAMPLES


@dataclass
class Outcome:
    calls: dict[str, int] = field(default_factory=dict)  # per operation
    answered: dict[str, set[Any]] = field(default_factory=dict)  # each operation's statuses ("login": sent to log in)
    stale_tokens: int = 0  # answers that the CSRF token was refused: there must be none
    failures: list[str] = field(default_factory=list)


def server_log(server: LiveServer, since: int) -> str:
    """What the server logged since `since` characters, from its first error on."""
    text = server.output()[since:]
    start = text.find("ERROR")
    return text[start:start + 6000] if start >= 0 else text[-2000:]


def run_operations(fuzzed: Fuzzed, role: str) -> Outcome:
    """Every operation of the schema as `role`, each on its own: what answered 5xx, with the server's log."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_dict(fuzzed.schema)
    complete = {(op.method, op.path): op
                for op in (r.ok() for r in schemathesis.openapi.from_dict(fuzzed.complete).get_all_operations())}
    cookies = fuzzed.logins[role]
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "X-CSRFToken": cookies["csrftoken"]}
    session = requests.Session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # the role's login, as it was, throughout
    outcome = Outcome()
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.path.endswith("/logout"))  # what ends the login, last
    for operation in operations:
        key = f"{operation.method.upper()} {operation.path}"
        outcome.calls[key], outcome.answered[key] = 0, set()

        @settings(max_examples=examples_for(key, role), derandomize=SEED is None, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
        @given(case=st.one_of(operation.as_strategy(), complete[(operation.method, operation.path)].as_strategy()))
        def call(case: schemathesis.Case) -> None:
            outcome.calls[key] += 1
            # a client address of its own: the login throttle (8 failures an address) must not
            # answer for the login handlers (uvicorn takes X-Forwarded-For from 127.0.0.1)
            response = case.call_and_validate(
                base_url=fuzzed.server.url, session=session, headers={**headers, "X-Forwarded-For": fresh_address()},
                checks=[not_a_server_error], allow_redirects=False, timeout=60)
            to_login = any(urlsplit(where).path.endswith("/login") for where in response.headers.get("location", []))
            outcome.answered[key].add("login" if to_login else response.status_code)
            outcome.stale_tokens += response.status_code == 403 and "页面已过期" in response.text

        if SEED is not None:
            call = seed(int(SEED))(call)
        logged = len(fuzzed.server.output())
        try:
            call()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (schemathesis' FailureGroup is a
            # BaseExceptionGroup; each operation's failure is reported and the others still run)
            time.sleep(0.2)  # for the server's log of it
            log = server_log(fuzzed.server, logged)
            outcome.failures.append(f"{key} as {role}:\n{error}\n--- server log ---\n{log}")
    session.close()
    return outcome


@pytest.mark.parametrize("role", FUZZED_ROLES)
async def test_no_operation_answers_with_a_server_error(fuzzed, role):
    outcome = await asyncio.to_thread(run_operations, fuzzed, role)
    operations = sum(1 for item in fuzzed.schema["paths"].values() for method in item
                     if method in ("get", "post", "put", "patch", "delete"))
    handled = sorted(key for key, statuses in outcome.answered.items()
                     if statuses - {"login", 401, 403, 404, 415})  # past the guards to the handler's own answer
    allowed = allowed_operations(role) & set(outcome.calls)
    missed = sorted(allowed - set(handled))
    share = 1 - len(missed) / max(1, len(allowed))
    print(f"\n{role}: {len(outcome.calls)} operations, {sum(outcome.calls.values())} calls, "
          f"{len(handled)} answered beyond a guard or a 404, {share:.0%} of the {len(allowed)} the matrix lets "
          f"this role use; not reached: {', '.join(missed) or 'none'}")
    assert not outcome.failures, (f"{len(outcome.failures)} operations answered 5xx as {role}:\n\n"
                                  + "\n\n".join(outcome.failures))
    assert len(outcome.calls) == operations and all(outcome.calls.values())
    assert outcome.stale_tokens == 0, "the CSRF token was refused: the forms never reached their handlers"
    # The fuzzing must reach the handlers, not only the guards: of the operations this role may use,
    # most answer with the handler's own answer at least once (the rest: a session's never-ending
    # event stream, asked only for sessions that do not exist; a merge, an approval or a sitting's
    # move, a roster file kept for confirmation: drawn ids rarely meet a row in the right state).
    assert share >= REACHED_AT_LEAST, (f"{role}: only {share:.0%} of the operations it may use got past their "
                                       f"guards; never: {missed}")
