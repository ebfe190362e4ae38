"""Paired bootstrap of the macro-F1 difference between two models scored on the same sentences.

The gate decides on this interval, not on a point difference: on a few hundred sentences two
versions' macro-F1 differ by a point or two by chance alone. Resampling sentences (the same
resample for both models, hence "paired") keeps what the two have in common out of the noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PairedDifference", "macro_f1_rows", "paired_macro_f1_difference"]


@dataclass(frozen=True)
class PairedDifference:
    """macro-F1 of A and B on the full set, B - A, and its percentile bootstrap interval."""

    a: float
    b: float
    low: float
    high: float
    confidence: float
    resamples: int
    n: int

    @property
    def diff(self) -> float:
        return self.b - self.a


def macro_f1_rows(truth: np.ndarray, pred: np.ndarray, n_labels: int) -> np.ndarray:
    """macro-F1 of each row of (resamples, n) label arrays; every label counts, an absent one as 0
    (sklearn's `f1_score(average="macro", labels=all, zero_division=0)`)."""
    rows = truth.shape[0]
    codes = truth * n_labels + pred + (np.arange(rows)[:, None] * n_labels * n_labels)
    confusion = np.bincount(codes.ravel(), minlength=rows * n_labels * n_labels).reshape(
        rows, n_labels, n_labels
    )
    tp = np.diagonal(confusion, axis1=1, axis2=2).astype(float)
    denominator = confusion.sum(axis=1) + confusion.sum(axis=2)  # (tp + fp) + (tp + fn)
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return f1.mean(axis=1)  # type: ignore[no-any-return]


def paired_macro_f1_difference(
    truth: Sequence[int],
    pred_a: Sequence[int],
    pred_b: Sequence[int],
    n_labels: int,
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedDifference:
    """Percentile interval of macro-F1(B) - macro-F1(A) over `resamples` paired resamples."""
    y = np.asarray(truth, dtype=np.int64)
    a, b = np.asarray(pred_a, dtype=np.int64), np.asarray(pred_b, dtype=np.int64)
    if not (len(y) == len(a) == len(b)) or not len(y):
        raise ValueError("truth and both predictions must be non-empty and of one length")
    full_a = float(macro_f1_rows(y[None, :], a[None, :], n_labels)[0])
    full_b = float(macro_f1_rows(y[None, :], b[None, :], n_labels)[0])
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    chunk = max(1, 2_000_000 // len(y))  # bounded memory for large sets
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        idx = rng.integers(0, len(y), size=(size, len(y)))
        diffs[start : start + size] = macro_f1_rows(y[idx], b[idx], n_labels) - macro_f1_rows(
            y[idx], a[idx], n_labels
        )
    tail = (1 - confidence) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail])
    return PairedDifference(full_a, full_b, float(low), float(high), confidence, resamples, len(y))
