"""Judge one day of one model version against its reference: which statistics drifted.

Six statistics, each a distance and a test (`newsmodel.monitoring.statistics`):

| statistic | kind | data | test |
|---|---|---|---|
| prediction_shares | prediction | predicted class counts | per-class share tests (vs the benchmark's counts, or the reference days'), today and today with yesterday |
| confidence | confidence | top-class probability | two-sample KS |
| sentence_length | input | words per sentence | two-sample KS |
| language_mix | input | sentence languages | chi-square |
| pair_mix | input | country pairs | chi-square |
| unknown_token_rate | input | the tokenizer's [UNK] share per sentence | Welch's t |

A statistic crosses when its p-value is below its share of the day's false-alarm budget AND its
distance reaches a minimum effect. The budget (`alpha_per_day`, default 0.02) is the chance that
an unchanged day raises any event at all (weighted Bonferroni over the six statistics and the
looks): about 0.6 false events in 30 unchanged days, measured in bench/drift.py. Prediction drift
gets three quarters of it (the shift the issue asks to catch within a day), a quarter of that for
a second look at today pooled with yesterday (a shift missed on its first day is caught on its
second); the other five share the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from newsmodel.monitoring.statistics import (
    AccuracyEstimate,
    Comparison,
    categorical_drift,
    class_share_drift,
    estimated_accuracy,
    numeric_drift,
    rate_drift,
)

__all__ = [
    "STATISTICS",
    "DayReport",
    "DaySample",
    "DriftReading",
    "DriftThresholds",
    "judge_day",
    "prediction_drift",
]

Kind = Literal["input", "prediction", "confidence"]
STATISTICS: dict[str, Kind] = {
    "prediction_shares": "prediction",
    "confidence": "confidence",
    "sentence_length": "input",
    "language_mix": "input",
    "pair_mix": "input",
    "unknown_token_rate": "input",
}


@dataclass(frozen=True)
class DriftThresholds:
    """When a statistic crosses; from the settings' DRIFT_* variables."""

    alpha_per_day: float = 0.02
    prediction_alpha_share: float = 0.75
    # of the prediction budget, the share spent on today pooled with yesterday (0: today alone)
    prediction_window_share: float = 0.25
    min_psi_prediction: float = 0.02
    min_psi_input: float = 0.05
    min_unknown_rate_change: float = 0.01
    min_sentences: int = 50
    min_reference_sentences: int = 200

    def alpha(self, statistic: str) -> float:
        """This statistic's share of the day's false-alarm budget (weighted Bonferroni)."""
        if statistic == "prediction_shares":
            return self.alpha_per_day * self.prediction_alpha_share
        return self.alpha_per_day * (1.0 - self.prediction_alpha_share) / (len(STATISTICS) - 1)

    def prediction_looks(self) -> tuple[float, float]:
        """The prediction budget split over its two looks: (today alone, today with yesterday)."""
        total = self.alpha("prediction_shares")
        return total * (1.0 - self.prediction_window_share), total * self.prediction_window_share

    def min_distance(self, statistic: str) -> float:
        if statistic == "prediction_shares":
            return self.min_psi_prediction
        if statistic == "unknown_token_rate":
            return self.min_unknown_rate_change
        return self.min_psi_input


@dataclass
class DaySample:
    """What drift is computed from: one value per scored sentence (a day, or the reference days)."""

    labels: list[str] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    lengths: list[float] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    # None when no tokenizer of the version was at hand
    unknown_rates: list[float] | None = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def extend(self, other: DaySample) -> None:
        self.labels += other.labels
        self.confidence += other.confidence
        self.lengths += other.lengths
        self.languages += other.languages
        self.pairs += other.pairs
        if self.unknown_rates is None or other.unknown_rates is None:
            self.unknown_rates = None
        else:
            self.unknown_rates += other.unknown_rates


@dataclass(frozen=True)
class DriftReading:
    """One statistic of one day, judged."""

    statistic: str
    kind: Kind
    status: Literal["drift", "ok", "too_few"]
    distance: float | None
    p_value: float | None
    alpha: float
    min_distance: float
    n: int
    reference_n: int
    reference: str  # where the reference came from, in words
    current: float | None = None
    baseline: float | None = None
    movers: tuple[str, ...] = ()

    @property
    def crossed(self) -> bool:
        return self.status == "drift"


@dataclass(frozen=True)
class DayReport:
    readings: list[DriftReading]
    accuracy: AccuracyEstimate | None


def _as_array(values: Sequence[float]) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def judge_day(
    day: DaySample,
    reference: DaySample,
    thresholds: DriftThresholds,
    *,
    reference_label: str,
    class_counts: Mapping[str, float] | None = None,
    class_counts_label: str = "",
    previous: DaySample | None = None,
) -> DayReport:
    """Every statistic of `day` against `reference`; prediction shares against `class_counts` when given
    (what the version predicted on its benchmark: a sample too, so its noise is counted), else
    against the reference days' predictions. `previous` is the day before `day` (the last day of
    `reference`): prediction shares look at the two days pooled too."""
    comparisons: dict[str, tuple[Comparison | None, str]] = {}
    enough_ref = len(reference) >= thresholds.min_reference_sentences
    if class_counts:
        comparisons["prediction_shares"] = (
            prediction_drift(class_counts, class_counts, day, previous, thresholds),
            class_counts_label,
        )
    else:
        ref_labels = Counter(reference.labels)
        # the pooled look's reference must not hold the day it tests: yesterday leaves the window
        before = ref_labels - Counter(previous.labels) if previous is not None else ref_labels
        comparisons["prediction_shares"] = (
            prediction_drift(ref_labels, before, day, previous, thresholds) if enough_ref else None,
            reference_label,
        )
    if enough_ref:
        comparisons["confidence"] = (
            numeric_drift(_as_array(reference.confidence), _as_array(day.confidence)),
            reference_label,
        )
        comparisons["sentence_length"] = (
            numeric_drift(_as_array(reference.lengths), _as_array(day.lengths)),
            reference_label,
        )
        comparisons["language_mix"] = (
            categorical_drift(Counter(reference.languages), Counter(day.languages)),
            reference_label,
        )
        comparisons["pair_mix"] = (
            categorical_drift(Counter(reference.pairs), Counter(day.pairs)),
            reference_label,
        )
        if day.unknown_rates is not None and reference.unknown_rates is not None:
            comparisons["unknown_token_rate"] = (
                rate_drift(_as_array(reference.unknown_rates), _as_array(day.unknown_rates)),
                reference_label,
            )
    readings = []
    for statistic, kind in STATISTICS.items():
        if statistic not in comparisons:
            if statistic == "unknown_token_rate" and day.unknown_rates is None:
                continue  # no tokenizer: not judged, not shown
            comparisons[statistic] = (None, reference_label)
        found, label = comparisons[statistic]
        readings.append(_reading(statistic, kind, found, label, len(day), len(reference), thresholds))
    return DayReport(readings, estimated_accuracy(_as_array(day.confidence)))


def prediction_drift(
    reference: Mapping[str, float],
    reference_before_previous: Mapping[str, float],
    day: DaySample,
    previous: DaySample | None,
    thresholds: DriftThresholds,
    test: Callable[[Mapping[str, float], Mapping[str, int]], Comparison] = class_share_drift,
) -> Comparison:
    """Prediction shares of today, and of today pooled with yesterday, against the reference.

    The two looks split the statistic's budget (weighted Bonferroni, whatever their dependence):
    the p-value returned is the smaller of p_look * alpha / alpha_look, so it compares with the
    statistic's whole alpha like every other reading; the distance and movers are those of the
    look that decides. Without a yesterday (or with `prediction_window_share` 0) the day alone is
    tested at its own share, and the pooled look's share goes unspent. `test` is the per-class
    share test; bench/drift.py swaps in the omnibus chi-square to compare.
    """
    today = test(reference, Counter(day.labels))
    alpha_day, alpha_two = thresholds.prediction_looks()
    total = alpha_day + alpha_two
    looks = [(today, alpha_day)] if alpha_day > 0 else []
    if previous is not None and len(previous) and alpha_two > 0:
        pooled = Counter(day.labels) + Counter(previous.labels)
        looks.append((test(reference_before_previous, pooled), alpha_two))
    if not looks:
        return Comparison(today.distance, 1.0, today.n, today.reference_n, movers=today.movers)
    p, decided = min(((c.p_value * total / a, c) for c, a in looks), key=lambda pc: pc[0])
    return Comparison(decided.distance, min(1.0, p), today.n, today.reference_n, movers=decided.movers)


def _reading(
    statistic: str,
    kind: Kind,
    found: Comparison | None,
    label: str,
    n: int,
    reference_n: int,
    thresholds: DriftThresholds,
) -> DriftReading:
    alpha, minimum = thresholds.alpha(statistic), thresholds.min_distance(statistic)
    if found is None or n < thresholds.min_sentences:
        return DriftReading(
            statistic,
            kind,
            "too_few",
            None,
            None,
            alpha,
            minimum,
            n,
            found.reference_n if found else reference_n,
            label,
        )
    crossed = found.p_value < alpha and abs(found.distance) >= minimum
    return DriftReading(
        statistic=statistic,
        kind=kind,
        status="drift" if crossed else "ok",
        distance=found.distance,
        p_value=found.p_value,
        alpha=alpha,
        min_distance=minimum,
        n=found.n,
        reference_n=found.reference_n,
        reference=label,
        current=found.current,
        baseline=found.baseline,
        movers=found.movers,
    )
