"""Who may call what: every route of the app against every role, compared with a table written
from the controllers' guards (web/auth.py: require_deputy, require_staff, require_screener; the
project pages' lifecycle.projects.check_access; the scrutiny and supervision membership checks).

The routes come from the app object (tests/security/routes.py), so a route added later with
no line in EXPECTED fails `test_every_route_has_an_expected_answer` until someone decides.

POSTs carry the CSRF token and an empty or deliberately incomplete form, so that an allowed
caller is refused by the rules (400/404/409) or, at most, repeats something harmless; what is
checked is that the guard let them through (PASS), or turned them away. Each role gets a world
of its own, so what one role's POSTs change never decides another role's answer.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from lifecycle.proposals import today
from tests.hall import csrf_of
from tests.security.routes import Route, all_routes, fill
from tests.security.world import ROLES, browser_as, build_world

# --- the answers ----------------------------------------------------------------------------

OK = "200"  # a GET that shows the page (or file); for a POST the same as PASS
PASS = "pass"  # through every guard: below 500, not 401/403, not sent to a login page
DENIED = "403"
UNAUTH = "401"  # the JSON API's "please log in" (problem details)
LOGIN_T = "→/tablet/login"
LOGIN_C = "→/console/login"
TO_TABLET = "→/tablet"
BAD = "400"  # refused as asked: an empty login, a used link
GONE = "404"

# `departments`: every government department's login, implementing (承办: department, other_department)
# or screening (初审: screener); an answer for one of them given after it overrides the group's.
GROUPS = {"deputies": ("deputy", "scrutineer", "counter", "group_lead"),
          "departments": ("department", "other_department", "screener"), "secretariats": ("secretariat", "admin")}


def by_role(**given: str) -> dict[str, str]:
    """An answer per role; `deputies`, `departments` and `secretariats` stand for their members.
    Every role must be given, so nothing is decided by a default."""
    answers: dict[str, str] = {}
    for key, answer in given.items():
        for role in GROUPS.get(key, (key,)):
            answers[role] = answer
    missing = set(ROLES) - set(answers)
    assert not missing, f"no answer for {sorted(missing)}"
    return answers


def everyone(answer: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, answer)


PUBLIC = everyone(OK)
DEPUTY = by_role(anonymous=LOGIN_T, deputies=OK, departments=LOGIN_T, secretariats=LOGIN_T)
DEPUTY_ONWARD = by_role(anonymous=LOGIN_T, deputies=PASS, departments=LOGIN_T, secretariats=LOGIN_T)
SCRUTINY = by_role(anonymous=LOGIN_T, deputy=DENIED, scrutineer=OK, counter=DENIED, group_lead=DENIED,
                   departments=LOGIN_T, secretariats=LOGIN_T)
# the counting desk: a deputy holding the session's counter role, never a secretariat account
COUNTER_DESK = by_role(anonymous=LOGIN_T, deputy=DENIED, scrutineer=DENIED, counter=OK, group_lead=DENIED,
                       departments=LOGIN_T, secretariats=LOGIN_T)
SCRUTINY_TEAM = by_role(anonymous=LOGIN_T, deputy=DENIED, scrutineer=OK, counter=OK, group_lead=DENIED,
                        departments=LOGIN_T, secretariats=LOGIN_T)
GROUP = by_role(anonymous=LOGIN_T, deputy=DENIED, scrutineer=DENIED, counter=DENIED, group_lead=OK,
                departments=LOGIN_T, secretariats=LOGIN_T)
STAFF = by_role(anonymous=LOGIN_C, deputies=LOGIN_C, departments=DENIED, secretariats=OK)
SCREENER = by_role(anonymous=LOGIN_C, deputies=LOGIN_C, departments=DENIED, screener=OK, secretariats=OK)
PROJECT_STAFF = by_role(anonymous=LOGIN_C, deputies=LOGIN_C, departments=OK, screener=DENIED, secretariats=OK)
OWN_PROJECT = by_role(anonymous=LOGIN_C, deputies=LOGIN_C, department=OK, other_department=DENIED, screener=DENIED,
                      secretariats=OK)
SECRETARIAT_ON_PROJECT = by_role(anonymous=LOGIN_C, deputies=LOGIN_C, departments=DENIED, secretariats=OK)
API_STAFF = by_role(anonymous=UNAUTH, deputies=UNAUTH, departments=DENIED, secretariats=OK)
API_DEPUTY = by_role(anonymous=UNAUTH, deputies=OK, departments=UNAUTH, secretariats=UNAUTH)

EXPECTED: dict[str, dict[str, str]] = {
    # the doors
    "GET /": everyone(TO_TABLET),
    "GET /healthz": PUBLIC,
    "GET /favicon.ico": PUBLIC,
    "GET /tablet/login": by_role(anonymous=OK, deputies=TO_TABLET, departments=OK, secretariats=OK),
    "POST /tablet/login": everyone(BAD),  # an empty code
    "GET /tablet/l/{token:str}": everyone(BAD),  # a link that was never issued
    "POST /tablet/logout": everyone(LOGIN_T),
    "GET /console/login": PUBLIC,
    "POST /console/login": everyone(BAD),  # an empty username and password
    "POST /console/logout": everyone(LOGIN_C),
    # the deputy's tablet (web/tablet.py)
    "GET /tablet": DEPUTY,
    "GET /tablet/status": DEPUTY,
    "POST /tablet/check-in": DEPUTY,
    "POST /tablet/text-size": DEPUTY,
    "POST /tablet/help": DEPUTY,
    "GET /tablet/fonts/{code:str}": PUBLIC,  # a second language's font (static/bilingual.css): not secret
    "GET /console/help": STAFF,
    "GET /console/help/waiting": STAFF,
    "POST /console/help/{request_id:int}/handled": STAFF,
    "GET /tablet/polls/{poll_id:int}": DEPUTY,
    "GET /tablet/polls/{poll_id:int}/done": DEPUTY_ONWARD,  # back to the ballot: this deputy has not voted
    "POST /tablet/polls/{poll_id:int}/cast": DEPUTY,
    "GET /tablet/propose": DEPUTY,
    "GET /tablet/results/{poll_id:int}": DEPUTY,  # web/tablet_results.py: a published result
    "POST /tablet/propose": DEPUTY,
    "GET /tablet/propose/done": by_role(anonymous=LOGIN_T, deputies=GONE, departments=LOGIN_T, secretariats=LOGIN_T),
    # the scrutiny team's pages (web/scrutiny_tablet.py): counters enter, scrutineers rule and confirm
    "GET /tablet/scrutiny": SCRUTINY_TEAM,
    "GET /tablet/scrutiny/polls/{poll_id:int}/entry": COUNTER_DESK,
    "POST /tablet/scrutiny/polls/{poll_id:int}/entry": COUNTER_DESK,
    "POST /tablet/scrutiny/polls/{poll_id:int}/rule": SCRUTINY,
    "POST /tablet/scrutiny/polls/{poll_id:int}/confirm": SCRUTINY,
    # supervision on the tablet (web/supervision.py): a group's members only; its photos are public records
    "GET /tablet/supervision": DEPUTY,
    "GET /tablet/supervision/projects/{project_id:int}": GROUP,
    "POST /tablet/supervision/projects/{project_id:int}/inspections": GROUP,
    "POST /tablet/supervision/projects/{project_id:int}/rectifications": GROUP,
    "POST /tablet/supervision/rectifications/{rect_id:int}/close": GROUP,
    "POST /tablet/supervision/rectifications/{rect_id:int}/send-back": GROUP,
    "GET /tablet/supervision/lots": GROUP,
    "POST /tablet/supervision/lots": GROUP,
    "GET /tablet/supervision/attachments/{sha256:str}": PUBLIC,
    # the secretariat's console (web/console.py, web/counting.py): secretariat and admin only
    "GET /console": STAFF,
    "POST /console/congresses": STAFF,
    "POST /console/terms": STAFF,
    "POST /console/sessions": STAFF,
    "GET /console/sessions/{session_id:int}": STAFF,
    "GET /console/sessions/{session_id:int}/attendance": STAFF,
    "GET /console/sessions/{session_id:int}/deputies": STAFF,
    "POST /console/sessions/{session_id:int}/deputies/{deputy_id:int}/check-in": STAFF,
    "POST /console/sessions/{session_id:int}/deputies/{deputy_id:int}/undo-check-in": STAFF,
    "POST /console/sessions/{session_id:int}/deputies/{deputy_id:int}/login-code": STAFF,
    "POST /console/sessions/{session_id:int}/login-cards": STAFF,
    "POST /console/sessions/{session_id:int}/scrutiny": STAFF,
    "GET /console/terms/{term_id:int}/import": STAFF,
    "POST /console/terms/{term_id:int}/import": STAFF,
    # the roster preview needs a kept upload's token, which only its own clerk has: without one, 404
    "GET /console/terms/{term_id:int}/import/preview": by_role(anonymous=LOGIN_C, deputies=LOGIN_C,
                                                               departments=DENIED, secretariats=GONE),
    "POST /console/terms/{term_id:int}/import/confirm": STAFF,
    "POST /console/terms/{term_id:int}/import/cancel": STAFF,
    "GET /console/import-template.xlsx": STAFF,
    "GET /console/import-template.csv": STAFF,
    "GET /console/sessions/{session_id:int}/polls/new": STAFF,
    "POST /console/sessions/{session_id:int}/polls": STAFF,
    "GET /console/polls/{poll_id:int}": STAFF,
    "GET /console/polls/{poll_id:int}/progress": STAFF,
    "GET /console/polls/{poll_id:int}/edit": STAFF,
    "POST /console/polls/{poll_id:int}/edit": STAFF,
    "POST /console/polls/{poll_id:int}/open": STAFF,
    "POST /console/sessions/{session_id:int}/sittings": STAFF,
    "POST /console/sittings/{sitting_id:int}/{move:str}": STAFF,
    "POST /console/approvals/{request_id:int}/{decision:str}": STAFF,
    "POST /console/polls/{poll_id:int}/key-ceremony": STAFF,
    "GET /console/polls/{poll_id:int}/count": STAFF,
    "POST /console/polls/{poll_id:int}/delete": STAFF,
    "GET /console/polls/{poll_id:int}/ballots.json": STAFF,
    "GET /console/polls/{poll_id:int}/result.json": STAFF,
    "POST /console/polls/{poll_id:int}/paper-ballots": STAFF,
    "GET /console/polls/{poll_id:int}/tally.pdf": STAFF,
    "GET /console/polls/{poll_id:int}/tally.html": STAFF,
    "GET /console/polls/{poll_id:int}/satisfaction.pdf": STAFF,
    "GET /console/polls/{poll_id:int}/satisfaction.html": STAFF,
    "POST /console/polls/{poll_id:int}/notices": STAFF,
    "GET /console/notices/{notice_id:int}/pdf": STAFF,
    "GET /console/notices/{notice_id:int}/html": STAFF,
    "GET /console/audit": STAFF,
    # notifications (web/notifications.py): a department reads and marks its own; the secretariat reads
    # everyone's and marks none (403); it alone sees the SMS outbox and runs the pass (harmless: nothing due)
    "GET /console/notifications": PROJECT_STAFF,
    "POST /console/notifications/read": by_role(anonymous=LOGIN_C, deputies=LOGIN_C, departments=PASS,
                                                screener=DENIED, secretariats=DENIED),
    "GET /console/sms": STAFF,
    "POST /console/sms/run": STAFF,
    "POST /tablet/notifications/read": DEPUTY,
    "GET /console/preflight": STAFF,
    "POST /console/polls/{poll_id:int}/paper/issue": STAFF,
    "POST /console/polls/{poll_id:int}/paper/exchange": STAFF,
    "POST /console/polls/{poll_id:int}/stop": STAFF,
    "GET /console/polls/{poll_id:int}/paper": STAFF,
    "POST /console/polls/{poll_id:int}/paper/unused": STAFF,
    "POST /console/polls/{poll_id:int}/paper/not-returned": STAFF,
    "POST /console/polls/{poll_id:int}/count": STAFF,
    "POST /console/polls/{poll_id:int}/confirmations": STAFF,
    "POST /console/polls/{poll_id:int}/publish": STAFF,
    "POST /console/polls/{poll_id:int}/runoff": STAFF,
    "POST /console/polls/{poll_id:int}/corrections": STAFF,
    # proposals (web/proposals.py): screening departments see the rounds, the list and each proposal
    "GET /console/rounds": SCREENER,
    "POST /console/rounds": STAFF,
    "GET /console/rounds/{round_id:int}/import": STAFF,
    "POST /console/rounds/{round_id:int}/import": STAFF,
    "GET /console/proposal-template.xlsx": STAFF,
    "GET /console/proposal-template.csv": STAFF,
    "GET /console/proposals": SCREENER,
    "GET /console/proposals/new": STAFF,
    "POST /console/proposals/new": STAFF,
    "GET /console/proposals/{proposal_id:int}": SCREENER,
    "POST /console/proposals/{proposal_id:int}/review": SCREENER,
    "POST /console/proposals/{proposal_id:int}/move": SCREENER,
    "POST /console/proposals/{proposal_id:int}/merge": SCREENER,
    "POST /console/proposals/{proposal_id:int}/meetings": SCREENER,
    "POST /console/proposals/{proposal_id:int}/contact": SCREENER,
    # Public only after a look: a screening department hides and corrects; releasing and showing again
    # are the secretariat's (the use cases refuse the screener: 403).
    "POST /console/proposals/{proposal_id:int}/hide": SCREENER,
    "POST /console/proposals/{proposal_id:int}/correct": SCREENER,
    "POST /console/proposals/{proposal_id:int}/attachments/{attachment_id:int}/hide": SCREENER,
    "GET /console/proposals/{proposal_id:int}/attachments/{attachment_id:int}": SCREENER,
    "POST /console/proposals/{proposal_id:int}/release": STAFF,
    "POST /console/proposals/{proposal_id:int}/unhide": STAFF,
    "POST /console/proposals/{proposal_id:int}/attachments/{attachment_id:int}/show": STAFF,
    "GET /console/sessions/{session_id:int}/candidates": STAFF,
    "POST /console/sessions/{session_id:int}/candidates": STAFF,
    "POST /console/sessions/{session_id:int}/candidates/{proposal_id:int}/remove": STAFF,
    "POST /console/sessions/{session_id:int}/candidates/{proposal_id:int}/shift": STAFF,
    "POST /console/sessions/{session_id:int}/candidates/poll": STAFF,
    # projects (web/projects_console.py): a department only its own; decisions are the standing committee's
    "GET /console/projects": PROJECT_STAFF,
    "GET /console/projects/{project_id:int}": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/plan": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/plan/submit": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/plan/return": SECRETARIAT_ON_PROJECT,
    "POST /console/projects/{project_id:int}/move": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/reports": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/decisions": SECRETARIAT_ON_PROJECT,
    "GET /console/project-attachments/{sha256:str}": OWN_PROJECT,
    "GET /console/departments": STAFF,
    "POST /console/departments": STAFF,
    "POST /console/departments/staff": STAFF,
    "POST /console/congresses/{congress_id:int}/thresholds": STAFF,
    # 双语 (web/translations_console.py): the secretariat sets the language, its translation office enters texts
    "GET /console/translations": STAFF,
    "GET /console/congresses/{congress_id:int}/translations": STAFF,
    "POST /console/congresses/{congress_id:int}/translations/language": STAFF,  # empty: no language, as before
    "POST /console/congresses/{congress_id:int}/translations": STAFF,
    "GET /console/congresses/{congress_id:int}/translations.xlsx": by_role(anonymous=LOGIN_C, deputies=LOGIN_C,
                                                                          departments=DENIED, secretariats=BAD),
    "POST /console/congresses/{congress_id:int}/translations/import": STAFF,
    # supervision in the console: a department answers on its own projects; the secretariat runs it
    "GET /console/supervision": PROJECT_STAFF,
    "GET /console/supervision/projects/{project_id:int}": OWN_PROJECT,
    "POST /console/supervision/projects/{project_id:int}/group": STAFF,
    "POST /console/supervision/rectifications/{rect_id:int}/reply": OWN_PROJECT,
    "POST /console/supervision/rectifications/{rect_id:int}/close": STAFF,
    "POST /console/supervision/rectifications/{rect_id:int}/send-back": STAFF,
    "POST /console/supervision/lots": STAFF,
    # after the vote (web/acceptance.py)
    "GET /console/projects/{project_id:int}/acceptance": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/acceptance": STAFF,
    "GET /console/projects/{project_id:int}/acceptance/{acceptance_id:int}/certificate/html": OWN_PROJECT,
    "GET /console/projects/{project_id:int}/acceptance/{acceptance_id:int}/certificate/pdf": OWN_PROJECT,
    "GET /console/projects/{project_id:int}/maintenance": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/maintenance/custodians": OWN_PROJECT,
    "POST /console/projects/{project_id:int}/maintenance/log": OWN_PROJECT,
    "GET /console/evaluations": STAFF,
    "POST /console/evaluations": STAFF,
    "POST /console/evaluations/{poll_id:int}/correction": STAFF,
    # the dashboard (web/dashboard.py): departments see their own figures; participation records are staff's
    "GET /console/dashboard": PROJECT_STAFF,
    "GET /console/dashboard/bulletin.pdf": PROJECT_STAFF,
    "GET /console/dashboard/bulletin.html": PROJECT_STAFF,
    "GET /console/deputies/{deputy_id:int}/record": STAFF,
    "GET /console/terms/{term_id:int}/participation": STAFF,
    "GET /console/terms/{term_id:int}/participation.xlsx": STAFF,
    # the public (web/public.py) and the hall's screen (web/screen.py): no login
    "GET /public": PUBLIC,
    "GET /public/propose": PUBLIC,
    "POST /public/propose": PUBLIC,  # an empty form: refused as incomplete (400), never a login
    "GET /public/propose/done": PUBLIC,
    "GET /public/track": PUBLIC,
    "POST /public/notifications/read": everyone(GONE),  # no tracking code: no proposal, nothing marked
    "GET /public/proposals": PUBLIC,
    "GET /public/proposals/{code:str}": PUBLIC,
    "GET /public/projects": PUBLIC,
    "GET /trust": PUBLIC,  # how a tablet installs the hall's authority: public by design
    "GET /trust/ca.crt": everyone(GONE),  # public; 404 here, where the hall server made no certificates
    "GET /public/projects/{code:str}": PUBLIC,
    "GET /public/projects/{code:str}/files/{sha256:str}": PUBLIC,
    "GET /public/attachments/{sha256:str}": PUBLIC,
    # the open-data feed (web/open_data.py): what the public pages show, as JSON and CSV
    "GET /public/data": PUBLIC,
    **{f"GET /public/data/{dataset}{suffix}": PUBLIC for dataset in ("proposals", "candidate-lists", "results", "projects")
       for suffix in ("", ".csv")},
    "GET /screen/sessions/{session_id:int}": PUBLIC,
    "GET /screen/sessions/{session_id:int}/state": PUBLIC,
    # An event stream never ends by itself; asked for a session that does not exist it answers 404 at
    # once (its stream is tested over real HTTP in tests/web/test_screen.py).
    "GET /screen/sessions/{session_id:int}/events": everyone(GONE),
    # the JSON API (web/api.py): 401/403 as problem details, never a redirect
    "POST /api/tablet/login": everyone(BAD),
    "POST /api/tablet/check-in": API_DEPUTY,
    "POST /api/polls/{poll_id:int}/ballot": API_DEPUTY,
    "GET /api/polls/{poll_id:int}/ballot": API_DEPUTY,
    "GET /api/polls/{poll_id:int}/progress": API_STAFF,
    "GET /api/polls/{poll_id:int}/result": API_STAFF,
    "POST /api/staff/login": everyone(BAD),
    "GET /api/rehearsals": API_STAFF,
    "POST /api/rehearsals": API_STAFF,
    "POST /api/rehearsals/{congress_id:int}/polls": API_STAFF,
    "DELETE /api/rehearsals/{congress_id:int}": API_STAFF,
    "POST /api/rehearsals/{congress_id:int}/outcome": API_STAFF,
    "POST /api/polls/{poll_id:int}/key-ceremony": API_STAFF,
    "POST /api/polls/{poll_id:int}/open": API_STAFF,
    "POST /api/polls/{poll_id:int}/close": API_STAFF,
}

# What the POSTs send besides the CSRF token: enough to get past the form's own parsing to the
# permission check where the check comes after it, never enough for a valid change.
LATER = str(today() + timedelta(days=10))
FORMS: dict[str, dict[str, str]] = {
    "POST /tablet/polls/{poll_id:int}/cast": {"sealed": "not-a-box", "login": "another-login"},
    "POST /tablet/supervision/projects/{project_id:int}/rectifications": {"request": "", "due_on": LATER},
    "POST /tablet/supervision/lots": {"year": "1999", "count": "1"},
    "POST /console/sessions/{session_id:int}/login-cards": {"delegation": "987654321"},
    "POST /console/projects/{project_id:int}/decisions": {"decided_on": str(today()), "kind": "adjust"},
    "POST /console/projects/{project_id:int}/maintenance/custodians": {"since": str(today())},
    "POST /console/projects/{project_id:int}/maintenance/log": {"on": str(today())},
}
QUERIES = {  # what a page is asked for besides its path
    "GET /public/propose/done": lambda world: {"code": world.proposal_code},
    "GET /public/track": lambda world: {"code": world.project["code"]},  # chosen by the vote: its proposer was told
    "GET /console/dashboard/bulletin.pdf": lambda world: {"congress": world.hall.congress_id},
    "GET /console/dashboard/bulletin.html": lambda world: {"congress": world.hall.congress_id},
    "GET /console/dashboard": lambda world: {"congress": world.hall.congress_id},
}


def answer_of(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return "→" + urlsplit(response.headers.get("location", "")).path
    return str(response.status_code)


def matches(expected: str, got: str, method: str) -> bool:
    if expected == OK and method == "GET":
        return got == "200"
    if expected in (OK, PASS):
        return not got.startswith("5") and got not in (UNAUTH, DENIED) and not got.endswith("/login")
    return got == expected


def ordered(routes: list[Route]) -> list[Route]:
    """Pages first, then the forms, the logouts last (they end the browser's login)."""
    return sorted(routes, key=lambda r: (r.method != "GET", r.path.endswith("/logout")))


async def call(client, route: Route, world) -> str:
    url = fill(route, world)
    if route.method == "GET":
        return answer_of(await client.get(url, params=QUERIES[route.key](world) if route.key in QUERIES else None))
    if route.path.startswith("/api/"):
        return answer_of(await client.request(route.method, url, json={} if route.method != "DELETE" else None))
    form = {"_csrf_token": csrf_of(client), **FORMS.get(route.key, {})}
    return answer_of(await client.request(route.method, url, data=form))


def test_every_route_has_an_expected_answer():
    keys = {route.key for route in all_routes()}
    unknown = sorted(keys - set(EXPECTED))
    assert not unknown, ("routes with no line in EXPECTED (decide who may call them):\n  " + "\n  ".join(unknown))
    stale = sorted(set(EXPECTED) - keys)
    assert not stale, "EXPECTED names routes the app no longer has:\n  " + "\n  ".join(stale)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_the_expected_answer_from_every_route(role):
    world = await build_world()
    client = await browser_as(world, role)
    wrong, errors = [], []
    try:
        for route in ordered(all_routes()):
            expected = EXPECTED.get(route.key)
            if expected is None:
                continue  # reported by test_every_route_has_an_expected_answer
            got = await call(client, route, world)
            if got.startswith("5"):
                errors.append(f"{route.key}: {got}")
            elif not matches(expected[role], got, route.method):
                wrong.append(f"{route.key}: expected {expected[role]}, got {got}")
    finally:
        await client.aclose()
    assert not errors, f"server errors as {role}:\n  " + "\n  ".join(errors)
    assert not wrong, f"unexpected answers as {role}:\n  " + "\n  ".join(wrong)


# --- two holes the matrix found or pointed at ------------------------------------------------


async def test_a_photo_shared_by_two_projects_is_served_to_each_projects_department():
    """Uploads are stored by content: the same photo in two projects is one file with two rows.
    Each department gets it for its own project (the first row found used to decide alone)."""
    first, second = await build_world(), await build_world()  # lived_project files the same photo in each
    assert first.report_photo == second.report_photo
    for world in (first, second):
        client = await browser_as(world, "department")
        try:
            served = await client.get(f"/console/project-attachments/{world.report_photo}")
            assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        finally:
            await client.aclose()
    stranger = await browser_as(first, "other_department")
    try:
        assert (await stranger.get(f"/console/project-attachments/{first.report_photo}")).status_code == 403
    finally:
        await stranger.aclose()


async def test_another_departments_report_is_refused_before_its_photos_are_stored():
    from lifecycle import uploads
    from tests.web.test_public_project import photo

    world = await build_world()
    client = await browser_as(world, "other_department")
    picture = photo((201, 7, 99), (64, 64))
    try:
        response = await client.post(
            f"/console/projects/{world.project['id']}/reports",
            data={"_csrf_token": csrf_of(client), "period": "十二月", "filed_on": str(today()), "spent_wan": "1",
                  "narrative": "冒充承办部门报送的进度。"},
            files=[("photos", ("冒充.png", picture, "image/png"))])
    finally:
        await client.aclose()
    assert response.status_code == 403, response.text[:300]
    import hashlib

    assert hashlib.sha256(picture).hexdigest() not in await uploads.stored_hashes()
