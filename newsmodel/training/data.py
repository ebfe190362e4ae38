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

from newsmodel.datasets.sampling import sample_to_shares
from newsmodel.datasets.types import BenchmarkSet, DatasetSplits, Example
from newsmodel.errors import ConfigError, DataError

__all__ = [
    "EncodedSplit",
    "benchmark_source",
    "data_dir",
    "encode",
    "iter_batches",
    "load_benchmark_set",
    "load_examples",
    "load_named_benchmark",
    "load_splits",
    "source_examples",
]


def data_dir(data_cfg: Any) -> Path | None:
    """`data.dir`, or None: the dataset loader's default (NEWSMODEL_DATA_DIR, pinned download)."""
    return Path(str(data_cfg.dir)).expanduser() if data_cfg.get("dir") else None


def source_examples(
    data_cfg: Any, scheme: str | None = None, *, for_benchmark: bool = False
) -> list[Example]:
    """Every labeled example a data config's source holds, in `scheme` (default data.scheme):
    no benchmark held out, no sample. With `for_benchmark`: what a benchmark may be carved from
    (database rows imported without --benchmark-eligible are left out)."""
    from newsmodel import datasets

    scheme = scheme or str(data_cfg.scheme)
    if data_cfg.source == "conflibert":
        return datasets.load_conflibert(data_dir(data_cfg), scheme=scheme)
    if data_cfg.source == "db":
        # Your own labels, imported with `newsmodel data import FILE --scheme ...`.
        from newsmodel.db import open_database
        from newsmodel.labels.store import load_examples as load_db_examples
        from newsmodel.settings import get_settings

        origins = [str(o) for o in (data_cfg.get("origins") or [])]
        with open_database(get_settings().database_url) as db, db.transaction() as session:
            return load_db_examples(session, scheme, origins or None, for_benchmark=for_benchmark)
    raise ConfigError(
        f"data.source={data_cfg.source!r} is not supported; use data=conflibert or data=labeled"
    )


def benchmark_source(data_cfg: Any) -> dict[str, Any]:
    """The data config fields that identify a dataset (what a benchmark records it was carved from)."""
    source: dict[str, Any] = {"source": str(data_cfg.source)}
    if data_cfg.get("origins"):
        source["origins"] = sorted(str(o) for o in data_cfg.origins)
    return source


def load_benchmark_set(data_cfg: Any, examples: Sequence[Example] | None = None) -> BenchmarkSet | None:
    """The frozen benchmark `data.benchmark` names, with its sentences (None: data.benchmark=null).

    `examples`: this config's own examples in data.scheme, reused when the benchmark was carved
    from them.
    """
    from newsmodel.datasets.benchmark import load_benchmark, select_members

    name = data_cfg.get("benchmark")
    if not name:
        return None
    directory = Path(str(data_cfg.benchmark_dir)) if data_cfg.get("benchmark_dir") else None
    benchmark = load_benchmark(str(name), directory)
    if benchmark.scheme_name != str(data_cfg.scheme):
        raise ConfigError(
            f"benchmark {benchmark.ref} is in scheme {benchmark.scheme} but data.scheme={data_cfg.scheme}: "
            f"use data.benchmark=<dataset>-{data_cfg.scheme}"
        )
    if examples is None or benchmark.source != benchmark_source(data_cfg):
        from omegaconf import OmegaConf

        where = OmegaConf.create(
            {**benchmark.source, "scheme": str(data_cfg.scheme), "dir": data_cfg.get("dir")}
        )
        examples = source_examples(where)
    return select_members(benchmark, examples)


def load_named_benchmark(
    name: str, data_dir: str | Path | None = None, benchmark_dir: str | Path | None = None
) -> BenchmarkSet:
    """A benchmark by name (or name@version, checked) with its sentences read from its own dataset."""
    from omegaconf import OmegaConf

    from newsmodel.datasets.benchmark import load_benchmark

    bare, _, version = name.partition("@")
    benchmark = load_benchmark(bare, Path(benchmark_dir) if benchmark_dir else None)
    if version and version != str(benchmark.version):
        raise DataError(f"benchmark {name} is wanted but {benchmark.ref} is the one on file")
    found = load_benchmark_set(
        OmegaConf.create(
            {
                "benchmark": bare,
                "benchmark_dir": str(benchmark_dir) if benchmark_dir else None,
                "scheme": benchmark.scheme_name,
                "source": benchmark.source["source"],
                "origins": benchmark.source.get("origins", []),
                "dir": str(data_dir) if data_dir else None,
            }
        )
    )
    assert found is not None
    return found


def _held_out(data_cfg: Any, scheme: str | None = None) -> tuple[list[Example], BenchmarkSet | None]:
    """The source's examples in `scheme` minus the frozen benchmark (near copies refused), sampled."""
    from newsmodel.datasets.benchmark import hold_out

    scheme = scheme or str(data_cfg.scheme)
    examples = source_examples(data_cfg, scheme)
    # The benchmark is in data.scheme; sentences are matched by text, so any training scheme works.
    benchmark = load_benchmark_set(data_cfg, examples if scheme == str(data_cfg.scheme) else None)
    if data_cfg.get("news_style"):
        news = _news_style(scheme)
        shares = str(data_cfg.get("news_style_shares") or "all")
        if shares not in ("all", "source"):
            raise ConfigError(f"data.news_style_shares is {shares!r}: use all or source")
        if shares == "source":
            news = sample_to_shares(news, examples, random.Random(int(data_cfg.seed)))
        examples = examples + news
    if benchmark is not None:
        examples = hold_out(examples, benchmark)
    if data_cfg.get("limit"):
        # A seeded sample, not the head of the file: the file is not shuffled by class.
        rng = random.Random(int(data_cfg.seed))
        examples = rng.sample(examples, min(int(data_cfg.limit), len(examples)))
    return examples, benchmark


def _news_style(scheme: str) -> list[Example]:
    """`data.news_style: true`: the news-style single-pair sentences (labeled in relation3),
    unmarked; a pair-aware config marks their pair with the rest (encode_examples)."""
    from newsmodel.datasets.pair_examples import news_style_examples

    if scheme != "relation3":
        raise ConfigError(
            f"data.news_style adds sentences labeled in relation3, not {scheme}: "
            "set data.news_style=false for this scheme"
        )
    return news_style_examples()


def load_examples(data_cfg: Any, scheme: str | None = None) -> list[Example]:
    """The labeled examples of a data config in `scheme` (default data.scheme), with the frozen
    benchmark held out, seeded-sampled to data.limit; not split."""
    return _held_out(data_cfg, scheme)[0]


def load_splits(data_cfg: Any) -> DatasetSplits:
    """Load the labeled examples a data config names, hold the frozen benchmark out, and split
    the rest with the dataset builder (grouped, so near copies never straddle splits)."""
    from newsmodel import datasets

    examples, benchmark = _held_out(data_cfg)
    if data_cfg.get("pair_input"):
        examples, benchmark = _pair_aware(data_cfg, examples, benchmark)
    return datasets.build_splits(
        examples,
        scheme=str(data_cfg.scheme),
        seed=int(data_cfg.seed),
        val_frac=float(data_cfg.val_frac),
        test_frac=float(data_cfg.test_frac),
        benchmark=benchmark,
    )


def _pair_aware(
    data_cfg: Any, examples: list[Example], benchmark: BenchmarkSet | None
) -> tuple[list[Example], BenchmarkSet | None]:
    """`data.pair_input` set: the examples and the benchmark in that pair encoding, plus the
    hand-labeled multi-pair rows (data.multi_pair: true), held out of the benchmark like the rest."""
    from newsmodel.datasets.benchmark import hold_out
    from newsmodel.datasets.pair_examples import encode_benchmark, encode_examples, multi_pair_examples
    from newsmodel.text.pair_input import PAIR_INPUTS

    style = str(data_cfg.pair_input)
    if style not in PAIR_INPUTS:
        raise ConfigError(f"data.pair_input={style!r}: expected one of {list(PAIR_INPUTS)}")
    encoded = encode_examples(examples, style)
    if data_cfg.get("multi_pair"):
        rows = multi_pair_examples(style)
        if benchmark is not None:
            rows = hold_out(rows, encode_benchmark(benchmark, style))  # type: ignore[arg-type]
        encoded += rows
    return encoded, encode_benchmark(benchmark, style)


@dataclass(frozen=True)
class EncodedSplit:
    """Token ids (unpadded) and label indices of one split."""

    input_ids: list[list[int]]
    labels: list[int]
    # Knowledge distillation (newsmodel.training.distill): the teachers' soft labels, (n, labels).
    soft_labels: Any = None

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
    """Dicts of `input_ids`, `attention_mask`, `labels` tensors, padded to the batch's longest
    (and `soft_labels` when the split carries a teacher's)."""
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
        batch = {
            "input_ids": ids,
            "attention_mask": mask,
            "labels": torch.tensor([split.labels[i] for i in idx], dtype=torch.long),
        }
        if split.soft_labels is not None:
            batch["soft_labels"] = torch.as_tensor(split.soft_labels[idx], dtype=torch.float32)
        yield batch
