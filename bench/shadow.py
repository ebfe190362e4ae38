"""The shadow challenger's cost on the champion's latency: same server, same run, shadow off vs on.

One app (`uvicorn --factory app.main:create_app`, embedded cache and jobs, SQLite) serves the
champion; the same model files are registered a second time as the `challenger` (identical
cost, so the shadow does as much work per sentence as the champion). Phases alternate on the
running server (the order flips each repeat): "off" (no challenger alias), then "on" (alias set, the challenger loaded by the
follower, mirroring within the default 25% CPU budget). Each phase sends fresh sentences (one
per request) from 1 and from 8 concurrent clients. Figures: requests/s, p50/p99 latency of the
champion's answer, and from /metrics what the shadow compared, dropped and the budget it used.

    python bench/shadow.py            # MiniLM int8; 150 requests at 1 client, 400 at 8; 3 repeats
    python bench/shadow.py --quick    # tiny model, 30 / 80 requests, 1 repeat (smoke only)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.serve import (
    MODEL_NAME,
    build_model_dir,
    free_port,
    load_sentences,
    median,
    process,
    register,
    spread,
    wait_http,
)


@dataclass
class Run:
    """One phase at one client count: requests sent, seconds, per-request latencies, failures."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms) or [0.0]
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ours_body(sentence: str) -> dict[str, Any]:
    return {"sentences": [sentence]}


async def drive(
    url: str, body_of: Callable[[str], dict[str, Any]], sentences: list[str], clients: int
) -> Run:
    """Send each sentence once as its own request from `clients` concurrent connections (httpx:
    at these rates, ~100 req/s, the client is far from its ceiling; bench/serve.py measures it)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for sentence in sentences:
        queue.put_nowait(sentence)
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


def _metrics(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    wanted = {
        "compared": r'^newsmodel_shadow_sentences_total\{source="api"\} (\S+)$',
        "dropped_budget": r'^newsmodel_shadow_dropped_total\{reason="budget"\} (\S+)$',
        "dropped_queue": r'^newsmodel_shadow_dropped_total\{reason="queue_full"\} (\S+)$',
        "dropped_busy": r'^newsmodel_shadow_dropped_total\{reason="busy"\} (\S+)$',
        "shadow_s": r"^newsmodel_shadow_inference_seconds_total (\S+)$",
        "ratio": r"^newsmodel_shadow_budget_ratio (\S+)$",
    }
    out = {}
    for key, pattern in wanted.items():
        found = re.search(pattern, text, re.M)
        out[key] = float(found.group(1)) if found else 0.0
    return out


def _set_challenger(tracking_uri: str, version: str | None, url: str) -> None:
    """Set (or delete) the challenger alias and wait until the server follows it."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    if version is None:
        client.delete_registered_model_alias(MODEL_NAME, "challenger")
    else:
        client.set_registered_model_alias(MODEL_NAME, "challenger", version)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mirror = httpx.get(f"{url}/v1/model/challenger", timeout=10).json()["mirror"]
        loaded = mirror["loaded_challenger_version"] if mirror["registry_challenger_version"] else None
        if loaded == version and mirror["registry_challenger_version"] == version:
            return
        time.sleep(0.3)
    raise RuntimeError(f"the server did not follow the challenger alias to {version}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny model, fewer requests (smoke only)")
    args = parser.parse_args()
    kind = "tiny" if args.quick else "minilm"
    n1, n8, repeats = (30, 80, 1) if args.quick else (150, 400, 3)

    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as tmp_name:
        tmp = Path(tmp_name)
        model_dir = build_model_dir(tmp / "model", kind)
        tracking_uri = f"sqlite:///{tmp / 'mlflow.db'}"
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        mlflow.create_experiment("bench", artifact_location=(tmp / "artifacts").as_uri())
        champion = register(tracking_uri, model_dir)
        challenger = register(tracking_uri, model_dir)
        mlflow.tracking.MlflowClient(tracking_uri).set_registered_model_alias(
            MODEL_NAME, "champion", champion
        )

        from newsmodel.db.migrate import upgrade

        db_url = f"sqlite:///{tmp / 'app.db'}"
        upgrade(db_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "REDIS_", "DATABASE_"))}
        env.update(
            {
                "MLFLOW_TRACKING_URI": tracking_uri,
                "PYTHONUNBUFFERED": "1",
                "REGISTERED_MODEL_NAME": MODEL_NAME,
                "DATABASE_URL": db_url,
                "REDIS_URL": "",
                "NEWSMODEL_STATE_DIR": str(tmp / "state"),
                "LOG_LEVEL": "WARNING",
                "ENVIRONMENT": "development",
                "APP_RATE_LIMIT_PER_ADDRESS": "off",
                "APP_POLL_INTERVAL_S": "1",
            }
        )
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--port", str(port)]
        argv += ["--no-access-log", "--log-level", "warning"]
        url = f"http://127.0.0.1:{port}"
        pool = load_sentences(40 + repeats * 2 * (n1 + n8))
        runs: dict[tuple[int, str], list[Run]] = {}
        shadow: dict[str, float] = {}
        with process(argv, env, tmp / "app.log") as proc:
            wait_http(f"{url}/ready", proc, tmp / "app.log")
            asyncio.run(drive(f"{url}/v1/predict", ours_body, pool[:40], 4))  # warm-up
            offset = 40
            for i in range(repeats):
                for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):  # no order advantage
                    _set_challenger(tracking_uri, challenger if mode == "on" else None, url)
                    before = _metrics(url)
                    for clients, n in ((1, n1), (8, n8)):
                        sentences, offset = pool[offset : offset + n], offset + n
                        run = asyncio.run(drive(f"{url}/v1/predict", ours_body, sentences, clients))
                        runs.setdefault((clients, mode), []).append(run)
                    time.sleep(1.0)  # let the queue drain before reading the counters
                    after = _metrics(url)
                    if mode == "on":
                        for key in (
                            "compared",
                            "dropped_budget",
                            "dropped_queue",
                            "dropped_busy",
                            "shadow_s",
                        ):
                            shadow[key] = shadow.get(key, 0.0) + after[key] - before[key]
                        shadow["ratio"] = after["ratio"]
                        shadow["sent"] = shadow.get("sent", 0.0) + n1 + n8

    print(
        f"Model: {kind} ({'2-layer random BERT' if kind == 'tiny' else 'MiniLM-L6 encoder, random head'}), "
        f"int8 ONNX, champion v{champion}; the challenger v{challenger} is the same files registered again "
        f"(same cost per sentence). One server, phases alternating shadow off / on (alias `challenger` "
        f"unset / set, followed live); one sentence per request, fresh sentences each phase; {n1} requests "
        f"at 1 client, {n8} at 8; {repeats} repeat(s). Defaults: APP_SHADOW_SHARE=1, "
        f"APP_SHADOW_CPU_BUDGET=0.25, challenger single-threaded."
    )
    print()
    print("| clients | shadow | req/s (min-max) | p50 ms | p99 ms | p50 on/off | p99 on/off |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for clients in (1, 8):
        off, on = runs[(clients, "off")], runs[(clients, "on")]
        p50 = {m: median(r.pct(0.5) for r in runs[(clients, m)]) for m in ("off", "on")}
        p99 = {m: median(r.pct(0.99) for r in runs[(clients, m)]) for m in ("off", "on")}
        for mode, group in (("off", off), ("on", on)):
            ratio = f"{p50['on'] / p50['off']:.2f}x | {p99['on'] / p99['off']:.2f}x" if mode == "on" else "|"
            print(
                f"| {clients} | {mode} | {spread([r.rps for r in group])} | {p50[mode]:.1f} | "
                f"{p99[mode]:.1f} | {ratio} |"
            )
    failures = sum(r.failures for group in runs.values() for r in group)
    sent = shadow.get("sent", 0.0) or 1.0
    print()
    print(
        f"Shadow while on: {shadow.get('compared', 0):.0f} of {sent:.0f} sentences compared "
        f"({100 * shadow.get('compared', 0) / sent:.0f}%), {shadow.get('dropped_budget', 0):.0f} dropped by the "
        f"CPU budget, {shadow.get('dropped_queue', 0):.0f} by a full queue, "
        f"{shadow.get('dropped_busy', 0):.0f} as busy (champion saturated, or no idle gap); {shadow.get('shadow_s', 0):.2f} s of "
        f"challenger inference; budget ratio at the end {shadow.get('ratio', 0):.3f} (challenger seconds per "
        f"champion second, recent window; limit 0.25). Failed requests: {failures}."
    )
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
