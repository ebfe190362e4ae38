"""robots.txt, read once per origin per process with protego (Scrapy's parser).

Status handling follows RFC 9309: 4xx means no rules (allow all); 5xx or an unreachable
server means "assume complete disallow" until the next process retries. A Crawl-delay slows
the host's politeness gate down; it never speeds it up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from crawler.errors import BlockedURL, FetchError

__all__ = ["RobotsCache", "RobotsRules"]

# (status, body) of GET /robots.txt; raises FetchError when the server cannot be reached.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class RobotsRules:
    parser: Protego | None  # None: allow everything
    disallow_all: bool = False
    reason: str = ""

    def allows(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


class RobotsCache:
    """One fetch of /robots.txt per origin, shared by concurrent callers."""

    def __init__(self, fetch: RobotsFetch, user_agent: str, ttl_s: float = 3600.0) -> None:
        self._fetch = fetch
        self.user_agent = user_agent
        self.ttl_s = ttl_s  # a long-running scheduler re-reads robots.txt this often
        self._rules: dict[str, tuple[float, asyncio.Task[RobotsRules]]] = {}

    async def _load(self, origin: str) -> RobotsRules:
        try:
            status, body = await self._fetch(origin + "/robots.txt")
        except FetchError as exc:
            return RobotsRules(None, disallow_all=True, reason=f"robots.txt unreachable ({exc.reason})")
        if 400 <= status < 500:
            return RobotsRules(None)
        if status >= 500:
            return RobotsRules(None, disallow_all=True, reason=f"robots.txt answered HTTP {status}")
        return RobotsRules(Protego.parse(body.decode("utf-8", errors="replace")))

    async def rules_for(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        cached = self._rules.get(origin)
        now = time.monotonic()
        if cached is None or now - cached[0] > self.ttl_s:
            cached = self._rules[origin] = (now, asyncio.ensure_future(self._load(origin)))
        return await cached[1]

    async def check(self, url: str) -> RobotsRules:
        """Raise BlockedURL when robots.txt forbids the URL for our user agent."""
        rules = await self.rules_for(url)
        if not rules.allows(url, self.user_agent):
            raise BlockedURL(url, rules.reason or "disallowed by robots.txt")
        return rules
