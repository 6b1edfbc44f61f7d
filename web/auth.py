"""Who is asking: the login cookie, resolved once per request, and guards per audience."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from config import settings
from lifecycle.proposals import Who
from voting import accounts
from voting.accounts import Viewer

COOKIE = "piaojue_login"


class LoginRequired(NotAuthorizedException):
    """Raised on a page that needs a login; pages redirect, the API answers 401."""

    def __init__(self, audience: str) -> None:
        super().__init__(detail="请先登录。")
        self.audience = audience


async def viewer_of(request: Request) -> Viewer | None:
    if "viewer" not in request.state:
        request.state.viewer = await accounts.viewer_for_token(request.cookies.get(COOKIE))
    return request.state.viewer


async def require_deputy(request: Request) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None or viewer.kind != "deputy":
        raise LoginRequired("tablet")
    return viewer


async def require_staff(request: Request) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None or viewer.kind != "staff":
        raise LoginRequired("console")
    if viewer.role not in ("secretariat", "admin"):
        raise PermissionDeniedException(detail="您没有权限进行此操作。")
    return viewer


async def require_screener(request: Request) -> Viewer:
    """Staff who screen proposals: a reviewing department (审查部门) or the secretariat."""
    viewer = await viewer_of(request)
    if viewer is None or viewer.kind != "staff":
        raise LoginRequired("console")
    if viewer.role not in ("department", "secretariat", "admin"):
        raise PermissionDeniedException(detail="您没有权限进行此操作。")
    return viewer


def who_of(viewer: Viewer) -> Who:
    """The viewer as lifecycle sees them: the audit actor and their role."""
    return Who(viewer.actor, "deputy" if viewer.kind == "deputy" else viewer.role)


def login_cookie(token: str, *, deputy: bool) -> Cookie:
    lifetime = accounts.DEPUTY_SESSION if deputy else accounts.STAFF_SESSION
    return Cookie(key=COOKIE, value=token, httponly=True, samesite="lax", path="/",
                  secure=settings().secure_cookies, max_age=int(lifetime.total_seconds()))


def logout_cookie() -> Cookie:
    return Cookie(key=COOKIE, value="", httponly=True, samesite="lax", path="/", max_age=0)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
