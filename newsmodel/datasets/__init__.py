"""Labeled datasets: built-in data, the leakage-free split builder, data checks."""

from newsmodel.datasets.builder import SPLIT_NAMES, build_splits, dataset_fingerprint, near_duplicate_groups
from newsmodel.datasets.builtin import BUILTIN, load_builtin, load_conflibert, locate_builtin, read_builtin
from newsmodel.datasets.checks import check_examples, check_splits
from newsmodel.datasets.grouping import group_texts, normalize_text
from newsmodel.datasets.types import DatasetSplits, Example

__all__ = [
    "BUILTIN",
    "SPLIT_NAMES",
    "DatasetSplits",
    "Example",
    "build_splits",
    "check_examples",
    "check_splits",
    "dataset_fingerprint",
    "group_texts",
    "load_builtin",
    "load_conflibert",
    "locate_builtin",
    "near_duplicate_groups",
    "normalize_text",
    "read_builtin",
]
