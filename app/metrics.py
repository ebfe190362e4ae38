"""Prometheus metrics of one app instance, on a registry of its own.

A private CollectorRegistry (not the global one) lets tests build several apps in one process
and keeps /metrics to what this app measures. Job counts are read from the database at scrape
time, so they are right across API replicas and workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from newsmodel.logging import get_logger

__all__ = ["AppMetrics", "DriftGaugeReading", "IndexAlertReading"]

log = get_logger(__name__)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class _JobCountCollector(Collector):
    """`newsmodel_jobs{status=...}` from the scoring_jobs table, at scrape time."""

    def __init__(self, count_jobs: Callable[[], dict[str, int]]) -> None:
        self._count_jobs = count_jobs

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("newsmodel_jobs", "Scoring jobs by status", labels=["status"])
        try:
            counts = self._count_jobs()
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("job count unavailable for /metrics", error=str(exc))
            counts = {}
        for status, n in sorted(counts.items()):
            family.add_metric([status], n)
        yield family


class IndexAlertReading(NamedTuple):
    """One pair's alert state for /metrics (see newsmodel.relindex.alerts)."""

    pair: str
    model_version: str
    flagged: bool
    shift: float | None


class _IndexAlertCollector(Collector):
    """`newsmodel_index_alert{pair,model_version}` (1 flagged, 0 steady) for every pair with enough
    sentences, and `newsmodel_index_alerts` (how many are flagged), read at scrape time."""

    def __init__(self, read: Callable[[], list[IndexAlertReading]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        flag = GaugeMetricFamily(
            "newsmodel_index_alert",
            "1 when the pair's last-7-day score left the interval of the 30 days before",
            labels=["pair", "model_version"],
        )
        shift = GaugeMetricFamily(
            "newsmodel_index_alert_shift",
            "Last-7-day score minus the 30 days before, per judged pair",
            labels=["pair", "model_version"],
        )
        total = GaugeMetricFamily("newsmodel_index_alerts", "Pairs flagged by the index alerts")
        try:
            readings = self._read()
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("index alerts unavailable for /metrics", error=str(exc))
            readings = []
        for r in readings:
            flag.add_metric([r.pair, r.model_version], 1.0 if r.flagged else 0.0)
            if r.shift is not None:
                shift.add_metric([r.pair, r.model_version], r.shift)
        total.add_metric([], float(sum(r.flagged for r in readings)))
        yield flag
        yield shift
        yield total


class DriftGaugeReading(NamedTuple):
    """The newest judged day of one drift statistic of the shown version (newsmodel.monitoring)."""

    statistic: str
    model_version: str
    drifted: bool
    distance: float | None
    events_7d: int = 0
    estimated_accuracy: float | None = None


class _DriftCollector(Collector):
    """`newsmodel_drift{statistic,model_version}` (1 when the newest judged day crossed its
    threshold), its distance, the events of the last 7 days and the estimated accuracy."""

    def __init__(self, read: Callable[[], list[DriftGaugeReading]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        flag = GaugeMetricFamily(
            "newsmodel_drift",
            "1 when the statistic's newest judged day crossed its drift threshold",
            labels=["statistic", "model_version"],
        )
        distance = GaugeMetricFamily(
            "newsmodel_drift_distance",
            "PSI (unknown_token_rate: change in rate) of the newest judged day",
            labels=["statistic", "model_version"],
        )
        events = GaugeMetricFamily(
            "newsmodel_drift_events_7d", "Drift events of the last 7 judged days", labels=["model_version"]
        )
        accuracy = GaugeMetricFamily(
            "newsmodel_estimated_accuracy",
            "Accuracy expected from the calibrated confidence on the newest day (CBPE)",
            labels=["model_version"],
        )
        try:
            readings = self._read()
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("drift unavailable for /metrics", error=str(exc))
            readings = []
        for r in readings:
            if r.statistic == "estimated_accuracy":
                if r.estimated_accuracy is not None:
                    accuracy.add_metric([r.model_version], r.estimated_accuracy)
                events.add_metric([r.model_version], float(r.events_7d))
                continue
            flag.add_metric([r.statistic, r.model_version], 1.0 if r.drifted else 0.0)
            if r.distance is not None:
                distance.add_metric([r.statistic, r.model_version], r.distance)
        yield flag
        yield distance
        yield events
        yield accuracy


class AppMetrics:
    """The metrics /metrics exports; created once per app in the lifespan."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_latency = Histogram(
            "newsmodel_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "newsmodel_inference_batch_size", "Texts per ONNX batch", buckets=BATCH_BUCKETS, registry=r
        )
        self.analysis_batch = Histogram(
            "newsmodel_analysis_batch_texts",
            "Sentences per shared country-analysis call (small requests analysed together; the parser "
            "costs less per sentence in larger calls)",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.requests_shed = Counter(
            "newsmodel_requests_shed",
            "Predict requests answered 503 at once because the inference queue would not answer them "
            "within APP_BATCH_MAX_QUEUE_S",
            registry=r,
        )
        self.cache_hits = Counter("newsmodel_cache_hits", "Prediction cache hits", registry=r)
        self.cache_misses = Counter("newsmodel_cache_misses", "Prediction cache misses", registry=r)
        self.cache_round_trips = Counter(
            "newsmodel_cache_round_trips",
            "Redis round trips of the prediction cache (op: read = one MGET, write = one pipeline), "
            "each shared by the requests of one loop turn",
            ["op"],
            registry=r,
        )
        self.cache_writes_dropped = Counter(
            "newsmodel_cache_writes_dropped",
            "Cache rows not stored because more writes were waiting than the bound allows",
            registry=r,
        )
        self.predictions = Counter(
            "newsmodel_predictions", "Sentences predicted", ["model_version"], registry=r
        )
        self.model_info = Gauge(
            "newsmodel_model_version_info",
            "The model version being served (value 1)",
            ["model_name", "model_version"],
            registry=r,
        )
        self.model_version = Gauge(
            "newsmodel_model_version", "The numeric model version being served (0: none)", registry=r
        )
        self.model_swaps = Counter("newsmodel_model_swaps", "Model versions swapped in", registry=r)
        self.jobs_submitted = Counter(
            "newsmodel_jobs_submitted", "Jobs submitted through the API", ["kind"], registry=r
        )

    def watch_jobs(self, count_jobs: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_JobCountCollector(count_jobs))

    def watch_index_alerts(self, read: Callable[[], list[IndexAlertReading]]) -> None:
        self.registry.register(_IndexAlertCollector(read))

    def watch_drift(self, read: Callable[[], list[DriftGaugeReading]]) -> None:
        self.registry.register(_DriftCollector(read))

    def set_model(self, name: str, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(model_name=name, model_version=version).set(1)
        try:
            self.model_version.set(float(version))
        except ValueError:
            self.model_version.set(0)
        self.model_swaps.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
