"""Read the drift series and events back (the API, /metrics, `newsmodel label export`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsmodel.db.models import DriftEvent, DriftPoint

__all__ = ["drift_events", "drift_points", "drifted_pairs", "latest_drift_day"]


def drift_points(
    session: Session, model_name: str, model_version: str, start: dt.date, end: dt.date
) -> list[DriftPoint]:
    """Every statistic of the version between `start` and `end`, by day then statistic."""
    stmt = (
        select(DriftPoint)
        .where(
            DriftPoint.model_name == model_name,
            DriftPoint.model_version == model_version,
            DriftPoint.day.between(start, end),
        )
        .order_by(DriftPoint.day, DriftPoint.statistic)
    )
    return list(session.scalars(stmt))


def latest_drift_day(session: Session, model_name: str, model_version: str) -> dt.date | None:
    stmt = select(func.max(DriftPoint.day)).where(
        DriftPoint.model_name == model_name, DriftPoint.model_version == model_version
    )
    return session.scalar(stmt)


def drift_events(
    session: Session, model_name: str | None, model_version: str | None, start: dt.date, end: dt.date
) -> list[DriftEvent]:
    """Events of the days between `start` and `end` (of one version, one model, or all), newest first."""
    stmt = select(DriftEvent).where(DriftEvent.day.between(start, end))
    if model_name is not None:
        stmt = stmt.where(DriftEvent.model_name == model_name)
    if model_version is not None:
        stmt = stmt.where(DriftEvent.model_version == model_version)
    return list(session.scalars(stmt.order_by(DriftEvent.day.desc(), DriftEvent.statistic)))


def drifted_pairs(
    session: Session, model_name: str | None = None, model_version: str | None = None, within_days: int = 30
) -> dict[str, dt.date]:
    """Country pairs ("KOR-USA") named as movers of a pair-mix drift event in the `within_days` days up
    to the newest such event, with their newest event day: `newsmodel label export`'s drifted pairs."""
    stmt = select(DriftEvent.movers, DriftEvent.day).where(DriftEvent.statistic == "pair_mix")
    if model_name is not None:
        stmt = stmt.where(DriftEvent.model_name == model_name)
    if model_version is not None:
        stmt = stmt.where(DriftEvent.model_version == model_version)
    rows = list(session.execute(stmt))
    if not rows:
        return {}
    since = max(day for _, day in rows) - dt.timedelta(days=within_days - 1)
    found: dict[str, dt.date] = {}
    for movers, day in rows:
        if day < since:
            continue
        for pair in movers or []:
            found[pair] = max(day, found.get(pair, day))
    return found
