"""Drift events: a statistic that crossed its threshold, written once, logged, and returned.

`record_drift_events` is the one place an event is born, so whatever must react to drift (a
retraining trigger, a notification) hooks on its return value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmodel.db.models import DriftEvent
from newsmodel.logging import get_logger
from newsmodel.monitoring.drift import DriftReading

__all__ = ["record_drift_events"]

log = get_logger("newsmodel.monitoring.drift")


def record_drift_events(
    session: Session, model_name: str, model_version: str, day: dt.date, readings: Iterable[DriftReading]
) -> list[DriftEvent]:
    """Insert an event for every crossed reading of `day` not recorded before; return the new ones.

    One event per (version, day, statistic): recomputing a day never repeats its events. Each new
    event is logged at WARNING as `drift event` with its figures (structured, for log alerting).
    """
    crossed = [r for r in readings if r.crossed and r.distance is not None and r.p_value is not None]
    if not crossed:
        return []
    known = set(
        session.scalars(
            select(DriftEvent.statistic).where(
                DriftEvent.model_name == model_name,
                DriftEvent.model_version == model_version,
                DriftEvent.day == day,
            )
        )
    )
    new = []
    for r in crossed:
        if r.statistic in known:
            continue
        assert r.distance is not None and r.p_value is not None
        event = DriftEvent(
            model_name=model_name,
            model_version=model_version,
            day=day,
            statistic=r.statistic,
            kind=r.kind,
            distance=r.distance,
            p_value=r.p_value,
            alpha=r.alpha,
            min_distance=r.min_distance,
            n=r.n,
            reference=r.reference,
            movers=list(r.movers),
        )
        session.add(event)
        new.append(event)
        log.warning(
            "drift event",
            model=model_name,
            version=model_version,
            day=day.isoformat(),
            statistic=r.statistic,
            kind=r.kind,
            distance=round(r.distance, 4),
            p_value=r.p_value,
            alpha=r.alpha,
            n=r.n,
            reference=r.reference,
            movers=list(r.movers),
        )
    session.flush()
    return new
