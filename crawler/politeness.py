"""Per-host politeness: at most N requests in flight and a minimum gap between request starts.

Gates are keyed by `host[:port]` and shared by every source of one crawler process, so two
sources on the same site never add up to more than the site's budget. A 429/503 with
Retry-After pauses the whole host, not just the one URL that got it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["HostGate", "HostGates"]


class HostGate:
    """Concurrency limit plus a start-to-start interval for one host."""

    def __init__(self, concurrency: int, min_interval_s: float) -> None:
        self.concurrency = concurrency
        self.min_interval_s = min_interval_s
        self._slots = asyncio.Semaphore(concurrency)
        self._order = asyncio.Lock()
        self._next_start = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every new request to this host for `seconds` (the server asked us to)."""
        loop = asyncio.get_running_loop()
        self._next_start = max(self._next_start, loop.time() + seconds)

    def slow_down(self, min_interval_s: float) -> None:
        """Raise the interval (robots.txt Crawl-delay); never lowers it."""
        self.min_interval_s = max(self.min_interval_s, min_interval_s)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            async with self._order:
                loop = asyncio.get_running_loop()
                wait = self._next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = loop.time() + self.min_interval_s
            yield


class HostGates:
    """Creates gates on first use with the defaults, or with per-host overrides set beforehand."""

    def __init__(self, concurrency: int, min_interval_s: float) -> None:
        self._default = (concurrency, min_interval_s)
        self._overrides: dict[str, tuple[int, float]] = {}
        self._gates: dict[str, HostGate] = {}

    def configure(self, netloc: str, concurrency: int | None, min_interval_s: float | None) -> None:
        """Per-source limits for one host; applies to a gate not created yet, or tightens an existing one."""
        base = self._overrides.get(netloc.lower(), self._default)
        wanted = (concurrency or base[0], base[1] if min_interval_s is None else min_interval_s)
        self._overrides[netloc.lower()] = wanted
        gate = self._gates.get(netloc.lower())
        if gate is not None:
            gate.slow_down(wanted[1])

    def get(self, netloc: str) -> HostGate:
        key = netloc.lower()
        gate = self._gates.get(key)
        if gate is None:
            concurrency, interval = self._overrides.get(key, self._default)
            gate = self._gates[key] = HostGate(concurrency, interval)
        return gate
