"""The split manifest: which sentences (by key) a model version saw in train / validation / test.

Logged with every candidate run and read back by the gate, which must know from the record -
not from a promise - that no sentence it compares on was trained on by either version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from newsmodel.datasets.benchmark import KEY_METHOD
from newsmodel.datasets.builder import SPLIT_NAMES
from newsmodel.datasets.grouping import text_key
from newsmodel.datasets.types import DatasetSplits
from newsmodel.errors import DataError

__all__ = ["MANIFEST_FILE", "SplitManifest", "split_manifest"]

MANIFEST_FILE = "split_manifest.json"


@dataclass(frozen=True)
class SplitManifest:
    """Sorted sentence keys per split, plus what identifies the data they came from."""

    fingerprint: str
    scheme: str
    benchmark: str | None
    benchmark_sha256: str | None
    splits: dict[str, tuple[str, ...]]

    def keys(self, split: str) -> frozenset[str]:
        return frozenset(self.splits.get(split, ()))

    @property
    def seen(self) -> frozenset[str]:
        """What the model learned from or was selected on: train and validation."""
        return self.keys("train") | self.keys("validation")

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "scheme": self.scheme,
            "benchmark": self.benchmark,
            "benchmark_sha256": self.benchmark_sha256,
            "key_method": KEY_METHOD,
            "sizes": {name: len(keys) for name, keys in self.splits.items()},
            "splits": {name: list(keys) for name, keys in self.splits.items()},
        }
        return json.dumps(body, indent=0) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> SplitManifest:
        try:
            raw = json.loads(text)
            if raw.get("key_method") != KEY_METHOD:
                raise DataError(f"{where} keys sentences by {raw.get('key_method')!r}, not {KEY_METHOD!r}")
            return cls(
                fingerprint=str(raw["fingerprint"]),
                scheme=str(raw["scheme"]),
                benchmark=raw.get("benchmark"),
                benchmark_sha256=raw.get("benchmark_sha256"),
                splits={name: tuple(raw["splits"][name]) for name in SPLIT_NAMES},
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"{where} is not a split manifest ({type(exc).__name__}: {exc})") from exc


def split_manifest(splits: DatasetSplits, scheme_key: str) -> SplitManifest:
    """The manifest of one set of splits (keys sorted, so equal data gives an equal file)."""
    bench = splits.benchmark
    return SplitManifest(
        fingerprint=splits.fingerprint,
        scheme=scheme_key,
        benchmark=bench.ref if bench else None,
        benchmark_sha256=bench.sha256 if bench else None,
        splits={name: tuple(sorted(text_key(e.text) for e in getattr(splits, name))) for name in SPLIT_NAMES},
    )
