"""The retraining loop on the real stack: Postgres (queue, advisory lock), the MLflow server
(Postgres backend, gs:// artifacts on the GCS emulator), a tiny candidate trained for real.

A champion is live (the session's tiny candidate, copied under a name of this test's own and
made champion by hand). Two triggers arrive at once and coalesce into one queued run; two
processes' worth of runners (each its own Postgres connection) start at once: one gets the
lock and runs the pipeline, the other is told it is busy. The new version is gated against the
champion on the frozen benchmark and becomes `challenger`; `champion` does not move; the MLflow
run carries its trigger; Postgres records the run, both triggers and the outcome.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsmodel.db.locks import LockBusy
from newsmodel.db.session import Database
from newsmodel.retraining.queue import recent_runs
from newsmodel.retraining.runner import RetrainOutcome, run_pending
from newsmodel.retraining.trigger import RetrainRequest, request_retraining
from newsmodel.settings import get_settings

pytestmark = pytest.mark.slow

# The tiny model is far below the serving floor; the floor is lowered for this candidate only,
# so the gate's own comparison with the champion is what decides.
NO_FLOOR = (
    "quality_floor.min_macro_f1=0;quality_floor.max_int8_loss_points=100;quality_floor.min_size_ratio=0"
)


def _together(*calls: Any) -> list[Any]:
    """Run the calls in threads released at the same instant; their results (or exceptions)."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def call(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # returned to the test, which asserts on it
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results


def test_two_triggers_one_pipeline_a_gated_challenger_and_the_champion_unchanged(
    db: str,
    mlflow_server: Any,
    tiny_candidate: Any,
    model_name: str,
    conflibert_dir: Path,
    tmp_path: Path,
    settings_env: Any,
) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.tracking_uri, registry_uri=mlflow_server.tracking_uri)
    name = f"retrain-{uuid.uuid4().hex[:8]}"
    champion = client.copy_model_version(f"models:/{model_name}/{tiny_candidate.model_version}", name)
    for key, value in client.get_model_version(model_name, tiny_candidate.model_version).tags.items():
        client.set_model_version_tag(name, champion.version, key, value)
    client.set_registered_model_alias(name, "champion", champion.version)
    settings_env(
        DATABASE_URL=db,
        MLFLOW_TRACKING_URI=mlflow_server.tracking_uri,
        NEWSMODEL_STATE_DIR=str(tmp_path / "state"),
        RETRAIN_EXPERIMENTS="tiny-smoke",
        RETRAIN_OVERRIDES=(
            f"data.dir={conflibert_dir};output_dir={tmp_path / 'run'};mlflow.registered_model_name={name};{NO_FLOOR}"
        ),
    )
    settings = get_settings()
    database = Database.connect(db)
    try:
        requests = _together(
            lambda: request_retraining("data", "400 labeled rows imported", db=database),
            lambda: request_retraining("drift", "class shares moved", db=database),
        )
        assert all(isinstance(r, RetrainRequest) for r in requests), requests
        assert len({r.run_id for r in requests}) == 1 and sorted(r.coalesced for r in requests) == [
            False,
            True,
        ]
        # Each runner opens its own database (its own connections), as two processes would.
        ran = _together(lambda: run_pending(settings), lambda: run_pending(settings))
        runs = recent_runs(database)
    finally:
        database.dispose()

    outcomes = [r for r in ran if isinstance(r, RetrainOutcome)]
    assert len(outcomes) == 1 and sum(isinstance(r, LockBusy) for r in ran) == 1, ran
    outcome = outcomes[0]
    assert outcome.outcome == "challenger_set", outcome.line()
    (candidate,) = outcome.candidates
    assert candidate.decision in ("better", "inconclusive") and "clean sentences" in candidate.detail
    assert client.get_model_version_by_alias(name, "challenger").version == outcome.challenger_version
    assert client.get_model_version_by_alias(name, "champion").version == champion.version
    assert outcome.challenger_version != champion.version

    first = next(r for r in requests if not r.coalesced).trigger
    tags = client.get_run(candidate.run_id).data.tags
    assert tags["newsmodel.trigger"] == first and set(tags["newsmodel.triggers"].split(",")) == {
        "data",
        "drift",
    }
    assert tags["newsmodel.retraining_run"] == str(outcome.run_id)
    assert client.get_model_version(name, outcome.challenger_version).tags["newsmodel.trigger"] == first

    (run,) = runs
    assert (run.id, run.status, run.outcome) == (outcome.run_id, "finished", "challenger_set")
    assert run.challenger_version == outcome.challenger_version and run.started_at and run.finished_at
    assert len(run.triggers) == 2 and sum("(coalesced)" in t for t in run.triggers) == 1
    assert run.candidates[0]["run_id"] == candidate.run_id

    import typer

    from newsmodel.commands import retrain

    cli = typer.Typer()
    retrain.register(cli)
    shown = CliRunner().invoke(cli, ["retrain", "status"])
    assert shown.exit_code == 0, shown.output
    assert f"#{run.id} finished challenger_set" in shown.output and "trigger drift" in shown.output
