"""Drift statistics as pure functions: PSI, the tests, the thresholds, CBPE, the benchmark reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from newsmodel.monitoring import (
    DaySample,
    DriftThresholds,
    categorical_drift,
    class_reference_from_report,
    estimated_accuracy,
    judge_day,
    numeric_drift,
    psi,
    rate_drift,
)
from newsmodel.monitoring.drift import STATISTICS


def test_psi_known_value_and_symmetry_of_zero() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.1 * math.log(1.2) + 0.1 * math.log(0.5 / 0.4))
    assert math.isfinite(psi([1.0, 0.0], [0.5, 0.5]))  # an empty bin does not make it infinite


def test_categorical_drift_same_vs_shifted_sample() -> None:
    ref = {"conflict": 3000, "neutral": 4000, "cooperation": 3000}
    same = categorical_drift(ref, {"conflict": 60, "neutral": 80, "cooperation": 60})
    assert same.p_value > 0.9 and same.distance == pytest.approx(0.0, abs=1e-9)
    moved = categorical_drift(ref, {"conflict": 120, "neutral": 50, "cooperation": 30})
    assert moved.p_value < 1e-6 and moved.distance > 0.1
    assert moved.movers[0] == "conflict" and (moved.n, moved.reference_n) == (200, 10_000)


def test_categorical_drift_pools_a_long_tail_and_flags_unseen_categories() -> None:
    ref = {f"P{i}": 1.0 for i in range(200)} | {"KOR-USA": 800.0}
    tail = categorical_drift(ref, {"KOR-USA": 80, "P1": 1, "P2": 1})  # expected counts < 10 pooled
    assert math.isfinite(tail.p_value) and 0.0 <= tail.p_value <= 1.0
    unseen = categorical_drift(
        {"en": 0.9, "ko": 0.1}, {"en": 50, "ko": 10, "ar": 40}, reference_is_sample=False
    )
    assert unseen.p_value == 0.0 and unseen.movers[0] == "ar"
    assert categorical_drift({"en": 1.0}, {}).p_value == 1.0  # an empty day is no evidence


def test_numeric_and_rate_drift() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(20, 5, 6000)
    assert numeric_drift(ref, rng.normal(20, 5, 200)).p_value > 0.01
    longer = numeric_drift(ref, rng.normal(26, 5, 200))
    assert longer.p_value < 1e-6 and longer.distance > 0.2 and longer.current > longer.baseline  # type: ignore[operator]
    zeros = rate_drift(np.zeros(500), np.zeros(100))
    assert (zeros.p_value, zeros.distance) == (1.0, 0.0)
    unk = rate_drift(rng.binomial(30, 0.01, 3000) / 30, rng.binomial(30, 0.05, 200) / 30)
    assert unk.p_value < 1e-6 and unk.distance == pytest.approx(0.04, abs=0.01)


def test_estimated_accuracy_is_the_mean_confidence_with_an_interval() -> None:
    est = estimated_accuracy([0.9, 0.8, 0.7, 0.6])
    assert est is not None and est.accuracy == pytest.approx(0.75) and est.low < 0.75 < est.high
    assert estimated_accuracy([]) is None


def _sample(rng: np.random.Generator, n: int, shares: tuple[float, float, float]) -> DaySample:
    labels = rng.choice(["conflict", "neutral", "cooperation"], size=n, p=shares)
    return DaySample(
        labels=list(labels),
        confidence=rng.uniform(0.4, 1.0, n).tolist(),
        lengths=rng.integers(5, 40, n).astype(float).tolist(),
        languages=list(rng.choice(["en", "ko"], size=n, p=[0.8, 0.2])),
        pairs=list(rng.choice(["KOR-USA", "CHN-KOR", "JPN-KOR"], size=n)),
        unknown_rates=None,
    )


def test_judge_day_flags_a_class_shift_and_judges_small_days_too_few() -> None:
    rng = np.random.default_rng(5)
    t = DriftThresholds()
    assert sum(t.alpha(s) for s in STATISTICS) == pytest.approx(t.alpha_per_day)  # the day's budget
    reference = _sample(rng, 6000, (0.3, 0.4, 0.3))
    steady = judge_day(_sample(rng, 400, (0.3, 0.4, 0.3)), reference, t, reference_label="before")
    assert not any(r.crossed for r in steady.readings)
    assert "unknown_token_rate" not in {r.statistic for r in steady.readings}  # no tokenizer, not shown
    shifted = judge_day(_sample(rng, 400, (0.5, 0.3, 0.2)), reference, t, reference_label="before")
    flagged = {r.statistic: r for r in shifted.readings if r.crossed}
    assert set(flagged) == {"prediction_shares"} and flagged["prediction_shares"].movers[0] == "conflict"
    bench = {"conflict": 600.0, "neutral": 800.0, "cooperation": 600.0}
    against = judge_day(
        _sample(rng, 400, (0.5, 0.3, 0.2)),
        reference,
        t,
        reference_label="before",
        class_counts=bench,
        class_counts_label="benchmark",
    )
    assert next(r for r in against.readings if r.statistic == "prediction_shares").reference == "benchmark"
    small = judge_day(_sample(rng, 10, (0.3, 0.4, 0.3)), reference, t, reference_label="before")
    assert {r.status for r in small.readings} == {"too_few"} and small.accuracy is not None


def test_class_reference_reads_the_benchmark_confusion_matrix_columns() -> None:
    section = {
        "per_class": {"conflict": {}, "neutral": {}, "cooperation": {}},
        "confusion_matrix": [[8, 2, 0], [1, 6, 3], [0, 0, 10]],
    }
    ref = class_reference_from_report({"benchmark": {"int8": section}, "int8": {}})
    assert ref is not None and ref.counts == {"conflict": 9.0, "neutral": 8.0, "cooperation": 13.0}
    assert "benchmark" in ref.label
    fallback = class_reference_from_report({"int8": section})
    assert fallback is not None and "test split" in fallback.label
    assert class_reference_from_report({}) is None
