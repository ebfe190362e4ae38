"""The crawler's branch of the platform's exception tree.

httpx, lxml and feedparser errors are converted to these at the fetch/parse boundary, so a
crawl run records one readable reason per failed URL and never lets a library error escape.
"""

from __future__ import annotations

from newsmodel.errors import ConfigError, NewsmodelError

__all__ = [
    "BlockedURL",
    "CrawlerError",
    "FetchError",
    "ParseError",
    "SourceBusy",
    "SourcesFileError",
]


class CrawlerError(NewsmodelError):
    """Base of the crawler's own errors."""


class SourcesFileError(ConfigError):
    """sources.yaml is unreadable or invalid; `problems` holds one line per problem."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s):\n{lines}")


class FetchError(CrawlerError):
    """One URL could not be fetched; `reason` is what goes in the crawl run's error list."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class BlockedURL(FetchError):
    """We refused to fetch the URL: robots.txt, a host the source does not allow, or a private address."""


class ParseError(CrawlerError):
    """A feed, sitemap or listing page could not be read as one."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class SourceBusy(CrawlerError):
    """Another process is already crawling this source (the run lock is held)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__(f"source {source!r} is already being crawled by another process; skipped")
