"""Country analysis of large requests in a child process at low OS priority.

Direction reading (a spaCy parse per sentence with a pair, then the pairs' roles) is the most
expensive step of a large request (BENCHMARKS.md), and most of it holds the GIL: run in a
thread of the API process, three 256-sentence requests kept single-sentence requests waiting on
the GIL for hundreds of ms. In a child process niced to +10 (SCHED_IDLE when the server is
already niced), the kernel runs the API's event loop and inference thread first whenever both
want a core, and large requests use what is left.

The process starts on the first large request (a spawn: ~2-3 s to import the parser), so a
server that never gets one never pays its memory.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor

__all__ = ["BULK_NICE", "BulkAnalysisPool"]

BULK_NICE = 10


def _lower_priority() -> None:
    """Nice +10; where the server already runs niced (so +10 would not separate them, the
    kernel caps nice at 19), SCHED_IDLE: run only on CPU time the server leaves."""
    before = os.nice(0)
    after = os.nice(BULK_NICE)
    if after - before < BULK_NICE // 2 and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class BulkAnalysisPool:
    """One low-priority worker process, created on first use, closed by the app's lifespan."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> Executor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded server
                    initializer=_lower_priority,
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
