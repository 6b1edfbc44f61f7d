"""Flagging likely duplicate proposals: the same place and a similar title. Pure.

Titles are compared by their character bigrams after dropping punctuation, spaces and
the words nearly every title carries (项目, 建设, 工程…); two titles are similar when
their bigram sets overlap by at least half (Jaccard) or one contains the other.
"""

from __future__ import annotations

import re
import unicodedata

FILLER = ("民生实事", "项目", "工程", "建设", "改造", "提升", "实施", "关于", "建议", "新建", "进行")
THRESHOLD = 0.5


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).lower()
    text = "".join(ch for ch in text if ch.isalnum())
    for word in FILLER:
        text = text.replace(word, "")
    return text


def bigrams(text: str) -> frozenset[str]:
    if len(text) < 2:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def title_similarity(a: str, b: str) -> float:
    """1.0 for the same title (or one contained in the other), else the bigram Jaccard."""
    na, nb = normalise_title(a), normalise_title(b)
    if not na or not nb:
        return 0.0
    if na in nb or nb in na:
        return 1.0
    ga, gb = bigrams(na), bigrams(nb)
    return len(ga & gb) / len(ga | gb)


def same_place(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """(township, village): the same township, and the same village unless one is blank."""
    (ta, va), (tb, vb) = a, b
    clean = lambda s: re.sub(r"\s+", "", s or "")  # noqa: E731
    if clean(ta) != clean(tb) or not clean(ta):
        return False
    return not clean(va) or not clean(vb) or clean(va) == clean(vb)


def is_similar(title_a: str, place_a: tuple[str, str], title_b: str, place_b: tuple[str, str]) -> bool:
    return same_place(place_a, place_b) and title_similarity(title_a, title_b) >= THRESHOLD
