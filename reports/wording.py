"""Chinese wording as official documents write it: dates in Chinese or Arabic numerals, counts."""

from __future__ import annotations

from datetime import date

from voting.sittings import chinese_number

_DIGITS = "〇一二三四五六七八九"


def chinese_date(day: date) -> str:
    """2025-01-15 → 二〇二五年一月十五日 (the form a notice is dated in)."""
    year = "".join(_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def official_date(day: date) -> str:
    """2025-01-05 → 2025年1月5日: the 成文日期 of GB/T 9704-2012 (7.3.5.1), Arabic numerals,
    the year in full, no leading zeros, no spaces."""
    return f"{day.year}年{day.month}月{day.day}日"
