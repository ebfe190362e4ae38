"""Misspelt country names and demonyms ("Phillipines", "Afganistan", "Saudia Arabia").

rapidfuzz (C++, MIT, maintained) computes optimal-string-alignment distances, where a swapped
pair of letters ("Kuwiat") costs one edit. The precision guard, because a capitalised word one
letter from a country is more often a person ("Herman" / German, "Susan" / Sudan):
- only capitalised words not already matched, 6+ letters, never a known surface;
- at most one edit (two from 10 letters on), same first letter, one best country (a tie is no
  answer), only names and demonyms (not cities, leaders or Korean forms);
- a lone word next to another capitalised word is taken for part of a name ("Marian Anderson");
- `not_misspellings` in aliases.yaml lists words that are real names or words near a country.
Each distinct word is looked up once per process (a bounded dict).
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from newsmodel.countries.gazetteer import load_gazetteer, load_not_misspellings, normalize_surface

if TYPE_CHECKING:
    from newsmodel.countries.detector import Mention

__all__ = ["FuzzyNames"]

_START = re.compile(r"(?<![\w'\u2019-])[A-Z][a-z]")
_WORD = re.compile(r"[A-Z][a-z]+(?![\w-])")
_PAIR = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]+(?![\w-])")
# Runs of capitalised words ("The Phillipines", "Ivory Cost", "Herman Cain"): the gate.
_RUNS = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*")
_CAPITALISED = re.compile(r"[A-Z][\w'\u2019-]*")
_MIN_LETTERS = 6
_CACHE_SIZE = 100_000
_MISSING = object()
_FUNCTION_WORDS = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "To",
        "From",
        "By",
        "For",
        "Of",
        "And",
        "But",
        "As",
        "With",
        "Into",
        "Across",
        "Over",
        "Near",
        "After",
        "Before",
    ]
)


def _max_edits(word: str) -> int:
    return 2 if len(word) >= 10 else 1


class FuzzyNames:
    """Nearest country name or demonym of a misspelt word, with the guard above."""

    _instance: FuzzyNames | None = None

    def __init__(self) -> None:
        by_letter: dict[str, dict[str, str]] = {}
        for key, entries in load_gazetteer().items():
            first = entries[0]
            if first.kind not in ("name", "derived", "demonym") or first.script != "latin":
                continue
            if len(first.iso3) != 1 or len(key) < _MIN_LETTERS - 1 or not key[:1].isalpha():
                continue
            by_letter.setdefault(key[0], {})[key] = first.iso3[0]
        self._by_letter = by_letter
        self._known = frozenset(load_gazetteer())
        self._not = load_not_misspellings()
        self._cache: dict[str, str | None] = {}
        self._runs: dict[str, bool] = {}

    @classmethod
    def shared(cls) -> FuzzyNames:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def lookup(self, word: str) -> str | None:
        """The code `word` misspells, or None (cached per process)."""
        found = self._cache.get(word, _MISSING)
        if found is _MISSING:
            if len(self._cache) > _CACHE_SIZE:
                self._cache.clear()
            found = self._cache[word] = self._nearest(word)
        return found  # type: ignore[return-value]

    def _run_may_misspell(self, run: str) -> bool:
        """Whether a word or a pair of adjacent words of the run is near a country (cached)."""
        found = self._runs.get(run)
        if found is None:
            words = run.split(" ")
            found = any(self.lookup(w) for w in words if len(w) >= _MIN_LETTERS) or any(
                self.lookup(f"{a} {b}") for a, b in pairwise(words)
            )
            if len(self._runs) > _CACHE_SIZE:
                self._runs.clear()
            self._runs[run] = found
        return found

    def _nearest(self, word: str) -> str | None:
        key = normalize_surface(word)
        if len(key.replace(" ", "")) < _MIN_LETTERS or key in self._known or key in self._not:
            return None
        choices = self._by_letter.get(key[0])
        if not choices:
            return None
        limit = _max_edits(key)
        found = extract(key, list(choices), scorer=OSA.distance, score_cutoff=limit, limit=4)
        if not found:
            return None
        best = min(d for _, d, _ in found)
        codes = {choices[c] for c, d, _ in found if d == best}
        return codes.pop() if len(codes) == 1 else None

    def find(self, text: str, taken: list[Mention]) -> list[Mention]:
        """Mentions for misspelt words of `text` outside the spans already `taken`.

        A cheap gate first: every long capitalised word and every pair of capitalised words is
        looked up (cached); only when one of them is near a country are positions worked out."""
        if not any(self._run_may_misspell(run) for run in _RUNS.findall(text)):
            return []
        from newsmodel.countries.detector import Mention

        covered: set[int] = set()
        for m in taken:
            covered.update(range(m.start, m.end))
        out: list[Mention] = []
        after = -1
        for start in (w.start() for w in _START.finditer(text)):
            if start < after or start in covered:
                continue
            pair = _PAIR.match(text, start)
            if pair is not None and pair.end() - 1 not in covered:
                code = self.lookup(pair.group())  # "Saudia Arabia", "Ivory Cost"
                if code is not None:
                    out.append(Mention(pair.group(), start, pair.end(), code, "fuzzy"))
                    after = pair.end()
                    continue
            word = _WORD.match(text, start)
            if word is None or word.end() - start < _MIN_LETTERS:
                continue
            code = self.lookup(word.group())
            if code is not None and not _next_to_capital(text, start, word.end()):
                out.append(Mention(word.group(), start, word.end(), code, kind="fuzzy"))
        return out


def _next_to_capital(text: str, start: int, end: int) -> bool:
    """A capitalised word right before (not at a sentence start) or right after: part of a name."""
    before = text[:start].rstrip(" ")
    after = text[end:].lstrip(" ")
    prev_word = before.rsplit(" ", 1)[-1] if before else ""
    if prev_word not in _FUNCTION_WORDS and _CAPITALISED.fullmatch(prev_word):
        return True
    return bool(after[:1].isupper() and text[end : end + 1] == " ")
