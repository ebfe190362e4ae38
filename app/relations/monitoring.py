"""The index alerts as Prometheus gauges: computed at scrape time, at most once per `ttl_s`.

A scrape every 15 s must not rerun a bootstrap over every pair each time, and every API replica
must say the same thing, so the answer is read from the database (not kept from a request) and
cached briefly in this process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.metrics import DriftGaugeReading, IndexAlertReading
from newsmodel.db.session import Database
from newsmodel.monitoring import drift_events, drift_points, latest_drift_day
from newsmodel.registry.live import LiveVersion
from newsmodel.relindex import ChosenVersion, IndexNotFound, choose_version, index_alerts

__all__ = ["alert_readings", "drift_gauge_readings"]

DEFAULT_TTL_S = 300.0
R = TypeVar("R")


def _version_reader(
    db: Database,
    get_live: Callable[[], LiveVersion | None],
    ttl_s: float,
    readings_of: Callable[[Session, ChosenVersion], list[R]],
) -> Callable[[], list[R]]:
    """A cached reader of `readings_of` for the live version (else the newest indexed one);
    nothing when no version is indexed."""
    lock = threading.Lock()
    cached: dict[str, tuple[float, list[R]]] = {}

    def read() -> list[R]:
        with lock:
            hit = cached.get("readings")
            if hit is not None and time.monotonic() - hit[0] < ttl_s:
                return hit[1]
            live = get_live()
            with db.transaction() as session:
                try:
                    chosen = choose_version(
                        session,
                        model_name=None,
                        model_version=None,
                        live_name=live.name if live else None,
                        live_version=live.version if live else None,
                    )
                except IndexNotFound:
                    readings: list[R] = []
                else:
                    readings = readings_of(session, chosen)
            cached["readings"] = (time.monotonic(), readings)
            return readings

    return read


def alert_readings(
    db: Database,
    get_live: Callable[[], LiveVersion | None],
    min_sentences: int,
    ttl_s: float = DEFAULT_TTL_S,
) -> Callable[[], list[IndexAlertReading]]:
    """A reader for `AppMetrics.watch_index_alerts`: the live version's alerts (else the newest)."""

    def readings_of(session: Session, chosen: ChosenVersion) -> list[IndexAlertReading]:
        report = index_alerts(session, chosen.version, min_sentences=min_sentences)
        return [
            IndexAlertReading(str(p.pair), report.model_version, p.status == "alert", p.shift)
            for p in report.pairs
            if p.status != "too_few"
        ]

    return _version_reader(db, get_live, ttl_s, readings_of)


def drift_gauge_readings(
    db: Database, get_live: Callable[[], LiveVersion | None], ttl_s: float = DEFAULT_TTL_S
) -> Callable[[], list[DriftGaugeReading]]:
    """A reader for `AppMetrics.watch_drift`: the live version's (else the newest indexed) drift on
    its newest judged day, read from the drift series, cached like the alerts."""

    def readings_of(session: Session, chosen: ChosenVersion) -> list[DriftGaugeReading]:
        name, version = chosen.version.model_name, chosen.version.model_version
        day = latest_drift_day(session, name, version)
        if day is None:
            return []
        week = day - dt.timedelta(days=6)
        events = len(drift_events(session, name, version, week, day))
        readings: list[DriftGaugeReading] = []
        for p in drift_points(session, name, version, day, day):
            if p.statistic == "estimated_accuracy":
                readings.append(DriftGaugeReading(p.statistic, version, False, None, events, p.current))
            elif p.status != "too_few":
                readings.append(DriftGaugeReading(p.statistic, version, p.status == "drift", p.distance))
        return readings

    return _version_reader(db, get_live, ttl_s, readings_of)
