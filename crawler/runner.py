"""Crawl several sources in one process: one fetcher (shared host gates), one store, one tagger.

Sources run concurrently (bounded by CRAWLER_SOURCE_CONCURRENCY); politeness stays per host
because every source goes through the same fetcher. A source whose lock is held elsewhere is
reported as `skipped`, not failed.
"""

from __future__ import annotations

import asyncio

import httpx

from crawler.crawl import CrawlContext, ProgressSink, SourceRunResult, crawl_source
from crawler.errors import SourceBusy
from crawler.fetcher import Fetcher
from crawler.settings import CrawlerSettings
from crawler.sources import SourceConfig
from crawler.store import CrawlStore, RunCounts
from crawler.tagging import load_tagger
from crawler.validators import ValidatorStore
from newsmodel.db.session import connect
from newsmodel.logging import get_logger

__all__ = ["all_failed", "run_sources"]

log = get_logger(__name__)


async def run_sources(
    sources: list[SourceConfig],
    settings: CrawlerSettings,
    *,
    limit: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressSink | None = None,
    validators: ValidatorStore | None = None,
) -> list[SourceRunResult]:
    """Crawl each source once; results in the order of `sources`."""
    connect(settings.database_url)  # one clear line now if the database is not there
    store = CrawlStore(settings.database_url)
    tagger = await asyncio.to_thread(load_tagger)
    if validators is None:
        validators = ValidatorStore(settings.http_cache_path)
    slots = asyncio.Semaphore(settings.source_concurrency)
    async with Fetcher(settings, transport=transport, validators=validators) as fetcher:
        ctx = CrawlContext(fetcher, store, settings.lock_dir, tagger, progress)

        async def one(source: SourceConfig) -> SourceRunResult:
            async with slots:
                try:
                    return await crawl_source(source, ctx, limit=limit)
                except SourceBusy as exc:
                    log.warning("crawl_skipped", source=source.name, reason=str(exc))
                    return SourceRunResult(source.name, None, "skipped", RunCounts())

        return list(await asyncio.gather(*(one(s) for s in sources)))


def all_failed(results: list[SourceRunResult]) -> bool:
    """True when there was something to run and every source that ran failed."""
    ran = [r for r in results if r.status != "skipped"]
    return bool(ran) and all(r.status == "failed" for r in ran)
