"""Rules that drop or demote English mentions the gazetteer alone gets wrong, one per category.

- Compound adjectives that name no actor: "Indian-born", "Prague-born", "Mexican-style",
  "Chinese-language", "Russian-speaking", "Swiss-educated"; and heritage ("a Korean-American
  author", "the Korean American creator"), unless a relation noun follows ("Korean-American
  alliance").
- Towns named after a state, followed by a US state: "Moscow, Idaho", "Lebanon, Pennsylvania"
  (not a list of countries: "Azerbaijan, Georgia, Romania and Hungary").
- Countries that are also first names, followed by a surname: "Jordan Henderson", "Chad Smith".
- Venues: a city that only hosts a meeting of two other countries ("US and Iranian negotiators
  met in Geneva", "flew to Madrid for a NATO summit", "in Busan, the Republic of Korea"), or the
  coast a ship was off ("off the east coast of Somalia"), stays a mention but is marked `venue`,
  so it forms no pair; not where a war is ("a ceasefire in Gaza"), where someone arrives ("Trump
  arrived in South Korea for the summit") or what is struck ("struck a compound in Doha"); an
  airport an exchange between two others used ("the tarmac at Abu Dhabi airport") is one, an
  airport struck is not; "in condemning X" and "abuses in X" are no places.
- Places only: The Hague after in/to/at (the courts' seat; "licences from The Hague" is the
  Dutch government), an international court's seat ("the ECOWAS Court of Justice in Abuja"), the
  Suez and Panama Canals, Antarctica; Bosnian and Kosovo Serbs are not Serbia.
- Languages: a demonym ending its phrase after "in"/"into" where speech or text is the topic
  ("interpreted into Korean and Japanese"); a currency sign ("US$2 million").
- Datelines: the filing place and the agency credited ("SEOUL, March 4 (Reuters) -", "KYIV,
  Ukraine (AP) —"), a broadcast's live link ("워싱턴 연결합니다.") and a wire credit line
  ("Reporting by ... in Tokyo; Editing by ...") say where the story was written, not who acts.
- Waters named after a state: "Sea of Japan", "East China Sea", "Taiwan Strait", "Philippine Sea".
- "Georgia" the US state: with US-state words ("voters", "governor", "Atlanta") or a US mention
  and a place phrase ("a plant in Georgia"), and nothing that points to the Caucasus.
- "US" the pronoun in all-caps copy: "TELL US WHY", "TREATED US LIKE", "JOIN US", "ALL OF US".
- Common surnames of leaders ("Kim", "Lee", "May", "Park"): only while in office and joined to
  another state's leader ("Takaichi and Lee", "Trump-Kim summit", "Putin, Kim Sign Pact",
  "Carter hosted Sadat").
- Headline case ("Japan Lodges Protest With China Over ..."): every word is capitalised, so a
  capitalised word after "China" or "Jordan" says nothing about a surname.
- Companies named after a state ("Japan Tobacco", "Korea Zinc", "Saudi Aramco", "Air India",
  "China Eastern", "U.S. Steel"): the firm acts, not the state (state organs such as "Bank of
  Japan" are not companies and keep counting).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsmodel.countries.detector import Mention

__all__ = [
    "apply_guards",
    "dateline_end",
    "drop_lone_common_surnames",
    "is_headline_case",
    "mark_placed_venues",
]

_NO_ACTOR_SUFFIX = re.compile(
    r"-(?:born|bred|style|language|speaking|educated|trained|inspired|themed|flavou?red|"
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
    r"gathered|convened|session|delegates|delegations|envoys|founded|formed|attended|council|forum|"
    r"match|matches|opener|final|semi-?final|quarter-?final|tournament|game|games|qualifier|"
    r"friendly|exchanged|reached|sat\s+down|sit\s+down)\b",
    re.IGNORECASE,
)
# "in Geneva", "at the summit": one word, or a city before a comma ("in Lima, Peru", "in Addis
# Ababa, Ethiopia")
_VENUE_BEFORE = re.compile(
    r"\b(?:in|at)\s+(?:the\s+)?(?:(?![a-z]+ing\s)\w+\s+|(?:[\w'.-]+\s+)?[\w'.-]+,\s+(?P<the>the\s+)?)?$",
    re.IGNORECASE,
)
_VENUE_KINDS = frozenset({"metonym", "name", "derived"})
# "Trump arrived in South Korea for the Apec summit" (a visit), "Israel struck a compound in
# Doha where Hamas leaders had gathered" (a target): not only a venue.
_ARRIVED_OR_STRUCK = re.compile(
    r"\b(?:arrived|arrives|arriving|landed|lands|struck|strikes|hit|bombed|attacked|shelled|raided)\b[^,.;]*$"
)
# "on the tarmac at Abu Dhabi airport": where a swap or a landing happened; not an airport struck
# ("a U.S. drone strike at Baghdad's international airport": Iraq is hit).
_AIRPORT_AFTER = re.compile(r"\s+(?:international\s+)?airport\b", re.IGNORECASE)
_VIOLENCE = re.compile(
    r"\b(?:strikes?|struck|attack\w*|bomb\w*|drones?|missiles?|raid\w*|shell\w*|hit|blast|explosion|"
    r"stormed|seized|killed|fired)\b",
    re.IGNORECASE,
)
_OFFICIAL_NAMES = ("Republic", "Kingdom", "People", "Democratic", "Islamic", "Federal")
_THE_CITY_GATHERING = re.compile(r"\s+(?:talks|summit|negotiations|meeting)\b")
# "off the east coast of Somalia", "off Gibraltar": where a ship was, not a party to what it met.
_OFF_COAST = re.compile(r"\boff\s+(?:the\s+(?:[a-z]+\s+)?coast\s+of\s+)?$")
# "flew to Madrid for a NATO summit": the city a trip to a gathering goes to is its venue.
_TO_FOR_GATHERING = re.compile(
    r"\s+for\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}(?:summit|talks|meeting|conference|forum|gathering)\b",
    re.IGNORECASE,
)
# "a ceasefire in Gaza", "the war in Ukraine": where the fighting is, a party to it, never a venue.
_WAR_IN = re.compile(
    r"\b(?:ceasefire|cease-fire|truce|war|fighting|hostilities|conflict|crisis|invasion|offensive|"
    r"violence|occupation|famine|strikes?|attacks?|bombing|shelling|operations?|killings?|"
    r"casualties|deaths|abuses|atrocities|repression|crackdown|persecution|genocide|violations|"
    r"detentions?)\s+(?:in|on)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# "the Tashkent declaration", "the Oslo Accords", "the Paris Peace Accords": named after the venue.
_NAMED_AFTER_VENUE = re.compile(
    r"\s+(?:(?:Peace|Climate|Summit|Joint|Final)\s+)?(?:declaration|accords?|agreements?|protocol|treaty|convention|conventions|process|"
    r"consensus|final act|communiqu[eé]|framework|format|charter|plan|Olympics|Olympic|Games|"
    r"Paralympics|Expo|Marathon|Film Festival|Biennale|Motor Show|Fashion Week|Opera|Philharmonic)\b",
    re.IGNORECASE,
)
# A demonym that names a language, a dish or a species, not the state ("Japanese and Korean
# language courses", "Japanese quail eggs"). Currencies still name their state: the news-style
# training rows code "the ruble weakened past 100 to the U.S. dollar" as RUS-USA.
_DEMONYM_NO_ACTOR = re.compile(
    r"(?:\s+(?:and|or)\s+[A-Z][a-z]+)?\s+(?:language|languages|courses?|classes|lessons|literature|"
    r"cuisine|dishes|recipes?|mezze|barbecue|quail|beetles?|knotweed|maples?|cabbage)\b"
)


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
# CITY[, Region/Country][, Month Day] (Agency) -   or   CITY, Month Day -  at the start of the text
_DATELINE = re.compile(
    rf"^\s*[A-Z][A-Z.'\- ]*[A-Z.](?:,\s*[A-Z][A-Za-z.' ]*?)??(?:,?\s*{_MONTH})?"
    rf"(?:\s*\([A-Z][A-Za-z.&' -]{{1,30}}\)|(?<=\d))\s*(?:-{{1,2}}|\u2014|\u2013)\s"
)
# A state's name, then a word that makes it a firm's name ("Korea Zinc", "Japan Tobacco",
# "Taiwan Semiconductor", "China Mobile", "Russian Railways"), or "Air" before it ("Air India").
_COMPANY_AFTER = re.compile(
    r"\s+(?:Air(?!\s+(?:Force|Defen[cs]e|Self|Command))|Airlines|Airways|Tobacco|Steel|Zinc|Semiconductor|"
    r"Electric|Electron|Electronics|Telecom|Mobile|Unicom|Motors?|Railways|Petroleum|Shipbuilding|"
    r"Aramco|Evergrande|Vanke|Exim|Gas\s+Corp\w*|Oil\s+Corp\w*)\b"
)
# After the name only ("China Eastern", "China Southern"; not "the Chinese Eastern Railway").
_COMPANY_AFTER_NAME = re.compile(r"\s+(?:Eastern|Southern)(?!\s+(?:Theat(?:er|re)|Command|Fleet|Railway))\b")
_COMPANY_BEFORE = re.compile(r"\bAir\s+$")
_ANY_WATER = re.compile(r"Sea|Strait|Ocean|Gulf|Trench|Basin|Bay|Canal")
# "the Suez Canal", "the Panama Canal": a waterway, even after a city's name (not its Authority)
_CANAL = r"Canal\b(?!\s+Authority)"
_WATER_AFTER = re.compile(rf"\s+(?:(?:Sea|Strait|Straits|Ocean|Gulf|Trench|Basin)\b|{_CANAL})")
_CANAL_AFTER = re.compile(rf"\s+{_CANAL}")
_WATER_BEFORE = re.compile(r"\b(?:Sea|Gulf|Strait|Straits|Bay)\s+of\s+(?:the\s+)?$")
_US_STATE_WORDS = re.compile(
    r"\b(?:voters?|governor|gubernatorial|county|counties|Atlanta|Savannah|Augusta|state\s+senator|"
    r"state\s+legislature|primary|ballots?|Peach\s+State|Bulldogs|Fort\s+[A-Z][a-z]+)\b",
    re.IGNORECASE,
)
_IN_PLACE = re.compile(r"\b(?:in|at|from|to|across)\s+(?:northern\s+|southern\s+|rural\s+)?$")
_CAUCASUS = re.compile(
    r"\b(?:Tbilisi|Georgians?|Caucasus|Ossetia\w*|Abkhaz\w*|Black\s+Sea|Georgian\s+Dream|Batumi)\b"
)
_LANGUAGE_BEFORE = re.compile(r"\b(?:in|into|from)\s+(?:both\s+)?(?:[A-Z][a-z]+(?:,\s+|\s+(?:and|or)\s+))*$")
_LANGUAGE_END = re.compile(r"\s*(?:[,.;:?!)\"]|$|\s(?:and|or|as|at|for|on|with|by|to)\b)")
_LANGUAGE_CONTEXT = re.compile(
    r"\b(?:interpret\w*|translat\w*|dubb\w*|subtit\w*|spoke|speaks?|speaking|written|wrote|"
    r"fluent\w*|languages?|taught|teach\w*|lyrics|sung|sings?|broadcasts?|printed|published|"
    r"interpretation|captions?)\b",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r",?\s+(?:and\s+)?|,\s*")
# "US" is the pronoun before a wh-word or "like"/"all", after "join"/"let"/"all of" ("ALL OF US");
# not after "between" ("TALKS BETWEEN US AND CHINA").
_US_PRONOUN_AFTER = re.compile(r"\s+(?:WHY|HOW|WHAT|WHERE|WHEN|WHO|WHETHER|LIKE|ALL|OURSELVES)\b")
_US_PRONOUN_BEFORE = re.compile(r"\b(?:JOIN|LET|(?:ALL|BOTH|EACH|ONE|MANY|MOST|NONE|SOME)\s+OF)\s+$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019.-]*")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "with",
        "from",
        "over",
    ]
)


_JOINED = re.compile(
    r"\s*(?:,|and|&|-|\u2013|/|met|meets|hosted|hosts|welcomed|called|phoned|told|visited|"
    r"thanked|urged|warned|invited|received|greeted|embraced|hugged|congratulated|had\s+invited)"
    r"\s*(?:President\s+|Premier\s+)?"
)
_LEADER_NAMED = frozenset({"leader", "leader_short", "leader_common"})


def _joined_to_leader(text: str, m: Mention, mentions: list[Mention]) -> bool:
    """A common surname right next to another state's leader: joined by "and", a comma or a dash,
    or one leader-to-leader verb between them ("Carter hosted Sadat", "Trump met Kim")."""
    for o in mentions:
        if o.kind not in _LEADER_NAMED or o.iso3 in ("", m.iso3):
            continue
        between = text[o.end : m.start] if o.end <= m.start else text[m.end : o.start]
        if _JOINED.fullmatch(between):
            return True
    return False


def drop_lone_common_surnames(text: str, mentions: list[Mention]) -> list[Mention]:
    """Common surnames ("Lee", "Kim", "May") kept only when joined to another state's leader."""
    if all(m.kind != "leader_common" for m in mentions):
        return mentions
    return [m for m in mentions if m.kind != "leader_common" or _joined_to_leader(text, m, mentions)]


# Korean copy: "(베이징=연합뉴스) 이영수 특파원 =", "【워싱턴=뉴시스】", "[서울=뉴스1] 김철수 이영희 기자 ="
_KO_DATELINE = re.compile(
    r"^\s*[(\[【\u3014]\s*[\uac00-\ud7a3\u4e00-\u9fff ]{1,20}=\s*[^)\]】\u3015\n]{1,20}[)\]】\u3015]"
    r"(?:\s*(?:[\uac00-\ud7a3]{2,4}\s*){1,3}(?:특파원|기자)\s*=)?\s*"
)


# A broadcast's live link to its correspondent ("워싱턴 연결합니다.", "[앵커] 베이징 현지 연결하겠습니다."):
# where the report comes from, like a dateline.
_KO_LIVE_LINK = re.compile(
    r"^\s*(?:\[[^\]]{1,10}\]\s*)?[\uac00-\ud7a3]{2,8}(?:\s[\uac00-\ud7a3]{2,8})?\s?(?:현지\s?)?"
    r"연결(?:합니다|하겠습니다|해\s?보겠습니다|해\s?봅니다)[.!]?\s*"
)


# A wire story's credit line ("Reporting by Kaori Ueno in Tokyo and Minji Park in Seoul; Editing by
# Tom Hogue"): the cities say where the reporters sat, the whole line names no actor.
_CREDIT_LINE = re.compile(
    r"^\s*\(?\s*(?:Additional\s+)?(?:Reporting|Writing|Editing)\s+by\s+[A-Z]", re.IGNORECASE
)
_CREDIT_MORE = re.compile(r";|\b(?:Editing|Writing|Additional reporting)\s+by\b", re.IGNORECASE)


def dateline_end(text: str) -> int:
    """Where a leading dateline ("SEOUL, March 4 (Reuters) -", "(서울=연합뉴스) 김철수 기자 =",
    a broadcast's "워싱턴 연결합니다.") ends, 0 when there is none."""
    if _CREDIT_LINE.match(text) and _CREDIT_MORE.search(text):
        return len(text)
    found = _DATELINE.match(text) or _KO_DATELINE.match(text) or _KO_LIVE_LINK.match(text)
    return found.end() if found else 0


def is_headline_case(text: str) -> bool:
    """All capitals, or every word but the small ones capitalised (at least four words)."""
    words = [w for w in _WORD.findall(text) if w.lower() not in _SMALL_WORDS]
    if len(words) < 4:
        return False
    return all(w[0].isupper() or w[0].isdigit() for w in words)


def _is_water(text: str, m: Mention) -> bool:
    before = _WATER_BEFORE.search(text[max(0, m.start - 20) : m.start])
    if m.kind == "metonym":  # "the Gulf of Aden": a city that names a sea; "the Suez Canal"
        return bool(before or _CANAL_AFTER.match(text, m.end))
    if m.kind not in ("name", "demonym", "derived", "fuzzy"):
        return False
    return bool(_WATER_AFTER.match(text, m.end) or before)


def _is_us_state(text: str, m: Mention, mentions: list[Mention]) -> bool:
    if m.iso3 != "GEO" or m.text.lower() != "georgia" or _CAUCASUS.search(text):
        return False
    if any(o.iso3 in ("RUS", "ARM", "AZE", "UKR") for o in mentions):
        return False
    if _US_STATE_WORDS.search(text):
        return True
    in_place = _IN_PLACE.search(text[max(0, m.start - 30) : m.start])
    return in_place is not None and any(o.iso3 == "USA" for o in mentions)


def _in_country_list(text: str, mentions: list[Mention], i: int) -> bool:
    """ "Azerbaijan, Georgia, Romania and Hungary": the state after the comma is one country of a
    list (another country follows it after a comma or "and"), not "Lebanon, Pennsylvania"."""
    if i + 2 >= len(mentions):
        return False
    state, nxt = mentions[i + 1], mentions[i + 2]
    return bool(state.iso3) and bool(nxt.iso3) and bool(_LIST_GAP.fullmatch(text, state.end, nxt.start))


def _is_language(text: str, m: Mention) -> bool:
    """ "interpreted into Korean and Japanese", "subtitles in French": a demonym that ends its
    phrase after "in"/"into", in a sentence about speech or text, names a language."""
    if not _LANGUAGE_END.match(text, m.end):  # the cheap test first: most demonyms modify a noun
        return False
    before = text[max(0, m.start - 40) : m.start]
    return bool(_LANGUAGE_BEFORE.search(before) and _LANGUAGE_CONTEXT.search(text))


def _is_us_pronoun(text: str, m: Mention) -> bool:
    if m.text != "US" or not text.isupper():
        return False
    before = text[max(0, m.start - 12) : m.start]
    return bool(_US_PRONOUN_AFTER.match(text, m.end) or _US_PRONOUN_BEFORE.search(before))


def _no_actor_compound(text: str, m: Mention, following: Mention | None) -> bool:
    if text[m.end : m.end + 1] != "-" or m.kind not in ("demonym", "name", "derived", "fuzzy", "metonym"):
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
    joined = text[previous.end] == "-" or (text[previous.end] == " " and previous.kind == "demonym")
    return joined and not _RELATION_NOUN.match(text[m.end :])


def _is_person(text: str, m: Mention) -> bool:
    if m.text not in _FIRST_NAMES:
        return False
    nxt = _NEXT_WORD.match(text, m.end)
    return nxt is not None and nxt.group(1) not in _STATE_WORDS


def _is_company(text: str, m: Mention) -> bool:
    if m.kind in _LEADER_NAMED:
        return False
    named = (
        _COMPANY_AFTER.match(text, m.end)
        or (m.kind == "name" and _COMPANY_AFTER_NAME.match(text, m.end))
        or _COMPANY_BEFORE.search(text[max(0, m.start - 5) : m.start])
    )
    return bool(named) and not is_headline_case(text)  # the costlier test last


def _mark_venues(text: str, mentions: list[Mention]) -> list[Mention]:
    """A city (or country) after "in"/"at" in a meeting sentence with two other countries, the
    coast a ship was off ("boarded by pirates off the east coast of Somalia"), or the airport an
    exchange between two others used."""
    if len({m.iso3 for m in mentions}) < 3:
        return mentions
    meeting = bool(_MEETING.search(text))
    off = "off " in text
    airport = "airport" in text
    if not meeting and not off and not airport:
        return mentions
    placed = [
        m.kind in _VENUE_KINDS
        and (
            (
                meeting
                and bool(venue := _VENUE_BEFORE.search(before := text[max(0, m.start - 40) : m.start]))
                and not _WAR_IN.search(before)
                and not _ARRIVED_OR_STRUCK.search(before)
                # "in Busan, the Republic of Korea": only an official name after "the"
                and (venue is None or not venue.group("the") or m.text.startswith(_OFFICIAL_NAMES))
            )
            or (meeting and before.endswith("to ") and bool(_TO_FOR_GATHERING.match(text, m.end)))
            or (
                off
                and bool(_OFF_COAST.search(text[max(0, m.start - 30) : m.start]))
                and not text.startswith("'s", m.end)
            )
            or (  # "a swap carried out on the tarmac at Abu Dhabi airport"
                airport
                and m.kind == "metonym"
                and not _VIOLENCE.search(text)
                and text[max(0, m.start - 3) : m.start] == "at "
                and bool(_AIRPORT_AFTER.match(text, m.end))
            )
        )
        for m in mentions
    ]
    return mark_placed_venues(mentions, placed) if any(placed) else mentions


def mark_placed_venues(mentions: list[Mention], placed: list[bool]) -> list[Mention]:
    """Mark as venues the countries every mention of which names a place (`placed`: "in Lima,
    Peru", "스위스 제네바에서"), none an actor, while two or more other countries are named."""
    out = []
    for m, here in zip(mentions, placed, strict=True):
        others = {o.iso3 for o in mentions if o.iso3 and o.iso3 != m.iso3}
        alone = all(p for o, p in zip(mentions, placed, strict=True) if o.iso3 == m.iso3)
        out.append(replace(m, venue=True) if here and alone and len(others) >= 2 else m)
    return out


# ISO codes of places no government acts for ("whaling in the Antarctic"): named, never actors.
_NO_STATE = frozenset({"ATA"})


def apply_guards(text: str, mentions: list[Mention]) -> list[Mention]:
    """`mentions` (in text order, blocked spans included) without the false ones, venues marked."""
    ordered = mentions
    kept: list[Mention] = []
    size = len(text)
    dateline = dateline_end(text)
    waters = _ANY_WATER.search(text) is not None
    for i, m in enumerate(ordered):
        if not m.iso3 or m.end <= dateline or m.iso3 in _NO_STATE:
            continue
        if m.text in ("US", "U.S.") and text.startswith("$", m.end):
            continue  # "US$39.9 million": a currency sign
        if (
            (waters and _is_water(text, m))
            or (m.iso3 == "GEO" and _is_us_state(text, m, ordered))
            or (m.text == "US" and _is_us_pronoun(text, m))
        ):
            continue
        after = text[m.end] if m.end < size else ""
        if after == "-":
            following = ordered[i + 1] if i + 1 < len(ordered) else None
            if _no_actor_compound(text, m, following):
                continue
        elif after == " " and m.kind == "demonym" and i + 1 < len(ordered):
            following = ordered[i + 1]  # "the Korean American creator of 'Beef'": heritage
            if (
                following.start == m.end + 1
                and following.text in _HERITAGE
                and not _RELATION_NOUN.match(text[following.end :])
            ):
                continue
        elif after == "," and _THEN_US_STATE.match(text, m.end) and not _in_country_list(text, ordered, i):
            continue
        if i and text[m.start - 1] in "- " and _is_heritage_tail(text, m, ordered[i - 1]):
            continue
        if m.text in _FIRST_NAMES and _is_person(text, m) and not is_headline_case(text):
            continue
        if m.kind == "metonym" and after == " " and _NAMED_AFTER_VENUE.match(text, m.end):
            continue
        if (
            m.kind == "metonym"
            and after == " "
            and _THE_CITY_GATHERING.match(text, m.end)
            and text[max(0, m.start - 4) : m.start].lower() == "the "
        ):
            continue  # "the Istanbul talks between the Russian and Ukrainian delegations"
        if m.kind == "demonym" and after == " " and _DEMONYM_NO_ACTOR.match(text, m.end):
            continue
        if m.kind == "demonym" and _is_language(text, m):
            continue
        if _is_company(text, m):
            continue
        if _is_place_only(text, m):
            continue
        kept.append(m)
    return _mark_venues(text, kept) if len(kept) > 2 else kept


# "in The Hague", "flown to The Hague": the seat of the world's courts, not the Dutch government
# ("licences from The Hague", "The Hague tightened its curbs" still are).
_HAGUE_PLACE = re.compile(r"\b(?:in|to|at)\s+(?:the\s+)?$", re.IGNORECASE)
# "a Bosnian Serb commander", "Kosovo Serbs": a people of another state, not Serbia (or Croatia)
_OTHER_STATES_PEOPLE = re.compile(r"\b(?:Bosnian|Kosovo|Croatian|Montenegrin|Bosnia's)\s+$")
# An international court's seat: "the ECOWAS Court of Justice in Abuja", "an arbitral tribunal in
# The Hague"; not a state's own court ("a Moscow court", "the Supreme Court in Seoul").
_COURT_SEAT = re.compile(
    r"\b(?:ECOWAS|ICJ|ICC|International|World|European|Inter-American|African|Permanent|Arbitration|arbitral|"
    r"Arbitral|war\s+crimes|U\.?N\.?|Special)\s+(?:[A-Z][\w-]*\s+)*(?:Court|court|Tribunal|tribunal)"
    r"(?:\s+of\s+(?:Justice|Arbitration|Human\s+Rights))?\s+(?:in|at|based\s+in)\s+$"
)


def _is_place_only(text: str, m: Mention) -> bool:
    """A city or country named only as a place nobody acts for: The Hague as the courts' seat, an
    international court's seat, a people named after another state."""
    if m.kind == "demonym":
        return m.iso3 in ("SRB", "HRV") and bool(
            _OTHER_STATES_PEOPLE.search(text, max(0, m.start - 14), m.start)
        )
    if m.text.endswith("Hague"):
        return bool(_HAGUE_PLACE.search(text, max(0, m.start - 12), m.start))
    if m.kind == "metonym" and text.endswith(("in ", "at "), 0, m.start):
        return bool(_COURT_SEAT.search(text, max(0, m.start - 60), m.start))
    return False
