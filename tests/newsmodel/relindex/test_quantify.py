"""Quantification arithmetic on plain arrays: temperature fit, ACC/PACC/EM on known confusions,
the bootstrap that also redraws the confusion (newsmodel.relindex.quantify / arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest

from newsmodel.errors import DataError
from newsmodel.relindex.arithmetic import corrected_bootstrap_interval
from newsmodel.relindex.export import method_id
from newsmodel.relindex.quantify import (
    Calibration,
    acc_shares,
    corrected_shares,
    em_shares,
    fit_calibration,
    fit_temperature,
    project_to_simplex,
    softmax,
)

LABELS = ("conflict", "neutral", "cooperation")
WEIGHTS = np.array([-1.0, 0.0, 1.0])
# What a sentence of each true class (row) reads as (column): neutral is often read as conflict.
CONFUSION = np.array([[0.8, 0.15, 0.05], [0.3, 0.6, 0.1], [0.05, 0.15, 0.8]])


def _calibration(counts: float = 200.0) -> Calibration:
    return Calibration(
        labels=LABELS,
        temperature=1.0,
        confusion=CONFUSION * counts,
        soft_confusion=CONFUSION,
        class_counts=np.full(3, counts),
        train_prior=np.full(3, 1 / 3),
    )


def test_temperature_fit_recovers_the_temperature_that_made_the_labels() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(6000, 3))
    y = (rng.random(len(logits))[:, None] > np.cumsum(softmax(logits / 2.5), axis=1)).sum(axis=1)
    assert fit_temperature(logits, y) == pytest.approx(2.5, rel=0.08)
    with pytest.raises(DataError):
        fit_temperature(np.zeros((0, 3)), [])


def test_acc_inverts_a_known_confusion_and_stays_on_the_simplex() -> None:
    truth = np.array([0.1, 0.6, 0.3])
    observed = CONFUSION.T @ truth  # what the classifier reports for that mix
    assert np.allclose(acc_shares(observed, CONFUSION), truth, atol=1e-9)
    # an observation no mix can produce still gives shares that are >= 0 and sum to 1
    odd = acc_shares(np.array([0.95, 0.0, 0.05]), CONFUSION)
    assert odd.min() >= 0 and odd.sum() == pytest.approx(1.0)
    assert np.allclose(project_to_simplex(np.array([[0.2, 0.3, 0.5]])), [[0.2, 0.3, 0.5]])


def test_pacc_and_acc_correct_a_day_whose_mix_differs_from_training() -> None:
    """Sentences of a 70% neutral day read through CONFUSION: plain averaging over-reports conflict."""
    cal = _calibration()
    truth = np.array([0.1, 0.7, 0.2])
    probs = np.repeat(CONFUSION, (truth * 1000).astype(int), axis=0)  # each row: that class's mean reading
    assert corrected_shares(probs, "mean-probability", cal) @ WEIGHTS == pytest.approx(-0.065)  # true: +0.1
    assert corrected_shares(probs, "pacc", cal) == pytest.approx(truth, abs=1e-9)
    # ACC on argmax counts: 32.5% / 37.5% / 30% read as conflict / neutral / cooperation is
    # exactly what a 20/50/30 mix produces through CONFUSION
    hard = np.eye(3)[np.repeat([0, 1, 2], [325, 375, 300])]
    assert corrected_shares(hard, "acc", cal) == pytest.approx([0.2, 0.5, 0.3], abs=1e-9)


def test_em_recovers_a_shifted_prior_from_exact_posteriors() -> None:
    """Discrete feature x with known P(x|y); posteriors under a uniform training prior; data drawn
    under another prior: EM finds it."""
    rng = np.random.default_rng(1)
    likelihood = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]])  # P(x | y), rows y
    posterior = likelihood.T / likelihood.T.sum(axis=1, keepdims=True)  # P(y | x), uniform prior
    new_prior = np.array([0.6, 0.1, 0.3])
    y = rng.choice(3, size=20000, p=new_prior)
    x = (rng.random(len(y))[:, None] > np.cumsum(likelihood[y], axis=1)).sum(axis=1)
    found = em_shares(posterior[x], np.full(3, 1 / 3))
    assert found == pytest.approx(new_prior, abs=0.02)
    weighted = em_shares(posterior[x], np.full(3, 1 / 3), weights=np.ones((2, len(x))))
    assert weighted.shape == (2, 3) and weighted[0] == pytest.approx(found)


def test_fit_calibration_measures_confusion_on_the_held_out_labels() -> None:
    logits = np.array([[3.0, 0, 0], [0, 3.0, 0], [3.0, 0, 0], [0, 0, 3.0]])
    cal = fit_calibration(logits, [0, 1, 1, 2], LABELS, [0, 0, 1, 2])
    assert cal.confusion.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert cal.class_counts.tolist() == [1, 2, 1]
    assert cal.train_prior.tolist() == [0.5, 0.25, 0.25]
    back = Calibration.from_dict(cal.to_dict())
    assert back.temperature == cal.temperature and np.array_equal(back.soft_confusion, cal.soft_confusion)
    with pytest.raises(DataError, match="malformed"):
        Calibration.from_dict({"labels": list(LABELS)})


def test_interval_widens_with_the_confusion_uncertainty() -> None:
    rng = np.random.default_rng(2)
    probs = CONFUSION[rng.choice(3, size=300, p=[0.2, 0.5, 0.3])]
    articles = np.arange(300) // 3
    common = {"method": "pacc", "seed": 5, "resamples": 500}
    small = corrected_bootstrap_interval(probs, articles, WEIGHTS, calibration=_calibration(30), **common)  # type: ignore[arg-type]
    large = corrected_bootstrap_interval(probs, articles, WEIGHTS, calibration=_calibration(1e6), **common)  # type: ignore[arg-type]
    fixed = corrected_bootstrap_interval(
        probs,
        articles,
        WEIGHTS,
        calibration=_calibration(30),
        model_error=False,
        **common,  # type: ignore[arg-type]
    )
    point = corrected_shares(probs, "pacc", _calibration()) @ WEIGHTS
    for low, high in (small, large, fixed):
        assert low <= point <= high
    assert small[1] - small[0] > 1.3 * (fixed[1] - fixed[0])  # 30 held-out sentences a class: wide
    assert large[1] - large[0] == pytest.approx(fixed[1] - fixed[0], rel=0.1)  # a confusion known exactly
    again = corrected_bootstrap_interval(probs, articles, WEIGHTS, calibration=_calibration(30), **common)  # type: ignore[arg-type]
    assert again == small
    one = corrected_bootstrap_interval(probs[:3], articles[:3], WEIGHTS, calibration=_calibration(), **common)  # type: ignore[arg-type]
    assert one == (-1.0, 1.0)


def test_method_names_say_how_the_score_was_made() -> None:
    assert method_id("quad5") == "quad5/mean-polarity/article-bootstrap-95-1000"
    assert (
        method_id("relation3", "pacc")
        == "relation3/pacc-calibrated-polarity/article-confusion-bootstrap-95-1000"
    )
