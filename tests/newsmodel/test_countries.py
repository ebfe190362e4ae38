"""Country detection on a table of tricky sentences, with precision / recall over the table."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from newsmodel.countries import CountryDetector, Mention, get_detector
from tests.newsmodel.country_table import TRICKY_SENTENCES


@pytest.mark.parametrize(
    ("sentence", "expected", "why"), TRICKY_SENTENCES, ids=[r[2] for r in TRICKY_SENTENCES]
)
def test_tricky_sentence(sentence: str, expected: set[str], why: str) -> None:
    mentions = get_detector().detect(sentence)
    assert {m.iso3 for m in mentions} == expected, why
    for m in mentions:
        assert sentence[m.start : m.end] == m.text


def test_precision_recall_over_table() -> None:
    detector = get_detector()
    tp = fp = fn = 0
    for sentence, expected, _ in TRICKY_SENTENCES:
        got = set(detector.countries(sentence))
        tp, fp, fn = tp + len(got & expected), fp + len(got - expected), fn + len(expected - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"country table: {len(TRICKY_SENTENCES)} sentences, precision={precision:.3f} recall={recall:.3f}")
    assert (precision, recall) == (1.0, 1.0)


def test_pairs_three_countries_give_three_pairs_each_once() -> None:
    detector = get_detector()
    mentions = detector.detect("China and Russia met India; China and India then met Russia again.")
    assert detector.pairs(mentions) == [("CHN", "IND"), ("CHN", "RUS"), ("IND", "RUS")]
    assert detector.pairs(detector.detect("Only Japan.")) == []


def test_spans_and_surfaces_of_korean_with_particles() -> None:
    mentions = get_detector().detect("미국과 중국은 회담했다")
    assert mentions == [Mention("미국", 0, 2, "USA"), Mention("중국", 4, 6, "CHN")]


def test_focus_restricts_mentions_and_pairs() -> None:
    detector = CountryDetector(focus=["KOR", "USA"])
    mentions = detector.detect("Seoul, Washington and Paris held talks.")
    assert [m.iso3 for m in mentions] == ["KOR", "USA"]
    assert detector.pairs(mentions) == [("KOR", "USA")]


def test_english_language_skips_korean_forms_and_leaders_can_be_off() -> None:
    assert get_detector().detect("미국 and Japan", language="en") == [Mention("Japan", 7, 12, "JPN")]
    assert get_detector(leaders=False).countries("Putin met Xi Jinping in Moscow.") == ["RUS"]


def test_get_detector_is_cached() -> None:
    assert get_detector() is get_detector()
    assert get_detector(["usa", "kor"]) is get_detector(["KOR", "USA"])


def test_throughput_is_fit_for_serving() -> None:
    """The API detects pairs per request: thousands of sentences per second on one core."""
    detector = get_detector()
    sentences = [s for s, _, _ in TRICKY_SENTENCES] * 20
    start = time.perf_counter()
    for s in sentences:
        detector.detect(s)
    rate = len(sentences) / (time.perf_counter() - start)
    print(f"country detection: {rate:.0f} sentences/s")
    assert rate > 2000


def test_unknown_focus_code_is_a_config_error() -> None:
    from newsmodel.errors import ConfigError

    with pytest.raises(ConfigError, match="XXX"):
        CountryDetector(focus=["KOR", "XXX"])


def test_common_surnames_count_only_in_office_and_beside_another_leader() -> None:
    """ "Lee", "Kim", "May": joined to another state's leader in their term, otherwise nothing."""
    detector = get_detector()
    day = dt.date(2025, 11, 3)
    assert detector.countries("Takaichi and Lee agreed on a swap line.", date=day) == ["JPN", "KOR"]
    assert detector.countries("Trump met Lee at the summit.", date=day) == ["KOR", "USA"]
    assert detector.countries("Lee said the market would recover.", date=day) == []
    assert detector.countries("Kishida and Lee agreed on a swap line.", date=dt.date(2024, 9, 1)) == ["JPN"]
    assert detector.countries("Takaichi and Lee agreed on a swap line.") == ["JPN"]  # undated
    assert detector.countries("Theresa May and Trump met in London.", date=dt.date(2018, 7, 13)) == [
        "GBR",
        "USA",
    ]
    assert detector.countries("Trump visited Tokyo in May.", date=dt.date(2019, 5, 27)) == ["JPN", "USA"]
