"""The server's log as an operator reads it (issue 15, item 8), and as an insider would mine it.

A real uvicorn serves a deputy's login by one-time link and by code, a sealed ballot, a print
run of paper ballots (WeasyPrint and fontTools at work) and a few refusals. Its output must be
one line per request, each with the id the browser got back in X-Request-ID, and nothing else
per request: no httpx, WeasyPrint or fontTools chatter, no uvicorn access lines. No line may
carry what would help tie a deputy to anything: the login code, the link's token, a session
cookie, a query string, the client's address. A server error shows its number on the page,
and that number finds the traceback in the log.
"""

from __future__ import annotations

import io
import logging
import re
import time

import httpx
import pytest

from tests.hall import STAFF, api_cast, csrf_of, make_hall
from tests.servers import LiveServer
from web import logs

REQUEST_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO \[([0-9a-f]{8})\] piaojue\.request: "
                          r"(GET|POST) (\S+) (\d{3}) \d+ms$")


def request_lines(output: str) -> list[re.Match]:
    return [m for line in output.splitlines() if (m := REQUEST_LINE.match(line))]


async def test_one_line_per_request_with_its_id_and_no_secret(tmp_path, monkeypatch):
    hall = await make_hall(deputies=6)
    await hall.check_in()
    poll_id = await hall.poll(candidates=3, seats=1)
    deputy, other = hall.deputy_ids[0], hall.deputy_ids[1]
    log_file = tmp_path / "logs" / "piaojue.log"
    monkeypatch.setenv("PIAOJUE_LOG_FILE", str(log_file))

    with LiveServer() as server:
        ids: list[str] = []

        def note(response: httpx.Response) -> httpx.Response:
            ids.append(response.headers["x-request-id"])
            return response

        async with httpx.AsyncClient(base_url=server.url) as tablet:
            note(await tablet.get(f"/tablet/l/{hall.links[deputy]}"))  # one-time link: a redirect
            note(await tablet.get("/tablet"))
            sealing = note(await tablet.get(f"/api/polls/{poll_id}/ballot"))
            assert sealing.status_code == 200, sealing.text
            cast = await api_cast(tablet, poll_id, {"1": "yes"})
            assert cast.status_code == 201, cast.text
            ids.append(cast.headers["x-request-id"])
            session_cookie = "; ".join(tablet.cookies.values())
        async with httpx.AsyncClient(base_url=server.url) as second:
            answer = note(await second.post("/api/tablet/login", json={"code": hall.codes[other]}))
            assert answer.status_code == 200
            note(await second.get(f"/tablet?code={hall.codes[deputy]}&token=zzsecretzz"))
            missing = note(await second.get("/no/such/page"))
            assert missing.status_code == 404
        async with httpx.AsyncClient(base_url=server.url) as clerk:
            from tests.hall import login_staff

            await login_staff(clerk)
            printed = note(await clerk.post(f"/console/polls/{poll_id}/paper-ballots",
                                            data={"count": "2", "_csrf_token": csrf_of(clerk)}))
            assert printed.headers["content-type"] == "application/pdf"
        # A request's line is written once its answer has gone out: the client may read the answer first.
        deadline = time.monotonic() + 10
        while not set(ids) <= {m.group(1) for m in request_lines(server.output())} and time.monotonic() < deadline:
            time.sleep(0.05)
        output = server.output()

    lines = request_lines(output)
    logged = {m.group(1): m for m in lines}
    assert set(ids) <= set(logged), "every answer's X-Request-ID names its line"
    assert len(lines) == len(logged), "one line per request, never two"
    assert logged[missing.headers["x-request-id"]].group(4) == "404"
    assert logged[printed.headers["x-request-id"]].group(3) == f"/console/polls/{poll_id}/paper-ballots"
    assert logged[ids[0]].group(3) == "/tablet/l/…"
    per_request_noise = [line for line in output.splitlines()
                         if line.strip() and not REQUEST_LINE.match(line)
                         and not re.search(r"piaojue: |uvicorn\.error: |Started server process|Waiting for application"
                                           r"|Application startup|Uvicorn running|Shutting down|Application shutdown"
                                           r"|Finished server process|Waiting for connections to close", line)]
    assert per_request_noise == [], "\n".join(per_request_noise)
    for secret in (hall.codes[deputy], hall.codes[other], hall.links[deputy], "zzsecretzz", "127.0.0.1:",
                   *[v for v in session_cookie.split("; ") if len(v) > 8], "HTTP Request", "fontTools", "weasyprint"):
        assert secret not in output.replace(server.url, ""), secret
    deadline = time.monotonic() + 10
    while len(request_lines(log_file.read_text(encoding="utf-8"))) < len(lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    written = log_file.read_text(encoding="utf-8")
    assert [m.group(0) for m in request_lines(written)] == [m.group(0) for m in lines], \
        "the rotated log file holds the same lines"


async def test_a_server_error_shows_the_number_that_finds_it_in_the_log(monkeypatch):
    """An unexpected failure (here: the public project list's query breaks) answers with a page that gives
    an error number; the log's traceback line carries the same number."""
    from app import app
    from lifecycle import timeline

    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(timeline, "project_years", broken)
    captured = io.StringIO()
    handler = logs._handler(logging.StreamHandler(captured))
    logging.getLogger().addHandler(handler)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hall.local") as client:
            page = await client.get("/public/projects")
            proxied = await client.get("/healthz", headers={"x-request-id": "nginx-req-00000042"})
    finally:
        logging.getLogger().removeHandler(handler)
    number = page.headers["x-request-id"]
    assert page.status_code == 500 and f"错误编号 {number}" in page.text
    log_text = captured.getvalue()
    assert re.search(rf"ERROR \[{number}\] piaojue: unhandled error on /public/projects", log_text)
    assert "RuntimeError: the disk is gone" in log_text
    assert proxied.headers["x-request-id"] == "nginx-req-00000042", "a proxy's request id is kept"


@pytest.mark.parametrize("path, shown", [("/tablet/l/AbCdEf123_-x", "/tablet/l/…"),
                                         ("/tablet/l/AbC/next", "/tablet/l/…/next"),
                                         ("/tablet/polls/3", "/tablet/polls/3")])
def test_login_link_tokens_never_reach_the_log(path, shown):
    assert logs.loggable_path(path) == shown
