#!/usr/bin/env python3
"""`make compose-check`: the real docker-compose.yml, end to end, on the engine `docker` points at.

Builds every image, starts the stack (crawler scaled to 0: it would crawl the real sources),
waits for every healthcheck, trains a short MiniLM candidate (2 epochs: it must pass the quality floor) in the trainer container from a local data
folder, promotes it by stage (followed by the api's poll: MLflow has no stage webhook) and by
alias (followed by the webhook), checks /ready and a prediction, crawls the fixture news site
through the crawler image, preprocesses it in the worker image, runs a scoring job over it
(crawled after the promotions, so the api's backfill of a new version cannot score it first),
checks the relation index and /dashboard, and removes everything it started (`down -v`). Prints the time of each step, image sizes and memory per
service; on a failure, the failing service's log tail, and exits 1.

The stack runs as its own compose project (`newsmodel-check`) with generated secrets, free host
ports and throwaway volumes, so it never touches a stack started with your .env. Images keep
their tag `compose-check` (the build cache makes the next run warm).

    python3 scripts/compose_check.py                 # the check (make compose-check)
    python3 scripts/compose_check.py --status        # has what the check covers changed since
                                                     # the last passing run? (.ci/run asks)

Environment: TRAIN_DATA_DIR (a folder holding conflibert-cameo/train.tsv; default ../shared/data),
TORCH_INDEX_URL (the trainer's torch wheel index), COMPOSE_CHECK_TIMEOUT_S (per wait, default 300).
Standard library only: it needs python3 and docker (Compose v2), not the project's virtualenv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PROJECT = "newsmodel-check"
IMAGE_TAG = "compose-check"
MODEL_NAME = "news-relation"
# What the check covers: a change here makes .ci/run run it again (see --status).
COVERED_PATHS = ("services", "docker-compose.yml", "infra", "uv.lock", "scripts/compose_check.py")
STAMP = REPO / ".ci" / "compose-check.stamp"
LONG_RUNNING = ("postgres", "redis", "gcs", "mlflow", "api", "worker", "scheduler")
ONE_SHOT = ("migrate", "webhook")
BUILT = ("migrate", "mlflow", "api", "worker", "scheduler", "crawler", "trainer")
SENTENCES = [
    "Seoul and Tokyo signed a trade pact on Monday.",
    "North Korea fired two missiles toward Japan, Tokyo said.",
]


class CheckFailed(Exception):
    """A step failed; `service` names the container whose log explains it."""

    def __init__(self, message: str, service: str | None = None) -> None:
        super().__init__(message)
        self.service = service


@dataclass
class Report:
    steps: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"\n==> {name}", flush=True)
        start = time.monotonic()
        try:
            yield
        finally:
            seconds = time.monotonic() - start
            self.steps.append((name, seconds))
            print(f"    [{seconds:6.1f} s] {name}", flush=True)

    def note(self, line: str) -> None:
        print(f"    {line}", flush=True)
        self.notes.append(line)


# --- what the check covers, for CI ---------------------------------------------------------


def covered_hash() -> str:
    """sha256 over the covered files' paths and contents (tracked and untracked, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *COVERED_PATHS],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    digest = hashlib.sha256()
    for name in sorted({n for n in listed if n}):
        path = REPO / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def recorded_hash() -> str | None:
    if not STAMP.is_file():
        return None
    for line in STAMP.read_text().splitlines():
        if line.startswith("sha256 "):
            return line.split()[1]
    return None


def status_line() -> str:
    now, then = covered_hash(), recorded_hash()
    covered = ", ".join(COVERED_PATHS)
    if now == then:
        return f"unchanged: {covered} are as the last passing compose-check saw them ({STAMP.name})"
    return f"changed: {covered} differ from the last passing compose-check ({STAMP.name})"


def write_stamp(report: Report) -> None:
    engine = docker("version", "--format", "{{.Server.Version}}", capture=True).strip()
    lines = [
        "# Written by the last passing `make compose-check` (scripts/compose_check.py); commit it.",
        "# .ci/run skips the check while the covered paths hash to the same value.",
        f"sha256 {covered_hash()}",
        f"paths {' '.join(COVERED_PATHS)}",
        f"passed {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} on engine {engine}",
        f"total {sum(s for _, s in report.steps):.0f} s",
    ]
    STAMP.write_text("\n".join(lines) + "\n")


# --- docker ------------------------------------------------------------------------------


def docker(
    *args: str, capture: bool = False, env: dict[str, str] | None = None, timeout: float = 1800
) -> str:
    proc = subprocess.run(
        ["docker", *args],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=capture,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        detail = (
            " | ".join((proc.stderr or "").strip().splitlines()[-5:]) if capture else "see its output above"
        )
        words = [a for a in args if not a.startswith(("/", "-"))][:6]
        raise CheckFailed(f"docker {' '.join(words)} exited {proc.returncode}: {detail}")
    return proc.stdout or ""


@dataclass
class Stack:
    env_file: Path
    env: dict[str, str]
    api: str
    mlflow: str
    api_key: str

    def compose(
        self, *args: str, capture: bool = False, timeout: float = 1800, service: str | None = None
    ) -> str:
        """`docker compose` on this project; a failure names `service` (whose log tail is shown)."""
        base = [
            "compose",
            "-p",
            PROJECT,
            "-f",
            str(REPO / "docker-compose.yml"),
            "--env-file",
            str(self.env_file),
        ]
        try:
            return docker(*base, *args, capture=capture, env=self.env, timeout=timeout)
        except CheckFailed as exc:
            raise CheckFailed(str(exc), service) from exc

    def containers(self) -> list[dict[str, Any]]:
        out = self.compose("ps", "-a", "--format", "json", capture=True).strip()
        if not out:
            return []
        if out.startswith("["):
            return list(json.loads(out))
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def log_tail(self, service: str, lines: int = 60) -> str:
        try:
            return self.compose("logs", "--no-color", "--tail", str(lines), service, capture=True)
        except CheckFailed as exc:
            return f"(no logs: {exc})"

    def sql(self, query: str) -> str:
        out = self.compose(
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            "newsmodel",
            "-d",
            "newsmodel",
            "-tAc",
            query,
            capture=True,
        )
        return out.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def data_dir() -> Path:
    folder = Path(os.environ.get("TRAIN_DATA_DIR") or REPO.parent / "shared" / "data").resolve()
    if not (folder / "conflibert-cameo" / "train.tsv").is_file():
        raise CheckFailed(
            f"no {folder}/conflibert-cameo/train.tsv: set TRAIN_DATA_DIR to a folder holding it "
            "(the check trains offline, it never downloads)"
        )
    return folder


# experiment=demo-minilm's settings on the deployable reference experiment: about 75 s of CPU
# here, int8 macro-F1 0.81 on the frozen benchmark in the demo (the floor is 0.70).
SHORT_MINILM = (
    "experiment=minilm-relation3",
    "model.max_length=48",
    "trainer.epochs=2",
    "trainer.lr=8e-5",
    "trainer.batch_size=32",
    "trainer.early_stopping_patience=1",
    "evaluation.behaviour_max_sentences=120",
    "bench.repeats=3",
    "bench.warmup=1",
)


def make_stack(workdir: Path) -> Stack:
    api_port, mlflow_port = free_port(), free_port()
    api_key = secrets.token_hex(16)
    values = {
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "REDIS_PASSWORD": secrets.token_hex(16),
        "API_KEYS": api_key,
        "WEBHOOK_SECRET": secrets.token_hex(24),
        "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": fernet_key(),
        "API_PORT": str(api_port),
        "MLFLOW_PORT": str(mlflow_port),
        "IMAGE_TAG": IMAGE_TAG,
        "TRAIN_DATA_DIR": str(data_dir()),
    }
    if os.environ.get("TORCH_INDEX_URL"):
        values["TORCH_INDEX_URL"] = os.environ["TORCH_INDEX_URL"]
    env_file = workdir / "compose-check.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    # Nothing from the caller's shell may interpolate into the file, except what reaches docker.
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_BUILDKIT", "DOCKER_CONTEXT", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    return Stack(env_file, env, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{mlflow_port}", api_key)


# --- HTTP ----------------------------------------------------------------------------------


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            raw, status = resp.read(), resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def expect(method: str, url: str, body: Any = None, service: str = "api", **kwargs: Any) -> Any:
    status, payload = http(method, url, body, **kwargs)
    if not 200 <= status < 300:
        raise CheckFailed(f"{method} {url} answered {status}: {str(payload)[:300]}", service)
    return payload


def wait_until(what: str, probe: Callable[[], Any], service: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(2)
    raise CheckFailed(f"{what}: not within {timeout:.0f} s", service)


# --- the steps -----------------------------------------------------------------------------


def wait_healthy(stack: Stack, timeout: float) -> None:
    """Every long-running service healthy and every one-shot exited 0, or the first failure."""
    deadline = time.monotonic() + timeout
    while True:
        by_service = {c["Service"]: c for c in stack.containers()}
        pending = []
        for name in ONE_SHOT:
            c = by_service.get(name)
            if c and c["State"] == "exited":
                if int(c.get("ExitCode", 1)) != 0 and name != "webhook":
                    raise CheckFailed(f"{name} exited {c.get('ExitCode')}", name)
                if int(c.get("ExitCode", 1)) != 0:  # webhook retries (restart: on-failure)
                    pending.append(name)
            else:
                pending.append(name)
        for name in LONG_RUNNING:
            c = by_service.get(name)
            health = (c or {}).get("Health", "")
            if c and c["State"] in ("exited", "dead"):
                raise CheckFailed(f"{name} is {c['State']} (exit {c.get('ExitCode')})", name)
            if health == "unhealthy":
                raise CheckFailed(f"{name} is unhealthy", name)
            if health != "healthy":
                pending.append(name)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise CheckFailed(f"not healthy within {timeout:.0f} s: {', '.join(pending)}", pending[0])
        time.sleep(3)


def serving(stack: Stack) -> dict[str, Any]:
    status, body = http("GET", f"{stack.api}/v1/model")
    return (body.get("serving") or {}) if status == 200 and isinstance(body, dict) else {}


def mlflow_api(stack: Stack, method: str, path: str, body: Any = None) -> Any:
    url = f"{stack.mlflow}/api/2.0/mlflow/{path}"
    return expect(method, url, body, service="mlflow")


def trained_version(stack: Stack) -> dict[str, Any]:
    found = mlflow_api(stack, "GET", f"model-versions/search?filter=name%3D%27{MODEL_NAME}%27")
    versions = found.get("model_versions") or []
    if not versions:
        raise CheckFailed(f"the trainer registered no version of {MODEL_NAME}", "mlflow")
    return max(versions, key=lambda v: int(v["version"]))


def promote_by_stage(stack: Stack, report: Report, version: str, timeout: float) -> None:
    mlflow_api(
        stack,
        "POST",
        "model-versions/transition-stage",
        {"name": MODEL_NAME, "version": version, "stage": "Production", "archive_existing_versions": True},
    )
    start = time.monotonic()
    wait_until(
        f"api serving version {version} found by its poll of stage Production",
        lambda: serving(stack).get("version") == version,
        "api",
        timeout,
    )
    report.note(f"stage Production -> v{version}: served after {time.monotonic() - start:.1f} s (poll)")


def promote_by_alias(stack: Stack, report: Report, source: dict[str, Any], timeout: float) -> str:
    """A second version of the same model files, made champion: the webhook moves the api."""
    body = {"name": MODEL_NAME, "source": source["source"], "run_id": source.get("run_id", "")}
    if source["source"].startswith("models:/"):  # an MLflow 3 logged model: name it too
        body["model_id"] = source.get("model_id") or source["source"].removeprefix("models:/")
    created = mlflow_api(stack, "POST", "model-versions/create", body)["model_version"]
    version = str(created["version"])
    wait_until(
        f"model version {version} READY",
        lambda: (
            mlflow_api(stack, "GET", f"model-versions/get?name={MODEL_NAME}&version={version}")[
                "model_version"
            ]["status"]
            == "READY"
        ),
        "mlflow",
        timeout,
    )
    mlflow_api(
        stack,
        "POST",
        "registered-models/alias",
        {"name": MODEL_NAME, "alias": "champion", "version": version},
    )
    start = time.monotonic()
    live = wait_until(
        f"api serving version {version} via alias champion",
        lambda: serving(stack) if serving(stack).get("version") == version else None,
        "api",
        timeout,
    )
    report.note(
        f"alias champion -> v{version}: served after {time.monotonic() - start:.1f} s ({live.get('via')})"
    )
    return version


def check_prediction(stack: Stack, report: Report, version: str) -> None:
    # ENVIRONMENT=production: /v1/predict needs a key too (no anonymous inference in production).
    status, _ = http("POST", f"{stack.api}/v1/predict", {"sentences": SENTENCES})
    if status != 401:
        raise CheckFailed(f"/v1/predict without a key answered {status}, not 401, in production", "api")
    body = expect(
        "POST", f"{stack.api}/v1/predict", {"sentences": SENTENCES}, headers={"X-API-Key": stack.api_key}
    )
    if str(body["model"]["version"]) != version or len(body["predictions"]) != len(SENTENCES):
        raise CheckFailed(f"unexpected prediction answer: {str(body)[:300]}", "api")
    labels = [p.get("label") for p in body["predictions"]]
    report.note(f"/v1/predict: v{version} labels {labels}")


def check_scoring_job(stack: Stack, report: Report, timeout: float) -> None:
    headers = {"X-API-Key": stack.api_key}
    job = expect("POST", f"{stack.api}/v1/jobs", {"kind": "score"}, headers=headers)

    def finished() -> dict[str, Any] | None:
        now = expect("GET", f"{stack.api}/v1/jobs/{job['id']}", headers=headers)
        return now if now["status"] in ("succeeded", "failed", "cancelled") else None

    done = wait_until(f"scoring job {job['id']}", finished, "worker", timeout)
    if done["status"] != "succeeded" or done["done"] != done["total"]:
        raise CheckFailed(
            f"scoring job ended {done['status']} ({done['done']}/{done['total']}): {done['error']}", "worker"
        )
    version = done["model_version"]
    sentences = int(stack.sql("SELECT count(*) FROM sentences") or 0)
    scored = int(
        stack.sql(f"SELECT count(DISTINCT sentence_id) FROM predictions WHERE model_version = '{version}'")
        or 0
    )
    if done["done"] < 1 or scored != sentences:
        raise CheckFailed(
            f"scoring job scored {done['done']}; v{version} has scored {scored} of {sentences} sentences",
            "worker",
        )
    report.note(
        f"scoring job: {done['done']}/{done['total']} sentences scored by v{version}; all {sentences} scored"
    )


def check_relations(stack: Stack, report: Report) -> None:
    page = expect("GET", f"{stack.api}/v1/relations")
    if not page.get("pairs"):
        raise CheckFailed(f"/v1/relations lists no pair: {str(page)[:300]}", "api")
    pairs = [p.get("pair") for p in page["pairs"]][:5]
    report.note(f"/v1/relations: {len(page['pairs'])} pairs under v{page['model_version']}, e.g. {pairs}")
    status, html = http("GET", f"{stack.api}/dashboard")
    if status != 200 or "<html" not in str(html).lower():
        raise CheckFailed(f"/dashboard answered {status}", "api")
    report.note("/dashboard: 200, HTML")


def image_sizes(report: Report) -> None:
    for name in BUILT:
        ref = f"newsmodel/{name}:{IMAGE_TAG}"
        size = int(docker("image", "inspect", ref, "--format", "{{.Size}}", capture=True).strip())
        report.note(f"image {ref:34} {size / 1e9:5.2f} GB")


def memory(stack: Stack, report: Report) -> None:
    ids = stack.compose("ps", "-q", capture=True).split()
    if not ids:
        return
    out = docker("stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *ids, capture=True)
    for line in sorted(out.splitlines()):
        name, usage = line.split("\t", 1)
        report.note(f"memory {name:32} {usage.split(' / ')[0]}")


def run_check(report: Report, timeout: float) -> None:
    if shutil.which("docker") is None:
        raise CheckFailed("no docker client on PATH")
    docker("info", "--format", "{{.ServerVersion}}", capture=True, timeout=60)
    with tempfile.TemporaryDirectory(prefix="compose-check-") as tmp:
        stack = make_stack(Path(tmp))
        try:
            run_steps(stack, report, timeout)
        except CheckFailed as exc:
            if exc.service:
                print(
                    f"\n--- last lines of {exc.service}'s log ---\n{stack.log_tail(exc.service)}",
                    file=sys.stderr,
                )
            raise
        finally:
            with report.step("down -v (containers, network, volumes)"):
                stack.compose("--profile", "train", "down", "-v", "--remove-orphans", "--timeout", "20")


def run_steps(stack: Stack, report: Report, timeout: float) -> None:
    with report.step("build every image"):
        stack.compose("--profile", "train", "build")
    image_sizes(report)
    with report.step("up -d (crawler scaled to 0) and wait for every healthcheck"):
        stack.compose("up", "-d", "--scale", "crawler=0", service="migrate")
        wait_healthy(stack, timeout)
    print(stack.compose("ps", "-a", capture=True), flush=True)
    with report.step("train a short MiniLM candidate in the trainer container (local data folder)"):
        # A deployable config (a smoke config may not take the serving name) short enough for a
        # check, that passes the quality floor (a rejected version is never served).
        stack.compose(
            "--profile", "train", "run", "--rm", "--no-deps", "trainer", "newsmodel", "train", *SHORT_MINILM
        )
        first = trained_version(stack)
        report.note(f"registered {MODEL_NAME} v{first['version']}")
    with report.step("promote by stage (MLflow REST) and wait for the api's poll"):
        promote_by_stage(stack, report, str(first["version"]), timeout)
    with report.step("promote by alias (MLflow REST) and wait for the webhook"):
        version = promote_by_alias(stack, report, first, timeout)
    with report.step("/ready and a prediction"):
        expect("GET", f"{stack.api}/ready")
        check_prediction(stack, report, version)
    with report.step("crawl the fixture site through the crawler image"):
        stack.compose("run", "--rm", "--no-deps", "crawler", "crawl-fixture-site")
        articles = int(stack.sql("SELECT count(*) FROM articles") or 0)
        if articles < 1:
            raise CheckFailed("the fixture crawl stored no article", "postgres")
        report.note(f"articles stored: {articles}")
    with report.step("preprocess the crawled articles (worker image)"):
        stack.compose(
            "exec", "-T", "worker", "newsmodel", "preprocess", "--no-ner", "--quiet", service="worker"
        )
        report.note(f"sentence rows: {stack.sql('SELECT count(*) FROM sentences')}")
    with report.step("a scoring job over the crawled sentences"):
        check_scoring_job(stack, report, timeout)
    with report.step("the relation index and /dashboard"):
        stack.compose("exec", "-T", "worker", "newsmodel", "index", "build", service="worker")
        check_relations(stack, report)
    memory(stack, report)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--status", action="store_true", help="say whether the covered paths changed; run nothing"
    )
    args = parser.parse_args(argv)
    if args.status:
        print(status_line())
        return 0
    timeout = float(os.environ.get("COMPOSE_CHECK_TIMEOUT_S", "300"))
    report = Report()
    start = time.monotonic()
    try:
        run_check(report, timeout)
    except (CheckFailed, subprocess.TimeoutExpired) as exc:
        print(f"\ncompose-check FAILED after {time.monotonic() - start:.0f} s: {exc}", file=sys.stderr)
        return 1
    print("\ncompose-check passed:")
    for name, seconds in report.steps:
        print(f"  {seconds:7.1f} s  {name}")
    print(f"  {time.monotonic() - start:7.1f} s  total")
    write_stamp(report)
    print(
        f"recorded in {STAMP.relative_to(REPO)} (commit it: .ci/run skips the check until the covered paths change)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
