"""Find the countries a sentence speaks about, and the country pairs it relates.

English (Latin-script) forms: one Aho-Corasick automaton (pyahocorasick, C) over the lower-cased
text finds every gazetteer surface in one pass; those at word boundaries are taken longest first,
and a case rule then rejects "us" (pronoun) for "US" and "china" (porcelain) for "China" (a
shorter form at the same place is tried next). Measured against the trie-compiled regular
expression it replaced: see bench/countries.py.

Korean forms keep one regular expression compiled from a trie, because their boundaries are
rules, not word breaks: particles attach without a space ("미국과"), so a Korean name may be
followed by Hangul, except the forms that are also ordinary words ("인도" / "인도적"), which need
a particle. It runs only on text with Hangul or Hanja.

Then: the article date chooses which leaders and historical states a name means, misspellings
are matched (fuzzy.py) and compound adjectives, towns named after states and venues are ruled
out (guards.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any

import ahocorasick

from newsmodel.countries.fuzzy import FuzzyNames
from newsmodel.countries.gazetteer import (
    KO_FOLLOWERS,
    LEADER_KINDS,
    Entry,
    known_codes,
    load_abbreviation_nouns,
    load_dot_abbreviations,
    load_gazetteer,
    load_home_organs,
    load_korean_state_names,
    normalize_surface,
)
from newsmodel.countries.guards import (
    apply_guards,
    dateline_end,
    drop_lone_common_surnames,
    mark_placed_venues,
)
from newsmodel.countries.shorthand import korean_shorthand
from newsmodel.errors import ConfigError

__all__ = ["CountryDetector", "Mention", "get_detector"]

_HANGUL_CLASS = "\uac00-\ud7a3"
# Hangul prefixes that attach to a country name: 대(對, toward), 반(anti), 친(pro), 탈(leaving).
_KO_PREFIXES = "대반친탈"
_KO_LEFT = rf"(?:(?<![{_HANGUL_CLASS}])|(?<=(?<![{_HANGUL_CLASS}])[{_KO_PREFIXES}]))"
_KO_STRICT_RIGHT = rf"(?=[^{_HANGUL_CLASS}]|$|{'|'.join(map(re.escape, KO_FOLLOWERS))})"
_HANJA_CLASS = "\u4e00-\u9fff"
# "대중" (對中, toward China) is also "the public": only before a trade or policy noun.
_KO_POLICY_ONLY = frozenset({"대중"})
_KO_POLICY_RIGHT = (
    r"(?=\s?(?:수출|수입|무역|관세|제재|견제|압박|정책|투자|외교|적자|흑자|강경|봉쇄|포위|의존|협상|전략))"
)
# Nouns a language name joins without a space ("한국어능력시험", "일본어교육"; not "중국어선").
_KO_LANGUAGE_NOUNS = "능력|시험|교육|교사|교실|강좌|강사|수업|학당|교재|번역|통역|자막|학과|회화|공부|실력"
# What a country name turns into with a suffix that names no actor: a language ("중국어 학원",
# not "중국어선"/"중국어민"), a strait or sea ("대만해협", "필리핀해에서"; not "해군"/"해상"), a style,
# a dish or a firm named after it.
# (A product's origin, "미국산 쇠고기", still counts: tests/newsmodel/country_table.py "suffixes 인/산".)
_KO_NO_ACTOR = re.compile(
    rf"(?:어(?=$|[^{_HANGUL_CLASS}]|[은는이가을를의에와과도로만]|이나|나\s|{_KO_LANGUAGE_NOUNS})|\s?해협|해(?=$|[^{_HANGUL_CLASS}]|[에의를와로])"
    # a style or a dish ("일본식 라멘", "중국 음식"), a firm ("일본제철", "중국석유", "일본항공")
    r"|식(?!민)|\s(?:음식|요리|라멘|식당|레스토랑|아이스크림|카스테라|커피|라면|과자|초콜릿)|제철|전력|석유|철도|해운"
    r"|항공(?!\s?(?:모함|자위대|기))"
    ")"
)
# "인도" is also the sidewalk: after a road word or before a car's rush onto it.
_KO_SIDEWALK_BEFORE = re.compile(r"(?:대로|도로|거리|차도|골목|길)\s*$")
_KO_SIDEWALK_ON = re.compile(r"\s?위(?:에|로|를|의|\s)")  # "인도 위에 방치된 킥보드"
_KO_SIDEWALK_AFTER = re.compile(r"(?:로|에|를|위로?)\s*(?:\S+\s+)?(?:돌진|덮치|덮쳐|덮친|올라|뛰어들)")
# ... and a delivery (引渡): "폭탄 인도를 보류", "잠수함을 인도받았다", "인도할 예정", "인도 시기".
_KO_DELIVERY_BEFORE = re.compile(
    r"(?:무기|폭탄|포탄|전차|잠수함|전투기|함정|호위함|선박|미사일|장비|물량|기체|차량|추가|조기|범죄인|범죄자|피의자|신병|"
    r"개월\s?내|연내|년\s?내|올해\s?안|연말까지|"
    r"[0-9]\s?(?:대|척|기|발))[을를의]?\s*$"
)
_KO_DELIVERY_AFTER = re.compile(
    r"(?:받|하[기고는며면였여]|했|할|한\s|된|될|돼|되[어었])"
    r"|[를을]?\s?(?:받|완료|마치|마쳤|보류|연기|중단|재개|앞두|시작|지연|요청)"
    r"|\s?(?:시기|일정|절차|계약|조건|예정|식)"
)
# A bare "정부" or "군" opening a sentence or a clause ("정부는 일본을 상대로 ...", "...확인되자 정부는")
# is Korea's own, as the home organs are; after a name or a modifier it is someone else's.
_KO_BARE_ORGAN = re.compile(
    r"(?:^|(?<=[자며고서만데,]\s)|(?<=[=…\]\)\"']\s)|(?<=…))(정부|군)(?=[은는이가도]\s|\s[\"'\u201c])"
    r"|^(?:\[[^\]]{1,6}\]\s?)?(정부|軍)(?=,\s)"  # a headline's topic: "정부, 北 억류 선교사 ...", "軍, ..."
)
# "러" alone before a comma is a headline's Russia ("카타르 중재로 러, 우크라 아동 송환").
_KO_RUSSIA_TOPIC = re.compile(rf"(?<![{_HANGUL_CLASS}])러(?=,\s)")
# "북미" is North Korea and the US before a word of diplomacy ("북미 정상회담", "북미 두 정상",
# "북미 대화"), North America before a market, a region or a tour ("북미 시장"): aliases.yaml
# leaves it out, and only this context reads it.
_KO_NK_US = re.compile(
    rf"(?<![{_HANGUL_CLASS}])북미(?=\s?(?:두\s?)?(?:정상|회담|대화|협상|관계|간|비핵화|실무|고위급|공동성명|"
    rf"싱가포르\s?합의|핵\s?협상|접촉|교착|수교|적대))"
)
# 남측/북측 name the two Koreas only in inter-Korean copy: beside the other Korea.
_KO_SIDES = {"남측": "PRK", "북측": "KOR"}
_DOTS = "\u00b7\u318d\u30fb"  # middle dots: · ㆍ ・


@dataclass(slots=True)
class Mention:
    """A country named in a text: the surface as written, its character span and ISO alpha-3 code."""

    text: str
    start: int
    end: int
    iso3: str
    # How the text names the country (name, demonym, metonym, leader, fuzzy, ...); a venue is a
    # city that only hosts a meeting of others, kept as a mention but left out of the pairs.
    kind: str = field(default="name", compare=False)
    venue: bool = field(default=False, compare=False)

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


def _starts_pattern(hanja_chars: str) -> re.Pattern[str]:
    """Where a Korean or Hanja form can start: a Hangul word start or a country character."""
    return re.compile(rf"(?<![{_HANGUL_CLASS}])[{_HANGUL_CLASS}]|[{hanja_chars}]")


def _automaton(keys: Iterable[str]) -> Any:
    automaton = ahocorasick.Automaton()
    for key in keys:
        # value: length << 2 | has a non-word character (space, dot) << 1 | ends in a word character
        inner = any(not (c.isalnum() or c == "_") for c in key)
        automaton.add_word(key, len(key) << 2 | inner << 1 | (key[-1].isalnum() or key[-1] == "_"))
    automaton.make_automaton()
    return automaton


def _abbreviation_pattern(syllables: str, nouns: Sequence[str], names: str) -> str:
    """ "한·미", "한ㆍ미ㆍ일" (two or more abbreviations joined by middle dots), "미 국무부", or one
    before a full name ("한-필리핀 FTA", "미·필리핀 훈련"; `names`: the Korean names' pattern). A
    syllable that starts a full name is not an abbreviation ("한-인도네시아" is not 한-인)."""
    one = f"[{syllables}]"
    joint = rf"\s?[{_DOTS}-]\s?"
    chain = rf"{one}(?:{joint}(?!{names}){one})+{_KO_STRICT_RIGHT}"  # 한·미, 한-미
    before_noun = rf"{one}(?=\s(?:{'|'.join(map(re.escape, nouns))}))"
    before_name = rf"{one}(?={joint}{names})"
    return rf"(?<![{_HANGUL_CLASS}])(?:{chain}|{before_noun}|{before_name})"


@lru_cache(maxsize=4)
def _compiled(
    with_leaders: bool,
) -> tuple[Any, re.Pattern[str], re.Pattern[str], dict[str, tuple[Entry, ...]]]:
    table = {
        key: entries
        for key, entries in load_gazetteer().items()
        if with_leaders or any(e.kind not in LEADER_KINDS for e in entries)
    }
    tries: dict[str, list[tuple[str, str]]] = {"latin": [], "hangul": [], "hanja": []}
    for key, entries in table.items():
        script = entries[0].script
        if script == "hangul" and key in _KO_POLICY_ONLY:
            tail = _KO_POLICY_RIGHT
        elif script == "hangul":
            tail = f"(?:{_KO_STRICT_RIGHT})" if any(e.strict for e in entries) else ""
        else:
            tail = ""  # Hanja: set below, once the country characters are known
        tries[script].append((key, tail))
    # One-character Hanja forms may touch each other ("韓美日") but not other Hanja ("北京" ≠ 北).
    chars = "".join(sorted({k for k, _ in tries["hanja"] if len(k) == 1}))
    hanja_right = f"(?=[^{_HANJA_CLASS}]|$|[{chars}])"
    tries["hanja"] = [(k, hanja_right) for k, _ in tries["hanja"]]
    syllables = "".join(sorted(load_dot_abbreviations()))
    names = _trie_pattern(_build_trie((k, "") for k, _ in tries["hangul"] if len(k) >= 2))
    pattern = (
        f"(?P<kodot>{_abbreviation_pattern(syllables, load_abbreviation_nouns(), names)})"
        f"|{_KO_LEFT}(?P<korean>{_trie_pattern(_build_trie(tries['hangul']))})"
        # a hanja country may follow another, 對 ("toward": "對中 수출 제한") or 訪 ("訪中": a visit)
        rf"|(?:(?<!\w)|(?<=[{chars}對訪]))(?P<hanja>{_trie_pattern(_build_trie(tries['hanja']))})"
    )
    hanja_first = "".join(sorted({k[0] for k, _ in tries["hanja"]}))
    latin = _automaton(k for k, _ in tries["latin"])
    return latin, re.compile(pattern), _starts_pattern(hanja_first), table


def _case_ok(surface: str, form: str) -> bool:
    """Every capital of the listed form must be a capital in the text ("US" is not "us")."""
    if len(surface) != len(form):
        return surface == form
    return all(s.isupper() for s, f in zip(surface, form, strict=True) if f.isupper())


# A former leader counts from a little before taking office (candidates, envoys) to decades after
# (memoirs, anniversaries, "Nixon's opening to China"); a bare surname or "President X" for less.
_LEADER_BEFORE = dt.timedelta(days=2 * 365)
_LEADER_AFTER_FULL = dt.timedelta(days=40 * 365)
_LEADER_AFTER_SHORT = dt.timedelta(days=12 * 365)
_COMMON_BEFORE = dt.timedelta(days=30)
_COMMON_AFTER = dt.timedelta(days=90)


# The dates a sentence's names are judged against: the article's, and the past it looks back to.
When = dt.date | tuple[dt.date, ...] | None

_NUMBER_WORDS = {
    "ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "a hundred": 100, "one hundred": 100, "half a century": 50,
}  # fmt: skip
# "Fifty years ago", "thirty years after East German guards opened the gates", "in 1972", "the
# 1969 clashes", "Oct. 25, 1971", "1965년", "the 1980s", "the Cold War": a retrospective names the
# leaders and states of its time.
_LOOK_BACK = re.compile(
    r"\b(?:(?P<n>\d{1,3}|ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|one hundred)"
    r"\s+years\s+(?:ago|after|earlier)|(?P<half>half a century)\s+(?:ago|after|earlier)"
    r"|(?<![\d$\u20ac\u00a3.,:/-])(?P<year>1[89]\d\d|20[0-2]\d)(?![\d:/]|s\b|\s?(?:년대|s))"
    r"|\bthe\s+(?P<decade>1[89]\d0)s\b|(?P<cold>\bCold War\b))",
    re.IGNORECASE,
)


# Substrings every look-back contains (a year starts 18, 19 or 20): most sentences skip the regex.
_LOOK_BACK_HINTS = ("18", "19", "20", "ears", "EARS", "entury", "ENTURY", "old War", "OLD WAR")


def _when(text: str, date: dt.date | None) -> When:
    """The article's date, with the years a retrospective sentence looks back to."""
    if date is None or not any(hint in text for hint in _LOOK_BACK_HINTS):
        return date
    past: list[dt.date] = []
    for m in _LOOK_BACK.finditer(text):
        if m.group("n") or m.group("half"):
            word = (m.group("n") or m.group("half")).lower()
            years = int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 0)
            year = date.year - years
        elif m.group("year"):
            year = int(m.group("year"))
        elif m.group("decade"):
            year = int(m.group("decade")) + 5
        else:
            year = 1970
        if 1900 <= year < date.year:
            past.append(dt.date(year, 7, 1))
    return (date, *past) if past else date


def _plausible(entry: Entry, date: When) -> bool:
    """Whether a dated entry names its state in an article of `date` (None: any date), or in the
    past the sentence looks back to (a tuple: any of them)."""
    if isinstance(date, tuple):
        return any(_plausible(entry, d) for d in date)
    if date is None or not entry.dated:
        return entry.kind != "leader_common"  # undated: "Kim" and "May" say too little
    if entry.kind not in LEADER_KINDS:
        return entry.end is None or date < entry.end  # a historical state's name
    if entry.kind == "leader_common":  # a common surname: only while in office
        return (entry.start is None or date >= entry.start - _COMMON_BEFORE) and (
            entry.end is None or date <= entry.end + _COMMON_AFTER
        )
    after = _LEADER_AFTER_FULL if entry.kind == "leader" else _LEADER_AFTER_SHORT
    if entry.start is not None and date < entry.start - _LEADER_BEFORE:
        return False
    return entry.end is None or date <= entry.end + after


def _served_before(entry: Entry, date: When) -> bool:
    """Whether a leader had left office before `date` (any of its dates)."""
    dates = date if isinstance(date, tuple) else (date,)
    return entry.end is not None and any(d is not None and d > entry.end for d in dates)


def _undated_answer(entries: tuple[Entry, ...]) -> tuple[tuple[str, ...], str] | None:
    return (entries[0].iso3, entries[0].kind) if entries else None


def _check_focus(codes: frozenset[str]) -> None:
    unknown = sorted(codes - known_codes())
    if unknown:
        raise ConfigError(f"focus countries {unknown} are not ISO 3166 alpha-3 codes (e.g. KOR, USA)")


class CountryDetector:
    """Detect country mentions (every ISO 3166 country, or only `focus`) and the pairs they form."""

    def __init__(self, focus: Sequence[str] | None = None, *, leaders: bool = True) -> None:
        self.focus = frozenset(c.strip().upper() for c in focus) if focus else None
        if self.focus:
            _check_focus(self.focus)
        self.leaders = leaders
        self._latin, self._pattern, self._starts, self._table = _compiled(leaders)
        self._dots = load_dot_abbreviations()
        self._common_only = frozenset(
            key
            for key, entries in self._table.items()
            if " " not in key and all(e.kind == "leader_common" for e in entries)
        )
        self._fuzzy = FuzzyNames.shared()
        # surface as written -> its case-checked entries (news repeats the same few hundred forms)
        # surface as written -> the answer (undated forms) or the case-checked entries (dated ones)
        self._cased: dict[str, Any] = {}
        self._uncased: dict[str, Any] = {}

    def _resolve(self, surface: str, cased: bool, date: When) -> tuple[tuple[str, ...], str] | None:
        """The codes a matched surface names on `date` and its kind; None when it names no state
        then (a leader out of office, a state gone) or several (two leaders named Kim)."""
        cache = self._cased if cased else self._uncased
        known = cache.get(surface)
        if known is None:
            found = self._table.get(normalize_surface(surface), ())
            if cased:
                flat = _SPACES_RE.sub(" ", surface.replace("\u2019", "'"))
                found = tuple(e for e in found if _case_ok(flat, e.surface))
            if len(cache) > _ENTRY_CACHE_SIZE:
                cache.clear()
            # an undated form's answer is the same on every date: keep (answer, None)
            dated = bool(found) and (found[0].dated or found[0].kind in LEADER_KINDS)
            known = cache[surface] = (None, found) if dated else (_undated_answer(found), None)
        answer, entries = known
        if entries is None:
            return answer  # type: ignore[no-any-return]
        first = entries[0]
        if first.kind not in LEADER_KINDS:
            return (first.iso3, first.kind) if _plausible(first, date) else None
        plausible = [e for e in entries if _plausible(e, date)]
        if not plausible and date is not None:
            # a former leader long out of office, by full name ("Jimmy Carter, who died on Sunday
            # at 100", "the representatives of Chiang Kai-shek"): retrospectives name them without
            # a year to look back to. Not by surname: "Nasser Kanaani", "Gaddafi Stadium", and
            # Korean "전 대통령" (former president) are not Nasser, Gaddafi and Chun.
            plausible = [
                e for e in entries if e.kind == "leader" and not e.korean and _served_before(e, date)
            ]
        codes = {e.iso3 for e in plausible}
        if len(codes) != 1:
            return None
        common = all(e.kind == "leader_common" for e in plausible)
        return codes.pop(), "leader_common" if common else first.kind

    def detect(self, text: str, language: str | None = None, date: dt.date | None = None) -> list[Mention]:
        """Mentions in text order. `language="en"` skips Korean and Hanja forms; other values use all
        scripts. `date` (the article's) decides which leaders and historical states a name means."""
        when = _when(text, date)
        mentions = drop_lone_common_surnames(text, self._matches(text, language, when))
        if language != "ko":
            fuzzy = self._fuzzy.find(text, mentions)
            if fuzzy:
                mentions = sorted(mentions + fuzzy, key=lambda m: m.start)
            if mentions:
                mentions = apply_guards(text, mentions)
            shorthand = (
                korean_shorthand(text, [(m.start, m.end, m.iso3) for m in mentions], date)
                if "North" in text or "South" in text
                else None
            )
            if shorthand:
                extra = [Mention(text[s:e], s, e, code, "short_name") for s, e, code in shorthand]
                mentions = sorted(mentions + extra, key=lambda m: m.start)
        if self.focus is None:
            return [m for m in mentions if m.iso3]
        return [m for m in mentions if m.iso3 in self.focus]

    def _matches(self, text: str, language: str | None, date: When) -> list[Mention]:
        """Gazetteer mentions in text order, blocked spans included (iso3 "")."""
        mentions = self._latin_matches(text, date)
        if language != "en" and _CJK.search(text):
            mentions = sorted(mentions + self._korean_matches(text, date), key=lambda m: m.start)
        return mentions

    def _latin_matches(self, text: str, date: When) -> list[Mention]:
        folded = _fold(text)
        index: list[int] | None = None
        if "  " in folded:  # "United  States": match on single spaces, map back to the text
            index = [i for i, ch in enumerate(folded) if ch != " " or i == 0 or folded[i - 1] != " "]
            folded = "".join(folded[i] for i in index)
        size = len(folded)
        mentions: list[Mention] = []
        # Fast path: leftmost-longest hits in one pass. Where the longest form at a place fails
        # (a word follows it, the case rule, or it runs from inside a word across a boundary),
        # a shorter or overlapping form may still fit: redo the text with every hit (rare).
        for last, value in self._latin.iter_long(folded):
            begin = last - (value >> 2) + 1
            if begin and ((ch := folded[begin - 1]).isalnum() or ch == "_"):
                if value & 2:  # a form with a space or a dot may hide a real one inside it
                    return self._all_hits(text, index, folded, date)
                continue  # inside a word: "oman" in "woman"
            if not self._take(text, index, begin, last + 1, value, size, folded, date, mentions):
                if folded[begin : last + 1] in self._common_only:
                    continue  # a common surname out of office ("May"): nothing else hides in it
                return self._all_hits(text, index, folded, date)
        return mentions

    def _all_hits(self, text: str, index: list[int] | None, folded: str, date: When) -> list[Mention]:
        """Every hit at a word start, longest first at each place, the first that fits taken."""
        size = len(folded)
        found: list[tuple[int, int, int]] = []
        for last, value in self._latin.iter(folded):
            begin = last - (value >> 2) + 1
            if not begin or not ((ch := folded[begin - 1]).isalnum() or ch == "_"):
                found.append((begin, last + 1, value))
        found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
        mentions: list[Mention] = []
        pos = 0
        for begin, end, value in found:
            if begin >= pos and self._take(text, index, begin, end, value, size, folded, date, mentions):
                pos = end
        return mentions

    def _take(
        self,
        text: str,
        index: list[int] | None,
        begin: int,
        end: int,
        value: int,
        size: int,
        folded: str,
        date: When,
        mentions: list[Mention],
    ) -> bool:
        """Add the mention folded[begin:end] names, if it ends at a word boundary and resolves."""
        if value & 1 and end < size and ((ch := folded[end]).isalnum() or ch == "_"):
            return False
        if index is not None:
            begin, end = index[begin], index[end - 1] + 1
        surface = text[begin:end]
        resolved = self._resolve(surface, True, date)
        if resolved is None:
            return False
        codes, kind = resolved
        if len(codes) == 1:
            mentions.append(Mention(surface, begin, end, codes[0], kind))
        elif not codes:  # a blocked phrase: consumed, no mention
            mentions.append(Mention(surface, begin, end, "", "blocked"))
        else:
            mentions.extend(Mention(surface, begin, end, iso3, kind) for iso3 in codes)
        return True

    def _korean_matches(self, text: str, date: When) -> list[Mention]:
        mentions: list[Mention] = []
        pos = dateline_end(text)  # "(베이징=연합뉴스) 이영수 특파원 =": where the story was filed
        for candidate in self._starts.finditer(text):
            start = candidate.start()
            if start < pos:
                continue
            match = self._pattern.match(text, start)
            if match is None and text[start] in _KO_PREFIXES:
                match = self._pattern.match(text, start + 1)
            if match is None:
                continue
            found: list[tuple[str, int, int, tuple[str, ...], str]]
            if match.lastgroup == "kodot":
                found = [
                    (text[i], i, i + 1, (self._dots[text[i]],), "ko")
                    for i in range(*match.span())
                    if text[i] in self._dots
                ]
            else:
                resolved = self._resolve(match.group(), False, date)
                if resolved is None:
                    continue
                found = [(match.group(), match.start(), match.end(), *resolved)]
            pos = match.end()
            for surface, begin, end, codes, kind in found:
                if not codes or _no_korean_actor(text, surface, begin, end, kind):
                    mentions.append(Mention(surface, begin, end, "", kind="blocked"))
                    continue
                mentions.extend(Mention(surface, begin, end, iso3, kind) for iso3 in codes)
        return _korean_context(text, mentions)

    def countries(self, text: str, language: str | None = None, date: dt.date | None = None) -> list[str]:
        """The distinct ISO codes a text mentions, sorted."""
        return sorted({m.iso3 for m in self.detect(text, language, date)})

    @staticmethod
    def pairs(mentions: Iterable[Mention]) -> list[tuple[str, str]]:
        """Every unordered pair of distinct actor countries, sorted, each once (3 countries -> 3
        pairs). A country named only as the venue of others' meeting is not an actor."""
        found = list(mentions)
        actors = {m.iso3 for m in found if not m.venue}
        return list(combinations(sorted(actors), 2))


def _no_korean_actor(text: str, surface: str, begin: int, end: int, kind: str) -> bool:
    """A Korean name that names no actor here: a language, a strait, the sidewalk, an event named
    after its host city ("파리 올림픽"), and 中 as "during" ("기자회견 中")."""
    if kind == "hanja":
        return surface == "中" and bool(_KO_DURING_BEFORE.search(text[max(0, begin - 6) : begin]))
    if kind not in ("ko", "ko_strict", "name", "metonym") or not "\uac00" <= surface[-1] <= "\ud7a3":
        return False
    if _KO_NO_ACTOR.match(text, end):
        return True
    if surface in _KO_HOST_CITIES and _KO_NAMED_AFTER_CITY.match(text, end):
        return True
    if surface == "인도":
        before = text[max(0, begin - 8) : begin]
        return bool(
            _KO_SIDEWALK_BEFORE.search(before)
            or _KO_SIDEWALK_AFTER.match(text, end)
            or _KO_SIDEWALK_ON.match(text, end)
            or _KO_DELIVERY_BEFORE.search(before)
            or _KO_DELIVERY_AFTER.match(text, end)
        )
    return False


# 中 after an activity noun means "during" ("기자회견 中 물 마시는 ...", "조사 中"), not China.
_KO_DURING_BEFORE = re.compile(
    r"(?:회견|회담|방문|순방|조사|수사|협상|진행|공사|검토|훈련|경기|재판|출장|비행|운항|작업|회의|통화|연설|"
    r"치료|입원|휴가|여행|유학|근무|복무|체류|항해|촬영|공연|대기|심사|논의|추진|개발|건설|시행|운영|협의|준비|"
    r"점검|수감|구금|억류|연습|교전|대치|파업|시위|행사|순찰|정박|이동|비행)\s?$"
)
# An event named after the city that hosts it ("파리 올림픽", "도쿄 올림픽", "베이징 동계올림픽"):
# the city is no actor, as "the Paris Olympics" is not in English (guards.py); a country's name
# before an event still counts ("카타르 월드컵", like "the French Open").
_KO_HOST_CITIES = frozenset(
    {
        "파리",
        "도쿄",
        "베이징",
        "런던",
        "모스크바",
        "뉴델리",
        "하노이",
        "베를린",
        "로마",
        "방콕",
        "서울",
        "평양",
    }
)
_KO_NAMED_AFTER_CITY = re.compile(
    r"\s?(?:하계\s?|동계\s?)?(?:올림픽|패럴림픽|아시안게임|엑스포|박람회|영화제|비엔날레|마라톤|모터쇼|기후협정|협정|선언|의정서)"
)


# A Korean meeting sentence and the place it happens in: "스위스 제네바에서 ... 협상", "싱가포르
# 센토사섬에서 ... 정상회담" (the country, with its city, only hosts the others).
_KO_MEETING = re.compile(
    r"회담|협상|회의|조인|담판|협의|만났|만나|회동|대화|악수|노딜|(?:협정|합의문|조약)[에을]\s?(?:서명|체결)"
)
# A city naming the meeting it hosted: "하노이 북미 정상회담", "싱가포르 회담", "2019년 하노이 '노딜'".
_KO_CITY_MEETING = re.compile(
    r"\s?['\u2018\"]?(?:(?:북미|한미|한일|한중|미중|미러|북중|북러|남북|미북|북일|중일|한러|중러)\s?)?"
    r"(?:정상회담|정상회의|회담|담판|회동|노딜|선언)"
)
# (not "러시아에서 원유를 사들이고": where goods or people come from)
_KO_VENUE_AFTER = re.compile(
    # up to two words between that are not a subject or an object ("튀르키예 이스탄불의 돌마바흐체
    # 궁전에서"; not "우크라이나 대표단은 ... 이스탄불에서"), then the place; not "... 회담에서"
    rf"(?:\s+[{_HANGUL_CLASS}]{{0,9}}[{_HANGUL_CLASS}](?<![은는이가을를와과도])(?=\s)){{0,2}}"
    rf"(?:\s+[{_HANGUL_CLASS}]{{1,10}}?)?(?<!회담)(?<!회의)(?<!협상)(?<!회견)(?<!포럼)(?<!총회)에서(?=\s)(?![^.,]{{0,16}}(?:사들|수입|들여|받|구매|도입|철수|탈출|추방|송환|귀국))"
)


def _korean_venues(text: str, mentions: list[Mention]) -> list[Mention]:
    """Countries named only as where two or more others meet are venues (as guards.py does for
    English "in Geneva")."""
    if len({m.iso3 for m in mentions if m.iso3}) < 3 or not _KO_MEETING.search(text):
        return mentions
    placed = [m.kind in ("ko", "ko_strict") and _korean_place(text, m) for m in mentions]
    return mark_placed_venues(mentions, placed)


def _korean_place(text: str, m: Mention) -> bool:
    """A place phrase after the mention ("스위스 제네바에서"), or a city (not a state's name)
    naming the meeting it hosted ("하노이 북미 정상회담")."""
    if _KO_VENUE_AFTER.match(text, m.end):
        return True
    return bool(_KO_CITY_MEETING.match(text, m.end)) and m.text not in load_korean_state_names()


def _korean_context(text: str, mentions: list[Mention]) -> list[Mention]:
    """Korean forms that depend on their neighbours: a home organ ("외교부") right after another
    country's name is that country's ("중국 외교부"), and so is the same organ later in the text;
    남측/북측 count only beside the other Korea."""
    organs = load_home_organs()
    foreign: set[str] = set()
    out: list[Mention] = []
    taken = [(m.start, m.end) for m in mentions]

    def free(start: int, end: int) -> bool:  # no mention found already overlaps it
        return not any(s < end and start < e for s, e in taken)

    bare = (
        [
            Mention(b.group(g), b.start(g), b.end(g), "KOR", kind="ko_strict")
            for b in _KO_BARE_ORGAN.finditer(text)
            if (g := b.lastindex or 1) and free(b.start(g), b.end(g))
        ]
        + [
            Mention(b.group(), b.start(), b.end(), "RUS", kind="ko")
            for b in _KO_RUSSIA_TOPIC.finditer(text)
            if free(b.start(), b.end())
        ]
        + [
            Mention(b.group(), b.start(), b.end(), code, kind="compound")
            for b in (_KO_NK_US.finditer(text) if "북미" in text else ())
            if free(b.start(), b.end())
            for code in ("PRK", "USA")
        ]
    )
    if bare:
        mentions = sorted([*mentions, *bare], key=lambda m: m.start)
    for i, m in enumerate(mentions):
        if m.iso3 == "KOR" and m.text in organs:
            before = mentions[i - 1] if i else None
            if (
                before is not None
                and before.iso3 not in ("", "KOR")
                and not text[before.end : m.start].strip()
            ):
                foreign.add(m.text)
                continue
            if m.text in foreign or (before is not None and before.end > m.start):
                continue
        if m.text in _KO_SIDES and not any(o.iso3 == _KO_SIDES[m.text] for o in mentions):
            continue
        out.append(m)
    return _korean_venues(text, out)


_SPACES_RE = re.compile(r"\s+")
_CJK = re.compile(rf"[{_HANGUL_CLASS}{_HANJA_CLASS}\u3131-\u318e]")
# Same length in, same length out: whitespace to one space, curly to straight apostrophes.
_TO_FOLD = re.compile("[\t\n\r\x0b\x0c\xa0\u2009\u202f\u3000\u2019\u0130]")
_FOLD_TABLE = str.maketrans(
    {c: " " for c in "\t\n\r\x0b\x0c\xa0\u2009\u202f\u3000"} | {"\u2019": "'", "\u0130": "I"}  # İ
)


def _fold(text: str) -> str:
    folded = text.translate(_FOLD_TABLE) if _TO_FOLD.search(text) else text
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in folded)  # "İ" -> "i̇"


_ENTRY_CACHE_SIZE = 50_000


@lru_cache(maxsize=8)
def _cached_detector(focus: tuple[str, ...] | None, leaders: bool) -> CountryDetector:
    return CountryDetector(focus, leaders=leaders)


def get_detector(focus: Sequence[str] | None = None, *, leaders: bool = True) -> CountryDetector:
    """A process-wide detector (the pattern compiles once, ~0.1 s); safe to share between threads."""
    key = tuple(sorted(c.upper() for c in focus)) if focus else None
    return _cached_detector(key, leaders)
