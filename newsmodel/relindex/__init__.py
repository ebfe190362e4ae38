"""Daily relation index per unordered country pair and model version (numpy + SQLAlchemy, no torch).

`build_index` brings one version's index up to date incrementally; `queries` reads it for the
API and the CLI; `arithmetic` holds the definitions (score, interval, smoothing) on plain arrays.
"""

from newsmodel.relindex.arithmetic import DEFAULT_RESAMPLES, INTERVAL_LEVEL, PairDayStats, pair_day_stats
from newsmodel.relindex.build import SMOOTHING_WINDOWS, BuildReport, build_index
from newsmodel.relindex.pairs import PAIR_FORM, CountryPair, focus_pairs
from newsmodel.relindex.queries import (
    DaySentence,
    DaySentences,
    IndexNotFound,
    PairSummary,
    VersionInfo,
    day_sentences,
    indexed_versions,
    latest_scored_version,
    pair_series,
    pair_summaries,
    resolve_version,
    version_scheme,
    version_to_index,
)

__all__ = [
    "DEFAULT_RESAMPLES",
    "INTERVAL_LEVEL",
    "PAIR_FORM",
    "SMOOTHING_WINDOWS",
    "BuildReport",
    "CountryPair",
    "DaySentence",
    "DaySentences",
    "IndexNotFound",
    "PairDayStats",
    "PairSummary",
    "VersionInfo",
    "build_index",
    "day_sentences",
    "focus_pairs",
    "indexed_versions",
    "latest_scored_version",
    "pair_day_stats",
    "pair_series",
    "pair_summaries",
    "resolve_version",
    "version_scheme",
    "version_to_index",
]
