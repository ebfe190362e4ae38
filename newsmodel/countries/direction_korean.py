"""Who acts on whom in a Korean sentence, read from case particles (no parser).

The subject/topic particle marks the source, the object, dative and "toward" particles the target
("북한이 러시아에 병력을 파견했다"); a country without a particle takes its head noun's ("일본 정부는");
"X에 의해", "X의 공격을 받아" and "X로부터 ... 받" make X the source; a comma-marked headline topic
acts ("트럼프, 中에 ... 관세"); reported speech follows the English rules; compounds such as 한미
are undirected. The confidence says how direct the evidence is; it is not a probability.
"""

from __future__ import annotations

import re
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from newsmodel.countries.detector import Mention
from newsmodel.countries.directed import (
    CO,
    CONF_CONJOINED,
    CONF_KOREAN,
    CONF_NOMINAL,
    CONF_SPEECH,
    CONF_UNSAID,
    SOURCE,
    TARGET,
    DirectedPair,
    directed,
    undirected,
)
from newsmodel.countries.direction_korean_words import (
    _AGENT,
    _KO_ACCORDING,
    _KO_AGREED_WITH,
    _KO_ATTACKED,
    _KO_BY,
    _KO_CITING,
    _KO_CLAUSE_END,
    _KO_CREDIT,
    _KO_DELIMITERS,
    _KO_DEMAND,
    _KO_DOT_GAP,
    _KO_DOT_OR_HYPHEN_GAP,
    _KO_ENDINGS,
    _KO_FOUGHT_WITH,
    _KO_HANGUL_TAIL,
    _KO_HEADLINE_LEAD,
    _KO_IMPORT_BAN,
    _KO_IMPORT_VERB,
    _KO_IMPORT_WORD,
    _KO_IMPORTER_AFTER,
    _KO_JOINED,
    _KO_LISTED_AGENT,
    _KO_LOST_TO,
    _KO_MEDIATE,
    _KO_NOT_GOODS,
    _KO_NOT_GOODS_LIST,
    _KO_PASSIVE_AFTER,
    _KO_PROTESTED,
    _KO_QUOTE_CLOSE,
    _KO_QUOTE_DEMAND,
    _KO_QUOTE_OPEN,
    _KO_QUOTES,
    _KO_RECEIVE,
    _KO_REPORTED_END,
    _KO_SAID,
    _KO_SELF,
    _KO_TARGET_FORMS,
    _KO_TOGETHER,
    _KO_VERB_END,
    _KO_VISIT,
    _TOPIC,
)

__all__ = ["korean_pairs"]


@dataclass(frozen=True)
class _KoRole:
    role: str | None
    word_end: int  # where the word carrying the particle ends
    topic: bool  # the particle is 은/는 (the speaker of a reported clause)


def _ending_role(word: str) -> str | None:
    """The role a word's final particle marks; "" for a place particle, None for no particle."""
    for ending, role in _KO_ENDINGS:
        if word.endswith(ending):
            return role
    return None


def _word_role(text: str, word: str, end: int, starts: dict[int, str], code: str) -> str | None:
    """A particle's role, refined by what follows: "에 의해" (agent), "와" before another country
    (conjoined; not the same one: "파키스탄과 파키스탄령 카슈미르를") or before anything else
    ("푸틴 대통령과 포옹한": with, a target)."""
    delimiter = next((d for d in _KO_DELIMITERS if word.endswith(d)), "")
    if delimiter and len(word) > 2:
        bare = word[: -len(delimiter)]
        if bare.endswith(("에서", "에", "에게", "와", "과", "을", "를", "로부터")):
            word = bare  # "4개국에서만 받기로": 에서 speaks through 만
    if word.endswith("로부터"):
        return _AGENT
    if word.endswith("에서") or word == "서":
        return _AGENT if _KO_RECEIVE.match(text, end) else ""
    if word.endswith("의"):
        if _KO_ATTACKED.match(text, end):
            return _AGENT
        # "마두로 대통령은 미군의 ... 공습을 ... 규탄했다": whose act is protested is its target
        return TARGET if _KO_PROTESTED.match(text, end) else None
    role = _ending_role(word)
    if (
        role == TARGET
        and word.endswith("에")
        and (_KO_BY.match(text, end) or _KO_PASSIVE_AFTER.match(text, end) or _KO_LOST_TO.match(text, end))
    ):
        return _AGENT  # "X에 의해", "이란 혁명수비대에 나포됐다", "日에 무릎"
    if role == TARGET and word.endswith(("을", "를")) and _KO_CITING.match(text, end):
        return ""  # "미국 정부 관계자를 인용해": a cited source
    if role == TARGET and word.endswith("에") and _KO_ACCORDING.match(text, end):
        return ""  # "산업부에 따르면": who tells, not whom it is done to
    if role == CO:
        nxt = re.match(r"\s+", text[end:])
        if (
            _KO_TOGETHER.match(text, end)
            or _KO_AGREED_WITH.match(text, end)
            or _KO_FOUGHT_WITH.match(text, end)
        ):
            # "푸틴 대통령과 나란히/함께": side by side, not at; "Y와 협정을 맺고": both sign; "Y군과 교전"
            return CO
        if _KO_LISTED_AGENT.match(text, end):
            return _AGENT  # "라자루스와 안다리엘, 김수키에 의해": the list's particle is its own
        return CO if nxt and starts.get(end + nxt.end(), code) != code else TARGET
    return role


def _korean_role(text: str, m: Mention, starts: dict[int, str] | None = None) -> _KoRole:
    """The particle of the mention's word, or of the head noun up to four words on ("일본 정부는",
    "중국 해경 대원들이", "일본 열도 상공을"); a genitive passes on to its noun ("2척의 움직임을")."""
    if len(m.text) == 2 and m.text[:1] in _KO_TARGET_FORMS and m.kind in ("ko", "ko_strict"):
        if m.text[0] == "대" and re.match(r"\s?수입", text[m.end :]):
            return _KoRole(_AGENT, m.end, False)  # "대일 수입 의존도": imports from Japan
        return _KoRole(TARGET, m.end, False)
    if text[max(0, m.start - 3) : m.start].endswith(("對)", "對", "訪")):  # 대(對)이란 제재, 訪中
        return _KoRole(TARGET, m.end, False)
    starts = starts or {}
    own = re.match(r"[\uac00-\ud7a3]*", text[m.end :]).group()  # type: ignore[union-attr]
    end = m.end + len(own)
    credit = None if own else _KO_CREDIT.match(text, end)
    if credit and text[: m.start].rstrip().endswith("…"):
        # a headline's credit ("北, 동해상으로 ... 발사…합참 \"고각 발사 추정\""): it reports what was
        # done to it, unless it answers with a protest or a warning ("…외교부 \"깊은 유감\"": it acts on
        # the headline's actor)
        return _KoRole(_AGENT if _KO_DEMAND.search(text, credit.end()) else TARGET, end, False)
    if own:
        role = _word_role(text, own, end, starts, m.iso3)
        if role is not None:
            return _KoRole(role or None, end, own.endswith(("은", "는")))
    if text[end : end + 1] == ",":
        # a headline's topic ("트럼프, 中에 ..."); mid-sentence a comma only lists
        return _KoRole(_TOPIC, end, False)
    mediates = _KO_MEDIATE.match(text, m.end)
    if mediates:  # "중국의 중재로": the mediator acts on the parties (CAMEO 043)
        return _KoRole(_AGENT, mediates.end(), False)
    visit = None if own or m.kind == "leader" else _KO_VISIT.match(text, end)
    if visit:
        return _KoRole(TARGET, visit.end(), False)
    for word in re.finditer(r"\S+", text[end:]):
        token = word.group()
        w_end = end + word.end()
        tail = _KO_HANGUL_TAIL.search(token)
        if tail is None:
            continue
        hangul = tail.group(1)
        last = end + word.start() + tail.end(1)
        role = _word_role(text, hangul, last, starts, m.iso3)
        if role is not None:
            return _KoRole(role or None, last, hangul.endswith(("은", "는")))
        stripped = token.rstrip(_KO_QUOTES)
        if stripped.endswith(","):
            return _KoRole(_TOPIC, w_end, False)
        if "…" in token or _KO_VERB_END.search(hangul) or word.start() > 40:
            break
        if len(text[end:w_end].split()) >= 4:
            break
    return _KoRole(None, end, False)


def _reported_clause(
    text: str, mentions: Sequence[Mention], roles: list[_KoRole]
) -> tuple[int, int, int, bool] | None:
    """(speaker mention index, clause start, clause end, demanding) for "X는 Y가 ... 했다고 밝혔다"."""
    speaker = next((i for i, r in enumerate(roles) if r.topic and r.role == SOURCE), None)
    if speaker is None:  # "북한이 러시아에 병력을 파견했다고 국정원이 밝혔다": the speaker after
        first = _KO_REPORTED_END.search(text)
        for i, r in enumerate(roles):
            if (
                first
                and mentions[i].start > first.end()
                and r.role == SOURCE
                and _KO_SAID.match(text, r.word_end)
            ):
                return i, 0, first.end(), bool(_KO_DEMAND.search(text, r.word_end))
        return None
    start = roles[speaker].word_end
    ends = list(_KO_REPORTED_END.finditer(text, start))
    if not ends:
        return None
    end = ends[-1].end()
    demand = bool(_KO_DEMAND.search(text, end))
    return speaker, start, end, demand


def korean_pairs(text: str, mentions: Sequence[Mention]) -> list[DirectedPair]:
    starts = {m.start: m.iso3 for m in mentions}
    ordered = sorted(mentions, key=lambda m: m.start)
    roles = [_korean_role(text, m, starts) for m in ordered]
    # a list shares its last member's role: "케냐와 탄자니아 정상을 만났다" (both met)
    for i in range(len(ordered) - 2, -1, -1):
        gap = text[ordered[i].end : ordered[i + 1].start]
        if roles[i].role in (CO, None) and len(gap) <= 4 and _KO_JOINED.fullmatch(gap):
            roles[i] = _KoRole(roles[i + 1].role, roles[i].word_end, roles[i + 1].topic)
    # "북한의 러시아 파병을 규탄": the country after a genitive is the event's target, not the
    # protest's (its pair with the possessor is read by _genitive_pair)
    for j, m in enumerate(ordered):
        if any(
            o.iso3 != m.iso3 and re.fullmatch(r"[\uac00-\ud7a3]*의\s+", text[o.end : m.start])
            for o in ordered[:j]
        ):
            roles[j] = _KoRole(None, roles[j].word_end, False)
    mediators = {m.iso3 for m in ordered if _KO_MEDIATE.match(text, m.end)}
    clause = _reported_clause(text, ordered, roles)
    inside = [clause is not None and clause[1] <= m.start < clause[2] for m in ordered]
    bounds = [c.end() for c in _KO_CLAUSE_END.finditer(text)]
    quote = _headline_quote(text, ordered)
    spans: dict[str, list[int]] = {}
    for i, m in enumerate(ordered):
        spans.setdefault(m.iso3, []).append(i)
    # a mention inside a compound naming several countries (한미일, 북중러)
    in_compound = [
        len({o.iso3 for o in ordered if (o.start, o.end) == (m.start, m.end)}) > 1 for m in ordered
    ]
    cut = text.find("…")
    out = []
    for a, b in combinations(sorted(spans), 2):
        # a compound (한미, 남북) names both: its particle orders the pair only against a country
        # named on its own ("북한은 ... 남북공동연락사무소를 폭파했다")
        starts_a = {ordered[i].start for i in spans[a]}
        starts_b = {ordered[i].start for i in spans[b]}
        own_a = [i for i in spans[a] if ordered[i].start not in starts_b] or spans[a]
        own_b = [i for i in spans[b] if ordered[i].start not in starts_a] or spans[b]
        if own_a == spans[a] and own_b == spans[b] and starts_a == starts_b:
            out.append(undirected(a, b, CONF_CONJOINED, "compound"))
            continue
        if len(mediators & {a, b}) == 1:  # "트럼프 대통령의 중재로 아르메니아와 아제르바이잔은 ..."
            med = a if a in mediators else b
            out.append(directed(med, b if med == a else a, CONF_KOREAN, "mediator"))
            continue
        quoted = _headline_quote_pair(text, ordered, roles, quote, a, b, own_a, own_b)
        if quoted is not None:
            out.append(quoted)
            continue
        if all(in_compound[i] for i in spans[a] + spans[b]):
            # each named only inside its own bloc ("북중러가 ... 한미일 공조를 흔드는"): one bloc is
            # not said to act on the other's members
            out.append(undirected(a, b, CONF_CONJOINED, "bloc"))
            continue
        # a headline's first clause states its news; a later one ("…북·러 정상회담") only adds to it
        early_a = [i for i in own_a if 0 < ordered[i].end <= cut]
        early_b = [i for i in own_b if 0 < ordered[i].end <= cut]
        if early_a and early_b:
            own_a, own_b = early_a, early_b
        if bounds:
            # clauses joined by "-자", "-면서", "-지만": the pair as the last clause naming both
            # states it; across clauses only a protest answers the earlier clause's actor
            common = {bisect(bounds, ordered[i].start) for i in own_a} & {
                bisect(bounds, ordered[i].start) for i in own_b
            }
            if common:
                last = max(common)
                own_a = [i for i in own_a if bisect(bounds, ordered[i].start) == last]
                own_b = [i for i in own_b if bisect(bounds, ordered[i].start) == last]
            else:
                out.append(_across_clauses(text, ordered, roles, bounds, a, b, own_a, own_b))
                continue
        dotted = _dotted_with(text, ordered, own_a, own_b)
        if dotted and set(own_a) - dotted and set(own_b) - dotted:
            # "미 육군이 미·필리핀 연합훈련을 계기로 필리핀 ... 에 전개했다": as a compound, a dotted
            # pair orders them only through their mentions on their own
            own_a = [i for i in own_a if i not in dotted]
            own_b = [i for i in own_b if i not in dotted]
        if _conjoined(text, ordered, own_a, own_b):
            out.append(undirected(a, b, CONF_CONJOINED, "conjoined"))
            continue
        main_a = [roles[i].role for i in own_a if not inside[i]]
        main_b = [roles[i].role for i in own_b if not inside[i]]
        pair = (
            _import_pair(text, ordered, roles, a, b, own_a, own_b)
            or _genitive_pair(text, ordered, a, b, own_a, own_b)
            or _particle_pair(a, b, main_a, main_b, strict=True)
            or _speech_pair(text, ordered, roles, inside, clause, a, b, own_a, own_b)
            or _particle_pair(a, b, [roles[i].role for i in own_a], [roles[i].role for i in own_b])
            or undirected(a, b, CONF_UNSAID, "not said")
        )
        out.append(pair)
    return out


def _headline_quote(text: str, ordered: Sequence[Mention]) -> tuple[frozenset[int], int, int] | None:
    """(speaker mentions, quote start, quote end) when the text opens with a country (and the
    countries joined to it) whose words run, without a particle, into a quotation."""
    if not ordered or not _at_headline_start(text, ordered[0].start):
        return None
    speakers = [0]
    while len(speakers) < len(ordered):
        gap = text[ordered[speakers[-1]].end : ordered[len(speakers)].start]
        if len(gap) > 2 or not _KO_JOINED.fullmatch(gap):
            break
        speakers.append(len(speakers))
    last = ordered[speakers[-1]]
    opening = _KO_QUOTE_OPEN.match(text, last.end)
    if opening is None or re.search(r"[은는이가을를에의와과]\s", text[last.end : opening.end()]):
        return None
    close = _KO_QUOTE_CLOSE.search(text, opening.end())
    return frozenset(speakers), opening.end(), close.start() if close else len(text)


def _headline_quote_pair(
    text: str,
    ordered: Sequence[Mention],
    roles: list[_KoRole],
    quote: tuple[frozenset[int], int, int] | None,
    a: str,
    b: str,
    own_a: list[int],
    own_b: list[int],
) -> DirectedPair | None:
    """The quoted speaker against a country named only in its quote: a demand or warning at a
    country acting in the quote makes the speaker act on it; a country whose act the quote reports
    acts on the speaker (as after "said"); one the quote only names is what the speaker acts on."""
    if quote is None:
        return None
    speakers, start, end = quote
    codes = {ordered[i].iso3 for i in speakers}
    for speaker, other, other_idx in ((a, b, own_b), (b, a, own_a)):
        if speaker not in codes or other in codes:
            continue
        if not all(start <= ordered[i].start < end for i in other_idx):
            return None
        acts = {SOURCE, _TOPIC, _AGENT}
        if any(roles[i].role in acts for i in other_idx):
            if _KO_QUOTE_DEMAND.search(text, start, end):
                return directed(speaker, other, CONF_SPEECH, "quoted demand")
            return directed(other, speaker, CONF_SPEECH, "quoted")
        third = any(
            roles[i].role in acts and start <= ordered[i].start < end and ordered[i].iso3 not in (a, b)
            for i in range(len(ordered))
        )
        return (
            undirected(a, b, CONF_SPEECH, "quoted")
            if third
            else directed(speaker, other, CONF_SPEECH, "quoted")
        )
    return None


def _across_clauses(
    text: str,
    ordered: Sequence[Mention],
    roles: list[_KoRole],
    bounds: list[int],
    a: str,
    b: str,
    own_a: list[int],
    own_b: list[int],
) -> DirectedPair:
    """Two countries in different clauses: "북한이 ... 발사하자 일본은 ... 항의했다" (the later
    clause's subject protests the earlier one's act: JPN -> PRK); else the sentence does not say."""
    first_a = min(bisect(bounds, ordered[i].start) for i in own_a)
    first_b = min(bisect(bounds, ordered[i].start) for i in own_b)
    (early, e_code), (late, l_code) = sorted(((own_a, a), (own_b, b)), key=lambda x: min(x[0]))
    if first_a == first_b:
        return undirected(a, b, CONF_UNSAID, "other clause")
    acts = {SOURCE, _TOPIC}
    early_acts = any(roles[i].role in acts | {_AGENT} for i in early)
    late_clause = bisect(bounds, ordered[late[0]].start)
    late_end = bounds[late_clause] if late_clause < len(bounds) else len(text)
    protests = any(roles[i].role in acts for i in late) and _KO_DEMAND.search(
        text, ordered[late[0]].end, late_end
    )
    if early_acts and protests:
        return directed(l_code, e_code, CONF_UNSAID, "answer")
    return undirected(a, b, CONF_UNSAID, "other clause")


def _at_headline_start(text: str, pos: int) -> bool:
    """Whether only tags, quotes and spaces come before `pos`, or a quotation opens just before it
    ('露 외무부 "韓, 우크라이나에 ...'): a comma after it marks a topic."""
    prefix = text[:pos]
    return (
        _KO_HEADLINE_LEAD.fullmatch(prefix) is not None
        or re.search("[\"\u201c\u2018']\\s*$", prefix) is not None
    )


def _dotted_with(text: str, ordered: Sequence[Mention], own_a: list[int], own_b: list[int]) -> set[int]:
    """The mentions of either country joined to one of the other by a middle dot ("미·필리핀")."""
    out: set[int] = set()
    for i in own_a:
        for j in own_b:
            first, second = sorted((i, j), key=lambda k: ordered[k].start)
            if _KO_DOT_OR_HYPHEN_GAP.fullmatch(text[ordered[first].end : ordered[second].start]):
                out |= {i, j}
    return out


def _chain_start(text: str, ordered: Sequence[Mention], m: Mention) -> int:
    """Where the dotted chain ending in `m` starts ("英·佛": at 英; "日 경제산업성": at 日); `m`'s
    start if it is alone."""
    start, code = m.start, m.iso3
    for prev in sorted((o for o in ordered if o.end <= m.start), key=lambda o: -o.end):
        gap = text[prev.end : start]
        # "英·佛", or the same state named twice ("日 경제산업성, 韓 ...")
        if not (_KO_DOT_GAP.fullmatch(gap) or (gap == " " and prev.iso3 == code)):
            break
        start, code = prev.start, prev.iso3
    return start


def _conjoined(text: str, ordered: Sequence[Mention], own_a: list[int], own_b: list[int]) -> bool:
    """Two countries named side by side, joined by "와/과", a comma or a dot, act together: the
    sentence does not order them (as "X and Y signed" in English)."""
    for i in own_a:
        for j in own_b:
            first, second = sorted((ordered[i], ordered[j]), key=lambda m: m.start)
            gap = text[first.end : second.start]
            # a headline's topic is not the first of a list: "트럼프, 中에 ... 관세", "北, 日 ...에 통보",
            # nor is a dotted chain that opens it ("英·佛, 우크라 ... 파병 구상")
            topic = "," in gap and _at_headline_start(text, _chain_start(text, ordered, first))
            if first.end <= second.start and len(gap) <= 4 and _KO_JOINED.fullmatch(gap) and not topic:
                return True
    return False


def _goods_from(text: str, m: Mention) -> bool:
    """Whether the mention names where imported goods come from: "러시아산 (원유) 수입",
    "日 수산물 수입" (a goods noun between, so that "일본 수입 규제" stays Japan's own)."""
    origin = text.startswith(("산", "제"), m.end)  # 러시아산, 이란제: made in
    rest = text[m.end + origin : m.end + origin + 48]
    if re.match(r"[\uac00-\ud7a3]", rest):
        return False
    for goods, word in enumerate(re.finditer(r"\S+", rest)):
        token = word.group()
        if _KO_IMPORT_WORD.match(token):
            # a ban on imports is the banning state's act, as a sanction is ("日 수산물 수입 중단")
            # (only after the noun: in "수입해 온 중국 정유사를 제재했다" the sanction is another act)
            verb = _KO_IMPORT_VERB.search(token)
            banned = not verb and _KO_IMPORT_BAN.match(text, m.end + origin + word.start())
            return (origin or goods > 0) and not banned
        # made-in goods may be a list ("미국산 농산물과 에너지, 공산품 등을 ... 구매하기로")
        listed = (
            origin
            and (token.endswith(",") or _ending_role(token) == CO)
            and not _KO_NOT_GOODS_LIST.search(token)
        )
        if listed and word.start() <= 40:
            continue
        if (
            "…" in token
            or token.endswith((",", "의", *_KO_NOT_GOODS))
            or word.start() > (40 if origin else 30)
        ):
            return False
        if _ending_role(token) in (SOURCE, CO, TARGET) and not token.endswith(
            ("을", "를", "추가", "추가로", "대량으로")
        ):
            return False
    return False


def _import_pair(
    text: str,
    ordered: Sequence[Mention],
    roles: list[_KoRole],
    a: str,
    b: str,
    own_a: list[int],
    own_b: list[int],
) -> DirectedPair | None:
    """The goods' country acts on the importer: the possessor just before it ("한국의 러시아산
    수산물 수입액") or the sentence's subject or headline topic ("中, 日 수산물 수입 중단")."""
    for first, second, c1, c2 in ((own_a, own_b, a, b), (own_b, own_a, b, a)):
        origins = [i for i in first if _goods_from(text, ordered[i])]
        if not origins or any(_goods_from(text, ordered[j]) for j in second):
            continue
        for j in second:
            between = text[ordered[origins[0]].end : ordered[j].start]
            if ordered[j].start > ordered[origins[0]].end and _KO_IMPORTER_AFTER.fullmatch(between):
                return directed(c1, c2, CONF_KOREAN, "imports")  # "이란산 원유를 수입해 온 중국 ..."
            before = re.fullmatch(r"[\uac00-\ud7a3]*의\s+", text[ordered[j].end : ordered[origins[0]].start])
            subject = re.match(r"(?:[은는이가]|께서)(?=\s)", text[ordered[j].end :])
            if before or subject or roles[j].role == _TOPIC:
                return directed(c1, c2, CONF_KOREAN, "imports")
    return None


def _genitive_pair(
    text: str, ordered: Sequence[Mention], a: str, b: str, own_a: list[int], own_b: list[int]
) -> DirectedPair | None:
    """ "북한군의 러시아 파병": the possessor of an event noun acts on the country that follows it."""
    for first, second, c1, c2 in ((own_a, own_b, a, b), (own_b, own_a, b, a)):
        for i in first:
            m = ordered[i]
            own = re.match(r"[\uac00-\ud7a3]*의\s+", text[m.end :])
            if own and any(ordered[j].start == m.end + own.end() for j in second):
                return directed(c1, c2, CONF_NOMINAL, "genitive")
    return None


def _particle_pair(
    a: str, b: str, ra_list: list[str | None], rb_list: list[str | None], strict: bool = False
) -> DirectedPair | None:
    """The pair as the particles order it; `strict`: only a plain subject against a plain object."""
    ra, rb = set(ra_list) - {None}, set(rb_list) - {None}
    if strict and (not ra or not rb):
        return None
    for x, y, c1, c2 in ((ra, rb, a, b), (rb, ra, b, a)):
        acts_x, acts_y = x & {SOURCE, _TOPIC, _AGENT}, y & {SOURCE, _TOPIC, _AGENT}
        if acts_x and TARGET in y and not acts_y:
            return directed(c1, c2, CONF_KOREAN, "particles")
        if _AGENT in x and _AGENT not in y and y & {SOURCE, _TOPIC}:
            return directed(c1, c2, CONF_KOREAN, "agent")
    if strict:
        return None
    for x, y, c1, c2 in ((ra, rb, a, b), (rb, ra, b, a)):
        if _TOPIC in x and not y:  # "도쿄, 베이징에 ... 요구", "日 경제산업성, 韓 ... 해제"
            return directed(c1, c2, CONF_KOREAN, "topic")
        # one side only acts, the other is also acted on: "북한이 ... 일본 열도 상공을 ... 일본 정부는"
        if x & {SOURCE, _TOPIC} and TARGET not in x and TARGET in y and CO not in x:
            return directed(c1, c2, CONF_UNSAID, "particles")
    if CO in ra or CO in rb:
        return undirected(a, b, CONF_CONJOINED, "with")
    return undirected(a, b, CONF_UNSAID, "not said")


def _speech_pair(
    text: str,
    ordered: Sequence[Mention],
    roles: list[_KoRole],
    inside: list[bool],
    clause: tuple[int, int, int, bool] | None,
    a: str,
    b: str,
    own_a: list[int],
    own_b: list[int],
) -> DirectedPair | None:
    """The speaker against the actor of its reported clause (see the English rule): after "밝혔다"
    the actor is the source when the clause names no third country; after demanding, warning and
    accusing verbs the speaker is; against any other country in the clause, undirected."""
    if clause is None:
        return None
    speaker_i, _, _, demand = clause
    speaker = ordered[speaker_i].iso3
    if speaker not in (a, b):
        return None
    other, other_idx = (b, own_b) if speaker == a else (a, own_a)
    if any(not inside[i] for i in other_idx):
        return None
    acts = {SOURCE, _AGENT, _TOPIC}
    actors = {
        ordered[i].iso3
        for i, r in enumerate(roles)
        if inside[i] and r.role in acts and ordered[i].iso3 != speaker
    }
    if other not in actors:
        return undirected(a, b, CONF_SPEECH, "reported") if actors else None
    if _KO_SELF.search(text, clause[1], clause[2]):
        # an act on 자국, the speaker's own, even under a demand ("자국 핵시설이 미국에 의해
        # 공격당했다며 ... 요구했다"): the actor acts on the speaker
        return directed(other, speaker, CONF_SPEECH, "speech")
    if demand:
        return directed(speaker, other, CONF_SPEECH, "demand")
    if any(inside[i] and ordered[i].iso3 == speaker and roles[i].role for i in range(len(ordered))):
        return None  # the clause names an act on the speaker itself: its particles order the pair
    named = {ordered[i].iso3 for i in range(len(ordered)) if inside[i]} - {speaker, other}
    if named:
        return undirected(a, b, CONF_SPEECH, "reported")
    return directed(other, speaker, CONF_SPEECH, "speech")
