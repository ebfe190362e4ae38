"""`newsmodel gate` on the real stack (MLflow server on Postgres, gs:// artifacts on the GCS emulator).

Versions of one registered model: v1 the session's tiny candidate (rejected by the floor, made
champion by hand as a person could in the UI), v2 and v3 the committed MiniLM fixture (passes
the floor). A comparison that includes sentences a version trained on is refused; a clean one
decides on its interval; identical models are inconclusive; too few sentences are refused.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixture_model import fixture_report, register_fixture_model

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class GateModel:
    name: str
    tracking_uri: str
    tiny: str
    fixture: str
    twin: str

    def client(self) -> Any:
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def champion(self, version: str) -> None:
        """Set by hand (as in the MLflow UI): the CLI refuses to promote a rejected version."""
        self.client().set_registered_model_alias(self.name, "champion", version)

    def alias(self, alias: str) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client().get_model_version_by_alias(self.name, alias).version)
        except MlflowException:
            return None


@pytest.fixture(scope="module")
def gate_model(mlflow_server: Any, tiny_candidate: Any, model_name: str) -> GateModel:
    from mlflow.tracking import MlflowClient

    name = f"gate-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(tracking_uri=mlflow_server.tracking_uri, registry_uri=mlflow_server.tracking_uri)
    copied = client.copy_model_version(f"models:/{model_name}/{tiny_candidate.model_version}", name)
    source = client.get_model_version(model_name, tiny_candidate.model_version)
    for key, value in source.tags.items():
        client.set_model_version_tag(name, copied.version, key, value)
    fixture = register_fixture_model(mlflow_server.tracking_uri, name)
    twin = register_fixture_model(mlflow_server.tracking_uri, name)
    assert fixture.verdict.passed, fixture.verdict.reasons
    return GateModel(name, mlflow_server.tracking_uri, str(copied.version), fixture, twin)


def _gate(model: GateModel, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": model.tracking_uri, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "gate", model.name, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _interval(line: str) -> tuple[float, float, float]:
    found = re.search(r"difference ([+-]\d\.\d{4}), 95% CI \[([+-]\d\.\d{4}), ([+-]\d\.\d{4})\]", line)
    assert found, line
    diff, low, high = (float(g) for g in found.groups())
    return diff, low, high


def test_a_comparison_including_sentences_a_version_trained_on_is_refused(
    gate_model: GateModel, conflibert_dir: Path
) -> None:
    """The fixture's test split was drawn from the whole pool; the tiny champion trained on a
    400-sentence sample of the same pool: many of those test sentences are in its training data."""
    gate_model.champion(gate_model.tiny)
    out = _gate(gate_model, gate_model.fixture, "--with-test-split", "--data-dir", str(conflibert_dir))
    assert out.returncode == 2, out.stdout + out.stderr
    line = out.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in out.stderr
    found = re.search(
        r"refused: (\d+) of (\d+) comparison sentences were in the training or validation", line
    )
    assert found, line
    assert int(found.group(1)) > 0 and int(found.group(2)) == 270 + fixture_report()["data"]["sizes"]["test"]
    assert f"v{gate_model.tiny} (champion): {found.group(1)}" in line and "drop --with-test-split" in line
    assert gate_model.alias("challenger") is None


def test_a_clean_comparison_decides_on_the_interval_and_makes_a_challenger(
    gate_model: GateModel, conflibert_dir: Path
) -> None:
    gate_model.champion(gate_model.tiny)
    out = _gate(gate_model, gate_model.fixture, "--data-dir", str(conflibert_dir))
    assert out.returncode == 0, out.stdout + out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith(f"BETTER: v{gate_model.fixture} macro-F1 ")
    assert f"vs champion v{gate_model.tiny} (alias champion)" in line
    assert "on 270 clean sentences (benchmark conflibert-relation3@1: 270)" in line
    diff, low, high = _interval(line)
    assert 0 < low <= diff <= high
    # The candidate's figure is the fixture's own measurement on the same benchmark: the committed
    # one up to the CPU's int8 kernels (measured: 0.8509 on AVX-512 VNNI, 0.8384 on an AVX2-only
    # CPU, where ONNX Runtime's u8s8 products can saturate), so within 0.02 of it.
    candidate = float(re.search(r"macro-F1 (\d\.\d{4}) vs", line).group(1))  # type: ignore[union-attr]
    assert abs(candidate - fixture_report()["benchmark"]["int8"]["macro_f1"]) <= 0.02
    assert gate_model.alias("challenger") == gate_model.fixture
    assert gate_model.alias("champion") == gate_model.tiny  # promotion stays a person's act
    client = gate_model.client()
    tags = client.get_model_version(gate_model.name, gate_model.fixture).tags
    assert tags["gate_decision"] == "better" and tags["gate_champion"] == gate_model.tiny
    runs = client.search_runs(
        [client.get_experiment_by_name("fixture-models").experiment_id],
        filter_string="tags.`newsmodel.kind` = 'gate'",
    )
    logged = {r.info.run_name: r.data.metrics for r in runs}
    metrics = logged[f"gate-v{gate_model.fixture}-vs-v{gate_model.tiny}"]
    assert metrics["macro_f1_diff_ci_low"] == pytest.approx(low, abs=1e-4)
    assert metrics["clean_sentences"] == 270


def test_an_indistinguishable_candidate_is_inconclusive_keeps_the_champion_and_becomes_challenger(
    gate_model: GateModel, conflibert_dir: Path
) -> None:
    gate_model.champion(gate_model.fixture)
    out = _gate(gate_model, gate_model.twin, "--data-dir", str(conflibert_dir))
    assert out.returncode == 3, out.stdout + out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("INCONCLUSIVE:") and "the interval straddles zero; the champion stays" in line
    assert _interval(line) == (0.0, 0.0, 0.0)
    assert gate_model.alias("champion") == gate_model.fixture
    assert gate_model.alias("challenger") == gate_model.twin


def test_too_few_clean_sentences_and_a_rejected_candidate_are_refused(
    gate_model: GateModel, conflibert_dir: Path
) -> None:
    gate_model.champion(gate_model.fixture)
    few = _gate(gate_model, gate_model.twin, "--min-clean", "300", "--data-dir", str(conflibert_dir))
    assert few.returncode == 2 and "only 270 clean comparison sentences" in few.stderr, few.stderr
    assert "fewer than the minimum 300" in few.stderr
    rejected = _gate(gate_model, gate_model.tiny, "--data-dir", str(conflibert_dir))
    assert rejected.returncode == 2 and "is rejected by the quality floor (int8 macro-F1" in rejected.stderr
    promote = subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "promote", gate_model.name, gate_model.tiny],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MLFLOW_TRACKING_URI": gate_model.tracking_uri},
    )
    assert promote.returncode == 2 and "is rejected by the quality floor" in promote.stderr
    assert gate_model.alias("champion") == gate_model.fixture
