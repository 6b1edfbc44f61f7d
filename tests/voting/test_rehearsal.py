"""会前演练: `python -m voting rehearse` against a live server, the staff API it drives, and
rehearsal data kept apart from real work."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from tests.hall import STAFF
from tests.servers import ROOT, LiveServer
from voting import accounts, polls, rehearsal_data, roster, sittings
from voting.rehearsal import sealed_body
from voting.errors import Conflict, NotFound
from voting.roster_import import DeputyRow
from voting.tables import Ballot, CheckIn, Congress, Deputy, LoginSession, Poll, Session, StaffAccount, Term
from web.auth import COOKIE

USER, PASSWORD = "yanlian", "rehearsal-pass-1"


async def _staff_account() -> None:
    if not await StaffAccount.exists().where(StaffAccount.username == USER):
        await accounts.create_staff(USER, "演练员", PASSWORD)


@pytest.fixture(scope="module")
def server(engine_name):
    """The app under uvicorn as deployed: one worker on SQLite, two on PostgreSQL."""
    with LiveServer(workers=2 if engine_name == "postgresql" else 1) as live:
        yield live


async def rehearse(server, *args: str) -> subprocess.CompletedProcess[str]:
    await _staff_account()
    command = [sys.executable, "-m", "voting", "rehearse", "--url", server.url, "--user", USER,
               "--password", PASSWORD, *args]
    return await asyncio.to_thread(subprocess.run, command, cwd=ROOT, capture_output=True, text=True, timeout=180,
                                   env=os.environ.copy())


async def rehearsal_polls() -> set[int]:
    return {row["id"] for row in await Poll.select(Poll.id).where(Poll.ref.like("rehearsal-%"))}


async def rehearsal_congresses() -> set[int]:
    return {row["id"] for row in await Congress.select(Congress.id).where(Congress.rehearsal == True)}  # noqa: E712


async def test_a_rehearsal_of_sixty_deputies_passes_and_leaves_nothing_behind(server):
    before = await rehearsal_congresses()
    deputies_before = await Deputy.count()
    polls_before = await rehearsal_polls()  # other tests (the schema fuzzing) may have left some
    done = await rehearse(server, "--deputies", "60", "--seed", "7")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "服务器接收 60 张（应为 60 张）" in out
    assert re.search(r"吞吐量 [\d.]+ 张/秒", out) and re.search(r"p50 [\d.]+ 秒  p95 [\d.]+ 秒  p99 [\d.]+ 秒", out)
    assert "错误：无" in out
    assert "5 位已投票的代表再次提交，5 次被拒绝（409 已投票）" in out
    assert "收回 60 张、有效 60 张" in out and "完全一致" in out
    assert "已删除演练数据：代表 60 位、票决 1 次、选票 60 张" in out
    assert out.rstrip().endswith("演练通过") and "服务器已记录演练结果：通过" in out
    from voting import preflight

    rehearsal = await preflight._rehearsal(datetime.now(timezone.utc))
    assert rehearsal.state == preflight.OK and "60 位模拟代表" in rehearsal.detail  # for the pre-flight check
    assert await rehearsal_congresses() == before
    assert await Deputy.count() == deputies_before
    assert await rehearsal_polls() == polls_before


async def test_a_kept_rehearsal_is_out_of_the_console_lists_can_run_again_and_be_removed(server, client):
    done = await rehearse(server, "--deputies", "24", "--keep", "--processes", "2", "--connections", "8")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 个客户端进程" in done.stdout and "演练通过" in done.stdout
    congress_id = int(re.search(r"演练人大 #(\d+)", done.stdout)[1])
    congress = await Congress.select().where(Congress.id == congress_id).first()
    assert congress["rehearsal"] and congress["name"].startswith("会前演练 ")
    assert f"--remove {congress_id}" in done.stdout

    # Kept, it is still nowhere in the console: not among sessions, terms or congresses.
    assert congress_id not in {c["id"] for c in await sittings.congresses()}
    assert all(t["congress"] != congress_id for t in await sittings.terms_overview())
    session = await Session.select(Session.id, Session.name).where(Session.term.congress == congress_id).first()
    assert session["id"] not in {s["id"] for s in await sittings.sessions_overview()}
    await _staff_account()
    login = await client.post("/api/staff/login", json={"username": USER, "password": PASSWORD})
    console = await client.get("/console", headers=bearer(login.cookies[COOKIE]))
    assert console.status_code == 200 and "会前演练" not in console.text

    listed = await rehearse(server, "--list")
    assert listed.returncode == 0 and f"#{congress_id}  会前演练 " in listed.stdout and "代表 24 位" in listed.stdout

    again = await rehearse(server, "--reuse", str(congress_id), "--keep", "--seed", "3")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "服务器接收 24 张（应为 24 张）" in again.stdout
    assert await Poll.count().where(Poll.session == session["id"]) == 2

    removed = await rehearse(server, "--remove", str(congress_id))
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert f"已删除演练人大 #{congress_id}：代表 24 位、票决 2 次、选票 48 张" in removed.stdout
    assert not await Congress.exists().where(Congress.id == congress_id)
    assert not await Session.exists().where(Session.id == session["id"])
    gone = await rehearse(server, "--remove", str(congress_id))
    assert gone.returncode == 2 and "没有这个人大" in gone.stderr


async def test_rehearse_needs_a_staff_account_and_a_reachable_server():
    command = [sys.executable, "-m", "voting", "rehearse", "--url", "http://127.0.0.1:9", "--user", "x",
               "--password", "y"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PIAOJUE_REHEARSAL_")}
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                                   env=environment)
    assert done.returncode == 2 and done.stderr.startswith("错误：无法连接服务器") and done.stdout == ""
    done = await asyncio.to_thread(subprocess.run, command[:6], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                   env=environment)
    assert done.returncode == 2 and "PIAOJUE_REHEARSAL_USER" in done.stderr
    helped = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "voting", "rehearse", "--help"], cwd=ROOT,
                                     capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and helped.stdout.startswith("用法：") and "--processes" in helped.stdout


# --- the staff API, in process ----------------------------------------------------------------

STAFF_ENDPOINTS = [
    ("GET", "/api/rehearsals"), ("POST", "/api/rehearsals"), ("POST", "/api/rehearsals/1/polls"),
    ("DELETE", "/api/rehearsals/1"), ("POST", "/api/polls/1/open"), ("POST", "/api/polls/1/close"),
]


def bearer(token: str) -> dict[str, str]:
    """The login cookie as a header of one request (the client's own jar is not relied on)."""
    return {"cookie": f"{COOKIE}={token}"}


async def staff_cookie(client) -> dict[str, str]:
    await _staff_account()
    response = await client.post("/api/staff/login", json={"username": USER, "password": PASSWORD})
    assert response.status_code == 200 and response.json()["ok"] is True, response.text
    client.cookies.clear()
    return bearer(response.cookies[COOKIE])


@pytest.mark.parametrize("method, path", STAFF_ENDPOINTS)
async def test_staff_endpoints_answer_401_without_a_staff_login(client, hall, method, path):
    kwargs = {} if method in ("GET", "DELETE") else {"json": {"deputies": 5}}
    for headers in ({}, bearer((await accounts.deputy_login(hall.codes[hall.deputy_ids[0]], "t"))[0])):
        response = await client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"] == "请先登录。"


async def test_staff_login_through_the_api(client):
    await _staff_account()
    wrong = await client.post("/api/staff/login", json={"username": USER, "password": "not-the-password"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "bad_credentials"
    assert wrong.json()["detail"] == "用户名或密码不正确。" and COOKIE not in wrong.cookies
    form = await client.post("/api/staff/login", data={"username": USER, "password": PASSWORD})
    assert form.status_code == 415 and COOKIE not in form.cookies  # a cross-site form logs no one in
    right = await client.post("/api/staff/login", json={"username": USER, "password": PASSWORD})
    assert right.status_code == 200 and right.json() == {"ok": True, "name": "演练员", "role": "secretariat"}
    assert right.cookies[COOKIE]


async def test_a_real_congress_cannot_be_removed_nor_its_polls_run_through_the_rehearsal_api(client, hall):
    cookies = await staff_cookie(client)
    poll_id = await hall.poll(open_=False)
    response = await client.delete(f"/api/rehearsals/{hall.congress_id}", headers=cookies)
    assert response.status_code == 409 and response.json()["code"] == "not_rehearsal"
    assert "不是会前演练的数据" in response.json()["detail"]
    assert await Congress.exists().where(Congress.id == hall.congress_id)
    assert await Deputy.count().where(Deputy.term == hall.term_id) == len(hall.deputy_ids)
    for action in ("open", "close"):
        response = await client.post(f"/api/polls/{poll_id}/{action}", json={}, headers=cookies)
        assert response.status_code == 409 and "控制台" in response.json()["detail"], response.text
    assert (await polls.get_poll(poll_id))["status"] == "draft"
    response = await client.post(f"/api/rehearsals/{hall.congress_id}/polls", json={}, headers=cookies)
    assert response.status_code == 409
    assert (await client.delete("/api/rehearsals/999999", headers=cookies)).status_code == 404


@pytest.mark.parametrize("body, words", [
    ({"deputies": 0}, "代表人数必须是 3 到 5000"), ({"deputies": 5001}, "代表人数"), ({"deputies": "60"}, "代表人数"),
    ({"deputies": 5, "candidates": 10, "seats": 10}, "必须多于应选数"), ({"deputies": 5, "candidates": 1}, "候选项目数"),
])
async def test_a_rehearsal_of_an_impossible_size_is_refused_in_chinese(client, body, words):
    response = await client.post("/api/rehearsals", json=body, headers=await staff_cookie(client))
    assert response.status_code == 400 and response.json()["code"] == "invalid_rehearsal"
    assert words in response.json()["detail"]


async def test_the_api_makes_a_rehearsal_opens_and_closes_it_and_removes_it_whole(client):
    cookies = await staff_cookie(client)
    made = await client.post("/api/rehearsals", json={"deputies": 7, "candidates": 4, "seats": 2}, headers=cookies)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["candidates"] == ["P01", "P02", "P03", "P04"] and plan["max_approvals"] == 2
    assert len(plan["codes"]) == 7 == len(set(plan["codes"])) and plan["poll_ref"].startswith("rehearsal-")
    tokens = [(await accounts.deputy_login(code, "t"))[0] for code in plan["codes"]]
    for token in tokens:
        assert (await client.post("/api/tablet/check-in", json={}, headers=bearer(token))).status_code == 200
    poll_id = plan["poll_id"]
    ceremony = await client.post(f"/api/polls/{poll_id}/key-ceremony", json={}, headers=cookies)
    assert ceremony.status_code == 201, ceremony.text
    cards = [c["card"] for c in ceremony.json()["cards"]]
    assert len(cards) == 4 and ceremony.json()["threshold"] == 2  # chief, two scrutineers, the presidium's backup
    assert (await client.post(f"/api/polls/{poll_id}/open", json={}, headers=cookies)).json()["status"] == "open"
    sealing = (await client.get(f"/api/polls/{poll_id}/ballot", headers=bearer(tokens[0]))).json()
    plain = await client.post(f"/api/polls/{poll_id}/ballot", json={"marks": {"P01": "for"}}, headers=bearer(tokens[0]))
    assert plain.status_code == 400 and plain.json()["code"] == "not_sealed"  # the server never takes plain marks
    for token in tokens[:5]:
        cast = await client.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, {"P01": "for"}),
                                 headers={**bearer(token), "content-type": "application/json"})
        assert cast.status_code == 201
    one_card = await client.post(f"/api/polls/{poll_id}/close", json={"cards": cards[:1]}, headers=cookies)
    assert one_card.status_code == 400 and "需要 2 张钥匙卡" in one_card.json()["detail"]
    result = (await client.post(f"/api/polls/{poll_id}/close", json={"cards": [cards[3], cards[1]]},
                                headers=cookies)).json()
    assert result["returned"] == 5 and result["candidates"][0]["for"] == 5 and result["status"] == "valid"

    # The server keeps what the client found only as far as its own count bears it out.
    at = f"/api/rehearsals/{plan['congress_id']}/outcome"
    for claimed in (5, 7):
        kept = await client.post(at, json={"poll": plan["poll_ref"], "passed": True, "accepted": claimed,
                                           "throughput": 100, "p99": 0.2}, headers=cookies)
        assert kept.status_code == 201 and kept.json()["passed"] is False  # 2 of 7 never voted; 7 were not counted
    foreign = await client.post(f"/api/rehearsals/{plan['congress_id']}/outcome", json={"poll": "2025-s1-1"},
                                headers=cookies)
    assert foreign.status_code in (400, 404)

    listed = (await client.get("/api/rehearsals", headers=cookies)).json()
    assert any(r["congress_id"] == plan["congress_id"] and r["deputies"] == 7 for r in listed)
    removed = await client.delete(f"/api/rehearsals/{plan['congress_id']}", headers=cookies)
    assert removed.status_code == 200, removed.text
    counts = removed.json()["removed"]
    assert counts["deputies"] == 7 and counts["ballots"] == 5 and counts["check_ins"] == 7 and counts["polls"] == 1
    assert counts["congress"] == 1 and counts["logins"] == 7
    assert not await Ballot.exists().where(Ballot.poll == poll_id)
    assert not await LoginSession.exists().where(LoginSession.deputy.is_in(
        [d["id"] for d in await Deputy.select(Deputy.id).where(Deputy.name.like("演练代表%"))] or [0]))
    assert (await client.post("/api/tablet/check-in", json={}, headers=bearer(tokens[0]))).status_code == 401


# --- rehearsal data is kept apart ------------------------------------------------------------------


async def test_nothing_real_goes_into_a_rehearsal_congress_and_nothing_rehearsed_into_a_real_one(hall):
    plan = await rehearsal_data.create(3, 3, 1, STAFF)
    try:
        with pytest.raises(NotFound):
            await sittings.create_term(plan["congress_id"], 2, STAFF)
        with pytest.raises(NotFound):
            await sittings.create_session(plan["term_id"], 2, date.today(), None, STAFF)
        row = DeputyRow(number="X1", name="张三", gender="男", delegation="第一代表团", affiliation=None, phone=None)
        with pytest.raises(NotFound):
            await roster.import_deputies(plan["term_id"], [row], STAFF)
        settings = polls.settings_of(await polls.get_poll(plan["poll_id"]), await polls.candidates_of(plan["poll_id"]))
        with pytest.raises(Conflict):
            await polls.create_poll(plan["session_id"], settings, STAFF)
        with pytest.raises(Conflict):
            await polls.create_poll(hall.session_id, settings, STAFF, rehearsal=True)
        with pytest.raises(Conflict):
            await rehearsal_data.remove(hall.congress_id, STAFF)
        with pytest.raises(Conflict):
            await rehearsal_data.rehearsal_poll(await hall.poll(open_=False))
        assert plan["session_id"] not in {s["id"] for s in await sittings.sessions_overview()}
        assert hall.session_id in {s["id"] for s in await sittings.sessions_overview()}
    finally:
        await rehearsal_data.remove(plan["congress_id"], STAFF)
    assert not await Term.exists().where(Term.id == plan["term_id"])
    assert not await CheckIn.exists().where(CheckIn.session == plan["session_id"])
    assert await Deputy.count().where(Deputy.term == hall.term_id) == len(hall.deputy_ids)
