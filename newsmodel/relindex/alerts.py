"""Index alerts: pairs whose last 7 days read differently from the 30 days before them.

For each unordered pair, under one model version and as of one day:
- recent window: the 7 days ending on `as_of`; baseline: the 30 days before those 7 (no overlap);
- the recent score is the mean polarity of the recent sentences (the index's own definition);
- the baseline interval is a percentile bootstrap over the baseline's *articles*: each resample
  draws as many articles as the recent window has, minus a redrawn baseline mean, added to the
  baseline score: the range a 7-day reading takes when nothing changed since the 30 days before,
  counting the noise of both windows. (The interval of the 30-day mean itself is about sqrt(30/7)
  times narrower than a 7-day reading's noise: it flags ~40% of steady pairs, bench/index_alerts.py.)
- a pair is flagged when the recent score falls outside that interval, and only when both
  windows hold at least `min_sentences` sentences (below that it is "too_few", never flagged).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmodel.db.models import Article, Prediction, Sentence
from newsmodel.errors import DataError
from newsmodel.relindex.arithmetic import (
    DEFAULT_RESAMPLES,
    INTERVAL_LEVEL,
    expected_polarity,
    probability_matrix,
    scheme_for_labels,
    stable_seed,
)
from newsmodel.relindex.build import sentence_day
from newsmodel.relindex.pairs import CountryPair
from newsmodel.relindex.queries import VersionInfo

__all__ = [
    "BASELINE_DAYS",
    "DEFAULT_MIN_SENTENCES",
    "RECENT_DAYS",
    "AlertReport",
    "PairAlert",
    "index_alerts",
    "judge_pair",
]

RECENT_DAYS = 7
BASELINE_DAYS = 30
DEFAULT_MIN_SENTENCES = 20
AlertStatus = Literal["alert", "ok", "too_few"]


@dataclass(frozen=True)
class PairAlert:
    pair: CountryPair
    status: AlertStatus
    recent_score: float | None
    baseline_score: float | None
    baseline_low: float | None
    baseline_high: float | None
    shift: float | None  # recent - baseline
    recent_sentences: int
    baseline_sentences: int
    recent_articles: int
    baseline_articles: int


@dataclass(frozen=True)
class AlertReport:
    model_name: str
    model_version: str
    as_of: dt.date
    recent_start: dt.date
    baseline_start: dt.date
    baseline_end: dt.date
    min_sentences: int
    level: float
    resamples: int
    pairs: list[PairAlert]

    @property
    def flagged(self) -> list[PairAlert]:
        return [p for p in self.pairs if p.status == "alert"]


def _bootstrap_window(
    sums: NDArray[np.float64], counts: NDArray[np.float64], draw: int, seed: int, resamples: int, level: float
) -> tuple[float, float]:
    """Percentile interval of (a `draw`-article reading - the baseline's own mean), both resampled
    from the baseline's articles: the noise of the 7 days and of the 30 days' estimate together."""
    rng = np.random.default_rng(seed)
    recent = rng.integers(0, sums.size, size=(resamples, draw))
    again = rng.integers(0, sums.size, size=(resamples, sums.size))
    diffs = sums[recent].sum(axis=1) / counts[recent].sum(axis=1) - sums[again].sum(axis=1) / counts[
        again
    ].sum(axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(diffs, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _by_article(polarity: NDArray[np.float64], articles: NDArray[np.int64]) -> tuple[Any, Any]:
    _, inverse = np.unique(articles, return_inverse=True)
    return np.bincount(inverse, weights=polarity), np.bincount(inverse).astype(np.float64)


def judge_pair(
    pair: CountryPair,
    rows: list[tuple[bool, float, int]],
    *,
    min_sentences: int,
    seed: int,
    resamples: int,
    level: float,
) -> PairAlert:
    """One pair from its (in the recent window?, sentence polarity, article id) rows."""
    recent = [(p, a) for is_recent, p, a in rows if is_recent]
    base = [(p, a) for is_recent, p, a in rows if not is_recent]
    r_pol = np.array([p for p, _ in recent], dtype=np.float64)
    b_pol = np.array([p for p, _ in base], dtype=np.float64)
    r_art = np.array([a for _, a in recent], dtype=np.int64)
    b_art = np.array([a for _, a in base], dtype=np.int64)
    r_articles, b_articles = int(np.unique(r_art).size), int(np.unique(b_art).size)
    recent_score = float(r_pol.mean()) if r_pol.size else None
    baseline_score = float(b_pol.mean()) if b_pol.size else None
    judged = PairAlert(
        pair=pair,
        status="too_few",
        recent_score=recent_score,
        baseline_score=baseline_score,
        baseline_low=None,
        baseline_high=None,
        shift=None,
        recent_sentences=int(r_pol.size),
        baseline_sentences=int(b_pol.size),
        recent_articles=r_articles,
        baseline_articles=b_articles,
    )
    if r_pol.size < min_sentences or b_pol.size < min_sentences or b_articles < 2:
        return judged
    sums, counts = _by_article(b_pol, b_art)
    assert recent_score is not None and baseline_score is not None
    low_diff, high_diff = _bootstrap_window(sums, counts, r_articles, seed, resamples, level)
    low = float(np.clip(baseline_score + low_diff, -1, 1))
    high = float(np.clip(baseline_score + high_diff, -1, 1))
    return replace(
        judged,
        status="alert" if not low <= recent_score <= high else "ok",
        baseline_low=low,
        baseline_high=high,
        shift=recent_score - baseline_score,
    )


def index_alerts(
    session: Session,
    version: VersionInfo,
    *,
    as_of: dt.date | None = None,
    min_sentences: int = DEFAULT_MIN_SENTENCES,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = INTERVAL_LEVEL,
) -> AlertReport:
    """Check every unordered pair of `version` as of `as_of` (default: its newest indexed day)."""
    if min_sentences < 1:
        raise DataError(f"min_sentences must be at least 1, got {min_sentences}")
    end = as_of or version.last_day
    recent_start = end - dt.timedelta(days=RECENT_DAYS - 1)
    baseline_end = recent_start - dt.timedelta(days=1)
    baseline_start = baseline_end - dt.timedelta(days=BASELINE_DAYS - 1)
    day = sentence_day()
    stmt = (
        select(day, Sentence.country_a, Sentence.country_b, Sentence.article_id, Prediction.probabilities)
        .select_from(Prediction)
        .join(Sentence, Sentence.id == Prediction.sentence_id)
        .join(Article, Article.id == Sentence.article_id)
        .where(
            Prediction.model_name == version.model_name,
            Prediction.model_version == version.model_version,
            day.between(baseline_start, end),
        )
    )
    found = list(session.execute(stmt))
    pairs: list[PairAlert] = []
    if found:
        scheme = scheme_for_labels(sorted(found[0].probabilities))
        polarity = expected_polarity(probability_matrix([f.probabilities for f in found], scheme), scheme)
        grouped: dict[CountryPair, list[tuple[bool, float, int]]] = defaultdict(list)
        for f, p in zip(found, polarity, strict=True):
            grouped[CountryPair(f.country_a, f.country_b)].append(
                (f[0] >= recent_start, float(p), f.article_id)
            )
        for pair, rows in grouped.items():
            seed = stable_seed("alert", str(pair), end.isoformat(), version.model_name, version.model_version)
            pairs.append(
                judge_pair(
                    pair, rows, min_sentences=min_sentences, seed=seed, resamples=resamples, level=level
                )
            )
    order = {"alert": 0, "ok": 1, "too_few": 2}
    pairs.sort(key=lambda a: (order[a.status], -abs(a.shift or 0.0), str(a.pair)))
    return AlertReport(
        model_name=version.model_name,
        model_version=version.model_version,
        as_of=end,
        recent_start=recent_start,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        min_sentences=min_sentences,
        level=level,
        resamples=resamples,
        pairs=pairs,
    )
