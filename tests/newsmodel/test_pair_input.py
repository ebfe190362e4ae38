"""The pair encoding (newsmodel/text/pair_input.py): one sentence, one text per pair it names."""

from __future__ import annotations

import pytest

from newsmodel.text.pair_input import encode_pair

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
