"""`newsmodel compare`: the side-by-side table of one experiment's candidates, printed and logged.

The columns the original project published (accuracy, F1, size, quantized accuracy, quantized
size) plus macro-F1, int8 latency/throughput and the baselines measured on the same split.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError

__all__ = ["COLUMNS", "candidate_rows", "log_comparison", "render_markdown"]

# (row key, header, format)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("candidate", "candidate", "{}"),
    ("model", "model", "{}"),
    ("version", "version", "{}"),
    ("accuracy", "accuracy", "{:.1%}"),
    ("macro_f1", "macro-F1", "{:.3f}"),
    ("size_mb", "size MB", "{:.1f}"),
    ("int8_accuracy", "int8 accuracy", "{:.1%}"),
    ("int8_macro_f1", "int8 macro-F1", "{:.3f}"),
    ("int8_size_mb", "int8 size MB", "{:.1f}"),
    ("int8_latency_b1_ms", "int8 latency b1 ms", "{:.1f}"),
    ("int8_throughput_b32", "int8 sent/s b32", "{:.0f}"),
    ("tfidf_macro_f1", "TF-IDF+LR macro-F1", "{:.3f}"),
    ("majority_macro_f1", "majority macro-F1", "{:.3f}"),
    ("benchmark_int8_macro_f1", "benchmark int8 macro-F1", "{:.3f}"),
    ("quality_floor", "quality floor", "{}"),
    ("fingerprint", "dataset", "{}"),
)
_METRIC_OF = {
    "accuracy": "test_accuracy",
    "macro_f1": "test_macro_f1",
    "size_mb": "fp32_size_mb",
    "int8_accuracy": "int8_test_accuracy",
    "int8_macro_f1": "int8_test_macro_f1",
    "int8_size_mb": "int8_size_mb",
    "int8_latency_b1_ms": "latency_b1_ms_onnx_int8",
    "int8_throughput_b32": "throughput_b32_per_s_onnx_int8",
    "tfidf_macro_f1": "tfidf_logreg_test_macro_f1",
    "majority_macro_f1": "majority_test_macro_f1",
    "benchmark_int8_macro_f1": "int8_benchmark_macro_f1",
}


def candidate_rows(client: Any, experiment: str) -> list[dict[str, Any]]:
    """One row per finished candidate run of the experiment, best test macro-F1 first."""
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        raise ConfigError(f"no MLflow experiment named {experiment!r}")
    runs = client.search_runs(
        [exp.experiment_id],
        filter_string="tags.`newsmodel.kind` = 'candidate' and attributes.status = 'FINISHED'",
        order_by=["metrics.test_macro_f1 DESC"],
        max_results=500,
    )
    versions = {mv.run_id: mv.version for mv in _versions_of(client, [r.info.run_id for r in runs])}
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "candidate": run.info.run_name,
            "model": run.data.tags.get("model_name", ""),
            "version": versions.get(run.info.run_id, ""),
            "fingerprint": run.data.tags.get("dataset_fingerprint", "")[:12],
            "quality_floor": run.data.tags.get("quality_floor", ""),
            "run_id": run.info.run_id,
        }
        for key, metric in _METRIC_OF.items():
            row[key] = run.data.metrics.get(metric)
        rows.append(row)
    return rows


def _versions_of(client: Any, run_ids: Sequence[str]) -> list[Any]:
    from mlflow.exceptions import MlflowException

    found = []
    for run_id in run_ids:
        try:
            found.extend(client.search_model_versions(f"run_id = '{run_id}'"))
        except MlflowException:
            continue
    return found


def render_markdown(rows: Sequence[dict[str, Any]]) -> str:
    header = "| " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    lines = [header, rule]
    for row in rows:
        cells = [fmt.format(row[key]) if row.get(key) not in (None, "") else "-" for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    if len({r["fingerprint"] for r in rows}) > 1:
        lines.append("")
        lines.append(
            "Warning: these candidates were evaluated on different datasets (see the dataset column)."
        )
    return "\n".join(lines)


def log_comparison(client: Any, experiment: str, rows: Sequence[dict[str, Any]]) -> str:
    """A `compare` run in the experiment holding the table (md + csv) and the comparison plot."""
    import csv

    import mlflow

    from newsmodel.evaluation.plots import plot_comparison

    exp = client.get_experiment_by_name(experiment)
    with (
        tempfile.TemporaryDirectory() as tmp,
        mlflow.start_run(
            experiment_id=exp.experiment_id, run_name="compare", tags={"newsmodel.kind": "comparison"}
        ) as run,
    ):
        out = Path(tmp)
        (out / "comparison.md").write_text(render_markdown(rows) + "\n", encoding="utf-8")
        with (out / "comparison.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=[k for k, _, _ in COLUMNS] + ["run_id"])
            writer.writeheader()
            writer.writerows([{k: row.get(k) for k in writer.fieldnames} for row in rows])
        if rows:
            plot_comparison(rows, out / "comparison.png")
        mlflow.log_metric("candidates", len(rows))
        mlflow.log_artifacts(str(out))
    return str(run.info.run_id)
