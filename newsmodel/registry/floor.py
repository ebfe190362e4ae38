"""The quality floor: a version below it is registered with a `rejected` tag and never served.

Judged once, at registration, from what the candidate's run measured: int8 macro-F1 (what is
served) on the frozen benchmark (on the test split when trained without one), what int8
quantization cost against the fp32 ONNX model on the same sentences, and how much smaller
int8 made it. The thresholds live in the training config (`quality_floor:`) and are logged
with the run and the verdict; the server reads only the verdict (`rejection`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "FLOOR_TAG",
    "REASONS_TAG",
    "REJECTED_TAG",
    "FloorFigures",
    "FloorVerdict",
    "QualityFloor",
    "floor_figures",
    "rejection",
]

REJECTED_TAG = "rejected"
REASONS_TAG = "rejected_reasons"
FLOOR_TAG = "quality_floor"


@dataclass(frozen=True)
class FloorFigures:
    """The measured numbers the floor looks at, and on which sentences."""

    evaluated_on: str
    int8_macro_f1: float
    fp32_macro_f1: float
    size_ratio: float

    @property
    def int8_loss_points(self) -> float:
        return 100.0 * (self.fp32_macro_f1 - self.int8_macro_f1)


@dataclass(frozen=True)
class FloorVerdict:
    passed: bool
    reasons: tuple[str, ...]
    figures: FloorFigures
    floor: QualityFloor

    def tags(self) -> dict[str, str]:
        """Model version tags: the verdict with its figures always; `rejected` only when it is."""
        record = {
            "verdict": "passed" if self.passed else "rejected",
            "floor": asdict(self.floor),
            "figures": {**asdict(self.figures), "int8_loss_points": round(self.figures.int8_loss_points, 3)},
        }
        tags = {FLOOR_TAG: json.dumps(record, sort_keys=True)}
        if not self.passed:
            tags[REJECTED_TAG] = "true"
            tags[REASONS_TAG] = "; ".join(self.reasons)
        return tags

    def summary(self) -> str:
        if self.passed:
            return f"passes the quality floor on {self.figures.evaluated_on}"
        return f"rejected by the quality floor on {self.figures.evaluated_on}: {'; '.join(self.reasons)}"


@dataclass(frozen=True)
class QualityFloor:
    """Thresholds; the defaults are the training config's `quality_floor:` block."""

    min_macro_f1: float = 0.70
    max_int8_loss_points: float = 1.5
    min_size_ratio: float = 3.5

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> QualityFloor:
        section = section or {}
        return cls(
            **{
                k: float(section[k])
                for k in ("min_macro_f1", "max_int8_loss_points", "min_size_ratio")
                if k in section
            }
        )

    def judge(self, figures: FloorFigures) -> FloorVerdict:
        reasons = []
        if figures.int8_macro_f1 < self.min_macro_f1:
            reasons.append(f"int8 macro-F1 {figures.int8_macro_f1:.3f} < {self.min_macro_f1:.3f}")
        if figures.int8_loss_points > self.max_int8_loss_points:
            reasons.append(
                f"int8 loses {figures.int8_loss_points:.2f} macro-F1 points against fp32 "
                f"> {self.max_int8_loss_points:.2f}"
            )
        if figures.size_ratio < self.min_size_ratio:
            reasons.append(
                f"int8 is only {figures.size_ratio:.2f}x smaller than fp32 < {self.min_size_ratio:.2f}x"
            )
        return FloorVerdict(not reasons, tuple(reasons), figures, self)


def floor_figures(report: Mapping[str, Any]) -> FloorFigures:
    """The floor's figures from a candidate's eval report: the benchmark when it has one."""
    bench = report.get("benchmark")
    if bench:
        where = f"benchmark {bench['ref']} ({bench['int8']['n']} sentences)"
        int8, fp32 = bench["int8"]["macro_f1"], bench["onnx_fp32"]["macro_f1"]
    else:
        where = f"test split ({report['int8']['n']} sentences)"
        int8, fp32 = report["int8"]["macro_f1"], report["onnx_fp32"]["macro_f1"]
    return FloorFigures(where, float(int8), float(fp32), float(report["sizes"]["ratio"]))


def rejection(tags: Mapping[str, str]) -> str | None:
    """The rejection reasons of a version from its tags, or None when it is not rejected."""
    if str(tags.get(REJECTED_TAG, "")).strip().lower() not in ("true", "1", "yes"):
        return None
    return tags.get(REASONS_TAG) or "tagged rejected"
