"""The worker's merged /metrics: counts of exited processes stay, their live gauges go.

The end-to-end check (a prefork worker's child counting, its parent serving) is in
tests/app/test_pipeline.py; this one covers what a whole worker run cannot show cheaply: a
process that died without its exit hook (SIGKILL, OOM) and stale files of an earlier run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import values

from app.shadow.metrics import ShadowMetrics
from app.worker_metrics import MULTIPROC_ENV, MetricsServer, enable_multiprocess
from tests.support.prometheus import labels, scrape

# Another process counting in multiprocess mode, then gone without mark_process_dead.
OTHER_PROCESS = """
from app.shadow.metrics import ShadowMetrics
m = ShadowMetrics()
m.dropped.labels(reason="budget").inc(3)
m.queue.set(5)
m.active.set(1)
"""


def test_merged_metrics_keep_dead_counts_and_drop_dead_gauges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"an earlier run's file")
    monkeypatch.setenv(MULTIPROC_ENV, str(directory))
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)  # restored after the test

    chosen = enable_multiprocess()
    assert chosen.path == directory and not chosen.owned
    assert not (directory / "counter_1.db").exists()

    other = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS])  # inherits MULTIPROC_ENV
    assert other.wait(timeout=60) == 0
    mine = ShadowMetrics()
    mine.dropped.labels(reason="budget").inc(1)
    mine.queue.set(2)

    server = MetricsServer(0, chosen, addr="127.0.0.1")
    try:
        samples = scrape(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.stop()
    assert samples[("newsmodel_shadow_dropped_total", labels(reason="budget"))] == 4.0
    assert samples[("newsmodel_shadow_queue_sentences", labels())] == 2.0  # livesum: the dead 5 left
    assert samples[("newsmodel_shadow_active", labels())] == 0.0  # livemax over live processes only
    assert (directory / f"counter_{other.pid}.db").exists()
    assert not list(directory.glob(f"gauge_*_{other.pid}.db"))
