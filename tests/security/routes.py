"""Every route of the app, read from the app object, with its path parameters filled from a `World`.

A route added later is picked up here by itself; the authorization matrix then fails until
someone writes down who may call it (tests/security/test_authorization_matrix.EXPECTED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.security.world import World

SKIPPED_PREFIXES = ("/static", "/schema")  # files on disk; Litestar's own OpenAPI pages
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"\{(\w+):(\w+)\}")
MISSING = 987654321  # an id nothing has


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template, e.g. /console/polls/{poll_id:int}

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[tuple[str, str]]:
        return PARAM.findall(self.path)


def all_routes() -> list[Route]:
    from app import app

    found = set()
    for route in app.routes:
        if route.path.startswith(SKIPPED_PREFIXES):
            continue
        for method in getattr(route, "methods", ()):
            if method in METHODS:
                found.add(Route(method, route.path))
    return sorted(found, key=lambda r: (r.path, r.method))


def param_value(route: Route, name: str, world: World) -> str:
    """The id (or code, hash) of a real object for each path parameter; a route may need a
    particular one (a draft poll to edit, a counted one for its tally sheet)."""
    path = route.path
    if name == "poll_id":
        if path.endswith(("/edit",)) and route.method == "GET":
            return str(world.draft_poll)
        if path.endswith(("/tally.pdf", "/tally.html", "/result.json", "/ballots.json", "/result")):
            return str(world.closed_poll)
        if path.endswith(("/satisfaction.pdf", "/satisfaction.html", "/correction")):
            return str(world.satisfaction_poll)
        if path.startswith(("/tablet/scrutiny", "/tablet/results")):  # a published result
            return str(world.closed_poll)
        return str(world.open_poll)
    if name == "session_id":
        return str(MISSING) if path.endswith("/events") else str(world.hall.session_id)
    if name == "code":
        if path.startswith("/tablet/fonts"):
            return "bo.ttf"
        return world.proposal_code if path.startswith("/public/proposals") else world.project["code"]
    if name == "sha256":
        if path.startswith("/public/attachments"):
            return world.proposal_photo
        if path.startswith("/tablet/supervision"):
            return world.site_photo
        return world.report_photo
    simple = {
        "deputy_id": world.bystander, "term_id": world.hall.term_id, "notice_id": world.notice,
        "round_id": world.round_id, "proposal_id": world.proposal_id, "attachment_id": world.proposal_attachment, "project_id": world.project["id"],
        "congress_id": world.hall.congress_id, "rect_id": world.rectification, "acceptance_id": world.acceptance,
        "token": "not-a-login-link-token",
        "sitting_id": world.hall.sitting_id, "move": "open",  # already open: refused, nothing moves
        "request_id": MISSING, "decision": "withdraw",
    }
    if name not in simple:
        raise KeyError(f"{route.key}: no value for path parameter {name!r}; add one to tests/security/routes.py")
    return str(simple[name])


def fill(route: Route, world: World) -> str:
    return PARAM.sub(lambda m: param_value(route, m.group(1), world), route.path)
