"""The Celery app (`celery -A app.celery_app:celery_app worker|beat`): config, model per process, beat.

Configuration is added lazily (`add_defaults` with a callable), so importing this module reads
no settings. Each worker process loads the live model in `worker_process_init` (never before
the fork) and follows promotions with its own poll thread, exactly like the API; it opens its
database there too (`app.worker_database`), so no pooled connection crosses a fork.

Metrics (`app.worker_metrics`): with APP_WORKER_METRICS_PORT set, the main process switches
prometheus_client to multiprocess mode in `worker_init` (before the fork) and serves /metrics,
merged over its pool processes, once the worker is ready; each pool process counts its own
shadow work, scored sentences and task durations.

Delivery guarantees: `acks_late` + `reject_on_worker_lost` + prefetch 1 mean a task whose
process dies is delivered again; tasks are one chunk long and idempotent, so the visibility
timeout only has to exceed one chunk (hard time limit below it, so a task never outlives it).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from celery import Celery, signals

from app.model_follower import ModelFollower, ModelHandle, follower_from_settings
from app.settings import AppSettings, get_app_settings
from app.shadow import ShadowMetrics, ShadowMirror, shadow_from_settings
from app.worker_database import close_worker_database, open_worker_database, worker_database
from app.worker_metrics import (
    MetricsServer,
    MultiprocessDirectory,
    WorkerMetrics,
    enable_multiprocess,
    mark_dead,
)
from newsmodel.errors import ModelNotAvailable
from newsmodel.logging import configure_logging, get_logger

__all__ = [
    "PIPELINE_TASK",
    "celery_app",
    "celery_config",
    "count_scored",
    "loaded_model",
    "worker_model",
    "worker_shadow",
]

log = get_logger(__name__)
PIPELINE_TASK = "app.celery_tasks.run_pipeline"
WATCHDOG_TASK = "app.celery_tasks.resume_stalled_jobs"
TASK_MODULES = ["app.celery_tasks", "app.relations.celery_tasks"]


def celery_config(settings: AppSettings) -> dict[str, Any]:
    """Celery settings derived from AppSettings (one place, documented above)."""
    vt = settings.celery_visibility_timeout_s
    return {
        # Embedded mode never starts a worker; memory:// keeps imports and introspection working.
        "broker_url": settings.redis_url or "memory://",
        "task_default_queue": "newsmodel",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_time_limit": max(4, int(vt * 0.9)),
        "task_soft_time_limit": max(3, int(vt * 0.8)),
        "broker_transport_options": {
            "visibility_timeout": vt,
            # Restore abandoned (unacked) messages soon after the timeout, not ~100 s later.
            "unacked_restore_interval": max(1, min(10, vt // 5)),
            "unacked_restore_throttle": 1,
            # The lock around that restore scan outlives a worker killed while holding it
            # (SIGKILL, OOM): kombu's default of 300 s stopped every worker from restoring
            # anything for five minutes. One scan takes milliseconds; a few seconds suffice,
            # and two scans overlapping restore nothing twice (each restore is a transaction).
            "unacked_mutex_expire": max(1, min(5, vt // 4)),
        },
        "broker_connection_retry_on_startup": True,
        "worker_proc_alive_timeout": settings.worker_proc_alive_timeout_s,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "beat_schedule": {
            "pipeline": {"task": PIPELINE_TASK, "schedule": settings.pipeline_interval_s},
            # A watchdog message that waited behind a backlog longer than this is dropped unrun
            # (Celery's `expires`): one that runs proves the queue ahead of it was delivered.
            "job-watchdog": {
                "task": WATCHDOG_TASK,
                "schedule": settings.job_watchdog_interval_s,
                "options": {"expires": settings.watchdog_expires_s},
            },
        },
    }


celery_app = Celery("newsmodel", include=TASK_MODULES)
celery_app.add_defaults(lambda: celery_config(get_app_settings()))

_follower: ModelFollower | None = None
_shadow: ShadowMirror | None = None
_metrics: WorkerMetrics | None = None
_task_started: dict[str, float] = {}
_metrics_dir: MultiprocessDirectory | None = None
_metrics_server: MetricsServer | None = None


def worker_shadow() -> ShadowMirror | None:
    """This worker process's shadow challenger mirror (None: shadowing off, or not a worker)."""
    return _shadow


def count_scored(model_version: str, n: int) -> None:
    """Count sentences a job task scored in this worker process (no-op outside a worker)."""
    if _metrics is not None:
        _metrics.scored.labels(model_version=model_version).inc(n)


def loaded_model() -> ModelHandle | None:
    """The model this worker process holds now, without asking the registry (None outside a worker)."""
    return _follower.current if _follower is not None else None


def worker_model(wanted_version: str | None = None) -> ModelHandle:
    """The live model in this worker process; checks the registry once more before giving up.

    Also checks now when a job is pinned to another version than the loaded one: every process
    polls on its own clock, so a version promoted a moment ago (the API's backfill request
    names it) may not be loaded here yet, and the job would be superseded by a stale poll.
    """
    if _follower is None:
        raise ModelNotAvailable("this process has no model follower (not started by a Celery worker)")
    try:
        handle = _follower.require()
    except ModelNotAvailable:
        _follower.check_now()
        return _follower.require()
    if wanted_version is not None and handle.version != wanted_version:
        _follower.check_now()
        handle = _follower.require()
    return handle


@signals.worker_init.connect
def _enable_worker_metrics(**_: Any) -> None:
    global _metrics_dir
    if get_app_settings().worker_metrics_port:
        _metrics_dir = enable_multiprocess()


@signals.worker_ready.connect
def _serve_worker_metrics(**_: Any) -> None:
    global _metrics_server
    port = get_app_settings().worker_metrics_port
    if _metrics_dir is None or not port:
        return
    try:
        _metrics_server = MetricsServer(port, _metrics_dir)
    except OSError as exc:  # scoring goes on; only the scrape is missing, and said so
        log.error("worker metrics port unavailable; /metrics not served", port=port, error=str(exc))


@signals.worker_shutdown.connect
def _stop_worker_metrics(**_: Any) -> None:
    if _metrics_server is not None:
        _metrics_server.stop()
    if _metrics_dir is not None:
        _metrics_dir.discard()


@signals.task_prerun.connect
def _task_started_at(task_id: str, **_: Any) -> None:
    _task_started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started = _task_started.pop(task_id, None)
    if _metrics is not None and started is not None:
        seconds = time.perf_counter() - started
        _metrics.task_seconds.labels(task=task.name, state=state or "UNKNOWN").observe(seconds)


@signals.worker_process_init.connect
def _load_model(**_: Any) -> None:
    global _follower, _shadow, _metrics
    settings = get_app_settings()
    # The process's own stderr, not Celery's proxy of it: through the proxy every line of the
    # pool process (task results, errors, the scoring log) was lost.
    configure_logging(settings.log_level, settings.log_format, stream=sys.__stderr__)
    open_worker_database(settings.database_url)  # after the fork: this process's own pool
    _metrics = WorkerMetrics()
    _follower = follower_from_settings(settings)
    _follower.start()
    handle = _follower.current
    log.info("worker model", version=handle.version if handle else None, **_follower.status())
    _shadow = shadow_from_settings(settings, _follower, worker_database(), ShadowMetrics(), "job")
    if _shadow is not None:
        _shadow.start(load_now=True)


@signals.worker_process_shutdown.connect
def _stop_following(**_: Any) -> None:
    if _shadow is not None:
        _shadow.stop(timeout=1.0)  # flushes this process's tally
    if _follower is not None:
        _follower.stop(timeout=1.0)
    close_worker_database()
    mark_dead(os.getpid())  # its live gauges leave the merged totals; its counters stay
