"""Retraining requests on the embedded store (SQLite, migrated): coalescing, the follow-up run
queued while one runs, a run abandoned by a dead process, and requests that are switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmodel.db.session import Database
from newsmodel.errors import ConfigError
from newsmodel.retraining.queue import claim_next, fail_abandoned, finish_run, recent_runs
from newsmodel.retraining.trigger import request_retraining
from newsmodel.settings import NewsmodelSettings


@pytest.fixture
def queue_db(sqlite_url: str) -> Database:
    return Database.from_url(sqlite_url)


def settings(tmp_path: Path, **values: object) -> NewsmodelSettings:
    return NewsmodelSettings(NEWSMODEL_STATE_DIR=tmp_path, **values)  # type: ignore[call-arg]


def test_requests_coalesce_into_the_queued_run_and_queue_a_follow_up_while_one_runs(
    queue_db: Database, tmp_path: Path
) -> None:
    s = settings(tmp_path)
    first = request_retraining("data", "120 rows imported", db=queue_db, settings=s)
    second = request_retraining("drift", "PSI 0.31 on USA-CHN", db=queue_db, settings=s)
    assert not first.coalesced and second.coalesced and second.run_id == first.run_id
    claimed = claim_next(queue_db)
    assert claimed is not None and claimed.id == first.run_id and claimed.status == "running"
    assert [t.trigger for t in claimed.triggers] == ["data", "drift"]
    later = request_retraining("schedule", "weekly", db=queue_db, settings=s)
    assert later.run_id != first.run_id and not later.coalesced and later.running_id == first.run_id
    assert claim_next(queue_db) is None  # one run at a time: the follow-up waits
    finish_run(queue_db, first.run_id or 0, "gate_refused", "worse", [])
    runs = recent_runs(queue_db)
    assert [(r.id, r.status) for r in runs] == [(later.run_id, "queued"), (first.run_id, "finished")]
    assert runs[1].triggers == ["data: 120 rows imported", "drift (coalesced): PSI 0.31 on USA-CHN"]


def test_a_run_left_running_by_a_dead_process_is_marked_failed(queue_db: Database, tmp_path: Path) -> None:
    request_retraining("manual", "", db=queue_db, settings=settings(tmp_path))
    claimed = claim_next(queue_db)
    assert claimed is not None
    assert fail_abandoned(queue_db) == [claimed.id]
    (run,) = recent_runs(queue_db)
    assert (run.status, run.outcome) == ("failed", "failed") and "interrupted" in run.detail


def test_switched_off_requests_write_nothing_and_unknown_triggers_are_refused(
    queue_db: Database, tmp_path: Path
) -> None:
    off = request_retraining("data", "", db=queue_db, settings=settings(tmp_path, retrain_enabled=False))
    assert off.status == "ignored" and off.run_id is None and "RETRAIN_ENABLED=false" in off.line()
    only_schedule = settings(tmp_path, retrain_triggers="schedule")
    assert request_retraining("drift", "", db=queue_db, settings=only_schedule).status == "ignored"
    assert recent_runs(queue_db) == []
    with pytest.raises(ConfigError, match="unknown retraining trigger 'sometimes'"):
        request_retraining("sometimes", "", db=queue_db, settings=settings(tmp_path))
    with pytest.raises(ValueError, match="unknown trigger"):
        settings(tmp_path, retrain_triggers="schedule,sometimes")


def test_the_worker_tick_requests_a_due_schedule_once_and_runs_it_under_the_file_lock(
    queue_db: Database, tmp_path: Path
) -> None:
    import datetime as dt

    from newsmodel.retraining.worker import tick

    # Hourly (a fire time lies in the last 61 minutes), and nothing to train: the run goes
    # through claim -> record without MLflow.
    s = settings(tmp_path, retrain_schedule="0 * * * *", retrain_experiments="")
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)
    outcome = tick(queue_db, s, started)
    assert outcome is not None and outcome.triggers == ["schedule"]
    assert (outcome.outcome, outcome.detail) == ("failed", "RETRAIN_EXPERIMENTS is empty: nothing to train")
    assert tick(queue_db, s, started) is None  # this fire time has been requested already
    (run,) = recent_runs(queue_db)
    assert run.status == "failed" and run.triggers[0].startswith("schedule: RETRAIN_SCHEDULE 0 * * * * at ")
    assert (tmp_path / "locks" / "newsmodel.retraining.lock").exists()


def test_a_drift_event_on_recent_news_asks_for_one_run_and_a_backfilled_old_one_does_not(
    queue_db: Database, tmp_path: Path
) -> None:
    import datetime as dt

    from app.relations.drift import request_drift_retraining
    from newsmodel.db.models import DriftEvent
    from newsmodel.monitoring.series import DriftUpdate

    today = dt.date.today()

    def update(*days: dt.date) -> DriftUpdate:
        events = [DriftEvent(day=d, statistic="prediction_shares") for d in days]
        return DriftUpdate("news-relation", "3", len(days), 0, 0.1, events)

    s = settings(tmp_path)
    request_drift_retraining(queue_db, s, update(today - dt.timedelta(days=40)))  # a backfill's history
    assert recent_runs(queue_db) == []
    request_drift_retraining(queue_db, s, update(today, today - dt.timedelta(days=40)))
    (run,) = recent_runs(queue_db)
    assert run.triggers == [f"drift: drift on news-relation v3: prediction_shares@{today.isoformat()}"]
