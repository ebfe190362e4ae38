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
    """Under DDP, a vocabulary trained on the corpus is trained once (rank 0) and loaded by the
    other ranks: WordPiece training assigns ids in hash-map order (tokenizers#1794), so ranks
    training their own would feed one model with different token ids. None outside DDP."""
    import os

    from newsmodel.training.models import build_tokenizer, pretrained_source
    from newsmodel.training.tokenizer import load_tokenizer_dir
    from newsmodel.training.trainer import build_accelerator

    if int(os.environ.get("WORLD_SIZE", "1")) < 2 or cfg.model.tokenizer_dir or pretrained_source(cfg.model):
        return None
    if checkpoint_dir is None:
        raise ConfigError("distributed training with a corpus-trained tokenizer needs a shared output_dir")
    accelerator = build_accelerator(cfg.trainer)
    shared = checkpoint_dir.parent / "tokenizer-trained"
    if accelerator.is_main_process:
        build_tokenizer(cfg.model, [e.text for e in splits.train]).save_pretrained(str(shared))
    accelerator.wait_for_everyone()
    return load_tokenizer_dir(shared)
