"""`GET /v1/relations/alerts`: pairs whose last 7 days left the range of the 30 days before.

The definition (windows, bootstrap over articles, minimum sentences) is in
`newsmodel.relindex.alerts` and docs/INDEX.md; `app.relations.monitoring` exports the same
answer as Prometheus gauges.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.deps import DbSession
from app.relations.deps import IndexDay, NameParam, VersionParam, choose, service_settings
from app.relations.schemas import AlertsPage, PairAlertView
from newsmodel.relindex import AlertReport, index_alerts

__all__ = ["alerts_page", "router"]

router = APIRouter(tags=["relations"])


def alerts_page(report: AlertReport, is_live: bool, reason: str) -> AlertsPage:
    return AlertsPage(
        model_name=report.model_name,
        model_version=report.model_version,
        is_live=is_live,
        shown_because=reason,
        as_of=report.as_of,
        recent_start=report.recent_start,
        baseline_start=report.baseline_start,
        baseline_end=report.baseline_end,
        min_sentences=report.min_sentences,
        method=(
            f"last 7 days' mean polarity against the {report.level:.0%} percentile bootstrap interval "
            f"of a same-size draw of articles from the 30 days before ({report.resamples} resamples); "
            f"pairs with fewer than {report.min_sentences} sentences on either side are not judged"
        ),
        flagged=[str(p.pair) for p in report.flagged],
        pairs=[
            PairAlertView(
                pair=str(p.pair),
                status=p.status,
                recent_score=p.recent_score,
                baseline_score=p.baseline_score,
                baseline_low=p.baseline_low,
                baseline_high=p.baseline_high,
                shift=p.shift,
                recent_sentences=p.recent_sentences,
                baseline_sentences=p.baseline_sentences,
                recent_articles=p.recent_articles,
                baseline_articles=p.baseline_articles,
            )
            for p in report.pairs
        ],
    )


@router.get("/v1/relations/alerts", response_model=AlertsPage)
def list_alerts(
    request: Request,
    session: DbSession,
    model_version: VersionParam = None,
    model_name: NameParam = None,
    as_of: Annotated[IndexDay | None, Query(description="Last day of the 7; default: newest indexed")] = None,
    min_sentences: Annotated[
        int | None,
        Query(
            ge=1, le=100_000, description="Sentences needed on both sides; default INDEX_ALERT_MIN_SENTENCES"
        ),
    ] = None,
) -> AlertsPage:
    """Every pair of the shown version (live by default), flagged ones first."""
    chosen = choose(request, session, model_name, model_version)
    minimum = min_sentences or service_settings(request).index_alert_min_sentences
    report = index_alerts(session, chosen.version, as_of=as_of, min_sentences=minimum)
    return alerts_page(report, chosen.is_live, chosen.reason)
