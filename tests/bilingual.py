"""Translations for tests: a congress's second language set and every text a poll shows
translated (voting.translations), as its translation office would.

The texts are made, not translated: each is a run of the script's own letters chosen from the
source (so different sources get different texts, and a test can tell which one it sees), with
the source's placeholders kept. They are valid input for voting.languages.refusal and shape like
real words in their fonts; they mean nothing."""

from __future__ import annotations

import hashlib

from voting import languages, polls, translations
from voting.audit import Actor

OFFICE = Actor("staff", None, "翻译室 测试")
# letters that shape into ordinary syllables or words in each script
LETTERS = {
    "bo": ["ཀ", "ཁ", "ག", "ང", "ཅ", "ཆ", "ཇ", "ཉ", "ཏ", "ཐ", "ད", "ན", "པ", "ཕ", "བ", "མ", "ཙ", "ཚ", "ཛ", "ཝ",
           "ཞ", "ཟ", "འ", "ཡ", "ར", "ལ", "ཤ", "ས", "ཧ", "ཨ", "སྐ", "བསྒྲ", "རྒྱ", "ཀི", "ཁུ", "གེ", "ངོ"],
    "ug": list("ئابپتجچخدرزژسشغفقكگڭلمنھوۇۆۈۋېىي"),
    "ii": [chr(c) for c in range(0xA000, 0xA48C, 37)],
}
WORD_BREAK = {"bo": "་", "ug": " ", "ii": " "}
END = {"bo": "།", "ug": "", "ii": ""}


def pseudo(code: str, source: str) -> str:
    """A made-up text in `code`'s script for `source`, its placeholders kept."""
    digest = hashlib.sha256(f"{code}:{source}".encode()).digest()
    letters = LETTERS[code]
    words = []
    for i in range(2 + digest[0] % 3):
        words.append("".join(letters[b % len(letters)] for b in digest[1 + 4 * i: 4 + 4 * i + (i % 2)]))
    text = WORD_BREAK[code].join(words) + END[code]
    for name in sorted(languages.placeholders(source)):
        text += " {" + name + "}"
    return text


async def translate_all(congress_id: int, code: str, poll_id: int | None = None) -> dict[str, str]:
    """Set the congress's second language and translate every text piaojue and its polls show
    (the given poll's own texts, or all polls' of the congress); returns source -> text."""
    await translations.set_language(congress_id, code, OFFICE, "测试")
    sources = set()
    if poll_id is not None:
        sources.update(t["source"] for t in await translations.texts_for_poll(await polls.get_poll(poll_id)))
    sources.update(await translations.sources_of(congress_id))
    entries = {s: pseudo(code, s) for s in sources}
    await translations.enter(congress_id, entries, OFFICE)
    return entries


async def open_bilingual(hall, code: str, **poll) -> tuple[int, dict[str, str]]:
    """A poll of `hall` (tests.hall.Hall.poll's arguments), every text translated into `code`,
    opened with its quorum: (poll id, source -> text)."""
    from tests import sealed
    from tests.hall import STAFF

    poll_id = await hall.poll(open_=False, **poll)
    entered = await translate_all(hall.congress_id, code, poll_id)
    await hall.reach_quorum(poll_id)
    await sealed.open_poll(poll_id, STAFF)
    return poll_id, entered
