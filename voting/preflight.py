"""会前检查: what the secretariat checks on the morning of a session, on one page of the console.

Each check says ok, warn or fail, and what to do about it, in Chinese:
- the hall's HTTPS address answers with a certificate the tablets trust, and how many days it
  has left (voting.tls, voting.hall_server);
- free disk space where the data lives;
- the database's integrity (SQLite `quick_check`; PostgreSQL answers);
- a backup taken today (voting.backup);
- the fonts the printed documents need, a congress's second language's included;
- a rehearsal that passed in the last 7 days (voting.rehearsal_data.record_outcome);
- on PostgreSQL, that the server key is set (PIAOJUE_SECRET), so every app node agrees on logins;
- the clock: the server's time is shown beside the browser's, and the page flags a gap.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from config import settings
from voting.times import BEIJING

OK, WARN, FAIL = "ok", "warn", "fail"
DISK_WARN_BYTES = 2 * 1024**3
DISK_FAIL_BYTES = 300 * 1024**2
CERT_WARN_DAYS = 30
REHEARSAL_DAYS = 7
FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC")


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    detail: str


def _https(public_url: str, ca: Path, status: dict | None) -> Check:
    name = "会场 HTTPS 地址"
    if status is None:
        return Check(name, FAIL, "没有会场证书：请用 make hall（python -m voting hall）启动服务，平板才能安全连接。")
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.hostname:
        return Check(name, FAIL, f"平板访问地址 {public_url or '（未设置）'} 不是 HTTPS 地址。")
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=3) as raw, \
                context.wrap_socket(raw, server_hostname=parts.hostname):
            pass
    except (OSError, ssl.SSLError) as error:
        return Check(name, FAIL, f"{public_url} 无法用会场证书建立加密连接：{error}")
    days = status["days_left"]
    state = OK if days > CERT_WARN_DAYS else WARN
    return Check(name, state, f"{public_url} 可以访问，证书有效，还有 {days} 天到期"
                 + ("（将在到期前 30 天内自动更新）" if state == WARN else "") + "。")


def _disk(path: Path) -> Check:
    free = shutil.disk_usage(path).free
    state = OK if free >= DISK_WARN_BYTES else WARN if free >= DISK_FAIL_BYTES else FAIL
    return Check("磁盘空间", state, f"数据目录所在磁盘还有 {free / 1024**3:.1f} GB 可用"
                 + ("。" if state == OK else "，请清理或更换磁盘。"))


def _fonts(families: set[str], second_languages: tuple[str, ...] = ()) -> Check:
    """The CJK fonts every document prints in, and the font of each second language a congress
    has set (voting.languages): without it WeasyPrint prints boxes in its place."""
    from voting.languages import LANGUAGES

    missing = [f for f in FONTS if f not in families]
    if missing:
        return Check("打印字体", FAIL, f"缺少字体 {'、'.join(missing)}：选票和公告无法正确打印。"
                     "请安装 fonts-noto-cjk（Debian/Ubuntu）或从单位的软件源安装同名字体。")
    lacking = [LANGUAGES[code] for code in second_languages if code in LANGUAGES
               and LANGUAGES[code].font not in families]
    if lacking:
        names = "、".join(f"{lang.name}字体 {lang.font}" for lang in lacking)
        return Check("打印字体", FAIL, f"缺少{names}：设定了第二语言的人大，其选票、计票单和公告无法印出"
                     f"{'、'.join(lang.name for lang in lacking)}。请安装 fonts-noto-core（Debian/Ubuntu）。")
    extra = "、".join(LANGUAGES[code].name for code in second_languages if code in LANGUAGES)
    return Check("打印字体", OK, "选票、计票单和公告所需的字体已安装" + (f"（含{extra}）。" if extra else "。"))


async def _second_languages() -> tuple[str, ...]:
    """The second languages the congresses here have set."""
    from voting.tables import Congress

    rows = await Congress.select(Congress.second_language).where(Congress.second_language != "")
    return tuple(sorted({r["second_language"] for r in rows}))


async def _database() -> Check:
    from voting.database import fetch_value, is_sqlite

    try:
        if is_sqlite():
            answer = await fetch_value("PRAGMA quick_check")
            if answer != "ok":
                return Check("数据库", FAIL, f"SQLite 完整性检查未通过：{answer}。请停止服务，从最近的备份恢复。")
            return Check("数据库", OK, "SQLite 完整性检查通过。")
        await fetch_value("SELECT 1")
        return Check("数据库", OK, "PostgreSQL 可以访问。")
    except Exception as error:  # noqa: BLE001  (any failure is the finding)
        return Check("数据库", FAIL, f"数据库无法访问：{type(error).__name__}")


def _backups(directory: Path, now: datetime) -> Check:
    from voting import backup

    copies = backup.kept(directory)
    if not copies:
        return Check("今日备份", FAIL, f"{directory} 中没有备份。会场服务（make hall）运行时每 10 分钟自动备份；"
                     "也可以运行 python -m voting backup。")
    newest = copies[-1]
    taken = datetime.fromtimestamp(newest.stat().st_mtime, tz=timezone.utc)
    today = taken.astimezone(BEIJING).date() == now.astimezone(BEIJING).date()
    return Check("今日备份", OK if today else WARN,
                 f"最近的备份 {newest.name}，{taken.astimezone(BEIJING):%m月%d日 %H:%M}"
                 + ("。" if today else "，不是今天的：请确认自动备份在运行。"))


async def _rehearsal(now: datetime) -> Check:
    from voting.tables import AuditEntry

    name = "会前演练"
    row = await AuditEntry.select(AuditEntry.at, AuditEntry.detail).where(
        (AuditEntry.action == "rehearsal_reported") & (AuditEntry.at >= now - timedelta(days=REHEARSAL_DAYS))
    ).order_by(AuditEntry.id, ascending=False).output(load_json=True).first()
    if row is None:
        return Check(name, FAIL, f"最近 {REHEARSAL_DAYS} 天没有会前演练：请在会场网络上运行 python -m voting rehearse。")
    detail = row["detail"] if isinstance(row["detail"], dict) else {}
    when = f"{row['at'].astimezone(BEIJING):%m月%d日 %H:%M}"
    if not detail.get("passed"):
        return Check(name, FAIL, f"{when} 的演练没有通过：请查明原因后再演练一次。")
    return Check(name, OK, f"{when} 演练通过：{detail.get('deputies')} 位模拟代表，"
                 f"每秒 {detail.get('throughput')} 张选票。")


def _server_key(engine: str, configured: bool) -> Check:
    name = "服务器密钥"
    if configured:
        return Check(name, OK, "已在设置中配置（PIAOJUE_SECRET），各台应用服务器使用同一个密钥。")
    if engine == "sqlite":
        return Check(name, OK, "单机部署：密钥保存在数据目录的 secret.key 中，请随数据一起备份。")
    return Check(name, WARN, "使用 PostgreSQL 但没有设置 PIAOJUE_SECRET：密钥只在本机数据目录。如有多台应用服务器，"
                 "请在每台的设置文件中写入同一个 PIAOJUE_SECRET，否则在一台登录的平板到另一台会被要求重新登录。")


async def run(families: set[str], now: datetime | None = None) -> list[Check]:
    from voting import hall_server, tls

    now = now or datetime.now(timezone.utc)
    directory = hall_server.tls_directory()
    config = settings()
    # The handshake with this very server runs off the event loop that must answer it.
    https = await asyncio.to_thread(_https, config.public_url, directory / "ca.crt", tls.status(directory, now))
    return [
        https,
        _disk(config.data_dir),
        await _database(),
        _backups(hall_server.backup_plan()[0], now),
        _fonts(families, await _second_languages()),
        await _rehearsal(now),
        _server_key(config.engine, bool(os.environ.get("PIAOJUE_SECRET"))),
    ]
