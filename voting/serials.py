"""Serial numbers of paper ballots, with a check digit (pure).

A serial reads `PPPP-NNNNN-C`: the poll id (at least 4 digits), the ballot's number
within the poll (5 digits) and a Luhn check digit over all the digits before it, so a
digit misread or mistyped when a paper ballot is entered is caught. The QR code on the
ballot carries `PJ1|<poll ref>|<serial>`, which is what a hand scanner types.
"""

from __future__ import annotations

import re
import unicodedata

QR_PREFIX = "PJ1"
MAX_NUMBER = 99_999
_SERIAL = re.compile(r"^(\d{4,})-(\d{5})-(\d)$")


class SerialError(ValueError):
    """A serial that cannot be a printed one; `message` is Chinese, shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to `digits`."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:  # doubled: these sit at odd positions once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def make_serial(poll_id: int, number: int) -> str:
    """make_serial(7, 42) == '0007-00042-5'."""
    if poll_id < 1:
        raise ValueError(f"poll id must be positive, not {poll_id}")
    if not 1 <= number <= MAX_NUMBER:
        raise ValueError(f"ballot number must be 1..{MAX_NUMBER}, not {number}")
    head = f"{poll_id:04d}-{number:05d}"
    return f"{head}-{luhn_digit(head.replace('-', ''))}"


def qr_text(poll_ref: str, serial: str) -> str:
    """What the ballot's QR code carries: 'PJ1|2025-s1-1|0007-00042-5'."""
    return f"{QR_PREFIX}|{poll_ref}|{serial}"


def _normalise(text: str) -> str:
    # Full-width digits, hyphens and bars (a Chinese input method left on) become ASCII.
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def parse_serial(text: str) -> tuple[int, int]:
    """(poll id, ballot number) from a bare serial or a scanned QR text.

    Raises SerialError for anything that is not a well-formed serial with the right
    check digit.
    """
    value = _normalise(text)
    if not value:
        raise SerialError("没有输入选票编号。")
    if "|" in value:
        parts = value.split("|")
        if len(parts) != 3 or parts[0].upper() != QR_PREFIX or not parts[1]:
            raise SerialError(f"二维码内容“{text.strip()}”不是本系统选票的二维码。")
        value = parts[2]
    value = value.replace("—", "-").replace("–", "-")
    if value.isdigit() and len(value) == 10:  # typed without the dashes
        value = f"{value[:4]}-{value[4:9]}-{value[9]}"
    match = _SERIAL.match(value)
    if not match:
        raise SerialError(f"选票编号“{value}”格式不对，应为“0007-00042-5”这样的三段数字。")
    poll_digits, number_digits, check = match.groups()
    if luhn_digit(poll_digits + number_digits) != check:
        raise SerialError(f"选票编号“{value}”校验位不符，可能抄错或扫错了一位数字，请核对选票上的编号。")
    poll_id, number = int(poll_digits), int(number_digits)
    if poll_id < 1 or number < 1:
        raise SerialError(f"选票编号“{value}”不是印制过的编号。")
    return poll_id, number


def split_qr(text: str) -> tuple[str | None, int, int]:
    """(poll ref or None for a bare serial, poll id, number); SerialError as parse_serial."""
    value = _normalise(text)
    poll_id, number = parse_serial(value)
    return (value.split("|")[1] if "|" in value else None), poll_id, number
