"""The secret ballot's cryptography, in one pure place: no database, no web, no clock.

Threat model (what each party can and cannot learn; README "How the ballot stays secret"):
- A database insider (DBA, backup operator, anyone with a replica, a WAL archive or a stolen
  disk) has every byte ever stored. While a poll is open the storage pairs each deputy with a
  sealed box at best (they are written in one transaction); a sealed box opens only with the
  poll's private key, which is never stored. After the count the plaintext ballots are
  written in one transaction, in a cryptographically random order, with fresh random ids,
  and the key is gone: the pairing deputy → box leads nowhere.
- The server's administrator during the vote sees requests and process memory: tablet
  ballots arrive sealed, and the private key exists only as shares on the scrutineers'
  cards. At the key ceremony the key is made in the server's memory and forgotten at once;
  at the count it is put together in memory for the seconds the opening takes. An
  administrator who captures the process memory at one of those two moments *and* keeps
  the storage's deputy → box pairing could read ballots: that is the residual risk, said
  plainly in the README.
- Someone on the hall's network sees HTTPS traffic; the ballot inside is sealed as well.
- One scrutineer, or k−1 together, hold shares of a k-of-n split: any k−1 shares are
  uniformly random bytes, independent of the key (Shamir's scheme), so they learn nothing.
- k scrutineers together at the count open the boxes once; the ballots are then shuffled
  before anything is stored, as a paper ballot box is shaken before it is opened.
- A deputy has their tablet: the sealed box holds a fresh random key and nonce, so nothing
  on the tablet proves to anyone else how they voted.

Construction (spec: docs/secret-ballot.md):
- Poll key: an X25519 key pair (NaCl, via PyNaCl/libsodium); the 32-byte private key is split
  k of n with Shamir's scheme over GF(2⁸), byte by byte, x = 1..n.
- Share card text: base32 of version ‖ x ‖ k ‖ key fingerprint (4 bytes) ‖ y (32 bytes) ‖
  check (first 2 bytes of SHA-256 of the rest), in groups of six.
- Tablet ballot: the canonical JSON {"format", "marks", "poll"} padded with spaces to the
  poll's fixed length (so its size says nothing), sealed with NaCl crypto_box from a fresh
  ephemeral key pair and a random 24-byte nonce to the poll's public key; sent as base64 of
  ephemeral public key ‖ nonce ‖ box (tweetnacl's nacl.box in the browser).
- Paper link: once the whole scrutiny team has confirmed a count, which content was counted
  for each paper serial is kept only as {"format", "marks", "poll", "serial", "void"} sealed
  the same way to the same key (padded to the poll's fixed link length), so a correction by
  serial needs k cards again and the storage no longer pairs a serial with its marks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import Box, PrivateKey, PublicKey
from nacl.utils import random as random_bytes

SEALED_FORMAT = "piaojue-sealed-ballot/1"
PAPER_LINK_FORMAT = "piaojue-paper-link/1"
KEY_BYTES = 32
NONCE_BYTES = Box.NONCE_SIZE
MAC_BYTES = 16
SHARE_VERSION = 1


class ShareError(ValueError):
    """A share card that cannot be read or does not belong here; `message` in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Shamir's secret sharing over GF(2⁸) (AES polynomial x⁸+x⁴+x³+x+1) ---------------------

_EXP = [0] * 510
_LOG = [0] * 256
_value = 1
for _power in range(255):
    _EXP[_power] = _value
    _LOG[_value] = _power
    _value ^= (_value << 1) ^ (0x11B if _value & 0x80 else 0)  # multiply by the generator 3
    _value &= 0xFF
for _power in range(255, 510):
    _EXP[_power] = _EXP[_power - 255]


def _mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError
    return 0 if a == 0 else _EXP[_LOG[a] + 255 - _LOG[b]]


def split_secret(secret: bytes, k: int, n: int) -> list[tuple[int, bytes]]:
    """n shares (x, y) of which any k give back `secret` and any k−1 say nothing of it."""
    if not 2 <= k <= n <= 255:
        raise ValueError("need 2 ≤ k ≤ n ≤ 255")
    coefficients = [[byte, *secrets.token_bytes(k - 1)] for byte in secret]
    shares = []
    for x in range(1, n + 1):
        y = bytearray()
        for poly in coefficients:
            acc = 0
            for c in reversed(poly):  # Horner
                acc = _mul(acc, x) ^ c
            y.append(acc)
        shares.append((x, bytes(y)))
    return shares


def combine_shares(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """The secret from shares with distinct x (Lagrange interpolation at 0)."""
    xs = [x for x, _ in shares]
    if len(set(xs)) != len(xs) or any(not 1 <= x <= 255 for x in xs):
        raise ValueError("shares need distinct x in 1..255")
    length = len(shares[0][1])
    secret = bytearray(length)
    for i, (xi, yi) in enumerate(shares):
        weight = 1
        for j, (xj, _) in enumerate(shares):
            if i != j:
                weight = _mul(weight, _div(xj, xj ^ xi))
        for b in range(length):
            secret[b] ^= _mul(yi[b], weight)
    return bytes(secret)


# --- The poll key and the cards that hold it ------------------------------------------------


def fingerprint(public_key: bytes) -> str:
    """The key's short fingerprint people compare by eye: 8 hex digits, as `3F2A-91C0`."""
    digest = hashlib.sha256(public_key).hexdigest()[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"


def _fingerprint_bytes(public_key: bytes) -> bytes:
    return hashlib.sha256(public_key).digest()[:4]


@dataclass(frozen=True)
class Share:
    x: int  # which card: 1..n
    k: int  # how many cards open the key
    key_id: bytes  # the first 4 bytes of SHA-256 of the public key: the card belongs to this key
    y: bytes

    @property
    def text(self) -> str:
        payload = bytes([SHARE_VERSION, self.x, self.k]) + self.key_id + self.y
        raw = base64.b32encode(payload + hashlib.sha256(payload).digest()[:2]).decode().rstrip("=")
        return "-".join(raw[i:i + 6] for i in range(0, len(raw), 6))

    @property
    def check_code(self) -> str:
        """Four characters printed on the card and shown when it is read back: the same card."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:4].upper()


@dataclass(frozen=True)
class PollKey:
    public_key: bytes
    shares: tuple[Share, ...]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def make_poll_key(k: int, n: int) -> PollKey:
    """A fresh key pair; only the public key and n shares of the private key leave this call."""
    private = PrivateKey.generate()
    public = bytes(private.public_key)
    key_id = _fingerprint_bytes(public)
    shares = tuple(Share(x, k, key_id, y) for x, y in split_secret(bytes(private), k, n))
    del private
    return PollKey(public, shares)


_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G"})


def read_share(text: str) -> Share:
    """A card's text as typed or scanned (spaces, dashes, case and 0/O-style slips do not matter)."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_LOOKALIKES)
    if not cleaned:
        raise ShareError("钥匙卡内容为空。")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise ShareError("钥匙卡内容无法识别，请重新扫描或核对后重新输入。") from None
    payload, check = raw[:-2], raw[-2:]
    if len(payload) != 3 + 4 + KEY_BYTES or payload[0] != SHARE_VERSION:
        raise ShareError("钥匙卡内容长度不对，请重新扫描或核对后重新输入。")
    if hashlib.sha256(payload).digest()[:2] != check:
        raise ShareError("钥匙卡内容有误（校验不符），请重新扫描或逐组核对后重新输入。")
    x, k = payload[1], payload[2]
    if not 1 <= x or k < 2:
        raise ShareError("钥匙卡内容有误。")
    return Share(x, k, payload[3:7], payload[7:])


def recover_private_key(public_key: bytes, shares: Iterable[Share]) -> bytes:
    """The private key from k or more cards of this key; ShareError (Chinese) if they cannot give it."""
    key_id = _fingerprint_bytes(public_key)
    by_x: dict[int, Share] = {}
    for share in shares:
        if share.key_id != key_id:
            raise ShareError(f"第 {share.x} 号钥匙卡不是这次票决的钥匙卡（钥匙指纹不符）。")
        by_x.setdefault(share.x, share)
    if not by_x:
        raise ShareError("没有钥匙卡。")
    k = next(iter(by_x.values())).k
    if len(by_x) < k:
        raise ShareError(f"需要 {k} 张不同的钥匙卡，现在只有 {len(by_x)} 张。")
    chosen = list(by_x.values())
    private = combine_shares([(s.x, s.y) for s in chosen[:k]])
    if bytes(PrivateKey(private).public_key) != public_key:
        raise ShareError("这几张钥匙卡合不成这次票决的钥匙：其中有一张读错了。请逐张重新扫描。")
    return private


# --- The sealed ballot ------------------------------------------------------------------------


def plaintext_length(candidates: int) -> int:
    """Every ballot of a poll is padded to this many bytes, whatever it marks."""
    return 64 * math.ceil((192 + 30 * candidates) / 64)


def sealed_length(candidates: int) -> int:
    return KEY_BYTES + NONCE_BYTES + MAC_BYTES + plaintext_length(candidates)


def canonical_marks(poll_ref: str, marks: Mapping[str, str]) -> bytes:
    return json.dumps({"format": SEALED_FORMAT, "marks": dict(sorted(marks.items())), "poll": poll_ref},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _seal_padded(public_key: bytes, text: bytes, length: int) -> str:
    """`text` padded with spaces to `length`, in a NaCl box from a fresh ephemeral key pair and a
    random nonce to `public_key`: base64 of ephemeral public key ‖ nonce ‖ box."""
    if len(text) > length:
        raise ValueError("content longer than its padded length")
    ephemeral = PrivateKey.generate()
    nonce = random_bytes(NONCE_BYTES)
    box = Box(ephemeral, PublicKey(public_key)).encrypt(text.ljust(length, b" "), nonce).ciphertext
    return base64.b64encode(bytes(ephemeral.public_key) + nonce + box).decode()


def _open_padded(private_key: bytes, raw: bytes, fmt: str, poll_ref: str) -> dict | None:
    """The JSON object in a box made by `_seal_padded`, or None unless it opens with this key and
    names this format and this poll."""
    try:
        box = Box(PrivateKey(private_key), PublicKey(raw[:KEY_BYTES]))
        text = box.decrypt(raw[KEY_BYTES + NONCE_BYTES:], raw[KEY_BYTES:KEY_BYTES + NONCE_BYTES])
        content = json.loads(text.decode().rstrip(" "))
    except (CryptoError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(content, dict) or content.get("format") != fmt or content.get("poll") != poll_ref:
        return None
    return content


def _marks_of(content: dict) -> dict[str, str] | None:
    marks = content.get("marks")
    if not isinstance(marks, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in marks.items()):
        return None
    return marks


def seal_marks(public_key: bytes, poll_ref: str, marks: Mapping[str, str], candidates: int) -> str:
    """What a tablet sends (static/sealed_ballot.js does the same in the browser)."""
    return _seal_padded(public_key, canonical_marks(poll_ref, marks), plaintext_length(candidates))


def read_sealed(text: str, candidates: int) -> bytes:
    """The bytes of a sealed ballot as sent, or ValueError if it cannot be one of this poll's."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(raw) != sealed_length(candidates):
        raise ValueError("wrong length")
    return raw


def open_sealed(private_key: bytes, poll_ref: str, raw: bytes) -> dict[str, str] | None:
    """The marks of one sealed ballot, or None if it does not open to a ballot of this poll
    (it is then counted as an invalid ballot)."""
    content = _open_padded(private_key, raw, SEALED_FORMAT, poll_ref)
    return None if content is None else _marks_of(content)


# --- A counted paper sheet's serial and content, once the count is confirmed -----------------


def paper_link_length(candidates: int) -> int:
    """Every sealed paper link of a poll is padded to this many bytes, whatever its sheet says."""
    return plaintext_length(candidates) + 64  # room for the serial and the void flag


def seal_paper_link(public_key: bytes, poll_ref: str, serial: str, marks: Mapping[str, str], void: bool,
                    candidates: int) -> str:
    """Which content the count took for one paper serial, sealed to the poll's key: only k
    scrutineers' cards open it again (for a correction by serial)."""
    text = json.dumps({"format": PAPER_LINK_FORMAT, "marks": dict(sorted(marks.items())), "poll": poll_ref,
                       "serial": serial, "void": bool(void)},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return _seal_padded(public_key, text, paper_link_length(candidates))


def open_paper_link(private_key: bytes, poll_ref: str, serial: str, text: str) -> tuple[dict[str, str], bool] | None:
    """The marks and void flag sealed for `serial`, or None if the box is not that serial's link."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    content = _open_padded(private_key, raw, PAPER_LINK_FORMAT, poll_ref)
    if content is None or content.get("serial") != serial or not isinstance(content.get("void"), bool):
        return None
    marks = _marks_of(content)
    return None if marks is None else (marks, content["void"])


def shuffled(items: list) -> list:
    """A cryptographically random permutation (the opened ballot box, shaken)."""
    items = list(items)
    secrets.SystemRandom().shuffle(items)
    return items
