"""Sentence splitting chosen by language: pysbd rules for English, kiwipiepy for Korean.

Both return character spans into the original text, so country mention offsets computed on a
sentence map back to the article. Paragraph breaks always end a sentence (news bodies are one
paragraph per line; a splitter must not glue a headline-like line onto the next one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["SentenceSpan", "guess_language", "split_sentences"]

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LETTER = re.compile(r"[^\W\d_]")
_PARAGRAPH = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class SentenceSpan:
    text: str
    start: int
    end: int


def guess_language(text: str) -> str:
    """'ko' when at least a fifth of the letters are Hangul, else 'en' (our two splitters)."""
    letters = len(_LETTER.findall(text))
    return "ko" if letters and len(_HANGUL.findall(text)) / letters >= 0.2 else "en"


def _base_language(language: str | None, text: str) -> str:
    base = (language or "").split("-")[0].split("_")[0].lower()
    return base if base in ("en", "ko") else guess_language(text)


@lru_cache(maxsize=1)
def _english_segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    """Kiwi loads its model once per process (seconds): never at import time."""
    from kiwipiepy import Kiwi

    return Kiwi()


def _split_paragraph(text: str, offset: int, language: str) -> list[SentenceSpan]:
    if language == "ko":
        pieces = [(s.start, s.end) for s in _kiwi().split_into_sents(text)]
    else:
        pieces = [(s.start, s.end) for s in _english_segmenter().segment(text)]
    out: list[SentenceSpan] = []
    for start, end in pieces:
        chunk = text[start:end]
        stripped = chunk.strip()
        if not stripped:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        begin = offset + start + lead
        out.append(SentenceSpan(stripped, begin, begin + len(stripped)))
    return out


def split_sentences(text: str, language: str | None = None) -> list[SentenceSpan]:
    """Sentences of `text` with their spans; `language` 'ko' / 'en' (or None: guessed from the script)."""
    lang = _base_language(language, text)
    spans: list[SentenceSpan] = []
    for paragraph in _PARAGRAPH.finditer(text):
        if paragraph.group().strip():
            spans.extend(_split_paragraph(paragraph.group(), paragraph.start(), lang))
    return spans
