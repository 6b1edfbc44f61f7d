"""The public side of proposal collection through HTTP: propose (multipart, with CSRF), track,
the public list and item pages, the abuse guards, and proposing from a deputy's tablet."""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, timedelta

import httpx
from PIL import Image

from lifecycle import proposals, uploads
from lifecycle.proposal_input import ProposalInput
from lifecycle.proposals import Who
from lifecycle.tables import Proposal, ProposalAttachment, SubmitAttempt
from tests.hall import STAFF, csrf, csrf_of, login_deputy, make_hall
from voting.audit import Actor

SECRETARIAT = Who(STAFF, "secretariat")
DEPARTMENT = Who(Actor("staff", None, "初审部门 钱科长"), "screener")
_serial = itertools.count(1)




def png(width: int = 64, height: int = 48, colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def open_round(hall, title: str = "") -> int:
    today = proposals.today()
    title = title or f"{today.year + 1} 年民生实事项目征集 {next(_serial)}"
    return await proposals.create_round(hall.congress_id, today.year + 1, title, today - timedelta(days=2),
                                        today + timedelta(days=20), 5000, SECRETARIAT)


def fields(round_id: int, token: str, **more: str) -> dict[str, str]:
    return {"_csrf_token": token, "round": str(round_id), "title": "东岭村道路硬化",
            "description": "村道全长 3 公里，雨天泥泞，群众出行不便。", "township": "城关镇", "village": "东岭村",
            "category": "transport", "cost_wan": "120", "beneficiaries": "3000", "website": "", **more}


async def uploads_kept() -> set[str]:
    return await uploads.stored_hashes()


async def propose(client, round_id: int, files=None, **more: str) -> httpx.Response:
    token = await csrf(client, "/public/propose")
    return await client.post("/public/propose", data=fields(round_id, token, **more), files=files)


def code_of(page: httpx.Response) -> str:
    found = re.search(r'id="tracking-code">([0-9A-Z]{4}-[0-9A-Z]{4})<', page.text)
    assert found, page.text
    return found.group(1)


# --- proposing ---------------------------------------------------------------------------


async def test_a_citizen_proposes_with_a_photo_tracks_it_and_it_is_public_without_private_data(citizen, hall):
    round_id = await open_round(hall, "青溪县 2026 年民生实事项目建议征集")
    landing = await citizen.get("/public")
    assert landing.status_code == 200 and "我要提建议" in landing.text and "青溪县 2026 年民生实事项目建议征集" in landing.text
    form = await citizen.get(f"/public/propose?round={round_id}")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert 'name="title"' in form.text and 'maxlength="60"' in form.text and 'maxlength="2000"' in form.text
    assert 'name="website"' in form.text and 'class="hp"' in form.text

    photo = png()
    name, contact = "欧阳秀兰", "13912345678"
    response = await propose(citizen, round_id, files=[("files", ("村道照片.png", photo, "image/png"))],
                             proposer_name=name, contact=contact, title="东岭村村道硬化改造")
    assert response.status_code == 303, response.text
    done = await citizen.get(response.headers["location"])
    assert done.status_code == 200 and "抄下来" in done.text
    code = code_of(done)

    row = await Proposal.select().where(Proposal.code == code).first()
    assert row["channel"] == "online" and row["proposer_name"] == name and row["contact"] == contact
    assert row["deputy"] is None and row["title"] == "东岭村村道硬化改造"
    attachment = await ProposalAttachment.select().where(ProposalAttachment.proposal == row["id"]).first()
    assert attachment["kind"] == "png" and attachment["size"] == len(photo) and attachment["name"] == "村道照片.png"

    track = await citizen.get("/public/track", params={"code": code.lower().replace("-", " ")})
    assert track.status_code == 200 and "东岭村村道硬化改造" in track.text
    assert "已提交，待初审" in track.text and "群众" in track.text and "网上征集" in track.text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", track.text)  # Beijing time

    # Public only after a look: the round shows proposals 72 hours on, or when the secretariat releases them.
    assert "将于" in track.text and "自动公开" in track.text
    unlisted = await citizen.get("/public/proposals", params={"q": "村道硬化改造"})
    assert unlisted.status_code == 200 and code not in unlisted.text
    await proposals.release(row["id"], SECRETARIAT)
    listing = await citizen.get("/public/proposals", params={"q": "村道硬化改造"})
    assert listing.status_code == 200 and code in listing.text and "共 <b>1</b> 条" in listing.text
    item = await citizen.get(f"/public/proposals/{code}")
    assert item.status_code == 200 and "雨天泥泞" in item.text
    assert f"/public/attachments/{attachment['sha256']}" in item.text
    for page in (done, track, listing, item, await citizen.get("/public")):
        assert name not in page.text and contact not in page.text
        assert "群众（网上征集）" not in page.text  # the role (群众) is shown, never the audit actor label

    served = await citizen.get(f"/public/attachments/{attachment['sha256']}")
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert "default-src 'none'" in served.headers["content-security-policy"]
    assert (await citizen.get("/public/attachments/" + "0" * 64)).status_code == 404
    assert (await citizen.get("/public/attachments/..%2F..%2Fsecret.key")).status_code == 404


async def test_csrf_is_checked_on_the_multipart_form(citizen, hall):
    round_id = await open_round(hall)
    await citizen.get("/public/propose")
    before = await Proposal.count()
    data = fields(round_id, "")
    del data["_csrf_token"]
    refused = await citizen.post("/public/propose", data=data, files=[("files", ("a.png", png(), "image/png"))])
    assert refused.status_code == 403 and "页面已过期" in refused.text
    forged = await citizen.post("/public/propose", data={**data, "_csrf_token": "x" * 128},
                                files=[("files", ("a.png", png(), "image/png"))])
    assert forged.status_code == 403
    assert await Proposal.count() == before


async def test_bad_fields_are_explained_next_to_each_and_everything_typed_comes_back(citizen, hall):
    round_id = await open_round(hall)
    before, kept_before = await Proposal.count(), await uploads_kept()
    response = await propose(citizen, round_id, files=[("files", ("photo.png", png(colour="blue"), "image/png"))],
                             title="修路", description="", township="城关镇<b>", village="东岭村" * 20,
                             category="", cost_wan="一百万", beneficiaries="3000",
                             proposer_name="张秀英", contact="13700001111")
    assert response.status_code == 400
    text = response.text
    assert "项目名称至少 4 个字" in text and "请填写项目内容" in text and "请选择类别" in text
    assert "村（社区）不能超过 30 字" in text and "估算投资（万元）应填数字" in text
    assert "重新选择附件" in text  # a file cannot be kept across a refused submit: said, not silently lost
    assert 'value="修路"' in text and 'value="城关镇&lt;b&gt;"' in text and 'value="一百万"' in text
    assert 'value="3000"' in text and 'value="张秀英"' in text and 'value="13700001111"' in text
    assert f'value="{"东岭村" * 20}"' in text
    assert 'aria-invalid="true"' in text and 'href="#f-title"' in text
    assert await Proposal.count() == before and await uploads_kept() == kept_before


async def test_an_html_file_named_jpg_is_refused_and_nothing_is_stored(citizen, hall):
    round_id = await open_round(hall)
    before, attempts, kept_before = await Proposal.count(), await SubmitAttempt.count(), await uploads_kept()
    page = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    response = await propose(citizen, round_id, files=[("files", ("good.png", png(), "image/png")),
                                                       ("files", ("photo.jpg", page, "image/jpeg"))],
                             title="东岭村文化礼堂修缮")
    assert response.status_code == 400
    assert "“photo.jpg”：只能上传 JPG、PNG、WebP 图片或 PDF 文件" in response.text
    assert "重新选择附件" in response.text and 'value="东岭村文化礼堂修缮"' in response.text
    assert await Proposal.count() == before and await SubmitAttempt.count() == attempts
    assert await uploads_kept() == kept_before  # not even the good file: every file is checked before any is kept


async def test_file_limits_per_file_count_and_body(citizen, hall):
    round_id = await open_round(hall)
    before = await Proposal.count()
    big = png() + b"\0" * (uploads.MAX_BYTES + 10)
    too_big = await propose(citizen, round_id, files=[("files", ("big.png", big, "image/png"))])
    assert too_big.status_code == 400 and "文件超过 10 MB" in too_big.text
    seven = [("files", (f"p{n}.png", png(colour="green"), "image/png")) for n in range(uploads.MAX_PER_PROPOSAL + 1)]
    too_many = await propose(citizen, round_id, files=seven)
    assert too_many.status_code == 400 and f"最多上传 {uploads.MAX_PER_PROPOSAL} 个附件" in too_many.text
    assert await Proposal.count() == before
    # Over the route's limit: refused before the body is read, with a Chinese page (not the app's 4 MB).
    # (A plain form sends its CSRF token in the body, so the CSRF check is what reads it and refuses.)
    huge = await citizen.post("/public/propose", content=b"x" * 64,
                              headers={"content-type": "multipart/form-data; boundary=zzz",
                                       "content-length": str(uploads.MAX_BYTES * uploads.MAX_PER_PROPOSAL + 2 ** 21)})
    assert huge.status_code == 413 and "上传的文件太大" in huge.text and "/public/propose" in huge.text
    # Between the app's 4 MB and the route's limit: accepted.
    five_mb = png(colour="white") + b"\0" * (5 * 1024 * 1024)
    accepted = await propose(citizen, round_id, files=[("files", ("large.png", five_mb, "image/png"))])
    assert accepted.status_code == 303, accepted.text[-2000:]


async def test_the_honeypot_refuses_and_stores_nothing(citizen, hall):
    round_id = await open_round(hall)
    before, attempts, kept_before = await Proposal.count(), await SubmitAttempt.count(), await uploads_kept()
    response = await propose(citizen, round_id, files=[("files", ("x.png", png(colour="yellow"), "image/png"))],
                             website="http://cheap-pills.example")
    assert response.status_code == 400 and "提交未被接受" in response.text
    assert await Proposal.count() == before and await SubmitAttempt.count() == attempts
    assert await uploads_kept() == kept_before


async def test_after_five_submissions_an_address_is_throttled_in_chinese_and_nothing_is_stored(citizen, hall):
    round_id = await open_round(hall)
    for n in range(proposals.PUBLIC_LIMIT):
        response = await propose(citizen, round_id, title=f"第{n + 1}条民生建议")
        assert response.status_code == 303
    before, kept_before = await Proposal.count(), await uploads_kept()
    response = await propose(citizen, round_id, files=[("files", ("y.png", png(colour="purple"), "image/png"))],
                             title="第六条民生建议")
    assert response.status_code == 429 and "提交太频繁" in response.text
    assert 'value="第六条民生建议"' in response.text and "重新选择附件" in response.text
    assert await Proposal.count() == before and await uploads_kept() == kept_before


async def test_several_open_rounds_must_be_chosen_between(citizen, hall):
    first, second = await open_round(hall, "甲征集 多轮测试"), await open_round(hall, "乙征集 多轮测试")
    form = await citizen.get("/public/propose")
    assert 'type="radio" name="round"' in form.text and "甲征集 多轮测试" in form.text and "乙征集 多轮测试" in form.text
    token = csrf_of(citizen)
    data = fields(first, token)
    del data["round"]
    response = await citizen.post("/public/propose", data=data, files=[])
    assert response.status_code == 400 and "请选择要参加的征集" in response.text
    response = await citizen.post("/public/propose", data={**data, "round": str(second)})
    assert response.status_code == 303
    code = response.headers["location"].rsplit("=", 1)[1]
    assert (await Proposal.select(Proposal.round).where(Proposal.code == code).first())["round"] == second


async def test_outside_the_window_the_form_says_when_the_next_one_opens(citizen, hall, monkeypatch):
    monkeypatch.setattr(proposals, "today", lambda: date(2099, 1, 10))
    later = await proposals.create_round(hall.congress_id, 2100, "2100 年民生实事项目征集", date(2099, 9, 1),
                                         date(2099, 9, 30), None, SECRETARIAT)
    form = await citizen.get("/public/propose")
    assert form.status_code == 200 and "现在不在征集期内" in form.text
    assert "2100 年民生实事项目征集" in form.text and "2099年9月1日" in form.text and 'name="title"' not in form.text
    landing = await citizen.get("/public")
    assert "2099年9月1日" in landing.text and "/public/propose?round=" not in landing.text
    token = csrf_of(citizen)
    late = await citizen.post("/public/propose", data=fields(later, token, title="东岭村路灯安装"))
    assert late.status_code == 409 and "不在征集期内" in late.text and 'value="东岭村路灯安装"' in late.text
    assert not await Proposal.exists().where(Proposal.round == later)

    monkeypatch.setattr(proposals, "today", lambda: date(2100, 12, 31))
    form = await citizen.get("/public/propose")
    assert "目前还没有安排下一次征集" in form.text


# --- tracking and the public list ---------------------------------------------------------------


def idea(title: str, township: str = "城关镇", **more) -> ProposalInput:
    return ProposalInput(**{"title": title, "description": "群众反映强烈，需要尽快解决。", "township": township,
                            "village": "东岭村", "category": "transport", "channel": "liaison_station", **more})


async def test_tracking_shows_reasons_roles_and_where_a_merged_proposal_went(citizen, hall):
    round_id = await open_round(hall)
    rejected = await proposals.submit(round_id, idea("南山村修建停车场", proposer_name="赵四海"), SECRETARIAT)
    await proposals.move(rejected["id"], "rejected", DEPARTMENT, reason="用地规划不允许，建议另行选址")
    page = await citizen.get("/public/track", params={"code": rejected["code"]})
    assert "不予采纳" in page.text and "用地规划不允许，建议另行选址" in page.text
    assert "初审部门" in page.text and "钱科长" not in page.text and "赵四海" not in page.text

    source = await proposals.submit(round_id, idea("东岭村道路硬化工程"), SECRETARIAT)
    target = await proposals.submit(round_id, idea("关于东岭村道路硬化的建议"), SECRETARIAT)
    await proposals.move(target["id"], "reserve", DEPARTMENT, reason="列入储备，明年优先考虑")
    await proposals.merge(source["id"], target["id"], DEPARTMENT)
    page = await citizen.get("/public/track", params={"code": source["code"]})
    assert "已合并" in page.text and target["code"] in page.text and "关于东岭村道路硬化的建议" in page.text
    assert "列入储备库" in page.text and "列入储备，明年优先考虑" in page.text  # the target's stage and history
    item = await citizen.get(f"/public/proposals/{source['code']}")
    assert item.status_code == 200 and target["code"] in item.text

    missing = await citizen.get("/public/track", params={"code": "ZZZZ-ZZZZ"})
    assert missing.status_code == 404 and "没有这个查询码" in missing.text and 'value="ZZZZ-ZZZZ"' in missing.text
    assert (await citizen.get("/public/proposals/ZZZZ-ZZZZ")).status_code == 404


async def test_the_list_filters_counts_and_pages_keeping_the_filters(citizen, hall):
    round_id = await open_round(hall)
    township = f"翻页镇{next(_serial)}"
    for n in range(proposals.PAGE_SIZE + 1):
        await proposals.submit(round_id, idea(f"翻页测试项目{n:03d}", township=township), SECRETARIAT)
    other = await proposals.submit(round_id, idea("别处的项目建议", township=township, category="water"),
                                   SECRETARIAT)
    first = await citizen.get("/public/proposals", params={"township": township, "category": "transport"})
    assert first.status_code == 200 and f"共 <b>{proposals.PAGE_SIZE + 1}</b> 条" in first.text
    assert first.text.count('class="card proposal-row"') == proposals.PAGE_SIZE and other["code"] not in first.text
    next_link = re.search(r'href="(/public/proposals\?[^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "category=transport" in next_link and "page=2" in next_link
    second = await citizen.get(next_link)
    assert second.text.count('class="card proposal-row"') == 1 and 'rel="prev"' in second.text
    assert f'<option value="{township}" selected>' in second.text
    water = await citizen.get("/public/proposals", params={"township": township, "category": "water"})
    assert "共 <b>1</b> 条" in water.text and other["code"] in water.text
    year = await citizen.get("/public/proposals", params={"year": "1999"})
    assert "共 <b>0</b> 条" in year.text and "没有符合条件的建议" in year.text


# --- the deputy's tablet ------------------------------------------------------------------------------


async def test_a_deputy_proposes_from_the_tablet_as_a_deputy_proposal(client, hall):
    own_round = await open_round(hall, "本级人大的征集 代表测试")
    other_hall = await make_hall(deputies=2)
    await open_round(other_hall, "别的人大的征集 代表测试")
    deputy = hall.deputy_ids[7]
    await login_deputy(client, hall.codes[deputy])
    home = await client.get("/tablet/")
    assert "提出民生实事项目建议" in home.text and 'href="/tablet/propose"' in home.text and "我的建议" in home.text
    form = await client.get("/tablet/propose")
    assert form.status_code == 200 and "本级人大的征集 代表测试" in form.text and "别的人大的征集" not in form.text
    assert 'name="website"' not in form.text and 'name="contact"' not in form.text

    data = {**fields(own_round, csrf_of(client), title="西溪小学操场改造"), "channel": "online"}
    response = await client.post("/tablet/propose", data=data,
                                 files=[("files", ("操场.png", png(colour="gray"), "image/png"))])
    assert response.status_code == 303, response.text[-2000:]
    done = await client.get(response.headers["location"])
    code = code_of(done)
    row = await Proposal.select().where(Proposal.code == code).first()
    assert row["channel"] == "deputy" and row["deputy"] == deputy and row["round"] == own_round
    assert await ProposalAttachment.count().where(ProposalAttachment.proposal == row["id"]) == 1
    home = await client.get("/tablet/")
    assert code in home.text and "西溪小学操场改造" in home.text and "已提交，待初审" in home.text

    item = await client.get(f"/public/proposals/{code}")
    assert "代表建议" in item.text and "人大代表" in item.text
    from voting.tables import Deputy

    name = (await Deputy.select(Deputy.name).where(Deputy.id == deputy).first())["name"]
    assert name not in item.text and hall.numbers[deputy] not in item.text

    bad = await client.post("/tablet/propose", data={**data, "title": "路"})
    assert bad.status_code == 400 and "项目名称至少 4 个字" in bad.text and 'value="路"' in bad.text
    huge = await client.post("/tablet/propose", content=b"x" * 64,
                             headers={"content-type": "multipart/form-data; boundary=zzz",
                                      "content-length": str(uploads.MAX_BYTES * uploads.MAX_PER_PROPOSAL + 2 ** 21)})
    assert huge.status_code == 413 and "上传的文件太大" in huge.text and 'href="/tablet"' in huge.text
    client.cookies.delete("piaojue_login")
    assert (await client.get("/tablet/propose")).status_code in (302, 303)
