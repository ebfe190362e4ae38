"""Matplotlib figures (Agg backend, no display): confusion matrix, precision-recall curves, the
reliability diagram and the candidate comparison."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_comparison", "plot_confusion_matrix", "plot_pr_curves", "plot_reliability"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str, path: Path
) -> Path:
    """Counts with row-normalised shading, so small classes stay readable."""
    import numpy as np

    plt = _pyplot()
    counts = np.asarray(matrix, dtype=float)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(labels), 1.2 + 1.0 * len(labels)))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(
                j,
                i,
                f"{int(counts[i, j])}",
                ha="center",
                va="center",
                color="white" if share[i, j] > 0.6 else "black",
            )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_pr_curves(
    y_true: Sequence[int], probs_by_model: dict[str, Any], labels: Sequence[str], title: str, path: Path
) -> dict[str, dict[str, float]]:
    """One-vs-rest precision-recall curve per class (one panel each), one line per model.

    Returns the average precision per model and class (what the legend shows).
    """
    import numpy as np
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _pyplot()
    truth = np.asarray(y_true)
    fig, axes = plt.subplots(1, len(labels), figsize=(3.2 * len(labels), 3.4), squeeze=False)
    average: dict[str, dict[str, float]] = {model: {} for model in probs_by_model}
    for k, (ax, label) in enumerate(zip(axes[0], labels, strict=True)):
        positive = (truth == k).astype(int)
        for model, probs in probs_by_model.items():
            scores = np.asarray(probs)[:, k]
            if positive.any():
                precision, recall, _ = precision_recall_curve(positive, scores)
                ap = float(average_precision_score(positive, scores))
                ax.plot(recall, precision, label=f"{model} AP {ap:.2f}")
                average[model][label] = ap
        ax.axhline(positive.mean() if len(positive) else 0, color="gray", linestyle=":", linewidth=1)
        ax.set_title(label)
        ax.set_xlabel("recall")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7, loc="lower left")
    axes[0][0].set_ylabel("precision")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return average


def plot_reliability(
    y_true: Sequence[int], probs_by_model: dict[str, Any], title: str, path: Path, bins: int = 10
) -> dict[str, float]:
    """Reliability diagram of top-label confidence (accuracy per confidence bin); returns ECE per model."""
    from newsmodel.evaluation.calibration import reliability_bins

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.4, 4.2))
    ax.plot([0, 1], [0, 1], color="gray", linestyle=":", linewidth=1, label="perfectly calibrated")
    ece: dict[str, float] = {}
    for model, probs in probs_by_model.items():
        rel = reliability_bins(y_true, probs, bins)
        ece[model] = rel.ece
        ax.plot(rel.confidence, rel.accuracy, marker="o", label=f"{model} ECE {rel.ece:.3f}")
    ax.set_xlabel("confidence (top label)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return ece


def plot_comparison(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Grouped bars: test accuracy / macro-F1 / int8 accuracy per candidate, baselines as lines."""
    import numpy as np

    plt = _pyplot()
    names = [str(r["candidate"]) for r in rows]
    series = [
        ("accuracy", "fp32 accuracy"),
        ("macro_f1", "fp32 macro-F1"),
        ("int8_accuracy", "int8 accuracy"),
    ]
    x = np.arange(len(rows))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.5 * len(rows) + 2), 4))
    for k, (key, label) in enumerate(series):
        ax.bar(x + k * width, [float(r.get(key) or 0) for r in rows], width, label=label)
    for key, style in (("tfidf_macro_f1", "--"), ("majority_macro_f1", ":")):
        values = [float(r[key]) for r in rows if r.get(key) is not None]
        if values:
            ax.axhline(max(values), linestyle=style, color="gray", label=key.replace("_", " "))
    ax.set_xticks(x + width * (len(series) - 1) / 2, names, rotation=20, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("test split")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
