"""Article extraction and country tagging, off the event loop.

trafilatura is CPU-bound Python: in threads it runs on one core under the GIL, which caps a
crawl at roughly 1 / (extraction time) articles per second whatever the network allows. A
process pool (CRAWLER_EXTRACT_PROCESSES > 0) can use more cores; it only pays where cores are
free (bench/crawl.py measures both). Workers are spawned (not forked: the crawler process has
threads) and import trafilatura and the country detector once, at start.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache, partial
from typing import Self

from crawler.errors import CrawlerError
from crawler.extract import ExtractedArticle, extract_article
from crawler.tagging import CountryTagger, load_tagger

__all__ = ["ArticleProcessor", "extract_and_tag"]

Processed = tuple[ExtractedArticle, list[str] | None]


@lru_cache(maxsize=1)
def _tagger() -> CountryTagger | None:
    return load_tagger()


def extract_and_tag(html: bytes, url: str, default_language: str, tag: bool) -> Processed:
    """Text and metadata of a page, plus the countries it mentions when `tag` (else None)."""
    article = extract_article(html, url)
    tagger = _tagger() if tag else None
    if tagger is None:
        return article, None
    return article, tagger(f"{article.title or ''}\n{article.text}", article.language or default_language)


def _exit_with_parent(parent: int) -> None:
    """A worker whose crawler was SIGKILLed would wait on its task queue forever: leave instead."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _init_worker(parent: int, tag: bool) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    import trafilatura  # noqa: F401  (import cost paid once per worker, before the first page)

    if tag:
        _tagger()


def _ping() -> int:
    return os.getpid()


class ArticleProcessor:
    """Runs `extract_and_tag` in a process pool (processes > 0) or in a worker thread.

    Workers take seconds to start (imports); until every one has answered a warm-up ping,
    pages are processed in a thread, so a short `crawler run` never waits for the pool and a
    long one (or the scheduler) gets every core once it is up.
    """

    def __init__(self, processes: int, tag: bool) -> None:
        self.tag = tag
        self._pool: ProcessPoolExecutor | None = None
        self._warming: list[Future[int]] = []
        if processes > 0:
            self._pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(), tag),
            )
            self._warming = [self._pool.submit(_ping) for _ in range(processes)]

    @property
    def pool_ready(self) -> bool:
        return self._pool is not None and all(f.done() for f in self._warming)

    async def process(self, html: bytes, url: str, default_language: str) -> Processed:
        job = partial(extract_and_tag, html, url, default_language, self.tag)
        if self._pool is None or not self.pool_ready:
            return await asyncio.to_thread(job)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, job)
        except BrokenProcessPool as exc:
            raise CrawlerError(f"an extraction worker process died ({exc}); the run stops here") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
