"""Load generation for bench/serve.py: wrk (compiled, the default) or the httpx fallback.

Why wrk: a C event loop with a LuaJIT hook per request, so on one core it drives far more
keep-alive requests/s than the server answers and the server is what gets measured. The
ceiling table of each run shows it: wrk and the Python httpx client against `trivial_server`
(a do-nothing responder) on the same cores. Where `wrk` is missing (it is in Debian: `apt-get
install wrk`) the httpx client runs instead and the report says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
WRK = shutil.which("wrk")
TASKSET = shutil.which("taskset")


@dataclass
class Result:
    """One load run: completed requests, seconds, latency percentiles, failures."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def pinned(argv: list[str], cpus: list[int] | None) -> list[str]:
    """`argv` under `taskset -c CPUS` (all threads it starts inherit the mask), or as is."""
    if not cpus or not TASKSET:
        return argv
    return [TASKSET, "-c", ",".join(map(str, cpus)), *argv]


def write_bodies(path: Path, bodies: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))
    return path


def wrk(url: str, clients: int, seconds: float, cpus: list[int] | None, bodies: Path | None = None) -> Result:
    """Run wrk (one thread, `clients` connections) against `url` for `seconds`; POST the lines
    of `bodies` in order when given, else GET."""
    assert WRK is not None
    script = BENCH_DIR / ("wrk_post.lua" if bodies else "wrk_get.lua")
    argv = [WRK, "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    argv += ["--latency", "-s", str(script), url]
    if bodies:
        argv += ["--", str(bodies)]
    proc = subprocess.run(pinned(argv, cpus), capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return Result(
        raw["requests"],
        raw["duration_us"] / 1e6,
        raw["p50_us"] / 1000,
        raw["p99_us"] / 1000,
        raw["status_errors"] + raw["socket_errors"],
        "wrk",
    )


async def _httpx_drive(url: str, bodies: list[str] | None, clients: int, seconds: float) -> Result:
    latencies: list[float] = []
    failures = 0
    counter = 0
    stop_at = time.perf_counter() + seconds

    async def loop(client: httpx.AsyncClient) -> None:
        nonlocal failures, counter
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            if bodies:
                body = bodies[counter % len(bodies)]
                counter += 1
                r = await client.post(url, content=body, headers={"Content-Type": "application/json"})
            else:
                r = await client.get(url)
            latencies.append((time.perf_counter() - t0) * 1000)
            failures += r.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(loop(client) for _ in range(clients)))
        took = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]
    pct = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return Result(len(latencies), took, pct(0.5), pct(0.99), failures, "httpx")


def drive(
    url: str, clients: int, seconds: float, cpus: list[int] | None, bodies: Path | None = None
) -> Result:
    """wrk where installed, else the httpx client in this process (pinned to `cpus`)."""
    if WRK:
        return wrk(url, clients, seconds, cpus, bodies)
    lines = bodies.read_text().splitlines() if bodies else None
    with affinity(cpus):
        return asyncio.run(_httpx_drive(url, lines, clients, seconds))


class affinity:
    """Run this process (its calling thread and threads it starts) on `cpus` for a block."""

    def __init__(self, cpus: list[int] | None) -> None:
        self.cpus = cpus
        self.before = os.sched_getaffinity(0)

    def __enter__(self) -> None:
        if self.cpus:
            os.sched_setaffinity(0, self.cpus)

    def __exit__(self, *_exc: object) -> None:
        os.sched_setaffinity(0, self.before)


# The trivial endpoint: a raw asyncio HTTP/1.1 responder (no framework), for the client's ceiling.
TRIVIAL_RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


class _Trivial(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            self.buffer = self.buffer[end + 4 :]
            self.transport.write(TRIVIAL_RESPONSE)  # type: ignore[attr-defined]


def trivial_server(port: int) -> None:
    """Serve TRIVIAL_RESPONSE to every GET on 127.0.0.1:`port` until killed."""

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_Trivial, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# Fairness: three clients send the largest legal requests while a fourth sends single sentences.
@dataclass
class Fairness:
    small: list[float]
    big: list[float]
    big_failures: int
    small_failures: int
    seconds: float

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def fairness(
    url: str, big_body: dict[str, Any], small_sentences: list[str], seconds: float, big_clients: int = 3
) -> Fairness:
    """Single-sentence latencies while `big_clients` loop on `big_body`; the big requests'
    latencies and whether each finished (its requests in flight at the end are awaited)."""
    small: list[float] = []
    big: list[float] = []
    failures = {"small": 0, "big": 0}
    stop_at = time.perf_counter() + seconds

    async def big_loop(client: httpx.AsyncClient, k: int) -> None:
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            # A fresh marker each time: the big requests are never cache hits either.
            texts = [f"{t} [{k}.{n}]" for t in big_body["sentences"]]
            t0 = time.perf_counter()
            r = await client.post(url, json={"sentences": texts})
            big.append((time.perf_counter() - t0) * 1000)
            failures["big"] += r.status_code != 200

    async def small_loop(client: httpx.AsyncClient) -> None:
        await asyncio.sleep(0.5)  # the big requests are queued first
        i = 0
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            r = await client.post(url, json={"sentences": [small_sentences[i % len(small_sentences)]]})
            small.append((time.perf_counter() - t0) * 1000)
            failures["small"] += r.status_code != 200
            i += 1

    limits = httpx.Limits(max_connections=big_clients + 1, max_keepalive_connections=big_clients + 1)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(small_loop(client), *(big_loop(client, k) for k in range(big_clients)))
        took = time.perf_counter() - start
    return Fairness(small, big, failures["big"], failures["small"], took)
