"""`make demo`'s script, run twice the way a newcomer runs it (no servers: SQLite corpus, SQLite
MLflow store, jobs in-process), with tiny candidates so it fits in CI.

The second run is the point: the demo promises to be safe to run twice. It must dedupe the
crawl, skip preprocessed articles, register new versions next to the old ones and either
promote the new best (archiving the old Production version) or let the gate keep the old one.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import standalone_env

ROOT = Path(__file__).resolve().parents[2]
TINY = "experiment=tiny-smoke;experiment=tiny-smoke model=tiny-electra"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo(state: Path, candidates: str) -> subprocess.CompletedProcess[str]:
    # The demo sets its own DATABASE_URL, MLFLOW_TRACKING_URI and REDIS_URL; nothing of the
    # test session's services may leak in.
    env = standalone_env()
    env.update(
        NEWSMODEL_STATE_DIR=str(state),
        DEMO_EXIT="1",
        DEMO_CANDIDATES=candidates,
        DEMO_API_PORT=str(_free_port()),
        DEMO_MLFLOW_PORT=str(_free_port()),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def _ok(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return run.stdout


def test_demo_runs_end_to_end_and_is_safe_to_run_twice(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    first = _ok(_demo(state, TINY))
    assert re.search(r"Done in \d+\.\d min\.", first)
    assert "news-relation version 1 is now Production and alias @champion" in first
    scored = re.search(r"scoring job \S+: succeeded, (\d+) of (\d+) sentences", first)
    assert scored and scored.group(1) == scored.group(2) and int(scored.group(1)) > 100, first[-3000:]
    assert re.search(r"news-relation v1: \d+ pairs", first)
    for url in ("/docs", "/dashboard", "MLflow UI:"):
        assert url in first

    second = _ok(_demo(state, "experiment=tiny-smoke"))
    # Nothing new to crawl or preprocess: the same stories, stored once.
    assert re.search(r"demo-us-daily\s+succeeded\s+\d+\s+\d+\s+\d+\s+0\s+0\s+0", second), second[:4000]
    assert "preprocessed 0 article(s) of 0 pending" in second
    assert "registered news-relation version 3" in second
    promoted = "news-relation version 3 is now Production and alias @champion; archived version(s) 1"
    assert promoted in second or "the gate kept the current Production version" in second, second[-4000:]

    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{state / 'mlflow.db'}")
    versions = {str(v.version): v.current_stage for v in client.search_model_versions("name='news-relation'")}
    assert sorted(versions) == ["1", "2", "3"]
    assert list(versions.values()).count("Production") == 1
