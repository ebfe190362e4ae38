"""Matplotlib figures (Agg backend, no display): confusion matrix and the candidate comparison."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_comparison", "plot_confusion_matrix"]


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
