"""Who may use the system: secretariat accounts, deputies' login codes and links,
login sessions that survive restarts, and throttling of guesses.

Secrets are never stored: passwords as scrypt hashes (computed off the event loop),
login codes, links and session tokens as keyed hashes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import anyio

from config import settings
from voting import audit
from voting.audit import Actor
from voting.coalesce import Coalesced
from voting.database import fetch, is_sqlite, write_transaction
from voting.errors import Refused, Throttled
from voting.group_commit import writer
from voting.tables import Deputy, LoginFailure, LoginLink, LoginSession, StaffAccount

STAFF_SESSION = timedelta(hours=12)
DEPUTY_SESSION = timedelta(days=5)
LOGIN_LINK_LIFETIME = timedelta(days=7)
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FAILURES = 8
LOGIN_CODE_DIGITS = 8
T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def server_key() -> bytes:
    """The key for hashing codes and tokens: PIAOJUE_SECRET, else a file in the data directory."""
    configured = os.environ.get("PIAOJUE_SECRET")
    if configured:
        return configured.encode()
    return _key_file(settings().data_dir / "secret.key")


@functools.lru_cache(maxsize=8)
def _key_file(path: Path) -> bytes:
    """Read once per process (every request hashes its cookie with it); made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def keyed_hash(secret: str) -> str:
    return hmac.new(server_key(), secret.encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def new_login_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(LOGIN_CODE_DIGITS))


def format_code(code: str) -> str:
    return f"{code[:4]} {code[4:]}"


# --- passwords -------------------------------------------------------------------

def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


async def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = await anyio.to_thread.run_sync(_scrypt, password, salt)
    return f"scrypt${salt.hex()}${digest.hex()}"


async def password_matches(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    digest = await anyio.to_thread.run_sync(_scrypt, password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(digest.hex(), digest_hex)


# --- who is logged in --------------------------------------------------------------

# 承办部门 (department) carry out their own projects; 初审部门 (screener) screen proposals. They are
# different people with different needs to know (lifecycle.stages.ROLES).
STAFF_ROLES = {"secretariat": "秘书处", "admin": "管理员", "department": "承办部门", "screener": "初审部门"}


@dataclass(frozen=True)
class Viewer:
    """The person behind a request."""

    kind: str  # staff | deputy
    id: int
    name: str
    role: str  # secretariat | admin | deputy
    term_id: int | None = None
    delegation: str = ""
    number: str = ""
    large_text: bool = False  # a deputy's 大字 on the tablet

    @property
    def actor(self) -> Actor:
        if self.kind == "deputy":
            return Actor("deputy", self.id, f"代表 {self.number} {self.name}")
        return Actor("staff", self.id, f"{STAFF_ROLES.get(self.role, '秘书处')} {self.name}")


async def _guarded(client: str, lookup: Callable[[], Awaitable[T | None]]) -> T | None:
    """Look a secret up under the guessing limit; None (and a failure on record) if it is wrong.

    The count, the lookup and the recording of a failure are one serialised step (a
    per-client advisory lock on PostgreSQL, the single writer on SQLite), so guesses
    sent all at once are held to the same limit as guesses sent one after another.
    """
    async with write_transaction():
        if not is_sqlite():
            await fetch("SELECT pg_advisory_xact_lock(hashtext({}))", f"login:{client}")
        since = _now() - THROTTLE_WINDOW
        failures = await LoginFailure.count().where((LoginFailure.client == client) & (LoginFailure.at > since))
        if failures >= THROTTLE_FAILURES:
            raise Throttled("尝试次数过多，请 15 分钟后再试，或请秘书处工作人员协助。", code="throttled")
        found = await lookup()
        if found is None:
            await LoginFailure.insert(LoginFailure(client=client))
    return found


async def _record_failure(client: str, who: str) -> None:
    async with write_transaction():
        await audit.record(Actor.system(), "login_failed", subject=who, detail={"client": client})


async def _open_session(staff_id: int | None, deputy_id: int | None, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    await LoginSession.insert(LoginSession(
        token_hash=keyed_hash(token), staff=staff_id, deputy=deputy_id, expires_at=_now() + lifetime))
    return token


async def staff_login(username: str, password: str, client: str) -> tuple[str, Viewer]:
    async def check() -> StaffAccount | None:
        account = await StaffAccount.objects().where(
            (StaffAccount.username == username.strip()) & (StaffAccount.active == True)  # noqa: E712
        ).first()
        if account is None or not await password_matches(password, account.password_hash):
            return None
        return account

    account = await _guarded(client, check)
    if account is None:
        await _record_failure(client, f"账号 {username.strip()[:40]}")
        raise Refused("用户名或密码不正确。", code="bad_credentials")
    viewer = Viewer("staff", account.id, account.display_name, account.role)
    async with write_transaction():
        token = await _open_session(account.id, None, STAFF_SESSION)
        await audit.record(viewer.actor, "login", subject="秘书处控制台", detail={"client": client})
    return token, viewer


async def _deputy_viewer(deputy_id: int) -> Viewer | None:
    row = await Deputy.select(
        Deputy.id, Deputy.name, Deputy.number, Deputy.term, Deputy.delegation.name, Deputy.active, Deputy.large_text
    ).where(Deputy.id == deputy_id).first()
    if row is None or not row["active"]:
        return None
    return Viewer("deputy", row["id"], row["name"], "deputy", row["term"], row["delegation.name"], row["number"],
                  bool(row["large_text"]))


async def set_large_text(viewer: Viewer, on: bool) -> None:
    """A deputy's choice of 大字 on the tablet: kept with them, so it follows them to any tablet.
    A display preference, not a step of the vote: it is not in the audit log."""
    async with write_transaction():
        await Deputy.update({Deputy.large_text: on}).where(Deputy.id == viewer.id)


async def deputy_login(code: str, client: str) -> tuple[str, Viewer]:
    digits = normalise_code(code)

    async def check() -> dict | None:
        if len(digits) != LOGIN_CODE_DIGITS:
            return None
        return await Deputy.select(Deputy.id).where(
            (Deputy.login_code_hash == keyed_hash(digits)) & (Deputy.active == True)  # noqa: E712
        ).first()

    deputy = await _guarded(client, check)
    if deputy is None:
        await _record_failure(client, "代表登录码")
        if len(digits) != LOGIN_CODE_DIGITS:
            raise Refused(f"登录码是 {LOGIN_CODE_DIGITS} 位数字，请核对登录卡后重新输入。", code="bad_code")
        raise Refused("登录码不正确，请核对登录卡后重新输入。", code="bad_code")
    return await _deputy_session(deputy["id"], client, "登录码")


async def _deputy_session(deputy_id: int, client: str, how: str) -> tuple[str, Viewer]:
    viewer = await _deputy_viewer(deputy_id)
    if viewer is None:
        raise Refused("该代表账号已停用，请联系秘书处。", code="inactive")

    async def open_session() -> str:
        token = await _open_session(None, deputy_id, DEPUTY_SESSION)
        await audit.record(viewer.actor, "login", subject=f"代表平板（{how}）", detail={"client": client})
        return token

    # A hall's tablets log in within a minute: their sessions share commits (voting.group_commit).
    return await writer.run(open_session), viewer


async def link_login(token: str, client: str) -> tuple[str, Viewer]:
    async def check() -> int | None:
        rows = await LoginLink.update({LoginLink.used: True}).where(
            (LoginLink.token_hash == keyed_hash(token)) & (LoginLink.used == False)  # noqa: E712
            & (LoginLink.expires_at > _now())
        ).returning(LoginLink.deputy)
        return rows[0]["deputy"] if rows else None

    deputy_id = await _guarded(client, check)
    if deputy_id is None:
        await _record_failure(client, "一次性登录链接")
        raise Refused("这个登录链接已使用或已过期，请输入登录卡上的登录码。", code="bad_link")
    return await _deputy_session(deputy_id, client, "一次性链接")


async def _sessions(token_hashes: list[str]) -> dict[str, dict]:
    """Login sessions by keyed hash, with their deputy and delegation, or their staff account."""
    rows = await fetch(
        "SELECT s.token_hash, s.staff, s.deputy, s.expires_at, d.name AS deputy_name, d.number AS deputy_number, "
        "d.term AS deputy_term, d.active AS deputy_active, d.large_text AS deputy_large_text, g.name AS delegation_name, "
        "a.display_name AS staff_name, a.role AS staff_role, a.active AS staff_active "
        "FROM login_session s LEFT JOIN deputy d ON d.id = s.deputy LEFT JOIN delegation g ON g.id = d.delegation "
        f"LEFT JOIN staff_account a ON a.id = s.staff WHERE s.token_hash IN ({', '.join(['{}'] * len(token_hashes))})",
        *token_hashes)
    return {row["token_hash"]: row for row in rows}


_session_reader: Coalesced[str, dict] = Coalesced(_sessions)


async def viewer_for_token(token: str | None) -> Viewer | None:
    """Who holds this login token, if it is current and their account active.

    Every request of every tablet asks this, so requests that ask together share one
    query (voting.coalesce); each still reads the session as it is now."""
    if not token:
        return None
    row = await _session_reader.get(keyed_hash(token))
    if row is None or row["expires_at"] <= _now():
        return None
    if row["deputy"] is not None:
        if not row["deputy_active"] or row["deputy_name"] is None:
            return None
        return Viewer("deputy", row["deputy"], row["deputy_name"], "deputy", row["deputy_term"],
                      row["delegation_name"], row["deputy_number"], bool(row["deputy_large_text"]))
    if row["staff"] is None or not row["staff_active"] or row["staff_name"] is None:
        return None
    return Viewer("staff", row["staff"], row["staff_name"], row["staff_role"])


async def logout(token: str | None, viewer: Viewer | None) -> None:
    if not token:
        return
    async with write_transaction():
        await LoginSession.delete().where(LoginSession.token_hash == keyed_hash(token))
        if viewer is not None:
            await audit.record(viewer.actor, "logout")


async def issue_login_codes(deputy_ids: list[int], actor: Actor, reason: str = "") -> dict[int, tuple[str, str]]:
    """Fresh login codes and one-time link tokens; any earlier code or link stops working.

    Returns {deputy id: (code, link token)}. The caller shows them once; only keyed
    hashes are kept.
    """
    issued: dict[int, tuple[str, str]] = {}
    async with write_transaction():
        if not is_sqlite():
            # One issuer at a time (SQLite has one writer anyway). Two clerks, or two rehearsals on
            # two app workers, issuing at once each checked only the codes committed before either
            # began: drawing the same code, the second hit the unique index on the hash and its whole
            # issue failed with a server error. Seen as a 500 creating 40 rehearsals at once.
            await fetch("SELECT pg_advisory_xact_lock(hashtext({}))", "login-codes")
        deputies = await Deputy.select(Deputy.id, Deputy.number, Deputy.name).where(Deputy.id.is_in(deputy_ids))
        if len(deputies) != len(set(deputy_ids)):
            raise Refused("名单中有不存在的代表。", code="not_found")
        taken = {row["login_code_hash"] for row in await Deputy.select(Deputy.login_code_hash)}
        expires_at = _now() + LOGIN_LINK_LIFETIME
        links = []
        for deputy in deputies:
            code = new_login_code()
            while keyed_hash(code) in taken:
                code = new_login_code()
            taken.add(keyed_hash(code))
            link = secrets.token_urlsafe(24)
            await Deputy.update({Deputy.login_code_hash: keyed_hash(code)}).where(Deputy.id == deputy["id"])
            links.append(LoginLink(deputy=deputy["id"], token_hash=keyed_hash(link), expires_at=expires_at))
            issued[deputy["id"]] = (code, link)
        await LoginSession.delete().where(LoginSession.deputy.is_in(deputy_ids))
        await LoginLink.delete().where(LoginLink.deputy.is_in(deputy_ids))
        await LoginLink.insert(*links)
        subject = (f"代表 {deputies[0]['number']} {deputies[0]['name']}" if len(deputies) == 1
                   else f"{len(deputies)} 位代表")
        await audit.record(actor, "login_code_reissued", subject=subject, reason=reason)
    return issued


async def create_staff(username: str, display_name: str, password: str, role: str = "secretariat") -> int:
    if len(password) < 8:
        raise Refused("密码至少 8 位。", code="weak_password")
    password_hash = await hash_password(password)
    async with write_transaction():
        if await StaffAccount.exists().where(StaffAccount.username == username):
            raise Refused(f"用户名 {username} 已被使用。", code="duplicate")
        rows = await StaffAccount.insert(StaffAccount(
            username=username, display_name=display_name, role=role, password_hash=password_hash))
    return rows[0]["id"]

