"""`crawler schedule`: the crawler container's long-running process.

APScheduler 3 (in-process, asyncio) fires each source on its own trigger: `every N` sources
run at start and then every N; crontab sources at their next match (UTC). A source never
overlaps itself: APScheduler's `max_instances=1` within the process, and the per-source run
lock (Postgres advisory lock / file lock) across processes, so two scheduler replicas or a
manual `crawler run` at the same moment skip instead of crawling twice. A heartbeat row in the
database (`crawler.heartbeat`, one per instance) lets the container's healthcheck see that the
loop is alive (`crawler health`, `healthcheck heartbeat`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.heartbeat import HEARTBEAT_EVERY_S, beat
from crawler.settings import CrawlerSettings
from crawler.shared_session import crawl_once, crawl_session
from crawler.source_run import CrawlContext
from crawler.sources import CronSchedule, SourceConfig
from newsmodel.cron import cron_trigger
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger

__all__ = ["build_trigger", "run_scheduler"]

log = get_logger(__name__)


def build_trigger(source: SourceConfig) -> tuple[BaseTrigger, dt.datetime | None]:
    """The APScheduler trigger of a source and its first fire time (now for interval sources)."""
    schedule = source.parsed_schedule
    if isinstance(schedule, CronSchedule):
        return cron_trigger(schedule.crontab), None
    now = dt.datetime.now(dt.UTC)
    return IntervalTrigger(seconds=schedule.seconds, start_date=now, timezone=dt.UTC), now


def _beat(db: Database, instance: str, started_at: dt.datetime) -> None:
    """One heartbeat; a database that is down is logged, and the healthcheck reports it."""
    try:
        beat(db, instance, started_at)
    except DependencyUnavailable as exc:
        log.warning("heartbeat_failed", instance=instance, error=str(exc))


async def run_scheduler(
    sources: list[SourceConfig],
    settings: CrawlerSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set); running crawls are cancelled and marked interrupted."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not the main thread (tests): the caller sets `stop` instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    running: set[asyncio.Task[object]] = set()
    # Due sources queue here rather than all opening connections and sockets at once.
    slots = asyncio.Semaphore(settings.source_concurrency)
    enabled = [s for s in sources if s.enabled]
    async with crawl_session(settings, transport=transport) as ctx:
        scheduler = AsyncIOScheduler(event_loop=loop, timezone=dt.UTC)
        for source in enabled:
            trigger, first = build_trigger(source)
            scheduler.add_job(
                _job,
                trigger,
                args=[source, ctx, running, slots],
                id=source.name,
                name=source.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=300,
                **({"next_run_time": first} if first else {}),
            )
        started_at = dt.datetime.now(dt.UTC)
        scheduler.add_job(
            _beat,
            IntervalTrigger(seconds=HEARTBEAT_EVERY_S),
            args=[ctx.store.db, settings.instance_name, started_at],
            next_run_time=started_at,
        )
        scheduler.start()
        log.info(
            "scheduler_started",
            sources=[s.name for s in enabled],
            schedules={s.name: s.schedule for s in enabled},
        )
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            for task in list(running):
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            log.info("scheduler_stopped")


async def _job(
    source: SourceConfig, ctx: CrawlContext, running: set[asyncio.Task[object]], slots: asyncio.Semaphore
) -> None:
    task = asyncio.current_task()
    assert task is not None
    running.add(task)
    try:
        async with slots:
            result = await crawl_once(source, ctx)
        log.info("scheduled_run_done", source=source.name, status=result.status, run_id=result.run_id)
    except asyncio.CancelledError:
        raise
    except Exception:  # one broken source must not stop the scheduler; logged with its traceback
        log.exception("scheduled_run_crashed", source=source.name)
    finally:
        running.discard(task)
