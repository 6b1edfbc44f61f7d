"""What the secretariat does in the console, through HTTP."""

import json
import subprocess
import sys

from tests.hall import csrf_of, key_ceremony_on_console, login_staff
from voting import ballot_box
from voting.ballot_file import load_ballot_file
from voting.rules import count
from voting.tables import AuditEntry, Poll
from tests import sealed

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def poll_form(token, title="2026年测试县民生实事项目票决", seats="2", titles=("村道硬化", "老年食堂", "饮水提升"),
              **extra):
    form = {"_csrf_token": token, "title": title, "method": "approval", "seats": seats, "max_approvals": "",
            "threshold_base": "entitled", "threshold_fraction": "1/2", "threshold_strict": "on",
            "quorum_fraction": "2/3"}
    for n, name in enumerate(titles, start=1):
        form[f"c{n}_title"] = name
        form[f"c{n}_summary"] = f"{name}的简介"
        form[f"c{n}_location"] = "城关镇"
        form[f"c{n}_cost"] = str(100 * n)
    form.update(extra)
    return form


async def test_wrong_password_is_refused_and_logged(client):
    await client.get("/console/login")
    response = await client.post("/console/login", data={"username": "nobody", "password": "x",
                                                         "_csrf_token": csrf_of(client)})
    assert response.status_code == 400 and "用户名或密码不正确" in response.text and 'value="nobody"' in response.text
    assert await AuditEntry.exists().where((AuditEntry.action == "login_failed") & (AuditEntry.subject.like("%nobody%")))


async def test_a_poll_with_too_few_candidates_is_refused_and_the_form_kept(client, hall):
    await login_staff(client)
    response = await client.post(f"/console/sessions/{hall.session_id}/polls",
                                 data=poll_form(csrf_of(client), seats="3"))
    assert response.status_code == 400
    assert "必须多于应选数" in response.text and "等额表决" in response.text
    assert 'value="村道硬化"' in response.text and "2026年测试县民生实事项目票决" in response.text
    assert not await Poll.exists().where(Poll.title == "2026年测试县民生实事项目票决")
    bad_cost = poll_form(csrf_of(client), title="投资额写错", c2_cost="三百")
    response = await client.post(f"/console/sessions/{hall.session_id}/polls", data=bad_cost)
    assert response.status_code == 400 and "投资额必须是整数" in response.text and 'value="三百"' in response.text
    marked = poll_form(csrf_of(client), title="等额表决测试", seats="3", non_competitive="on")
    response = await client.post(f"/console/sessions/{hall.session_id}/polls", data=marked)
    assert response.status_code in (302, 303)


async def test_the_whole_vote_from_the_console(client, hall):
    await login_staff(client)
    token = csrf_of(client)
    response = await client.post(f"/console/sessions/{hall.session_id}/polls", data=poll_form(token))
    assert response.status_code in (302, 303)
    poll_path = response.headers["location"]
    poll_id = int(poll_path.rsplit("/", 1)[1])

    edited = poll_form(token, titles=("村道硬化", "老年食堂", "饮水提升", "卫生院改造"), reason="主席团调整")
    response = await client.post(f"{poll_path}/edit", data=edited)
    assert response.status_code in (302, 303)
    page = await client.get(poll_path)
    assert "卫生院改造" in page.text and "开始投票" in page.text

    await hall.check_in()
    refused = await client.post(f"{poll_path}/open", data={"_csrf_token": token})
    assert refused.status_code == 409 and "还没有举行钥匙仪式" in refused.text
    cards = await key_ceremony_on_console(client, hall, poll_id)
    response = await client.post(f"{poll_path}/open", data={"_csrf_token": token})
    assert response.status_code in (302, 303)
    locked = await client.get(f"{poll_path}/edit")
    assert locked.status_code == 400 and "不能再修改" in locked.text

    plan = [{"P01": "for", "P02": "for"}] * 18 + [{"P01": "for", "P03": "for"}] * 4 + [{"P04": "against"}] * 2
    for deputy, marks in zip(hall.deputy_ids, plan):
        assert await sealed.cast(poll_id, deputy, marks) is ballot_box.Outcome.accepted
    progress = await client.get(f"{poll_path}/progress")
    assert progress.status_code == 200 and "收回选票" in progress.text
    api_progress = (await client.get(f"/api/polls/{poll_id}/progress")).json()
    assert api_progress["present"] == 30 and api_progress["returned"] == 24 and api_progress["quorum_met"]
    assert sum(d["returned"] for d in api_progress["delegations"]) == 24

    stopped = await client.post(f"{poll_path}/stop", data={"_csrf_token": token})
    assert stopped.headers["location"] == f"{poll_path}/count"
    desk = await client.get(f"{poll_path}/count")
    assert "平板选票 <b>24</b> 张（已加密）" in desk.text and desk.text.count('class="mono card-input"') == 3
    one = await client.post(f"{poll_path}/count", data={"_csrf_token": token, "card_01": cards[2]})
    assert one.status_code == 400 and "需要 2 张钥匙卡，现在只有 1 张" in one.text and "备用钥匙卡" in one.text
    assert cards[2] not in one.text  # a card's text is never shown back
    typo = cards[0][:-3] + ("A" if cards[0][-3] != "A" else "B") + cards[0][-2:]
    wrong = await client.post(f"{poll_path}/count", data={"_csrf_token": token, "card_01": typo, "card_02": cards[1]})
    assert wrong.status_code == 400 and "第 1 栏" in wrong.text
    response = await client.post(f"{poll_path}/count", data={"_csrf_token": token, "card_01": cards[2].lower(),
                                                             "card_03": cards[0]})
    assert response.status_code in (302, 303), response.text
    page = await client.get(poll_path)
    assert "计票结果" in page.text and "确定的项目（2 个）" in page.text
    assert page.text.index("村道硬化") < page.text.index("老年食堂")
    assert "<svg" in page.text and "当选所需赞成票" in page.text

    result = (await client.get(f"/api/polls/{poll_id}/result")).json()
    assert result["winners"] == ["P01", "P02"] and result["required"] == 16
    exported = await client.get(f"{poll_path}/ballots.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    rules, ballots = load_ballot_file(exported.text)
    assert count(rules, ballots).to_json() == result
    downloaded = json.loads((await client.get(f"{poll_path}/result.json")).text)
    assert downloaded == result

    ref = (await Poll.select(Poll.ref).where(Poll.id == poll_id).first())["ref"]
    cli = subprocess.run([sys.executable, "-m", "voting", "export", ref], cwd=ROOT, capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout == exported.text

    audit = await client.get("/console/audit", params={"action": "poll_closed"})
    assert ref in audit.text and "结束投票并计票" in audit.text
    ceremony = await client.get("/console/audit", params={"action": "key_ceremony_held"})
    assert ref in ceremony.text and "钥匙指纹" in ceremony.text
    changed = await client.get("/console/audit", params={"action": "poll_rules_changed"})
    assert "主席团调整" in changed.text


async def test_the_audit_log_takes_a_blank_day_as_none_and_refuses_one_out_of_range(client, hall):
    """Found by tests/security/test_openapi_fuzz.py: a day of only spaces, and the first and last
    days a date can have (whose Beijing day begins or ends outside what a time can hold), were 500s."""
    await login_staff(client)
    assert (await client.get("/console/audit", params={"day": " \x0b"})).status_code == 200
    for day in ("0001-01-01", "9999-12-31"):
        refused = await client.get("/console/audit", params={"day": day})
        assert refused.status_code == 400 and f"日期“{day}”超出范围" in refused.text
    assert (await client.get("/console/audit", params={"day": "0001-01-02"})).status_code == 200


async def test_marking_present_and_reissuing_a_code(client, hall):
    await login_staff(client)
    token = csrf_of(client)
    deputy = hall.deputy_ids[7]
    path = f"/console/sessions/{hall.session_id}/deputies/{deputy}"
    assert (await client.post(f"{path}/check-in", data={"_csrf_token": token})).status_code in (302, 303)
    listing = await client.get(f"/console/sessions/{hall.session_id}/deputies", params={"q": hall.numbers[deputy]})
    assert "已签到" in listing.text
    attendance = await client.get(f"/console/sessions/{hall.session_id}/attendance")
    assert "实到 <b>1</b> 人" in attendance.text and "尚不足法定人数" in attendance.text
    no_reason = await client.post(f"{path}/undo-check-in", data={"_csrf_token": token, "reason": " "})
    assert no_reason.status_code == 400 and "原因" in no_reason.text
    reissued = await client.post(f"{path}/login-code", data={"_csrf_token": token})
    assert reissued.status_code == 200 and "只显示这一次" in reissued.text
    old = hall.codes[deputy]
    client.cookies.clear()
    await client.get("/tablet/login")
    response = await client.post("/tablet/login", data={"code": old, "_csrf_token": csrf_of(client)})
    assert "登录码不正确" in response.text


async def test_a_code_is_not_reissued_for_a_deputy_of_another_congress(client, hall):
    """Found by tests/security/test_openapi_fuzz.py: the other congress's deputy was given a new code
    (their own stopped working), and then the page looked for them in this session (a 500)."""
    from tests.hall import login_deputy, make_hall

    other = await make_hall(deputies=2)
    stranger = other.deputy_ids[0]
    await login_staff(client)
    refused = await client.post(f"/console/sessions/{hall.session_id}/deputies/{stranger}/login-code",
                                data={"_csrf_token": csrf_of(client)})
    assert refused.status_code == 404 and "这位代表不属于本届人大" in refused.text
    client.cookies.clear()
    await login_deputy(client, other.codes[stranger])  # their code still works
