"""Where tablets reach this server: the address printed on login cards and in their QR codes,
shown with a new login code and on the big screen.

It is `PIAOJUE_PUBLIC_URL` when set (the hall's command sets it to the machine's LAN address);
otherwise the address the clerk's browser used, which is only right if the tablets can use it
too. A loopback address (127.0.0.1, localhost) never reaches a tablet: printing login cards for
one needs the clerk to say they mean it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from litestar import Request

from config import settings


@dataclass(frozen=True)
class TabletAddress:
    url: str
    configured: bool  # from PIAOJUE_PUBLIC_URL
    problem: str  # why tablets may not reach it, in Chinese; "" if nothing is known against it

    @property
    def certain(self) -> bool:
        return self.configured and not self.problem


def _loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _well_formed(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment


def tablet_address(request: Request) -> TabletAddress:
    configured = settings().public_url
    if configured and _well_formed(configured):
        url, problem = configured, ""
    else:
        url = str(request.base_url).rstrip("/")
        problem = ("PIAOJUE_PUBLIC_URL 的设置无法识别（应为 https://地址:端口），暂用本浏览器的地址。" if configured else
                   "没有设置平板访问地址（PIAOJUE_PUBLIC_URL），登录卡上将印本浏览器使用的地址。")
    if _loopback(urlsplit(url).hostname or ""):
        problem = (f"{url} 是本机回环地址，平板无法访问。请用“make hall”在会场网络上启动服务，"
                   "或设置 PIAOJUE_PUBLIC_URL 为平板能访问的地址。")
    return TabletAddress(url=url, configured=bool(configured) and _well_formed(configured), problem=problem)
