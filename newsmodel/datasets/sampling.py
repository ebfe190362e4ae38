"""Sampling added examples so that they keep another set's class shares.

Why: the news-style sentences are 40% neutral, ConfliBERT's 18%; added whole, they move the
pool's class prior. `data.news_style_shares=source` tests whether that prior is what costs the
ConfliBERT benchmark: measured, it was not (docs/ABLATIONS.md, "A second, CAMEO coding"), so
the option is off by default and kept for the ablation.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence

from newsmodel.datasets.types import Example

__all__ = ["sample_to_shares"]


def sample_to_shares(
    extra: Sequence[Example], reference: Sequence[Example], rng: random.Random
) -> list[Example]:
    """The largest seeded sample of `extra` whose class shares are `reference`'s (each class
    rounded down), in `extra`'s order; classes `reference` lacks are dropped, and a class
    `extra` lacks leaves the sample empty."""
    shares = Counter(e.label for e in reference)
    total = sum(shares.values())
    if not total:
        return list(extra)
    by_label: defaultdict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(extra):
        by_label[example.label].append(i)
    # The sample's size is set by the class `extra` has least of relative to its share.
    size = min(len(by_label[label]) * total / n for label, n in shares.items())
    keep: set[int] = set()
    for label, n in shares.items():
        keep.update(rng.sample(by_label[label], int(size * n / total)))
    return [e for i, e in enumerate(extra) if i in keep]
