"""The scrutineers' signed seal (pure): what a scrutineer signs when they confirm a count, and
how anyone checks it (docs/secret-ballot.md, "The signed seal").

The statement is UTF-8 text, one `key: value` line each, in this order:

    format: piaojue-signed-seal/1
    poll: 2025-s1-1
    ballots_sha256: <the seal: SHA-256 of the ballot file, 64 hex>
    result_sha256: <SHA-256 of the result's canonical JSON, 64 hex>
    audit_head: <the audit log's chain head when the page was shown, 64 hex>
    signer: 监票人 王芳

The scrutineer's tablet signs it with Ed25519 (the key is made in the tablet's browser and
never leaves it); the server stores the statement, the public key and the signature, and
checks the signature before it records the confirmation. Someone who can write to the
database cannot make a signature over a different seal: the private keys are not there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from voting.secrecy import fingerprint

FORMAT = "piaojue-signed-seal/1"
FIELDS = ("format", "poll", "ballots_sha256", "result_sha256", "audit_head", "signer")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class SignatureProblem(ValueError):
    """A signed confirmation that cannot be taken; the message is Chinese, for the page."""


@dataclass(frozen=True)
class Statement:
    poll: str
    ballots_sha256: str
    result_sha256: str
    audit_head: str
    signer: str

    @property
    def text(self) -> str:
        values = {"format": FORMAT, **self.__dict__}
        return "".join(f"{field}: {values[field]}\n" for field in FIELDS)


def result_digest(result: dict[str, Any]) -> str:
    """SHA-256 of the result as canonical JSON (keys sorted, UTF-8, no spaces)."""
    text = json.dumps(result, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def parse(text: str) -> Statement:
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    pairs = [line.split(": ", 1) for line in lines]
    if [p[0] for p in pairs] != list(FIELDS) or any(len(p) != 2 for p in pairs) or pairs[0][1] != FORMAT:
        raise SignatureProblem("签名的内容格式不对，请刷新页面后重新确认。")
    values = dict(pairs)
    if not all(_HEX64.fullmatch(values[f]) for f in ("ballots_sha256", "result_sha256", "audit_head")):
        raise SignatureProblem("签名的内容格式不对，请刷新页面后重新确认。")
    return Statement(values["poll"], values["ballots_sha256"], values["result_sha256"], values["audit_head"],
                     values["signer"])


def _public_key(public_key_hex: str) -> bytes:
    if not _HEX64.fullmatch(public_key_hex or ""):
        raise SignatureProblem("平板没有送来签名钥匙。请刷新页面后重新确认；仍不行时，请在纸质计票单上签字。")
    return bytes.fromhex(public_key_hex)


def _signature(signature_b64: str) -> bytes:
    try:
        raw = base64.b64decode(signature_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        raise SignatureProblem("平板没有送来有效的签名。请刷新页面后重新确认；仍不行时，请在纸质计票单上签字。")
    return raw


def signature_valid(public_key_hex: str, statement_text: str, signature_b64: str) -> bool:
    try:
        VerifyKey(_public_key(public_key_hex)).verify(statement_text.encode(), _signature(signature_b64))
    except (SignatureProblem, BadSignatureError, ValueError):
        return False
    return True


def check_signature(public_key_hex: str, statement_text: str, signature_b64: str) -> Statement:
    """The statement, if the signature over it is good; SignatureProblem (Chinese) if not."""
    statement = parse(statement_text)
    _public_key(public_key_hex), _signature(signature_b64)
    if not signature_valid(public_key_hex, statement_text, signature_b64):
        raise SignatureProblem("签名与确认内容不符，没有记录。请刷新页面后重新确认。")
    return statement


def key_fingerprint(public_key_hex: str) -> str:
    """The signing key's short fingerprint, printed beside the signer's name: `3F2A-91C0`."""
    return fingerprint(bytes.fromhex(public_key_hex)) if _HEX64.fullmatch(public_key_hex or "") else ""


def sign(seed: bytes, statement_text: str) -> tuple[str, str]:
    """(public key hex, signature base64): what a tablet sends. For clients and tests; the
    tablet itself signs in static/seal_signature.js with TweetNaCl's nacl.sign.detached."""
    key = SigningKey(seed)
    signature = key.sign(statement_text.encode()).signature
    return bytes(key.verify_key).hex(), base64.b64encode(signature).decode()
