"""News crawler: sources.yaml -> polite fetching -> trafilatura extraction -> deduped articles.

Public API (imported lazily, so `import crawler` stays cheap and does nothing):
`load_sources`, `SourceConfig`, `CrawlerSettings`, `get_crawler_settings`, `run_sources`,
`crawl_session`, `run_scheduler`, `Fetcher`, `SourceRunResult`, `CrawlerError`.
Commands: `crawler run | schedule | sources | health` (see crawler/README.md).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "CrawlerError",
    "CrawlerSettings",
    "Fetcher",
    "SourceConfig",
    "SourceRunResult",
    "crawl_session",
    "get_crawler_settings",
    "load_sources",
    "run_scheduler",
    "run_sources",
]

_WHERE = {
    "CrawlerError": "crawler.errors",
    "CrawlerSettings": "crawler.settings",
    "get_crawler_settings": "crawler.settings",
    "Fetcher": "crawler.fetcher",
    "SourceConfig": "crawler.sources",
    "load_sources": "crawler.sources",
    "SourceRunResult": "crawler.source_run",
    "crawl_session": "crawler.shared_session",
    "run_sources": "crawler.shared_session",
    "run_scheduler": "crawler.scheduler",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'crawler' has no attribute {name!r}")
