"""Crawl sources in one process: one fetcher (shared host gates), one store, one tagger.

`crawl_session()` builds what every run shares; `run_sources()` crawls a list once
(`crawler run`), the scheduler keeps one session open for its lifetime. Politeness stays per
host because every source goes through the same fetcher. A source whose lock is held
elsewhere is reported as `skipped`, not failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from crawler.errors import SourceBusy
from crawler.extract_pool import ArticleProcessor
from crawler.fetcher import Fetcher
from crawler.http_cache import DatabaseValidatorStore, ValidatorStore
from crawler.settings import CrawlerSettings
from crawler.source_run import CrawlContext, ProgressSink, SourceRunResult, crawl_source
from crawler.sources import SourceConfig
from crawler.store import CrawlStore, RunCounts
from crawler.tagging import load_tagger
from newsmodel.db.session import Database
from newsmodel.logging import get_logger

__all__ = ["all_failed", "crawl_once", "crawl_session", "run_sources"]

log = get_logger(__name__)


@asynccontextmanager
async def crawl_session(
    settings: CrawlerSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressSink | None = None,
    validators: ValidatorStore | None = None,
) -> AsyncIterator[CrawlContext]:
    """Open the process's Database (one clear line now if it does not answer), then hold a
    fetcher, store and article processor for the runs to share; the Database is disposed at the end."""
    db = Database.connect(settings.database_url)
    try:
        store = CrawlStore(db)
        tag = await asyncio.to_thread(load_tagger) is not None
        if validators is None:  # shared with every run and replica through the database
            validators = DatabaseValidatorStore(db)
        with ArticleProcessor(settings.extract_processes, tag) as processor:
            async with Fetcher(settings, transport=transport, validators=validators) as fetcher:
                yield CrawlContext(fetcher, store, settings.lock_dir, processor, progress)
    finally:
        db.dispose()


async def crawl_once(source: SourceConfig, ctx: CrawlContext, limit: int | None = None) -> SourceRunResult:
    """One run of one source; `skipped` when another process is crawling it right now."""
    try:
        return await crawl_source(source, ctx, limit=limit)
    except SourceBusy as exc:
        log.warning("crawl_skipped", source=source.name, reason=str(exc))
        return SourceRunResult(source.name, None, "skipped", RunCounts())


async def run_sources(
    sources: list[SourceConfig],
    settings: CrawlerSettings,
    *,
    limit: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressSink | None = None,
    validators: ValidatorStore | None = None,
) -> list[SourceRunResult]:
    """Crawl each source once, several at a time; results in the order of `sources`."""
    slots = asyncio.Semaphore(settings.source_concurrency)
    async with crawl_session(settings, transport=transport, progress=progress, validators=validators) as ctx:

        async def one(source: SourceConfig) -> SourceRunResult:
            async with slots:
                return await crawl_once(source, ctx, limit)

        return list(await asyncio.gather(*(one(s) for s in sources)))


def all_failed(results: list[SourceRunResult]) -> bool:
    """True when there was something to run and every source that ran failed."""
    ran = [r for r in results if r.status != "skipped"]
    return bool(ran) and all(r.status == "failed" for r in ran)
