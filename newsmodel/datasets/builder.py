"""Leakage-free train/validation/test splits: stratified by label, seeded, grouped by near copies.

Groups (exact and MinHash near-duplicates, merged with any group the importer gave) are the
unit of assignment, so no story appears in two splits. Groups go, largest first in a seeded
order, to the split whose per-label quota is furthest from full: the label mix of each split
follows the whole dataset's.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from newsmodel.datasets.checks import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MIN_PER_CLASS,
    check_examples,
    check_splits,
)
from newsmodel.datasets.grouping import (
    DEFAULT_NUM_PERM,
    DEFAULT_THRESHOLD,
    GROUPING_METHOD,
    group_texts,
    text_key,
)
from newsmodel.datasets.types import BenchmarkSet, DatasetSplits, Example
from newsmodel.errors import DataError
from newsmodel.labels import get_scheme

__all__ = [
    "SPLIT_NAMES",
    "assign_groups",
    "build_splits",
    "dataset_fingerprint",
    "merged_groups",
    "near_duplicate_groups",
]

SPLIT_NAMES = ("train", "validation", "test")


def dataset_fingerprint(examples: Sequence[Example], params: dict[str, object]) -> str:
    """sha256 over the split parameters and the (label, text) content, independent of row order."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode("utf-8"))
    for line in sorted(f"{e.label}\t{e.text}" for e in examples):
        digest.update(b"\n" + line.encode("utf-8"))
    return digest.hexdigest()


def merged_groups(examples: Sequence[Example], threshold: float, num_perm: int) -> list[str]:
    """Near-duplicate groups, joined with the groups the examples already carry (same article ...)."""
    near = group_texts([e.text for e in examples], threshold=threshold, num_perm=num_perm)
    given: dict[str, str] = {}
    alias: dict[str, str] = {}

    def root(g: str) -> str:
        while alias.get(g, g) != g:
            g = alias[g]
        return g

    for gid, example in zip(near, examples, strict=True):
        if example.group:
            other = given.setdefault(example.group, gid)
            a, b = root(other), root(gid)
            if a != b:
                alias[max(a, b)] = min(a, b)
    return [root(g) for g in near]


def near_duplicate_groups(
    examples: Sequence[Example], threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM
) -> list[str]:
    """One group id per example: the unit no split (or cross-validation fold) may cut through."""
    return merged_groups(examples, threshold, num_perm)


def assign_groups(
    groups: dict[str, list[int]], labels: Sequence[str], fracs: dict[str, float], seed: int
) -> dict[str, str]:
    """Group -> split: greedy per-label quota filling in a seeded, largest-first order."""
    totals = Counter(labels)
    target = {s: {lab: f * n for lab, n in totals.items()} for s, f in fracs.items()}
    filled = {s: Counter[str]() for s in fracs}
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -len(groups[g]))
    out: dict[str, str] = {}
    for gid in order:
        mix = Counter(labels[i] for i in groups[gid])

        def need(split: str, mix: Counter[str] = mix) -> tuple[float, float]:
            by_label = sum(c * (target[split][lab] - filled[split][lab]) for lab, c in mix.items())
            overall = sum(target[split].values()) - sum(filled[split].values())
            return by_label, overall

        split = max(fracs, key=need)
        filled[split].update(mix)
        out[gid] = split
    return out


def build_splits(
    examples: Sequence[Example],
    scheme: str,
    seed: int = 13,
    val_frac: float = 0.1,
    test_frac: float = 0.1,
    *,
    near_dup_threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = DEFAULT_NUM_PERM,
    max_chars: int = DEFAULT_MAX_CHARS,
    min_per_class: int = DEFAULT_MIN_PER_CLASS,
    benchmark: BenchmarkSet | None = None,
) -> DatasetSplits:
    """Check, group and split examples; raise DataError on any failed check.

    `benchmark`: the frozen benchmark these examples were held out from
    (`newsmodel.datasets.benchmark.hold_out`); recorded in the parameters and the fingerprint,
    and checked: no example may be one of its sentences.
    """
    label_scheme = get_scheme(scheme)
    if benchmark is not None:
        _check_held_out(examples, benchmark)
    if not (0 <= val_frac < 1 and 0 <= test_frac < 1 and val_frac + test_frac < 1):
        raise DataError(f"split fractions must be in [0, 1) and sum below 1: val={val_frac} test={test_frac}")
    check_examples(examples, scheme, max_chars=max_chars, min_per_class=min_per_class)
    gids = merged_groups(examples, near_dup_threshold, num_perm)
    grouped = [replace(e, group=g) for e, g in zip(examples, gids, strict=True)]
    groups: dict[str, list[int]] = {}
    for i, gid in enumerate(gids):
        groups.setdefault(gid, []).append(i)
    fracs = {"train": 1 - val_frac - test_frac, "validation": val_frac, "test": test_frac}
    assignment = assign_groups(groups, [e.label for e in grouped], fracs, seed)
    splits: dict[str, list[Example]] = {name: [] for name in SPLIT_NAMES}
    for example in grouped:
        splits[assignment[example.group]].append(example)
    check_splits(splits, scheme, required=[name for name, frac in fracs.items() if frac > 0])
    params: dict[str, object] = {
        "scheme": label_scheme.key,
        "seed": seed,
        "val_frac": val_frac,
        "test_frac": test_frac,
        "grouping": GROUPING_METHOD,
        "near_dup_threshold": near_dup_threshold,
        "num_perm": num_perm,
        "max_chars": max_chars,
        "min_per_class": min_per_class,
    }
    if benchmark is not None:
        params.update(benchmark=benchmark.ref, benchmark_sha256=benchmark.sha256)
    fingerprint = dataset_fingerprint(examples, params)
    sizes = Counter(len(members) for members in groups.values())
    stats = {
        "examples": len(grouped),
        "groups": len(groups),
        "examples_in_shared_groups": sum(n * k for n, k in sizes.items() if n > 1),
        "sizes": {name: len(rows) for name, rows in splits.items()},
        "label_counts": {name: dict(Counter(e.label for e in rows)) for name, rows in splits.items()},
    }
    return DatasetSplits(
        scheme=scheme,
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        fingerprint=fingerprint,
        params={**params, "stats": stats},
        benchmark=benchmark,
    )


def _check_held_out(examples: Sequence[Example], benchmark: BenchmarkSet) -> None:
    keys = {text_key(e.text) for e in benchmark.examples}
    inside = [e for e in examples if text_key(e.text) in keys]
    if inside:
        raise DataError(
            f"{len(inside)} example(s) are sentences of the frozen benchmark {benchmark.ref} "
            f"(e.g. {inside[0].text[:70]!r}): hold the benchmark out before splitting"
        )
