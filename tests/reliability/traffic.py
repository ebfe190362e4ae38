"""A client that keeps sending predictions during a fault and remembers every answer.

Each request is kept with its send and receive times, status and the model version it named,
so a test can say how many requests failed, when the served version changed, and whether any
response named a version that was not live at that moment.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

__all__ = ["Sample", "Traffic"]

SENTENCES = [
    "Seoul and Tokyo signed a trade pact on Monday.",
    "North Korea fired a missile over Japan, drawing condemnation from Washington.",
]


@dataclass(frozen=True)
class Sample:
    sent: float  # monotonic seconds
    received: float
    status: int  # 0: no HTTP response (connection error, timeout)
    version: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Traffic:
    """`with Traffic(url) as t: ...` posts /v1/predict from `threads` threads until the block ends."""

    url: str
    threads: int = 3
    timeout_s: float = 30.0
    pause_s: float = 0.01  # between a thread's requests: steady traffic, not a CPU-bound flood
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    r = client.post("/v1/predict", json={"sentences": SENTENCES})
                except httpx.HTTPError as exc:
                    sample = Sample(sent, time.monotonic(), 0, None, f"{type(exc).__name__}: {exc}")
                else:
                    version = r.json()["model"]["version"] if r.status_code == 200 else None
                    error = None if r.status_code == 200 else r.text[:300]
                    sample = Sample(sent, time.monotonic(), r.status_code, version, error)
                with self._lock:
                    self.samples.append(sample)
                self._stop.wait(self.pause_s)

    def __enter__(self) -> Traffic:
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.timeout_s + 5)

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.snapshot() if not s.ok]

    def count(self, version: str | None = None, since: float = 0.0) -> int:
        return sum(
            1
            for s in self.snapshot()
            if s.ok and s.sent >= since and (version is None or s.version == version)
        )

    def first_received(self, version: str) -> float | None:
        times = [s.received for s in self.snapshot() if s.ok and s.version == version]
        return min(times) if times else None

    def last_sent(self, version: str) -> float | None:
        times = [s.sent for s in self.snapshot() if s.ok and s.version == version]
        return max(times) if times else None

    def versions(self) -> set[str]:
        return {s.version for s in self.snapshot() if s.ok and s.version is not None}

    def figures(self) -> dict[str, int]:
        samples = self.snapshot()
        return {
            "requests": len(samples),
            "failed_requests": sum(1 for s in samples if not s.ok),
        }
