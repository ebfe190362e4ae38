"""Prediction-share drift: the per-class test, the two looks and their false-alarm level."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from newsmodel.monitoring import DaySample, DriftThresholds, class_share_drift, judge_day
from newsmodel.monitoring.drift import prediction_drift

BENCH = {"conflict": 600.0, "neutral": 800.0, "cooperation": 600.0}


def _labels(conflict: int, neutral: int, cooperation: int) -> DaySample:
    labels = ["conflict"] * conflict + ["neutral"] * neutral + ["cooperation"] * cooperation
    return DaySample(labels=labels, confidence=[0.8] * len(labels), unknown_rates=None)


def test_class_share_drift_names_the_moved_class_and_counts_the_reference_noise() -> None:
    same = class_share_drift(BENCH, Counter(_labels(60, 80, 60).labels))
    assert same.p_value == pytest.approx(1.0) and same.distance == pytest.approx(0.0, abs=1e-12)
    moved = class_share_drift(BENCH, Counter(_labels(90, 65, 45).labels))  # conflict 30% -> 45%
    assert moved.p_value < 1e-3 and moved.movers[0] == "conflict" and moved.n == 200
    # the same shares against a reference ten times smaller: its noise makes the move less sure
    small = class_share_drift({k: v / 10 for k, v in BENCH.items()}, Counter(_labels(90, 65, 45).labels))
    assert small.p_value > moved.p_value
    unseen = class_share_drift(BENCH, {"conflict": 60, "neutral": 80, "cooperation": 40, "other": 20})
    assert unseen.p_value < 1e-6 and unseen.movers[0] == "other"
    assert class_share_drift(BENCH, {}).p_value == 1.0  # an empty day is no evidence


def test_the_pooled_look_catches_on_day_two_a_shift_today_alone_misses() -> None:
    t = DriftThresholds()
    day_alpha, two_day_alpha = t.prediction_looks()
    assert day_alpha + two_day_alpha == pytest.approx(t.alpha("prediction_shares"))
    day = _labels(78, 72, 50)  # conflict 30% -> 39%: not enough on one day of 200
    alone = prediction_drift(BENCH, BENCH, day, None, t)
    assert alone.p_value > t.alpha("prediction_shares")
    both = prediction_drift(BENCH, BENCH, day, _labels(78, 72, 50), t)
    assert both.p_value < t.alpha("prediction_shares") and both.movers[0] == "conflict"
    assert both.n == 200  # the reading's day, not the pooled two
    # the window reference: yesterday leaves it for the pooled look, so its shift is not diluted
    reference = _labels(1500, 2000, 1500)
    reference.extend(_labels(78, 72, 50))
    report = judge_day(day, reference, t, reference_label="before", previous=_labels(78, 72, 50))
    shares = next(r for r in report.readings if r.statistic == "prediction_shares")
    assert shares.crossed and shares.p_value is not None and shares.p_value < shares.alpha


def test_unchanged_days_cross_at_most_at_the_prediction_budget() -> None:
    """The two looks together stay within their alpha on unchanged days (Bonferroni holds)."""
    rng = np.random.default_rng(7)
    t = DriftThresholds()
    alpha = t.alpha("prediction_shares")
    days, crossings = 3000, 0
    previous = None
    for _ in range(days):
        counts = rng.multinomial(200, [0.3, 0.4, 0.3])
        day = _labels(*(int(c) for c in counts))
        crossings += prediction_drift(BENCH, BENCH, day, previous, t).p_value < alpha
        previous = day
    # the reference is the truth here (no benchmark noise): the level is alpha at most, plus noise
    assert crossings / days <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / days)
    assert crossings > 0  # and the test is not dead either
