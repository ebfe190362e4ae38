"""The country gazetteer: every surface form that names a state, with its ISO 3166 alpha-3 code(s).

Names come from pycountry (ISO short, official and common names, plus the part before the comma
of inverted names such as "Korea, Republic of"); the reviewed `aliases.yaml` and `world.yaml`
add what ISO lacks (demonyms, capitals, seats of government, historical names, groups, Korean
names, abbreviations) and the phrases that must not count; `data/leaders.csv` adds heads of
state and government with their dates in office, so a leader counts only when the article's
date makes the mention plausible.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from newsmodel.errors import ConfigError

__all__ = [
    "EXTRA_CODES",
    "KO_FOLLOWERS",
    "LEADER_KINDS",
    "Entry",
    "Kind",
    "Script",
    "known_codes",
    "load_abbreviation_nouns",
    "load_dot_abbreviations",
    "load_gazetteer",
    "load_home_organs",
    "load_leaders",
    "load_not_misspellings",
    "normalize_surface",
]

LEADER_KINDS = ("leader", "leader_short", "leader_common")

Kind = Literal[
    "name",
    "derived",
    "demonym",
    "metonym",
    "group",
    "leader",
    "leader_short",
    "leader_common",
    "ko",
    "ko_strict",
    "hanja",
    "compound",
    "blocked",
]

# Codes event coding uses beyond ISO 3166-1: Kosovo (XKX, as the EU and IMF write it) and the
# ISO 3166-3 codes of states that existed beside a peer of the same name or dissolved without
# one successor (see world.yaml). Other historical names take the continuing state's code.
EXTRA_CODES: dict[str, str] = {
    "XKX": "Kosovo",
    "DDR": "German Democratic Republic (East Germany)",
    "VDR": "Democratic Republic of Vietnam (North Vietnam)",
    "YMD": "People's Democratic Republic of Yemen (South Yemen)",
    "CSK": "Czechoslovakia",
    "YUG": "Yugoslavia",
}
# Titles that make a bare surname a leader mention ("President Carter", "Premier Li").
_TITLES: dict[str, tuple[str, ...]] = {
    "S": ("President",),
    "G": ("Prime Minister", "Premier", "PM", "Chancellor"),
    "L": ("Chairman", "President", "General Secretary", "Supreme Leader", "Leader"),
}
Script = Literal["latin", "hangul", "hanja"]

# What may follow a `ko_strict` entry without a space: particles and the nouns that make
# compounds in news ("한미동맹", "인도와", "이란산"); "인도적" (humanitarian) is not among them.
KO_FOLLOWERS: tuple[str, ...] = (
    *"은는이가을를의에와과도로만까부보처나측산제인간내",
    "으로",
    "관계",
    "정상",
    "회담",
    "동맹",
    "연합",
    "훈련",
    "협력",
    "갈등",
    "무역",
    "외교",
    "국방",
    "합동",
    "공조",
    "안보",
    "경제",
    "군사",
    "당국",
    "정부",
    "대통령",
    "총리",
    "장관",
    "차관",
    "대변인",
    "군",
    "관세",
    "양국",
    "공동",
    "교류",
    "대화",
    "협상",
    "경협",
)

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HANJA = re.compile(r"[\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")
# A demonym takes a plural "s" unless it already ends like a mass noun ("Chinese", "Swiss", "Dutch").
_NO_PLURAL = re.compile(r"(s|sh|ch|ese)$")


@dataclass(frozen=True)
class Entry:
    """One surface form as written in the source (its capitals are the case rule)."""

    surface: str
    iso3: tuple[str, ...]
    kind: Kind
    # When the form names this state: a leader's time in office, a historical state's end.
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def script(self) -> Script:
        """Each script has its own word boundaries (see detector.py)."""
        if _HANGUL.match(self.surface):
            return "hangul"
        return "hanja" if _HANJA.match(self.surface) else "latin"

    @property
    def korean(self) -> bool:
        return self.script == "hangul"

    @property
    def strict(self) -> bool:
        """Korean forms that are also ordinary words need a particle or a break after them."""
        if self.kind in ("leader", "leader_short") and self.korean:
            return len(self.surface) <= 2  # "메이" is also inside "메이저"
        return self.kind == "ko_strict" or (self.kind in ("compound", "blocked") and self.korean)

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None


def normalize_surface(text: str) -> str:
    """The lookup key of a surface: lower case, one space, straight apostrophes."""
    return _SPACES.sub(" ", text.replace("\u2019", "'").replace("\u0130", "I")).strip().lower()


def _pycountry_entries() -> list[Entry]:
    import pycountry

    out: list[Entry] = []
    for country in pycountry.countries:
        iso3 = (country.alpha_3,)
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if not value:
                continue
            value = re.sub(r"\s*\(.*?\)", "", value).strip()
            if value.lower().startswith("the "):
                value = value[4:]
            if not value[:1].isupper():
                continue
            if "," in value:
                # "Korea, Republic of" -> "Korea" (a derived form; ambiguous ones are dropped)
                out.append(Entry(value.split(",", 1)[0].strip(), iso3, "derived"))
            else:
                out.append(Entry(value, iso3, "name"))
    return out


def _korean_iso_entries(taken: set[str], skip: set[str]) -> list[Entry]:
    """Every country's Korean name from pycountry's ISO 3166 translations ("케냐", "탄자니아",
    "남아프리카 공화국" and "남아프리카공화국"), matched strictly (a particle or a break after it).
    Forms aliases.yaml already lists (`taken`) keep its meaning; `skip` lists names that are also
    common words ("수단" means, "오만" arrogance) or belong to two places ("콩고", "조지아")."""
    import gettext

    import pycountry

    try:
        ko = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ko"])
    except OSError:  # a pycountry build without its translations: English names only
        return []
    out: list[Entry] = []
    seen: set[str] = set()
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            translated = ko.gettext(value) if value else value
            if not translated or translated == value:
                continue
            name = re.sub(r"\s*\(.*?\)", "", translated).split(",", 1)[0].strip()
            for form in {name, name.replace(" ", "")}:
                if len(form) < 2 or not _HANGUL.match(form) or form in skip or form in taken or form in seen:
                    continue
                seen.add(form)
                out.append(Entry(form, (country.alpha_3,), "ko_strict"))
    return out


def _plural_forms(demonym: str) -> list[str]:
    return [demonym] if _NO_PLURAL.search(demonym) else [demonym, demonym + "s"]


def _alias_entries(data: dict[str, Any]) -> list[Entry]:
    out: list[Entry] = []
    for iso3, spec in (data.get("countries") or {}).items():
        until = spec.get("valid_until")
        end = dt.date.fromisoformat(str(until)) if until else None
        for kind in ("names", "demonyms", "metonyms", "groups", "ko", "ko_strict", "hanja"):
            for surface in spec.get(kind) or []:
                k: Kind = {
                    "names": "name",
                    "demonyms": "demonym",
                    "metonyms": "metonym",
                    "groups": "group",
                }.get(kind, kind)  # type: ignore[assignment]
                forms = _plural_forms(surface) if kind == "demonyms" else [surface]
                out.extend(Entry(form, (iso3,), k, end=end) for form in forms)
    for surface, codes in (data.get("compounds") or {}).items():
        out.append(Entry(surface, tuple(codes), "compound"))
    out.extend(Entry(str(organ), ("KOR",), "ko_strict") for organ in data.get("ko_home_organs") or [])
    out.extend(Entry(surface, (), "blocked") for surface in data.get("blocked") or [])
    return out


def _check_entries(entries: list[Entry]) -> None:
    """Unknown codes and lower-case English forms are mistakes in the alias file: fail loudly."""
    known = known_codes()
    for entry in entries:
        if entry.script == "latin" and not any(ch.isupper() for ch in entry.surface):
            raise ConfigError(f"aliases.yaml: {entry.surface!r} needs a capital letter (the case rule)")
        unknown = [c for c in entry.iso3 if c not in known]
        if unknown:
            raise ConfigError(f"aliases.yaml: {entry.surface!r} names unknown ISO alpha-3 code(s) {unknown}")


def _merge(alias: list[Entry], iso: list[Entry]) -> dict[str, list[Entry]]:
    """Key -> entries. Aliases win over ISO names, ISO names over derived forms; a derived form
    claimed by two countries ("Congo", "Korea", "Virgin Islands") is dropped unless an alias decides."""
    table: dict[str, list[Entry]] = {}
    alias_keys: dict[str, tuple[str, ...]] = {}
    for entry in alias:
        key = normalize_surface(entry.surface)
        previous = alias_keys.get(key)
        if previous is not None and previous != entry.iso3:
            raise ConfigError(
                f"aliases.yaml: {entry.surface!r} is listed for both {previous} and {entry.iso3}"
            )
        alias_keys[key] = entry.iso3
        table.setdefault(key, []).append(entry)
    direct: dict[str, tuple[str, ...]] = {}
    for entry in (e for e in iso if e.kind == "name"):
        key = normalize_surface(entry.surface)
        if key not in alias_keys and direct.setdefault(key, entry.iso3) == entry.iso3:
            table.setdefault(key, []).append(entry)
    derived: dict[str, set[tuple[str, ...]]] = {}
    for entry in (e for e in iso if e.kind == "derived"):
        derived.setdefault(normalize_surface(entry.surface), set()).add(entry.iso3)
    for entry in (e for e in iso if e.kind == "derived"):
        key = normalize_surface(entry.surface)
        if key in alias_keys or key in direct or len(derived[key]) > 1:
            continue
        if entry not in table.get(key, []):
            table.setdefault(key, []).append(entry)
    return table


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes plus EXTRA_CODES: what a mention may carry."""
    import pycountry

    return frozenset({c.alpha_3 for c in pycountry.countries} | EXTRA_CODES.keys())


def _read_yaml(name: str) -> dict[str, Any]:
    text = resources.files("newsmodel.countries").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


@lru_cache(maxsize=1)
def _alias_data() -> dict[str, Any]:
    """aliases.yaml (focus countries, Korean forms, blocked phrases) with world.yaml's countries added."""
    data = _read_yaml("aliases.yaml")
    countries: dict[str, dict[str, Any]] = {
        k: dict(v or {}) for k, v in (data.get("countries") or {}).items()
    }
    for iso3, spec in (_read_yaml("world.yaml").get("countries") or {}).items():
        merged = countries.setdefault(iso3, {})
        for key, value in (spec or {}).items():
            if isinstance(value, list):
                have = merged.setdefault(key, [])
                have.extend(v for v in value if v not in have)
            else:
                merged[key] = value
    return {**data, "countries": countries}


def _date(value: str) -> dt.date | None:
    value = value.strip()
    return dt.date.fromisoformat(value) if value else None


_KO_SURNAME_HANJA = {
    "이": "李",
    "윤": "尹",
    "문": "文",
    "박": "朴",
    "김": "金",
    "노": "盧",
    "전": "全",
    "최": "崔",
}


def _leader_entries(reader: Any) -> list[Entry]:
    """Full names (and listed spellings), Korean names, distinctive surnames and title + surname."""
    out: list[Entry] = []
    for row in reader:
        iso3, start, end = (row["iso3"].strip(),), _date(row["start"]), _date(row["end"])
        for name in filter(None, (n.strip() for n in row["name"].split(";"))):
            out.append(Entry(name, iso3, "leader", start, end))
        for name in filter(None, (n.strip() for n in (row.get("ko") or "").split(";"))):
            if len(name) > 1:
                out.append(Entry(name, iso3, "leader", start, end))
            elif "\u4e00" <= name <= "\u9fff":  # a headline's Hanja surname: "尹·바이든", "習과"
                out.append(Entry(name, iso3, "leader_short", start, end))
            if iso3 == ("KOR",) and row["role"].strip() == "S" and len(name) >= 2:
                # Korean copy names its own president by surname: "윤 대통령", "李 대통령"
                for surname in filter(None, (name[0], _KO_SURNAME_HANJA.get(name[0]))):
                    out.append(Entry(f"{surname} 대통령", iso3, "leader_short", start, end))
                    if surname != name[0]:  # headlines drop the space after Hanja: "李대통령"
                        out.append(Entry(f"{surname}대통령", iso3, "leader_short", start, end))
            if iso3 == ("PRK",) and row["role"].strip() == "L" and name.startswith("김"):
                # North Korea's leader by surname and title: "김 위원장", "金위원장"
                for form in ("김 위원장", "金 위원장", "金위원장"):
                    out.append(Entry(form, iso3, "leader_short", start, end))
        surnames = [n.strip() for n in row["surname"].split(";") if n.strip()]
        if row["alone"].strip() == "1":
            out.extend(Entry(n, iso3, "leader_short", start, end) for n in surnames)
        else:  # "Kim", "Lee", "May": only beside another leader ("Takaichi and Lee"), see guards.py
            out.extend(Entry(n, iso3, "leader_common", start, end) for n in surnames if " " not in n)
        for title in _TITLES.get(row["role"].strip(), ()):
            for n in surnames:
                if not n.startswith(title):
                    out.append(Entry(f"{title} {n}", iso3, "leader_short", start, end))
    return out


@lru_cache(maxsize=1)
def load_leaders() -> tuple[Entry, ...]:
    """data/leaders.csv as entries (see data/leaders.md for the columns and provenance)."""
    text = resources.files("newsmodel.countries").joinpath("data/leaders.csv").read_text(encoding="utf-8")
    entries = _leader_entries(csv.DictReader(io.StringIO(text)))
    _check_entries([e for e in entries if e.script == "latin" or e.korean])
    return tuple(entries)


@lru_cache(maxsize=1)
def load_dot_abbreviations() -> dict[str, str]:
    """One-syllable Korean abbreviations, counted only in chains like "한·미" (see aliases.yaml)."""
    table = {str(k): str(v) for k, v in (_alias_data().get("ko_dot_abbreviations") or {}).items()}
    _check_entries([Entry(k, (v,), "ko") for k, v in table.items()])
    return table


@lru_cache(maxsize=1)
def load_not_misspellings() -> frozenset[str]:
    """Real words and names one letter from a country ("Herman", "Indiana"): never fuzzy-matched."""
    return frozenset(normalize_surface(str(w)) for w in _alias_data().get("not_misspellings") or ())


@lru_cache(maxsize=1)
def load_korean_state_names() -> frozenset[str]:
    """The Korean names of states, not their cities or leaders: the first of each country's `ko`
    forms in aliases.yaml ("베트남", not "하노이") and pycountry's translations ("케냐")."""
    data = _alias_data()
    first = {forms[0] for spec in (data.get("countries") or {}).values() if (forms := spec.get("ko"))}
    return frozenset(first | {e.surface for e in _korean_iso_entries(set(), set())})


@lru_cache(maxsize=1)
def load_home_organs() -> frozenset[str]:
    """South Korea's state organs ("외교부", "합참"): KOR unless a country is named before them."""
    return frozenset(str(n) for n in _alias_data().get("ko_home_organs") or ())


@lru_cache(maxsize=1)
def load_abbreviation_nouns() -> tuple[str, ...]:
    """Government nouns after which a lone abbreviation counts ("미 국무부")."""
    return tuple(str(n) for n in _alias_data().get("ko_abbreviation_nouns") or ())


@lru_cache(maxsize=1)
def load_gazetteer() -> dict[str, tuple[Entry, ...]]:
    """All surface forms by lookup key, read once per process."""
    data = _alias_data()
    alias = _alias_entries(data)
    _check_entries(alias)
    taken = {e.surface for e in alias}
    alias += _korean_iso_entries(taken, set(data.get("ko_not_country") or []))
    table = _merge(alias, _pycountry_entries())
    # Leaders come last: a form the alias files or ISO already name keeps that meaning ("Colombo"
    # is Sri Lanka's capital before it is an Italian prime minister). Several leaders may share a
    # form ("Kim", "Bush"); the article date chooses among them (detector.py).
    for entry in load_leaders():
        key = normalize_surface(entry.surface)
        if key in table and not all(e.kind in LEADER_KINDS for e in table[key]):
            continue
        if entry not in table.setdefault(key, []):
            table[key].append(entry)
    return {key: tuple(entries) for key, entries in table.items()}
