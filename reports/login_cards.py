"""Deputy login cards (代表登录卡): name, delegation, login code and a QR of the one-time link.

Codes are stored only as keyed hashes, so cards are printed in the same step that
issues the codes: printing cards for a group of deputies replaces their old codes.
"""

from __future__ import annotations

from typing import Any

import segno

from reports.pdf import render_pdf_async
from voting import accounts
from voting.audit import Actor

CARDS_PER_PAGE = 8


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=3, border=2, dark="#000")


def scalable_qr_svg(text: str) -> str:
    """A QR code sized by its page (a viewBox, no fixed size): the key cards print it large for a scanner."""
    return segno.make(text, error="m").svg_inline(scale=1, border=2, dark="#000", omitsize=True)


async def issue_and_print(deputies: list[dict[str, Any]], base_url: str, session_name: str, actor: Actor) -> bytes:
    """New codes for these deputies and the PDF of their cards, in roster order."""
    issued = await accounts.issue_login_codes([d["id"] for d in deputies], actor, reason="打印代表登录卡")
    cards = []
    for deputy in deputies:
        code, link = issued[deputy["id"]]
        url = f"{base_url.rstrip('/')}/tablet/l/{link}"
        cards.append({**deputy, "code": accounts.format_code(code), "qr": qr_svg(url)})
    pages = [cards[i:i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return await render_pdf_async("print/login_cards.html", pages=pages, session_name=session_name,
                                  login_url=f"{base_url.rstrip('/')}/tablet/login")
