"""`make demo`: the whole platform on one machine with no servers, end to end, in minutes.

Runs each stage as the command a person would type (so crawler, newsmodel and app stay
decoupled, as in production): migrate a SQLite database, serve the crawler's fixture news site
on loopback and crawl it (or the real sources with DEMO_LIVE=1), preprocess, import the
ConfliBERT labels, train the demo candidates, compare, register, gate + promote the best, start
the API, score the crawled sentences, build the relation index, and print where to look.
Safe to run twice: every stage is incremental or idempotent. DEMO_RETRAIN=1 also runs the
retraining loop in-process once the champion is live (one more candidate: a few CPU minutes).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STATE = Path(os.environ.get("NEWSMODEL_STATE_DIR", ROOT / "var" / "demo")).resolve()
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()
# Each candidate is one `newsmodel train` command line (overrides), separated by ";".
CANDIDATES = [
    c.split()
    for c in os.environ.get(
        "DEMO_CANDIDATES", "experiment=demo-minilm;experiment=demo-electra;experiment=demo-mobilebert"
    ).split(";")
    if c.strip()
]
# The demo's candidates are not deployable (a few CPU minutes of training): they register under
# a name of their own, never the serving name (REGISTERED_MODEL_NAME), and only the demo's API
# process is pointed at that name.
DEMO_MODEL = os.environ.get("DEMO_MODEL_NAME", "news-relation-demo")
API_PORT = int(os.environ.get("DEMO_API_PORT", "8000"))
MLFLOW_PORT = int(os.environ.get("DEMO_MLFLOW_PORT", "5000"))
STARTED = time.perf_counter()


def say(msg: str) -> None:
    print(f"\n[demo {time.perf_counter() - STARTED:6.1f}s] {msg}", flush=True)


def demo_env() -> dict[str, str]:
    """The embedded default: SQLite corpus + SQLite MLflow store + local artifacts, no Redis."""
    env = dict(os.environ)
    env.update(
        NEWSMODEL_STATE_DIR=str(STATE),
        DATABASE_URL=f"sqlite:///{STATE / 'newsmodel.db'}",
        MLFLOW_TRACKING_URI=f"sqlite:///{STATE / 'mlflow.db'}",
        ARTIFACT_ROOT=(STATE / "mlartifacts").as_uri(),
        REDIS_URL="",
        ENVIRONMENT="development",
        HF_HUB_OFFLINE=env.get("HF_HUB_OFFLINE", "1"),
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
        COLUMNS=env.get("COLUMNS", "150"),  # tables print unwrapped when stdout is not a terminal
        # Artifacts are copied from a local folder in milliseconds: no progress bars for them.
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
        # `mlflow ui` without MLflow 3's GenAI job runner: 2 processes and ~0.5 GB instead of
        # 10 and ~2.3 GB, ready in ~6 s instead of ~8-11 s on 2 cores.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
    )
    if "NEWSMODEL_DATA_DIR" not in os.environ and (SHARED_DATA / "conflibert-cameo").is_dir():
        env["NEWSMODEL_DATA_DIR"] = str(SHARED_DATA)
    if not os.environ.get("DEMO_LIVE"):
        env["CRAWLER_ALLOW_PRIVATE_ADDRESSES"] = "true"  # the fixture site lives on loopback
        # Our own loopback site: politeness stays on (robots, per-host limits) at a faster pace.
        env.setdefault("CRAWLER_PER_HOST_MIN_INTERVAL_S", "0.1")
    return env


ENV = demo_env()


def run(*args: str, capture: bool = False) -> str:
    """Run one pipeline command, its output shown live; stop the demo if it fails.

    With `capture`, stdout is also returned (tee); stderr (progress bars, logs) goes straight through.
    """
    cmd = [str(BIN / args[0]) if (BIN / args[0]).exists() else args[0], *args[1:]]
    print(f"$ {' '.join(args)}", flush=True)
    if not capture:
        returncode, out = subprocess.run(cmd, cwd=ROOT, env=ENV).returncode, ""
    else:
        lines = []
        with subprocess.Popen(cmd, cwd=ROOT, env=ENV, text=True, stdout=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(line)
        returncode, out = proc.returncode, "".join(lines)
    if returncode != 0:
        sys.exit(f"demo stopped: `{' '.join(args)}` exited {returncode}")
    return out


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


class Background:
    """A long-running process started for the demo's lifetime (the API, the MLflow UI)."""

    def __init__(
        self, name: str, *args: str, ready_url: str, timeout_s: float = 90, env: dict[str, str] | None = None
    ) -> None:
        self.name, self.ready_url, self.timeout_s = name, ready_url, timeout_s
        self.log = (STATE / "logs" / f"{name}.log").open("w")
        cmd = [str(BIN / args[0]) if (BIN / args[0]).exists() else args[0], *args[1:]]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env or ENV, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started = time.monotonic()

    def wait_ready(self) -> None:
        """Block until it answers on ready_url; stop the demo if it exits or never answers."""
        deadline = self.started + self.timeout_s
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"demo stopped: {self.name} exited {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"demo stopped: {self.name} did not answer on {self.ready_url}; see {self.log.name}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@contextmanager
def background(
    name: str, *args: str, ready_url: str, timeout_s: float = 90, env: dict[str, str] | None = None
) -> Iterator[Background]:
    """Start a process for the demo's lifetime (not waiting for it) and stop it at the end."""
    process = Background(name, *args, ready_url=ready_url, timeout_s=timeout_s, env=env)
    try:
        yield process
    finally:
        process.stop()


def crawl() -> None:
    """Crawl the fixture news site on loopback (or the real sources with DEMO_LIVE=1)."""
    if os.environ.get("DEMO_LIVE"):
        say("crawling the real sources in crawler/sources.yaml (DEMO_LIVE=1)")
        run("crawler", "run", "--limit", os.environ.get("DEMO_LIVE_LIMIT", "20"))
        return
    from crawler.testing.fixture_site import serve
    from crawler.testing.sources import write_demo_sources

    site = serve("127.0.0.1", free_port(8800))
    try:
        sources = write_demo_sources(site, STATE / "demo-sources.yaml")
        say(
            f"crawling the demo news site served on {site.base_url} (synthetic articles, see crawler/testing)"
        )
        run("crawler", "run", "--sources-file", str(sources))
    finally:
        site.stop()


def train_candidates() -> list[dict[str, str]]:
    """Train each demo candidate; return what `newsmodel train` registered."""
    registered = []
    for overrides in CANDIDATES:
        label = " ".join(overrides)
        say(f"training {label}")
        out = run(
            "newsmodel",
            "train",
            *overrides,
            "mlflow.experiment=demo-candidates",
            f"mlflow.registered_model_name={DEMO_MODEL}",
            capture=True,
        )
        for line in out.splitlines():
            if line.startswith("run ") and " registered " in line:
                version = line.split(" version ", 1)[1].split(";", 1)[0].strip()
                name = line.split(" registered ", 1)[1].split(" version ", 1)[0].strip()
                registered.append({"experiment": label, "name": name, "version": version})
    if not registered:
        sys.exit("demo stopped: no candidate was registered")
    return registered


def promote_best(candidates: list[dict[str, str]]) -> dict[str, str] | None:
    """Gate the best candidate the quality floor let through; promote it when the gate says better
    (or when nothing is live yet). Returns the gated candidate, or None when all were rejected."""
    import mlflow

    client = mlflow.MlflowClient(ENV["MLFLOW_TRACKING_URI"])
    scored = []
    for c in candidates:
        mv = client.get_model_version(c["name"], c["version"])
        if mv.tags.get("rejected") == "true":
            print(
                f"{c['experiment']} (v{c['version']}) is rejected by the quality floor: {mv.tags.get('rejected_reasons')}"
            )
            continue
        f1 = client.get_run(mv.run_id).data.metrics.get("int8_benchmark_macro_f1", float("-inf"))
        scored.append((f1, c))
    if not scored:
        print("no candidate passed the quality floor: the live version (if any) stays")
        return None
    f1, best = max(scored, key=lambda t: t[0])
    say(
        f"best candidate: {best['experiment']} ({best['name']} v{best['version']}, int8 macro-F1 {f1:.3f} "
        "on the frozen benchmark); gate"
    )
    gate = subprocess.run([str(BIN / "newsmodel"), "gate", best["name"], best["version"]], cwd=ROOT, env=ENV)
    if gate.returncode == 0:
        run("newsmodel", "promote", best["name"], best["version"], "--to", "Production")
    else:
        print(
            "the gate kept the current champion (a person can still promote the challenger in the MLflow UI)"
        )
    return best


def retrain() -> None:
    """The retraining loop, in-process (no worker, no Redis): the labels import queued a `data`
    request; `retrain run` joins it, trains one candidate, gates it against the champion and sets
    `challenger` (never `champion`)."""
    say("retraining loop (DEMO_RETRAIN=1): train -> gate against the champion -> challenger")
    ENV["RETRAIN_EXPERIMENTS"] = os.environ.get("DEMO_RETRAIN_EXPERIMENT", "demo-minilm")
    ENV["RETRAIN_OVERRIDES"] = f"mlflow.experiment=demo-retraining;mlflow.registered_model_name={DEMO_MODEL}"
    run("newsmodel", "retrain", "run", "--trigger", "manual", "--reason", "make demo")
    run("newsmodel", "retrain", "status", "--limit", "1")


def score_and_index(api: str, api_key: str) -> None:
    """Bulk-score every unscored sentence through the API's job endpoint, then build the index."""
    headers = {"X-API-Key": api_key}
    deadline = time.monotonic() + 120
    while True:  # the API loads the promoted model in the background
        model = httpx.get(f"{api}/v1/model", timeout=10)
        serving = model.json().get("serving") if model.status_code == 200 else None
        if serving:
            break
        if time.monotonic() > deadline:
            sys.exit(f"demo stopped: the API did not load the promoted model: {model.text[:300]}")
        time.sleep(1)
    print(f"API serves {serving.get('name')} v{serving.get('version')}")
    job = httpx.post(f"{api}/v1/jobs", json={}, headers=headers, timeout=30)
    if job.status_code >= 400:
        sys.exit(f"demo stopped: job submission failed: {job.status_code} {job.text[:300]}")
    job_id = job.json()["id"]
    while True:
        status = httpx.get(f"{api}/v1/jobs/{job_id}", headers=headers, timeout=10).json()
        if status.get("status") in ("succeeded", "failed", "cancelled", "superseded"):
            break
        time.sleep(1)
    print(
        f"scoring job {job_id}: {status.get('status')}, {status.get('done')} of {status.get('total')} sentences"
    )
    say("building the relation index")
    run("newsmodel", "index", "build", "--model-name", DEMO_MODEL)


def keep_serving(api: str) -> None:
    """Leave the API and MLflow UI up for a person to look at, until Ctrl-C (interactive only)."""
    if not sys.stdin.isatty() or os.environ.get("DEMO_EXIT"):
        return
    print("\nThe API and the MLflow UI stay up until you press Ctrl-C.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping")


def main() -> None:
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    print(f"newsmodel demo: state in {STATE} (SQLite corpus, SQLite MLflow store, no Redis: jobs in-process)")
    print(f"labeled data from {ENV.get('NEWSMODEL_DATA_DIR', 'the ConfliBERT download')}")
    say("migrating the corpus database")
    run("newsmodel", "db", "upgrade")
    mlflow_port = free_port(MLFLOW_PORT)
    mlflow_url = f"http://127.0.0.1:{mlflow_port}"
    # The MLflow UI starts now, so a person can watch the candidates train; its start-up
    # (about 10 s) overlaps the crawl and preprocessing instead of adding to the demo's time.
    mlflow_ui_cmd = (
        "mlflow",
        "ui",
        "--backend-store-uri",
        ENV["MLFLOW_TRACKING_URI"],
        "--port",
        str(mlflow_port),
    )
    with background(
        "mlflow-ui", *mlflow_ui_cmd, "--workers", "1", ready_url=f"{mlflow_url}/health", timeout_s=120
    ) as mlflow_ui:
        crawl()
        say("preprocessing: sentences, country pairs, TextRank importance, NER")
        run("newsmodel", "preprocess")
        say("importing the ConfliBERT CAMEO labels")
        run("newsmodel", "data", "import-builtin", "conflibert-cameo")
        # The UI creates the MLflow store's tables on a first run: let it finish before the
        # first training run writes to the same SQLite file.
        mlflow_ui.wait_ready()
        print(f"MLflow UI: {mlflow_url}  (open it to watch the candidates train)", flush=True)
        candidates = train_candidates()
        say("comparing the candidates")
        run("newsmodel", "compare", "--experiment", "demo-candidates")
        promote_best(candidates)
        live = subprocess.run(
            [str(BIN / "newsmodel"), "live", DEMO_MODEL], cwd=ROOT, env=ENV, capture_output=True, text=True
        )
        if live.returncode != 0:
            sys.exit("demo stopped: no version passed the quality floor, so there is nothing to serve")
        print(f"live: {live.stdout.strip()}")
        if os.environ.get("DEMO_RETRAIN"):
            retrain()
        api_port = free_port(API_PORT)
        api, api_key = f"http://127.0.0.1:{api_port}", ENV.get("API_KEYS", "change-me").split(",")[0]
        ENV["APP_POLL_INTERVAL_S"] = "2"
        uvicorn = (
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(api_port),
            "--no-server-header",
            "--no-proxy-headers",
        )
        api_env = {**ENV, "REGISTERED_MODEL_NAME": DEMO_MODEL}
        with background("api", *uvicorn, ready_url=f"{api}/health", env=api_env) as api_server:
            api_server.wait_ready()
            say("scoring the crawled sentences with the promoted model")
            score_and_index(api, api_key)
            say("relation index for the focus pairs")
            run("newsmodel", "index", "show", "--model-name", DEMO_MODEL)
            took = time.perf_counter() - STARTED
            print(
                f"\nDone in {took / 60:.1f} min.\n"
                f"  API docs:   {api}/docs\n"
                f"  dashboard:  {api}/dashboard\n"
                f"  MLflow UI:  {mlflow_url}  (Models -> {DEMO_MODEL}: promote another version)\n"
                f"  predict:    curl -s {api}/v1/predict -H 'content-type: application/json' "
                '-d \'{"sentences": ["Seoul and Tokyo signed a trade pact."]}\'',
                flush=True,
            )
            keep_serving(api)


if __name__ == "__main__":
    main()
