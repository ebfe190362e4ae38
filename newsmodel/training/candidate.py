"""Fit one candidate on given splits: tokenizer, classifier, encoded splits, the loop.

The shared first half of every story that trains: the pipeline's train stage, each fold of
cross-validation and each sweep trial call this, then score what it returns their own way.

`trainer.refit`: once the loop has chosen its epochs on validation (early stopping, the
`average_top_k` best), a fresh model is trained on train + validation for those epochs and
replaces it, so the served model learns from every sentence the benchmark and test leave.
Whatever needs a held-out reading of the *chosen* recipe (the run's validation report, the
int8 model's calibration) uses the first model's validation logits (`selection_logits`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from newsmodel.datasets.types import DatasetSplits
from newsmodel.errors import ConfigError
from newsmodel.training.data import EncodedSplit
from newsmodel.training.trainer import EpochCallback, FitResult

__all__ = ["FittedCandidate", "fit_candidate"]

SPLITS = ("train", "validation", "test")


@dataclass
class FittedCandidate:
    model: Any
    tokenizer: Any
    labels: tuple[str, ...]
    encoded: dict[str, EncodedSplit]
    fit: FitResult
    # With trainer.refit: the chosen (first) model's validation logits and test logits, held out
    # from it; None without a refit (the model itself never saw validation).
    selection_logits: Any = None
    selected_test_logits: Any = None

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)


def fit_candidate(
    cfg: Any,
    splits: DatasetSplits,
    on_epoch: EpochCallback | None = None,
    checkpoint_dir: Path | None = None,
    refit: bool | None = None,
) -> FittedCandidate:
    """Seed, build tokenizer + model from `cfg.model`, encode every non-empty split, train;
    then refit on train + validation when `refit` (default: cfg.trainer.refit)."""
    from newsmodel.training.data import encode
    from newsmodel.training.models import build_classifier, build_tokenizer
    from newsmodel.training.trainer import fit, seed_everything

    seed_everything(int(cfg.seed))
    labels = splits.labels
    tokenizer = _shared_tokenizer(cfg, splits, checkpoint_dir) or build_tokenizer(
        cfg.model, [e.text for e in splits.train]
    )
    model = build_classifier(cfg.model, labels, vocab_size=len(tokenizer))
    max_length = int(cfg.model.max_length)
    encoded = {name: encode(getattr(splits, name), tokenizer, labels, max_length) for name in SPLITS}
    teachers = _attach_soft_labels(cfg, splits, encoded)
    fitted = fit(
        model,
        encoded["train"],
        encoded["validation"],
        cfg.trainer,
        int(tokenizer.pad_token_id),
        int(cfg.seed),
        on_epoch,
        checkpoint_dir,
    )
    if teachers:
        fitted = replace(
            fitted, teachers=teachers, teacher_val_macro_f1=_soft_macro_f1(encoded["validation"])
        )
    candidate = FittedCandidate(model, tokenizer, labels, encoded, fitted)
    if refit if refit is not None else bool(cfg.trainer.get("refit", False)):
        candidate = _refit(cfg, candidate, checkpoint_dir)
    return candidate


def _refit(cfg: Any, first: FittedCandidate, checkpoint_dir: Path | None) -> FittedCandidate:
    """Train a fresh model on train + validation for the epochs `first` chose (see the module
    docstring); the first model's held-out logits are kept for what must not read seen data."""
    from newsmodel.logging import get_logger
    from newsmodel.training.models import build_classifier
    from newsmodel.training.trainer import fit, predict_logits, seed_everything

    batch = int(cfg.trainer.eval_batch_size)
    held_out = {
        name: predict_logits(first.model, first.encoded[name], batch, first.pad_id, "cpu")
        for name in ("validation", "test")
    }
    epochs = first.fit.averaged_epochs or [first.fit.best_epoch]
    train, validation = first.encoded["train"], first.encoded["validation"]
    soft = None
    if train.soft_labels is not None and validation.soft_labels is not None:
        soft = np.concatenate([train.soft_labels, validation.soft_labels])
    merged = EncodedSplit(train.input_ids + validation.input_ids, train.labels + validation.labels, soft)
    seed_everything(int(cfg.seed))
    model = build_classifier(cfg.model, first.labels, vocab_size=len(first.tokenizer))
    again = fit(
        model,
        merged,
        validation,
        cfg.trainer,
        first.pad_id,
        int(cfg.seed),
        checkpoint_dir=checkpoint_dir / "refit" if checkpoint_dir is not None else None,
        fixed_epochs=epochs,
    )
    get_logger(__name__).info(
        "refit done", epochs=epochs, train_sentences=len(merged), seconds=round(again.train_seconds, 1)
    )
    result = replace(
        first.fit,
        refit_epochs=again.averaged_epochs,
        refit_train_size=len(merged),
        refit_seconds=again.train_seconds,
        train_seconds=first.fit.train_seconds + again.train_seconds,
    )
    return FittedCandidate(
        model, first.tokenizer, first.labels, first.encoded, result, held_out["validation"], held_out["test"]
    )


def _attach_soft_labels(cfg: Any, splits: DatasetSplits, encoded: dict[str, EncodedSplit]) -> int:
    """With `trainer.distill.teachers`: the teachers' soft labels on train and validation (the
    latter only learnt from in a refit; the teachers never trained on it); how many teachers."""
    from newsmodel.training.distill import distill_settings, teacher_soft_labels

    settings = distill_settings(cfg.trainer)
    if settings is None:
        return 0
    soft = teacher_soft_labels(
        settings, cfg.mlflow.get("tracking_uri") or None, splits, cfg.data.get("pair_input") or None
    )
    for part, labels in soft.items():
        encoded[part] = replace(encoded[part], soft_labels=labels)
    return len(settings.teachers)


def _soft_macro_f1(split: EncodedSplit) -> float | None:
    """Macro-F1 of the teachers' ensemble (argmax of its soft labels) on a held-out split."""
    from newsmodel.training.trainer import _macro_f1

    if split.soft_labels is None or not len(split):
        return None
    return _macro_f1(split.labels, split.soft_labels, split.soft_labels.shape[1])[1]


def _shared_tokenizer(cfg: Any, splits: DatasetSplits, checkpoint_dir: Path | None) -> Any:
    """A vocabulary trained on the corpus, trained once per run and kept beside its checkpoints:
    a resumed run and every DDP rank must use the ids the model was trained with, and WordPiece
    training assigns ids in hash-map order (tokenizers#1794), so training it again would not give
    them. None when the tokenizer comes from a checkpoint, a package or tokenizer_dir."""
    import os

    from newsmodel.training.models import build_tokenizer, pretrained_source
    from newsmodel.training.tokenizer import load_tokenizer_dir

    if cfg.model.tokenizer_dir or pretrained_source(cfg.model):
        return None
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if checkpoint_dir is None:
        if distributed:
            raise ConfigError(
                "distributed training with a corpus-trained tokenizer needs a shared output_dir"
            )
        return None
    shared = checkpoint_dir.parent / "tokenizer-trained"
    if (shared / "tokenizer.json").is_file():
        return load_tokenizer_dir(shared)
    main = True
    if distributed:
        from newsmodel.training.trainer import build_accelerator

        accelerator = build_accelerator(cfg.trainer)
        main = accelerator.is_main_process
    if main:
        build_tokenizer(cfg.model, [e.text for e in splits.train]).save_pretrained(str(shared))
    if distributed:
        accelerator.wait_for_everyone()
    return load_tokenizer_dir(shared)
