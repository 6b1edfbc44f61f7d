"""Rendering pages: one place that fills in what every page needs."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from voting.accounts import Viewer


def page(name: str, request: Request, viewer: Viewer | None = None, status_code: int = 200,
         **context: Any) -> Template:
    return Template(template_name=name, context={"viewer": viewer, **context}, status_code=status_code)


def form_dict(form: Any) -> dict[str, str]:
    """A submitted form as plain strings (the last value of a repeated field)."""
    return {key: (value if isinstance(value, str) else "") for key, value in form.items()}
