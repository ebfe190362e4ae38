"""The scripts the images run, on real components: healthcheck probes against a real HTTP
server, Postgres, Redis and processes; the migrate entrypoint and its MLflow guard against
real Postgres databases; the mlflow entrypoint starting a real `mlflow server` (Postgres
backend, proxied gs:// artifacts on the GCS emulator) and Celery beat answering the ping
that the scheduler's healthcheck sends.

No Docker engine runs here, so the scripts run on this machine with the project's
virtualenv first on PATH, which is what the images do with /opt/venv.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.deploy.support import REPO
from tests.support.net import free_port, wait_http_ok
from tests.support.procs import ManagedProcess

HEALTHCHECK = REPO / "services" / "common" / "healthcheck.py"
MIGRATE = REPO / "services" / "migrate" / "entrypoint.sh"
MLFLOW_ENTRYPOINT = REPO / "services" / "mlflow" / "entrypoint.sh"
VENV_BIN = Path(sys.executable).parent


def _env(**extra: str) -> dict[str, str]:
    base = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "console",
        "PYTHONUNBUFFERED": "1",
    }
    return {**base, **extra}


def _run(argv: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- healthcheck ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _healthcheck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, str(HEALTHCHECK), "--timeout", "3", *args], env or _env(), timeout=30)


def test_healthcheck_http(http_server: str) -> None:
    ok = _healthcheck("http", f"{http_server}/health")
    assert ok.returncode == 0 and ok.stdout.startswith("healthy:"), ok.stderr
    bad = _healthcheck("http", f"{http_server}/ready")
    assert bad.returncode == 1 and "answered 503" in bad.stderr
    down = _healthcheck("http", f"http://127.0.0.1:{free_port()}/health")
    assert down.returncode == 1 and "did not answer" in down.stderr


def test_healthcheck_process(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        assert _healthcheck("process", "sleep", "60").returncode == 0
        missing = _healthcheck("process", "crawler", "schedule-that-does-not-run")
        assert missing.returncode == 1 and "no process runs" in missing.stderr
    finally:
        sleeper.kill()
        sleeper.wait()


def test_healthcheck_sql(database_url: str) -> None:
    ok = _healthcheck("sql", env=_env(DATABASE_URL=database_url))
    assert ok.returncode == 0, ok.stderr
    wrong = make_url(database_url).set(host="127.0.0.1", port=free_port(), password="hunter2-secret")
    bad = _healthcheck("sql", env=_env(DATABASE_URL=wrong.render_as_string(hide_password=False)))
    assert bad.returncode == 1
    assert "hunter2-secret" not in bad.stderr and "***" in bad.stderr
    unset = _healthcheck("sql", "--env", "NOT_SET_ANYWHERE")
    assert unset.returncode == 1 and "NOT_SET_ANYWHERE is not set" in unset.stderr


def test_healthcheck_heartbeat(db: str) -> None:
    """The crawler container's probe: its scheduler's row in crawler_heartbeats, by age."""
    from crawler.heartbeat import beat
    from tests.support.db import as_database, session_scope

    env = _env(DATABASE_URL=db)
    never = _healthcheck("heartbeat", "--instance", "crawler-a", env=env)
    assert never.returncode == 1 and "crawler crawler-a never beat" in never.stderr
    started = dt.datetime.now(dt.UTC)
    beat(as_database(db), "crawler-a", started)
    fresh = _healthcheck("heartbeat", "--instance", "crawler-a", "--max-age", "60", env=env)
    assert fresh.returncode == 0, fresh.stderr
    with session_scope(db) as s:
        s.execute(
            text("UPDATE crawler_heartbeats SET beat_at = :t"), {"t": started - dt.timedelta(minutes=5)}
        )
    stale = _healthcheck("heartbeat", "--instance", "crawler-a", "--max-age", "120", env=env)
    assert stale.returncode == 1 and "more than 120s" in stale.stderr
    other = _healthcheck("heartbeat", "--instance", "crawler-b", env=env)
    assert other.returncode == 1  # one replica's beat says nothing about another


def test_healthcheck_tcp(redis_url: str) -> None:
    url = make_url(redis_url.replace("redis://", "postgresql://"))
    assert _healthcheck("tcp", url.host or "127.0.0.1", str(url.port or 6379)).returncode == 0
    assert _healthcheck("tcp", "127.0.0.1", str(free_port())).returncode == 1


# --- migrate: Alembic, then the guarded MLflow upgrade ---------------------------------------


@pytest.fixture
def missing_database(postgres_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """URL of a database that does not exist yet (named like the session's, so orphan
    cleanup finds it); dropped at the end whether the test created it or not."""
    url = postgres_server.url_for(f"nmtest_{os.getpid()}_{secrets.token_hex(3)}")
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


@pytest.fixture
def empty_database(postgres_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _migrate(corpus: str, mlflow_store: str | None) -> subprocess.CompletedProcess[str]:
    env = _env(DATABASE_URL=corpus)
    if mlflow_store is not None:
        env["MLFLOW_BACKEND_STORE_URI"] = mlflow_store
    return _run(["sh", str(MIGRATE), "newsmodel", "db", "upgrade"], env)


def test_migrate_refuses_a_shared_database(empty_database: str) -> None:
    proc = _migrate(empty_database, empty_database)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()], "one clear line, no traceback"
    assert "name the same database" in proc.stderr
    assert _tables(empty_database) == set(), "refused before migrating anything"


def test_migrate_refuses_a_database_with_foreign_tables(empty_database: str, database_url: str) -> None:
    # The corpus database (migrated by the session) is not an MLflow database.
    proc = _migrate(empty_database, database_url)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "not MLflow's" in proc.stderr


def test_migrate_without_mlflow(empty_database: str) -> None:
    proc = _migrate(empty_database, None)
    assert proc.returncode == 0, proc.stderr
    assert "alembic_version" in _tables(empty_database)
    assert "no MLflow database to migrate" in proc.stdout


# --- the whole sequence compose runs: migrate -> mlflow -> migrate again ----------------------


def test_migrate_mlflow_server_and_upgrade_sequence(
    empty_database: str, missing_database: str, gcs_emulator, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, store = empty_database, missing_database

    # 1. First `docker compose up`: corpus migrated, MLflow database created and left empty.
    first = _migrate(corpus, store)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created database" in first.stderr
    assert "mlflow server creates its schema on first start" in first.stdout
    assert "alembic_version" in _tables(corpus)
    assert _tables(store) == set()

    # 2. mlflow through its entrypoint: schema created, artifacts proxied to the emulator.
    port = free_port()
    server = ManagedProcess(
        "mlflow-entrypoint",
        [
            "sh",
            str(MLFLOW_ENTRYPOINT),
            "mlflow",
            "server",
            "--serve-artifacts",
            "--artifacts-destination",
            f"gs://{gcs_emulator.bucket}/mlartifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        tmp_path / "mlflow.log",
        # As the image sets it (services/mlflow/Dockerfile): no GenAI job runner.
        env=_env(
            MLFLOW_BACKEND_STORE_URI=store,
            STORAGE_EMULATOR_HOST=gcs_emulator.host,
            MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
        ),
        cwd=tmp_path,
    ).start()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http_ok(f"{base}/health", 150, "mlflow server", server.alive)
        assert "on the GCS emulator" in server.log_path.read_text()

        # The Host header other containers send is accepted; a foreign one is not.
        search = "/api/2.0/mlflow/experiments/search?max_results=1"
        assert httpx.get(base + search, headers={"Host": "mlflow:5000"}, timeout=90).status_code == 200
        assert httpx.get(base + search, headers={"Host": "evil.example:5000"}, timeout=90).status_code == 403

        # A client with no GCS settings logs an artifact; it lands in the emulator's bucket.
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=base)
        experiment = client.create_experiment(f"deploy-{secrets.token_hex(3)}")
        run = client.create_run(experiment)
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
        client.log_text(run.info.run_id, "proxied", "check/hello.txt")
        blobs = [b.name for b in gcs_emulator.client().list_blobs(gcs_emulator.bucket, prefix="mlartifacts/")]
        assert any(name.endswith(f"{run.info.run_id}/artifacts/check/hello.txt") for name in blobs), blobs
    finally:
        server.stop(timeout=20)
    assert {"experiments", "runs", "alembic_version"} <= _tables(store)

    # 3. Next release: the MLflow schema exists, so `mlflow db upgrade` runs (and succeeds).
    second = _migrate(corpus, store)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "MLflow schema found, upgrading it" in second.stdout


# --- mlflow entrypoint: real GCS vs emulator ----------------------------------------------


def _entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    probe = 'echo "emulator=${STORAGE_EMULATOR_HOST:-unset} hosts=$MLFLOW_SERVER_ALLOWED_HOSTS"'
    return _run(
        ["sh", str(MLFLOW_ENTRYPOINT), "sh", "-c", probe, "--artifacts-destination", "gs://b/mlartifacts"],
        env,
        timeout=30,
    )


def test_mlflow_entrypoint_uses_real_gcs_when_credentials_are_set(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text("{}")
    env = _env(
        MLFLOW_BACKEND_STORE_URI="postgresql+psycopg2://u:p@db/mlflow",
        STORAGE_EMULATOR_HOST="http://gcs:4443",
        GOOGLE_APPLICATION_CREDENTIALS=str(key),
    )
    proc = _entrypoint(env)
    assert proc.returncode == 0, proc.stderr
    assert "emulator=unset" in proc.stdout
    assert "on Google Cloud Storage (key file" in proc.stdout


def test_mlflow_entrypoint_defaults_to_the_emulator_and_service_hosts() -> None:
    env = _env(
        MLFLOW_BACKEND_STORE_URI="postgresql+psycopg2://u:p@db/mlflow",
        STORAGE_EMULATOR_HOST="http://gcs:4443",
    )
    proc = _entrypoint(env)
    assert proc.returncode == 0, proc.stderr
    assert "emulator=http://gcs:4443" in proc.stdout
    assert "hosts=mlflow,mlflow:*," in proc.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set MLFLOW_BACKEND_STORE_URI"),
        (
            {
                "MLFLOW_BACKEND_STORE_URI": "postgresql://x",
                "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent.json",
            },
            "is not a readable file",
        ),
    ],
)
def test_mlflow_entrypoint_refuses_bad_configuration(env: dict[str, str], message: str) -> None:
    proc = _entrypoint(_env(**env))
    assert proc.returncode == 2
    assert message in proc.stderr


# --- scheduler healthcheck: Celery beat answers `inspect ping` as celerybeat@HOST --------------


def test_beat_answers_the_scheduler_healthcheck(redis_url: str, tmp_path: Path) -> None:
    env = _env(
        REDIS_URL=redis_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'beat.db'}",
        NEWSMODEL_STATE_DIR=str(tmp_path),
        API_KEYS="k",
        WEBHOOK_SECRET="w",
    )
    # The scheduler's command from docker-compose.yml, with the schedule file in tmp.
    beat = ManagedProcess(
        "celery beat",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "app.celery_app:celery_app",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
            "--enable-remote-control",
        ],
        tmp_path / "beat.log",
        env=env,
        cwd=REPO,
    ).start()
    node = f"celerybeat@{socket.gethostname()}"
    ping = [
        str(VENV_BIN / "celery"),
        "-A",
        "app.celery_app:celery_app",
        "inspect",
        "ping",
        "-d",
        node,
        "--timeout",
        "5",
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            proc = _run(ping, env, timeout=60)
            if proc.returncode == 0:
                break
            assert beat.alive(), beat.log_tail()
            assert time.monotonic() < deadline, (
                f"beat never answered: {proc.stdout}{proc.stderr}\n{beat.log_tail()}"
            )
            time.sleep(1)
        assert "pong" in proc.stdout
    finally:
        beat.stop()
    # Once beat is gone the same healthcheck fails, which is what marks the container unhealthy.
    assert _run(ping, env, timeout=60).returncode != 0
