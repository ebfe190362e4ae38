"""One crawl run of one source: discover -> skip known -> fetch -> extract -> dedupe -> store.

Failures of single URLs (an entry point or an article) are counted, recorded with their
reason and skipped; the run goes on. Counting rules (each URL lands in exactly one bucket):
`discovered` unique article URLs found; `duplicate` already stored (skipped without a fetch,
or fetched and found to be a copy); `new` stored for the first time; `failed` every URL,
entry points included, that could not be used (len(errors) == failed up to a cap).
`fetched` counts article pages downloaded. Without `--limit`, discovered == new + duplicate +
(failed - failed entry points).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from crawler.discovery import DiscoveredLink, parse_feed, parse_listing, parse_sitemap
from crawler.errors import FetchError, ParseError
from crawler.extract_pool import ArticleProcessor
from crawler.fetcher import ContentKind, Fetcher
from crawler.locks import source_lock
from crawler.sources import SourceConfig, SourceKind
from crawler.store import CrawlStore, RunCounts
from crawler.urls import canonicalize
from newsmodel.logging import get_logger

__all__ = ["CrawlContext", "ProgressSink", "SourceRunResult", "crawl_source"]

log = get_logger(__name__)
MAX_CHILD_SITEMAPS = 50
ARTICLES_IN_FLIGHT = 64


class ProgressSink(Protocol):
    def add_total(self, source: str, count: int) -> None: ...
    def advance(self, source: str) -> None: ...


class _NoProgress:
    def add_total(self, source: str, count: int) -> None:
        return None

    def advance(self, source: str) -> None:
        return None


@dataclass
class CrawlContext:
    """What a run needs from outside: the fetcher, the store, the lock dir, the article processor."""

    fetcher: Fetcher
    store: CrawlStore
    lock_dir: Path  # only used by SQLite-mode file locks
    processor: ArticleProcessor
    progress: ProgressSink | None = None


@dataclass(frozen=True)
class SourceRunResult:
    source: str
    run_id: int | None  # None when the run was skipped (another process held the lock)
    status: str  # succeeded | partial | failed | interrupted | skipped
    counts: RunCounts


def _status(counts: RunCounts) -> str:
    if counts.failed == 0:
        return "succeeded"
    if counts.new + counts.duplicate == 0:
        return "failed"
    return "partial"


async def _discover(source: SourceConfig, ctx: CrawlContext, counts: RunCounts) -> list[DiscoveredLink]:
    """Fetch and parse every entry point; a broken one is counted as failed and skipped."""
    kind = {SourceKind.SITEMAP: ContentKind.SITEMAP, SourceKind.LISTING: ContentKind.HTML}.get(
        source.kind, ContentKind.FEED
    )
    conditional = source.kind is not SourceKind.LISTING
    queue = list(source.urls)
    seen: set[str] = set()
    links: list[DiscoveredLink] = []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            result = await ctx.fetcher.fetch(url, allows=source.allows, kind=kind, conditional=conditional)
            if result.not_modified:
                log.info("entry_point_not_modified", source=source.name, url=url)
                continue
            ctx.fetcher.validators.stage(url, result.etag, result.last_modified)
            if source.kind is SourceKind.SITEMAP:
                page = await asyncio.to_thread(parse_sitemap, result.content, result.final_url)
                room = MAX_CHILD_SITEMAPS - (len(seen) - len(source.urls))
                queue.extend(page.children[: max(0, room)])
                links.extend(page.links)
            elif source.kind is SourceKind.LISTING:
                assert source.selector is not None
                links.extend(parse_listing(result.content, result.final_url, source.selector))
            else:
                links.extend(await asyncio.to_thread(parse_feed, result.content, result.final_url))
        except (FetchError, ParseError) as exc:
            log.warning("entry_point_failed", source=source.name, url=url, reason=exc.reason)
            counts.fail(url, exc.reason)
    return links


def _unique(links: list[DiscoveredLink], counts: RunCounts) -> dict[str, DiscoveredLink]:
    """Canonical URL -> first link seen with it; malformed URLs fail here."""
    unique: dict[str, DiscoveredLink] = {}
    for link in links:
        try:
            canonical = canonicalize(link.url)
        except ValueError as exc:
            counts.fail(link.url, str(exc))
            continue
        unique.setdefault(canonical, link)
    return unique


async def _crawl_article(
    source: SourceConfig,
    ctx: CrawlContext,
    run_id: int,
    source_id: int,
    canonical: str,
    link: DiscoveredLink,
    counts: RunCounts,
) -> None:
    try:
        result = await ctx.fetcher.fetch(link.url, allows=source.allows, kind=ContentKind.HTML)
        counts.fetched += 1
        article, countries = await ctx.processor.process(result.content, result.final_url, source.language)
        try:
            final = canonicalize(result.final_url)
        except ValueError as exc:
            raise FetchError(link.url, f"redirected to an unusable URL ({exc})") from None
        outcome = ctx.store.save_article(
            run_id=run_id,
            source_id=source_id,
            url=result.final_url,
            canonical_urls=[canonical, final],
            article=article,
            published_at=link.published_at or article.published_at,
            language=article.language or source.language,
            countries=countries,
            counts=counts,
        )
        log.debug("article_stored", source=source.name, url=link.url, outcome=outcome)
    except (FetchError, ParseError) as exc:
        log.info("article_failed", source=source.name, url=link.url, reason=exc.reason)
        counts.fail(link.url, exc.reason)
        ctx.store.checkpoint(run_id, counts)
    finally:
        (ctx.progress or _NoProgress()).advance(source.name)


async def crawl_source(
    source: SourceConfig, ctx: CrawlContext, *, limit: int | None = None
) -> SourceRunResult:
    """Crawl one source once under its run lock (SourceBusy if another process has it)."""
    with source_lock(ctx.store.db, source.name, ctx.lock_dir):
        return await _crawl_locked(source, ctx, limit)


async def _crawl_locked(source: SourceConfig, ctx: CrawlContext, limit: int | None) -> SourceRunResult:
    progress = ctx.progress or _NoProgress()
    source_id = ctx.store.ensure_source(source)
    run_id = ctx.store.start_run(source_id)
    for netloc in source.allowed_hosts:
        if source.limits.per_host_concurrency or source.limits.min_interval_s is not None:
            ctx.fetcher.gates.configure(
                netloc, source.limits.per_host_concurrency, source.limits.min_interval_s
            )
    counts = RunCounts()
    log.info("crawl_started", source=source.name, run_id=run_id)
    status = "interrupted"
    try:
        unique = _unique(await _discover(source, ctx, counts), counts)
        counts.discovered = len(unique)
        known = ctx.store.known_urls(unique)
        counts.duplicate += len(known)
        todo = [(c, link) for c, link in unique.items() if c not in known]
        cap = min(limit, source.limits.max_articles) if limit else source.limits.max_articles
        left = max(0, len(todo) - cap)
        if left:
            log.info("crawl_capped", source=source.name, left_for_next_run=left, cap=cap)
            todo = todo[:cap]
        ctx.store.checkpoint(run_id, counts)
        progress.add_total(source.name, len(todo))
        await _run_bounded(
            [partial(_crawl_article, source, ctx, run_id, source_id, c, link, counts) for c, link in todo]
        )
        status = _status(counts)
        # Only a complete, clean run may let the next one skip an unchanged feed (304):
        # failed or capped URLs must be offered again.
        if counts.failed == 0 and not left:
            ctx.fetcher.validators.commit(list(source.urls))
    finally:
        ctx.store.finish_run(run_id, counts, status)
        summary = {**counts.as_row(), "errors": len(counts.errors)}
        log.info("crawl_finished", source=source.name, run_id=run_id, status=status, **summary)
    return SourceRunResult(source.name, run_id, status, counts)


async def _run_bounded(jobs: list[Callable[[], Awaitable[None]]]) -> None:
    """Run coroutine factories with at most ARTICLES_IN_FLIGHT pending (hosts gate themselves).

    URL-level failures never escape a job; anything that does (the database went away) cancels
    the other jobs and is re-raised as itself, not wrapped in an ExceptionGroup, so callers see
    the one actionable error.
    """
    slots = asyncio.Semaphore(ARTICLES_IN_FLIGHT)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with slots:
            await job()

    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(one(job))
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
