"""The drift statistics, pure functions: a distance (PSI) and a significance test per kind of data.

scipy.stats does the tests (chi-square, two-sample Kolmogorov-Smirnov, Welch's t, the normal tail
of the per-class share tests);
PSI is a few lines here. Both are reported because they answer different questions: PSI says how
far apart two distributions are (independent of the sample size), the test says whether a day's
sample is too far from the reference to be noise (it depends on the sample size). A crossing needs
both (`newsmodel.monitoring.drift`): PSI alone floods small days with noise, a test alone flags
tiny shifts on large days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PSI_EPSILON",
    "AccuracyEstimate",
    "Comparison",
    "categorical_drift",
    "class_share_drift",
    "estimated_accuracy",
    "numeric_drift",
    "psi",
    "rate_drift",
]

PSI_EPSILON = 1e-4  # share given to a category absent on one side (PSI is infinite otherwise)
MIN_EXPECTED = 10.0  # below this the chi-square tail is too light at the small alphas used: pooled
NUMERIC_BINS = 10


@dataclass(frozen=True)
class Comparison:
    """One statistic of one day against its reference."""

    distance: float  # PSI (categorical and numeric) or the difference in rate
    p_value: float
    n: int
    reference_n: int
    current: float | None = None  # a summary of the day (mean, rate), None for categorical
    baseline: float | None = None  # the same summary of the reference
    # Categorical only: the categories that moved most (largest PSI terms), for the reader and for
    # `newsmodel label export`'s drifted pairs.
    movers: tuple[str, ...] = ()


def psi(
    reference: Sequence[float] | NDArray[np.float64], current: Sequence[float] | NDArray[np.float64]
) -> float:
    """Population stability index of two share vectors over the same bins: sum (c - r) ln(c / r)."""
    r = np.clip(np.asarray(reference, dtype=np.float64), PSI_EPSILON, None)
    c = np.clip(np.asarray(current, dtype=np.float64), PSI_EPSILON, None)
    r, c = r / r.sum(), c / c.sum()
    return float(np.sum((c - r) * np.log(c / r)))


def _shares(counts: Mapping[str, float], keys: Sequence[str]) -> NDArray[np.float64]:
    v = np.array([float(counts.get(k, 0.0)) for k in keys], dtype=np.float64)
    total = v.sum()
    return v / total if total > 0 else v


def _movers(
    keys: Sequence[str], ref: NDArray[np.float64], cur: NDArray[np.float64], top: int
) -> tuple[str, ...]:
    r, c = np.clip(ref, PSI_EPSILON, None), np.clip(cur, PSI_EPSILON, None)
    terms = (c - r) * np.log(c / r)
    order = np.argsort(-terms, kind="stable")[:top]
    return tuple(keys[i] for i in order if terms[i] > 0)


def _pooled(observed: NDArray[np.float64], expected: NDArray[np.float64]) -> NDArray[np.float64]:
    """Keep the categories expected at least MIN_EXPECTED times, pool the rest into one column."""
    big = expected >= MIN_EXPECTED
    kept = [observed[big]]
    if (~big).any():
        kept.append(np.array([observed[~big].sum()]))
    return np.concatenate(kept)


def categorical_drift(
    reference: Mapping[str, float],
    current: Mapping[str, int],
    *,
    reference_is_sample: bool = True,
    reference_n: int | None = None,
    top: int = 5,
) -> Comparison:
    """A day's category counts against the reference's: PSI + a chi-square test.

    A reference sample (counts from earlier days) is compared with the two-sample chi-square test
    of homogeneity, so its own noise counts; fixed reference shares (a benchmark's) with the
    goodness-of-fit test. Categories expected fewer than MIN_EXPECTED times today are pooled into one, so a
    long tail of country pairs does not make the test meaningless.
    """
    from scipy.stats import chi2_contingency, chisquare

    n = int(sum(current.values()))
    ref_total = float(sum(reference.values()))
    ref_n = int(reference_n if reference_n is not None else ref_total)
    if n == 0 or ref_total <= 0:
        return Comparison(0.0, 1.0, n, ref_n)
    keys = sorted(set(reference) | set(current))
    ref_share, cur_share = _shares(reference, keys), _shares(current, keys)
    distance = psi(ref_share, cur_share)
    movers = _movers(keys, ref_share, cur_share, top)
    observed = np.array([float(current.get(k, 0)) for k in keys])
    expected = ref_share * n
    if reference_is_sample:
        ref_counts = np.array([float(reference.get(k, 0.0)) for k in keys])
        # pool on what today would expect under the pooled (reference + today) shares
        pooled_expected = (ref_counts + observed) / (ref_total + n) * n
        table = np.vstack([_pooled(ref_counts, pooled_expected), _pooled(observed, pooled_expected)])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return Comparison(distance, 1.0, n, ref_n, movers=movers)
        p = float(chi2_contingency(table, correction=False).pvalue)
    else:
        obs, exp = _pooled(observed, expected), _pooled(expected, expected)
        seen = exp > 0
        if obs[~seen].sum() > 0:  # today holds a category the reference never saw
            return Comparison(distance, 0.0, n, ref_n, movers=movers)
        obs, exp = obs[seen], exp[seen]
        if obs.size < 2:
            return Comparison(distance, 1.0, n, ref_n, movers=movers)
        p = float(chisquare(obs, exp).pvalue)
    return Comparison(distance, p if math.isfinite(p) else 1.0, n, ref_n, movers=movers)


def class_share_drift(
    reference: Mapping[str, float], current: Mapping[str, int], *, top: int = 5
) -> Comparison:
    """A day's predicted class counts against a reference sample's: PSI + one test per class.

    Each class's share is tested against the rest with the two-sample test of two proportions
    (pooled variance over 1/n + 1/reference_n: the reference's own sampling noise counts), and the
    smallest p-value is Bonferroni-adjusted over the classes. The alternative a monitor must catch
    is one class gaining or losing share; that is what each test looks for, and `movers` names
    the classes in order of evidence. With three classes this is as powerful as the omnibus
    chi-square (measured in bench/drift.py) and slightly conservative (the shares sum to one, so
    the tests are dependent, which Bonferroni allows); with more classes the omnibus test spreads
    its power over directions a single class's move does not take.
    """
    from scipy.stats import norm

    n = int(sum(current.values()))
    ref_n = int(sum(reference.values()))
    if n == 0 or ref_n <= 0:
        return Comparison(0.0, 1.0, n, ref_n)
    keys = sorted(set(reference) | set(current))
    ref_counts = np.array([float(reference.get(k, 0.0)) for k in keys])
    cur_counts = np.array([float(current.get(k, 0)) for k in keys])
    ref_share, cur_share = ref_counts / ref_counts.sum(), cur_counts / n
    pooled = (ref_counts + cur_counts) / (ref_counts.sum() + n)
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n + 1.0 / ref_counts.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (cur_share - ref_share) / se, 0.0)
    per_class = 2.0 * norm.sf(np.abs(z))
    p = min(1.0, float(per_class.min()) * len(keys))
    order = np.argsort(per_class, kind="stable")[:top]
    movers = tuple(keys[i] for i in order if per_class[i] < 1.0)
    return Comparison(psi(ref_share, cur_share), p, n, ref_n, movers=movers)


def numeric_drift(
    reference: Sequence[float] | NDArray[np.float64], current: Sequence[float] | NDArray[np.float64]
) -> Comparison:
    """A day's values against the reference's: PSI over the reference's deciles + two-sample KS."""
    from scipy.stats import ks_2samp

    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.size == 0 or cur.size == 0:
        return Comparison(0.0, 1.0, int(cur.size), int(ref.size))
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, NUMERIC_BINS + 1))[1:-1])
    ref_bins = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    cur_bins = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    distance = psi(ref_bins / ref.size, cur_bins / cur.size)
    p = float(ks_2samp(ref, cur).pvalue)
    return Comparison(distance, p, int(cur.size), int(ref.size), float(cur.mean()), float(ref.mean()))


def rate_drift(
    reference: Sequence[float] | NDArray[np.float64], current: Sequence[float] | NDArray[np.float64]
) -> Comparison:
    """Per-sentence rates (e.g. unknown tokens / tokens) compared by their means with Welch's t-test.

    Sentence-level, not token-level: the tokens of one sentence are not independent draws, and a
    token-level binomial test would call every day significant.
    """
    from scipy.stats import ttest_ind

    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.size < 2 or cur.size < 2:
        return Comparison(0.0, 1.0, int(cur.size), int(ref.size))
    diff = float(cur.mean() - ref.mean())
    if ref.std() == 0 and cur.std() == 0:
        p = 1.0 if diff == 0 else 0.0
    else:
        p = float(ttest_ind(cur, ref, equal_var=False).pvalue)
    return Comparison(
        diff,
        p if math.isfinite(p) else 1.0,
        int(cur.size),
        int(ref.size),
        float(cur.mean()),
        float(ref.mean()),
    )


@dataclass(frozen=True)
class AccuracyEstimate:
    """Confidence-based performance estimation (CBPE): accuracy expected from calibrated confidence."""

    accuracy: float
    low: float
    high: float
    n: int


def estimated_accuracy(
    confidence: Sequence[float] | NDArray[np.float64], z: float = 1.96
) -> AccuracyEstimate | None:
    """Each prediction is right with probability equal to its (calibrated) top-class confidence, so
    the expected accuracy is their mean; the interval is that of a sum of independent Bernoullis.

    Only as good as the calibration (the version's ECE is in its eval report): label a sample to check.
    """
    c = np.asarray(confidence, dtype=np.float64)
    if c.size == 0:
        return None
    mean = float(c.mean())
    half = z * math.sqrt(float(np.sum(c * (1.0 - c)))) / c.size
    return AccuracyEstimate(mean, max(0.0, mean - half), min(1.0, mean + half), int(c.size))
