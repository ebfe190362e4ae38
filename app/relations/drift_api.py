"""`GET /v1/monitoring/drift`: a version's drift series per day, its events and its estimated accuracy.

The statistics and thresholds are in `newsmodel.monitoring.drift` (and the README's "Drift
monitoring"); the series is computed where the index is built (`app.relations.drift`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from app.api.deps import DbSession
from app.relations.deps import IndexDay, NameParam, VersionParam, choose, service_settings
from app.relations.drift import drift_thresholds
from app.relations.schemas import (
    AccuracyPointView,
    DriftEventView,
    DriftPage,
    DriftPointView,
    DriftSeriesView,
    DriftThresholdsView,
)
from newsmodel.db.models import DriftPoint
from newsmodel.errors import DataError
from newsmodel.monitoring import STATISTICS, drift_events, drift_points, latest_drift_day

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])
MAX_DAYS = 366
StatisticParam = Literal[
    "prediction_shares", "confidence", "sentence_length", "language_mix", "pair_mix", "unknown_token_rate"
]
METHOD = (
    "each day of the version against the days before it (input, confidence) and against its "
    "benchmark predictions (prediction shares; the days before when the registry has none): PSI and "
    "a test per statistic (chi-square for mixes and class shares, two-sample KS for sentence length "
    "and confidence, Welch's t for the unknown-token rate); a statistic drifts when p < its share of "
    "the day's false-alarm budget AND its distance reaches the minimum effect"
)


def _point(p: DriftPoint) -> DriftPointView:
    return DriftPointView(
        day=p.day,
        status=p.status,  # type: ignore[arg-type]
        distance=p.distance,
        p_value=p.p_value,
        alpha=p.alpha,
        min_distance=p.min_distance,
        n=p.n,
        reference_n=p.reference_n,
        reference=p.reference,
        current=p.current,
        baseline=p.baseline,
        movers=list((p.details or {}).get("movers", [])),
    )


@router.get("/v1/monitoring/drift", response_model=DriftPage)
def get_drift(
    request: Request,
    session: DbSession,
    model_version: VersionParam = None,
    model_name: NameParam = None,
    start: Annotated[IndexDay | None, Query(description="First day; default: `days` before `end`")] = None,
    end: Annotated[IndexDay | None, Query(description="Last day; default: the newest judged day")] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Days shown when `start` is not given")] = 30,
    statistic: Annotated[
        list[StatisticParam] | None, Query(description="Only these statistics (repeatable); default: all")
    ] = None,
) -> DriftPage:
    """The shown version (live by default, as for /v1/relations) and its drift between `start` and `end`."""
    chosen = choose(request, session, model_name, model_version)
    name, version = chosen.version.model_name, chosen.version.model_version
    last = end or latest_drift_day(session, name, version) or chosen.version.last_day
    first = start or last - dt.timedelta(days=days - 1)
    if first > last:
        raise DataError(f"start {first} is after end {last}")
    if (last - first).days >= MAX_DAYS:
        raise DataError(f"at most {MAX_DAYS} days per request, asked for {(last - first).days + 1}")
    wanted = set(statistic or STATISTICS)
    by_stat: dict[str, list[DriftPoint]] = defaultdict(list)
    accuracy: list[AccuracyPointView] = []
    for p in drift_points(session, name, version, first, last):
        if p.statistic == "estimated_accuracy":
            if p.current is not None:
                d = p.details or {}
                accuracy.append(
                    AccuracyPointView(
                        day=p.day,
                        accuracy=p.current,
                        low=d.get("low", p.current),
                        high=d.get("high", p.current),
                        n=p.n,
                    )
                )
        elif p.statistic in wanted:
            by_stat[p.statistic].append(p)
    settings = service_settings(request)
    t = drift_thresholds(settings)
    return DriftPage(
        model_name=name,
        model_version=version,
        is_live=chosen.is_live,
        shown_because=chosen.reason,
        start=first,
        end=last,
        method=METHOD,
        thresholds=DriftThresholdsView(
            alpha_per_day=t.alpha_per_day,
            prediction_alpha=t.alpha("prediction_shares"),
            other_alpha=t.alpha("confidence"),
            min_psi_prediction=t.min_psi_prediction,
            min_psi_input=t.min_psi_input,
            min_unknown_rate_change=t.min_unknown_rate_change,
            min_sentences=t.min_sentences,
            min_reference_sentences=t.min_reference_sentences,
            reference_days=settings.drift_reference_days,
            prediction_reference=settings.drift_prediction_reference,
        ),
        series=[
            DriftSeriesView(
                statistic=s,
                kind=STATISTICS[s],
                latest_status=by_stat[s][-1].status if by_stat[s] else None,  # type: ignore[arg-type]
                points=[_point(p) for p in by_stat[s]],
            )
            for s in STATISTICS
            if s in wanted and by_stat[s]
        ],
        estimated_accuracy=accuracy,
        events=[
            DriftEventView(
                day=e.day,
                statistic=e.statistic,
                kind=e.kind,
                distance=e.distance,
                p_value=e.p_value,
                alpha=e.alpha,
                n=e.n,
                reference=e.reference,
                movers=list(e.movers or []),
                created_at=e.created_at,
            )
            for e in drift_events(session, name, version, first, last)
            if e.statistic in wanted
        ],
    )
