"""Optuna sweeps on real Postgres (RDB storage) and the real MLflow server: a study with a
pruned trial, resumed and joined by two more workers, every trial nested under one parent run
with the study's plots; `--multirun` grids through Optuna's GridSampler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsmodel.training.sweep import grid_space, parse_sweep_overrides

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "conflibert-cameo"


def test_multirun_overrides_become_a_grid() -> None:
    plain, sweeps = parse_sweep_overrides(["model=tiny-bert,tiny-electra", "trainer.lr=1e-4,3e-4", "seed=1"])
    assert plain == ["seed=1"] and sweeps == {
        "model": ["tiny-bert", "tiny-electra"],
        "trainer.lr": ["0.0001", "0.0003"],
    }
    assert len(grid_space(sweeps)) == 4 and ["model=tiny-electra", "trainer.lr=0.0003"] in grid_space(sweeps)


@pytest.mark.slow
def test_study_prunes_resumes_and_shares_workers(
    mlflow_server: Any, postgres_server: Any, tmp_path: Path
) -> None:
    import optuna
    from mlflow.tracking import MlflowClient

    from newsmodel.training.config import compose_config
    from newsmodel.training.sweep import PARENT_ATTR, run_sweep

    storage = postgres_server.create_database()
    base = [
        "experiment=tiny-smoke",
        "sweep=tiny-smoke",
        f"data.dir={DATA}",
        "trainer.max_steps=null",
        "trainer.epochs=3",
        f"mlflow.tracking_uri={mlflow_server.tracking_uri}",
        "mlflow.experiment=sweep-test",
        f"sweep.storage={storage}",
        "sweep.study_name=sweep-test",
    ]
    cfg = compose_config(base)
    cfg.sweep.params["trainer.lr"].low = 1e-7
    study = optuna.create_study(study_name="sweep-test", storage=storage, direction="maximize")
    good = {"trainer.lr": 3e-3, "trainer.label_smoothing": 0.0, "model.dropout": 0.0}
    for params in (good, {**good, "model.dropout": 0.1}, {**good, "trainer.lr": 1e-7}):
        study.enqueue_trial(params)
    first = run_sweep(cfg, base, n_trials=3)
    assert (first.trials, first.completed, first.pruned) == (3, 2, 1)

    client = MlflowClient(mlflow_server.tracking_uri)
    parent = client.get_run(first.parent_run_id)
    assert parent.data.tags["newsmodel.kind"] == "sweep" and "best_overrides" in parent.data.tags
    assert {a.path for a in client.list_artifacts(first.parent_run_id, "plots")} >= {
        "plots/optimization_history.png",
        "plots/parallel_coordinates.png",
        "plots/param_importances.png",
    }

    # Two more workers join the same study (same name, same Postgres) until it holds 5 trials.
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow_server.tracking_uri,
        "NEWSMODEL_STATE_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "newsmodel.cli", "sweep", *base, "--n-trials", "5"]
    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=900)
        assert worker.returncode == 0, err[-2000:]
        assert "study sweep-test" in out
    study = optuna.load_study(study_name="sweep-test", storage=storage)
    finished = [
        t
        for t in study.trials
        if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    ]
    assert 5 <= len(finished) <= 6  # a worker that started its last trial before the other finished
    assert study.user_attrs[PARENT_ATTR] == first.parent_run_id
    runs = client.search_runs(
        [parent.info.experiment_id], filter_string="tags.`newsmodel.kind` = 'sweep-trial'", max_results=50
    )
    assert len(runs) == len(study.trials)
    assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {first.parent_run_id}
    pruned = [r for r in runs if r.data.tags.get("optuna.state") == "PRUNED"]
    assert pruned and all(r.info.status == "KILLED" for r in pruned)
    assert all(len(client.get_metric_history(r.info.run_id, "val_macro_f1")) >= 1 for r in runs)
