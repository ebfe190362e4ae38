"""Model monitoring: drift of a version's inputs, predictions and confidence, day by day (no torch)."""

from newsmodel.monitoring.drift import (
    STATISTICS,
    DayReport,
    DaySample,
    DriftReading,
    DriftThresholds,
    judge_day,
)
from newsmodel.monitoring.drift_events import record_drift_events
from newsmodel.monitoring.queries import drift_events, drift_points, drifted_pairs, latest_drift_day
from newsmodel.monitoring.reference import (
    ClassReference,
    class_reference_from_report,
    registry_class_reference,
)
from newsmodel.monitoring.series import DriftUpdate, day_samples, update_drift
from newsmodel.monitoring.statistics import (
    AccuracyEstimate,
    Comparison,
    categorical_drift,
    class_share_drift,
    estimated_accuracy,
    numeric_drift,
    psi,
    rate_drift,
)

__all__ = [
    "STATISTICS",
    "AccuracyEstimate",
    "ClassReference",
    "Comparison",
    "DayReport",
    "DaySample",
    "DriftReading",
    "DriftThresholds",
    "DriftUpdate",
    "categorical_drift",
    "class_reference_from_report",
    "class_share_drift",
    "day_samples",
    "drift_events",
    "drift_points",
    "drifted_pairs",
    "estimated_accuracy",
    "judge_day",
    "latest_drift_day",
    "numeric_drift",
    "psi",
    "rate_drift",
    "record_drift_events",
    "registry_class_reference",
    "update_drift",
]
