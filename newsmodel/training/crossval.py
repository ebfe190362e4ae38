"""Repeated grouped k-fold cross-validation: the honest estimate of a recipe, with its spread.

Folds come from scikit-learn's StratifiedGroupKFold over the near-duplicate groups the dataset
builder uses for its splits (MinHash, `newsmodel.datasets.near_duplicate_groups`), so no story
sits in a training and a test fold at once. In each fold the remaining examples are split again
by the dataset builder into train and validation (grouped, stratified) for early stopping; the
held-out fold is scored once, at the end. Each repeat reshuffles the folds with its own seed.

`data.train_scheme=quad5` (with data.scheme=relation3) trains on the finer labels and scores
with the probabilities summed into the coarse scheme.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from newsmodel.datasets.types import DatasetSplits, Example
from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger

__all__ = ["CvResult", "FoldResult", "collapse_probs", "cross_validate", "grouped_folds", "summarize"]

log = get_logger(__name__)


@dataclass(frozen=True)
class FoldResult:
    repeat: int
    fold: int
    n_train: int
    n_validation: int
    n_test: int
    macro_f1: float
    accuracy: float
    per_class_f1: dict[str, float]
    best_epoch: int
    epochs_run: int
    train_seconds: float
    seconds: float
    # trainer.refit: macro-F1 of the model chosen on validation before the refit (the same fold's
    # reference reading, paired), and the refit's training sentences.
    selected_macro_f1: float | None = None
    refit_train_size: int = 0


@dataclass
class CvResult:
    folds: list[FoldResult] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return summarize(self.folds)


def grouped_folds(
    examples: Sequence[Example], k: int, repeats: int, seed: int
) -> Iterator[tuple[int, int, list[int], list[int]]]:
    """(repeat, fold, rest indices, test indices): stratified by label, grouped by near copies."""
    from sklearn.model_selection import StratifiedGroupKFold

    from newsmodel.datasets import near_duplicate_groups

    if k < 2 or repeats < 1:
        raise ConfigError(f"cross-validation needs cv.folds >= 2 and cv.repeats >= 1 (got {k}, {repeats})")
    groups = near_duplicate_groups(examples)
    labels = [e.label for e in examples]
    index = np.arange(len(examples))
    for repeat in range(repeats):
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed + repeat)
        for fold, (rest, test) in enumerate(splitter.split(index, labels, groups)):
            yield repeat, fold, rest.tolist(), test.tolist()


def collapse_probs(
    probs: np.ndarray, source: Sequence[str], source_scheme: str, target_scheme: str
) -> np.ndarray:
    """Sum the probabilities of fine labels into the coarse scheme's labels (quad5 -> relation3)."""
    from newsmodel.labels import get_scheme, map_label

    target = get_scheme(target_scheme).labels
    out = np.zeros((probs.shape[0], len(target)), dtype=probs.dtype)
    for i, label in enumerate(source):
        mapped = map_label(label, source_scheme, target_scheme)
        if mapped is not None:
            out[:, target.index(mapped)] += probs[:, i]
    return out


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def _fold_splits(cfg: Any, rest: list[Example], test: list[Example], scheme: str) -> DatasetSplits:
    from newsmodel.datasets import build_splits

    inner = build_splits(
        rest, scheme=scheme, seed=int(cfg.data.seed), val_frac=float(cfg.cv.val_frac), test_frac=0.0
    )
    return DatasetSplits(scheme, inner.train, inner.validation, list(test), inner.fingerprint, inner.params)


def cross_validate(
    cfg: Any,
    examples: Sequence[Example] | None = None,
    on_fold: Callable[[FoldResult], None] | None = None,
) -> CvResult:
    """Train and score `cfg` on every fold of every repeat (cfg.cv: folds, repeats, seed, val_frac)."""
    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.data import load_examples
    from newsmodel.training.trainer import predict_logits

    target = str(cfg.data.scheme)
    train_scheme = str(cfg.data.get("train_scheme") or target)
    examples = list(examples) if examples is not None else load_examples(cfg.data, scheme=train_scheme)
    result = CvResult()
    for repeat, fold, rest_idx, test_idx in grouped_folds(
        examples, int(cfg.cv.folds), int(cfg.cv.repeats), int(cfg.cv.seed)
    ):
        started = time.perf_counter()
        splits = _fold_splits(
            cfg, [examples[i] for i in rest_idx], [examples[i] for i in test_idx], train_scheme
        )
        fitted = fit_candidate(cfg, splits)
        logits = predict_logits(
            fitted.model, fitted.encoded["test"], int(cfg.trainer.eval_batch_size), fitted.pad_id, "cpu"
        )
        truth = [e.label for e in splits.test]
        metrics = _score(logits, truth, fitted.labels, train_scheme, target)
        selected = (
            _score(fitted.selected_test_logits, truth, fitted.labels, train_scheme, target)["macro_f1"]
            if fitted.selected_test_logits is not None
            else None
        )
        outcome = FoldResult(
            repeat=repeat,
            fold=fold,
            n_train=len(splits.train),
            n_validation=len(splits.validation),
            n_test=len(splits.test),
            macro_f1=float(metrics["macro_f1"]),
            accuracy=float(metrics["accuracy"]),
            per_class_f1={label: float(c["f1"]) for label, c in metrics["per_class"].items()},
            best_epoch=fitted.fit.best_epoch,
            epochs_run=fitted.fit.epochs_run,
            train_seconds=fitted.fit.train_seconds,
            seconds=time.perf_counter() - started,
            selected_macro_f1=float(selected) if selected is not None else None,
            refit_train_size=fitted.fit.refit_train_size,
        )
        log.info("fold done", repeat=repeat, fold=fold, macro_f1=round(outcome.macro_f1, 4))
        result.folds.append(outcome)
        if on_fold is not None:
            on_fold(outcome)
    return result


def _score(
    logits: np.ndarray, truth: list[str], labels: Sequence[str], train_scheme: str, target: str
) -> dict[str, Any]:
    """classification_metrics of `logits` against `truth`, in the target scheme (fine-label
    probabilities summed into it when trained on a finer scheme)."""
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.labels import get_scheme, map_label

    probs = _softmax(logits)
    if train_scheme != target:
        probs = collapse_probs(probs, labels, train_scheme, target)
        truth = [str(map_label(t, train_scheme, target)) for t in truth]
    target_labels = get_scheme(target).labels
    return classification_metrics(
        [target_labels.index(t) for t in truth], list(probs.argmax(axis=1)), target_labels
    )


def summarize(folds: Sequence[FoldResult]) -> dict[str, float]:
    """Mean and sample standard deviation over folds of macro-F1, accuracy and each class's F1,
    plus the spread of the per-repeat means (what a rerun of the whole CV would move by)."""
    if not folds:
        return {}

    def stats(name: str, values: list[float]) -> dict[str, float]:
        return {
            f"cv_{name}_mean": statistics.fmean(values),
            f"cv_{name}_std": statistics.stdev(values) if len(values) > 1 else 0.0,
            f"cv_{name}_min": min(values),
        }

    out = {**stats("macro_f1", [f.macro_f1 for f in folds]), **stats("accuracy", [f.accuracy for f in folds])}
    for label in folds[0].per_class_f1:
        out.update(stats(f"f1_{label}", [f.per_class_f1[label] for f in folds]))
    repeats = sorted({f.repeat for f in folds})
    if len(repeats) > 1:
        means = [statistics.fmean(f.macro_f1 for f in folds if f.repeat == r) for r in repeats]
        out["cv_macro_f1_repeat_std"] = statistics.stdev(means)
    out["cv_folds"] = float(len(folds))
    out["cv_train_seconds_total"] = sum(f.train_seconds for f in folds)
    out["cv_seconds_total"] = sum(f.seconds for f in folds)
    return out
