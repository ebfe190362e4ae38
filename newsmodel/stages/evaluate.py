"""Stage `evaluate`: score the run's models on a test set, after the model and its int8 scheme
are fixed (honesty: the test split is never used to choose anything).

On the run's own test split (default): torch fp32, ONNX fp32 and int8, baselines, slices, the
country-swap behaviour check, latency/throughput, plots (confusion matrices, precision-recall
curves, a reliability diagram) and the run's `test_*` metrics; on the frozen benchmark the data
was held out from: ONNX int8 and fp32 (`*_benchmark_*` metrics); then the quality floor's verdict
and the model card that states it. On another labeled set (`newsmodel evaluate RUN_ID --test-file F --name NAME`): the three
models' scores as `eval_NAME_*` metrics and `eval_NAME.json`, leaving the run's own figures alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsmodel.datasets.types import Example
from newsmodel.errors import ConfigError
from newsmodel.relindex.quantify import softmax as _softmax
from newsmodel.stages.context import RunContext
from newsmodel.stages.export import MODEL_DIR
from newsmodel.stages.train import load_checkpoint

__all__ = ["TestSet", "run"]


@dataclass(frozen=True)
class TestSet:
    """A labeled set other than the run's test split (a frozen benchmark, fresh news)."""

    name: str
    examples: list[Example]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", self.name):
            raise ConfigError(f"test set name {self.name!r}: use letters, digits, _ or - (it names metrics)")
        if not self.examples:
            raise ConfigError(f"test set {self.name!r} holds no examples")


def run(ctx: RunContext, test_set: TestSet | None = None) -> dict[str, float]:
    if test_set is not None:
        return _run_named(ctx, test_set)
    splits = ctx.splits()
    model, tokenizer = load_checkpoint(ctx)
    model_dir = ctx.fetch(MODEL_DIR)
    labels = splits.labels
    y_true, torch_probs, input_ids = _torch_predictions(ctx, model, tokenizer, splits.test, labels)
    torch_pred = torch_probs.argmax(axis=1)
    from newsmodel.evaluation.metrics import classification_metrics

    side, int8_probs, int8_raw = _test_side_reports(ctx.cfg, splits, labels, y_true, torch_pred, model_dir)
    sections: dict[str, Any] = {
        "git_commit": ctx.client.get_run(ctx.run_id).data.tags.get("git_commit", "unknown"),
        "test": classification_metrics(y_true, list(torch_pred), labels),
        **side,
        "speed": _speed(ctx.cfg, model, model_dir, input_ids, int(tokenizer.pad_token_id)),
        **_curves(ctx, y_true, {"torch fp32": torch_probs, "ONNX int8": int8_probs}, labels, int8_raw),
    }
    if splits.benchmark is not None:
        from newsmodel.evaluation.benchmark_scores import benchmark_report

        sections["benchmark"] = benchmark_report(splits.benchmark, model_dir, labels)
    report = ctx.update_report(sections)
    _judge_and_describe(ctx, report, labels)
    return summary_metrics(report)


def _torch_predictions(
    ctx: RunContext, model: Any, tokenizer: Any, examples: list[Example], labels: tuple[str, ...]
) -> tuple[list[int], np.ndarray, list[list[int]]]:
    """Gold label indices, torch fp32 probabilities and the token ids of `examples`."""
    from newsmodel.training.data import encode
    from newsmodel.training.trainer import predict_logits

    enc = encode(examples, tokenizer, labels, int(ctx.cfg.model.max_length))
    bs = int(ctx.cfg.trainer.eval_batch_size)
    logits = predict_logits(model, enc, bs, int(tokenizer.pad_token_id), "cpu")
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return enc.labels, shifted / shifted.sum(axis=1, keepdims=True), enc.input_ids


def _curves(
    ctx: RunContext,
    y_true: list[int],
    probs: dict[str, np.ndarray],
    labels: tuple[str, ...],
    int8_raw: np.ndarray,
) -> dict[str, Any]:
    """Precision-recall curves and the reliability diagram beside the confusion matrices.

    "ONNX int8" is what the predictor serves (temperature-scaled when the quantize stage stored
    a temperature); the uncalibrated int8 softmax is drawn beside it, on the test split the
    temperature was not fitted on.
    """
    from newsmodel.evaluation.plots import plot_pr_curves, plot_reliability

    pr, reliability = ctx.out / "pr_curves_test.png", ctx.out / "reliability_test.png"
    average = plot_pr_curves(y_true, probs, labels, "test split: precision-recall per class", pr)
    ece = plot_reliability(
        y_true, {**probs, "ONNX int8 uncalibrated": int8_raw}, "test split: reliability", reliability
    )
    for path in (pr, reliability):
        ctx.log_path(path)
    return {
        "average_precision": average,
        "calibration": {
            "torch_fp32_ece": ece["torch fp32"],
            "int8_ece": ece["ONNX int8"],
            "int8_uncalibrated_ece": ece["ONNX int8 uncalibrated"],
        },
    }


def _judge_and_describe(ctx: RunContext, report: dict[str, Any], labels: tuple[str, ...]) -> None:
    """The confusion matrices, the quality floor's verdict (run tags) and the card that states it."""
    from newsmodel.registry.floor import QualityFloor, floor_figures
    from newsmodel.registry.model_card import render_model_card

    _write_outputs(ctx, report, labels)
    verdict = QualityFloor.from_config(ctx.cfg.get("quality_floor")).judge(floor_figures(report))
    ctx.client.set_tag(ctx.run_id, "quality_floor", "passed" if verdict.passed else "rejected")
    ctx.client.set_tag(ctx.run_id, "quality_floor.summary", verdict.summary())
    card = ctx.out / "model_card.md"
    card.write_text(render_model_card(report, verdict), encoding="utf-8")
    ctx.log_path(card)


def _run_named(ctx: RunContext, test_set: TestSet) -> dict[str, float]:
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.predictor import OnnxPredictor

    model, tokenizer = load_checkpoint(ctx)
    model_dir = ctx.fetch(MODEL_DIR)
    labels = tuple(model.config.id2label[i] for i in range(model.config.num_labels))
    unknown = sorted({e.label for e in test_set.examples} - set(labels))
    if unknown:
        raise ConfigError(
            f"test set {test_set.name!r} has labels {unknown}; the model predicts {list(labels)}"
        )
    y_true, torch_probs, _ = _torch_predictions(ctx, model, tokenizer, test_set.examples, labels)
    torch_pred = torch_probs.argmax(axis=1)
    texts = [e.text for e in test_set.examples]
    report = {"torch_fp32": classification_metrics(y_true, list(torch_pred), labels)}
    for variant in ("fp32", "int8"):
        pred = OnnxPredictor.from_dir(model_dir, variant=variant).predict_proba(texts).argmax(axis=1)  # type: ignore[arg-type]
        report[f"onnx_{variant}"] = classification_metrics(y_true, pred, labels)
    path = ctx.out / f"eval_{test_set.name}.json"
    path.write_text(json.dumps({"name": test_set.name, "n": len(texts), **report}, indent=2) + "\n")
    ctx.log_path(path)
    metrics: dict[str, float] = {}
    for engine, result in report.items():
        metrics[f"eval_{test_set.name}_{engine}_macro_f1"] = result["macro_f1"]
        metrics[f"eval_{test_set.name}_{engine}_accuracy"] = result["accuracy"]
        for label, cls in result["per_class"].items():
            metrics[f"eval_{test_set.name}_{engine}_f1_{label}"] = cls["f1"]
    return metrics


def _test_side_reports(
    cfg: Any, splits: Any, labels: tuple[str, ...], y_true: list[int], torch_pred: np.ndarray, model_dir: Path
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Test-split reports of the exported models and the baselines; also the int8 probabilities
    as served (calibrated) and uncalibrated."""
    from newsmodel.evaluation.baselines import majority_baseline, tfidf_logreg_baseline
    from newsmodel.evaluation.behaviour import country_swaps, flip_rate
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.evaluation.slices import slice_metrics
    from newsmodel.predictor import OnnxPredictor

    texts = [e.text for e in splits.test]
    int8 = OnnxPredictor.from_dir(model_dir, variant="int8")
    fp32 = OnnxPredictor.from_dir(model_dir, variant="fp32")
    int8_logits = int8.predict_logits(texts).astype(np.float64)
    int8_probs = _softmax(int8_logits / int8.label_map.temperature)
    int8_pred = int8_probs.argmax(axis=1)
    fp32_pred = fp32.predict_proba(texts).argmax(axis=1)
    ev = cfg.evaluation
    cases = country_swaps(texts, int(cfg.seed), int(ev.behaviour_max_sentences))
    return (
        {
            "int8": {
                **classification_metrics(y_true, int8_pred, labels),
                "agreement_with_fp32": float((int8_pred == torch_pred).mean()),
            },
            "onnx_fp32": {
                **classification_metrics(y_true, fp32_pred, labels),
                "agreement_with_torch": float((fp32_pred == torch_pred).mean()),
            },
            "baselines": {
                "majority": majority_baseline(splits.train, splits.test, labels),
                "tfidf_logreg": tfidf_logreg_baseline(splits.train, splits.test, labels, int(cfg.seed)),
            },
            "slices": slice_metrics(
                texts, y_true, list(torch_pred), labels, int(ev.short_max_words), int(ev.min_pair_support)
            ),
            "behaviour": flip_rate(cases, lambda batch: list(int8.predict_proba(batch).argmax(axis=1))),
        },
        int8_probs,
        _softmax(int8_logits),
    )


def _speed(
    cfg: Any, model: Any, model_dir: Path, input_ids: list[list[int]], pad_id: int
) -> list[dict[str, Any]]:
    from newsmodel.export.speed import measure_engines, onnx_runner, torch_runner
    from newsmodel.registry.layout import FP32_FILE, INT8_FILE

    threads = int(cfg.bench.threads)
    engines = {
        "torch fp32": torch_runner(model, threads),
        "onnx fp32": onnx_runner(model_dir / FP32_FILE, threads),
        "onnx int8": onnx_runner(model_dir / INT8_FILE, threads),
    }
    results = measure_engines(
        engines,
        input_ids,
        pad_id,
        list(cfg.bench.batch_sizes),
        int(cfg.bench.repeats),
        int(cfg.bench.warmup),
        threads,
        int(cfg.bench.sentences),
    )
    return [r.to_dict() for r in results]


def _write_outputs(ctx: RunContext, report: dict[str, Any], labels: tuple[str, ...]) -> None:
    from newsmodel.evaluation.plots import plot_confusion_matrix

    for key, title, name in (
        ("test", "test split, torch fp32", "confusion_matrix_test.png"),
        ("int8", "test split, ONNX int8", "confusion_matrix_test_int8.png"),
    ):
        plot_confusion_matrix(report[key]["confusion_matrix"], labels, title, ctx.out / name)
        ctx.log_path(ctx.out / name)


def summary_metrics(report: dict[str, Any]) -> dict[str, float]:
    """The flat test-side numbers logged as run metrics (and compared by `newsmodel compare`)."""
    m: dict[str, float] = {
        "test_accuracy": report["test"]["accuracy"],
        "test_macro_f1": report["test"]["macro_f1"],
        "int8_test_accuracy": report["int8"]["accuracy"],
        "int8_test_macro_f1": report["int8"]["macro_f1"],
        "int8_fp32_agreement": report["int8"]["agreement_with_fp32"],
        "onnx_fp32_test_accuracy": report["onnx_fp32"]["accuracy"],
        "behaviour_flip_rate": report["behaviour"]["flip_rate"],
        "behaviour_cases": float(report["behaviour"]["n"]),
        "test_ece": report["calibration"]["torch_fp32_ece"],
        "int8_test_ece": report["calibration"]["int8_ece"],
    }
    if "int8_uncalibrated_ece" in report["calibration"]:
        m["int8_test_ece_uncalibrated"] = report["calibration"]["int8_uncalibrated_ece"]
    bench = report.get("benchmark")
    if bench:
        m["int8_benchmark_accuracy"] = bench["int8"]["accuracy"]
        m["int8_benchmark_macro_f1"] = bench["int8"]["macro_f1"]
        m["onnx_fp32_benchmark_macro_f1"] = bench["onnx_fp32"]["macro_f1"]
    for name, base in report["baselines"].items():
        m[f"{name}_test_accuracy"] = base["accuracy"]
        m[f"{name}_test_macro_f1"] = base["macro_f1"]
    for label, cls in report["test"]["per_class"].items():
        m[f"test_f1_{label}"] = cls["f1"]
    for s in report["speed"]:
        engine = s["engine"].replace(" ", "_")
        if s["batch_size"] == 1:
            m[f"latency_b1_ms_{engine}"] = s["ms_per_batch_median"]
        else:
            m[f"throughput_b{s['batch_size']}_per_s_{engine}"] = s["sentences_per_s_median"]
    return m
