"""Every text of piaojue's own that a congress with a second language translates before a poll
opens: the tablet's (voting.tablet_words) and the printed documents' (voting.print_words), by the
poll's method. The poll's own texts (its title, the candidates' titles and summaries) are added
by voting.translations."""

from __future__ import annotations

from voting import print_words, tablet_words

METHODS = ("approval", "satisfaction")


def _unique(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word for group in groups for word in group))


WORDS: dict[str, tuple[str, ...]] = {
    "approval": _unique(tablet_words.COMMON, tablet_words.APPROVAL, print_words.COMMON, print_words.APPROVAL),
    "satisfaction": _unique(tablet_words.COMMON, tablet_words.SATISFACTION, print_words.COMMON,
                            print_words.SATISFACTION),
}
ALL: frozenset[str] = frozenset(w for words in WORDS.values() for w in words)


def words_for(method: str) -> tuple[str, ...]:
    return WORDS[method]
