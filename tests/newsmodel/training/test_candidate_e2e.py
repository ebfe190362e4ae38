"""tiny-* candidates end to end on the real MLflow server: train, evaluate, export, quantize,
register (under their own name, rejected by the quality floor), compare, and load the registered
int8 model with onnxruntime alone. The gate's own tests: tests/newsmodel/registry/test_gate_e2e.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from tests.newsmodel.training.conftest import tiny_overrides

SENTENCES = [
    "Russian troops shelled the outskirts of Kharkiv on Tuesday.",
    "Seoul and Tokyo signed a currency swap agreement.",
    "The Chinese foreign ministry said it would study the proposal.",
    "India and Pakistan exchanged fire across the Line of Control.",
]

# Runs with only onnxruntime + tokenizers + numpy: what the serving image has.
ORT_ONLY = r"""
import json, sys
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
root, texts = sys.argv[1], json.loads(sys.argv[2])
meta = json.load(open(f"{root}/label_map.json"))
tok = Tokenizer.from_file(f"{root}/tokenizer/tokenizer.json")
tok.enable_truncation(max_length=meta["max_length"])
session = ort.InferenceSession(f"{root}/model.int8.onnx", providers=["CPUExecutionProvider"])
probs = []
for text in texts:
    enc = tok.encode(text)
    feeds = {"input_ids": np.array([enc.ids], dtype=np.int64),
             "attention_mask": np.array([enc.attention_mask], dtype=np.int64)}
    logits = session.run(["logits"], {k: feeds[k] for k in meta["input_names"]})[0][0]
    logits = logits / (meta.get("quantification") or {}).get("temperature", 1.0)  # fitted on validation
    e = np.exp(logits - logits.max()); probs.append((e / e.sum()).tolist())
print(json.dumps({"probs": probs, "labels": meta["labels"],
                  "heavy": sorted(m for m in ("torch", "transformers", "mlflow", "newsmodel") if m in sys.modules)}))
"""


def _client(mlflow_server: Any) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.tracking_uri, registry_uri=mlflow_server.tracking_uri)


def test_run_logs_config_tags_metrics_and_artifacts(tiny_candidate: Any, mlflow_server: Any) -> None:
    run = _client(mlflow_server).get_run(tiny_candidate.run_id)
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    assert tags["dataset_fingerprint"] == tiny_candidate.report["data"]["fingerprint"]
    assert tags["label_scheme"] == "relation3@1" and len(tags["git_commit"]) >= 7
    assert tags["benchmark"] == "conflibert-relation3@1" and tags["deployable"] == "false"
    assert tags["quality_floor"] == "rejected"
    assert params["model.name"] == "tiny-bert" and params["trainer.max_steps"] == "12"
    assert params["data.limit"] == "400" and params["model.max_length"] == "64"
    for key in (
        "test_accuracy",
        "test_macro_f1",
        "int8_test_accuracy",
        "int8_size_mb",
        "fp32_size_mb",
        "majority_test_macro_f1",
        "tfidf_logreg_test_macro_f1",
        "behaviour_flip_rate",
        "parity_max_abs_diff",
        "int8_benchmark_macro_f1",
        "int8_test_ece",
        "latency_b1_ms_onnx_int8",
        "throughput_b32_per_s_torch_fp32",
    ):
        assert key in metrics, key
    assert metrics["parity_max_abs_diff"] < 1e-3
    history = _client(mlflow_server).get_metric_history(run.info.run_id, "val_macro_f1")
    assert [h.step for h in history] == list(range(1, len(history) + 1))
    names = {a.path for a in _client(mlflow_server).list_artifacts(run.info.run_id)}
    assert {
        "config.yaml",
        "eval_report.json",
        "model_card.md",
        "split_manifest.json",
        "confusion_matrix_test.png",
        "confusion_matrix_test_int8.png",
        "pr_curves_test.png",
        "reliability_test.png",
    } <= names
    # The run's model/ folder is the registered pyfunc model itself (no second copy).
    mv = _client(mlflow_server).get_model_version(
        tiny_candidate.registered_model_name, tiny_candidate.model_version
    )
    assert str(mv.source).endswith(f"{tiny_candidate.run_id}/artifacts/model"), mv.source
    model_files = {a.path for a in _client(mlflow_server).list_artifacts(run.info.run_id, "model")}
    assert {
        "model/MLmodel",
        "model/model.int8.onnx",
        "model/model.fp32.onnx",
        "model/label_map.json",
    } <= model_files


def test_report_is_honest_about_splits_and_baselines(tiny_candidate: Any) -> None:
    report = tiny_candidate.report
    sizes = report["data"]["sizes"]
    assert report["test"]["n"] == sizes["test"] and report["int8"]["n"] == sizes["test"]
    assert report["validation"]["n"] == sizes["validation"]
    assert report["baselines"]["majority"]["n"] == sizes["test"]
    # Quantization trials were judged on validation, never on test.
    assert all(0 <= t["accuracy"] <= 1 for t in report["quantization"]["trials"])
    assert report["quantization"]["chosen"]["scheme"] in {
        t["scheme"] for t in report["quantization"]["trials"]
    }
    assert set(report["slices"]["length"]) <= {"short", "long"}
    assert sum(s["n"] for s in report["slices"]["country_pair"].values()) == sizes["test"]
    assert report["behaviour"]["n"] > 0 and 0 <= report["behaviour"]["flip_rate"] <= 1
    engines = {(s["engine"], s["batch_size"]) for s in report["speed"]}
    assert engines == {(e, b) for e in ("torch fp32", "onnx fp32", "onnx int8") for b in (1, 32)}
    label_map = json.loads((tiny_candidate.output_dir / "model" / "label_map.json").read_text())
    assert label_map["labels"] == ["conflict", "neutral", "cooperation"]
    assert label_map["input_names"] == ["input_ids", "attention_mask"] and label_map["max_length"] == 64
    assert label_map["languages"] == ["en"]  # what the scorer may give it (conf/model languages)
    assert "Country swap" in (tiny_candidate.output_dir / "model_card.md").read_text()


def test_registered_int8_model_runs_on_onnxruntime_alone(
    tiny_candidate: Any, mlflow_server: Any, model_name: str, tmp_path: Path
) -> None:
    import mlflow

    from newsmodel.predictor import OnnxPredictor

    mlflow.set_tracking_uri(mlflow_server.tracking_uri)
    registered = _client(mlflow_server).get_model_version(model_name, tiny_candidate.model_version)
    assert registered.tags["languages"] == "en"  # registration metadata: the languages it reads
    local = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{model_name}/{tiny_candidate.model_version}", dst_path=str(tmp_path)
        )
    )
    artifacts = local  # the run's model/ folder: the ONNX files beside the pyfunc's MLmodel
    assert {p.name for p in artifacts.iterdir()} >= {
        "model.int8.onnx",
        "model.fp32.onnx",
        "tokenizer",
        "label_map.json",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = subprocess.run(
        [sys.executable, "-I", "-c", ORT_ONLY, str(artifacts), json.dumps(SENTENCES)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["heavy"] == []
    expected = OnnxPredictor.from_dir(tiny_candidate.output_dir / "model").predict_proba(
        SENTENCES, batch_size=1
    )
    assert np.allclose(result["probs"], expected, atol=1e-6)


def test_pyfunc_load_model_predicts_a_list_of_sentences(
    tiny_candidate: Any, mlflow_server: Any, model_name: str
) -> None:
    import mlflow

    from newsmodel.predictor import OnnxPredictor

    mlflow.set_tracking_uri(mlflow_server.tracking_uri)
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/{tiny_candidate.model_version}")
    frame = model.predict(SENTENCES)
    assert list(frame.columns) == ["label", "p_conflict", "p_neutral", "p_cooperation"]
    expected = OnnxPredictor.from_dir(tiny_candidate.output_dir / "model").predict(SENTENCES)
    assert frame["label"].tolist() == [p["label"] for p in expected]
    assert frame[["p_conflict", "p_neutral", "p_cooperation"]].sum(axis=1).round(5).tolist() == [1.0] * 4


def _cli(env_uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": env_uri}
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args], capture_output=True, text=True, timeout=900, env=env
    )


def test_tiny_architectures_register_under_their_own_name_rejected_and_compare(
    tiny_candidate: Any, mlflow_server: Any, model_name: str, conflibert_dir: Path, tmp_path: Path
) -> None:
    """Two more tiny architectures through the CLI (--multirun): registered under the session's
    own name (never the serving one), each rejected by the quality floor; then compare."""
    client = _client(mlflow_server)
    overrides = tiny_overrides(mlflow_server.tracking_uri, conflibert_dir, tmp_path / "out", model_name)
    overrides = [o for o in overrides if not o.startswith("output_dir")]
    env = {"NEWSMODEL_STATE_DIR": str(tmp_path / "state")}
    trained = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsmodel.cli",
            "train",
            "--multirun",
            *overrides,
            "model=tiny-electra,tiny-mobilebert",
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**os.environ, **env},
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert trained.stdout.count(f"registered {model_name} version") == 2
    assert trained.stdout.count("rejected by the quality floor on benchmark conflibert-relation3@1") == 2
    versions = client.search_model_versions(f"name = '{model_name}'")
    assert len(versions) >= 3
    for mv in versions:
        assert mv.tags.get("rejected") == "true" and "int8 macro-F1" in mv.tags["rejected_reasons"]
        assert "Quality floor: REJECTED" in (mv.description or "")  # the card, visible in the UI

    compared = _cli(mlflow_server.tracking_uri, "compare", "--experiment", "tiny-smoke")
    assert compared.returncode == 0, compared.stderr
    for model in ("tiny-bert", "tiny-electra", "tiny-mobilebert"):
        assert f"| {model} |" in compared.stdout
    assert "int8 accuracy" in compared.stdout and "TF-IDF+LR macro-F1" in compared.stdout
    run_id = compared.stdout.strip().splitlines()[-1].split()[-1]
    logged = {a.path for a in client.list_artifacts(run_id)}
    assert {"comparison.md", "comparison.csv", "comparison.png"} <= logged


def test_promote_unknown_version_is_one_line(
    tiny_candidate: Any, mlflow_server: Any, model_name: str
) -> None:
    out = _cli(mlflow_server.tracking_uri, "promote", model_name, "999", "--to", "Production")
    assert out.returncode == 2
    assert "no version '999'" in out.stderr and "Traceback" not in out.stderr


def test_each_onnx_file_is_stored_once_in_the_bucket(
    tiny_candidate: Any, mlflow_server: Any, gcs_emulator: Any, model_name: str
) -> None:
    """The registered version is the run's own model/ folder (no logged-model copy): the bucket
    behind the server holds each of its ONNX files once, byte for byte what training wrote."""
    mv = _client(mlflow_server).get_model_version(model_name, tiny_candidate.model_version)
    assert str(mv.source).endswith(f"{tiny_candidate.run_id}/artifacts/model"), mv.source
    blobs = [
        b for b in gcs_emulator.client().list_blobs(gcs_emulator.bucket) if tiny_candidate.run_id in b.name
    ]
    onnx = sorted(Path(b.name).name for b in blobs if b.name.endswith(".onnx"))
    assert onnx == ["model.fp32.onnx", "model.int8.onnx"], [b.name for b in blobs]
    model_dir = tiny_candidate.output_dir / "model"
    stored = {Path(b.name).name: b.size for b in blobs if b.name.endswith(".onnx")}
    assert stored == {name: (model_dir / name).stat().st_size for name in stored}
