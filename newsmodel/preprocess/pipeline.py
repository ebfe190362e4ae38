"""One article's text -> the sentences that relate two countries, with spans, pairs and importance.

Pure functions (no database): split by language, detect countries per sentence (the article's
date decides which leaders and historical states a name means), score every sentence with
TextRank within the article, keep the pair-bearing sentences (optionally the top-k of them by
importance), read who acts on whom in each (dependency parse or Korean particles) and emit one
record per sentence and country pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsmodel.countries import CountryDetector, Mention
from newsmodel.text.sentences import SentenceSpan, guess_language, split_sentences
from newsmodel.text.textrank import textrank_scores

if TYPE_CHECKING:
    from newsmodel.countries.direction import DirectedPair, DirectionReader

__all__ = ["DEFAULT_MAX_SENTENCE_CHARS", "ArticleSentences", "SentenceRecord", "process_article"]

DEFAULT_MAX_SENTENCE_CHARS = 1000


@dataclass
class SentenceRecord:
    """One (sentence, country pair) row; `mentions` holds every country mention of the sentence."""

    position: int
    text: str
    language: str
    country_a: str
    country_b: str
    mentions: list[dict[str, Any]]
    importance: float
    entities: list[dict[str, Any]] | None = None
    # source -> target when the sentence orders the pair (None: it does not say, or not read)
    source_country: str | None = None
    target_country: str | None = None
    direction_confidence: float | None = None


@dataclass
class ArticleSentences:
    language: str
    countries: list[str]
    sentences: int
    candidates: int
    skipped_long: int
    records: list[SentenceRecord] = field(default_factory=list)


def _units(title: str | None, body: str, language: str) -> list[SentenceSpan]:
    """The title (as sentence 0, unless the body repeats it) followed by the body's sentences."""
    spans = split_sentences(body, language)
    head = (title or "").strip()
    if head and not (spans and spans[0].text == head):
        spans.insert(0, SentenceSpan(head, -1, -1))
    return spans


def process_article(
    title: str | None,
    body: str,
    language: str | None,
    detector: CountryDetector,
    *,
    focus: Sequence[str] | None = None,
    top_k: int | None = None,
    max_chars: int = DEFAULT_MAX_SENTENCE_CHARS,
    date: dt.date | None = None,
    directions: DirectionReader | None = None,
) -> ArticleSentences:
    """Sentence records for one article; pairs only among `focus` countries when given; each pair
    ordered (source -> target) by `directions` when given."""
    # NUL bytes cannot be stored in Postgres text; dropping them before splitting keeps spans right.
    title, body = (title or "").replace("\x00", ""), body.replace("\x00", "")
    lang = (language or "").split("-")[0].lower() or guess_language(f"{title} {body}")
    units = _units(title, body, lang)
    mentions: list[list[Mention]] = [detector.detect(u.text, lang, date) for u in units]
    countries = sorted({m.iso3 for ms in mentions for m in ms})
    result = ArticleSentences(lang, countries, sentences=len(units), candidates=0, skipped_long=0)
    if not units:
        return result
    scores = textrank_scores([u.text for u in units], "ko" if lang == "ko" else "en")
    keep = set(focus) if focus else None
    candidates: list[tuple[int, list[tuple[str, str]]]] = []
    for position, (unit, found) in enumerate(zip(units, mentions, strict=True)):
        scoped = [m for m in found if keep is None or m.iso3 in keep]
        pairs = detector.pairs(scoped)
        if not pairs:
            continue
        if len(unit.text) > max_chars:
            result.skipped_long += 1
            continue
        candidates.append((position, pairs))
    result.candidates = len(candidates)
    if top_k is not None:
        candidates = sorted(candidates, key=lambda c: (-scores[c[0]], c[0]))[:top_k]
        candidates.sort()
    read: dict[int, dict[tuple[str, str], DirectedPair]] = {}
    if directions is not None and candidates:
        directed = directions.read_many(
            [units[p].text for p, _ in candidates],
            [[m for m in mentions[p] if keep is None or m.iso3 in keep] for p, _ in candidates],
            lang,
        )
        read = {p: {(d.a, d.b): d for d in ds} for (p, _), ds in zip(candidates, directed, strict=True)}
    for position, pairs in candidates:
        spans = [m.to_dict() for m in mentions[position]]
        for a, b in pairs:
            record = SentenceRecord(position, units[position].text, lang, a, b, spans, scores[position])
            said = read.get(position, {}).get((a, b))
            if said is not None:
                record.source_country, record.target_country = said.source, said.target
                record.direction_confidence = said.confidence
            result.records.append(record)
    return result
