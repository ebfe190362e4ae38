"""`request_retraining`: the one call that asks for a retraining run (schedule, new labeled
data, drift, manual). It only records the request (cheap, no torch): the trainer's
`newsmodel retrain worker` (compose), the `retrain-pending` CronJob (Kubernetes) or
`newsmodel retrain run` (the embedded demo, in-process) runs it."""

from __future__ import annotations

from newsmodel.db.session import Database
from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger
from newsmodel.retraining.queue import RetrainRequest, queue_request
from newsmodel.retraining.triggers import TRIGGERS
from newsmodel.settings import BaseServiceSettings, get_settings

__all__ = ["RetrainRequest", "request_retraining"]

log = get_logger(__name__)


def request_retraining(
    trigger: str,
    reason: str = "",
    *,
    db: Database | None = None,
    settings: BaseServiceSettings | None = None,
) -> RetrainRequest:
    """Queue a retraining run, or join the one already queued (the extra trigger is recorded).

    Returns status `ignored` (nothing written) when retraining is off (RETRAIN_ENABLED=false)
    or this trigger is not in RETRAIN_TRIGGERS. `db` defaults to DATABASE_URL's."""
    if trigger not in TRIGGERS:  # a caller's mistake, whatever the settings say
        raise ConfigError(f"unknown retraining trigger {trigger!r}; use one of {', '.join(TRIGGERS)}")
    settings = settings or get_settings()
    if not settings.retrain_enabled or trigger not in settings.retrain_triggers:
        why = (
            "RETRAIN_ENABLED=false"
            if not settings.retrain_enabled
            else f"{trigger!r} not in RETRAIN_TRIGGERS"
        )
        log.info("retraining request ignored", trigger=trigger, reason=reason, why=why)
        return RetrainRequest(None, "ignored", trigger, note=why)
    own = db is None
    database = db or Database.connect(settings.database_url)
    try:
        request = queue_request(database, trigger, reason)
    finally:
        if own:
            database.dispose()
    log.info(
        "retraining requested",
        trigger=trigger,
        reason=reason,
        run=request.run_id,
        coalesced=request.coalesced,
        behind=request.running_id,
    )
    return request
