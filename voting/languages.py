"""A congress's second language and script (双语): which ones piaojue can print and show, and
what a translation must be to be accepted. Pure: no database, no web.

Congresses of ethnic autonomous areas print their ballots and notices in Chinese and the local
script. piaojue ships no translations of its own: the congress's translation office enters every
text (voting.translations), and a poll does not open until each text its ballot shows has one.
What is checked here is what a machine can check without reading the language:
- the text is in the language's own script (a Chinese or Latin text in the Tibetan box is a slip);
- the placeholders of the source ({seats}, {cap} …) are all there, and no others, so the figures
  that the software fills in reach the reader in both languages;
- no control characters that would reorder the text (the page sets the direction itself).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT = 2000  # characters of one translation: a candidate's summary is the longest text


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47, as in lang="…"
    name: str  # in Chinese, for the secretariat
    native: str  # in its own script, for the translation office and the deputies
    direction: str  # ltr | rtl
    font: str  # the Noto family that prints and shows it (Debian fonts-noto-core)
    ranges: tuple[tuple[int, int], ...]  # the script's code points

    def in_script(self, ch: str) -> bool:
        code = ord(ch)
        return any(low <= code <= high for low, high in self.ranges)


ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
LANGUAGES: dict[str, Language] = {
    "bo": Language("bo", "藏文", "བོད་ཡིག", "ltr", "Noto Serif Tibetan", ((0x0F00, 0x0FFF),)),
    "ug": Language("ug", "维吾尔文", "ئۇيغۇرچە", "rtl", "Noto Naskh Arabic", ARABIC),
    "ii": Language("ii", "彝文", "ꆈꌠꁱꂷ", "ltr", "Noto Sans Yi", ((0xA000, 0xA48F), (0xA490, 0xA4CF))),
}
CHOICES = (("", "不设第二语言（只用中文）"),
           *((code, f"{lang.name}（{lang.native}）") for code, lang in LANGUAGES.items()))

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
REORDERING = set("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Inside a translation, besides the script: digits, spaces, punctuation (Chinese, Latin, the
# script's own), and the joiners some scripts need.
NEUTRAL_CATEGORIES = ("Nd", "Zs", "Po", "Ps", "Pe", "Pd", "Pi", "Pf", "Sm", "Sc", "So", "Mn", "Cf")


def language(code: str) -> Language | None:
    return LANGUAGES.get(code or "")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def fill(text: str, values: dict[str, object]) -> str:
    """The text with its placeholders replaced; a placeholder with no value is left as it is."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def normalised(text: str) -> str:
    """A typed translation as stored: NFC, lines trimmed, runs of spaces within a line kept."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def refusal(lang: Language, source: str, text: str) -> str | None:
    """Why `text` cannot be the translation of `source` into `lang` (Chinese), or None."""
    if not text:
        return "译文是空的。"
    if len(text) > MAX_TEXT:
        return f"译文有 {len(text)} 个字符，最多 {MAX_TEXT} 个。"
    if any(ch in REORDERING or ch == "\x00" for ch in text):
        return "译文里有改变文字方向的控制字符，请删去后重新输入（页面会自动按该文字的方向排列）。"
    without = PLACEHOLDER.sub("", text)
    letters = [ch for ch in without if unicodedata.category(ch) not in NEUTRAL_CATEGORIES and not ch.isspace()]
    foreign = sorted({ch for ch in letters if not lang.in_script(ch)})
    if foreign:
        return (f"译文里有不属于{lang.name}的字符：{''.join(foreign[:8])}。"
                f"请用{lang.name}输入；数字和标点可以保留。")
    if not any(lang.in_script(ch) for ch in letters):
        return f"译文里没有{lang.name}。"
    wanted, found = placeholders(source), placeholders(text)
    if wanted != found:
        missing = "、".join("{" + p + "}" for p in sorted(wanted - found))
        extra = "、".join("{" + p + "}" for p in sorted(found - wanted))
        parts = ([f"缺少 {missing}"] if missing else []) + ([f"多出 {extra}"] if extra else [])
        return ("译文的占位符与中文不一致：" + "，".join(parts)
                + "。占位符由系统填入数字，请原样保留在译文中合适的位置。")
    return None
