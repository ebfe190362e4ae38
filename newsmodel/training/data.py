"""From a data config to split examples, and from examples to padded tensor batches.

Splitting is the dataset builder's job (`newsmodel.datasets.build_splits`, grouped so near
copies never straddle splits); this module only calls it and tokenizes. Batches are padded to
their longest sentence, not to max_length (fixed padding costs 2-4x on CPU).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import DatasetSplits, Example
from newsmodel.errors import ConfigError, DataError

__all__ = ["EncodedSplit", "data_dir", "encode", "iter_batches", "load_examples", "load_splits"]


def data_dir(data_cfg: Any) -> Path | None:
    """`data.dir`, or None: the dataset loader's default (NEWSMODEL_DATA_DIR, pinned download)."""
    return Path(str(data_cfg.dir)).expanduser() if data_cfg.get("dir") else None


def load_splits(data_cfg: Any) -> DatasetSplits:
    """Load the labeled examples a data config names and split them with the dataset builder."""
    from newsmodel import datasets

    return datasets.build_splits(
        load_examples(data_cfg),
        scheme=str(data_cfg.scheme),
        seed=int(data_cfg.seed),
        val_frac=float(data_cfg.val_frac),
        test_frac=float(data_cfg.test_frac),
    )


def load_examples(data_cfg: Any, scheme: str | None = None) -> list[Example]:
    """The labeled examples of a data config in `scheme` (default data.scheme), seeded-sampled to
    data.limit; not split."""
    from newsmodel import datasets

    scheme = scheme or str(data_cfg.scheme)
    examples: list[Example]
    if data_cfg.source == "conflibert":
        examples = datasets.load_conflibert(data_dir(data_cfg), scheme=scheme)
    elif data_cfg.source == "db":
        # Your own labels, imported with `newsmodel data import FILE --scheme ...`.
        from newsmodel.db import open_database
        from newsmodel.labels.store import load_examples as load_db_examples
        from newsmodel.settings import get_settings

        origins = [str(o) for o in (data_cfg.get("origins") or [])]
        with open_database(get_settings().database_url) as db, db.transaction() as session:
            examples = load_db_examples(session, scheme, origins or None)
    else:
        raise ConfigError(
            f"data.source={data_cfg.source!r} is not supported; use data=conflibert or data=labeled"
        )
    if data_cfg.get("limit"):
        # A seeded sample, not the head of the file: the file is not shuffled by class.
        rng = random.Random(int(data_cfg.seed))
        examples = rng.sample(examples, min(int(data_cfg.limit), len(examples)))
    return examples


@dataclass(frozen=True)
class EncodedSplit:
    """Token ids (unpadded) and label indices of one split."""

    input_ids: list[list[int]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.labels)


def encode(
    examples: Sequence[Example], tokenizer: Any, labels: Sequence[str], max_length: int
) -> EncodedSplit:
    """Tokenize once (truncated, not padded); labels become indices in scheme order."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({e.label for e in examples} - set(index))
    if unknown:
        raise DataError(f"labels {unknown} are not in the scheme's labels {list(labels)}")
    ids = tokenizer([e.text for e in examples], truncation=True, max_length=max_length)["input_ids"]
    return EncodedSplit(input_ids=list(ids), labels=[index[e.label] for e in examples])


def iter_batches(
    split: EncodedSplit, batch_size: int, pad_id: int, shuffle: bool = False, seed: int = 0
) -> Iterator[dict[str, Any]]:
    """Dicts of `input_ids`, `attention_mask`, `labels` tensors, padded to the batch's longest."""
    import torch

    order = list(range(len(split)))
    if shuffle:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        longest = max(len(split.input_ids[i]) for i in idx)
        ids = torch.full((len(idx), longest), pad_id, dtype=torch.long)
        mask = torch.zeros((len(idx), longest), dtype=torch.long)
        for row, i in enumerate(idx):
            seq = split.input_ids[i]
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
        yield {
            "input_ids": ids,
            "attention_mask": mask,
            "labels": torch.tensor([split.labels[i] for i in idx], dtype=torch.long),
        }
