"""Score a country-pair detector on a hand-written gold set: pair recall, pair precision, direction.

The gold files (format in tests/newsmodel/data/country_gold/README.md) hold one sentence a line
with its actors and the directions the sentence states. A detector is any function from
(sentence, date) to predicted pairs, each `(a, b, source)` with `source` one of a, b or None
(undirected); so the same scorer measures today's detector, an older commit's, or a baseline.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

__all__ = ["GoldScore", "GoldSentence", "PredictedPair", "load_gold", "parse_date", "score_gold"]

# (country a, country b, source or None): a and b in any order.
PredictedPair = tuple[str, str, str | None]
Predictor = Callable[[str, dt.date | None], Iterable[PredictedPair]]


@dataclass(frozen=True)
class GoldSentence:
    """One annotated sentence: its actors, and the direction of the pairs the sentence orders."""

    source: str  # file:line, for reports
    date: dt.date | None
    region: str
    category: str
    countries: frozenset[str]
    directions: frozenset[tuple[str, str]]  # (source, target)
    text: str

    @property
    def pairs(self) -> set[frozenset[str]]:
        return {frozenset(p) for p in combinations(sorted(self.countries), 2)}


def parse_date(value: str) -> dt.date | None:
    """`YYYY-MM-DD`, `YYYY-MM` or `YYYY` (the first day of the period), or None for `-` / empty."""
    value = value.strip()
    if value in ("", "-"):
        return None
    parts = [int(p) for p in value.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _codes(field_: str) -> list[str]:
    return [] if field_.strip() in ("", "-") else [c.strip() for c in field_.split(",") if c.strip()]


def _parse_line(line: str, where: str) -> GoldSentence:
    fields = [f.strip() for f in line.split(" | ", 5)]
    if len(fields) != 6:
        raise ValueError(f"{where}: expected 6 fields separated by ' | ', got {len(fields)}")
    date, region, category, countries, directions, text = fields
    actors = frozenset(_codes(countries))
    ordered = set()
    for item in _codes(directions):
        src, _, tgt = item.partition(">")
        if not tgt or src not in actors or tgt not in actors or src == tgt:
            raise ValueError(f"{where}: direction {item!r} must be SRC>TGT of two listed countries")
        ordered.add((src, tgt))
    return GoldSentence(where, parse_date(date), region, category, actors, frozenset(ordered), text)


def load_gold(folder: Path) -> list[GoldSentence]:
    """Every `gold_*.txt` in `folder`, in file then line order."""
    out: list[GoldSentence] = []
    for path in sorted(folder.glob("gold_*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                out.append(_parse_line(line, f"{path.name}:{number}"))
    return out


@dataclass
class GoldScore:
    """Pair recall / precision over all sentences; direction over the gold pairs that were found."""

    sentences: int = 0
    gold_pairs: int = 0
    predicted_pairs: int = 0
    true_pairs: int = 0
    directed_gold: int = 0  # found gold pairs whose direction the sentence states
    directed_right: int = 0  # ... and the prediction names the same source
    undirected_gold: int = 0  # found gold pairs the sentence leaves unordered
    undirected_right: int = 0  # ... and the prediction says "undirected"
    missed_by_category: Counter[str] = field(default_factory=Counter)
    pairs_by_category: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (where, missed, text)
    false: list[tuple[str, str, str]] = field(default_factory=list)  # (where, extra, text)
    wrong_direction: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.true_pairs / self.gold_pairs if self.gold_pairs else 1.0

    @property
    def precision(self) -> float:
        return self.true_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def directed_accuracy(self) -> float:
        """Share of found, directed gold pairs given the gold source -> target."""
        return self.directed_right / self.directed_gold if self.directed_gold else 0.0

    @property
    def undirected_accuracy(self) -> float:
        """Share of found, unordered gold pairs the prediction also leaves undirected."""
        return self.undirected_right / self.undirected_gold if self.undirected_gold else 0.0

    def category_recall(self) -> dict[str, float]:
        return {
            cat: 1 - self.missed_by_category[cat] / total
            for cat, total in sorted(self.pairs_by_category.items())
            if total
        }

    def summary(self) -> str:
        return (
            f"{self.sentences} sentences, {self.gold_pairs} gold pairs: recall={self.recall:.3f} "
            f"precision={self.precision:.3f} directed_accuracy={self.directed_accuracy:.3f} "
            f"({self.directed_right}/{self.directed_gold}) undirected_accuracy="
            f"{self.undirected_accuracy:.3f} ({self.undirected_right}/{self.undirected_gold})"
        )


def _fmt(pair: frozenset[str]) -> str:
    return "-".join(sorted(pair))


def score_gold(predict: Predictor, gold: Sequence[GoldSentence]) -> GoldScore:
    """Run `predict` on every gold sentence and count pairs and directions."""
    result = GoldScore(sentences=len(gold))
    for item in gold:
        predicted: dict[frozenset[str], str | None] = {}
        for a, b, source in predict(item.text, item.date):
            if a != b:
                predicted[frozenset((a, b))] = source
        wanted = item.pairs
        result.gold_pairs += len(wanted)
        result.predicted_pairs += len(predicted)
        result.pairs_by_category[item.category] += len(wanted)
        for pair in wanted:
            if pair not in predicted:
                result.missed_by_category[item.category] += 1
                result.misses.append((item.source, _fmt(pair), item.text))
                continue
            result.true_pairs += 1
            gold_source = next((s for s, t in item.directions if frozenset((s, t)) == pair), None)
            if gold_source is None:
                result.undirected_gold += 1
                result.undirected_right += predicted[pair] is None
            else:
                result.directed_gold += 1
                if predicted[pair] == gold_source:
                    result.directed_right += 1
                else:
                    got = predicted[pair] or "undirected"
                    result.wrong_direction.append((item.source, f"{gold_source}> got {got}", item.text))
        for pair in predicted.keys() - wanted:
            result.false.append((item.source, _fmt(pair), item.text))
    return result
