"""`make demo`'s script, run twice the way a newcomer runs it (no servers: SQLite corpus, SQLite
MLflow store, jobs in-process).

The first run trains the demo's MiniLM (two short epochs: the one demo candidate that passes
the quality floor), which the gate finds nothing live to compare with, so it is promoted under
the demo's own registered name. The second run is the point: the demo promises to be safe to
run twice. It must dedupe the crawl, skip preprocessed articles, and register the new (tiny)
candidate next to the old version - where the quality floor rejects it, so v1 keeps serving.
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
FIRST = "experiment=demo-minilm"
SECOND = "experiment=tiny-smoke"
DEMO_MODEL = "news-relation-demo"

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
    first = _ok(_demo(state, FIRST))
    assert re.search(r"Done in \d+\.\d min\.", first)
    assert "NO CHAMPION: nothing is live yet, v1 has nothing to be compared with" in first
    assert f"{DEMO_MODEL} version 1 is now Production and alias @champion" in first
    scored = re.search(r"scoring job \S+: succeeded, (\d+) of (\d+) sentences", first)
    assert scored and scored.group(1) == scored.group(2) and int(scored.group(1)) > 100, first[-3000:]
    assert re.search(rf"{DEMO_MODEL} v1 \(the live version.*\): \d+ pairs", first), first[-3000:]
    for url in ("/docs", "/dashboard", "MLflow UI:"):
        assert url in first

    second = _ok(_demo(state, SECOND))
    # Nothing new to crawl or preprocess: the same stories, stored once.
    assert re.search(r"demo-us-daily\s+succeeded\s+\d+\s+\d+\s+\d+\s+0\s+0\s+0", second), second[:4000]
    assert "preprocessed 0 article(s) of 0 pending" in second
    assert f"registered {DEMO_MODEL} version 2" in second
    assert "rejected by the quality floor" in second
    assert "no candidate passed the quality floor: the live version (if any) stays" in second
    assert f"API serves {DEMO_MODEL} v1" in second, second[-4000:]

    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{state / 'mlflow.db'}")
    versions = {str(v.version): v for v in client.search_model_versions(f"name='{DEMO_MODEL}'")}
    assert sorted(versions) == ["1", "2"]
    assert versions["1"].current_stage == "Production" and versions["2"].tags["rejected"] == "true"
    # The demo never touches the serving name.
    assert client.search_model_versions("name='news-relation'") == []
