"""Where submitted jobs run: Celery workers (Redis configured) or a thread in this process.

The API only publishes a message and returns; it never waits on a Celery result. Job state
lives in the database (`scoring_jobs`), so status and cancel work whichever runner ran it.
Either way a job that succeeds brings its version's relation index up to date.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from app.model_follower import ModelFollower, ModelHandle
from app.scoring_jobs import Mirror, run_job_inline
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger
from newsmodel.settings import redact_url

__all__ = [
    "BACKFILL_TASK",
    "SCORE_CHUNK_TASK",
    "CeleryJobDispatcher",
    "InProcessJobDispatcher",
    "JobDispatcher",
]

log = get_logger(__name__)
SCORE_CHUNK_TASK = "app.celery_tasks.score_chunk"
BACKFILL_TASK = "app.relations.celery_tasks.backfill_index"


class JobDispatcher(Protocol):
    name: str

    def ensure_available(self) -> None: ...

    def submit(self, job_id: str) -> None: ...

    def request_backfill(self, model_name: str, model_version: str) -> None: ...

    def healthy(self) -> tuple[bool, str]: ...

    def close(self) -> None: ...


class CeleryJobDispatcher:
    """Publish the first chunk of a job to the broker; workers chain the rest."""

    name = "celery"

    def __init__(self, redis_url: str, timeout_s: float = 1.0) -> None:
        import redis

        self.redis_url = redis_url
        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
        )

    def _broker_down(self, exc: Exception) -> DependencyUnavailable:
        return DependencyUnavailable(
            "Redis (Celery broker)",
            "REDIS_URL",
            redact_url(self.redis_url),
            f"{exc or type(exc).__name__}; jobs cannot be queued until it is back (predict still works)",
        )

    def ensure_available(self) -> None:
        """Fail in a second with a clear 503, not after kombu's connection retries."""
        from redis.exceptions import RedisError

        try:
            self._redis.ping()
        except (RedisError, OSError) as exc:
            raise self._broker_down(exc) from exc

    def submit(self, job_id: str) -> None:
        from kombu.exceptions import OperationalError

        from app.celery_app import celery_app

        try:
            celery_app.send_task(SCORE_CHUNK_TASK, args=[job_id], retry=False)
        except (OperationalError, OSError) as exc:
            raise self._broker_down(exc) from exc

    def request_backfill(self, model_name: str, model_version: str) -> None:
        """Ask the workers to rescore history with a newly promoted version (deduplicated there)."""
        from app.celery_app import celery_app

        self.ensure_available()
        celery_app.send_task(
            BACKFILL_TASK, kwargs={"model_name": model_name, "model_version": model_version}, retry=False
        )

    def healthy(self) -> tuple[bool, str]:
        from redis.exceptions import RedisError

        try:
            self._redis.ping()
        except (RedisError, OSError) as exc:
            return False, str(exc) or type(exc).__name__
        return True, "ok"

    def close(self) -> None:
        self._redis.close()


class InProcessJobDispatcher:
    """Embedded mode (no REDIS_URL): jobs run one at a time in a background thread."""

    name = "in-process"

    def __init__(
        self, db: Database, follower: ModelFollower, chunk_size: int, mirror: Mirror | None = None
    ) -> None:
        self.db = db
        self.follower = follower
        self.chunk_size = chunk_size
        self.mirror = mirror  # the shadow challenger's compare_now: every job sentence
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")

    def ensure_available(self) -> None:
        return None

    def submit(self, job_id: str) -> None:
        self._executor.submit(
            run_job_inline,
            self.db,
            job_id,
            self.follower.require,
            self.chunk_size,
            self._refresh_index,
            self.mirror,
        )

    def _refresh_index(self, handle: ModelHandle) -> None:
        """What the Celery path's index task does, in this thread: the version's new days, then drift."""
        from app.relations.drift import refresh_drift
        from app.settings import get_app_settings
        from newsmodel.registry.calibration import calibration_from_label_map
        from newsmodel.relindex import build_index

        calibration = calibration_from_label_map(handle.predictor.label_map.extra)
        build_index(self.db, model_name=handle.name, model_version=handle.version, calibration=calibration)
        refresh_drift(self.db, get_app_settings(), handle.name, handle.version, handle.predictor)

    def request_backfill(self, model_name: str, model_version: str) -> None:
        from app.relations.backfill import create_backfill_job, handle_scorer, run_backfill

        with self.db.transaction() as session:
            job_id, created = create_backfill_job(session, model_name, model_version)
        if created:
            from newsmodel.registry.calibration import calibration_from_label_map

            scorer = handle_scorer(self.follower.require, self.chunk_size)
            # the version's own held-out calibration, as the Celery index task fetches it
            calibration = calibration_from_label_map(self.follower.require().predictor.label_map.extra)
            self._executor.submit(run_backfill, self.db, job_id, scorer, calibration=calibration)

    def healthy(self) -> tuple[bool, str]:
        return True, "in-process (embedded mode)"

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
