"""The real thing, short: MiniLM (offline weights) fine-tuned one short epoch on ConfliBERT relation3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.slow
def test_minilm_one_epoch_beats_majority_by_a_wide_margin(
    mlflow_server: Any, conflibert_dir: Path, model_name: str, tmp_path: Path
) -> None:
    from newsmodel.training.config import compose_config
    from newsmodel.training.pipeline import train

    cfg = compose_config(
        [
            "model=minilm",
            f"data.dir={conflibert_dir}",
            f"output_dir={tmp_path}",
            "model.max_length=48",
            "trainer.epochs=1",
            "trainer.batch_size=32",
            "trainer.lr=8e-5",
            "trainer.warmup_ratio=0.1",
            "trainer.progress=false",
            "bench.repeats=2",
            "evaluation.behaviour_max_sentences=60",
            f"mlflow.tracking_uri={mlflow_server.tracking_uri}",
            "mlflow.experiment=minilm-slow-test",
            f"mlflow.registered_model_name={model_name}-minilm",
        ]
    )
    result = train(cfg)
    m = result.metrics
    assert m["test_macro_f1"] >= m["majority_test_macro_f1"] + 0.3, m
    assert m["int8_test_accuracy"] >= m["test_accuracy"] - 0.03, m
    assert m["size_ratio"] >= 3.5, m
    assert result.model_version is not None
