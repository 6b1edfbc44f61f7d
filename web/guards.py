"""What every request passes before its handler runs and before its body is read."""

from __future__ import annotations

from litestar import Request

from voting.errors import NotFound, Refused

ID_LIMIT = 2**31 - 1  # every id is a serial, 32 bits on PostgreSQL


async def plausible_address(request: Request) -> None:
    """Before any query is asked: an id in the path past what the database can hold names nothing
    (404), and no text in the address may hold a NUL, which PostgreSQL can neither store nor
    compare (SQLite and asyncpg would raise, and the request end in a 500)."""
    for value in request.path_params.values():
        if (isinstance(value, int) and not -ID_LIMIT <= value <= ID_LIMIT) or (
                isinstance(value, str) and "\x00" in value):
            raise NotFound()
    if any("\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()):
        raise Refused("请求格式不正确。", code="bad_request")
