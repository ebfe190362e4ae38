"""The quality floor's verdict: each threshold with its reason, and the tags the server reads."""

from __future__ import annotations

import json

from newsmodel.registry.floor import FloorFigures, QualityFloor, floor_figures, rejection
from newsmodel.training.config import compose_config


def test_each_threshold_gives_its_own_reason() -> None:
    floor = QualityFloor.from_config(compose_config([]).quality_floor)
    assert floor == QualityFloor(min_macro_f1=0.70, max_int8_loss_points=1.5, min_size_ratio=3.5)
    good = floor.judge(FloorFigures("benchmark b@1 (270 sentences)", 0.84, 0.84, 3.9))
    assert good.passed and rejection(good.tags()) is None
    assert json.loads(good.tags()["quality_floor"])["verdict"] == "passed"
    bad = floor.judge(FloorFigures("benchmark b@1 (270 sentences)", 0.10, 0.13, 2.7))
    assert not bad.passed and len(bad.reasons) == 3
    reasons = rejection(bad.tags())
    assert reasons is not None
    assert "int8 macro-F1 0.100 < 0.700" in reasons
    assert "int8 loses 3.00 macro-F1 points" in reasons and "2.70x smaller" in reasons


def test_figures_come_from_the_benchmark_when_there_is_one() -> None:
    metrics = {"macro_f1": 0.5, "n": 60}
    report = {
        "int8": metrics,
        "onnx_fp32": metrics,
        "sizes": {"ratio": 3.9},
        "benchmark": {"ref": "b@1", "int8": {"macro_f1": 0.8, "n": 270}, "onnx_fp32": {"macro_f1": 0.81}},
    }
    figures = floor_figures(report)
    assert figures.evaluated_on == "benchmark b@1 (270 sentences)" and figures.int8_macro_f1 == 0.8
    assert round(figures.int8_loss_points, 6) == 1.0
    assert floor_figures({**report, "benchmark": None}).evaluated_on == "test split (60 sentences)"


def test_only_a_true_rejected_tag_rejects() -> None:
    assert rejection({}) is None and rejection({"rejected": "false"}) is None
    assert rejection({"rejected": "True", "rejected_reasons": "x"}) == "x"
