"""One seeded database and one app server for the read-only API and dashboard tests.

The API and browser tests only read, so they share (package scope) a database of their own,
created on the session's Postgres server, seeded with 45 days of history read by model
versions 1 and 2, indexed, and served by uvicorn running the real app. Tests that write
(backfill, tasks) use the per-test `db` fixture instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsmodel.labels.schemes import QUAD5
from newsmodel.monitoring import ClassReference, DriftThresholds, update_drift
from newsmodel.relindex import build_index
from tests.app.relations.history import History, seed_history
from tests.newsmodel.relindex.seed import MODEL
from tests.support.db import as_database, dispose_database, session_scope
from tests.support.fixtures import TEST_API_KEY, TEST_WEBHOOK_SECRET
from tests.support.postgres import PostgresInstance
from tests.support.services import UvicornServer

LAST_DAY = dt.date(2026, 5, 31)
DRIFT_THRESHOLDS = DriftThresholds(min_sentences=10, min_reference_sentences=100)
DRIFT_BENCHMARK = ClassReference(
    {label: 900.0 if label == "neutral" else 25.0 for label in QUAD5.labels}, "benchmark (test)"
)
APP_FACTORY = "tests.app.relations.app_factory:create_relations_app"


@dataclass(frozen=True)
class SeededIndex:
    database_url: str
    history: History


@dataclass(frozen=True)
class RelationsServer:
    url: str
    log_path: Path
    seeded: SeededIndex


def app_env(database_url: str, state_dir: Path) -> dict[str, str]:
    """Embedded-mode app (no Redis: jobs in-process) on the given database."""
    return {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "API_KEYS": TEST_API_KEY,
        "WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "NEWSMODEL_STATE_DIR": str(state_dir),
        "LOG_FORMAT": "console",
    }


@pytest.fixture(scope="package")
def seeded_index(postgres_server: PostgresInstance) -> Iterator[SeededIndex]:
    from newsmodel.db.migrate import upgrade

    url = postgres_server.create_database()
    try:
        upgrade(url)
        with session_scope(url) as session:
            history = seed_history(session, LAST_DAY, versions=("1", "2"))
        build_index(as_database(url), model_name=MODEL, model_version="1")
        build_index(as_database(url), model_name=MODEL, model_version="2")
        # drift as the index task computes it (a small history: days of ~20 sentences are judged),
        # against a "benchmark" that predicted mostly neutral: v2's class shares drift from it
        update_drift(
            as_database(url),
            model_name=MODEL,
            model_version="2",
            thresholds=DRIFT_THRESHOLDS,
            class_reference=DRIFT_BENCHMARK,
        )
        yield SeededIndex(url, history)
    finally:
        dispose_database(url)
        postgres_server.drop_database(url)


@pytest.fixture(scope="package")
def relations_server(
    seeded_index: SeededIndex, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RelationsServer]:
    workdir = tmp_path_factory.mktemp("relations-app")
    server = UvicornServer(APP_FACTORY, workdir, env=app_env(seeded_index.database_url, workdir / "state"))
    server.start(health_path="/health", timeout=90)
    try:
        yield RelationsServer(server.url, server.log_path, seeded_index)
    finally:
        server.stop()


@pytest.fixture(scope="package")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny relation3 ONNX models that disagree: "1" leans to conflict, "2" to cooperation."""
    from tests.app.model_factory import build_model_dir

    root = tmp_path_factory.mktemp("relations-models")
    return {
        "1": build_model_dir(root / "v1", seed=1, favour_label=0),
        "2": build_model_dir(root / "v2", seed=2, favour_label=2),
    }
