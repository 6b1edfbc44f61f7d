"""What a deputy sees on the tablet, through HTTP (forms, CSRF and cookies as a browser sends them)."""

import re

from tests.hall import cast_on_tablet, csrf, csrf_of, draft_nonce, login_deputy, review_on_tablet
from voting import ballot_box
from voting.tables import AuditEntry, Ballot, CheckIn
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
    assert response.status_code in (302, 303) and response.headers["location"].endswith("/tablet/login")
    response = await client.get("/console/")
    assert response.headers["location"].endswith("/console/login")
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

    marks = {"P01": "for", "P02": "for", "P03": "against"}
    review = await review_on_tablet(client, poll_id, marks)
    assert review.status_code == 200 and "请核对您的选票" in review.text
    assert str(review.url).endswith(f"/tablet/polls/{poll_id}/review")  # a page of its own, not a form's answer
    assert "赞成 <b>2</b> 个" in review.text and review.text.count("未选择（未表态）") == 2
    assert "有 <b>2</b> 个项目您没有选择" in review.text and "计为<b>未表态</b>" in review.text

    back = await client.get(f"/tablet/polls/{poll_id}")  # 返回修改: the marks as they were
    assert re.search(r'name="m_P01" value="for"\s+checked', back.text)
    assert re.search(r'name="m_P03" value="against"\s+checked', back.text)

    cast_form = {"draft": draft_nonce(review), "_csrf_token": csrf_of(client)}
    done = await client.post(f"/tablet/polls/{poll_id}/cast", data=cast_form, follow_redirects=True)
    assert done.status_code == 200 and "您的选票已投入票箱" in done.text
    assert str(done.url).endswith(f"/tablet/polls/{poll_id}/done")
    stored = await Ballot.select(Ballot.id).where(Ballot.poll == poll_id)
    assert len(stored) == 1
    assert stored[0]["id"] not in done.text and "赞成" not in done.text.split("<main")[1]
    assert "piaojue_ballot" not in client.cookies  # nothing of the marks is left on the tablet

    replay = await client.post(f"/tablet/polls/{poll_id}/cast", data=cast_form, follow_redirects=True)
    assert "已投票" in replay.text and "确认投票" not in replay.text
    again = await client.get(f"/tablet/polls/{poll_id}")
    assert "已投票" in again.text and "确认投票" not in again.text
    assert await Ballot.count().where(Ballot.poll == poll_id) == 1


async def test_bad_ballots_get_a_message_and_keep_the_choices(client, hall):
    poll_id = await hall.poll(candidates=5, seats=2)
    deputy = hall.deputy_ids[3]
    await hall.check_in(deputy)
    await login_deputy(client, hall.codes[deputy])
    too_many = {"P01": "for", "P02": "for", "P03": "for"}
    response = await review_on_tablet(client, poll_id, too_many)
    assert response.status_code == 400 and "赞成票不能超过 2 个" in response.text
    assert re.search(r'name="m_P03" value="for"\s+checked', response.text)
    assert "请核对您的选票" not in response.text
    forged = await review_on_tablet(client, poll_id, {"P77": "for"})
    assert forged.status_code == 400 and "P77" in forged.text
    # Marks sent straight to 确认投票 are not what it casts: only marks reviewed under this login are.
    straight = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                                 data={"m_P01": "for", "draft": "x", "_csrf_token": csrf_of(client)})
    assert "请核对您的选票" in straight.text or "下一步" in straight.text
    assert await Ballot.count().where(Ballot.poll == poll_id) == 0


async def test_closed_poll_and_foreign_poll_refuse(client, hall):
    from tests.hall import STAFF, make_hall
    from voting import polls

    poll_id = await hall.poll()
    deputy = hall.deputy_ids[4]
    await hall.check_in(deputy)
    await login_deputy(client, hall.codes[deputy])
    review = await review_on_tablet(client, poll_id, {"P01": "for"})
    await sealed.close_poll(poll_id, STAFF)
    response = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                                 data={"draft": draft_nonce(review), "_csrf_token": csrf_of(client)})
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
    # What a hostile page's form could send (text/plain, no preflight) is refused.
    cross_site = await client.post(f"/api/polls/{poll_id}/ballot", content='{"marks": {"P01": "for"}}',
                                   headers={"content-type": "text/plain"})
    assert cross_site.status_code == 415
    bad = await client.post(f"/api/polls/{poll_id}/ballot", json={"marks": {"P01": "for", "P02": "for"}})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("赞成票不能超过 1 个")
    ok = await client.post(f"/api/polls/{poll_id}/ballot", json={"marks": {"P01": "for"}})
    assert ok.status_code == 201 and ok.json() == {"status": "accepted", "message": "您的选票已投入票箱。"}
    twice = await client.post(f"/api/polls/{poll_id}/ballot", json={"marks": {"P01": "for"}})
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
    review = await review_on_tablet(client, poll_id, marks)
    assert "满意" in review.text and "不满意" in review.text
    done = await cast_on_tablet(client, poll_id, marks)
    assert "您的选票已投入票箱" in done.text
    for other in hall.deputy_ids[7:23]:  # 16 more: P01 gets 17 of 30 satisfied, more than half
        await sealed.cast(poll_id, other, {"P01": "satisfied", "P02": "basically_satisfied"})
    result = await sealed.close_poll(poll_id, STAFF)
    verdicts = {c["id"]: c["verdict"] for c in result["candidates"]}
    assert verdicts == {"P01": "satisfied", "P02": "basically_satisfied"}


async def test_a_form_shown_under_one_login_is_refused_under_the_next(client, hall):
    """Deputy A reviews a ballot and logs out; deputy B logs in on the same tablet. A's forms,
    replayed under B (the back button's resubmission, a second tab), are refused, and A's kept
    marks, even put back into the browser by hand, cast nothing under B's login."""
    poll_id = await hall.poll(candidates=3, seats=1)
    a, b = hall.deputy_ids[8], hall.deputy_ids[9]
    await hall.check_in(a, b)
    await login_deputy(client, hall.codes[a])
    a_token = csrf_of(client)
    review = await review_on_tablet(client, poll_id, {"P01": "for"})
    assert "请核对您的选票" in review.text
    a_draft = client.cookies.get("piaojue_ballot")
    assert a_draft  # the marks kept for A between the steps
    a_cast = {"draft": draft_nonce(review), "_csrf_token": a_token}
    logout = await client.post("/tablet/logout", data={"_csrf_token": a_token})
    assert logout.status_code in (302, 303)
    assert "piaojue_ballot" not in client.cookies and csrf_of(client) != a_token  # emptied, renewed

    await login_deputy(client, hall.codes[b])
    b_token = csrf_of(client)
    assert b_token != a_token
    for path, form in (("cast", a_cast), ("review", {"m_P02": "for", "_csrf_token": a_token})):
        replayed = await client.post(f"/tablet/polls/{poll_id}/{path}", data=form)
        assert replayed.status_code == 403 and "页面已过期" in replayed.text, path
    client.cookies.set("piaojue_ballot", a_draft, domain="hall.local", path="/tablet/polls")
    cast = await client.post(f"/tablet/polls/{poll_id}/cast", follow_redirects=True,
                             data={"draft": a_cast["draft"], "_csrf_token": b_token})
    assert "下一步" in cast.text and not re.search(r"\bchecked\b", cast.text)  # B's own empty ballot
    review_b = await client.get(f"/tablet/polls/{poll_id}/review", follow_redirects=True)
    assert "请核对您的选票" not in review_b.text
    assert await Ballot.count().where(Ballot.poll == poll_id) == 0
    assert not await ballot_box.has_voted(poll_id, a) and not await ballot_box.has_voted(poll_id, b)
