"""会前检查 as the secretariat sees it on a machine not yet set up for the hall: each check with
its state in words, the missing pieces named with what to do. (The HTTPS check against a live
hall server is in tests/deploy/test_hall_https.py; a passed rehearsal in tests/voting/test_rehearsal.py.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tests.hall import STAFF, login_staff
from voting import audit, backup, hall_server, preflight


def row(text: str, name: str) -> str:
    found = re.search(rf'<li class="preflight-item preflight-(\w+)">\s*<span[^>]*>[^<]*</span>\s*'
                      rf'<span class="preflight-name">{name}</span>\s*<span class="preflight-detail">([^<]*)</span>', text)
    assert found, name
    return found.group(1) + " " + found.group(2)


async def test_the_preflight_page_names_what_is_missing_and_what_to_do(client):
    await login_staff(client)
    page = await client.get("/console/preflight")
    assert page.status_code == 200 and "会前检查" in page.text
    assert row(page.text, "会场 HTTPS 地址").startswith("fail 没有会场证书：请用 make hall")
    assert row(page.text, "数据库").startswith("ok ")
    assert row(page.text, "打印字体").startswith("ok ")  # make test installs fonts-noto-cjk
    assert row(page.text, "磁盘空间").split()[0] in ("ok", "warn")
    assert row(page.text, "今日备份").startswith("fail ") and "python -m voting backup" in page.text
    assert 'id="clock-check" data-server-time="' in page.text


async def test_a_backup_today_passes_and_yesterdays_is_flagged(client, tmp_path, monkeypatch):
    monkeypatch.setenv("PIAOJUE_BACKUP_DIR", str(tmp_path))
    made = backup.take(tmp_path)
    assert hall_server.backup_plan()[0] == tmp_path
    today = preflight._backups(tmp_path, datetime.now(timezone.utc))
    assert today.state == preflight.OK and made["path"].rsplit("/", 1)[1] in today.detail
    tomorrow = preflight._backups(tmp_path, datetime.now(timezone.utc) + timedelta(days=1))
    assert tomorrow.state == preflight.WARN and "不是今天的" in tomorrow.detail


async def test_a_failed_rehearsal_or_none_in_a_week_fails_the_check():
    now = datetime.now(timezone.utc)
    await audit.record(STAFF, "rehearsal_reported", subject="会前演练", detail={"passed": False, "deputies": 30})
    assert (await preflight._rehearsal(now)).state == preflight.FAIL
    assert "没有通过" in (await preflight._rehearsal(now)).detail
    assert "最近 7 天没有会前演练" in (await preflight._rehearsal(now + timedelta(days=8))).detail


def test_missing_fonts_are_named_with_the_package():
    check = preflight._fonts({"Noto Sans CJK SC"})
    assert check.state == preflight.FAIL and "Noto Serif CJK SC" in check.detail and "fonts-noto-cjk" in check.detail


async def test_the_server_key_is_checked_where_several_nodes_need_the_same_one(client):
    await login_staff(client)
    assert row((await client.get("/console/preflight")).text, "服务器密钥").startswith("ok 已在设置中配置")
    alone = preflight._server_key("sqlite", configured=False)
    assert alone.state == preflight.OK and "secret.key" in alone.detail
    province = preflight._server_key("postgresql", configured=False)
    assert province.state == preflight.WARN and "同一个 PIAOJUE_SECRET" in province.detail
