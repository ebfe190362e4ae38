"""Stages you can re-run, on the real MLflow server: a pipeline cut after `export` resumes at
`quantize` without retraining; an existing run is re-quantized with another scheme (later
stages become due again) and scored on a new labeled file, from a folder that holds nothing
(every input downloaded from the run)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsmodel.errors import ConfigError
from newsmodel.stages.state import STAGES, select_stages

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "conflibert-cameo"


def test_stage_selection_keeps_pipeline_order_and_names_bad_stages() -> None:
    assert select_stages() == list(STAGES)
    assert select_stages(only=["evaluate,train"]) == ["train", "evaluate"]
    assert select_stages(skip=["register"], done=["train"]) == ["export", "quantize", "evaluate"]
    with pytest.raises(ConfigError, match="unknown stage"):
        select_stages(only=["deploy"])


def _cli(uri: str, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "NEWSMODEL_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args], capture_output=True, text=True, timeout=900, env=env
    )


def test_pipeline_resumes_and_stages_rerun_on_an_existing_run(mlflow_server: Any, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    from newsmodel.registry.calibration import version_calibration
    from newsmodel.registry.tracking import connect
    from newsmodel.stages.context import RunContext
    from newsmodel.stages.runner import run_pipeline, run_stage
    from newsmodel.stages.state import completed_stages
    from newsmodel.training.config import compose_config

    uri = mlflow_server.tracking_uri
    cfg = compose_config(
        [
            "experiment=tiny-smoke",
            f"data.dir={DATA}",
            f"output_dir={tmp_path / 'run'}",
            f"mlflow.tracking_uri={uri}",
            "mlflow.experiment=stages-test",
            "mlflow.registered_model_name=stages-test-model",
            "bench.repeats=1",
            "trainer.refit=true",  # the served model trains on validation: calibrated on held-out logits
        ]
    )
    first = run_pipeline(cfg, only=["train,export"])
    assert first is not None and first.ran == ["train", "export"]
    client = MlflowClient(uri)
    run_id = first.run_id
    assert completed_stages(client, run_id) == ["train", "export"]
    history = client.get_metric_history(run_id, "val_macro_f1")

    resumed = _cli(uri, tmp_path / "state", "pipeline", "--resume", run_id, "--skip", "register")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "ran quantize, evaluate" in resumed.stdout
    assert completed_stages(client, run_id) == ["train", "export", "quantize", "evaluate"]
    # Not retrained: the per-epoch validation history is the one the train stage logged.
    assert len(client.get_metric_history(run_id, "val_macro_f1")) == len(history)
    test_f1 = client.get_run(run_id).data.metrics["test_macro_f1"]

    # Another machine: an empty folder, every input downloaded from the run's artifacts.
    ctx = RunContext.open(
        connect(uri), run_id, out=tmp_path / "elsewhere", overrides=["export.quantization.schemes=[default]"]
    )
    run_stage(ctx, "quantize")
    run = client.get_run(run_id)
    assert run.data.tags["quantization_scheme"] == "default"
    assert completed_stages(client, run_id) == ["train", "export", "quantize"]  # evaluate is due again
    assert (tmp_path / "elsewhere" / "checkpoint").exists() is False  # quantize needs no torch weights
    assert "before the refit" in ctx.report()["calibration_validation"]["fitted_on"]

    sentences = tmp_path / "fresh.csv"
    with sentences.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for e in ctx.splits().test[:40]:
            writer.writerow([e.text, e.label])
    scored = _cli(
        uri, tmp_path / "state2", "evaluate", run_id, "--test-file", str(sentences), "--name", "fresh"
    )
    assert scored.returncode == 0, scored.stderr[-2000:]
    metrics = client.get_run(run_id).data.metrics
    assert 0.0 <= metrics["eval_fresh_onnx_int8_macro_f1"] <= 1.0
    assert {"eval_fresh_torch_fp32_accuracy", "eval_fresh_onnx_fp32_f1_neutral"} <= set(metrics)
    assert metrics["test_macro_f1"] == test_f1  # the run's own figures untouched
    assert "eval_fresh.json" in {a.path for a in client.list_artifacts(run_id)}

    finished = _cli(uri, tmp_path / "state", "pipeline", "--resume", run_id)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "ran evaluate, register" in finished.stdout and "registered stages-test-model/" in finished.stdout
    assert completed_stages(client, run_id) == list(STAGES)
    # calibration: fitted on validation by quantize, logged, and registered with the version
    run = client.get_run(run_id)
    assert run.data.metrics["temperature"] > 0 and "int8_test_ece_uncalibrated" in run.data.metrics
    assert "reliability_validation.png" in {a.path for a in client.list_artifacts(run_id)}
    version = max(int(v.version) for v in client.search_model_versions("name='stages-test-model'"))
    stored = version_calibration(client, uri, "stages-test-model", str(version))
    assert stored is not None and stored.temperature > 0 and stored.class_counts.sum() > 0


def test_stage_on_unknown_run_is_one_line(mlflow_server: Any, tmp_path: Path) -> None:
    out = _cli(mlflow_server.tracking_uri, tmp_path, "quantize", "0" * 32)
    assert out.returncode == 2 and "no MLflow run" in out.stderr and "Traceback" not in out.stderr
