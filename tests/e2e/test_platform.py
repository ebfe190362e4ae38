"""The whole platform, end to end, on the real services, driven the way a user drives it.

Postgres, Redis, the MLflow server (Postgres backend store, proxied gs:// artifacts on the GCS
emulator), a Celery worker subprocess and the API under uvicorn. Commands a user types run as
subprocesses of the installed console scripts; the API is used over HTTP; promotions go through
the MLflow client, which is what the MLflow UI calls.

crawl the fixture site -> preprocess -> train two tiny candidates (registered under a name of
their own, rejected by the quality floor: smoke configs never reach the serving name) -> two
versions of a model that passes the floor (the committed fixture) under the serving name ->
promote A by stage -> the API serves A -> bulk-score through Celery -> index -> promote B by
alias -> the API and the worker follow -> the index backfills with B, A's rows stay queryable
-> a new source is crawled and scored with B.

Each step's seconds are printed and written to test-artifacts/e2e/timings.json.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from crawler.testing import FixtureSite, serve, write_fixture_sources
from newsmodel.db.models import Article, CrawlRun, ScoringJob, Sentence
from newsmodel.settings import FOCUS_COUNTRIES
from tests.e2e.support import (
    REPO,
    Cli,
    Timings,
    duplicate_articles,
    duplicate_predictions,
    duplicate_sentences,
    get_json,
    predictions_by_version,
    row_counts,
    wait_until,
)
from tests.support.db import session_scope
from tests.support.fixture_model import register_fixture_model
from tests.support.fixtures import STARTUP_SECONDS, TEST_API_KEY
from tests.support.mlflow_server import MlflowServer

pytestmark = pytest.mark.slow

SHARED_DATA = REPO.parent / "shared" / "data"
TIMINGS = REPO / "test-artifacts" / "e2e" / "timings.json"
KEY = {"X-API-Key": TEST_API_KEY}
POLL_S = 1.0
# What the fixture site's four demo sources hold (crawler/testing/site): 8 stories, one of
# them syndicated on a second outlet (10 links).
FIXTURE_ARTICLES, FIXTURE_LINKS = 8, 10
NEW_STORIES = 3  # the source added after the second promotion: /gen/feed.xml?count=3
PROBE = "Seoul and Tokyo signed a trade pact on Monday, and Washington welcomed it."
CANDIDATES = {"A": "tiny-bert", "B": "tiny-electra"}
MODEL_FILES = {"model.int8.onnx", "model.fp32.onnx", "label_map.json", "tokenizer"}
FINAL = {"succeeded", "failed", "cancelled", "superseded"}
EXPERIMENT = "tiny-smoke"  # mlflow.experiment of experiment=tiny-smoke


@pytest.fixture
def site() -> Any:
    with serve("127.0.0.1", 0) as running:
        yield running


def _mlflow(tracking_uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _predict_version(api: httpx.Client) -> tuple[int, Any]:
    r = api.post("/v1/predict", json={"text": PROBE})
    return r.status_code, r.json()


def _served_version(api: httpx.Client) -> str | None:
    status, body = _predict_version(api)
    return str(body["model"]["version"]) if status == 200 else None


def _submit_job(api: httpx.Client) -> str:
    r = api.post("/v1/jobs", json={}, headers=KEY)
    assert r.status_code == 202, r.text
    assert r.json()["runner"] == "celery"
    return str(r.json()["id"])


def _finished_job(api: httpx.Client, job_id: str, timeout: float, log: Callable[[], str]) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = get_json(api, f"/v1/jobs/{job_id}", headers=KEY)
        return job if job["status"] in FINAL else None

    return wait_until(done, timeout, f"job {job_id} to finish", interval=0.5, log=log)


def _sentence_count(url: str) -> int:
    return row_counts(url)["sentences"]


def _crawl_runs(url: str) -> list[tuple[str, int, int]]:
    with session_scope(url) as s:
        return [(r.status, r.new, r.failed) for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))]


def _git_has_commit(sha: str) -> bool:
    probe = subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=REPO, capture_output=True)
    return probe.returncode == 0


def _check_candidate(client: Any, name: str, version: str, model: str) -> dict[str, str]:
    """A registered version carries its run's metrics, tags and the files serving needs."""
    mv = client.get_model_version(name, version)
    run = client.get_run(mv.run_id)
    tags, metrics = mv.tags, run.data.metrics
    assert run.data.tags["model_name"] == model
    assert re.fullmatch(r"[0-9a-f]{40}", tags["git_commit"]), tags
    assert _git_has_commit(tags["git_commit"]), f"tag git_commit {tags['git_commit']} is not a commit here"
    assert tags["dataset_fingerprint"] and tags["dataset_fingerprint"] == run.data.tags["dataset_fingerprint"]
    for key in ("test_macro_f1", "test_accuracy", "int8_test_accuracy", "parity_max_abs_diff"):
        assert key in metrics, f"{model} run has no metric {key}"
    assert 0.0 <= metrics["test_macro_f1"] <= 1.0 and 0.0 <= metrics["int8_test_accuracy"] <= 1.0
    assert float(tags["test_macro_f1"]) == pytest.approx(metrics["test_macro_f1"], abs=1e-4)
    assert tags["rejected"] == "true" and tags["rejected_reasons"], tags  # tiny models are below the floor
    import mlflow.artifacts

    # The version is its run's model/ folder: serving files at its root (older versions: artifacts/).
    root = str(client.get_model_version_download_uri(name, version)).rstrip("/")
    files = {Path(a.path).name for a in mlflow.artifacts.list_artifacts(artifact_uri=root)}
    if "artifacts" in files:
        files = {Path(a.path).name for a in mlflow.artifacts.list_artifacts(artifact_uri=f"{root}/artifacts")}
    assert files >= MODEL_FILES, f"{model} v{version} lacks {MODEL_FILES - files}"
    tokenizer = {Path(a.path).name for a in mlflow.artifacts.list_artifacts(artifact_uri=f"{root}/tokenizer")}
    assert "tokenizer.json" in tokenizer, tokenizer
    return {"fingerprint": tags["dataset_fingerprint"], "macro_f1": f"{metrics['test_macro_f1']:.4f}"}


def _experiment_made(client: Any, proc: subprocess.Popen[str]) -> bool:
    """The training run created its experiment (or already exited: its error is read later)."""
    return client.get_experiment_by_name(EXPERIMENT) is not None or proc.poll() is not None


def _write_new_source(site: FixtureSite, path: Path) -> Path:
    """What a user adds to sources.yaml: one more RSS source (here the fixture site's generator)."""
    entry = {
        "name": "fixture-wire-generated",
        "country": "KOR",
        "category": "outlet",
        "kind": "rss",
        "urls": [site.url(f"/gen/feed.xml?count={NEW_STORIES}")],
        "language": "en",
        "allowed_hosts": [site.netloc],
        "verified": True,
        "schedule": "every 60m",
    }
    path.write_text(yaml.safe_dump({"sources": [entry]}, sort_keys=False), encoding="utf-8")
    return path


def test_crawl_to_index_with_two_promotions(
    db: str,
    mlflow_server: MlflowServer,
    service_env: dict[str, str],
    start_uvicorn: Callable[..., Any],
    start_celery_worker: Callable[..., Any],
    site: FixtureSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a user's shell: MLflow's run-artifact listing resolves logged models through the
    # default tracking URI, not the client's (without this it reads ./mlflow.db).
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.tracking_uri)
    # An earlier test in the same process may have set MLflow's global URI, which wins over
    # the variable: point it here too, and restore it (unset or not) afterwards.
    from mlflow.tracking._tracking_service import utils as mlflow_tracking_utils

    monkeypatch.setattr(mlflow_tracking_utils, "_tracking_uri", mlflow_server.tracking_uri)
    if not (SHARED_DATA / "conflibert-cameo" / "train.tsv").is_file():
        pytest.fail(
            f"labeled data missing: {SHARED_DATA}/conflibert-cameo/train.tsv (../shared/data/README.md)"
        )
    timings = Timings(TIMINGS)
    timings.note(service_startup_s={k: round(v, 1) for k, v in STARTUP_SECONDS.items()})
    outcome = "failed"
    try:
        _run_platform(
            db, mlflow_server, service_env, start_uvicorn, start_celery_worker, site, tmp_path, timings
        )
        outcome = "passed"
    finally:
        timings.write(outcome)


def _run_platform(
    db: str,
    mlflow_server: MlflowServer,
    service_env: dict[str, str],
    start_uvicorn: Callable[..., Any],
    start_celery_worker: Callable[..., Any],
    site: FixtureSite,
    tmp_path: Path,
    timings: Timings,
) -> None:
    name = f"e2e-relation-{uuid.uuid4().hex[:8]}"
    env = {
        **service_env,
        "DATABASE_URL": db,
        "REGISTERED_MODEL_NAME": name,
        "NEWSMODEL_DATA_DIR": str(SHARED_DATA),
        # The fixture site lives on loopback; politeness intervals are for real hosts.
        "CRAWLER_ALLOW_PRIVATE_ADDRESSES": "true",
        "CRAWLER_PER_HOST_MIN_INTERVAL_S": "0",
        "CRAWLER_PER_HOST_CONCURRENCY": "4",
        "APP_POLL_INTERVAL_S": str(POLL_S),
        "APP_SCORE_CHUNK_SIZE": "8",
        "APP_ORT_INTRA_OP_THREADS": "1",
    }
    # The worker polls the registry at the default 30 s, the API every second (standing in for
    # the MLflow webhook): a promotion reaches the API first and its backfill request reaches a
    # worker still on the old version, the worst case of two processes following on their own.
    worker_env = {k: v for k, v in env.items() if k != "APP_POLL_INTERVAL_S"}
    cli = Cli(env)
    mlflow = _mlflow(mlflow_server.tracking_uri)
    timings.note(registered_model=name)

    # 1. Crawl the fixture news site with its demo sources.
    with timings.step("1 crawl (crawler run)"):
        sources = write_fixture_sources(site, tmp_path / "sources.yaml")
        out = cli.run("crawler", "run", "--sources-file", str(sources), timeout=90)
    counts = row_counts(db)
    assert counts["articles"] == FIXTURE_ARTICLES and counts["article_links"] == FIXTURE_LINKS, (counts, out)
    assert duplicate_articles(db) == []
    runs = _crawl_runs(db)
    assert [status for status, _, _ in runs] == ["succeeded"] * 4, runs
    assert sum(new for _, new, _ in runs) == FIXTURE_ARTICLES

    # 2. Preprocess: articles -> sentence rows with country pairs.
    with timings.step("2 preprocess (newsmodel preprocess)"):
        out = cli.run("newsmodel", "preprocess", timeout=120)
    sentences = _sentence_count(db)
    assert sentences > 0, out
    assert duplicate_sentences(db) == []
    with session_scope(db) as s:
        pairs = {(a, b) for a, b in s.execute(select(Sentence.country_a, Sentence.country_b))}
        pending = s.scalars(select(Article.id).where(Article.preprocessed_at.is_(None))).all()
    assert pending == []
    assert pairs and all(a < b and {a, b} <= set(FOCUS_COUNTRIES) for a, b in pairs), pairs
    timings.note(articles=FIXTURE_ARTICLES, sentences=sentences, pairs=sorted(f"{a}-{b}" for a, b in pairs))

    # 3. Train two candidates while the API and the worker come up (nothing promoted yet). A smoke
    # config may not take the serving name: they register under a name of their own.
    candidates_name = f"{name}-tiny"
    with timings.step("3 train 2 candidates (newsmodel train, concurrent) + start api/worker"):
        trainings: dict[str, subprocess.Popen[str]] = {}
        try:
            for key, model in CANDIDATES.items():
                proc = trainings[key] = cli.start(
                    "newsmodel",
                    "train",
                    "experiment=tiny-smoke",
                    f"model={model}",
                    f"mlflow.registered_model_name={candidates_name}",
                )
                # Two first runs at once race to create the experiment (get-or-create is not
                # atomic in newsmodel.registry.tracking.ensure_experiment): let the first make it.
                wait_until(
                    partial(_experiment_made, mlflow, proc), 120, f"the MLflow experiment {EXPERIMENT!r}"
                )
            with timings.step("3a start api (uvicorn) + worker (celery)"):
                server = start_uvicorn(env=env, timeout=120)
                worker = start_celery_worker(env=worker_env, timeout=120)
            outputs = {key: cli.finish(proc, timeout=240) for key, proc in trainings.items()}
        finally:
            for proc in trainings.values():
                if proc.poll() is None:
                    proc.kill()
    tiny: dict[str, str] = {}
    for key, text in outputs.items():
        found = re.search(rf"registered {re.escape(candidates_name)} version (\d+)", text)
        assert found, f"{CANDIDATES[key]} did not register a version:\n{text}"
        assert "rejected by the quality floor" in text, text
        tiny[key] = found.group(1)
    checked = {
        key: _check_candidate(mlflow, candidates_name, tiny[key], CANDIDATES[key]) for key in CANDIDATES
    }
    assert checked["A"]["fingerprint"] == checked["B"]["fingerprint"]  # same data, same split
    assert mlflow.search_model_versions(f"name='{name}'") == []  # nothing reached the serving name
    timings.note(test_macro_f1={CANDIDATES[k]: v["macro_f1"] for k, v in checked.items()})
    # Versions that pass the floor, under the serving name: the committed MiniLM fixture, twice.
    with timings.step("3b register 2 versions that pass the quality floor"):
        a = register_fixture_model(mlflow_server.tracking_uri, name)
        b = register_fixture_model(mlflow_server.tracking_uri, name)
    assert a.verdict.passed and b.verdict.passed
    timings.note(versions={"A": a, "B": b})

    api = httpx.Client(base_url=server.url, timeout=30)
    try:
        # Nothing promoted: 503 with the how-to-promote line.
        status, body = _predict_version(api)
        assert status == 503, body
        assert name in body["detail"] and "champion" in body["detail"] and "Production" in body["detail"]
        assert get_json(api, "/v1/model")["serving"] is None
        assert get_json(api, "/ready", status=503)["checks"]["model"]["ok"] is False

        # 4. Promote A by stage only (archive existing), as the stage dialog of the MLflow UI does.
        with timings.step("4 promote A by stage -> API serves A"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                mlflow.transition_model_version_stage(name, a, "Production", archive_existing_versions=True)
            wait_until(
                lambda: (get_json(api, "/v1/model")["serving"] or {}).get("version") == a,
                60,
                f"the API to serve v{a}",
                log=server.log_tail,
            )
        serving = get_json(api, "/v1/model")["serving"]
        assert serving["via"] == "stage Production", serving
        status, body = _predict_version(api)
        assert status == 200 and (body["model"]["name"], body["model"]["version"]) == (name, a), body
        assert body["model"]["variant"] == "int8" and len(body["model"]["artifact_sha256"]) == 64, body
        assert body["predictions"][0]["country_pairs"], body
        assert get_json(api, "/ready")["checks"]["model"]["ok"] is True

        # 5. Bulk-score every sentence through the Celery worker.
        with timings.step("5 bulk score with A (POST /v1/jobs, celery)"):
            job = _finished_job(api, _submit_job(api), 120, worker.log_tail)
        assert job["status"] == "succeeded" and job["model_version"] == a, job
        assert job["done"] == job["total"] == sentences, job
        assert predictions_by_version(db, name) == {a: sentences}
        assert duplicate_predictions(db) == []

        # 6. Build the index of A and read it over HTTP.
        with timings.step("6 index build A (newsmodel index build)"):
            out = cli.run("newsmodel", "index", "build", "--model-version", a, timeout=60)
        relations = get_json(api, "/v1/relations")
        assert relations["model_version"] == a and relations["pairs"], (relations, out)
        assert {p["pair"] for p in relations["pairs"]} <= {f"{x}-{y}" for x, y in pairs}
        pair = relations["pairs"][0]["pair"]
        series_a = get_json(api, f"/v1/relations/{pair}", model_version=a)
        assert series_a["points"], series_a

        # 7. Promote B by alias only, as the default MLflow UI does. The API follows within the
        # poll interval, asks the workers for a backfill, the worker follows and rescores.
        with timings.step("7 promote B by alias -> API serves B"):
            promoted = time.monotonic()
            mlflow.set_registered_model_alias(name, "champion", b)
            wait_until(lambda: _served_version(api) == b, 60, f"predict to answer v{b}", log=server.log_tail)
            switch_s = time.monotonic() - promoted
        serving = get_json(api, "/v1/model")["serving"]
        assert serving["via"] == "alias champion", serving
        timings.note(alias_to_served_s=round(switch_s, 2), model_load_s=serving.get("load_seconds"))
        assert switch_s <= POLL_S + float(serving.get("load_seconds") or 0) + 10, switch_s

        with timings.step("8 backfill with B (worker) -> index B"):
            backfill_id = wait_until(
                lambda: _backfill_job(db, name, b), 60, f"a backfill job for v{b}", log=server.log_tail
            )
            backfill = _finished_job(api, backfill_id, 120, worker.log_tail)
            assert backfill["status"] == "succeeded", backfill
            assert backfill["model_version"] == b and backfill["done"] == sentences, backfill
            relations_b = wait_until(
                lambda: _relations(api, b), 60, f"the index of v{b}", interval=0.5, log=worker.log_tail
            )
        assert relations_b["model_version"] == b
        # Same sentences, so the same pairs, scored by the other model.
        assert {p["pair"] for p in relations_b["pairs"]} == {p["pair"] for p in relations["pairs"]}
        assert get_json(api, "/v1/relations")["model_version"] == b  # the live version's index is the default
        assert {v["model_version"] for v in relations_b["versions"]} >= {a, b}
        assert predictions_by_version(db, name) == {a: sentences, b: sentences}
        assert duplicate_predictions(db) == []
        # A's index is still there, unchanged, for anyone comparing the two models.
        # (Only the live-state fields around it moved: is_live, switches, backfill.)
        series_a_after = get_json(api, f"/v1/relations/{pair}", model_version=a)
        assert series_a_after["points"] == series_a["points"], (series_a_after, series_a)
        assert series_a_after["model_version"] == a and series_a_after["is_live"] is False
        assert get_json(api, "/v1/relations", model_version=a)["pairs"] == relations["pairs"]
        assert get_json(api, f"/v1/relations/{pair}", model_version=b)["model_version"] == b

        # 9. News keeps coming: a new source is crawled and scored, by B, through a new job.
        with timings.step("9 new source -> crawl, preprocess, score with B"):
            added = _write_new_source(site, tmp_path / "more-sources.yaml")
            cli.run("crawler", "run", "--sources-file", str(added), timeout=90)
            cli.run("newsmodel", "preprocess", timeout=120)
            total = _sentence_count(db)
            assert total > sentences
            job = _finished_job(api, _submit_job(api), 120, worker.log_tail)
        assert row_counts(db)["articles"] == FIXTURE_ARTICLES + NEW_STORIES
        assert job["status"] == "succeeded" and job["model_version"] == b, job
        assert job["done"] == total - sentences, job
        assert predictions_by_version(db, name) == {a: sentences, b: total}
        assert duplicate_predictions(db) == []
        timings.note(sentences_after_new_source=total)
    finally:
        api.close()


def _backfill_job(url: str, model_name: str, version: str) -> str | None:
    with session_scope(url) as s:
        return s.scalar(
            select(ScoringJob.id).where(
                ScoringJob.kind == "backfill",
                ScoringJob.model_name == model_name,
                ScoringJob.model_version == version,
            )
        )


def _relations(api: httpx.Client, version: str) -> dict[str, Any] | None:
    r = api.get("/v1/relations", params={"model_version": version})
    return r.json() if r.status_code == 200 else None
