"""Evaluation pieces on synthetic inputs: metrics, baselines, slices, the country-swap check."""

from __future__ import annotations

from newsmodel.datasets.types import Example
from newsmodel.evaluation.baselines import majority_baseline, tfidf_logreg_baseline
from newsmodel.evaluation.behaviour import SWAP_POOL, country_swaps, flip_rate
from newsmodel.evaluation.metrics import classification_metrics
from newsmodel.evaluation.slices import slice_metrics

LABELS = ("conflict", "neutral", "cooperation")


def test_metrics_match_a_hand_count() -> None:
    m = classification_metrics([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], LABELS)
    assert m["accuracy"] == 4 / 6
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert m["per_class"]["cooperation"] == {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}
    f1s = [m["per_class"][label]["f1"] for label in LABELS]
    assert abs(m["macro_f1"] - sum(f1s) / 3) < 1e-12


def _examples(pairs: list[tuple[str, str]]) -> list[Example]:
    return [Example(text=t, label=label, group=str(i)) for i, (t, label) in enumerate(pairs)]


def test_baselines_on_the_same_split() -> None:
    train = _examples(
        [("troops attacked the border town", "conflict")] * 5
        + [("leaders signed a trade agreement", "cooperation")] * 3
        + [("the minister commented on the talks", "neutral")] * 2
    )
    test = _examples(
        [("rebels attacked a convoy", "conflict"), ("they signed an aid agreement", "cooperation")]
    )
    majority = majority_baseline(train, test, LABELS)
    assert majority["predicts"] == "conflict" and majority["accuracy"] == 0.5
    tfidf = tfidf_logreg_baseline(train, test, LABELS)
    assert tfidf["accuracy"] == 1.0 and tfidf["n"] == 2


def test_slices_cover_every_sentence_once() -> None:
    texts = [
        "Russia and Ukraine traded blame for the attack.",
        "Russian and Ukrainian officials met in Istanbul for talks on grain exports and prisoners.",
        "The minister spoke.",
        "Japan protested.",
    ]
    report = slice_metrics(texts, [0, 2, 1, 0], [0, 2, 1, 1], LABELS, short_max_words=8, min_pair_support=1)
    assert report["length"]["short"]["n"] == 3 and report["length"]["long"]["n"] == 1
    pairs = report["country_pair"]
    assert pairs["RUS-UKR"]["n"] == 2 and pairs["RUS-UKR"]["accuracy"] == 1.0
    assert pairs["no-country"]["n"] == 1 and pairs["one-country"]["accuracy"] == 0.0


def test_country_swap_keeps_the_role_of_the_mention() -> None:
    cases = country_swaps(
        ["Russian troops shelled Kharkiv.", "Seoul protested to Beijing.", "No country here."],
        seed=1,
        max_cases=10,
    )
    assert len(cases) == 2
    demonyms = {s for s, _ in SWAP_POOL["demonym"]}
    capitals = {s for s, _ in SWAP_POOL["metonym"]}
    assert cases[0].replaced == "Russian" and cases[0].replacement in demonyms
    assert cases[0].swapped.endswith("troops shelled Kharkiv.")
    assert cases[1].replaced == "Seoul" and cases[1].replacement in capitals


def test_flip_rate_separates_a_model_that_reads_the_country() -> None:
    texts = [f"{name} troops shelled the border." for name in ("Russian", "Chinese", "Iranian", "Israeli")]
    cases = country_swaps(texts, seed=3, max_cases=10)
    assert len(cases) == 4

    def relation_reader(batch: list[str]) -> list[int]:
        return [0 if "shelled" in t else 1 for t in batch]

    def country_reader(batch: list[str]) -> list[int]:
        return [0 if t.split()[0] in ("Russian", "Chinese", "Iranian", "Israeli") else 2 for t in batch]

    assert flip_rate(cases, relation_reader)["flip_rate"] == 0.0
    reading = flip_rate(cases, country_reader)
    assert reading["flip_rate"] == 1.0 and reading["flips"] == 4 and len(reading["examples"]) == 4
