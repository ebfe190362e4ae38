"""Compute (or bring up to date) the drift series of one model version, day by day, in the database.

Runs where the relation index is built (the Celery `update_index` task, the embedded job thread,
the backfill). A day is (re)judged when it has no drift rows yet or a prediction of that day is
newer than them; it is judged against the `reference_days` days before it (same version) and, for
prediction shares, against the version's benchmark predictions when the registry has them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from newsmodel.db.models import Article, DriftEvent, DriftPoint, Prediction, Sentence
from newsmodel.db.session import Database
from newsmodel.logging import get_logger
from newsmodel.monitoring.drift import DayReport, DaySample, DriftThresholds, judge_day
from newsmodel.monitoring.drift_events import record_drift_events
from newsmodel.monitoring.reference import ClassReference
from newsmodel.relindex.build import sentence_day

__all__ = ["DriftUpdate", "UnknownRates", "day_samples", "update_drift"]

UnknownRates = Callable[[Sequence[str]], Sequence[float]]
DEFAULT_MAX_DAYS = 93
log = get_logger("newsmodel.monitoring")


@dataclass
class DriftUpdate:
    """What one update did; the new events are the hook for whatever reacts to drift."""

    model_name: str
    model_version: str
    days_judged: int
    days_skipped: int
    seconds: float
    events: list[DriftEvent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["events"] = [f"{e.day.isoformat()} {e.statistic}" for e in self.events]
        return out


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts


def _dirty_days(session: Session, model_name: str, model_version: str, force: bool) -> list[dt.date]:
    day = sentence_day()
    predicted = {
        d: _aware(ts)
        for d, ts in session.execute(
            select(day, func.max(Prediction.created_at))
            .select_from(Prediction)
            .join(Sentence, Sentence.id == Prediction.sentence_id)
            .join(Article, Article.id == Sentence.article_id)
            .where(Prediction.model_name == model_name, Prediction.model_version == model_version)
            .group_by(day)
        )
        if d is not None
    }
    judged = {
        d: _aware(ts)
        for d, ts in session.execute(
            select(DriftPoint.day, func.min(DriftPoint.computed_at))
            .where(DriftPoint.model_name == model_name, DriftPoint.model_version == model_version)
            .group_by(DriftPoint.day)
        )
    }
    if force:
        return sorted(predicted)
    return sorted(d for d, newest in predicted.items() if d not in judged or newest >= judged[d])


def day_samples(
    session: Session,
    model_name: str,
    model_version: str,
    first: dt.date,
    last: dt.date,
    unknown_rates: UnknownRates | None = None,
) -> dict[dt.date, DaySample]:
    """Every scored sentence of the version between `first` and `last`, as one sample per day."""
    day = sentence_day()
    rows = list(
        session.execute(
            select(
                day.label("day"),
                Prediction.label,
                Prediction.probabilities,
                Sentence.text,
                func.coalesce(Sentence.language, Article.language).label("language"),
                Sentence.country_a,
                Sentence.country_b,
            )
            .select_from(Prediction)
            .join(Sentence, Sentence.id == Prediction.sentence_id)
            .join(Article, Article.id == Sentence.article_id)
            .where(
                Prediction.model_name == model_name,
                Prediction.model_version == model_version,
                day.between(first, last),
            )
            .order_by(Prediction.sentence_id)
        )
    )
    rates = list(unknown_rates([r.text for r in rows])) if unknown_rates is not None and rows else None
    samples: dict[dt.date, DaySample] = defaultdict(
        lambda: DaySample(unknown_rates=None if rates is None else [])
    )
    for i, r in enumerate(rows):
        s = samples[r.day]
        s.labels.append(r.label)
        s.confidence.append(max(r.probabilities.values()) if r.probabilities else 0.0)
        s.lengths.append(float(len(r.text.split())))
        s.languages.append(r.language or "unknown")
        s.pairs.append(f"{r.country_a}-{r.country_b}")
        if rates is not None and s.unknown_rates is not None:
            s.unknown_rates.append(float(rates[i]))
    return dict(samples)


def _series_rows(
    model_name: str, model_version: str, day: dt.date, report: DayReport, computed_at: dt.datetime
) -> list[dict[str, Any]]:
    base = {"model_name": model_name, "model_version": model_version, "day": day, "computed_at": computed_at}
    rows = [
        {
            **base,
            "statistic": r.statistic,
            "kind": r.kind,
            "status": r.status,
            "distance": r.distance,
            "p_value": r.p_value,
            "alpha": r.alpha,
            "min_distance": r.min_distance,
            "n": r.n,
            "reference_n": r.reference_n,
            "reference": r.reference,
            "current": r.current,
            "baseline": r.baseline,
            "details": {"movers": list(r.movers)},
        }
        for r in report.readings
    ]
    if report.accuracy is not None:
        a = report.accuracy
        rows.append(
            {
                **base,
                "statistic": "estimated_accuracy",
                "kind": "performance",
                "status": "estimate",
                "distance": None,
                "p_value": None,
                "alpha": None,
                "min_distance": None,
                "n": a.n,
                "reference_n": 0,
                "reference": "mean top-class confidence (CBPE; as good as the version's calibration)",
                "current": a.accuracy,
                "baseline": None,
                "details": {"low": a.low, "high": a.high},
            }
        )
    return rows


def _lock_version(session: Session, model_name: str, model_version: str) -> None:
    """Serialise concurrent updates of one version on Postgres (SQLite serialises writers itself)."""
    if session.get_bind().dialect.name == "postgresql":
        from newsmodel.relindex.arithmetic import stable_seed

        key = stable_seed("drift_series", model_name, model_version)
        key = key - (1 << 64) if key >= (1 << 63) else key
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def update_drift(
    db: Database,
    *,
    model_name: str,
    model_version: str,
    thresholds: DriftThresholds,
    reference_days: int = 30,
    class_reference: ClassReference | None = None,
    unknown_rates: UnknownRates | None = None,
    force: bool = False,
    max_days: int = DEFAULT_MAX_DAYS,
) -> DriftUpdate:
    """Judge the version's new days (the newest `max_days` of them) and record their events."""
    started = time.perf_counter()
    computed_at = dt.datetime.now(dt.UTC)
    events: list[DriftEvent] = []
    with db.transaction() as session:
        _lock_version(session, model_name, model_version)
        dirty = _dirty_days(session, model_name, model_version, force)
        todo, skipped = dirty[-max_days:], max(0, len(dirty) - max_days)
        if todo:
            first = todo[0] - dt.timedelta(days=reference_days)
            samples = day_samples(session, model_name, model_version, first, todo[-1], unknown_rates)
            for day in todo:
                reference = DaySample(unknown_rates=None if unknown_rates is None else [])
                start = day - dt.timedelta(days=reference_days)
                for d in sorted(samples):
                    if start <= d < day:
                        reference.extend(samples[d])
                label = f"{start.isoformat()}..{(day - dt.timedelta(days=1)).isoformat()} ({len(reference)} sentences)"
                report = judge_day(
                    samples.get(day, DaySample()),
                    reference,
                    thresholds,
                    reference_label=label,
                    class_counts=class_reference.counts if class_reference else None,
                    class_counts_label=class_reference.label if class_reference else "",
                    previous=samples.get(day - dt.timedelta(days=1)),
                )
                session.execute(
                    delete(DriftPoint).where(
                        DriftPoint.model_name == model_name,
                        DriftPoint.model_version == model_version,
                        DriftPoint.day == day,
                    )
                )
                session.execute(
                    insert(DriftPoint), _series_rows(model_name, model_version, day, report, computed_at)
                )
                events += record_drift_events(session, model_name, model_version, day, report.readings)
    update = DriftUpdate(
        model_name, model_version, len(todo), skipped, round(time.perf_counter() - started, 3), events
    )
    log.info("drift updated", **update.as_dict())
    return update
