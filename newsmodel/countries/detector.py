"""Find the countries a sentence speaks about, and the country pairs it relates.

One regular expression, compiled once from a trie of every gazetteer surface (so the engine
follows one branch per character instead of trying two thousand alternatives), finds the
longest form at each place that respects word boundaries; a case rule then rejects "us"
(pronoun) for "US" and "china" (porcelain) for "China". Korean forms have their own
boundaries: particles attach without a space ("미국과"), so a Korean name may be followed by
Hangul, except the forms that are also ordinary words ("인도" / "인도적"), which need a particle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

from newsmodel.countries.gazetteer import (
    KO_FOLLOWERS,
    Entry,
    load_abbreviation_nouns,
    load_dot_abbreviations,
    load_gazetteer,
    normalize_surface,
)
from newsmodel.errors import ConfigError

__all__ = ["CountryDetector", "Mention", "get_detector"]

_HANGUL_CLASS = "\uac00-\ud7a3"
# Hangul prefixes that attach to a country name: 대(對, toward), 반(anti), 친(pro), 탈(leaving).
_KO_PREFIXES = "대반친탈"
_LATIN_LEFT = r"(?<!\w)"
_LATIN_RIGHT = r"(?:(?<!\w)|(?!\w))"
_KO_LEFT = rf"(?:(?<![{_HANGUL_CLASS}])|(?<=(?<![{_HANGUL_CLASS}])[{_KO_PREFIXES}]))"
_KO_STRICT_RIGHT = rf"(?=[^{_HANGUL_CLASS}]|$|{'|'.join(map(re.escape, KO_FOLLOWERS))})"
_HANJA_CLASS = "\u4e00-\u9fff"
_DOTS = "\u00b7\u318d\u30fb"  # middle dots: · ㆍ ・
# Where a form can start: a capital at a word start (nearly every English form starts with one),
# the first word of the few that do not ("inter-Korean"), or a Hangul word start. Trying the big
# pattern only there is ~3x faster than scanning every position.
_CAPITAL = r"[A-Z\u00c0-\u00d6\u00d8-\u00de]"
_FIRST_WORD = re.compile(r"^[^\W\d_]+")


@dataclass(frozen=True)
class Mention:
    """A country named in a text: the surface as written, its character span and ISO alpha-3 code."""

    text: str
    start: int
    end: int
    iso3: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _char_pattern(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if ch == "'":
        return "['\u2019]"
    return re.escape(ch)


def _trie_pattern(node: dict[str, Any]) -> str:
    """Regex for a trie node; a terminal becomes an optional tail, so longer forms are tried first."""
    branches = [_char_pattern(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch != ""]
    tail: str | None = node.get("")
    if not branches:
        return tail or ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if tail is None:
        return body
    return f"(?:{body}|{tail})" if tail else f"(?:{body})?"


def _build_trie(keys: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, tail in keys:
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        if node.get("", tail) != tail:
            raise ConfigError(f"country surface {key!r} is listed both as strict and not strict")
        node[""] = tail
    return root


def _starts_pattern(latin_keys: Iterable[str], hanja_chars: str) -> re.Pattern[str]:
    lower_starts = sorted(
        {m.group() for key in latin_keys if not key[:1].isupper() and (m := _FIRST_WORD.match(key))}
    )
    prefixes = "".join(f"|(?i:{re.escape(p)})" for p in lower_starts)
    return re.compile(
        rf"(?<!\w)(?:{_CAPITAL}{prefixes})|(?<![{_HANGUL_CLASS}])[{_HANGUL_CLASS}]|[{hanja_chars}]"
    )


def _abbreviation_pattern(syllables: str, nouns: Sequence[str]) -> str:
    """ "한·미", "한ㆍ미ㆍ일" (two or more abbreviations joined by middle dots), or "미 국무부"."""
    one = f"[{syllables}]"
    chain = rf"{one}(?:\s?[{_DOTS}]\s?{one})+{_KO_STRICT_RIGHT}"
    before_noun = rf"{one}(?=\s(?:{'|'.join(map(re.escape, nouns))}))"
    return rf"(?<![{_HANGUL_CLASS}])(?:{chain}|{before_noun})"


@lru_cache(maxsize=4)
def _compiled(
    with_leaders: bool,
) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, tuple[Entry, ...]]]:
    table = {
        key: entries
        for key, entries in load_gazetteer().items()
        if with_leaders or any(e.kind != "leader" for e in entries)
    }
    tries: dict[str, list[tuple[str, str]]] = {"latin": [], "hangul": [], "hanja": []}
    lower_first: list[str] = []
    for key, entries in table.items():
        script = entries[0].script
        if script == "hangul":
            tail = f"(?:{_KO_STRICT_RIGHT})" if any(e.strict for e in entries) else ""
        elif script == "hanja":
            tail = ""  # set below, once the country characters are known
        else:
            tail = _LATIN_RIGHT
            lower_first.extend(e.surface for e in entries if not e.surface[:1].isupper())
        tries[script].append((key, tail))
    # One-character Hanja forms may touch each other ("韓美日") but not other Hanja ("北京" ≠ 北).
    chars = "".join(sorted({k for k, _ in tries["hanja"] if len(k) == 1}))
    hanja_right = f"(?=[^{_HANJA_CLASS}]|$|[{chars}])"
    tries["hanja"] = [(k, hanja_right) for k, _ in tries["hanja"]]
    syllables = "".join(sorted(load_dot_abbreviations()))
    pattern = (
        f"{_LATIN_LEFT}(?P<latin>{_trie_pattern(_build_trie(tries['latin']))})"
        f"|(?P<kodot>{_abbreviation_pattern(syllables, load_abbreviation_nouns())})"
        f"|{_KO_LEFT}(?P<korean>{_trie_pattern(_build_trie(tries['hangul']))})"
        rf"|(?:(?<!\w)|(?<=[{chars}]))(?P<hanja>{_trie_pattern(_build_trie(tries['hanja']))})"
    )
    hanja_first = "".join(sorted({k[0] for k, _ in tries["hanja"]}))
    return re.compile(pattern, re.IGNORECASE), _starts_pattern(lower_first, hanja_first), table


def _case_ok(surface: str, form: str) -> bool:
    """Every capital of the listed form must be a capital in the text ("US" is not "us")."""
    if len(surface) != len(form):
        return surface == form
    return all(s.isupper() for s, f in zip(surface, form, strict=True) if f.isupper())


def _check_focus(codes: frozenset[str]) -> None:
    import pycountry

    unknown = sorted(codes - {c.alpha_3 for c in pycountry.countries})
    if unknown:
        raise ConfigError(f"focus countries {unknown} are not ISO 3166 alpha-3 codes (e.g. KOR, USA)")


class CountryDetector:
    """Detect country mentions (every ISO 3166 country, or only `focus`) and the pairs they form."""

    def __init__(self, focus: Sequence[str] | None = None, *, leaders: bool = True) -> None:
        self.focus = frozenset(c.strip().upper() for c in focus) if focus else None
        if self.focus:
            _check_focus(self.focus)
        self.leaders = leaders
        self._pattern, self._starts, self._table = _compiled(leaders)
        self._dots = load_dot_abbreviations()

    def _entry_for(self, surface: str, cased: bool) -> Entry | None:
        entries = self._table.get(normalize_surface(surface), ())
        if not cased:
            return entries[0] if entries else None
        flat = _SPACES_RE.sub(" ", surface.replace("\u2019", "'"))
        return next((e for e in entries if _case_ok(flat, e.surface)), None)

    def detect(self, text: str, language: str | None = None) -> list[Mention]:
        """Mentions in text order. `language="en"` skips Korean and Hanja forms; other values use all scripts."""
        mentions: list[Mention] = []
        pos = 0
        for candidate in self._starts.finditer(text):
            start = candidate.start()
            if start < pos:
                continue
            match = self._pattern.match(text, start)
            if match is None and text[start] in _KO_PREFIXES:
                match = self._pattern.match(text, start + 1)
            if match is None or (language == "en" and match.lastgroup != "latin"):
                continue
            found: list[tuple[str, int, int, tuple[str, ...]]]
            if match.lastgroup == "kodot":
                found = [
                    (text[i], i, i + 1, (self._dots[text[i]],))
                    for i in range(*match.span())
                    if text[i] in self._dots
                ]
            else:
                entry = self._entry_for(match.group(), cased=match.lastgroup == "latin")
                if entry is None:
                    continue
                found = [(match.group(), match.start(), match.end(), entry.iso3)]
            pos = match.end()
            for surface, begin, end, codes in found:
                mentions.extend(
                    Mention(surface, begin, end, iso3)
                    for iso3 in codes
                    if self.focus is None or iso3 in self.focus
                )
        return mentions

    def countries(self, text: str, language: str | None = None) -> list[str]:
        """The distinct ISO codes a text mentions, sorted."""
        return sorted({m.iso3 for m in self.detect(text, language)})

    @staticmethod
    def pairs(mentions: Iterable[Mention]) -> list[tuple[str, str]]:
        """Every unordered pair of distinct countries, sorted, each once (3 countries -> 3 pairs)."""
        codes = sorted({m.iso3 for m in mentions})
        return list(combinations(codes, 2))


_SPACES_RE = re.compile(r"\s+")


@lru_cache(maxsize=8)
def _cached_detector(focus: tuple[str, ...] | None, leaders: bool) -> CountryDetector:
    return CountryDetector(focus, leaders=leaders)


def get_detector(focus: Sequence[str] | None = None, *, leaders: bool = True) -> CountryDetector:
    """A process-wide detector (the pattern compiles once, ~0.1 s); safe to share between threads."""
    key = tuple(sorted(c.upper() for c in focus)) if focus else None
    return _cached_detector(key, leaders)
