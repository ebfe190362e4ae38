"""Champion-vs-challenger aggregation: agreement, confusion table, confidence histograms, and a
bounded random sample of disagreements. Pure: no database, no model; merged across processes."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BINS", "ComparisonKey", "Disagreement", "ShadowTally", "confidence_bin", "wilson"]

BINS = 10  # top-probability histogram: ten equal bins over [0, 1]


@dataclass(frozen=True)
class ComparisonKey:
    """Which comparison a tally belongs to: the two versions and where the sentences came from."""

    model_name: str
    champion_version: str
    challenger_version: str
    source: str  # "api" (mirrored /v1/predict) or "job" (bulk scoring)


@dataclass(frozen=True)
class Disagreement:
    text: str
    champion_label: str
    champion_confidence: float
    challenger_label: str
    challenger_confidence: float


def confidence_bin(p: float) -> int:
    """The histogram bin of a top probability (1.0 falls in the last bin)."""
    return min(BINS - 1, max(0, int(p * BINS)))


def top(row: Mapping[str, Any]) -> tuple[str, float]:
    """(label, its probability) of a prediction row {"label", "probabilities"}."""
    label = str(row["label"])
    return label, float(row["probabilities"].get(label, 0.0))


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (95% by default); None without observations."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _empty_hist() -> list[int]:
    return [0] * BINS


@dataclass
class ShadowTally:
    """What one process saw since its last flush (or, merged, a whole comparison)."""

    n: int = 0
    agree: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    champion_hist: list[int] = field(default_factory=_empty_hist)
    challenger_hist: list[int] = field(default_factory=_empty_hist)
    sample: list[Disagreement] = field(default_factory=list)
    disagreements_seen: int = 0
    sample_cap: int = 50
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    @property
    def agreement(self) -> float | None:
        return self.agree / self.n if self.n else None

    def add(self, text: str, champion: Mapping[str, Any], challenger: Mapping[str, Any]) -> None:
        """Count one sentence read by both models."""
        c_label, c_p = top(champion)
        h_label, h_p = top(challenger)
        self.n += 1
        row = self.confusion.setdefault(c_label, {})
        row[h_label] = row.get(h_label, 0) + 1
        self.champion_hist[confidence_bin(c_p)] += 1
        self.challenger_hist[confidence_bin(h_p)] += 1
        if c_label == h_label:
            self.agree += 1
            return
        # Reservoir sampling: every disagreement has the same chance to be kept, not just the first.
        self.disagreements_seen += 1
        item = Disagreement(text, c_label, c_p, h_label, h_p)
        if len(self.sample) < self.sample_cap:
            self.sample.append(item)
        else:
            j = self.rng.randrange(self.disagreements_seen)
            if j < self.sample_cap:
                self.sample[j] = item

    def add_many(
        self,
        texts: Sequence[str],
        champion: Sequence[Mapping[str, Any]],
        challenger: Sequence[Mapping[str, Any]],
    ) -> None:
        for text, c, h in zip(texts, champion, challenger, strict=True):
            self.add(text, c, h)

    def merge_counts(
        self,
        n: int,
        agree: int,
        confusion: Mapping[str, Mapping[str, int]],
        champion_hist: list[int],
        challenger_hist: list[int],
    ) -> None:
        """Add another tally's counters (a stored row, another process)."""
        self.n += n
        self.agree += agree
        for c_label, cols in confusion.items():
            row = self.confusion.setdefault(c_label, {})
            for h_label, k in cols.items():
                row[h_label] = row.get(h_label, 0) + int(k)
        for hist, other in ((self.champion_hist, champion_hist), (self.challenger_hist, challenger_hist)):
            for i, k in enumerate(other[:BINS]):
                hist[i] += int(k)

    def merge(self, other: ShadowTally) -> None:
        self.merge_counts(other.n, other.agree, other.confusion, other.champion_hist, other.challenger_hist)
        self.disagreements_seen += other.disagreements_seen
        room = self.sample_cap - len(self.sample)
        self.sample.extend(other.sample[: max(0, room)])

    def interval(self) -> tuple[float, float] | None:
        return wilson(self.agree, self.n)

    def labels(self) -> list[str]:
        """Every label either model used, in a stable order."""
        seen = set(self.confusion)
        for cols in self.confusion.values():
            seen.update(cols)
        return sorted(seen)

    def mean_confidence(self, which: str) -> float | None:
        """Mean top probability from the histogram (bin centres): 'champion' or 'challenger'."""
        hist = self.champion_hist if which == "champion" else self.challenger_hist
        total = sum(hist)
        if not total:
            return None
        return sum((i + 0.5) / BINS * k for i, k in enumerate(hist)) / total

    def low_confidence_share(self, which: str, below: float = 0.5) -> float | None:
        hist = self.champion_hist if which == "champion" else self.challenger_hist
        total = sum(hist)
        if not total:
            return None
        return sum(k for i, k in enumerate(hist) if (i + 1) / BINS <= below) / total
