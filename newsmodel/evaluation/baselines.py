"""Baselines on the same split as the model: what a candidate must beat to be worth its size."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from newsmodel.datasets.types import Example
from newsmodel.evaluation.metrics import classification_metrics

__all__ = ["majority_baseline", "tfidf_logreg_baseline"]


def majority_baseline(
    train: Sequence[Example], test: Sequence[Example], labels: Sequence[str]
) -> dict[str, Any]:
    """Always predict the most frequent train label."""
    index = {label: i for i, label in enumerate(labels)}
    majority = Counter(e.label for e in train).most_common(1)[0][0]
    metrics = classification_metrics([index[e.label] for e in test], [index[majority]] * len(test), labels)
    return {**metrics, "predicts": majority}


def tfidf_logreg_baseline(
    train: Sequence[Example], test: Sequence[Example], labels: Sequence[str], seed: int = 0
) -> dict[str, Any]:
    """Word 1-2 gram TF-IDF + class-balanced logistic regression, fit on train only."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    index = {label: i for i, label in enumerate(labels)}
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
        LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0, random_state=seed),
    )
    pipeline.fit([e.text for e in train], [index[e.label] for e in train])
    pred = pipeline.predict([e.text for e in test])
    return classification_metrics([index[e.label] for e in test], list(pred), labels)
