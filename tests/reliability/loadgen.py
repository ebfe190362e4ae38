"""Bounded-time HTTP load at one concurrency level: wrk (Debian) when installed, else httpx.

Every request posts two sentences that no earlier request sent, so each one misses the
prediction cache and pays for tokenization and inference: the worst case, not a cache benchmark.
wrk reports through a Lua `done()` hook printing one JSON line; the httpx fallback (an asyncio
client in this process, so it shares the CPU with the server) returns the same fields.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["LevelResult", "load_tool", "run_level"]

_WRK_SCRIPT = r"""
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"sentences": ["Seoul and Tokyo discussed trade, round %d-%d.", ' ..
    '"North Korea fired missile %d-%d toward Japan on Monday."]}', tid, counter, tid, counter)
  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LevelResult:
    """One level: requests/s, latency percentiles (ms) and errors (non-2xx + socket errors)."""

    tool: str
    concurrency: int
    duration_s: float
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "httpx"


def run_level(base_url: str, concurrency: int, duration_s: float, timeout_s: float = 10.0) -> LevelResult:
    if load_tool() == "wrk":
        return _run_wrk(base_url, concurrency, duration_s, timeout_s)
    return asyncio.run(_run_httpx(base_url, concurrency, duration_s, timeout_s))


def _run_wrk(base_url: str, concurrency: int, duration_s: float, timeout_s: float) -> LevelResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "predict.lua"
        script.write_text(_WRK_SCRIPT)
        argv = [
            "wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{duration_s:g}s",
            f"--timeout={timeout_s:g}s", "-s", str(script), f"{base_url}/v1/predict",
        ]  # fmt: skip
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + timeout_s + 30)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout[-500:]}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    seconds = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return LevelResult(
        "wrk",
        concurrency,
        round(seconds, 2),
        r["requests"],
        round(r["requests"] / seconds, 1),
        round(r["p50_us"] / 1000, 2),
        round(r["p99_us"] / 1000, 2),
        round(r["max_us"] / 1000, 2),
        errors,
    )


async def _run_httpx(base_url: str, concurrency: int, duration_s: float, timeout_s: float) -> LevelResult:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s, limits=limits) as client:
        start = time.perf_counter()
        deadline = start + duration_s

        async def one(worker: int) -> None:
            nonlocal errors
            n = 0
            while time.perf_counter() < deadline:
                n += 1
                body = {
                    "sentences": [
                        f"Seoul and Tokyo discussed trade, round {worker}-{n}.",
                        f"North Korea fired missile {worker}-{n} toward Japan on Monday.",
                    ]
                }
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/predict", json=body)
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(one(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
    return LevelResult(
        "httpx",
        concurrency,
        round(elapsed, 2),
        len(latencies),
        round(len(latencies) / elapsed, 1),
        round(cuts[49] * 1000, 2),
        round(cuts[98] * 1000, 2),
        round(max(latencies, default=0.0) * 1000, 2),
        errors,
    )
