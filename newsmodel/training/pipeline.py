"""`train(cfg) -> TrainResult`: the whole candidate story, one MLflow run per call.

The work is done by the stages (newsmodel.stages: train -> export -> quantize -> evaluate ->
register), run in order on one new run; each is also a command of its own that re-runs on an
existing run. Order matters for honesty: fit with early stopping on validation macro-F1, pick
the quantization scheme on validation, and only then score the test split and the frozen
benchmark held out of the data. Only a deployable config registers under the serving name, and
a version below the quality floor is registered `rejected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import DatasetSplits
from newsmodel.logging import get_logger

__all__ = ["TrainResult", "train"]

log = get_logger(__name__)


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    experiment_id: str
    registered_model_name: str | None
    model_version: str | None
    output_dir: Path
    metrics: dict[str, float]
    report: dict[str, Any]
    # The quality floor's verdict in one line, and why the run was not registered (if it was not).
    quality_floor: str = ""
    not_registered_because: str = ""


def train(cfg: Any, splits: DatasetSplits | None = None) -> TrainResult | None:
    """Train, export, quantize, evaluate and register one candidate (None on non-zero DDP ranks)."""
    from newsmodel.stages.runner import run_pipeline

    result = run_pipeline(cfg, splits=splits)
    if result is None:
        return None
    name, _, version = (result.registered_model or "").partition("/")
    log.info(
        "candidate done",
        run_id=result.run_id,
        model_version=version or None,
        output_dir=str(result.output_dir),
        test_macro_f1=round(result.metrics.get("test_macro_f1", float("nan")), 4),
        int8_test_accuracy=round(result.metrics.get("int8_test_accuracy", float("nan")), 4),
    )
    return TrainResult(
        result.run_id,
        result.experiment_id,
        name or None,
        version or None,
        result.output_dir,
        result.metrics,
        result.report,
        result.quality_floor,
        result.not_registered_because,
    )
