"""Rules that drop or demote English mentions the gazetteer alone gets wrong, one per category.

- Compound adjectives that name no actor: "Indian-born", "Mexican-style", "Chinese-language",
  "Russian-speaking", "Swiss-educated", "Japanese-made"; and hyphenated heritage ("a
  Korean-American author"), unless a relation noun follows ("Korean-American alliance").
- Towns named after a state, followed by a US state: "Moscow, Idaho", "Lebanon, Pennsylvania".
- Countries that are also first names, followed by a surname: "Jordan Henderson", "Chad Smith".
- Venues: a city that only hosts a meeting of two other countries ("US and Iranian negotiators
  met in Geneva") stays a mention but is marked `venue`, so it forms no pair.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsmodel.countries.detector import Mention

__all__ = ["apply_guards"]

_NO_ACTOR_SUFFIX = re.compile(
    r"-(?:born|bred|style|language|speaking|educated|made|trained|inspired|themed|flavou?red|"
    r"descended|raised)\b",
    re.IGNORECASE,
)
_HERITAGE = ("American", "Americans", "Canadian", "Canadians", "Australian", "Australians", "British")
_RELATION_NOUN = re.compile(
    r"\s*(?:relations?|ties|talks|alliance|summit|trade|treaty|agreement|pact|accord|war|wars|"
    r"border|dialogue|cooperation|partnership|friendship|rivalry|tensions?|conflict|joint|drills?|"
    r"exercises?|deal|negotiations?|axis|forces|command|military|defen[cs]e|security|summitry|"
    r"détente|detente|standoff|dispute|trade)\b",
    re.IGNORECASE,
)
_US_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|"
    "West Virginia|Wisconsin|Wyoming"
)
_THEN_US_STATE = re.compile(rf",\s*(?:{_US_STATES})\b")
# Country names that are also first names; a capitalised word after them is a surname unless it
# is one of the words that follow a state in news ("Jordan Valley" is blocked in aliases.yaml).
_FIRST_NAMES = frozenset({"Jordan", "Chad", "Georgia", "India", "Kenya", "Israel", "Ireland", "China"})
_NEXT_WORD = re.compile(r"\s([A-Z][a-z]+)\b")
_STATE_WORDS = frozenset(
    [
        "Defense",
        "Defence",
        "Army",
        "Air",
        "Navy",
        "Foreign",
        "Prime",
        "President",
        "Minister",
        "Ministry",
        "Government",
        "State",
        "Times",
        "Post",
        "Daily",
        "Central",
        "National",
        "Television",
        "Radio",
        "Cup",
        "Open",
        "Sea",
        "Strait",
        "Border",
        "Embassy",
        "Police",
        "Coast",
        "Military",
        "Armed",
        "Security",
        "Parliament",
        "Supreme",
        "Court",
        "Council",
        "Congress",
        "Senate",
        "On",
        "In",
        "At",
        "And",
        "Or",
        "But",
        "As",
        "To",
        "For",
        "From",
        "With",
        "By",
        "Of",
        "The",
        "After",
        "Before",
        "Since",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
)
_MEETING = re.compile(
    r"\b(?:met|meet|meets|meeting|summit|talks|negotiat\w*|conference|signed|sign|held|hosted|"
    r"gathered|convened|session|delegates|delegations|envoys|founded|formed|attended)\b",
    re.IGNORECASE,
)
_VENUE_BEFORE = re.compile(r"\b(?:in|at)\s+(?:the\s+)?(?:\w+\s+)?$", re.IGNORECASE)
_VENUE_KINDS = frozenset({"metonym", "name", "derived"})
# "the Tashkent declaration", "the Oslo Accords", "the Paris Agreement": named after the venue.
_NAMED_AFTER_VENUE = re.compile(
    r"\s+(?:declaration|accords?|agreements?|protocol|treaty|convention|conventions|process|"
    r"consensus|final act|communiqu[eé]|framework|format|charter|plan)\b",
    re.IGNORECASE,
)


def _no_actor_compound(text: str, m: Mention, following: Mention | None) -> bool:
    if text[m.end : m.end + 1] != "-" or m.kind not in ("demonym", "name", "derived", "fuzzy"):
        return False
    rest = text[m.end :]
    if _NO_ACTOR_SUFFIX.match(rest):
        return True
    # "Korean-American author": heritage, both halves no actor, unless a relation noun follows.
    if following is not None and following.start == m.end + 1 and rest.startswith("-"):
        return following.text in _HERITAGE and not _RELATION_NOUN.match(text[following.end :])
    return False


def _is_heritage_tail(text: str, m: Mention, previous: Mention | None) -> bool:
    if previous is None or m.start != previous.end + 1 or m.text not in _HERITAGE:
        return False
    return text[previous.end] == "-" and not _RELATION_NOUN.match(text[m.end :])


def _is_person(text: str, m: Mention) -> bool:
    if m.text not in _FIRST_NAMES:
        return False
    nxt = _NEXT_WORD.match(text, m.end)
    return nxt is not None and nxt.group(1) not in _STATE_WORDS


def _mark_venues(text: str, mentions: list[Mention]) -> list[Mention]:
    """A city (or country) after "in"/"at" in a meeting sentence with two other countries."""
    if len({m.iso3 for m in mentions}) < 3 or not _MEETING.search(text):
        return mentions
    out = []
    for m in mentions:
        others = {o.iso3 for o in mentions if o.iso3 and o.iso3 != m.iso3}
        alone = all(o.iso3 != m.iso3 or o is m for o in mentions)
        if (
            m.kind in _VENUE_KINDS
            and alone
            and len(others) >= 2
            and _VENUE_BEFORE.search(text[max(0, m.start - 40) : m.start])
        ):
            m = replace(m, venue=True)
        out.append(m)
    return out


def apply_guards(text: str, mentions: list[Mention]) -> list[Mention]:
    """`mentions` (in text order, blocked spans included) without the false ones, venues marked."""
    ordered = mentions
    kept: list[Mention] = []
    size = len(text)
    for i, m in enumerate(ordered):
        if not m.iso3:
            continue
        after = text[m.end] if m.end < size else ""
        if after == "-":
            following = ordered[i + 1] if i + 1 < len(ordered) else None
            if _no_actor_compound(text, m, following):
                continue
        elif after == "," and _THEN_US_STATE.match(text, m.end):
            continue
        if i and text[m.start - 1] == "-" and _is_heritage_tail(text, m, ordered[i - 1]):
            continue
        if m.text in _FIRST_NAMES and _is_person(text, m):
            continue
        if m.kind == "metonym" and after == " " and _NAMED_AFTER_VENUE.match(text, m.end):
            continue
        kept.append(m)
    return _mark_venues(text, kept) if len(kept) > 2 else kept
