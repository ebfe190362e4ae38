"""Drift monitoring, run where the relation index is built: settings in, events out.

`refresh_drift` is called after every index build (the Celery `update_index` task, the embedded
job thread, the in-process backfill); it takes the version's benchmark predictions from the
registry as the prediction reference and the loaded model's tokenizer for the unknown-token rate
when the loaded model is that version. Its return value lists the new drift events; a new event
on recent news (the last RECENT_DAYS days, not a backfill of old days) asks for a retraining run
(trigger `drift`, coalesced with any run already queued).
"""

from __future__ import annotations

import datetime as dt

from newsmodel.db.session import Database
from newsmodel.errors import NewsmodelError
from newsmodel.logging import get_logger
from newsmodel.monitoring import DriftThresholds, DriftUpdate, registry_class_reference, update_drift
from newsmodel.monitoring.series import UnknownRates
from newsmodel.predictor import OnnxPredictor
from newsmodel.settings import BaseServiceSettings

__all__ = ["drift_thresholds", "refresh_drift", "request_drift_retraining"]

log = get_logger(__name__)
RECENT_DAYS = 2  # events on older days come from a backfill: history, not today's news


def drift_thresholds(settings: BaseServiceSettings) -> DriftThresholds:
    return DriftThresholds(
        alpha_per_day=settings.drift_alpha_per_day,
        prediction_alpha_share=settings.drift_prediction_alpha_share,
        prediction_window_share=settings.drift_prediction_window_share,
        min_psi_prediction=settings.drift_min_psi_prediction,
        min_psi_input=settings.drift_min_psi_input,
        min_unknown_rate_change=settings.drift_min_unknown_rate_change,
        min_sentences=settings.drift_min_sentences,
        min_reference_sentences=settings.drift_min_reference_sentences,
    )


def refresh_drift(
    db: Database,
    settings: BaseServiceSettings,
    model_name: str,
    model_version: str,
    predictor: OnnxPredictor | None = None,
) -> DriftUpdate:
    """Bring the version's drift series up to date; `predictor` must be that version's (or None)."""
    reference = None
    if settings.drift_prediction_reference == "benchmark":
        from mlflow.tracking import MlflowClient

        uri = settings.mlflow_tracking_uri
        reference = registry_class_reference(
            MlflowClient(tracking_uri=uri, registry_uri=uri), model_name, model_version
        )
    rates: UnknownRates | None = predictor.unknown_token_rates if predictor is not None else None
    update = update_drift(
        db,
        model_name=model_name,
        model_version=model_version,
        thresholds=drift_thresholds(settings),
        reference_days=settings.drift_reference_days,
        class_reference=reference,
        unknown_rates=rates,
    )
    request_drift_retraining(db, settings, update)
    return update


def request_drift_retraining(db: Database, settings: BaseServiceSettings, update: DriftUpdate) -> None:
    """Request a `drift` retraining run for new events on recent days; never fails the index."""
    since = dt.date.today() - dt.timedelta(days=RECENT_DAYS)
    recent = sorted({f"{e.statistic}@{e.day.isoformat()}" for e in update.events if e.day >= since})
    if not recent:
        return
    from newsmodel.retraining.trigger import request_retraining

    reason = f"drift on {update.model_name} v{update.model_version}: {', '.join(recent)}"
    try:
        request_retraining("drift", reason, db=db, settings=settings)
    except NewsmodelError as exc:  # the queue's database is down: the event row is kept anyway
        log.warning("drift retraining request failed", reason=reason, error=str(exc))
