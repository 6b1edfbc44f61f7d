"""A congress's second language and its translation office's texts (双语).

- The secretariat sets the congress's second language (voting.languages), with a reason.
- The translation office enters a translation for each text a poll shows: piaojue's own words
  (voting.vocabulary) and the poll's own (its title, each candidate's title and summary). Rows
  are never changed: entering a text again adds a newer row, and replacing a translation that a
  poll has already been shown with needs a reason.
- A poll opens only when every text it shows has a translation (`missing_for_poll`); it then
  keeps the language and the last translation in force (Poll.second_language,
  Poll.translations_upto), so its ballot, tally sheet and notice read the same words whatever is
  entered later.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from voting import audit, languages, vocabulary
from voting.audit import Actor
from voting.bilingual import CHINESE_ONLY, Bilingual
from voting.database import write_transaction
from voting.errors import Conflict, NotFound, Refused
from voting.tables import Candidate, Congress, Poll, Session, Term, Translation

LANGUAGE_TTL = 3.0  # seconds a congress's language is taken as known by this process
_languages: dict[int, tuple[float, str]] = {}
_books: dict[tuple[int, str, int], dict[str, str]] = {}


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


async def congress_language(congress_id: int, *, fresh: bool = False) -> str:
    now = time.monotonic()
    known = _languages.get(congress_id)
    if known and not fresh and now - known[0] < LANGUAGE_TTL:
        return known[1]
    row = await Congress.select(Congress.second_language).where(Congress.id == congress_id).first()
    if row is None:
        raise NotFound("没有这个人大。")
    _languages[congress_id] = (now, row["second_language"] or "")
    return row["second_language"] or ""


async def congress_of_session(session_id: int) -> int:
    row = await Session.select(Session.term.congress.as_alias("congress")).where(Session.id == session_id).first()
    if row is None:
        raise NotFound("没有这次会议。")
    return row["congress"]


_term_congress: dict[int, int] = {}  # a term never moves to another congress


async def congress_of_term(term_id: int) -> int | None:
    if term_id not in _term_congress:
        row = await Term.select(Term.congress).where(Term.id == term_id).first()
        if row is None:
            return None
        _term_congress[term_id] = row["congress"]
    return _term_congress[term_id]


async def for_term(term_id: int | None) -> Bilingual:
    """The words of a deputy's tablet pages: their congress's, as they are now."""
    return await for_congress(await congress_of_term(term_id) if term_id else None)


async def set_language(congress_id: int, code: str, actor: Actor, reason: str = "") -> None:
    if code and languages.language(code) is None:
        raise Refused("请从列表中选择第二语言。", code="unknown_language")
    async with write_transaction():
        before = await congress_language(congress_id, fresh=True)
        if before == code:
            return
        row = await Congress.select(Congress.name).where(Congress.id == congress_id).first()
        await Congress.update({Congress.second_language: code}).where(Congress.id == congress_id)
        await audit.record(actor, "second_language_set", subject=row["name"],
                           detail={"before": _language_name(before), "after": _language_name(code)},
                           reason=reason.strip())
    _languages.pop(congress_id, None)


def _language_name(code: str) -> str:
    lang = languages.language(code)
    return lang.name if lang else "无（只用中文）"


async def _rows(congress_id: int, language: str, upto: int | None = None) -> list[dict[str, Any]]:
    query = Translation.select(Translation.id, Translation.source, Translation.text, Translation.entered_by,
                               Translation.entered_at, Translation.reason).where(
        (Translation.congress == congress_id) & (Translation.language == language))
    if upto is not None:
        query = query.where(Translation.id <= upto)
    return await query.order_by(Translation.id)


async def _last_id(congress_id: int, language: str) -> int:
    row = await Translation.select(Translation.id).where(
        (Translation.congress == congress_id) & (Translation.language == language)).order_by(
        Translation.id, ascending=False).first()
    return row["id"] if row else 0


async def book(congress_id: int, language: str, upto: int | None = None) -> dict[str, str]:
    """Chinese source -> the translation in force (the newest row, up to `upto`)."""
    if not language:
        return {}
    upto = await _last_id(congress_id, language) if upto is None else upto
    key = (congress_id, language, upto)
    if key not in _books:
        if len(_books) > 64:
            _books.clear()
        _books[key] = {r["source"]: r["text"] for r in await _rows(congress_id, language, upto)}
    return _books[key]


async def history(congress_id: int, language: str) -> dict[str, list[dict[str, Any]]]:
    """Every row entered, newest last, by source: what the office entered, when and why."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in await _rows(congress_id, language):
        found.setdefault(row["source"], []).append(row)
    return found


# --- what a poll shows ---------------------------------------------------------------------------

async def poll_texts(poll: dict[str, Any]) -> list[dict[str, str]]:
    """The poll's own texts to translate, in the order its ballot shows them."""
    texts = [{"kind": "票决名称", "source": poll["title"]}]
    for c in await Candidate.select(Candidate.position, Candidate.title, Candidate.summary).where(
            Candidate.poll == poll["id"]).order_by(Candidate.position):
        texts.append({"kind": f"候选项目 {c['position']} 名称", "source": c["title"]})
        if c["summary"].strip():
            texts.append({"kind": f"候选项目 {c['position']} 简介", "source": c["summary"]})
    return texts


async def texts_for_poll(poll: dict[str, Any]) -> list[dict[str, str]]:
    words = [{"kind": "平板和打印用语", "source": w} for w in vocabulary.words_for(poll["method"])]
    return [*await poll_texts(poll), *words]


async def missing_for_poll(poll: dict[str, Any]) -> list[dict[str, str]]:
    """The texts a poll shows that have no translation yet; [] without a second language."""
    congress_id = await congress_of_session(poll["session"])
    language = await congress_language(congress_id, fresh=True)
    if not language:
        return []
    return await _missing(poll, await book(congress_id, language))


async def _missing(poll: dict[str, Any], found: dict[str, str]) -> list[dict[str, str]]:
    return [t for t in await texts_for_poll(poll) if t["source"] not in found]


def missing_refusal(lang: languages.Language, missing: list[dict[str, str]], *, where: str = "",
                    then: str = "开始投票") -> str:
    """Why a poll cannot `then` (开始投票, 打印选票) yet, in Chinese: how many of the texts it shows
    (`where`: on its paper ballot, say) lack a translation, the first few named."""
    shown = "；".join(f"{t['kind']}“{short(t['source'])}”" for t in missing[:5])
    more = f"等 {len(missing)} 条" if len(missing) > 5 else ""
    return (f"本届人大设定了第二语言{lang.name}，{where}还有 {len(missing)} 条文字没有{lang.name}译文：{shown}{more}。"
            f"请翻译人员在“双语”页录入后再{then}。")


def short(text: str, most: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most] + "…"


async def freeze_for_opening(poll: dict[str, Any]) -> dict[Any, Any]:
    """The columns that keep a poll's language and translations as it opens (inside open_poll's
    transaction); refuses while a text has no translation."""
    congress_id = await congress_of_session(poll["session"])
    language = await congress_language(congress_id, fresh=True)
    if not language:
        return {Poll.second_language: "", Poll.translations_upto: None}
    upto = await _last_id(congress_id, language)
    missing = await _missing(poll, await book(congress_id, language, upto))
    if missing:
        lang = languages.language(language)
        assert lang is not None
        raise Conflict(missing_refusal(lang, missing), code="translations_missing")
    return {Poll.second_language: language, Poll.translations_upto: upto}


async def for_poll(poll: dict[str, Any]) -> Bilingual:
    """The words a poll is shown and printed with: as it opened, or, for a draft, as they are now."""
    if poll["status"] != "draft":
        lang = languages.language(poll.get("second_language") or "")
        if lang is None:
            return CHINESE_ONLY
        congress_id = await congress_of_session(poll["session"])
        return Bilingual(lang, await book(congress_id, lang.code, poll["translations_upto"] or 0))
    return await for_congress(await congress_of_session(poll["session"]))


async def for_congress(congress_id: int | None) -> Bilingual:
    if congress_id is None:
        return CHINESE_ONLY
    lang = languages.language(await congress_language(congress_id))
    if lang is None:
        return CHINESE_ONLY
    return Bilingual(lang, await book(congress_id, lang.code))


# --- the translation office ----------------------------------------------------------------------

async def sources_of(congress_id: int) -> set[str]:
    """What may be translated: piaojue's words and the texts of the congress's polls."""
    sources = set(vocabulary.ALL)
    polls = await Poll.select(Poll.id, Poll.title).where(Poll.session.term.congress == congress_id)
    sources.update(p["title"] for p in polls)
    if polls:
        for c in await Candidate.select(Candidate.title, Candidate.summary).where(
                Candidate.poll.is_in([p["id"] for p in polls])):
            sources.update(t for t in (c["title"], c["summary"]) if t.strip())
    return sources


async def used_upto(congress_id: int, language: str) -> int:
    """The newest translation a poll of this congress has been shown with (0: none yet): rows up
    to it are used, and replacing one needs a reason (the translation office's page marks them)."""
    rows = await Poll.select(Poll.translations_upto).where(
        (Poll.session.term.congress == congress_id) & (Poll.second_language == language)
        & Poll.translations_upto.is_not_null())
    return max((r["translations_upto"] for r in rows), default=0)


async def enter(congress_id: int, entries: dict[str, str], actor: Actor, reason: str = "") -> int:
    """Store the typed translations (Chinese source -> text) that are new or changed; returns how
    many. All or nothing: one refused text refuses the lot, each refusal named."""
    language = await congress_language(congress_id, fresh=True)
    lang = languages.language(language)
    if lang is None:
        raise Refused("本届人大没有设定第二语言，请先在“双语”页选择。", code="no_second_language")
    reason = reason.strip()
    async with write_transaction():
        allowed = await sources_of(congress_id)
        current = {r["source"]: r for r in await _rows(congress_id, language)}
        shown_upto = await used_upto(congress_id, language)
        problems, new, replaced = [], [], []
        for source, typed in entries.items():
            text = languages.normalised(typed)
            before = current.get(source)
            if not text and before is None:
                continue  # left empty: nothing to store
            if source not in allowed:
                problems.append(f"“{short(source)}”不是需要翻译的文字")
                continue
            if before is not None and before["text"] == text:
                continue
            if before is not None and not text:
                problems.append(f"“{short(source)}”的译文不能清空，只能改为新的译文")
                continue
            why = languages.refusal(lang, source, text)
            if why:
                problems.append(f"“{short(source)}”：{why.rstrip('。')}")
                continue
            if before is not None and before["id"] <= shown_upto:
                replaced.append(source)
            new.append(Translation(congress=congress_id, language=language, source=source, text=text, entered_by=actor.label,
                                   reason=reason if before is not None else ""))
        if replaced and not reason:
            problems.append(f"{len(replaced)} 条译文已经用于开始过的票决（如“{short(replaced[0])}”），"
                            "修改须写明理由；已开始的票决仍按原译文显示和打印")
        if problems:
            raise Refused("译文没有保存：" + "；".join(problems) + "。", code="translation_refused")
        if not new:
            return 0
        await Translation.insert(*new)
        row = await Congress.select(Congress.name).where(Congress.id == congress_id).first()
        await audit.record(actor, "translations_entered", subject=row["name"],
                           detail={"language": lang.name, "count": len(new),
                                   "changed": sum(1 for t in new if t.source in current),
                                   "sources": [short(t.source) for t in new[:20]]},
                           reason=reason)
    return len(new)


RUNOFF = "{title}（另行票决）"


def runoff_title(title: str) -> str:
    return languages.fill(RUNOFF, {"title": title})[:200]


async def carry_to_runoff(poll: dict[str, Any], title: str) -> None:
    """A further vote opens at once, in the hall: its title's translation is made of the first
    round's, as the poll showed it, and the office's translation of "{title}（另行票决）"."""
    lang = languages.language(poll.get("second_language") or "")
    if lang is None:
        return
    congress_id = await congress_of_session(poll["session"])
    words = await book(congress_id, lang.code)
    shown = await for_poll(poll)
    if title in words or RUNOFF not in words or not shown.second(poll["title"]):
        return  # already there, or missing_for_poll lists it when the runoff opens
    await Translation.insert(Translation(
        congress=congress_id, language=lang.code, source=title,
        text=languages.fill(words[RUNOFF], {"title": shown.second(poll["title"])}),
        entered_by="系统（由已录入的译文组成）"))
