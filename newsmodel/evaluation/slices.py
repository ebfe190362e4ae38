"""Metrics per slice: country pair (as the relation index groups sentences) and sentence length."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from newsmodel.evaluation.metrics import classification_metrics

__all__ = ["country_pair_key", "slice_metrics"]


def country_pair_key(text: str) -> str:
    """ "KOR-PRK" for the first pair a sentence relates, "one-country"/"no-country" otherwise."""
    from newsmodel.countries import get_detector

    detector = get_detector()
    mentions = detector.detect(text, language="en")
    pairs = detector.pairs(mentions)
    if pairs:
        return "-".join(pairs[0])
    return "one-country" if mentions else "no-country"


def slice_metrics(
    texts: Sequence[str],
    y_true: Sequence[int],
    y_pred: Sequence[int],
    labels: Sequence[str],
    short_max_words: int,
    min_pair_support: int,
) -> dict[str, dict[str, Any]]:
    """{"length": {...}, "country_pair": {...}} with accuracy, macro-F1 and n per slice."""
    groups: dict[str, dict[str, list[int]]] = {"length": defaultdict(list), "country_pair": defaultdict(list)}
    for i, text in enumerate(texts):
        groups["length"]["short" if len(text.split()) <= short_max_words else "long"].append(i)
        groups["country_pair"][country_pair_key(text)].append(i)
    pairs = groups["country_pair"]
    small = [key for key, idx in pairs.items() if len(idx) < min_pair_support and "-" in key]
    for key in small:
        pairs["other-pairs"].extend(pairs.pop(key))
    report: dict[str, dict[str, Any]] = {}
    for kind, slices in groups.items():
        report[kind] = {}
        for key, idx in sorted(slices.items(), key=lambda kv: -len(kv[1])):
            m = classification_metrics([y_true[i] for i in idx], [y_pred[i] for i in idx], labels)
            report[kind][key] = {"n": m["n"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]}
    return report
