"""The contract between the dataset builder and training: splits plus a fingerprint."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BenchmarkSet", "DatasetSplits", "Example"]


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    # Near-duplicate group: examples of one group always land in the same split.
    group: str


@dataclass(frozen=True)
class BenchmarkSet:
    """The frozen benchmark's sentences, as held out of a training run (see datasets.benchmark)."""

    ref: str  # name@version
    sha256: str  # content hash of the benchmark file's members
    examples: list[Example]


@dataclass(frozen=True)
class DatasetSplits:
    """Train/validation/test examples of one label scheme, grouped so no near copy straddles splits."""

    scheme: str
    train: list[Example]
    validation: list[Example]
    test: list[Example]
    # sha256 over content + split parameters; logged with every model trained on it.
    fingerprint: str
    params: dict[str, object] = field(default_factory=dict)
    # The frozen benchmark this data was held out from (None: trained without one).
    benchmark: BenchmarkSet | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        from newsmodel.labels import get_scheme

        return get_scheme(self.scheme).labels
