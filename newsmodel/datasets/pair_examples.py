"""Training examples for a pair-aware reader (issue 17), in the encoding of newsmodel.text.pair_input.

Two sources:

- sentence-labeled examples (ConfliBERT): a sentence whose detected actor countries form
  exactly one pair takes that pair (the sentence's label is the pair's); any other sentence (no
  pair, one country, or several pairs under one sentence-level label, which need not be each
  pair's) is kept as it is, unmarked, which is how the encoding reads "no pair given";
- the hand-labeled multi-pair rows (newsmodel/datasets/data/multi_pair_train.jsonl): one example
  per (sentence, pair), grouped by sentence so every pair of one sentence lands in one split.

The news-style single-pair rows (newsmodel/datasets/data/news_style_train.jsonl) are read here
too, for either reader: as sentence-labeled examples, so a pair-aware config marks their one pair
like any other single-pair sentence.

The index gold (bench/data/index_gold.jsonl) is evaluation only: a training sentence that is
also a gold sentence stops the build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from newsmodel.datasets.grouping import text_key
from newsmodel.datasets.pair_labels import MULTI_PAIR_TRAIN, NEWS_STYLE_TRAIN, PairLabel, read_pair_labels
from newsmodel.datasets.types import BenchmarkSet, Example
from newsmodel.errors import DataError

__all__ = [
    "INDEX_GOLD",
    "encode_benchmark",
    "encode_examples",
    "multi_pair_examples",
    "news_style_examples",
    "single_pair",
]

INDEX_GOLD = Path(__file__).resolve().parents[2] / "bench" / "data" / "index_gold.jsonl"


def single_pair(text: str) -> tuple[str, str] | None:
    """The one actor pair the detector finds in `text`, or None (no pair or several)."""
    from newsmodel.countries.detector import CountryDetector, get_detector

    pairs = CountryDetector.pairs(get_detector().detect(text))
    return pairs[0] if len(pairs) == 1 else None


def encode_examples(examples: Sequence[Example], style: str) -> list[Example]:
    """Sentence-labeled examples in the pair encoding (their single pair marked, if they have one)."""
    from newsmodel.text.pair_input import encode_pair

    return [replace(e, text=encode_pair(e.text, single_pair(e.text), style)) for e in examples]


def encode_benchmark(benchmark: BenchmarkSet | None, style: str) -> BenchmarkSet | None:
    """The frozen benchmark's sentences as the pair-aware model reads them (same rule as training)."""
    if benchmark is None:
        return None
    return replace(benchmark, examples=encode_examples(benchmark.examples, style))


def _training_rows(path: Path, gold: Path | None) -> list[PairLabel]:
    """A pair-label training file's rows; DataError if a sentence is also in the index gold."""
    rows = read_pair_labels(path)
    if gold is not None and gold.is_file():
        gold_keys = {text_key(r.text) for r in read_pair_labels(gold)}
        shared = sorted({r.text for r in rows if text_key(r.text) in gold_keys})
        if shared:
            raise DataError(
                f"{len(shared)} sentence(s) of {path.name} are in the index gold {gold.name} "
                f"(e.g. {shared[0][:70]!r}): the gold is for evaluation only"
            )
    return rows


def multi_pair_examples(
    style: str, path: Path = MULTI_PAIR_TRAIN, gold: Path | None = INDEX_GOLD
) -> list[Example]:
    """One encoded example per hand-labeled (sentence, pair) row, grouped by sentence; DataError
    if a sentence is also in the index gold (evaluation only)."""
    from newsmodel.text.pair_input import encode_pair

    return [
        Example(
            text=encode_pair(r.text, r.countries, style), label=r.label, group=f"multi-pair:{r.sentence_id}"
        )
        for r in _training_rows(path, gold)
    ]


def news_style_examples(path: Path = NEWS_STYLE_TRAIN, gold: Path | None = INDEX_GOLD) -> list[Example]:
    """The news-style single-pair sentences as plain examples (a pair-aware config marks their one
    pair with the rest, encode_examples); DataError if a sentence has a second row or is also in
    the index gold."""
    rows = _training_rows(path, gold)
    several = sorted(s for s, n in Counter(r.sentence_id for r in rows).items() if n > 1)
    if several:
        raise DataError(
            f"{path.name}: sentence {several[0]!r} has several pairs; this file holds single-pair ones"
        )
    return [Example(text=r.text, label=r.label, group=f"news-style:{r.sentence_id}") for r in rows]
