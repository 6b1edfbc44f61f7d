"""Who is asking: the login cookie, resolved once per request, and guards per audience."""

from __future__ import annotations

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token

from config import settings
from lifecycle import notifications, projects
from lifecycle.proposals import Who
from voting import accounts, help_requests, translations
from voting.accounts import Viewer

COOKIE = "piaojue_login"


class LoginRequired(NotAuthorizedException):
    """Raised on a page that needs a login; pages redirect, the API answers 401."""

    def __init__(self, audience: str) -> None:
        super().__init__(detail="请先登录。")
        self.audience = audience


def login_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


async def viewer_of(request: Request) -> Viewer | None:
    if "viewer" not in request.state:
        request.state.viewer = await accounts.viewer_for_token(login_token(request))
    return request.state.viewer


async def require_deputy(request: Request) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None or viewer.kind != "deputy":
        raise LoginRequired("tablet")
    if request.method == "GET":  # the tablet's pages in the congress's second language too (web.pages.page)
        request.state.bi = await translations.for_term(viewer.term_id)
    return viewer


async def require_staff(request: Request) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None or viewer.kind != "staff":
        raise LoginRequired("console")
    if viewer.role not in ("secretariat", "admin"):
        raise PermissionDeniedException(detail="您没有权限进行此操作。")
    if request.url.path.startswith("/console") and not request.headers.get("hx-request"):
        # the menu's 请求协助 count (web.pages.page): full console pages only, not their polled parts
        request.state.help_waiting = await help_requests.waiting_count()
    return viewer


async def _staff_in(request: Request, roles: tuple[str, ...], refusal: str) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None or viewer.kind != "staff":
        raise LoginRequired("console")
    if viewer.role not in roles:
        raise PermissionDeniedException(detail=refusal)
    return viewer


async def require_screener(request: Request) -> Viewer:
    """Staff who screen proposals: a screening department (初审部门) or the secretariat. An
    implementing department never sees the proposal pool or the proposers."""
    return await _staff_in(request, ("screener", "secretariat", "admin"),
                           "建议征集和初审由初审部门和秘书处办理，承办部门只处理本部门承办的项目。")


async def require_project_staff(request: Request) -> Viewer:
    """Staff who carry out projects: an implementing department (承办部门, its own projects only,
    checked by lifecycle.projects.check_access) or the secretariat. A department's unread
    notifications are counted for its menu (web.pages.page), on every page it can open."""
    viewer = await _staff_in(request, ("department", "secretariat", "admin"),
                             "项目实施和监督由承办部门和秘书处办理，初审部门只办理建议初审。")
    if viewer.role == "department":
        department = await projects.department_of(viewer.id)
        request.state.unread_notifications = await notifications.unread("department", department) \
            if department is not None else 0
    return viewer


STAFF_HOMES = {"department": "/console/projects", "screener": "/console/rounds"}  # else /console


def return_to(asked: str | None, area: str) -> str:
    """Where to go back to after logging in: `asked` if it is a page of this site under `area`
    ("/console" or "/tablet"), else "". Never another site ("//host", "https:"), never a
    backslash or control character (browsers read "/\\host" as another site), never the login page."""
    if not asked or len(asked) > 500 or not (asked == area or asked.startswith(area + "/")):
        return ""
    if "//" in asked or "\\" in asked or any(ord(c) < 0x20 or ord(c) == 0x7F for c in asked):
        return ""
    if asked.split("?", 1)[0].rstrip("/") == area + "/login":
        return ""
    return asked


def who_of(viewer: Viewer) -> Who:
    """The viewer as lifecycle sees them: the audit actor and their role."""
    return Who(viewer.actor, "deputy" if viewer.kind == "deputy" else viewer.role)


def csrf_config() -> CSRFConfig:
    """Forms carry a token that matches a cookie (double submit), signed with the server key."""
    return CSRFConfig(secret=accounts.server_key().decode(), exclude=["/api/", "/healthz"], cookie_samesite="lax",
                      cookie_secure=settings().secure_cookies)


def _fresh_csrf_cookie() -> Cookie:
    """A new form token: every form a page showed before this moment is refused from now on."""
    config = csrf_config()
    return Cookie(key=config.cookie_name, value=generate_csrf_token(config.secret), path=config.cookie_path,
                  samesite=config.cookie_samesite, httponly=config.cookie_httponly, secure=config.cookie_secure)


def login_cookies(token: str, *, deputy: bool) -> list[Cookie]:
    """What a login hands the browser: its login cookie, and everything tied to the previous
    holder of the device renewed (the form token). So a form shown to the deputy before,
    replayed by the back button or sent from another tab, is refused under this login."""
    lifetime = accounts.DEPUTY_SESSION if deputy else accounts.STAFF_SESSION
    return [Cookie(key=COOKIE, value=token, httponly=True, samesite="lax", path="/",
                   secure=settings().secure_cookies, max_age=int(lifetime.total_seconds())),
            _fresh_csrf_cookie()]


def logout_cookies() -> list[Cookie]:
    """What a logout hands the browser: no login, a new form token."""
    return [Cookie(key=COOKIE, value="", httponly=True, samesite="lax", path="/", max_age=0),
            _fresh_csrf_cookie()]


def login_tag(login_token: str | None) -> str:
    """A short keyed tag of the login a page was made under (not the token itself): a form carries
    it, and one sent under another login (the tablet handed on) is refused."""
    return accounts.keyed_hash("login-tag:" + login_token)[:24] if login_token else ""


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
