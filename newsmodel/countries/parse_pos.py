"""Coarse part-of-speech tags from the tagger's fine ones, without spaCy's attribute ruler.

The direction reader needs `pos_` (NOUN, VERB, ...), which en_core_web_sm sets in its
`attribute_ruler` from the fine tag and a few exceptions ("that" as a relative pronoun, "but"
as an adverb). That component also sets lemmas and morphology, which the reader never reads,
and it runs a Matcher over 179 patterns: 0.55 ms of the ~1.7 ms a pair sentence costs to parse
(ConfliBERT sentences, one core), a third of the parse. `PosRules` takes the POS-setting
patterns out of the loaded model's own ruler, so it follows the model's version, and applies
them the way the ruler does (every matching pattern in order, a later one winning) with a dict
lookup per token. tests/newsmodel/test_parse_pos.py checks that it gives the ruler's tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["PosRules", "UnsupportedPattern"]

_KEYS = {"TAG", "LOWER", "DEP", "IS_SPACE"}


class UnsupportedPattern(ValueError):
    """A ruler pattern this module cannot apply (another key or operator); the caller keeps the ruler."""


@dataclass(frozen=True)
class _Rule:
    order: int
    tokens: tuple[Mapping[str, Any], ...]  # one condition per token of the pattern
    index: int  # which token of the match gets the tag
    pos: str


def _value_test(value: Any) -> Any:
    """A pattern value as a test: the value itself, `frozenset` for IN, `_NotIn` for NOT_IN."""
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, Mapping) and set(value) == {"IN"}:
        return frozenset(value["IN"])
    if isinstance(value, Mapping) and set(value) == {"NOT_IN"}:
        return _NotIn(frozenset(value["NOT_IN"]))
    raise UnsupportedPattern(f"pattern value {value!r}")


@dataclass(frozen=True)
class _NotIn:
    values: frozenset[str]


def _attr(token: Any, key: str) -> Any:
    if key == "TAG":
        return token.tag_
    if key == "LOWER":
        return token.lower_
    if key == "DEP":
        return token.dep_
    return token.is_space


def _holds(token: Any, conditions: Mapping[str, Any]) -> bool:
    for key, want in conditions.items():
        got = _attr(token, key)
        if isinstance(want, frozenset):
            if got not in want:
                return False
        elif isinstance(want, _NotIn):
            if got in want.values:
                return False
        elif got != want:
            return False
    return True


class PosRules:
    """The POS part of an attribute ruler's patterns, applied with dict lookups."""

    def __init__(self, patterns: Sequence[Mapping[str, Any]]) -> None:
        self.by_tag: dict[str, tuple[int, str]] = {}  # "this fine tag is this POS"
        self.by_tag_lower: dict[tuple[str, str], list[_Rule]] = {}  # ... for this word
        self.by_tag_other: dict[str, list[_Rule]] = {}  # ... under other conditions
        self.anywhere: list[_Rule] = []  # one-token rules with no single tag
        self.spans: list[_Rule] = []  # rules of several tokens
        for order, pattern in enumerate(patterns):
            pos = pattern.get("attrs", {}).get("POS")
            if pos is None:
                continue
            for tokens in pattern["patterns"]:
                if isinstance(tokens, str) or any(set(t) - _KEYS for t in tokens):
                    raise UnsupportedPattern(f"pattern {tokens!r}")
                conds = tuple({k: _value_test(v) for k, v in t.items()} for t in tokens)
                rule = _Rule(order, conds, int(pattern.get("index", 0)), pos)
                first = conds[0]
                tag, lower = first.get("TAG"), first.get("LOWER")
                if len(conds) > 1:
                    self.spans.append(rule)
                elif not isinstance(tag, str):
                    self.anywhere.append(rule)
                elif set(first) == {"TAG"}:
                    self.by_tag[tag] = max(self.by_tag.get(tag, (-1, "")), (order, pos))
                elif isinstance(lower, str):
                    self.by_tag_lower.setdefault((tag, lower), []).append(rule)
                else:
                    self.by_tag_other.setdefault(tag, []).append(rule)

    def __call__(self, doc: Any) -> Any:
        """Set `pos_` on every token of `doc`, as the ruler would; returns the doc."""
        chosen: list[tuple[int, str] | None] = []
        for token in doc:
            tag = token.tag_
            best = self.by_tag.get(tag)
            for rule in (
                *self.by_tag_lower.get((tag, token.lower_), ()),
                *self.by_tag_other.get(tag, ()),
                *self.anywhere,
            ):
                if (best is None or rule.order > best[0]) and _holds(token, rule.tokens[0]):
                    best = (rule.order, rule.pos)
            chosen.append(best)
        n = len(doc)
        for rule in self.spans:
            width = len(rule.tokens)
            for start in range(n - width + 1):
                if all(_holds(doc[start + k], rule.tokens[k]) for k in range(width)):
                    at = start + (rule.index if rule.index >= 0 else width + rule.index)
                    current = chosen[at]
                    if current is None or current[0] < rule.order:
                        chosen[at] = (rule.order, rule.pos)
        for token, best in zip(doc, chosen, strict=True):
            if best is not None:
                token.pos_ = best[1]
        return doc
