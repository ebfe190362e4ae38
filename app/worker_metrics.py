"""Prometheus metrics of a Celery worker: every pool process writes, the main process serves.

Prefork children count their own work (shadow mirror, scored sentences, task durations), and
a scrape must see the sum over all of them. This is prometheus_client's multiprocess mode: each
process writes its values to mmap files in one directory (PROMETHEUS_MULTIPROC_DIR) and the
main process merges the files at scrape time (`MultiProcessCollector`) on its own HTTP port.

`app.celery_app` calls `enable_multiprocess` in `worker_init` (the main process, before the
pool forks and before any metric exists), `serve` once the worker is ready, `mark_dead` when a
child exits and `stop` at shutdown. Gauges declare how processes combine (`multiprocess_mode`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from threading import Thread
from typing import NamedTuple
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server, values
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from newsmodel.logging import get_logger

__all__ = [
    "MULTIPROC_ENV",
    "MetricsServer",
    "MultiprocessDirectory",
    "WorkerMetrics",
    "enable_multiprocess",
    "mark_dead",
]

log = get_logger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A chunk task takes well under a second to a few minutes (one chunk of APP_SCORE_CHUNK_SIZE).
TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class MultiprocessDirectory(NamedTuple):
    """Where this worker's processes write their values; `owned`: made here, removed at shutdown."""

    path: Path
    owned: bool

    def discard(self) -> None:
        """Remove the directory if this worker made it (a deployer's directory is only emptied
        at the next start)."""
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)


class WorkerMetrics:
    """What one worker process did: sentences it scored, how long its tasks ran."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = registry or CollectorRegistry()
        self.scored = Counter(
            "newsmodel_worker_sentences_scored",
            "Sentences scored by bulk jobs on this worker",
            ["model_version"],
            registry=r,
        )
        self.task_seconds = Histogram(
            "newsmodel_worker_task_duration_seconds",
            "Celery task run time on this worker",
            ["task", "state"],
            buckets=TASK_BUCKETS,
            registry=r,
        )


def enable_multiprocess() -> MultiprocessDirectory:
    """Point prometheus_client at an empty per-worker directory.

    PROMETHEUS_MULTIPROC_DIR, when the deployer set one (a tmpfs, an emptyDir), is used and
    emptied: files of an earlier run would add their counts to this one. Otherwise a fresh
    temporary directory is made (and removed at shutdown). prometheus_client picks its value
    class when it is imported (already done by the Celery app's imports), so the choice is made
    again here; metrics built after this call (in the pool processes) write to the directory.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        directory = MultiprocessDirectory(Path(given), owned=False)
        directory.path.mkdir(parents=True, exist_ok=True)
        for stale in directory.path.glob("*.db"):
            stale.unlink()
    else:
        directory = MultiprocessDirectory(Path(tempfile.mkdtemp(prefix="newsmodel-worker-metrics-")), True)
        os.environ[MULTIPROC_ENV] = str(directory.path)
    values.ValueClass = values.get_value_class()
    return directory


def mark_dead(pid: int) -> None:
    """Drop a finished process's live gauges (its counters stay in the totals)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        mark_process_dead(pid, directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _LiveCollector(MultiProcessCollector):
    """MultiProcessCollector that first drops live gauges of processes gone without a shutdown
    (a child killed by the OOM killer or the hard time limit never runs its exit hook)."""

    def __init__(self, registry: CollectorRegistry, directory: Path) -> None:
        super().__init__(registry, str(directory))
        self._directory = directory

    def collect(self) -> Iterable[Metric]:
        for path in self._directory.glob("gauge_live*_*.db"):
            pid = path.stem.rsplit("_", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                mark_process_dead(int(pid), str(self._directory))
        return super().collect()


class MetricsServer:
    """The worker's /metrics endpoint: all pool processes' values, merged at scrape time."""

    def __init__(self, port: int, directory: MultiprocessDirectory, addr: str = "0.0.0.0") -> None:
        self.directory = directory
        registry = CollectorRegistry()
        _LiveCollector(registry, directory.path)
        self._server: WSGIServer
        self._thread: Thread
        self._server, self._thread = start_http_server(port, addr=addr, registry=registry)
        self.port = self._server.server_port
        log.info("worker metrics served", port=self.port, directory=str(directory.path))

    def stop(self) -> None:
        """Close the port."""
        self._server.shutdown()
        self._server.server_close()
