"""`train(cfg) -> TrainResult`: the whole candidate story, one MLflow run per call.

Order matters for honesty: fit with early stopping on validation macro-F1, pick the quantization
scheme on validation, and only then score the test split (torch fp32, ONNX int8, baselines,
slices, behaviour). Everything measured goes into `eval_report.json`, the run's metrics, the
model card, and a registered model version.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsmodel.datasets.types import DatasetSplits
from newsmodel.errors import DataError
from newsmodel.logging import get_logger

__all__ = ["TrainResult", "train"]

log = get_logger(__name__)
MB = 1024 * 1024


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    experiment_id: str
    registered_model_name: str | None
    model_version: str | None
    output_dir: Path
    metrics: dict[str, float]
    report: dict[str, Any]


def _output_dir(cfg: Any, run_name: str) -> Path:
    from newsmodel.settings import get_settings

    base = Path(str(cfg.output_dir)) if cfg.output_dir else get_settings().state_dir / "runs" / run_name
    base.mkdir(parents=True, exist_ok=True)
    return base


def _check_splits(splits: DatasetSplits, scheme_name: str) -> None:
    if splits.scheme != scheme_name:
        raise DataError(f"splits are in scheme {splits.scheme!r} but data.scheme={scheme_name!r}")
    for name in ("train", "validation", "test"):
        if not getattr(splits, name):
            raise DataError(f"the {name} split is empty: more data or other data.val_frac/test_frac needed")


def train(cfg: Any, splits: DatasetSplits | None = None) -> TrainResult:
    """Train, evaluate, export, quantize, measure, log and register one candidate."""
    import mlflow

    from newsmodel.labels import get_scheme
    from newsmodel.registry.tracking import connect, ensure_experiment, git_commit
    from newsmodel.settings import get_settings
    from newsmodel.training.config import flatten_config, to_yaml
    from newsmodel.training.data import load_splits

    scheme = get_scheme(str(cfg.data.scheme))
    client = connect(cfg.mlflow.tracking_uri)
    experiment_id = ensure_experiment(client, str(cfg.mlflow.experiment))
    splits = splits if splits is not None else load_splits(cfg.data)
    _check_splits(splits, scheme.name)
    run_name = str(cfg.mlflow.run_name or f"{cfg.model.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    out = _output_dir(cfg, run_name)
    registered = (
        (cfg.mlflow.registered_model_name or get_settings().registered_model_name)
        if cfg.mlflow.register
        else None
    )
    commit = git_commit()
    tags = {
        "git_commit": commit,
        "dataset_fingerprint": splits.fingerprint,
        "label_scheme": scheme.key,
        "model_name": str(cfg.model.name),
        "architecture": str(cfg.model.architecture),
        "newsmodel.kind": "candidate",
    }
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
        params = {k: ("null" if v is None else v) for k, v in flatten_config(cfg).items()}
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        (out / "config.yaml").write_text(to_yaml(cfg), encoding="utf-8")
        report = _run_stages(
            cfg, splits, scheme, out, commit, on_epoch=lambda e, m: mlflow.log_metrics(m, step=e)
        )
        metrics = _summary_metrics(report)
        mlflow.log_metrics(metrics)
        mlflow.set_tag("quantization_scheme", report["quantization"]["chosen"]["scheme"])
        mlflow.log_artifacts(str(out))
        version = _register(
            client, out / "model", registered, splits, scheme.key, commit, run.info.run_id, metrics
        )
    log.info(
        "candidate done",
        run_id=run.info.run_id,
        model_version=version,
        output_dir=str(out),
        test_macro_f1=round(metrics["test_macro_f1"], 4),
        int8_test_accuracy=round(metrics["int8_test_accuracy"], 4),
    )
    return TrainResult(run.info.run_id, experiment_id, registered, version, out, metrics, report)


def _register(
    client: Any,
    model_dir: Path,
    name: str | None,
    splits: DatasetSplits,
    scheme_key: str,
    commit: str,
    run_id: str,
    metrics: dict[str, float],
) -> str | None:
    from newsmodel.registry.register import log_pyfunc_model, tag_model_version

    info = log_pyfunc_model(model_dir, name, [e.text for e in splits.test[:3]])
    if name is None or info.registered_model_version is None:
        return None
    version = str(info.registered_model_version)
    tag_model_version(
        client,
        name,
        version,
        {
            "dataset_fingerprint": splits.fingerprint,
            "label_scheme": scheme_key,
            "git_commit": commit,
            "run_id": run_id,
            "test_macro_f1": f"{metrics['test_macro_f1']:.4f}",
            "int8_test_accuracy": f"{metrics['int8_test_accuracy']:.4f}",
        },
    )
    return version


def _run_stages(
    cfg: Any, splits: DatasetSplits, scheme: Any, out: Path, commit: str, on_epoch: Any
) -> dict[str, Any]:
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.export.package import package_model
    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.models import pretrained_source
    from newsmodel.training.trainer import predict_logits

    labels = scheme.labels
    fc = fit_candidate(cfg, splits, on_epoch)
    model, tokenizer, enc, fitted, pad_id = fc.model, fc.tokenizer, fc.encoded, fc.fit, fc.pad_id
    max_length = int(cfg.model.max_length)
    eval_bs = int(cfg.trainer.eval_batch_size)
    cpu = __import__("torch").device("cpu")
    val_pred = predict_logits(model, enc["validation"], eval_bs, pad_id, cpu).argmax(axis=1)
    validation = classification_metrics(enc["validation"].labels, val_pred, labels)
    packaged = package_model(
        model,
        tokenizer,
        cfg.model,
        scheme,
        cfg.export,
        out / "model",
        [e.text for e in splits.validation],
        enc["validation"].labels,
        enc["validation"].input_ids,
        validation["accuracy"],
    )
    # Model and quantization scheme are fixed now: the test split is scored from here on.
    test_pred = predict_logits(model, enc["test"], eval_bs, pad_id, cpu).argmax(axis=1)
    report: dict[str, Any] = {
        "git_commit": commit,
        "model": {
            "name": str(cfg.model.name),
            "architecture": str(cfg.model.architecture),
            "weights": pretrained_source(cfg.model) or "random init (pretrained=false)",
            "max_length": max_length,
            "parameters": int(sum(p.numel() for p in model.parameters())),
        },
        "data": {
            "scheme": scheme.key,
            "labels": list(labels),
            "fingerprint": splits.fingerprint,
            "params": {k: str(v) for k, v in splits.params.items()},
            "sizes": {n: len(getattr(splits, n)) for n in ("train", "validation", "test")},
        },
        "training": {**fitted.__dict__},
        "validation": validation,
        "test": classification_metrics(enc["test"].labels, test_pred, labels),
        "parity_max_abs_diff": packaged.parity_max_abs_diff,
        "quantization": {
            "chosen": packaged.quantization.to_dict(),
            "trials": [t.to_dict() for t in packaged.quantization_trials],
        },
        "sizes": {
            "fp32_mb": packaged.fp32_bytes / MB,
            "int8_mb": packaged.int8_bytes / MB,
            "ratio": packaged.fp32_bytes / packaged.int8_bytes,
        },
    }
    report.update(_test_side_reports(cfg, splits, labels, enc["test"].labels, test_pred, packaged.model_dir))
    report["speed"] = _speed(cfg, model, packaged.model_dir, enc["test"].input_ids, pad_id)
    _write_outputs(out, report, labels)
    return report


def _test_side_reports(
    cfg: Any,
    splits: DatasetSplits,
    labels: tuple[str, ...],
    y_true: list[int],
    torch_pred: np.ndarray,
    model_dir: Path,
) -> dict[str, Any]:
    from newsmodel.evaluation.baselines import majority_baseline, tfidf_logreg_baseline
    from newsmodel.evaluation.behaviour import country_swaps, flip_rate
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.evaluation.slices import slice_metrics
    from newsmodel.predictor import OnnxPredictor

    texts = [e.text for e in splits.test]
    int8 = OnnxPredictor.from_dir(model_dir, variant="int8")
    fp32 = OnnxPredictor.from_dir(model_dir, variant="fp32")
    int8_pred = int8.predict_proba(texts).argmax(axis=1)
    fp32_pred = fp32.predict_proba(texts).argmax(axis=1)
    ev = cfg.evaluation
    cases = country_swaps(texts, int(cfg.seed), int(ev.behaviour_max_sentences))
    return {
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
    }


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


def _write_outputs(out: Path, report: dict[str, Any], labels: tuple[str, ...]) -> None:
    from newsmodel.evaluation.plots import plot_confusion_matrix
    from newsmodel.registry.model_card import render_model_card

    plot_confusion_matrix(
        report["test"]["confusion_matrix"],
        labels,
        "test split, torch fp32",
        out / "confusion_matrix_test.png",
    )
    plot_confusion_matrix(
        report["int8"]["confusion_matrix"],
        labels,
        "test split, ONNX int8",
        out / "confusion_matrix_test_int8.png",
    )
    (out / "eval_report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (out / "model_card.md").write_text(render_model_card(report), encoding="utf-8")


def _summary_metrics(report: dict[str, Any]) -> dict[str, float]:
    """The flat numbers logged as run metrics (and compared by `newsmodel compare`)."""
    m: dict[str, float] = {
        "best_val_accuracy": report["validation"]["accuracy"],
        "best_val_macro_f1": report["validation"]["macro_f1"],
        "test_accuracy": report["test"]["accuracy"],
        "test_macro_f1": report["test"]["macro_f1"],
        "int8_test_accuracy": report["int8"]["accuracy"],
        "int8_test_macro_f1": report["int8"]["macro_f1"],
        "int8_fp32_agreement": report["int8"]["agreement_with_fp32"],
        "onnx_fp32_test_accuracy": report["onnx_fp32"]["accuracy"],
        "int8_val_accuracy": report["quantization"]["chosen"]["accuracy"],
        "parity_max_abs_diff": report["parity_max_abs_diff"],
        "fp32_size_mb": report["sizes"]["fp32_mb"],
        "int8_size_mb": report["sizes"]["int8_mb"],
        "size_ratio": report["sizes"]["ratio"],
        "behaviour_flip_rate": report["behaviour"]["flip_rate"],
        "behaviour_cases": float(report["behaviour"]["n"]),
        "train_seconds": report["training"]["train_seconds"],
        "train_samples_per_s": report["training"]["train_samples_per_second"],
        "best_epoch": float(report["training"]["best_epoch"]),
        "parameters": float(report["model"]["parameters"]),
    }
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
