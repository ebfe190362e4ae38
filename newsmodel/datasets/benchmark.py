"""The frozen benchmark: a grouped, near-duplicate-aware sample of a dataset, carved out once.

A test split moves whenever the data or the split parameters move, so two versions trained
months apart are rarely scored on sentences neither of them saw. The benchmark is carved once
per dataset and label scheme and stored as a small file (sentence keys and labels, no text: the
text comes from the pinned, sha256-checked dataset) under `newsmodel/benchmarks/`, committed
with the code so every clone and every image holds the same one. Its content hash is logged
with every candidate; its sentences are taken out of every training pool, and a pool that still
holds a near copy of one is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmodel.datasets.builder import assign_groups, merged_groups
from newsmodel.datasets.checks import check_examples
from newsmodel.datasets.grouping import DEFAULT_NUM_PERM, DEFAULT_THRESHOLD, GROUPING_METHOD, text_key
from newsmodel.datasets.types import BenchmarkSet, Example
from newsmodel.errors import DataError
from newsmodel.labels import get_scheme

__all__ = [
    "BENCHMARK_DIR",
    "DEFAULT_FRACTION",
    "KEY_METHOD",
    "Benchmark",
    "benchmark_path",
    "carve_benchmark",
    "hold_out",
    "load_benchmark",
    "select_members",
    "write_benchmark",
]

BENCHMARK_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
# How a sentence becomes its key (newsmodel.datasets.grouping.text_key); part of every manifest.
KEY_METHOD = "sha256(nfkc-casefold-words)[:16]"
DEFAULT_FRACTION = 0.2


def _content_sha256(scheme: str, members: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{scheme}\n{KEY_METHOD}".encode())
    for key, label in sorted(members):
        digest.update(f"\n{key}\t{label}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Benchmark:
    """One frozen benchmark file: which sentences (by key) with which labels, and how it was carved."""

    name: str
    version: int
    scheme: str  # scheme key, e.g. relation3@1
    source: dict[str, Any]  # the data config fields that load the dataset it was carved from
    carve: dict[str, Any]
    members: tuple[tuple[str, str], ...]  # (sentence key, label), sorted
    sha256: str = field(default="")

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.members)

    @property
    def scheme_name(self) -> str:
        return self.scheme.split("@", 1)[0]

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(label for _, label in self.members).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "scheme": self.scheme,
            "source": self.source,
            "carve": self.carve,
            "key_method": KEY_METHOD,
            "size": len(self.members),
            "label_counts": self.label_counts(),
            "sha256": self.sha256,
            "members": [list(m) for m in self.members],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str) -> Benchmark:
        try:
            members = tuple(sorted((str(k), str(v)) for k, v in raw["members"]))
            bench = cls(
                name=str(raw["name"]),
                version=int(raw["version"]),
                scheme=str(raw["scheme"]),
                source=dict(raw["source"]),
                carve=dict(raw.get("carve") or {}),
                members=members,
                sha256=str(raw["sha256"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{where} is not a benchmark file ({type(exc).__name__}: {exc})") from exc
        if raw.get("key_method", KEY_METHOD) != KEY_METHOD:
            raise DataError(f"{where} keys sentences by {raw['key_method']!r}, this code by {KEY_METHOD!r}")
        actual = _content_sha256(bench.scheme, bench.members)
        if actual != bench.sha256:
            raise DataError(f"{where}: content hash {actual[:16]} is not the recorded {bench.sha256[:16]}")
        return bench


def carve_benchmark(
    examples: Sequence[Example],
    scheme: str,
    name: str,
    source: dict[str, Any],
    *,
    fraction: float = DEFAULT_FRACTION,
    seed: int = 2026,
    version: int = 1,
    near_dup_threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = DEFAULT_NUM_PERM,
) -> Benchmark:
    """Carve whole near-duplicate groups, stratified by label, like the split builder does."""
    if not 0 < fraction < 1:
        raise DataError(f"benchmark fraction must be in (0, 1), got {fraction}")
    label_scheme = get_scheme(scheme)
    check_examples(examples, scheme)
    gids = merged_groups(examples, near_dup_threshold, num_perm)
    groups: dict[str, list[int]] = {}
    for i, gid in enumerate(gids):
        groups.setdefault(gid, []).append(i)
    fracs = {"benchmark": fraction, "pool": 1 - fraction}
    assignment = assign_groups(groups, [e.label for e in examples], fracs, seed)
    members = tuple(
        sorted(
            (text_key(e.text), e.label)
            for e, gid in zip(examples, gids, strict=True)
            if assignment[gid] == "benchmark"
        )
    )
    carve = {
        "fraction": fraction,
        "seed": seed,
        "grouping": GROUPING_METHOD,
        "near_dup_threshold": near_dup_threshold,
        "num_perm": num_perm,
        "from_examples": len(examples),
    }
    return Benchmark(
        name,
        version,
        label_scheme.key,
        dict(source),
        carve,
        members,
        _content_sha256(label_scheme.key, members),
    )


def benchmark_path(name: str, directory: Path | None = None) -> Path:
    return (directory or BENCHMARK_DIR) / f"{name}.json"


def load_benchmark(name: str, directory: Path | None = None) -> Benchmark:
    """Read and hash-check a benchmark file; a missing one is one line naming the carve command."""
    path = benchmark_path(name, directory)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.json")) if path.parent.is_dir() else []
        raise DataError(
            f"no benchmark {name!r} in {path.parent} (known: {', '.join(known) or 'none'}); carve one with "
            "`newsmodel benchmark carve data=...` or set data.benchmark=null to train without one"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc})") from exc
    return Benchmark.from_dict(raw, str(path))


def write_benchmark(benchmark: Benchmark, directory: Path | None = None) -> Path:
    """Write a new benchmark file; an existing one is never replaced by other content (bump the version)."""
    path = benchmark_path(benchmark.name, directory)
    if path.is_file():
        existing = load_benchmark(benchmark.name, directory)
        if existing.sha256 == benchmark.sha256 and existing.version == benchmark.version:
            return path
        if existing.version >= benchmark.version:
            raise DataError(
                f"{path} already holds {existing.ref} ({existing.sha256[:12]}); a frozen benchmark is "
                f"never re-carved in place: pass --version {existing.version + 1} to carve a new one"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    body = benchmark.to_dict()
    # One member per line: a reviewer sees a changed benchmark as changed lines.
    members = ",\n".join(f"  {json.dumps(m)}" for m in body.pop("members"))
    text = json.dumps(body, indent=1)[:-2] + f',\n "members": [\n{members}\n ]\n}}\n'
    path.write_text(text, encoding="utf-8")
    return path


def select_members(benchmark: Benchmark, examples: Sequence[Example]) -> BenchmarkSet:
    """The benchmark's sentences found in the dataset it was carved from (all of them, or DataError)."""
    wanted = Counter(benchmark.members)
    found: list[Example] = []
    for example in examples:
        member = (text_key(example.text), example.label)
        if wanted[member] > 0:
            wanted[member] -= 1
            found.append(example)
    missing = sum(wanted.values())
    if missing:
        raise DataError(
            f"the data holds only {len(found)} of the {len(benchmark.members)} sentences of benchmark "
            f"{benchmark.ref}: it is not the dataset the benchmark was carved from "
            f"({json.dumps(benchmark.source, sort_keys=True)}), or that dataset changed"
        )
    return BenchmarkSet(benchmark.ref, benchmark.sha256, found)


def hold_out(
    examples: Sequence[Example],
    benchmark: BenchmarkSet,
    *,
    near_dup_threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = DEFAULT_NUM_PERM,
) -> list[Example]:
    """The examples minus the benchmark's sentences; DataError when a near copy of one remains.

    Exact copies (same normalised text) are the benchmark itself and are taken out; a near copy
    (MinHash, as the split builder groups) is data someone must look at, so training stops.
    """
    keys = {text_key(e.text) for e in benchmark.examples}
    pool = [e for e in examples if text_key(e.text) not in keys]
    if not pool:
        return pool
    gids = merged_groups([*pool, *benchmark.examples], near_dup_threshold, num_perm)
    bench_groups = set(gids[len(pool) :])
    near = [pool[i] for i, gid in enumerate(gids[: len(pool)]) if gid in bench_groups]
    if near:
        shown = "; ".join(repr(e.text[:70]) for e in near[:3])
        raise DataError(
            f"{len(near)} training sentence(s) are near copies of sentences of the frozen benchmark "
            f"{benchmark.ref} (e.g. {shown}): remove them from the labeled data, or train with "
            "data.benchmark=null (such a version can then be compared on its own test split only)"
        )
    return pool
