"""The SMS outbox against a stand-in for Tencent Cloud's SMS API, started here on 127.0.0.1: it checks
each request as the API documents it (headers, JSON body) and recomputes the TC3-HMAC-SHA256
signature from what it received, refusing a wrong one as the API does; then it answers success, a
transient failure or a permanent one. The console's outbox page shows what came of each message.
Without the SMS settings nothing is queued, nothing is sent, and the console says so."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lifecycle import notification_rules, notifications, reminders, sms, sms_tencent
from lifecycle.proposals import Who
from lifecycle.tables import SmsMessage
from tests.hall import csrf_of, login_staff
from tests.lifecycle.test_proposals import ALL_MET, DEPARTMENT, SECRETARIAT, idea, open_round
from lifecycle import proposals
from voting import audit

SECRET_ID, SECRET_KEY = "AKIDpiaojueTEST0001", "test-secret-key-0001"
APP_ID, SIGN, TEMPLATE = "1400787878", "青溪县人大", "1958321"
RATE_LIMITED = {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                "Message": "the number of sms messages sent from a single mobile number within 30 seconds exceeds the "
                           "upper limit"}


class TencentStandIn:
    """Tencent Cloud's SendSms as documented, with a script of answers per number: "ok", "503",
    "rate" (LimitExceeded.PhoneNumberThirtySecondLimit) or "wrong" (InvalidParameterValue.IncorrectPhoneNumber)."""

    def __init__(self, scripts: dict[str, list[str]]):
        self.scripts = scripts
        self.requests: list[dict] = []
        self.problems: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = stand_in.answer(self.path, dict(self.headers.items()), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def error(code: str, message: str) -> dict:
        return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}

    def signature_problem(self, headers: dict[str, str], body: bytes) -> str:
        """Recompute TC3-HMAC-SHA256 from the request as received (its SignedHeaders, lower-cased and trimmed)."""
        headers = {k.lower(): v for k, v in headers.items()}
        found = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
                             r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", headers.get("authorization", ""))
        if not found:
            return "AuthFailure.InvalidAuthorization"
        secret_id, day, signed, signature = found.groups()
        stamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - stamp) > 300:
            return "AuthFailure.SignatureExpire"
        if secret_id != SECRET_ID:
            return "AuthFailure.SecretIdNotFound"
        names = signed.split(";")
        if not {"content-type", "host"} <= set(names) or day != time.strftime("%Y-%m-%d", time.gmtime(stamp)):
            return "AuthFailure.SignatureFailure"
        canonical = "POST\n/\n\n" + "".join(f"{n}:{headers[n].strip().lower()}\n" for n in names) + "\n" + signed \
            + "\n" + hashlib.sha256(body).hexdigest()
        to_sign = f"TC3-HMAC-SHA256\n{stamp}\n{day}/sms/tc3_request\n" + hashlib.sha256(canonical.encode()).hexdigest()
        key = ("TC3" + SECRET_KEY).encode()
        for part in (day, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return "" if hmac.compare_digest(expected, signature) else "AuthFailure.SignatureFailure"

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        plain = {k.lower(): v for k, v in headers.items()}
        for name, value in (("content-type", "application/json; charset=utf-8"), ("x-tc-action", "SendSms"),
                            ("x-tc-version", "2021-01-11"), ("x-tc-region", "ap-beijing")):
            if plain.get(name) != value:
                self.problems.append(f"{name}: {plain.get(name)!r}")
        if path != "/":
            self.problems.append(f"path {path}")
        problem = self.signature_problem(headers, body)
        if problem:
            return 200, self.error(problem, "The provided credentials could not be validated. "
                                            "Please check your signature is correct.")
        sent = json.loads(body)
        self.requests.append(sent)
        for field, value in (("SmsSdkAppId", APP_ID), ("SignName", SIGN), ("TemplateId", TEMPLATE)):
            if sent.get(field) != value:
                self.problems.append(f"{field}: {sent.get(field)!r}")
        numbers, params = sent.get("PhoneNumberSet"), sent.get("TemplateParamSet")
        if not (isinstance(numbers, list) and len(numbers) == 1 and re.fullmatch(r"\+861[3-9]\d{9}", numbers[0])):
            self.problems.append(f"PhoneNumberSet: {numbers!r}")
            return 200, self.error("InvalidParameterValue.IncorrectPhoneNumber", "phone number format error")
        if not (isinstance(params, list) and all(isinstance(p, str) and 0 < len(p) <= 12 for p in params)):
            self.problems.append(f"TemplateParamSet: {params!r}")
        script = self.scripts.get(numbers[0], ["ok"])
        turn = script.pop(0) if len(script) > 1 else script[0]
        if turn == "503":
            return 503, {}
        status = {"SerialNo": f"2640:{uuid.uuid4().int % 10**20}", "PhoneNumber": numbers[0], "Fee": 1,
                  "SessionContext": sent.get("SessionContext", ""), "IsoCode": "CN"}
        status.update({"ok": {"Code": "Ok", "Message": "send success"}, "rate": RATE_LIMITED,
                       "wrong": {"Code": "InvalidParameterValue.IncorrectPhoneNumber",
                                 "Message": f"invalid phone number {numbers[0]}"}}[turn])
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": str(uuid.uuid4())}}


@pytest.fixture
def configure(monkeypatch):
    """Point the SMS settings at a stand-in (and put them back afterwards)."""
    from config import settings

    def point_at(stand_in: TencentStandIn, secret_key: str = SECRET_KEY) -> None:
        for name, value in (("PIAOJUE_SMS_SECRET_ID", SECRET_ID), ("PIAOJUE_SMS_SECRET_KEY", secret_key),
                            ("PIAOJUE_SMS_APP_ID", APP_ID), ("PIAOJUE_SMS_SIGN_NAME", SIGN),
                            ("PIAOJUE_SMS_TEMPLATE_ID", TEMPLATE), ("PIAOJUE_SMS_REGION", "ap-beijing"),
                            ("PIAOJUE_SMS_ENDPOINT", stand_in.url)):
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield point_at
    monkeypatch.undo()
    settings.cache_clear()


async def decided(round_id: int, phone: str, title: str) -> dict:
    """A proposal entered with the proposer's phone, then shortlisted: one notice, with its SMS."""
    made = await proposals.submit(round_id, idea(title, village=title[:3], contact=f"李女士 {phone}"), SECRETARIAT)
    await proposals.record_review(made["id"], ALL_MET, {}, "", DEPARTMENT)
    await proposals.move(made["id"], "shortlisted", DEPARTMENT)
    return made


async def message_of(proposal_id: int) -> dict:
    [notice] = await notifications.of("proposer", proposal_id)
    return await SmsMessage.select().where(SmsMessage.notification == notice["id"]).output(load_json=True).first()


def row_of(page: str, message_id: int) -> str:
    return re.search(rf'<tr class="sms-row[^"]*" data-sms="{message_id}">(.*?)</tr>', page, re.S).group(1)


# --- pure parts --------------------------------------------------------------------------------------


def test_numbers_masks_and_the_retry_schedule():
    assert notification_rules.mobile_number("王先生 138-1234-5678") == "+8613812345678"
    assert notification_rules.mobile_number("+86 139 0000 1111，白天") == "+8613900001111"
    assert notification_rules.mobile_number("0571-88881234") == "" and notification_rules.mobile_number("") == ""
    assert notification_rules.masked("+8613812345678") == "138****5678"
    assert notification_rules.scrubbed("invalid phone number +8613812345678") == "invalid phone number 138****5678"
    now = datetime(2026, 12, 6, tzinfo=timezone.utc)
    waits = [sms.retry_at(n, now) for n in range(1, sms.MAX_ATTEMPTS + 1)]
    assert [(w - now) // timedelta(minutes=1) for w in waits[:-1]] == [1, 5, 30, 120, 360] and waits[-1] is None
    assert sms_tencent.outcome(200, json.dumps({"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "2640:1"}]}})
                               .encode()) == sms_tencent.Outcome("sent", "2640:1")
    assert sms_tencent.outcome(502, b"").status == "retry" and sms_tencent.outcome(403, b"").status == "failed"
    assert sms_tencent.outcome(200, json.dumps(TencentStandIn.error("RequestLimitExceeded", "too fast")).encode()
                               ).status == "retry"
    assert sms_tencent.outcome(200, json.dumps(TencentStandIn.error("FailedOperation.TemplateIncorrectOrUnapproved",
                                                                    "template")).encode()).status == "failed"


# --- against the stand-in ------------------------------------------------------------------------------


async def test_sent_retried_and_failed_messages_show_on_the_console_and_no_number_is_kept_or_logged(
        hall, client, configure, caplog):
    stand_in = TencentStandIn({"+8613800001111": ["ok"], "+8613800002222": ["rate", "ok"],
                               "+8613800003333": ["503", "503", "ok"], "+8613800004444": ["wrong"]})
    configure(stand_in)
    round_id = await open_round(hall)
    made = [await decided(round_id, phone, title) for phone, title in (
        ("13800001111", "东岭村道路硬化"), ("138 0000 2222", "西岭村卫生室改造"), ("13800003333", "南岭村路灯安装"),
        ("138-0000-4444", "北岭村文化礼堂"))]
    queued = [await message_of(m["id"]) for m in made]
    assert [q["status"] for q in queued] == ["queued"] * 4 and queued[1]["phone"] == "+8613800002222"
    assert queued[0]["params"] == [made[0]["code"], "已列入初选名单"]

    caplog.set_level(logging.DEBUG)
    now = datetime.now(timezone.utc)
    assert await sms.send_due(now) == {"sent": 1, "queued": 2, "failed": 1}
    assert not stand_in.problems, stand_in.problems
    assert [r["PhoneNumberSet"] for r in stand_in.requests] == [["+8613800001111"], ["+8613800002222"],
                                                               ["+8613800003333"], ["+8613800004444"]]
    assert stand_in.requests[0]["TemplateParamSet"] == [made[0]["code"], "已列入初选名单"]
    sent, limited, unavailable, wrong = [await message_of(m["id"]) for m in made]
    assert (sent["status"], sent["phone"], sent["attempts"]) == ("sent", "138****1111", 1)
    assert sent["provider_id"].startswith("2640:") and sent["sent_at"] is not None
    assert (limited["status"], limited["phone"]) == ("queued", "+8613800002222")  # kept: it will be tried again
    assert limited["last_error"].startswith("LimitExceeded.PhoneNumberThirtySecondLimit")
    assert wrong["status"] == "failed" and wrong["phone"] == "138****4444"
    assert wrong["last_error"] == "InvalidParameterValue.IncorrectPhoneNumber：invalid phone number 138****4444"

    await login_staff(client)
    page = (await client.get("/console/sms")).text
    assert "短信已配置" in page
    assert "已发送" in row_of(page, sent["id"]) and "138****1111" in row_of(page, sent["id"])
    assert "待发送" in row_of(page, limited["id"]) and "LimitExceeded" in row_of(page, limited["id"])
    assert "发送失败" in row_of(page, wrong["id"]) and "IncorrectPhoneNumber" in row_of(page, wrong["id"])
    assert not re.search(r"1380000\d{4}", page)  # no whole number on the page

    # before their time, nothing is sent again; once it has come, the retries go out
    assert await sms.send_due(now + timedelta(seconds=30)) == {"sent": 0, "queued": 0, "failed": 0}
    assert await sms.send_due(now + timedelta(minutes=2)) == {"sent": 1, "queued": 1, "failed": 0}
    assert await sms.send_due(now + timedelta(minutes=8)) == {"sent": 1, "queued": 0, "failed": 0}
    limited, unavailable = await message_of(made[1]["id"]), await message_of(made[2]["id"])
    assert (limited["status"], limited["attempts"], unavailable["status"], unavailable["attempts"]) == (
        "sent", 2, "sent", 3)
    page = (await client.get("/console/sms")).text
    assert "已发送" in row_of(page, unavailable["id"]) and ">3<" in row_of(page, unavailable["id"])
    assert await SmsMessage.count().where(SmsMessage.phone.like("+86%")) == 0  # every number masked now

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not re.search(r"1380000\d{4}", logged)
    outcomes = await audit.entries(action="sms_sent", limit=10) + await audit.entries(action="sms_failed", limit=10)
    assert len(outcomes) >= 4 and not any(re.search(r"1380000\d{4}", json.dumps(e, default=str)) for e in outcomes)


async def test_a_wrong_signature_is_refused_and_a_message_that_never_gets_through_fails_after_its_tries(
        hall, client, configure):
    stand_in = TencentStandIn({"+8613900005555": ["503"]})
    configure(stand_in, secret_key="not-the-key")
    round_id = await open_round(hall)
    refused = await decided(round_id, "13900006666", "东山村桥梁加固")
    now = datetime.now(timezone.utc)
    assert (await sms.send_due(now))["failed"] >= 1
    message = await message_of(refused["id"])
    assert message["status"] == "failed" and message["last_error"].startswith("AuthFailure.SignatureFailure")
    assert stand_in.requests == []  # refused before its body was taken

    configure(stand_in)
    unreachable = await decided(round_id, "13900005555", "西山村水库除险")
    now = datetime.now(timezone.utc)
    for minutes in (0, 2, 8, 40, 200, 600):
        await sms.send_due(now + timedelta(minutes=minutes))
    message = await message_of(unreachable["id"])
    assert (message["status"], message["attempts"]) == ("failed", sms.MAX_ATTEMPTS)
    assert message["last_error"].startswith(f"重试 {sms.MAX_ATTEMPTS} 次仍未成功") and message["phone"] == "139****5555"
    assert len(stand_in.requests) == sms.MAX_ATTEMPTS


async def test_without_the_sms_settings_nothing_is_queued_or_sent_and_the_console_says_so(hall, client):
    stand_in = TencentStandIn({})
    round_id = await open_round(hall)
    made = await decided(round_id, "13700007777", "东坡村垃圾分类站")
    assert await message_of(made["id"]) is None  # the notice is there; no SMS
    assert await notifications.of("proposer", made["id"])
    assert await sms.send_due() == {"sent": 0, "queued": 0, "failed": 0} and stand_in.requests == []
    await login_staff(client)
    page = await client.get("/console/sms")
    assert "短信未配置，不发送短信" in page.text and "PIAOJUE_SMS_SECRET_ID" in page.text
    ran = await client.post("/console/sms/run", data={"_csrf_token": csrf_of(client)})
    assert ran.status_code in (302, 303)
    after = await client.get(ran.headers["location"])
    assert "短信已发送 0 条" in after.text and stand_in.requests == []
    assert (await audit.entries(action="notifications_pass_run", limit=1))[0]["actor"]


async def test_the_server_s_own_pass_runs_on_its_interval_until_it_stops(monkeypatch):
    passes = []

    async def counted(now=None):
        passes.append(now)
        return {"reminders": 0, "sent": 0, "queued": 0, "failed": 0}

    monkeypatch.setattr(reminders, "run_once", counted)
    reminders.start(0.001)  # every 0.06 seconds
    try:
        for _ in range(60):
            await asyncio.sleep(0.05)
            if len(passes) >= 2:
                break
    finally:
        await reminders.stop()
    assert len(passes) >= 2 and reminders._task is None
    seen = len(passes)
    await asyncio.sleep(0.2)
    assert len(passes) == seen  # stopped
