"""A model directory scored on the frozen benchmark, through the ONNX files that would be served."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import BenchmarkSet
from newsmodel.errors import ModelNotAvailable

__all__ = ["benchmark_report", "label_indices"]


def label_indices(truth: Sequence[str], labels: Sequence[str], who: str) -> list[int]:
    """Gold labels as indices in the model's logit order; ModelNotAvailable when it cannot predict one."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(truth) - set(index))
    if unknown:
        raise ModelNotAvailable(f"{who} predicts {list(labels)}, the sentences are labeled {unknown}")
    return [index[t] for t in truth]


def benchmark_report(benchmark: BenchmarkSet, model_dir: Path, labels: Sequence[str]) -> dict[str, Any]:
    """int8 and fp32 ONNX metrics on the benchmark (fp32 only when the directory has it)."""
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.predictor import OnnxPredictor

    texts = [e.text for e in benchmark.examples]
    truth = label_indices([e.label for e in benchmark.examples], labels, str(model_dir))
    report: dict[str, Any] = {"ref": benchmark.ref, "sha256": benchmark.sha256, "n": len(texts)}
    for variant, key in (("int8", "int8"), ("fp32", "onnx_fp32")):
        if not (Path(model_dir) / f"model.{variant}.onnx").is_file():
            continue
        probs = OnnxPredictor.from_dir(model_dir, variant=variant).predict_proba(texts)  # type: ignore[arg-type]
        report[key] = classification_metrics(truth, list(probs.argmax(axis=1)), labels)
    return report
