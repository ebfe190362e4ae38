"""Sentence-level readings the parse tree alone does not give: a reaction carried by a summary
noun ("..., a move Beijing condemned") and a possessive that names the speaker of a reported clause
("The Philippines said Chinese ships fired at its supply boat")."""

from __future__ import annotations

from typing import Any

from newsmodel.countries.direction_words import (
    _DREW_VERBS,
    _FROM_AGENT_NOUNS,
    _OWN_NOUNS,
    _REACTION_VERBS,
    _SPEECH_VERBS,
    _SUMMARY_NOUNS,
)

__all__ = ["reactions", "speakers_own"]


def _mentioned(tok: Any, codes: dict[int, str]) -> set[str]:
    return {codes[t.i] for t in tok.subtree if t.i in codes}


def reactions(doc: Any, codes: dict[int, str]) -> dict[frozenset[str], tuple[str, str]]:
    """ "The State Department approved a sale of parts to Taiwan, a move Beijing condemned": the
    reactor (CHN) acts on the actor of the clause the summary noun stands beside (USA)."""
    out: dict[frozenset[str], tuple[str, str]] = {}
    for noun in doc:
        if noun.lower_ not in _SUMMARY_NOUNS:
            continue
        for rel in (
            c for c in noun.children if c.dep_ == "relcl" and c.lower_ in _REACTION_VERBS | _DREW_VERBS
        ):
            reactors: set[str] = set()
            for c in rel.children:
                if c.dep_ in ("nsubj", "agent") and rel.lower_ not in _DREW_VERBS:
                    reactors |= _mentioned(c, codes)
                if c.dep_ == "dobj" and rel.lower_ in _DREW_VERBS and c.lower_ in _FROM_AGENT_NOUNS:
                    # "from" on the noun or, as the parser often hangs it, on the verb
                    for p in (
                        g for g in [*c.children, *rel.children] if g.dep_ == "prep" and g.lower_ == "from"
                    ):
                        reactors |= _mentioned(p, codes)
            verb = noun  # the sentence's main clause: a summary noun at its end sums up all of it
            for _ in range(12):
                if verb.head.i == verb.i:
                    break
                verb = verb.head
            actors: set[str] = set()
            for c in verb.children:
                if c.dep_ in ("nsubj", "nsubjpass"):
                    actors |= _mentioned(c, codes)
            for x in reactors:
                for m in actors - reactors:
                    out[frozenset((x, m))] = (x, m)
    return out


def speakers_own(doc: Any, codes: dict[int, str]) -> dict[int, str]:
    """ "The Philippines said Chinese coast guard ships fired water cannon at its supply boat": a
    possessive on what the reported act hits, in a clause whose subject is another country, is the
    speaker's ("its" = the Philippines). Token index -> the speaker's code."""
    out: dict[int, str] = {}
    for verb in doc:
        if verb.lower_ not in _SPEECH_VERBS:
            continue
        speakers = set().union(*(_mentioned(c, codes) for c in verb.children if c.dep_ == "nsubj"))
        if len(speakers) != 1:
            continue
        speaker = next(iter(speakers))
        for clause in (c for c in verb.children if c.dep_ == "ccomp"):
            subject = set().union(
                *(_mentioned(c, codes) for c in clause.children if c.dep_ in ("nsubj", "nsubjpass"))
            )
            if not subject or speaker in subject:
                continue
            for t in clause.subtree:
                if (
                    t.lower_ in ("its", "their")
                    and t.dep_ == "poss"
                    and t.head.lower_ in _OWN_NOUNS
                    and t.i not in codes
                ):
                    out[t.i] = speaker
    return out
