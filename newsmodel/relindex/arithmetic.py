"""The index arithmetic, on plain arrays: score, class shares, bootstrap interval, smoothing.

Kept free of the database so every number the index publishes can be checked by hand
(tests/newsmodel/relindex/test_arithmetic.py). Definitions (also in docs/INDEX.md):

- a sentence's polarity is the probability-weighted mean of its label weights, sum_k p_k * w_k;
- a pair-day's score is the mean polarity of its sentences, which equals sum_k share_k * w_k
  where share_k is the mean probability of class k (the published `class_shares`);
- with a version's stored calibration (`quantify.Calibration`) the shares are corrected for the
  classifier's measured confusion (`quantify.DEFAULT_METHOD`) and the score is sum_k share_k * w_k
  of the corrected shares; without one, the plain mean above (`mean-probability`);
- the interval is a percentile bootstrap over articles (sentences of one article move
  together), `DEFAULT_RESAMPLES` resamples, seeded from the pair, day and model version; with a
  correction each resample also redraws the confusion matrix from its held-out uncertainty;
- the smoothed series are trailing, sentence-count-weighted means over 7 and 30 calendar days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from newsmodel.errors import DataError
from newsmodel.labels.schemes import SCHEMES, LabelScheme
from newsmodel.relindex.quantify import (
    PLAIN,
    Calibration,
    QuantMethod,
    acc_shares,
    corrected_shares,
    em_shares,
    sample_confusions,
)

__all__ = [
    "DEFAULT_RESAMPLES",
    "INTERVAL_LEVEL",
    "TOP_SENTENCES",
    "PairDayStats",
    "article_bootstrap_interval",
    "corrected_bootstrap_interval",
    "expected_polarity",
    "label_weights",
    "pair_day_stats",
    "probability_matrix",
    "scheme_for_labels",
    "stable_seed",
    "trailing_weighted_mean",
]

DEFAULT_RESAMPLES = 1000
INTERVAL_LEVEL = 0.95
TOP_SENTENCES = 5
# Cap on the resample-by-article matrix held at once (int64 entries), so huge days stay in memory.
_MAX_BLOCK_CELLS = 2_000_000


def scheme_for_labels(labels: Sequence[str]) -> LabelScheme:
    """The label scheme whose label set is exactly these probability keys."""
    wanted = frozenset(labels)
    for scheme in SCHEMES.values():
        if frozenset(scheme.labels) == wanted:
            return scheme
    known = {name: list(s.labels) for name, s in SCHEMES.items()}
    raise DataError(f"prediction labels {sorted(wanted)} match no label scheme; known schemes: {known}")


def probability_matrix(rows: Sequence[dict[str, float]], scheme: LabelScheme) -> NDArray[np.float64]:
    """Stack probability dicts into an (n, k) matrix in the scheme's label order, rows renormalised."""
    matrix = np.array([[float(r.get(label, 0.0)) for label in scheme.labels] for r in rows], dtype=np.float64)
    if matrix.size == 0:
        return matrix.reshape(0, len(scheme.labels))
    if np.any(matrix < 0) or not np.all(np.isfinite(matrix)):
        raise DataError("prediction probabilities must be finite and non-negative")
    totals = matrix.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise DataError("a prediction has probabilities that sum to 0")
    return matrix / totals


def label_weights(scheme: LabelScheme) -> NDArray[np.float64]:
    """The scheme's polarity weights in its label order."""
    return np.array([scheme.polarity[label] for label in scheme.labels], dtype=np.float64)


def expected_polarity(probs: NDArray[np.float64], scheme: LabelScheme) -> NDArray[np.float64]:
    """Each sentence's probability-weighted polarity, in [-1, 1]."""
    return probs @ label_weights(scheme)


def stable_seed(*parts: object) -> int:
    """A seed that depends only on `parts` (not on PYTHONHASHSEED), so reruns give the same interval."""
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def article_bootstrap_interval(
    polarity: NDArray[np.float64],
    article_ids: NDArray[np.int64],
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = INTERVAL_LEVEL,
) -> tuple[float, float]:
    """Percentile bootstrap of the mean polarity, resampling whole articles with replacement.

    Sentences of one article are not independent readings, so the article is the unit drawn.
    With fewer than two articles the between-article spread is unknown and the interval is
    the whole range [-1, 1] rather than a falsely narrow one.
    """
    if polarity.size == 0:
        raise DataError("cannot compute an interval over zero sentences")
    _, inverse = np.unique(article_ids, return_inverse=True)
    sums = np.bincount(inverse, weights=polarity)
    counts = np.bincount(inverse).astype(np.float64)
    m = sums.size
    if m < 2:
        return -1.0, 1.0
    rng = np.random.default_rng(seed)
    pvals = np.full(m, 1.0 / m)
    block = max(1, min(resamples, _MAX_BLOCK_CELLS // m))
    scores = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        draws = rng.multinomial(m, pvals, size=size).astype(np.float64)  # (size, m) article multiplicities
        scores[start : start + size] = (draws @ sums) / (draws @ counts)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(scores, [alpha, 1.0 - alpha])
    return float(np.clip(low, -1.0, 1.0)), float(np.clip(high, -1.0, 1.0))


def corrected_bootstrap_interval(
    probs: NDArray[np.float64],
    article_ids: NDArray[np.int64],
    weights: NDArray[np.float64],
    *,
    method: QuantMethod,
    calibration: Calibration,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = INTERVAL_LEVEL,
    model_error: bool = True,
) -> tuple[float, float]:
    """Percentile bootstrap of the corrected score that counts the classifier's error too.

    Each resample draws the day's articles with replacement (as `article_bootstrap_interval`)
    and, for ACC/PACC, a confusion matrix from its held-out sampling uncertainty
    (`quantify.sample_confusions`), then corrects the resample's shares with that matrix.
    EM has no confusion matrix to redraw: its resamples vary the articles only.
    `model_error=False` keeps the measured matrix fixed (articles only; bench/interval_coverage.py).
    """
    if probs.shape[0] == 0:
        raise DataError("cannot compute an interval over zero sentences")
    _, inverse = np.unique(article_ids, return_inverse=True)
    m = int(inverse.max()) + 1
    if m < 2:
        return -1.0, 1.0
    k = probs.shape[1]
    readings = np.eye(k)[probs.argmax(axis=1)] if method == "acc" else probs
    sums = np.zeros((m, k))
    np.add.at(sums, inverse, readings)
    counts = np.bincount(inverse, minlength=m).astype(np.float64)
    rng = np.random.default_rng(seed)
    pvals = np.full(m, 1.0 / m)
    cells = probs.size if method == "em" else m  # per resample: EM re-weights every sentence
    block = max(1, min(resamples, _MAX_BLOCK_CELLS // cells))
    scores = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        draws = rng.multinomial(m, pvals, size=size).astype(np.float64)  # (size, m)
        if method == "em":
            shares = em_shares(probs, calibration.train_prior, weights=draws[:, inverse])
        else:
            observed = (draws @ sums) / (draws @ counts)[:, None]
            matrices = (
                sample_confusions(calibration, method, size, rng)
                if model_error
                else np.broadcast_to(calibration.matrix(method), (size, k, k))
            )
            shares = acc_shares(observed, matrices)
        scores[start : start + size] = shares @ weights
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(scores, [alpha, 1.0 - alpha])
    return float(np.clip(low, -1.0, 1.0)), float(np.clip(high, -1.0, 1.0))


@dataclass(frozen=True)
class PairDayStats:
    """Everything the index publishes for one pair on one day, before smoothing."""

    sentence_count: int
    article_count: int
    source_count: int
    class_shares: dict[str, float]
    score: float
    ci_low: float
    ci_high: float
    top_sentence_ids: list[int]


def pair_day_stats(
    *,
    sentence_ids: NDArray[np.int64],
    article_ids: NDArray[np.int64],
    probs: NDArray[np.float64],
    scheme: LabelScheme,
    source_count: int,
    seed: int,
    importance: NDArray[np.float64] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    top: int = TOP_SENTENCES,
    method: QuantMethod = PLAIN,
    calibration: Calibration | None = None,
) -> PairDayStats:
    """Aggregate one pair-day's sentences (rows aligned across the arrays).

    With `calibration` (the version's held-out measurements; `probs` already calibrated by
    the predictor) and a `method` other than mean-probability, the shares are corrected and
    the interval counts the model's error; otherwise the plain mean and article bootstrap.
    """
    n = int(sentence_ids.size)
    if n == 0:
        raise DataError("a pair-day needs at least one sentence")
    polarity = expected_polarity(probs, scheme)
    if calibration is None or method == PLAIN:
        shares = probs.mean(axis=0)
        score = float(polarity.mean())
        low, high = article_bootstrap_interval(polarity, article_ids, seed=seed, resamples=resamples)
    else:
        weights = label_weights(scheme)
        shares = corrected_shares(probs, method, calibration)
        score = float(shares @ weights)
        low, high = corrected_bootstrap_interval(
            probs,
            article_ids,
            weights,
            method=method,
            calibration=calibration,
            seed=seed,
            resamples=resamples,
        )
    weight = np.zeros(n) if importance is None else np.nan_to_num(importance, nan=0.0)
    # Strongest readings first; importance (TextRank) then id break ties deterministically.
    order = np.lexsort((sentence_ids, -weight, -np.abs(polarity)))
    return PairDayStats(
        sentence_count=n,
        article_count=int(np.unique(article_ids).size),
        source_count=int(source_count),
        class_shares={label: float(s) for label, s in zip(scheme.labels, shares, strict=True)},
        score=float(np.clip(score, -1.0, 1.0)),
        ci_low=low,
        ci_high=high,
        top_sentence_ids=[int(sentence_ids[i]) for i in order[:top]],
    )


def trailing_weighted_mean(
    days: Sequence[dt.date], scores: Sequence[float], counts: Sequence[int], window: int
) -> list[float]:
    """For each given day d: sum(n_i * s_i) / sum(n_i) over the days in (d - window, d].

    Calendar days, not rows: a day without sentences adds nothing to either sum, so a
    quiet week weighs what it said, not zero.
    """
    if not days:
        return []
    ordinals = np.array([d.toordinal() for d in days], dtype=np.int64)
    base = int(ordinals.min())
    span = int(ordinals.max()) - base + 1
    weighted = np.zeros(span)
    total = np.zeros(span)
    pos = ordinals - base
    np.add.at(weighted, pos, np.asarray(scores, dtype=np.float64) * np.asarray(counts, dtype=np.float64))
    np.add.at(total, pos, np.asarray(counts, dtype=np.float64))
    cw = np.concatenate(([0.0], np.cumsum(weighted)))
    ct = np.concatenate(([0.0], np.cumsum(total)))
    hi = pos + 1
    lo = np.maximum(hi - window, 0)
    num = cw[hi] - cw[lo]
    den = ct[hi] - ct[lo]
    return [float(x) for x in num / den]
