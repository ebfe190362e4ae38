"""The prediction-drift reference of a registered version: what it predicted on its frozen benchmark.

The cleanest source is the version's own `eval_report.json` (written by `newsmodel evaluate` on the
training run the version points at): the int8 model's confusion matrix on the frozen benchmark,
whose column sums are the served model's predicted class counts there. Counts, not shares, so the
test counts the benchmark's own sampling noise. Without a benchmark section the run's test split
stands in (named so in the answer); without a report, the caller falls back to earlier live days.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.logging import get_logger

__all__ = ["ClassReference", "class_reference_from_report", "registry_class_reference"]

REPORT_FILE = "eval_report.json"  # newsmodel.stages.context.REPORT_FILE (stages import torch-side code)
log = get_logger(__name__)
_cache: dict[tuple[str, str, str], ClassReference | None] = {}


@dataclass(frozen=True)
class ClassReference:
    counts: dict[str, float]
    label: str


def class_reference_from_report(report: dict[str, Any]) -> ClassReference | None:
    """Predicted class counts of the int8 model: on the benchmark, else on the run's test split."""
    for where, section in (
        ("frozen benchmark", (report.get("benchmark") or {}).get("int8")),
        ("test split", report.get("int8")),
    ):
        if not section or "confusion_matrix" not in section or "per_class" not in section:
            continue
        labels = list(section["per_class"])
        matrix = section["confusion_matrix"]
        if len(matrix) != len(labels) or any(len(row) != len(labels) for row in matrix):
            continue
        counts = {label: float(sum(row[j] for row in matrix)) for j, label in enumerate(labels)}
        n = int(sum(counts.values()))
        if n:
            return ClassReference(counts, f"version's predictions on its {where} (n={n}, eval_report.json)")
    return None


def registry_class_reference(client: Any, name: str, version: str) -> ClassReference | None:
    """The version's benchmark class counts from its run's eval_report.json (cached: a registered
    version's report does not change); None when the run has no report or the registry fails."""
    key = (str(getattr(client, "tracking_uri", "")), name, version)
    if key in _cache:
        return _cache[key]
    found: ClassReference | None = None
    try:
        mv = client.get_model_version(name, version)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(client.download_artifacts(mv.run_id, REPORT_FILE, tmp))
            found = class_reference_from_report(json.loads(path.read_text(encoding="utf-8")))
    except Exception as exc:  # MLflow raises many untyped errors; drift then uses earlier live days
        log.warning("no benchmark reference for drift", model=name, version=version, error=str(exc)[:200])
        return None
    _cache[key] = found
    return found
