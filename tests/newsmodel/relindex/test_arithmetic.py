"""Index arithmetic on hand-made numbers: known shares -> known score and interval."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from newsmodel.errors import DataError
from newsmodel.labels.schemes import QUAD5, RELATION3
from newsmodel.relindex.arithmetic import (
    article_bootstrap_interval,
    expected_polarity,
    pair_day_stats,
    probability_matrix,
    scheme_for_labels,
    stable_seed,
    trailing_weighted_mean,
)
from tests.newsmodel.relindex.seed import quad5, relation3


def _stats(probs: list[dict[str, float]], articles: list[int], **kw: object):  # type: ignore[no-untyped-def]
    scheme = scheme_for_labels(sorted(probs[0]))
    return pair_day_stats(
        sentence_ids=np.arange(1, len(probs) + 1, dtype=np.int64),
        article_ids=np.array(articles, dtype=np.int64),
        probs=probability_matrix(probs, scheme),
        scheme=scheme,
        source_count=1,
        seed=7,
        **kw,  # type: ignore[arg-type]
    )


def test_quad5_weights_are_the_documented_ones() -> None:
    assert QUAD5.polarity == {
        "neutral": 0.0,
        "verbal_cooperation": 0.5,
        "material_cooperation": 1.0,
        "verbal_conflict": -0.5,
        "material_conflict": -1.0,
    }


def test_score_is_probability_weighted_mean_polarity() -> None:
    # Two sentences; mean shares = (0.1, 0.2, 0.3, 0.25, 0.15):
    # score = 0.2*0.5 + 0.3*1 - 0.25*0.5 - 0.15*1 = 0.125
    probs = [quad5(0.2, 0.4, 0.0, 0.3, 0.1), quad5(0.0, 0.0, 0.6, 0.2, 0.2)]
    stats = _stats(probs, [1, 2])
    assert stats.class_shares == pytest.approx(
        {
            "neutral": 0.1,
            "verbal_cooperation": 0.2,
            "material_cooperation": 0.3,
            "verbal_conflict": 0.25,
            "material_conflict": 0.15,
        }
    )
    assert stats.score == pytest.approx(0.125)
    assert stats.sentence_count == 2 and stats.article_count == 2
    # Per-sentence polarity: 0.2 - 0.15 - 0.1 = -0.05 and 0.6 - 0.1 - 0.2 = 0.3.
    assert expected_polarity(probability_matrix(probs, QUAD5), QUAD5) == pytest.approx([-0.05, 0.3])


def test_material_weighs_twice_verbal() -> None:
    verbal = _stats([quad5(0, 1, 0, 0, 0)] * 3, [1, 2, 3])
    material = _stats([quad5(0, 0, 1, 0, 0)] * 3, [1, 2, 3])
    assert verbal.score == pytest.approx(0.5) and material.score == pytest.approx(1.0)


def test_relation3_score_is_cooperation_minus_conflict_share() -> None:
    stats = _stats([relation3(0.6, 0.1, 0.3), relation3(0.2, 0.3, 0.5)], [1, 1])
    assert stats.class_shares == pytest.approx({"conflict": 0.4, "neutral": 0.2, "cooperation": 0.4})
    assert stats.score == pytest.approx(0.0)


def test_probabilities_are_renormalised() -> None:
    matrix = probability_matrix([relation3(2, 1, 1)], RELATION3)
    assert matrix.tolist() == [[0.5, 0.25, 0.25]]


def test_interval_matches_closed_form_for_many_independent_articles() -> None:
    # 200 one-sentence articles, 70% material cooperation (+1), 30% material conflict (-1):
    # mean 0.4, sd sqrt(1 - 0.16) = 0.9165, se = 0.0648 -> normal 95% CI 0.273 .. 0.527.
    polarity = np.array([1.0] * 140 + [-1.0] * 60)
    articles = np.arange(200)
    low, high = article_bootstrap_interval(polarity, articles, seed=stable_seed("x"), resamples=4000)
    se = math.sqrt((1 - 0.4**2) / 200)
    assert low == pytest.approx(0.4 - 1.96 * se, abs=0.02)
    assert high == pytest.approx(0.4 + 1.96 * se, abs=0.02)


def test_interval_resamples_articles_not_sentences() -> None:
    # Article 1: nine +1 sentences, article 2: one -1 sentence. Score 0.8. Drawing articles,
    # P(both draws are article 2) = 1/4 > 2.5%, so the low end is -1 and the high end +1.
    stats = _stats([quad5(0, 0, 1, 0, 0)] * 9 + [quad5(0, 0, 0, 0, 1)], [1] * 9 + [2])
    assert stats.score == pytest.approx(0.8)
    assert (stats.ci_low, stats.ci_high) == (-1.0, 1.0)
    # Drawing sentences instead would have given a much narrower interval: that is the point.
    many = _stats([quad5(0, 0, 1, 0, 0)] * 90 + [quad5(0, 0, 0, 0, 1)] * 10, list(range(100)))
    assert many.score == pytest.approx(0.8)
    assert 0.6 < many.ci_low < 0.8 < many.ci_high <= 1.0


def test_one_article_gives_the_whole_range() -> None:
    stats = _stats([quad5(0, 0, 1, 0, 0)] * 4, [5, 5, 5, 5])
    assert stats.score == pytest.approx(1.0)
    assert (stats.ci_low, stats.ci_high) == (-1.0, 1.0)


def test_identical_articles_give_a_point_interval() -> None:
    stats = _stats([quad5(0.5, 0.5, 0, 0, 0)] * 6, [1, 2, 3, 4, 5, 6])
    assert stats.score == pytest.approx(0.25)
    assert stats.ci_low == pytest.approx(0.25) and stats.ci_high == pytest.approx(0.25)


def test_interval_is_reproducible_for_a_seed() -> None:
    rng = np.random.default_rng(0)
    polarity = rng.uniform(-1, 1, 50)
    articles = rng.integers(0, 20, 50)
    first = article_bootstrap_interval(polarity, articles, seed=stable_seed("KOR-USA", "2026-01-01", "1"))
    again = article_bootstrap_interval(polarity, articles, seed=stable_seed("KOR-USA", "2026-01-01", "1"))
    assert first == again
    assert first[0] < polarity.mean() < first[1]


def test_top_sentences_are_the_strongest_readings() -> None:
    probs = [quad5(1, 0, 0, 0, 0), quad5(0, 0, 0, 0, 1), quad5(0, 1, 0, 0, 0), quad5(0, 0, 1, 0, 0)]
    stats = _stats(probs, [1, 2, 3, 4], top=3)
    assert stats.top_sentence_ids == [2, 4, 3]


def test_unknown_labels_name_the_known_schemes() -> None:
    with pytest.raises(DataError, match="match no label scheme"):
        scheme_for_labels(["happy", "sad"])


def test_trailing_weighted_mean_over_calendar_days() -> None:
    d = dt.date(2026, 3, 1)
    days = [d, d + dt.timedelta(days=1), d + dt.timedelta(days=8)]
    scores = [1.0, -1.0, 0.5]
    counts = [3, 1, 2]
    # Day 0: 1. Day 1: (3*1 - 1)/4 = 0.5. Day 8: days 2..8 hold only itself -> 0.5.
    assert trailing_weighted_mean(days, scores, counts, 7) == pytest.approx([1.0, 0.5, 0.5])
    # 30-day window: day 8 sees all three: (3 - 1 + 1)/6 = 0.5.
    assert trailing_weighted_mean(days, scores, counts, 30) == pytest.approx([1.0, 0.5, 0.5])
    assert trailing_weighted_mean([d, d + dt.timedelta(days=2)], [1.0, 0.0], [1, 3], 3) == pytest.approx(
        [1.0, 0.25]
    )
