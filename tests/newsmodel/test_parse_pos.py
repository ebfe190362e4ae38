"""PosRules gives the coarse tags spaCy's attribute ruler gives, on the sentences we read."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmodel.countries.direction import DEFAULT_MODELS, get_direction_reader
from newsmodel.countries.gold import load_gold
from newsmodel.countries.parse_pos import PosRules, UnsupportedPattern

spacy = pytest.importorskip("spacy")

GOLD = Path(__file__).parent / "data" / "country_gold"
EDGES = [
    "There's a deal, and that that was signed is what matters.",
    "I'd have gone, but Japan didn't.",
    "Seoul  said\n\nit would   respond",
    "Whether China agrees or not, India will.",
    "",
]


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    for name in DEFAULT_MODELS:
        try:
            return spacy.load(name, exclude=["ner", "lemmatizer"])
        except OSError:
            continue
    pytest.skip("no spaCy English model installed")


def test_same_tags_as_the_ruler(nlp) -> None:  # type: ignore[no-untyped-def]
    """Every token of the English gold sentences (and a few odd strings) gets the ruler's POS."""
    texts = [g.text for g in load_gold(GOLD) if not any("\uac00" <= ch <= "\ud7a3" for ch in g.text)]
    texts = texts[::3] + EDGES
    rules = PosRules(nlp.get_pipe("attribute_ruler").patterns)
    ruler = nlp.get_pipe("attribute_ruler")
    with nlp.select_pipes(disable=["attribute_ruler"]):
        docs = list(nlp.pipe(texts))
    tokens, tags = 0, set()
    for doc in docs:
        ours = rules(doc.copy())
        theirs = ruler(doc)
        assert [t.pos_ for t in ours] == [t.pos_ for t in theirs], doc.text
        tokens += len(doc)
        tags |= {t.pos_ for t in ours}
    assert tokens > 10_000
    assert {"NOUN", "PROPN", "VERB", "AUX", "SCONJ", "PRON", "PART"} <= tags  # set, not left empty


def test_reader_runs_without_the_ruler() -> None:
    reader = get_direction_reader()
    if not reader.enabled:
        pytest.skip("no spaCy English model installed")
    assert "attribute_ruler" not in reader._nlp.pipe_names
    pairs = reader.read("Russia invaded Ukraine.", _mentions("Russia invaded Ukraine."))
    assert [(p.source, p.target) for p in pairs] == [("RUS", "UKR")]


def test_unknown_pattern_is_refused() -> None:
    with pytest.raises(UnsupportedPattern):
        PosRules([{"patterns": [[{"TAG": "NN", "SHAPE": "Xx"}]], "attrs": {"POS": "PROPN"}}])
    with pytest.raises(UnsupportedPattern):
        PosRules([{"patterns": [[{"TAG": {"REGEX": "^N"}}]], "attrs": {"POS": "NOUN"}}])


def _mentions(text: str):  # type: ignore[no-untyped-def]
    from newsmodel.countries import get_detector

    return get_detector().detect(text)
