"""The console's roster import over HTTP: upload → preview (nothing written) → confirm (exactly the
preview) or cancel; refusals on the page beside the form; numbers typed in lower case."""

from __future__ import annotations

import re

from tests.hall import STAFF, csrf_of, login_staff
from tests.voting.test_roster_import import HEADER, csv_bytes, padded_term, roll_of, the_office_file
from voting import accounts, pending_uploads, roster, roster_import
from voting.tables import PendingUpload
from voting.roster_import import DeputyRow
from voting.tables import AuditEntry, Deputy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


async def kept_files(term_id: int) -> list[str]:
    """The uploads kept on the server for this term's roster."""
    return sorted(r["token"] for r in await PendingUpload.select(PendingUpload.token).where(
        PendingUpload.purpose == f"roster:{term_id}"))


async def upload(client, term_id: int, name: str, data: bytes, media: str = XLSX):
    """Send the file; a good one is kept and the browser is sent on to its preview page."""
    sent = await client.post(f"/console/terms/{term_id}/import", data={"_csrf_token": csrf_of(client)},
                             files={"file": (name, data, media)})
    if sent.status_code != 303:
        return sent
    assert sent.headers["location"].startswith(f"/console/terms/{term_id}/import/preview?token=")
    return await client.get(sent.headers["location"])


async def confirm(client, term_id: int, page: str, **override: str):
    form = {"_csrf_token": csrf_of(client), "token": hidden(page, "token"), "digest": hidden(page, "digest"), **override}
    return await client.post(f"/console/terms/{term_id}/import/confirm", data=form)


async def test_upload_previews_and_only_the_confirmation_writes_exactly_the_preview(client):
    term_id = await padded_term()
    await login_staff(client)
    before = await roll_of(term_id)
    audits = await AuditEntry.count().where(AuditEntry.action == "deputies_imported")
    preview = await upload(client, term_id, "青溪县代表名册.xlsx", the_office_file())
    assert preview.status_code == 200
    text = preview.text
    assert "新增 3 人，更新 2 人，跳过 3 行" in text and "名册还没有任何改动" in text
    assert "另有 1 人与名册相同" in text and "将新建代表团：新设代表团" in text
    # the changed name is an update, marked in red, not a new deputy
    updates = text[text.index('id="updates"'):text.index('id="adds"')]
    assert '<tr class="name-changed">' in updates and "李秀英</span> → <span class=\"now\">李秀兰" in updates
    assert "手机：<span class=\"was\">13900000000</span> → <span class=\"now\">13900000007</span>" in updates
    skipped = text[text.index('id="skipped"'):]
    for reason in ("被筛选隐藏的行（筛选条件不符）", "隐藏的行", "模板中的示例行"):
        assert reason in skipped
    assert "代表证号 101 按名册中已有的 000101（王建国）处理" in text
    assert await roll_of(term_id) == before  # nothing written before confirmation
    assert await AuditEntry.count().where(AuditEntry.action == "deputies_imported") == audits
    assert len(await kept_files(term_id)) == 1  # the file waits on the server, not in the form
    assert "base64" not in text and len(hidden(text, "token")) == 32
    reloaded = await client.get(f"/console/terms/{term_id}/import/preview", params={"token": hidden(text, "token")})
    assert "新增 3 人，更新 2 人，跳过 3 行" in reloaded.text and await roll_of(term_id) == before

    done = await confirm(client, term_id, text)
    assert done.status_code in (302, 303)
    result = await client.get(done.headers["location"])
    assert "新增 3 人，更新 2 人，无变化 1 人，跳过 3 行，新建 1 个代表团" in result.text
    after = await roll_of(term_id)
    assert len(after) == len(before) + 3 and after["000102"]["name"] == "李秀兰"
    assert await kept_files(term_id) == []  # the upload is removed once confirmed
    audit = await client.get("/console/audit", params={"action": "deputies_imported"})
    assert "导入代表" in audit.text and "测试员" in audit.text

    back = await client.get(f"/console/terms/{term_id}/import/preview", params={"token": hidden(text, "token")})
    assert back.status_code == 404 and "预览已失效" in back.text and 'type="file"' in back.text
    again = await confirm(client, term_id, text)  # the browser's resubmission
    assert again.status_code == 404 and "预览已失效" in again.text and 'type="file"' in again.text
    assert await roll_of(term_id) == after


async def test_cancel_removes_the_upload_and_writes_nothing(client):
    term_id = await padded_term()
    await login_staff(client)
    before = await roll_of(term_id)
    preview = await upload(client, term_id, "名册.xlsx", the_office_file())
    cancelled = await client.post(f"/console/terms/{term_id}/import/cancel",
                                  data={"_csrf_token": csrf_of(client), "token": hidden(preview.text, "token")})
    assert cancelled.status_code in (302, 303) and await kept_files(term_id) == []
    late = await confirm(client, term_id, preview.text)
    assert late.status_code == 404 and await roll_of(term_id) == before


async def test_another_clerk_or_another_term_cannot_confirm_the_upload(client):
    term_id = await padded_term()
    other_term = await padded_term()
    await login_staff(client)
    preview = await upload(client, term_id, "名册.xlsx", the_office_file())
    before, other_before = await roll_of(term_id), await roll_of(other_term)
    form = {"_csrf_token": csrf_of(client), "token": hidden(preview.text, "token"),
            "digest": hidden(preview.text, "digest")}
    wrong_term = await client.post(f"/console/terms/{other_term}/import/confirm", data=form)
    assert wrong_term.status_code == 404 and await roll_of(other_term) == other_before
    client.cookies.clear()
    await accounts.create_staff("roster-clerk2", "另一位", "another-horse-9")
    await login_staff(client, "roster-clerk2", "another-horse-9")
    stolen = await confirm(client, term_id, preview.text)
    assert stolen.status_code == 404 and await roll_of(term_id) == before
    forged = await client.post(f"/console/terms/{term_id}/import/cancel",
                               data={"_csrf_token": csrf_of(client), "token": hidden(preview.text, "token")})
    assert forged.status_code in (302, 303) and len(await kept_files(term_id)) == 1  # not theirs to remove
    await pending_uploads.drop(hidden(preview.text, "token"))


async def test_a_roll_changed_after_the_preview_is_shown_again_not_written(client):
    term_id = await padded_term()
    await login_staff(client)
    preview = await upload(client, term_id, "名册.xlsx", the_office_file())
    await roster.import_deputies(term_id, [DeputyRow("000104", "陈静", "女", "东溪镇代表团", None, None)], STAFF)
    changed = await roll_of(term_id)
    sent = await confirm(client, term_id, preview.text)
    assert sent.status_code == 303 and "changed=true" in sent.headers["location"]
    refused = await client.get(sent.headers["location"])
    assert "名册在预览之后有了变动" in refused.text
    assert "新增 2 人，更新 3 人" in refused.text and await roll_of(term_id) == changed
    forged = await confirm(client, term_id, preview.text, digest="0" * 64)
    assert forged.status_code == 303 and await roll_of(term_id) == changed
    done = await confirm(client, term_id, refused.text)
    assert done.status_code in (302, 303) and len(await roll_of(term_id)) == len(changed) + 2


async def test_refusals_stay_on_the_page_beside_the_form(client):
    term_id = await padded_term()
    await login_staff(client)
    before = await roll_of(term_id)
    bad = "代表证号,姓名,性别,代表团\nN001,周明,男,城关镇代表团\nN002,,女,城关镇代表团\nN001,吴芳,女,东溪镇代表团\n"
    response = await upload(client, term_id, "名册.csv", bad.encode("utf-8-sig"), "text/csv")
    assert response.status_code == 400 and 'type="file"' in response.text
    assert "第 3 行" in response.text and "第 4 行" in response.text and "没有导入任何代表" in response.text
    template = await client.get("/console/import-template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    only_examples = await upload(client, term_id, "代表名册模板.xlsx", template.content)
    assert only_examples.status_code == 400 and "没有可以导入的代表" in only_examples.text
    assert "模板中的示例行" in only_examples.text
    none = await client.post(f"/console/terms/{term_id}/import", data={"_csrf_token": csrf_of(client)})
    assert none.status_code == 400 and "请选择要导入的名册文件" in none.text
    assert await roll_of(term_id) == before and await kept_files(term_id) == []


async def test_a_gb18030_csv_with_a_changed_name_is_an_update_not_a_new_deputy(client):
    term_id = await padded_term()
    await login_staff(client)
    data = csv_bytes([HEADER, ["000103", "张卫", "男", "岭头镇代表团", "", ""]], "gb18030")
    preview = await upload(client, term_id, "名册.csv", data, "text/csv")
    assert "新增 0 人，更新 1 人，跳过 0 行" in preview.text and '<tr class="name-changed">' in preview.text
    assert (await confirm(client, term_id, preview.text)).status_code in (302, 303)
    after = await roll_of(term_id)
    assert after["000103"]["name"] == "张卫" and len(after) == 4


async def test_an_unchanged_file_offers_nothing_to_confirm(client):
    term_id = await padded_term()
    await login_staff(client)
    data = csv_bytes([HEADER, ["000101", "王建国", "男", "城关镇代表团", "", ""]])
    preview = await upload(client, term_id, "名册.csv", data, "text/csv")
    assert "没有需要写入的变化" in preview.text and "确认导入" not in preview.text
    plan = await roster.preview_import(term_id, roster_import.parse_roster("名册.csv", data),
                                       pending_uploads.Held("", "", data).sha256)
    refused = await client.post(f"/console/terms/{term_id}/import/confirm", data={
        "_csrf_token": csrf_of(client), "token": hidden(preview.text, "token"), "digest": plan.digest})
    assert refused.status_code == 400 and "没有需要写入的变化" in refused.text
    await pending_uploads.drop(hidden(preview.text, "token"))


async def test_lower_case_numbers_find_the_deputy_in_the_console(client, hall):
    await login_staff(client)
    deputy = hall.deputy_ids[3]
    number = hall.numbers[deputy]
    assert number != number.lower()
    listing = await client.get(f"/console/sessions/{hall.session_id}/deputies", params={"q": number.lower()})
    assert f'id="d{deputy}"' in listing.text
    poll_id = await hall.poll(candidates=3, seats=1)
    await hall.check_in(deputy)
    issued = await client.post(f"/console/polls/{poll_id}/paper/issue",
                               data={"_csrf_token": csrf_of(client), "number": f" {number.lower()} "})
    assert issued.status_code in (302, 303), issued.text
    page = await client.get(issued.headers["location"])
    assert f"已向代表证号 {number} 的代表发放纸质选票" in page.text
