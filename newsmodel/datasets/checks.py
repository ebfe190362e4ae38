"""Data checks that fail loudly: a dataset that breaks one is not trained on.

Before splitting: empty or over-long texts, labels outside the scheme, classes with too few
examples. After splitting: no normalised text and no group in two splits (leakage), and every
class present in every split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from newsmodel.datasets.grouping import normalize_text
from newsmodel.datasets.types import Example
from newsmodel.errors import DataError
from newsmodel.labels import get_scheme

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_MIN_PER_CLASS", "check_examples", "check_splits"]

DEFAULT_MAX_CHARS = 2000
DEFAULT_MIN_PER_CLASS = 10


def _where(indices: list[int], limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in indices[:limit])
    return shown + (f" and {len(indices) - limit} more" if len(indices) > limit else "")


def check_examples(
    examples: Sequence[Example],
    scheme: str,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    min_per_class: int = DEFAULT_MIN_PER_CLASS,
) -> None:
    """Raise one DataError listing every problem (example indices are 0-based)."""
    labels = get_scheme(scheme).labels
    problems: list[str] = []
    if not examples:
        raise DataError("dataset is empty: no examples to split")
    empty = [i for i, e in enumerate(examples) if not e.text.strip()]
    if empty:
        problems.append(f"{len(empty)} empty text(s) at example {_where(empty)}")
    long = [i for i, e in enumerate(examples) if len(e.text) > max_chars]
    if long:
        problems.append(f"{len(long)} text(s) longer than {max_chars} characters at example {_where(long)}")
    outside = [i for i, e in enumerate(examples) if e.label not in labels]
    if outside:
        bad = sorted({examples[i].label for i in outside})
        problems.append(
            f"{len(outside)} label(s) outside scheme {scheme} {list(labels)}: {bad} at example {_where(outside)}"
        )
    counts = Counter(e.label for e in examples)
    few = {label: counts.get(label, 0) for label in labels if counts.get(label, 0) < min_per_class}
    if few:
        problems.append(f"too few examples per class (minimum {min_per_class}): {few}")
    if problems:
        raise DataError("dataset check failed: " + "; ".join(problems))


def check_splits(
    splits: Mapping[str, Sequence[Example]], scheme: str, required: Sequence[str] | None = None
) -> None:
    """No text or group in two splits; every class in every `required` split (default: the non-empty ones)."""
    seen_text: dict[str, str] = {}
    seen_group: dict[str, str] = {}
    leaks: list[str] = []
    for name, examples in splits.items():
        for e in examples:
            norm = normalize_text(e.text)
            for seen, key, what in ((seen_text, norm, "text"), (seen_group, e.group, "group")):
                other = seen.setdefault(key, name)
                if other != name:
                    leaks.append(f"{what} {key[:60]!r} in {other} and {name}")
    if leaks:
        raise DataError(f"{len(leaks)} cross-split duplicate(s): " + "; ".join(leaks[:5]))
    labels = get_scheme(scheme).labels
    wanted = required if required is not None else [name for name, rows in splits.items() if rows]
    missing = {
        name: [label for label in labels if label not in {e.label for e in splits[name]}] for name in wanted
    }
    missing = {name: labels_ for name, labels_ in missing.items() if labels_}
    if missing:
        raise DataError(f"classes missing from splits (add data or lower the split fractions): {missing}")
