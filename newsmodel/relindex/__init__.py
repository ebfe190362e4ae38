"""Daily relation index per unordered country pair and model version (numpy + SQLAlchemy, no torch).

`build_index` brings one version's index up to date incrementally; `queries` reads it for the
API and the CLI; `arithmetic` holds the definitions (score, interval, smoothing) on plain arrays.
"""

from newsmodel.relindex.alerts import AlertReport, PairAlert, index_alerts
from newsmodel.relindex.arithmetic import DEFAULT_RESAMPLES, INTERVAL_LEVEL, PairDayStats, pair_day_stats
from newsmodel.relindex.build import SMOOTHING_WINDOWS, BuildReport, build_index
from newsmodel.relindex.export import EXPORT_FORMATS, ExportFile, export_index, method_id
from newsmodel.relindex.history import (
    ChosenVersion,
    Coverage,
    LiveSwitch,
    choose_version,
    live_switches,
    version_coverage,
)
from newsmodel.relindex.pairs import PAIR_FORM, CountryPair, focus_pairs
from newsmodel.relindex.quantify import DEFAULT_METHOD, METHODS, Calibration
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
    version_quantification,
    version_scheme,
    version_to_index,
)

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_RESAMPLES",
    "EXPORT_FORMATS",
    "INTERVAL_LEVEL",
    "METHODS",
    "PAIR_FORM",
    "SMOOTHING_WINDOWS",
    "AlertReport",
    "BuildReport",
    "Calibration",
    "ChosenVersion",
    "CountryPair",
    "Coverage",
    "DaySentence",
    "DaySentences",
    "ExportFile",
    "IndexNotFound",
    "LiveSwitch",
    "PairAlert",
    "PairDayStats",
    "PairSummary",
    "VersionInfo",
    "build_index",
    "choose_version",
    "day_sentences",
    "export_index",
    "focus_pairs",
    "index_alerts",
    "indexed_versions",
    "latest_scored_version",
    "live_switches",
    "method_id",
    "pair_day_stats",
    "pair_series",
    "pair_summaries",
    "resolve_version",
    "version_coverage",
    "version_quantification",
    "version_scheme",
    "version_to_index",
]
