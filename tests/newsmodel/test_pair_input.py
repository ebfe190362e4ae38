"""The pair encoding (newsmodel/text/pair_input.py): one sentence, one text per pair it names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from newsmodel.text.pair_input import encode_pair

FIXTURE_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "minilm-relation3" / "model"
SENTENCE = "Seoul and Tokyo agreed to tighten sanctions on Pyongyang, officials said."


def test_markers_wrap_only_the_pairs_mentions_and_pairs_differ() -> None:
    kor_jpn = encode_pair(SENTENCE, ("KOR", "JPN"))
    assert kor_jpn == "@ Seoul @ and @ Tokyo @ agreed to tighten sanctions on Pyongyang, officials said."
    # Pair order does not matter; another pair of the same sentence reads differently.
    assert encode_pair(SENTENCE, ("JPN", "KOR")) == kor_jpn
    assert encode_pair(SENTENCE, ("JPN", "PRK")) == (
        "Seoul and @ Tokyo @ agreed to tighten sanctions on @ Pyongyang @, officials said."
    )
    # No pair: the sentence as it is (how the sentence-level training rows are shown).
    assert encode_pair(SENTENCE, None) == SENTENCE


def test_a_country_without_a_mention_is_named_in_a_prefix() -> None:
    encoded = encode_pair(SENTENCE, ("KOR", "USA"))
    assert encoded.startswith("south korea ; united states | @ Seoul @ and Tokyo")
    assert encode_pair(SENTENCE, ("JPN", "KOR"), "prefix@1") == f"japan ; south korea | {SENTENCE}"
    with pytest.raises(ValueError, match="unknown pair input"):
        encode_pair(SENTENCE, ("JPN", "KOR"), "markers@9")


def test_predictor_applies_the_encoding_its_label_map_names(tmp_path: Path) -> None:
    from newsmodel.predictor import OnnxPredictor

    model = tmp_path / "model"
    shutil.copytree(FIXTURE_MODEL, model)
    sentence_level = OnnxPredictor.from_dir(model)
    assert not sentence_level.pair_aware
    assert sentence_level.pair_texts([SENTENCE], [("JPN", "PRK")]) == [SENTENCE]

    label_map = json.loads((model / "label_map.json").read_text())
    (model / "label_map.json").write_text(json.dumps({**label_map, "pair_input": "markers@1"}))
    pair_aware = OnnxPredictor.from_dir(model)
    assert pair_aware.pair_aware
    pairs = [("JPN", "KOR"), ("JPN", "PRK"), None]
    texts = pair_aware.pair_texts([SENTENCE] * 3, pairs)
    assert texts == [encode_pair(SENTENCE, p) for p in pairs]
    probs = pair_aware.predict_pairs_proba([SENTENCE] * 3, pairs)
    assert np.allclose(probs, pair_aware.predict_proba(texts))
    assert not np.allclose(probs[0], probs[1])  # the pairs' texts differ, so do the readings


def test_multi_pair_rows_keep_their_sentence_together_and_stay_out_of_the_gold(tmp_path: Path) -> None:
    from newsmodel.datasets.pair_examples import INDEX_GOLD, multi_pair_examples
    from newsmodel.errors import DataError

    rows = multi_pair_examples("markers@1")
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row.group, set()).add(row.text)
    assert len(rows) > len(groups) >= 300  # several pairs per sentence, one group per sentence
    assert all(len(texts) > 1 for texts in groups.values())  # each pair marked its own way
    leaked = tmp_path / "leaked.jsonl"
    leaked.write_text(INDEX_GOLD.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="evaluation only"):
        multi_pair_examples("markers@1", path=leaked)


def test_news_style_rows_are_read_plain_and_a_pair_reader_marks_their_labeled_pair(tmp_path: Path) -> None:
    from newsmodel.datasets.pair_examples import INDEX_GOLD, encode_examples, news_style_examples
    from newsmodel.datasets.pair_labels import NEWS_STYLE_TRAIN, read_pair_labels
    from newsmodel.errors import DataError

    rows = read_pair_labels(NEWS_STYLE_TRAIN)
    plain = news_style_examples()
    assert [e.text for e in plain] == [r.text for r in rows] and len({e.group for e in plain}) == len(rows)
    # The pair-aware path marks what the detector finds: for these sentences, the labeled pair.
    marked = encode_examples(plain, "markers@1")
    assert [e.text for e in marked] == [encode_pair(r.text, r.countries) for r in rows]
    leaked = tmp_path / "leaked.jsonl"
    leaked.write_text(INDEX_GOLD.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="evaluation only"):
        news_style_examples(path=leaked)
