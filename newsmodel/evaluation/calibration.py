"""Calibration of top-label confidence: reliability bins and the expected calibration error.

A served probability should mean what it says (the relation index weighs sentences by it):
among sentences predicted with confidence ~0.8, about 80% should be right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ReliabilityBins", "reliability_bins"]


@dataclass(frozen=True)
class ReliabilityBins:
    """Equal-width confidence bins: mean confidence, accuracy and count per non-empty bin."""

    confidence: list[float]
    accuracy: list[float]
    count: list[int]

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean |accuracy - confidence|."""
        total = sum(self.count)
        if not total:
            return 0.0
        gaps = (abs(a - c) * n for a, c, n in zip(self.accuracy, self.confidence, self.count, strict=True))
        return float(sum(gaps) / total)


def reliability_bins(y_true: Sequence[int], probs: np.ndarray, bins: int = 10) -> ReliabilityBins:
    """Bin the top-label confidence of `probs` (n, k) and compare it with being right."""
    probs = np.asarray(probs, dtype=float)
    truth = np.asarray(y_true)
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0)
    correct = (probs.argmax(axis=1) == truth).astype(float) if len(probs) else np.zeros(0)
    # Bin i holds (i/bins, (i+1)/bins]; confidence 0 (impossible after softmax) joins bin 0.
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    out = ReliabilityBins([], [], [])
    for b in range(bins):
        members = index == b
        if members.any():
            out.confidence.append(float(confidence[members].mean()))
            out.accuracy.append(float(correct[members].mean()))
            out.count.append(int(members.sum()))
    return out
