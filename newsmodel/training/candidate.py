"""Fit one candidate on given splits: tokenizer, classifier, encoded splits, the loop.

The shared first half of every story that trains: the pipeline's train stage, each fold of
cross-validation and each sweep trial call this, then score what it returns their own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)


def fit_candidate(
    cfg: Any,
    splits: DatasetSplits,
    on_epoch: EpochCallback | None = None,
    checkpoint_dir: Path | None = None,
) -> FittedCandidate:
    """Seed, build tokenizer + model from `cfg.model`, encode every non-empty split, train."""
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
    return FittedCandidate(model, tokenizer, labels, encoded, fitted)


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
