"""Backfill after a promotion, on the real Postgres with real ONNX models and the serving side's
chunk scorer (`app.scoring_jobs.score_chunk`): v1 scores and indexes the history; v2 is promoted; the
backfill rescores every sentence with v2 and builds v2's index; v1's rows stay as they were."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.relations.backfill import BACKFILL_KIND, create_backfill_job, handle_scorer, run_backfill
from newsmodel.db.models import Prediction, RelationIndexRow, ScoringJob, Sentence
from newsmodel.db.session import Database
from tests.app.relations.history import seed_history
from tests.newsmodel.relindex.seed import MODEL
from tests.support.db import session_scope

LAST_DAY = dt.date(2026, 6, 30)


@pytest.fixture
def db(rollback_db: Database) -> Database:
    """Everything here runs in-process: each test's rows are rolled back, not truncated."""
    return rollback_db


def _create(db: Database, version: str) -> tuple[str, bool]:
    with session_scope(db) as session:
        return create_backfill_job(session, MODEL, version)


def _handle(model_dir: Path, version: str) -> Callable[[], Any]:
    from app.model_follower import ModelHandle
    from newsmodel.predictor import OnnxPredictor

    handle = ModelHandle(MODEL, version, "test", OnnxPredictor.from_dir(model_dir), time.time(), 0.0)
    return lambda: handle


def _index(db: Database, version: str) -> dict[tuple[str, str, dt.date], RelationIndexRow]:
    with session_scope(db) as s:
        rows = s.scalars(select(RelationIndexRow).where(RelationIndexRow.model_version == version)).all()
        return {(r.country_a, r.country_b, r.day): r for r in rows}


def _mean_score(rows: dict[Any, RelationIndexRow]) -> float:
    return sum(r.score for r in rows.values()) / len(rows)


def _predictions(db: Database, version: str) -> int:
    with session_scope(db) as s:
        return int(s.scalar(select(func.count()).where(Prediction.model_version == version)) or 0)


def test_backfill_after_promotion_rescores_history_and_keeps_old_rows(
    db: Database, model_dirs: dict[str, Path]
) -> None:
    with session_scope(db) as session:
        history = seed_history(session, LAST_DAY, days=20, versions=())
    # v1 is live: its scoring job (same path as a backfill) reads the whole history.
    job1, created = _create(db, "1")
    assert created
    first = run_backfill(db, job1, handle_scorer(_handle(model_dirs["1"], "1"), chunk_size=64))
    assert (first.status, first.model_version, first.scored) == ("succeeded", "1", history.sentences)
    assert first.index is not None and first.index.rows_written > 0
    v1_before = _index(db, "1")

    # v2 is promoted: the backfill rescores every sentence with v2, then indexes v2.
    job2, created = _create(db, "2")
    assert created and job2 != job1
    second = run_backfill(db, job2, handle_scorer(_handle(model_dirs["2"], "2"), chunk_size=64))
    assert (second.status, second.scored) == ("succeeded", history.sentences)
    assert _predictions(db, "2") == _predictions(db, "1") == history.sentences
    v2 = _index(db, "2")
    assert set(v2) == set(v1_before)  # the same pair-days, now read by v2
    assert all(r.model_version == "2" for r in v2.values())
    # The two versions read the history differently: v2 leans to cooperation.
    assert _mean_score(v2) > _mean_score(v1_before)
    # v1's rows are untouched and still queryable.
    v1_after = _index(db, "1")
    assert {k: (r.id, r.score, r.computed_at) for k, r in v1_after.items()} == {
        k: (r.id, r.score, r.computed_at) for k, r in v1_before.items()
    }
    with session_scope(db) as s:
        kinds = s.scalars(select(ScoringJob.kind).where(ScoringJob.id.in_([job1, job2]))).all()
    assert set(kinds) == {BACKFILL_KIND}

    # Re-running the backfill for v2 scores nothing and recomputes no day.
    job3, _ = _create(db, "2")
    again = run_backfill(db, job3, handle_scorer(_handle(model_dirs["2"], "2"), chunk_size=64))
    assert again.scored == 0 and again.index is not None and again.index.days_recomputed == 0


def test_backfill_for_a_version_that_is_not_live_is_superseded(
    db: Database, model_dirs: dict[str, Path]
) -> None:
    with session_scope(db) as session:
        seed_history(session, LAST_DAY, days=3, versions=())
    job, _ = _create(db, "7")
    report = run_backfill(db, job, handle_scorer(_handle(model_dirs["2"], "2"), chunk_size=64))
    assert report.status == "superseded" and report.index is None
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Prediction)) == 0
        assert s.scalar(select(func.count()).select_from(RelationIndexRow)) == 0
        assert s.scalar(select(func.count()).select_from(Sentence)) > 0


def test_a_promotion_noticed_twice_queues_one_backfill(db: Database) -> None:
    first, created_first = _create(db, "5")
    second, created_second = _create(db, "5")
    other, created_other = _create(db, "6")
    assert (created_first, created_second, created_other) == (True, False, True)
    assert first == second != other
