"""Texts in Chinese and, where the congress has set one, its second language: what the tablet's
pages and the printed documents call to show a text (as `bi` in their templates).

Chinese comes first; the translation follows in a span that carries its language and direction,
so browsers and WeasyPrint choose its font (print.css, app.css: `:lang(bo)` …), shape it, and lay a
right-to-left script out right to left inside a left-to-right page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from voting import vocabulary
from voting.languages import Language, fill


@dataclass(frozen=True)
class Bilingual:
    language: Language | None = None
    book: Mapping[str, str] = field(default_factory=dict)  # Chinese source -> translation

    def __bool__(self) -> bool:
        return self.language is not None

    @property
    def code(self) -> str:
        return self.language.code if self.language else ""

    def second(self, source: str, **values: object) -> str:
        """The translation alone, filled in; "" where there is none."""
        text = self.book.get(source, "") if self.language else ""
        return fill(text, values) if text else ""

    def span(self, source: str, tag: str = "span", **values: object) -> Markup:
        """The translation as an element of its own language and direction; nothing without one."""
        text = self.second(source, **values)
        if not text:
            return Markup("")
        assert self.language is not None
        return Markup(' <{tag} class="l2" lang="{lang}" dir="{dir}">{text}</{tag}>').format(
            tag=Markup(tag), lang=self.language.code, dir=self.language.direction, text=text)

    def word(self, source: str, **values: object) -> str:
        """The translation alone of one of piaojue's own words (voting.vocabulary), filled in;
        a text no congress is asked to translate is a KeyError, not a silent Chinese-only line."""
        if source not in vocabulary.ALL:
            raise KeyError(f"not in voting.vocabulary, so no congress is asked to translate it: {source!r}")
        return self.second(source, **values)

    def __call__(self, source: str, **values: object) -> Markup:
        """One of piaojue's own words (voting.vocabulary): Chinese, then its translation."""
        self.word(source)
        return escape(fill(source, values)) + self.span(source, **values)

    def own(self, source: str) -> Markup:
        """A poll's own text (its title, a candidate's title or summary): Chinese, then its translation."""
        return escape(source) + self.span(source)


CHINESE_ONLY = Bilingual()
