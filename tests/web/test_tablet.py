"""What a deputy sees on the tablet, through HTTP (forms, CSRF and cookies as a browser sends them)."""

import re

from tests.hall import cast_on_tablet, csrf, csrf_of, login_deputy, seal_for_page
from voting import ballot_box
from voting.rehearsal import sealed_body
from voting.tables import AuditEntry, Ballot, CheckIn, SealedBallot
from tests import sealed


async def test_wrong_code_is_explained_and_right_code_logs_in(client, hall):
    token = await csrf(client)
    response = await client.post("/tablet/login", data={"code": "1234", "_csrf_token": token})
    assert response.status_code == 400 and "8 位数字" in response.text
    assert 'value="1234"' in response.text  # what was typed is still there
    response = await client.post("/tablet/login", data={"code": "0000 0000", "_csrf_token": token})
    assert "登录码不正确" in response.text
    deputy = hall.deputy_ids[0]
    code = hall.codes[deputy]
    response = await client.post("/tablet/login", data={"code": f"{code[:4]} {code[4:]}", "_csrf_token": token})
    assert response.status_code in (302, 303) and response.headers["location"].endswith("/tablet")
    home = await client.get("/tablet/")
    assert home.status_code == 200 and "签到" in home.text
    assert await AuditEntry.exists().where((AuditEntry.action == "login") & AuditEntry.actor.like(
        f"%{hall.numbers[deputy]}%"))


async def test_a_form_without_its_csrf_token_is_refused_in_chinese(client, hall):
    await client.get("/tablet/login")
    response = await client.post("/tablet/login", data={"code": hall.codes[hall.deputy_ids[0]]})
    assert response.status_code == 403 and "页面已过期" in response.text


async def test_one_time_link_works_once(client, hall):
    deputy = hall.deputy_ids[1]
    response = await client.get(f"/tablet/l/{hall.links[deputy]}")
    assert response.status_code in (302, 303)
    client.cookies.clear()
    again = await client.get(f"/tablet/l/{hall.links[deputy]}")
    assert again.status_code == 400 and "已使用或已过期" in again.text


async def test_pages_need_a_login(client):
    response = await client.get("/tablet/")
    assert response.status_code in (302, 303) and response.headers["location"] == "/tablet/login"
    response = await client.get("/console/")
    assert response.headers["location"] == "/console/login"
    api = await client.post("/api/polls/1/ballot", json={"marks": {}})
    assert api.status_code == 401 and api.headers["content-type"].startswith("application/problem+json")


async def test_check_in_then_vote_review_confirm(client, hall):
    poll_id = await hall.poll(candidates=5, seats=3)
    deputy = hall.deputy_ids[2]
    await login_deputy(client, hall.codes[deputy])
    home = await client.get("/tablet/")
    assert "投票进行中，请先签到" in home.text
    ballot_page = await client.get(f"/tablet/polls/{poll_id}")
    assert ballot_page.status_code == 409 and "尚未签到" in ballot_page.text
    response = await client.post("/tablet/check-in", data={"_csrf_token": csrf_of(client)})
    assert response.status_code in (302, 303)
    assert await CheckIn.exists().where((CheckIn.session == hall.session_id) & (CheckIn.deputy == deputy))
    home = await client.get("/tablet/")
    assert "已签到" in home.text and f"/tablet/polls/{poll_id}" in home.text

    ballot_page = await client.get(f"/tablet/polls/{poll_id}")
    assert ballot_page.status_code == 200
    for n in range(1, 6):
        assert f"候选项目{n:02d}" in ballot_page.text
    assert "赞成最多 3 个" in ballot_page.text and 'name="m_P05"' in ballot_page.text

    # The marks are made and reviewed in the page: the radios are in no form, and the one form
    # that is sent carries the sealed box, the login it belongs to and the form token only.
    assert re.fullmatch(r"[0-9a-f]{64}", re.search(r'data-public-key="([^"]*)"', ballot_page.text)[1])
    cast_form_html = re.search(r'<form method="post" action="/tablet/polls/\d+/cast".*?</form>', ballot_page.text, re.S)[0]
    assert set(re.findall(r'name="([^"]+)"', cast_form_html)) == {"_csrf_token", "login", "sealed"}
    assert "请核对您的选票" in ballot_page.text and 'class="review-step" hidden' in ballot_page.text

    marks = {"P01": "for", "P02": "for", "P03": "against"}
    box, login = seal_for_page(ballot_page, marks)
    cast_form = {"sealed": box, "login": login, "_csrf_token": csrf_of(client)}
    done = await client.post(f"/tablet/polls/{poll_id}/cast", data=cast_form, follow_redirects=True)
    assert done.status_code == 200 and "您的选票已投入票箱" in done.text
    assert str(done.url).endswith(f"/tablet/polls/{poll_id}/done")
    stored = await SealedBallot.select().where(SealedBallot.poll == poll_id)
    assert len(stored) == 1 and stored[0]["box"] == box and "P01" not in box
    assert await Ballot.count().where(Ballot.poll == poll_id) == 0  # nothing readable until the count
    assert stored[0]["id"] not in done.text and "赞成" not in done.text.split("<main")[1]

    replay = await client.post(f"/tablet/polls/{poll_id}/cast", data=cast_form, follow_redirects=True)
    assert "已投票" in replay.text and "确认投票" not in replay.text
    again = await client.get(f"/tablet/polls/{poll_id}")
    assert "已投票" in again.text and "确认投票" not in again.text
    assert await SealedBallot.count().where(SealedBallot.poll == poll_id) == 1


async def test_plain_or_broken_ballots_are_refused_and_a_forged_tablets_counts_invalid(client, hall):
    from tests.hall import STAFF

    poll_id = await hall.poll(candidates=5, seats=2)
    deputy = hall.deputy_ids[3]
    await hall.check_in(deputy)
    await login_deputy(client, hall.codes[deputy])
    page = await client.get(f"/tablet/polls/{poll_id}")
    _, login = seal_for_page(page, {})
    plain = await client.post(f"/tablet/polls/{poll_id}/cast",
                              data={"m_P01": "for", "login": login, "_csrf_token": csrf_of(client)})
    assert plain.status_code == 400 and "选票没有加密" in plain.text and "重新填写选票" in plain.text
    broken = await client.post(f"/tablet/polls/{poll_id}/cast",
                               data={"sealed": "QUJD" * 10, "login": login, "_csrf_token": csrf_of(client)})
    assert broken.status_code == 400 and "加密数据不完整" in broken.text
    assert await SealedBallot.count().where(SealedBallot.poll == poll_id) == 0
    assert not await ballot_box.has_voted(poll_id, deputy)
    # A tablet whose script was changed to send three approvals where two are allowed: the box takes
    # it (it cannot read it), and the count finds it invalid, as it would a spoiled paper sheet.
    box, login = seal_for_page(page, {"P01": "for", "P02": "for", "P03": "for"})
    forged = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                               data={"sealed": box, "login": login, "_csrf_token": csrf_of(client)})
    assert "您的选票已投入票箱" in forged.text
    result = await sealed.close_poll(poll_id, STAFF)
    assert result["returned"] == 1 and result["invalid"] == 1 and result["valid"] == 0


async def test_closed_poll_and_foreign_poll_refuse(client, hall):
    from tests.hall import STAFF, make_hall

    poll_id = await hall.poll()
    deputy = hall.deputy_ids[4]
    await hall.check_in(deputy)
    await login_deputy(client, hall.codes[deputy])
    page = await client.get(f"/tablet/polls/{poll_id}")
    box, login = seal_for_page(page, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    response = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                                 data={"sealed": box, "login": login, "_csrf_token": csrf_of(client)})
    assert response.status_code == 409 and "没有在投票" in response.text
    other = await make_hall(deputies=3)
    foreign = await other.poll(candidates=2, seats=1)
    response = await client.get(f"/tablet/polls/{foreign}")
    assert response.status_code == 400 and "不属于您所在的会议" in response.text


async def test_json_api_casts_and_answers_problem_details(client, hall):
    poll_id = await hall.poll(candidates=3, seats=1)
    deputy = hall.deputy_ids[5]
    login = await client.post("/api/tablet/login", json={"code": hall.codes[deputy]})
    assert login.status_code == 200
    assert (await client.post("/api/tablet/check-in", json={})).json()["checked_in"] is True
    sealing = (await client.get(f"/api/polls/{poll_id}/ballot")).json()
    assert sealing["cap"] == 1 and sealing["candidates"] == ["P01", "P02", "P03"] and len(sealing["public_key"]) == 64
    # What a hostile page's form could send (text/plain, no preflight) is refused.
    cross_site = await client.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, {"P01": "for"}),
                                   headers={"content-type": "text/plain"})
    assert cross_site.status_code == 415
    plain = await client.post(f"/api/polls/{poll_id}/ballot", json={"marks": {"P01": "for"}})
    assert plain.status_code == 400 and plain.json()["code"] == "not_sealed" and "明文" in plain.json()["detail"]
    json_headers = {"content-type": "application/json"}
    ok = await client.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, {"P01": "for"}),
                           headers=json_headers)
    assert ok.status_code == 201 and ok.json() == {"status": "accepted", "message": "您的选票已投入票箱。"}
    twice = await client.post(f"/api/polls/{poll_id}/ballot", content=sealed_body(sealing, {"P02": "for"}),
                              headers=json_headers)
    assert twice.status_code == 409 and "已投票" in twice.json()["detail"]
    assert twice.headers["content-type"].startswith("application/problem+json")


async def test_pages_carry_security_headers(client):
    response = await client.get("/tablet/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text and "http://" not in response.text.replace("http://www.w3.org", "")


async def test_a_satisfaction_poll_offers_four_choices_and_gives_verdicts(client, hall):
    from tests.hall import STAFF
    from voting import ballot_box, polls

    poll_id = await hall.poll(candidates=2, method="satisfaction", title="2024年民生实事项目满意度测评")
    await hall.check_in()
    deputy = hall.deputy_ids[6]
    await login_deputy(client, hall.codes[deputy])
    page = await client.get(f"/tablet/polls/{poll_id}")
    for label in ("满意", "基本满意", "不满意", "弃权"):
        assert f"<span>{label}</span>" in page.text
    assert "赞成" not in page.text.split("<main")[1]
    marks = {"P01": "satisfied", "P02": "dissatisfied"}
    done = await cast_on_tablet(client, poll_id, marks)
    assert "您的选票已投入票箱" in done.text
    for other in hall.deputy_ids[7:23]:  # 16 more: P01 gets 17 of 30 satisfied, more than half
        await sealed.cast(poll_id, other, {"P01": "satisfied", "P02": "basically_satisfied"})
    result = await sealed.close_poll(poll_id, STAFF)
    verdicts = {c["id"]: c["verdict"] for c in result["candidates"]}
    assert verdicts == {"P01": "satisfied", "P02": "basically_satisfied"}


async def test_a_form_shown_under_one_login_is_refused_under_the_next(client, hall):
    """Deputy A seals a ballot and logs out without casting; deputy B logs in on the same tablet.
    A's cast form, replayed under B (the back button's resubmission, a second tab), is refused,
    and even with B's own form token it casts nothing: it names A's login."""
    poll_id = await hall.poll(candidates=3, seats=1)
    a, b = hall.deputy_ids[8], hall.deputy_ids[9]
    await hall.check_in(a, b)
    await login_deputy(client, hall.codes[a])
    a_token = csrf_of(client)
    page = await client.get(f"/tablet/polls/{poll_id}")
    box, a_login = seal_for_page(page, {"P01": "for"})
    a_cast = {"sealed": box, "login": a_login, "_csrf_token": a_token}
    logout = await client.post("/tablet/logout", data={"_csrf_token": a_token})
    assert logout.status_code in (302, 303) and csrf_of(client) != a_token  # renewed

    await login_deputy(client, hall.codes[b])
    b_token = csrf_of(client)
    assert b_token != a_token
    replayed = await client.post(f"/tablet/polls/{poll_id}/cast", data=a_cast)
    assert replayed.status_code == 403 and "页面已过期" in replayed.text
    cast = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True, data={**a_cast, "_csrf_token": b_token})
    assert "下一步" in cast.text and not re.search(r"\bchecked\b", cast.text)  # B's own empty ballot
    assert await SealedBallot.count().where(SealedBallot.poll == poll_id) == 0
    assert not await ballot_box.has_voted(poll_id, a) and not await ballot_box.has_voted(poll_id, b)


async def test_a_deputy_who_asked_for_a_page_before_logging_in_lands_on_it(client, hall):
    from urllib.parse import parse_qs, urlsplit

    asked = await client.get("/tablet/supervision/")
    location = asked.headers["location"]
    wanted = parse_qs(urlsplit(location).query)["next"][0]
    assert wanted.startswith("/tablet/supervision")
    form = await client.get(location)
    assert f'name="next" value="{wanted}"' in form.text
    landed = await client.post("/tablet/login", data={"code": hall.codes[hall.deputy_ids[0]], "next": wanted,
                                                      "_csrf_token": csrf_of(client)})
    assert landed.headers["location"] == wanted
    client.cookies.clear()
    elsewhere = await client.post("/tablet/login", data={"code": hall.codes[hall.deputy_ids[1]],
                                                         "next": "https://evil.example/tablet",
                                                         "_csrf_token": await csrf(client)})
    assert elsewhere.headers["location"] == "/tablet"
