"""Tencent Cloud SMS (腾讯云短信), API 3.0 action `SendSms`, version 2021-01-11: the provider adapter
of the SMS outbox (lifecycle.sms). Configured by PIAOJUE_SMS_* (config.py, README).

The request, as the API documents it: ``POST /`` to ``sms.tencentcloudapi.com`` with a JSON body
``{"PhoneNumberSet": ["+8613812345678"], "SmsSdkAppId": "1400…", "SignName": "…", "TemplateId": "…",
"TemplateParamSet": ["…"], "SessionContext": "…"}`` and the headers ``Content-Type: application/json;
charset=utf-8``, ``Host``, ``X-TC-Action: SendSms``, ``X-TC-Version: 2021-01-11``, ``X-TC-Timestamp``
(Unix seconds), ``X-TC-Region`` and ``Authorization``, signed with TC3-HMAC-SHA256 (`authorization`):

    CanonicalRequest = "POST\\n/\\n\\n" + "content-type:application/json; charset=utf-8\\nhost:<host>\\n"
                       + "x-tc-action:sendsms\\n" + "\\n" + "content-type;host;x-tc-action\\n" + hex(SHA256(body))
    StringToSign     = "TC3-HMAC-SHA256\\n" + timestamp + "\\n" + "<UTC date>/sms/tc3_request\\n"
                       + hex(SHA256(CanonicalRequest))
    SigningKey       = HMAC(HMAC(HMAC("TC3" + SecretKey, <UTC date>), "sms"), "tc3_request")
    Authorization    = "TC3-HMAC-SHA256 Credential=<SecretId>/<UTC date>/sms/tc3_request, "
                       "SignedHeaders=content-type;host;x-tc-action, Signature=" + hex(HMAC(SigningKey, StringToSign))

The answer is HTTP 200 whatever happened: ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``
when the request itself is refused, else ``{"Response": {"SendStatusSet": [{"SerialNo", "PhoneNumber",
"Code", "Message", …}], "RequestId"}}`` with ``Code`` ``Ok`` for a number the message went to.

`outcome` sorts an answer: sent (with the SerialNo); to retry (no answer, HTTP 429 or 5xx, the
API's and the numbers' rate limits, its internal errors and timeouts, a package run out, which a
top-up cures); failed for good (a wrong number, one on a blacklist, a signature or template not
approved, credentials refused, a malformed request: sending it again changes nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from config import SmsSettings

SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRIED = frozenset({
    "RequestLimitExceeded", "InternalError", "InternalError.Timeout", "InternalError.SendAndRecvFail",
    "InternalError.OtherError", "InternalError.UnknownError", "InternalError.RequestTimeException",
    "AuthFailure.SignatureExpire",  # the clock was off: the next try is signed afresh
    "LimitExceeded.PhoneNumberThirtySecondLimit", "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberSameContentDailyLimit",
    "LimitExceeded.DeliveryFrequencyLimit", "LimitExceeded.AppDailyLimit", "LimitExceeded.DailyLimit",
    "FailedOperation.InsufficientBalanceInSmsPackage",
})


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | retry | failed
    provider_id: str = ""
    error: str = ""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def authorization(secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int,
                  action: str = ACTION) -> str:
    """The Authorization header of a TC3-HMAC-SHA256 signed POST of `body` to `host` — pure."""
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical = "\n".join(("POST", "/", "", headers, SIGNED_HEADERS, hashlib.sha256(body).hexdigest()))
    scope = f"{utc_date(timestamp)}/{SERVICE}/tc3_request"
    to_sign = "\n".join((ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode("utf-8"), utc_date(timestamp)), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"


def request_body(config: SmsSettings, phone: str, params: Sequence[str], context: str = "") -> bytes:
    body = {"PhoneNumberSet": [phone], "SmsSdkAppId": config.app_id, "SignName": config.sign_name,
            "TemplateId": config.template_id, "TemplateParamSet": list(params)}
    if context:
        body["SessionContext"] = context
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def request_headers(config: SmsSettings, body: bytes, timestamp: int) -> dict[str, str]:
    host = urlsplit(config.endpoint).netloc
    return {"Authorization": authorization(config.secret_id, config.secret_key, host, body, timestamp),
            "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": ACTION, "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp), "X-TC-Region": config.region}


def _sorted(code: str, message: str) -> Outcome:
    retried = code in RETRIED or code.startswith("RequestLimitExceeded")
    return Outcome("retry" if retried else "failed", error=f"{code}：{message}".strip("："))


def outcome(status_code: int, content: bytes) -> Outcome:
    """What an answer of the API means for the message — pure."""
    if status_code == 429 or status_code >= 500:
        return Outcome("retry", error=f"短信接口暂时不可用（HTTP {status_code}）")
    if status_code != 200:
        return Outcome("failed", error=f"短信接口拒绝了请求（HTTP {status_code}）")
    try:
        answer = json.loads(content)["Response"]
        error = answer.get("Error")
        if error:
            return _sorted(str(error.get("Code", "")), str(error.get("Message", "")))
        status = answer["SendStatusSet"][0]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return Outcome("retry", error="短信接口的应答无法识别")
    if status.get("Code") == "Ok":
        return Outcome("sent", provider_id=str(status.get("SerialNo", "")))
    return _sorted(str(status.get("Code", "")), str(status.get("Message", "")))


async def send(config: SmsSettings, phone: str, params: Sequence[str], client: httpx.AsyncClient, *,
               timestamp: int, context: str = "") -> Outcome:
    """Send one message to one number (+86…) and say what came of it; never raises for the network."""
    body = request_body(config, phone, params, context)
    try:
        answer = await client.post(config.endpoint + "/", content=body,
                                   headers=request_headers(config, body, timestamp), timeout=TIMEOUT)
    except httpx.TimeoutException:
        return Outcome("retry", error="短信接口没有及时应答（超时）")
    except httpx.HTTPError as error:
        return Outcome("retry", error=f"连不上短信接口（{type(error).__name__}）")
    return outcome(answer.status_code, answer.content)
