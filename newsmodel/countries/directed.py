"""A country pair's direction as the readers report it, and how sure each kind of evidence is.

Shared by the English reader (newsmodel.countries.direction, spaCy's parse) and the Korean one
(newsmodel.countries.direction_korean, case particles), so both speak one type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DirectedPair", "directed", "undirected"]

SOURCE, TARGET, CO = "source", "target", "co"

# Confidence of each kind of evidence (how direct it is, not a calibrated probability).
CONF_SAME_VERB = 0.85
# the same verb, when it is a relative or participle clause under a noun: below the main clause's
# verb, above the undirected readings ("same role", conjoined)
CONF_SUBORDINATE = 0.82
CONF_CHAIN = 0.7
# two countries in the same role of one verb but not one phrase: weaker than a chain of clauses,
# stronger than an event noun (a venue city names the party it belongs to: "summit in Seoul")
CONF_LOOSE = 0.6
CONF_NOMINAL = 0.65
CONF_KOREAN = 0.7
CONF_CONJOINED = 0.8
CONF_CO_ACTORS = (
    0.9  # conjoined actors of one verb: another mention of one of them ("in Seoul") does not order them
)
CONF_SPEECH = 0.55
CONF_UNSAID = 0.5


@dataclass(frozen=True)
class DirectedPair:
    """One country pair of a sentence: `a` < `b`; source/target None when the sentence does not order them."""

    a: str
    b: str
    source: str | None
    target: str | None
    confidence: float
    basis: str

    @property
    def directed(self) -> bool:
        return self.source is not None

    @property
    def label(self) -> str:
        """'KOR>USA' when directed, 'KOR-USA' when not: the index's key."""
        return f"{self.source}>{self.target}" if self.source else f"{self.a}-{self.b}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}


def undirected(a: str, b: str, confidence: float, basis: str) -> DirectedPair:
    return DirectedPair(min(a, b), max(a, b), None, None, confidence, basis)


def directed(source: str, target: str, confidence: float, basis: str) -> DirectedPair:
    return DirectedPair(min(source, target), max(source, target), source, target, confidence, basis)
