"""Fit one candidate on given splits: tokenizer, classifier, encoded splits, the loop.

The shared first half of every story that trains: the pipeline's train stage, each fold of
cross-validation and each sweep trial call this, then score what it returns their own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import DatasetSplits
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
    tokenizer = build_tokenizer(cfg.model, [e.text for e in splits.train])
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
