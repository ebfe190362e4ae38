"""Classification metrics in one dict shape, shared by the model, its int8 copy and the baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_metrics"]


def classification_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    index = list(range(len(labels)))
    true, pred = np.asarray(y_true), np.asarray(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        true, pred, labels=index, zero_division=0
    )
    return {
        "n": len(true),
        "accuracy": float(accuracy_score(true, pred)) if len(true) else 0.0,
        "macro_f1": float(f1_score(true, pred, labels=index, average="macro", zero_division=0)),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": confusion_matrix(true, pred, labels=index).tolist(),
    }
