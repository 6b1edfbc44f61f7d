"""Public only after a look (issue 16, item 6): a citizen's proposal and its photos reach the public
pages once the secretariat releases them or the round's delay passes with no one hiding them; staff
hide a proposal or a photo with a reason, correct or void a proposal with a reason, and all of it is
in the history the proposer reads."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest

from lifecycle import candidate_lists, proposals, publicity, screening
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from lifecycle.tables import Proposal, ProposalAttachment
from tests.hall import STAFF, csrf_of, login_staff
from tests.web.test_proposal_console import login_department
from tests.web.test_public import code_of, png, propose
from voting import audit
from voting.errors import Conflict, Forbidden, Refused

SECRETARIAT = Who(STAFF, "secretariat")
SCREENER = Who(STAFF, "screener")
_photos = itertools.count(1)
TEXT = "村道全长 3 公里，雨天泥泞，群众出行不便。"


async def a_round(hall, delay: int | None) -> int:
    today = proposals.today()
    return await proposals.create_round(hall.congress_id, today.year + 1, f"征集（公开等待 {delay}）",
                                        today - timedelta(days=1), today + timedelta(days=20), None, SECRETARIAT,
                                        release_after_hours=delay)


async def listed(client, code: str) -> bool:
    page = await client.get("/public/proposals", params={"q": code})
    assert page.status_code == 200
    return f'href="/public/proposals/{code}"' in page.text


async def a_citizens_proposal(citizen, round_id: int, title: str = "南岭村路灯安装") -> tuple[str, dict, bytes]:
    photo = png(width=40 + next(_photos))  # a photo of its own: files are stored by their content
    sent = await propose(citizen, round_id, files=[("files", ("路口照片.png", photo, "image/png"))], title=title,
                         proposer_name="孙大爷", contact="13700001234")
    assert sent.status_code == 303, sent.text
    code = code_of(await citizen.get(sent.headers["location"]))
    return code, await Proposal.select().where(Proposal.code == code).first(), photo


# --- the rule, pure ---------------------------------------------------------------------------------


def test_the_rule_releases_by_the_secretariat_at_once_by_the_delay_later_or_never_by_itself():
    entered = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)
    assert publicity.release_due(entered, 72, by_secretariat=True) == entered
    assert publicity.release_due(entered, 72, by_secretariat=False) == entered + timedelta(hours=72)
    assert publicity.release_due(entered, None, by_secretariat=False) is None
    due = entered + timedelta(hours=72)
    assert publicity.publicity("submitted", due, "", due - timedelta(seconds=1)).state == "pending"
    assert "2026年3月4日 10:00" in publicity.publicity("submitted", due, "", entered).text  # Beijing time
    assert publicity.publicity("submitted", due, "", due).listed
    assert publicity.publicity("submitted", None, "", due).state == "pending"
    assert publicity.publicity("shortlisted", entered, "含他人电话", due).state == "hidden"
    assert publicity.publicity("voided", entered, "", due).state == "unlisted"
    assert publicity.publicity("merged", entered, "", due).state == "unlisted"
    assert publicity.hide_refusal("candidate") and publicity.hide_refusal("chosen") and not publicity.hide_refusal("reserve")


# --- release --------------------------------------------------------------------------------------


async def test_a_citizens_proposal_waits_for_the_secretariat_then_is_public_with_its_photo(hall, citizen, client):
    round_id = await a_round(hall, None)  # this round: every proposal looked at before it shows
    code, row, photo = await a_citizens_proposal(citizen, round_id)
    sha = (await ProposalAttachment.select().where(ProposalAttachment.proposal == row["id"]).first())["sha256"]

    assert not await listed(citizen, code)
    home = await citizen.get("/public")
    assert "南岭村路灯安装" not in home.text
    own = await citizen.get("/public/track", params={"code": code})  # the proposer still follows it
    assert "待秘书处审核后公开" in own.text and "南岭村路灯安装" in own.text
    waiting = await proposals.list_proposals(proposals.Filters(round_id=round_id, publicity="pending"))
    assert [r["code"] for r in waiting["rows"]] == [code] and waiting["rows"][0]["publicity"] == "pending"

    # A screening department may not release; the secretariat does, from the proposal's page.
    await login_department(client)
    page = await client.get(f"/console/proposals/{row['id']}")
    assert "待秘书处审核后公开" in page.text and "审核通过，在网站公开" not in page.text
    refused = await client.post(f"/console/proposals/{row['id']}/release", data={"_csrf_token": csrf_of(client)})
    assert refused.status_code == 403 and not await listed(citizen, code)
    client.cookies.clear()
    await login_staff(client)
    page = await client.get(f"/console/proposals/{row['id']}")
    assert "审核通过，在网站公开" in page.text
    done = await client.post(f"/console/proposals/{row['id']}/release", data={"_csrf_token": csrf_of(client)})
    assert done.status_code == 302
    assert await listed(citizen, code)
    item = await citizen.get(f"/public/proposals/{code}")
    assert "经审核，在征集网站公开" in item.text and f"/public/attachments/{sha}" in item.text
    assert (await citizen.get(f"/public/attachments/{sha}")).content == photo
    again = await client.post(f"/console/proposals/{row['id']}/release", data={"_csrf_token": csrf_of(client)})
    assert again.status_code == 409 and "无需公开" in again.text
    assert [e["action"] for e in await audit.entries(limit=5)].count("proposal_released") == 1


async def test_with_a_delay_of_none_hours_it_shows_at_once_and_a_deputys_waits_like_a_citizens(hall, citizen):
    quick = await a_round(hall, 0)
    code, _, _ = await a_citizens_proposal(citizen, quick, "北岭村公厕改造")
    assert await listed(citizen, code)
    slow = await a_round(hall, 48)
    made = await proposals.submit(slow, ProposalInput(title="西岭村文化广场", description=TEXT, township="城关镇",
                                                      channel="deputy"), Who(STAFF, "deputy"))
    row = await proposals.get_proposal(made["id"])
    assert proposals.publicity_of(row).state == "pending" and not await listed(citizen, made["code"])
    assert row["released_at"] - row["created_at"] == timedelta(hours=48)
    entered = await proposals.submit(slow, ProposalInput(title="东岭村文化广场", description=TEXT, township="城关镇",
                                                         channel="liaison_station"), SECRETARIAT)
    assert await listed(citizen, entered["code"])  # entered from paper by the secretariat: looked at already
    with pytest.raises(Refused, match="0 至 720 小时"):
        await a_round(hall, 721)


# --- hiding ---------------------------------------------------------------------------------------


async def test_a_screener_hides_a_proposal_with_a_reason_the_proposer_reads_and_only_the_secretariat_shows_it(
        hall, citizen, client):
    round_id = await a_round(hall, 0)
    code, row, _ = await a_citizens_proposal(citizen, round_id, "南岭村张三家门口修路")
    assert await listed(citizen, code)
    await login_department(client)
    empty = await client.post(f"/console/proposals/{row['id']}/hide", data={"_csrf_token": csrf_of(client),
                                                                          "reason": "  "})
    assert empty.status_code == 400 and "须写明理由" in empty.text and await listed(citizen, code)
    hidden = await client.post(f"/console/proposals/{row['id']}/hide", data={
        "_csrf_token": csrf_of(client), "reason": "标题含个人姓名，待更正后公开"})
    assert hidden.status_code == 302
    assert not await listed(citizen, code)
    assert "张三" not in (await citizen.get("/public/proposals")).text
    for page in (await citizen.get("/public/track", params={"code": code}), await citizen.get(f"/public/proposals/{code}")):
        assert "标题含个人姓名，待更正后公开" in page.text and "张三" not in page.text and TEXT not in page.text
    page = await client.get(f"/console/proposals/{row['id']}")
    assert "恢复公开" not in page.text  # a screener hides; showing again is the secretariat's
    with pytest.raises(Forbidden):
        await proposals.unhide(row["id"], "已更正", SCREENER)

    client.cookies.clear()
    await login_staff(client)
    fixed = await client.post(f"/console/proposals/{row['id']}/correct", data={
        "_csrf_token": csrf_of(client), "title": "南岭村门前道路修缮", "description": TEXT, "township": "城关镇",
        "village": "东岭村", "category": "transport", "cost_wan": "120", "beneficiaries": "3000",
        "reason": "去掉标题中的个人姓名"})
    assert fixed.status_code == 302
    shown = await client.post(f"/console/proposals/{row['id']}/unhide", data={"_csrf_token": csrf_of(client),
                                                                            "reason": "已更正"})
    assert shown.status_code == 302 and await listed(citizen, code)
    item = (await citizen.get(f"/public/proposals/{code}")).text
    assert "南岭村门前道路修缮" in item and "张三" not in item
    assert "不在征集网站公开：标题含个人姓名" in item and "更正了名称：去掉标题中的个人姓名" in item
    assert "恢复在征集网站公开：已更正" in item
    # The audit log keeps the wording that was corrected, for the staff only.
    corrected = next(e for e in await audit.entries(limit=10) if e["action"] == "proposal_corrected")
    assert json.loads(corrected["detail"])["title"] == {"before": "南岭村张三家门口修路", "after": "南岭村门前道路修缮"}


async def test_a_hidden_photo_is_not_served_in_public_but_staff_still_open_it(hall, citizen, client):
    round_id = await a_round(hall, 0)
    code, row, photo = await a_citizens_proposal(citizen, round_id)
    attachment = await ProposalAttachment.select().where(ProposalAttachment.proposal == row["id"]).first()
    url = f"/public/attachments/{attachment['sha256']}"
    assert (await citizen.get(url)).status_code == 200
    await login_department(client)
    hidden = await client.post(f"/console/proposals/{row['id']}/attachments/{attachment['id']}/hide",
                               data={"_csrf_token": csrf_of(client), "reason": "照片拍到了路人面部"})
    assert hidden.status_code == 302
    assert (await citizen.get(url)).status_code == 404
    item = (await citizen.get(f"/public/proposals/{code}")).text
    assert url not in item and "隐藏附件“路口照片.png”：照片拍到了路人面部" in item and await listed(citizen, code)
    staff_copy = await client.get(f"/console/proposals/{row['id']}/attachments/{attachment['id']}")
    assert staff_copy.status_code == 200 and staff_copy.content == photo
    assert (await citizen.get(f"/console/proposals/{row['id']}/attachments/{attachment['id']}")).status_code in (
        302, 303, 401)  # no login: sent to log in, not served
    refused = await client.post(f"/console/proposals/{row['id']}/attachments/{attachment['id']}/show",
                                data={"_csrf_token": csrf_of(client), "reason": "已确认无妨"})
    assert refused.status_code == 403 and (await citizen.get(url)).status_code == 404
    await proposals.set_attachment_hidden(row["id"], attachment["id"], False, "已打码", SECRETARIAT)
    assert (await citizen.get(url)).status_code == 200


# --- corrections and voiding ---------------------------------------------------------------------


async def test_a_correction_needs_a_reason_and_a_change_and_stops_at_the_candidate_list(hall):
    round_id = await a_round(hall, 0)
    made = await proposals.submit(round_id, ProposalInput(title="东岭村道路硬化", description=TEXT, township="城关镇",
                                                          channel="liaison_station"), SECRETARIAT)
    same = ProposalInput(title="东岭村道路硬化", description=TEXT, township="城关镇", channel="liaison_station")
    with pytest.raises(Conflict, match="没有改动"):
        await proposals.correct(made["id"], same, "无", SECRETARIAT)
    typo = ProposalInput(title="东岭村道路硬化工程", description=TEXT, township="城关镇", channel="liaison_station",
                         cost_wan=150)
    with pytest.raises(Conflict, match="须写明理由"):
        await proposals.correct(made["id"], typo, " ", SECRETARIAT)
    assert (await proposals.get_proposal(made["id"]))["title"] == "东岭村道路硬化"  # nothing changed
    changed = await proposals.correct(made["id"], typo, "按原件更正", SECRETARIAT)
    assert set(changed) == {"title", "cost_wan"}
    history = await proposals.history(made["id"])
    assert history[-1]["kind"] == "corrected" and history[-1]["text"] == "更正了名称、估算投资：按原件更正"

    # On the candidate list the wording is the ballot's: no correction, no hiding, released if it was not.
    pending_round = await a_round(hall, None)
    waiting = await proposals.submit(pending_round, ProposalInput(title="南岭村饮水工程", description=TEXT,
                                                                  township="城关镇"), Who(STAFF, "deputy"))
    for proposal_id in (made["id"], waiting["id"]):
        await proposals.record_review(proposal_id, dict.fromkeys(screening.CRITERIA, "meets"), {}, "", SECRETARIAT)
        await proposals.move(proposal_id, "shortlisted", SECRETARIAT)
    await proposals.hide(waiting["id"], "待核实", SECRETARIAT)
    with pytest.raises(Conflict, match="已隐藏"):
        await candidate_lists.add(hall.session_id, [waiting["id"]], SECRETARIAT)
    assert (await proposals.get_proposal(waiting["id"]))["stage"] == "shortlisted"  # the whole list refused
    await proposals.unhide(waiting["id"], "已核实", SECRETARIAT)
    await Proposal.update({Proposal.released_at: None}).where(Proposal.id == waiting["id"])  # as if never released
    await candidate_lists.add(hall.session_id, [made["id"], waiting["id"]], SECRETARIAT)
    on_list = await proposals.get_proposal(waiting["id"])
    assert on_list["stage"] == "candidate" and proposals.publicity_of(on_list).listed
    with pytest.raises(Conflict, match="票面内容"):
        await proposals.correct(made["id"], ProposalInput(title="东岭村道路硬化二期", description=TEXT,
                                                          township="城关镇"), "改名", SECRETARIAT)
    with pytest.raises(Conflict, match="不能隐藏"):
        await proposals.hide(made["id"], "不宜公开", SECRETARIAT)


async def test_the_secretariat_voids_a_test_entry_which_leaves_the_public_pages_and_can_be_undone(hall, citizen, client):
    round_id = await a_round(hall, 0)
    code, row, _ = await a_citizens_proposal(citizen, round_id, "测试测试测试")
    assert await listed(citizen, code)
    await login_department(client)
    page = await client.get(f"/console/proposals/{row['id']}")
    assert 'value="voided"' not in page.text  # voiding is the secretariat's
    client.cookies.clear()
    await login_staff(client)
    page = await client.get(f"/console/proposals/{row['id']}")
    assert 'value="voided"' in page.text
    no_reason = await client.post(f"/console/proposals/{row['id']}/move", data={
        "_csrf_token": csrf_of(client), "target": "voided", "reason": ""})
    assert no_reason.status_code == 409 and "作废须写明理由" in no_reason.text
    voided = await client.post(f"/console/proposals/{row['id']}/move", data={
        "_csrf_token": csrf_of(client), "target": "voided", "reason": "系统测试时录入，不是真实建议"})
    assert voided.status_code == 302
    assert not await listed(citizen, code)
    own = (await citizen.get("/public/track", params={"code": code})).text
    assert "已作废" in own and "系统测试时录入，不是真实建议" in own and "测试测试测试" not in own
    assert (await proposals.stage_counts(round_id, public=True)).get("voided") is None
    await proposals.move(row["id"], "submitted", SECRETARIAT, "误作废，恢复初审")
    assert await listed(citizen, code)


async def test_a_hidden_proposal_quotes_none_of_its_wordings_in_the_notices_not_even_corrected_ones(
        hall, citizen, client):
    """The proposer's notices quote the title as it was when each was sent: after a correction and
    then a hide, the track page withholds the old title as well as the current one."""
    round_id = await a_round(hall, 0)
    code, row, _ = await a_citizens_proposal(citizen, round_id, "西岭村李四家门前排水沟")
    await proposals.record_review(row["id"], dict.fromkeys(screening.CRITERIA, "meets"), {}, "", SECRETARIAT)
    await proposals.move(row["id"], "shortlisted", SECRETARIAT)  # a notice that quotes the title
    before = (await citizen.get("/public/track", params={"code": code})).text
    assert "西岭村李四家门前排水沟" in before.split("通知")[-1]  # the notice quotes it
    await proposals.correct(row["id"], ProposalInput(title="西岭村排水沟疏通", description=TEXT, township="城关镇",
                                                     village="西岭村", category="transport"), "去掉个人姓名",
                            SECRETARIAT)
    await proposals.hide(row["id"], "曾含个人姓名，待核实", SECRETARIAT)
    page = (await citizen.get("/public/track", params={"code": code})).text
    assert "曾含个人姓名，待核实" in page
    assert "李四" not in page and "西岭村排水沟疏通" not in page and publicity.HIDDEN_WORDING in page
