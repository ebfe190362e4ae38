"""`newsmodel cv`: cross-validation as one MLflow parent run with a nested run per fold.

The parent holds the resolved config, the summary (mean, spread, worst fold of macro-F1 and of
each class's F1) and `cv_report.json`; each fold's run holds its own scores, so a fold that went
wrong can be found in the UI.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from newsmodel.training.crossval import CvResult, FoldResult, cross_validate, summarize

__all__ = ["run_cv"]


def _fold_metrics(fold: FoldResult) -> dict[str, float]:
    metrics = {
        "macro_f1": fold.macro_f1,
        "accuracy": fold.accuracy,
        "best_epoch": float(fold.best_epoch),
        "train_seconds": fold.train_seconds,
    }
    metrics.update({f"f1_{label}": f1 for label, f1 in fold.per_class_f1.items()})
    return metrics


def run_cv(cfg: Any, report_path: Path | None = None) -> tuple[str, CvResult]:
    """Cross-validate `cfg`, logging to cfg.mlflow (experiment) under a `cv` parent run."""
    import mlflow

    from newsmodel.registry.tracking import connect, ensure_experiment, git_commit
    from newsmodel.training.config import flatten_config, to_yaml

    client = connect(cfg.mlflow.tracking_uri)
    experiment_id = ensure_experiment(client, str(cfg.mlflow.experiment))
    name = str(cfg.mlflow.run_name or f"cv-{cfg.model.name}")
    tags = {"newsmodel.kind": "cv", "git_commit": git_commit(), "model_name": str(cfg.model.name)}
    with mlflow.start_run(experiment_id=experiment_id, run_name=name, tags=tags) as parent:
        params = {k: str("null" if v is None else v)[:500] for k, v in flatten_config(cfg).items()}
        mlflow.log_params(params)

        done: list[FoldResult] = []

        def log_fold(fold: FoldResult) -> None:
            done.append(fold)
            if report_path is not None:  # after every fold: a cut run still leaves its folds behind
                _write(report_path, summarize(done), done, cfg, partial=True)
            with mlflow.start_run(
                experiment_id=experiment_id,
                run_name=f"{name}-r{fold.repeat}f{fold.fold}",
                nested=True,
                tags={"newsmodel.kind": "cv-fold", "repeat": str(fold.repeat), "fold": str(fold.fold)},
            ):
                mlflow.log_metrics(_fold_metrics(fold))

        result = cross_validate(cfg, on_fold=log_fold)
        summary = result.summary()
        mlflow.log_metrics(summary)
        report = {"summary": summary, "folds": [asdict(f) for f in result.folds], "config": to_yaml(cfg)}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cv_report.json"
            path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
            mlflow.log_artifact(str(path))
        if report_path is not None:
            _write(report_path, summary, result.folds, cfg, partial=False)
    return parent.info.run_id, result


def _write(path: Path, summary: dict[str, float], folds: list[FoldResult], cfg: Any, partial: bool) -> None:
    from newsmodel.training.config import to_yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "partial": partial,
        "summary": summary,
        "folds": [asdict(f) for f in folds],
        "config": to_yaml(cfg),
    }
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
