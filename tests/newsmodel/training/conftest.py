"""Training fixtures: the shared ConfliBERT data and one tiny candidate trained per session on the
real MLflow server (Postgres backend store, proxied gs:// artifacts on the GCS emulator)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "conflibert-cameo"


@pytest.fixture(scope="session")
def conflibert_dir() -> Path:
    if not (SHARED_DATA / "train.tsv").is_file():
        pytest.fail(f"labeled data missing: {SHARED_DATA / 'train.tsv'} (see ../shared/data/README.md)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def model_name() -> str:
    """A registered model name of this session's own."""
    return f"news-relation-test-{uuid.uuid4().hex[:8]}"


def tiny_overrides(tracking_uri: str, data_dir: Path, out: Path, registered: str, *extra: str) -> list[str]:
    return [
        "experiment=tiny-smoke",
        f"data.dir={data_dir}",
        f"output_dir={out}",
        f"mlflow.tracking_uri={tracking_uri}",
        f"mlflow.registered_model_name={registered}",
        *extra,
    ]


@pytest.fixture(scope="session")
def tiny_candidate(
    mlflow_server: Any, conflibert_dir: Path, model_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """tiny-bert trained, evaluated, exported, quantized and registered once for the session."""
    from newsmodel.training.config import compose_config
    from newsmodel.training.pipeline import train

    out = tmp_path_factory.mktemp("tiny-bert")
    cfg = compose_config(tiny_overrides(mlflow_server.tracking_uri, conflibert_dir, out, model_name))
    yield train(cfg)
