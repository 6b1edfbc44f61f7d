"""From a print template to PDF bytes with WeasyPrint, off the event loop.

WeasyPrint is synchronous and CPU-bound: a hall's tablets keep voting while the
secretariat prints, so the async entry point runs it in a worker thread. Fonts come
from Debian's Noto CJK, subset into each PDF so files stay small enough to mail.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    from lifecycle.proposal_input import without_bidi_controls

    # finalize: no typed text (a candidate's title on a ballot) prints in another order than typed.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      finalize=without_bidi_controls)
    # Our own stylesheet, trusted: left unescaped, or its quoted font names would be dropped.
    env.globals["print_css"] = Markup((TEMPLATES / "print" / "print.css").read_text(encoding="utf-8"))
    env.globals["has_font"] = has_font
    return env


@lru_cache(maxsize=1)
def font_families() -> frozenset[str]:
    """Every family name fontconfig knows, in each language a font names itself in."""
    try:
        listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(name.strip() for line in listed.splitlines() for name in line.split(","))


@lru_cache(maxsize=16)
def font_file(family: str) -> Path | None:
    """The installed file of a font family's regular face (fontconfig); None if it is not
    installed (unlike fc-match, which answers with whatever font would stand in)."""
    try:
        listed = subprocess.run(["fc-list", f"{family}:style=Regular", "file"], capture_output=True, text=True,
                                timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(Path(line.rstrip(": ").strip()) for line in listed.splitlines() if line.strip())
    return next((f for f in files if f.suffix in (".ttf", ".otf") and f.is_file()), None)


def has_font(family: str) -> bool:
    """Whether a font family is installed: a template picks a face's weight by it (方正小标宋
    is bold by design and must not be made bolder; its Noto stand-in needs weight 700)."""
    return family in font_families()


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES / "print")).write_pdf(font_config=_font_config())


def render_pdf(template: str, **context: Any) -> bytes:
    return html_to_pdf(render_html(template, **context))


def render_pdf_fitting(template: str, fits: Sequence[Mapping[str, Any]], most_pages: int = 1,
                       **context: Any) -> bytes:
    """The PDF of the first of `fits` (each given to the template as `fit`) that takes at most
    `most_pages` pages; if none does, the first one, however many pages it takes."""
    from weasyprint import HTML

    first = None
    for fit in fits:
        html = render_html(template, fit=fit, **context)
        document = HTML(string=html, base_url=str(TEMPLATES / "print")).render(font_config=_font_config())
        if len(document.pages) <= most_pages:
            return document.write_pdf()
        first = first or document
    if first is None:
        raise ValueError("no layout to try")
    return first.write_pdf()


async def render_pdf_fitting_async(template: str, fits: Sequence[Mapping[str, Any]], most_pages: int = 1,
                                   **context: Any) -> bytes:
    return await anyio.to_thread.run_sync(lambda: render_pdf_fitting(template, fits, most_pages, **context))


async def render_pdf_async(template: str, **context: Any) -> bytes:
    """Render in a worker thread so the event loop keeps serving tablets."""
    html = render_html(template, **context)
    return await anyio.to_thread.run_sync(html_to_pdf, html)
