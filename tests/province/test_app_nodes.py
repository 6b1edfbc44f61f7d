"""Several app nodes, one state (issue 15, item 5): two uvicorn nodes with different data
directories on the same PostgreSQL database, Debian's nginx in front with the shipped settings.

What a province needs of its nodes, each checked by crossing from one node to the other:
a photo taken by one is served by the other; a login (staff and deputy) and its CSRF token made
on one hold on the other, and so does a roster file kept between its preview and its
confirmation; the big screen shows the same state on both and its event stream comes through
the proxy as it is written; the login throttle counts a client's guesses on both nodes
together, by the client's real address, which a forged X-Forwarded-For does not change.

PostgreSQL only: SQLite is the one-machine engine (one node, the hall's laptop).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lifecycle import uploads
from lifecycle.tables import Proposal, ProposalAttachment
from tests.conftest import ENGINE
from tests.hall import csrf_of, login_staff, make_hall
from tests.province.nodes import app_nodes, behind_nginx
from tests.web.test_public import open_round, png, propose
from tests.voting.test_roster_import import HEADER, xlsx_bytes
from tests.web.test_roster_pages import confirm, upload
from tests.web.test_screen import EventReader
from voting import accounts, sittings
from voting.audit import Actor

pytestmark = pytest.mark.skipif(ENGINE != "postgresql", reason="several app nodes share a PostgreSQL database")
STAFF = Actor("staff", None, "秘书处 测试")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    directory = tmp_path_factory.mktemp("province")
    with app_nodes(directory) as nodes, behind_nginx(directory / "nginx", nodes) as proxy:
        yield nodes, proxy


async def test_a_photo_taken_by_one_node_is_served_by_the_other(province):
    (one, two), _ = province
    hall = await make_hall(deputies=3)
    round_id = await open_round(hall)
    picture = png(80, 60, "teal")
    async with httpx.AsyncClient(base_url=one.url) as citizen:
        sent = await propose(citizen, round_id, files=[("files", ("村口.png", picture, "image/png"))])
        assert sent.status_code == 303 and sent.headers["location"].startswith("/public/propose/done"), sent.text[-500:]
    proposal = await Proposal.select(Proposal.id).where(Proposal.round == round_id).first()
    attachment = await ProposalAttachment.select().where(ProposalAttachment.proposal == proposal["id"]).first()
    async with httpx.AsyncClient(base_url=two.url) as other:
        served = await other.get(f"/public/attachments/{attachment['sha256']}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == await uploads.read(attachment["sha256"], attachment["size"])
    for node in (one, two):  # nothing of it on either node's disk
        data = Path(node.environment["PIAOJUE_DATA"])
        assert data.name.startswith("node-") and not (data / "uploads").exists()
        assert not [p for p in data.rglob("*") if p.is_file() and p.read_bytes() == served.content]


async def test_logins_their_forms_and_a_kept_roster_file_hold_across_nodes(province):
    (one, two), _ = province
    hall = await make_hall(deputies=4)
    async with httpx.AsyncClient(base_url=one.url) as clerk:
        await login_staff(clerk)
        token = csrf_of(clerk)
        clerk.base_url = httpx.URL(two.url)  # the same browser, now sent to the other node
        console = await clerk.get("/console")
        assert console.status_code == 200 and "测试员" in console.text

        roll = [HEADER, ["P-0001", "周海燕", "女", "省直代表团", "省农业农村厅", "13900000001"]]
        clerk.base_url = httpx.URL(one.url)
        preview = await upload(clerk, hall.term_id, "名册.xlsx", xlsx_bytes(roll))
        assert preview.status_code == 200 and "新增 1 人" in preview.text, preview.text[-800:]
        clerk.base_url = httpx.URL(two.url)  # confirmed on the node that did not keep the preview
        assert csrf_of(clerk) == token
        done = await confirm(clerk, hall.term_id, preview.text)
        assert done.status_code in (302, 303) and "added=1" in done.headers["location"], done.text[-800:]

    deputy = hall.deputy_ids[0]
    async with httpx.AsyncClient(base_url=two.url) as tablet:
        assert (await tablet.post("/api/tablet/login", json={"code": hall.codes[deputy]})).status_code == 200
        tablet.base_url = httpx.URL(one.url)
        page = await tablet.get("/tablet")
        assert page.status_code == 200 and "/tablet/login" not in str(page.url)


async def test_the_big_screen_agrees_on_both_nodes_and_streams_through_the_proxy(province):
    (one, two), proxy = province
    hall = await make_hall(deputies=10)
    await hall.check_in(*hall.deputy_ids[:6])
    path = f"/screen/sessions/{hall.session_id}"
    async with httpx.AsyncClient() as screens:
        states = [(await screens.get(f"{node.url}{path}/state")).json() for node in (one, two)]
        assert states[0] == states[1] and states[0]["attendance"]["present"] == 6
        timeout = httpx.Timeout(15.0, read=15.0)
        async with screens.stream("GET", f"{proxy.url}{path}/events", timeout=timeout) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            reader = EventReader(stream)
            assert (await reader.state())["attendance"]["present"] == 6
            await sittings.check_in(hall.session_id, hall.deputy_ids[6], STAFF)
            # Within the stream's poll interval, not when nginx's buffer fills: proxy_buffering off.
            assert (await reader.state(timeout=5))["attendance"]["present"] == 7
        states = [(await screens.get(f"{node.url}{path}/state")).json() for node in (one, two)]
        assert states[0] == states[1] and states[0]["attendance"]["present"] == 7


def _client(proxy_or_node: str, address: str) -> httpx.AsyncClient:
    """A tablet at `address` (a loopback address of its own, as another machine would have)."""
    return httpx.AsyncClient(base_url=proxy_or_node, transport=httpx.AsyncHTTPTransport(local_address=address))


async def _wrong_code(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.post("/api/tablet/login", json={"code": "0000 0000"}, headers=headers)


async def test_the_login_throttle_counts_both_nodes_by_the_clients_real_address(province):
    (one, two), proxy = province
    hall = await make_hall(deputies=3)
    limit = accounts.THROTTLE_FAILURES

    # Guesses spread over both nodes directly: the ninth is refused on either.
    async with _client(one.url, "127.0.0.21") as on_one, _client(two.url, "127.0.0.21") as on_two:
        for n in range(limit):
            assert (await _wrong_code(on_one if n % 2 else on_two)).json()["code"] == "bad_code"
        for node in (on_one, on_two):
            refused = await _wrong_code(node)
            assert refused.status_code == 429 and refused.json()["code"] == "throttled"

    # Through the proxy: guesses land on both nodes, each with a forged X-Forwarded-For, and are
    # all counted against the one real address; another tablet behind the same proxy is not held up.
    async with _client(proxy.url, "127.0.0.22") as guesser, _client(proxy.url, "127.0.0.23") as deputy:
        for n in range(limit):
            answer = await _wrong_code(guesser, **{"X-Forwarded-For": f"10.9.{n}.1", "X-Real-IP": f"10.9.{n}.1"})
            assert answer.status_code == 400 and answer.json()["code"] == "bad_code"
        assert proxy.upstreams_used("127.0.0.22") == {f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"}
        refused = await _wrong_code(guesser, **{"X-Forwarded-For": "10.200.0.1"})
        assert refused.status_code == 429
        assert (await deputy.post("/api/tablet/login", json={"code": hall.codes[hall.deputy_ids[0]]})).status_code == 200
        assert refused.headers["x-request-id"] in proxy.access_log.read_text()  # nginx's $request_id, kept by the app
