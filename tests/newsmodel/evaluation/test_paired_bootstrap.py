"""The gate's statistics: vectorised macro-F1 equals sklearn's, and the paired interval behaves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from newsmodel.evaluation.calibration import reliability_bins
from newsmodel.evaluation.paired_bootstrap import macro_f1_rows, paired_macro_f1_difference


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=60),
        )
    )
)
def test_macro_f1_rows_is_sklearns_macro_f1(case: tuple[int, list[tuple[int, int]]]) -> None:
    k, pairs = case
    truth = np.array([t for t, _ in pairs])
    pred = np.array([p for _, p in pairs])
    expected = f1_score(truth, pred, labels=list(range(k)), average="macro", zero_division=0)
    assert np.isclose(macro_f1_rows(truth[None, :], pred[None, :], k)[0], expected)


def test_identical_predictions_give_a_zero_interval() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 300)
    pred = np.where(rng.random(300) < 0.8, truth, rng.integers(0, 3, 300))
    same = paired_macro_f1_difference(truth, pred, pred, 3, resamples=200)
    assert same.diff == 0 and same.low == 0 == same.high


def test_a_clearly_better_model_has_an_interval_above_zero_and_a_coin_flip_straddles() -> None:
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 3, 300)
    weak = np.where(rng.random(300) < 0.4, truth, rng.integers(0, 3, 300))
    strong = np.where(rng.random(300) < 0.9, truth, rng.integers(0, 3, 300))
    better = paired_macro_f1_difference(truth, weak, strong, 3, resamples=500)
    assert better.low > 0 and better.low <= better.diff <= better.high
    worse = paired_macro_f1_difference(truth, strong, weak, 3, resamples=500)
    assert worse.high < 0
    other = np.where(rng.random(300) < 0.9, truth, rng.integers(0, 3, 300))
    close = paired_macro_f1_difference(truth, strong, other, 3, resamples=500)
    assert close.low < 0 < close.high


def test_reliability_bins_and_ece() -> None:
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    rel = reliability_bins([0, 1, 0, 0], probs, bins=10)
    assert rel.count == [2, 2] and rel.accuracy == [1.0, 0.5]
    # |1.0 - 0.6| * 2 + |0.5 - 0.9| * 2, over 4 sentences
    assert np.isclose(rel.ece, 0.4)
