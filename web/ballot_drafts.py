"""A ballot being filled in on a tablet, between 下一步 and 确认投票: kept on the tablet itself.

The tablet passes from deputy to deputy, so no page that shows marks may ever be rebuilt from
a form the browser could send again (the back button's "Confirm Form Resubmission"). The
ballot and review steps therefore post, then redirect to a plain page (post-redirect-get),
and the marks in between live in one signed cookie that:

- names the poll and the login it was made under (a keyed tag of the login token), so it is
  worth nothing under any other login, and a form sent with it must carry its random nonce;
- is sent only to the ballot's own pages (path /tablet/polls), is never readable by script,
  lasts only as long as the browser runs, and is emptied when the ballot is cast, at logout
  and at every login;
- never reaches the database, a log or another machine: the server reads it and forgets it.

Nothing here decides whether marks are valid or whether a ballot goes in: the ballot box does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import Cookie

from config import settings
from voting.accounts import keyed_hash, server_key

COOKIE = "piaojue_ballot"
PATH = "/tablet/polls"
MAX_MARKS = 200  # more candidates than any ballot has; a cookie past this is not ours


@dataclass(frozen=True)
class Draft:
    poll_id: int
    nonce: str
    marks: dict[str, str]


def login_tag(login_token: str | None) -> str:
    """A short keyed tag of the login a page or a draft was made under (not the token itself)."""
    return keyed_hash("login-tag:" + login_token)[:24] if login_token else ""


def _signature(body: str) -> str:
    return hmac.new(server_key(), ("ballot-draft:" + body).encode(), hashlib.sha256).hexdigest()


def draft_cookie(poll_id: int, marks: dict[str, str], login_token: str | None) -> tuple[Cookie, Draft]:
    """The cookie that keeps these marks for this login, and the draft it holds."""
    draft = Draft(poll_id, secrets.token_urlsafe(12), {str(k): str(v) for k, v in marks.items()})
    body = base64.urlsafe_b64encode(json.dumps(
        {"p": poll_id, "l": login_tag(login_token), "n": draft.nonce, "m": draft.marks},
        ensure_ascii=False, separators=(",", ":")).encode()).decode()
    return Cookie(key=COOKIE, value=f"{body}.{_signature(body)}", path=PATH, httponly=True, samesite="strict",
                  secure=settings().secure_cookies), draft


def cleared_cookie() -> Cookie:
    return Cookie(key=COOKIE, value="", path=PATH, httponly=True, samesite="strict", max_age=0,
                  secure=settings().secure_cookies)


def read_draft(request: Request, poll_id: int, login_token: str | None) -> Draft | None:
    """The marks kept for this poll under this very login, or None (none kept, another poll's,
    another login's, or not signed by this server)."""
    value = request.cookies.get(COOKIE) or ""
    body, _, signature = value.partition(".")
    if not body or not hmac.compare_digest(signature, _signature(body)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
        marks = data["m"]
        if not isinstance(marks, dict) or len(marks) > MAX_MARKS:
            return None
        if data["p"] != poll_id or not login_token or not hmac.compare_digest(str(data["l"]), login_tag(login_token)):
            return None
        return Draft(poll_id, str(data["n"]), {str(k): str(v) for k, v in marks.items()})
    except (ValueError, KeyError, TypeError):
        return None
