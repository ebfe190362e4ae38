"""The hand-labeled pair files (index gold, multi-pair and news-style training sets) stay valid and apart.

Each row must say what the index would see: the pair's two countries are found in the text by
the project's detector, and a sentence labels exactly the focus pairs the detector finds in it
(an unlabeled pair would enter the index without gold). The gold never shares a sentence with
a training file, so a model trained on one is measured on the other without leakage.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from newsmodel.countries.detector import get_detector
from newsmodel.datasets.grouping import normalize_text
from newsmodel.datasets.pair_labels import (
    MULTI_PAIR_TRAIN,
    NEWS_STYLE_TRAIN,
    PairLabel,
    read_pair_labels,
    week_start,
)
from newsmodel.errors import DataError
from newsmodel.relindex.pairs import focus_pairs
from newsmodel.settings import FOCUS_COUNTRIES

GOLD = Path(__file__).resolve().parents[2] / "bench" / "data" / "index_gold.jsonl"


def _by_sentence(rows: list[PairLabel]) -> dict[str, list[PairLabel]]:
    out: dict[str, list[PairLabel]] = defaultdict(list)
    for r in rows:
        out[r.sentence_id].append(r)
    return out


@pytest.fixture(scope="module")
def gold() -> list[PairLabel]:
    return read_pair_labels(GOLD)


@pytest.fixture(scope="module")
def train() -> list[PairLabel]:
    return read_pair_labels(MULTI_PAIR_TRAIN)


@pytest.fixture(scope="module")
def news() -> list[PairLabel]:
    return read_pair_labels(NEWS_STYLE_TRAIN)


def test_files_have_the_promised_size_and_spread(
    gold: list[PairLabel], train: list[PairLabel], news: list[PairLabel]
) -> None:
    assert len(gold) >= 500
    assert {r.pair for r in gold} == {str(p) for p in focus_pairs(FOCUS_COUNTRIES)}
    assert len({r.week for r in gold}) >= 6
    gold_sentences = _by_sentence(gold)
    # Multi-pair gold sentences whose pairs read differently: what a sentence-level reading misses.
    assert sum(len({r.label for r in rs}) > 1 for rs in gold_sentences.values()) >= 30
    train_sentences = _by_sentence(train)
    assert len(train_sentences) >= 300
    assert all(len(rs) >= 2 for rs in train_sentences.values())
    # News-style training sentences: one pair each (the sentence's label is the pair's), every
    # focus pair, and enough of each class; neutral, the class news readers miss, most of all.
    assert len(news) >= 500 and all(len(rs) == 1 for rs in _by_sentence(news).values())
    assert {r.pair for r in news} == {str(p) for p in focus_pairs(FOCUS_COUNTRIES)}
    shares = {
        label: sum(r.label == label for r in news) / len(news)
        for label in ("conflict", "neutral", "cooperation")
    }
    assert min(shares.values()) >= 0.25 and shares["neutral"] == max(shares.values()), shares


def test_every_sentence_labels_exactly_the_focus_pairs_the_detector_finds(
    gold: list[PairLabel], train: list[PairLabel], news: list[PairLabel]
) -> None:
    detector = get_detector()
    focus = set(FOCUS_COUNTRIES)
    wrong = []
    for rows in (gold, train, news):
        for rs in _by_sentence(rows).values():
            text, week = rs[0].text, rs[0].week
            found = detector.pairs(detector.detect(text, "en", week_start(week)))
            detected = {f"{a}-{b}" for a, b in found if {a, b} <= focus}
            if {r.pair for r in rs} != detected:
                wrong.append((text, sorted(r.pair for r in rs), sorted(detected)))
    assert not wrong, wrong[:5]


def test_gold_and_training_sentences_are_disjoint(
    gold: list[PairLabel], train: list[PairLabel], news: list[PairLabel]
) -> None:
    files = {"gold": gold, "multi-pair": train, "news-style": news}
    for a, b in (("gold", "multi-pair"), ("gold", "news-style"), ("multi-pair", "news-style")):
        texts_a, texts_b = ({normalize_text(r.text) for r in files[n]} for n in (a, b))
        assert not texts_a & texts_b, (a, b)
        assert not {r.sentence_id for r in files[a]} & {r.sentence_id for r in files[b]}, (a, b)


def test_a_bad_row_is_refused_with_its_line(tmp_path: Path) -> None:
    row = {
        "id": "x-s1/KOR-USA",
        "sentence_id": "x-s1",
        "text": "Seoul and Washington held talks.",
        "pair": "KOR-USA",
        "label": "cooperation",
        "week": "2026-W40",
        "source": "written",
        "author": "test",
        "labeled_at": "2026-12-03",
    }
    path = tmp_path / "labels.jsonl"
    path.write_text(
        json.dumps(row) + "\n" + json.dumps(row | {"pair": "USA-KOR", "id": "x-s1/USA-KOR"}) + "\n"
    )
    with pytest.raises(DataError, match=r"labels.jsonl:2: pair 'USA-KOR' is not canonical"):
        read_pair_labels(path)
    path.write_text(json.dumps(row | {"label": "good"}) + "\n")
    with pytest.raises(DataError, match=r"labels.jsonl:1: label 'good'"):
        read_pair_labels(path)
