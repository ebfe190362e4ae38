"""The country gazetteer: every surface form that names a state, with its ISO 3166 alpha-3 code(s).

Names come from pycountry (ISO short, official and common names, plus the part before the comma
of inverted names such as "Korea, Republic of"); the reviewed `aliases.yaml` adds what ISO lacks
(demonyms, capitals, Korean names, abbreviations) and the phrases that must not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from newsmodel.errors import ConfigError

__all__ = [
    "KO_FOLLOWERS",
    "Entry",
    "Kind",
    "Script",
    "load_abbreviation_nouns",
    "load_dot_abbreviations",
    "load_gazetteer",
    "normalize_surface",
]

Kind = Literal[
    "name", "derived", "demonym", "metonym", "leader", "ko", "ko_strict", "hanja", "compound", "blocked"
]
Script = Literal["latin", "hangul", "hanja"]

# What may follow a `ko_strict` entry without a space: particles and the nouns that make
# compounds in news ("한미동맹", "인도와", "이란산"); "인도적" (humanitarian) is not among them.
KO_FOLLOWERS: tuple[str, ...] = (
    *"은는이가을를의에와과도로만까부보처나측산인간내",
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
    "관세",
    "양국",
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
        return self.kind == "ko_strict" or (self.kind in ("compound", "blocked") and self.korean)


def normalize_surface(text: str) -> str:
    """The lookup key of a surface: lower case, one space, straight apostrophes."""
    return _SPACES.sub(" ", text.replace("\u2019", "'")).strip().lower()


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


def _plural_forms(demonym: str) -> list[str]:
    return [demonym] if _NO_PLURAL.search(demonym) else [demonym, demonym + "s"]


def _alias_entries(data: dict[str, Any]) -> list[Entry]:
    out: list[Entry] = []
    for iso3, spec in (data.get("countries") or {}).items():
        for kind in ("names", "demonyms", "metonyms", "leaders", "ko", "ko_strict", "hanja"):
            for surface in spec.get(kind) or []:
                k: Kind = {
                    "names": "name",
                    "demonyms": "demonym",
                    "metonyms": "metonym",
                    "leaders": "leader",
                }.get(kind, kind)  # type: ignore[assignment]
                forms = _plural_forms(surface) if kind == "demonyms" else [surface]
                out.extend(Entry(form, (iso3,), k) for form in forms)
    for surface, codes in (data.get("compounds") or {}).items():
        out.append(Entry(surface, tuple(codes), "compound"))
    out.extend(Entry(surface, (), "blocked") for surface in data.get("blocked") or [])
    return out


def _check_entries(entries: list[Entry]) -> None:
    """Unknown codes and lower-case English forms are mistakes in the alias file: fail loudly."""
    import pycountry

    known = {c.alpha_3 for c in pycountry.countries}
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
def _alias_data() -> dict[str, Any]:
    text = resources.files("newsmodel.countries").joinpath("aliases.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


@lru_cache(maxsize=1)
def load_dot_abbreviations() -> dict[str, str]:
    """One-syllable Korean abbreviations, counted only in chains like "한·미" (see aliases.yaml)."""
    table = {str(k): str(v) for k, v in (_alias_data().get("ko_dot_abbreviations") or {}).items()}
    _check_entries([Entry(k, (v,), "ko") for k, v in table.items()])
    return table


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
    table = _merge(alias, _pycountry_entries())
    return {key: tuple(entries) for key, entries in table.items()}
