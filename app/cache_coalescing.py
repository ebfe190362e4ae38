"""Cache round trips shared by the requests of one event-loop turn.

Concurrent clients' requests reach the cache together: the answers of one inference batch go
out at once and the clients' next requests come back within the same turn of the loop. Each
redis-py command costs the event loop about 0.2 ms of Python on a 2-core host (a GET, an MGET
or a SET; `python bench/cache_round_trips.py`). Here the reads issued in one turn go out as one
MGET and the writes of one turn as one pipeline (writes queued while it is in flight go out
together in the next). No task and no timer: the first caller of a turn yields once, then
reads or writes for all who joined, so a lone request pays one turn of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from app.cache import PredictionCache
from newsmodel.logging import get_logger

__all__ = ["CoalescedCache"]

log = get_logger(__name__)

# A request reading more keys than this reads on its own: a 256-sentence request's MGET would
# make the single sentences that share its turn wait for its decoding.
MAX_SHARED_READ_KEYS = 64
# Writes waiting for the pipeline in flight; past this (Redis much slower than the requests)
# new ones are dropped: a lost write costs a recomputation later, never a wrong answer.
MAX_PENDING_WRITES = 20_000


class CoalescedCache:
    """A PredictionCache in front of `shared` (Redis) that shares its round trips."""

    def __init__(
        self,
        shared: PredictionCache,
        max_pending_writes: int = MAX_PENDING_WRITES,
        observe_round_trip: Callable[[str], None] | None = None,
        observe_dropped: Callable[[int], None] | None = None,
    ) -> None:
        self.shared = shared
        self.kind = shared.kind
        self.max_pending_writes = max_pending_writes
        self.dropped_writes = 0
        self._observe_round_trip = observe_round_trip or (lambda _op: None)
        self._observe_dropped = observe_dropped or (lambda _n: None)
        # The reads joining this turn's shared MGET (None: no read is gathering).
        self._reads: list[tuple[list[str], asyncio.Future[list[dict[str, Any] | None]]]] | None = None
        self._pending: dict[str, dict[str, Any]] = {}
        self._waiting: list[asyncio.Future[None]] = []  # the callers whose rows are in `_pending`
        self._writing = False  # a caller is writing; others queue their rows for its next pipeline
        self._drains: set[asyncio.Task[None]] = set()  # writes taken over from a cancelled writer

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        """`shared.get_many(keys)`, in one MGET with the other reads of this loop turn."""
        if not keys:
            return []
        if len(keys) > MAX_SHARED_READ_KEYS:
            self._observe_round_trip("read")
            return await self.shared.get_many(keys)
        if self._reads is not None:  # another caller of this turn reads for both
            future: asyncio.Future[list[dict[str, Any] | None]] = asyncio.get_running_loop().create_future()
            self._reads.append((keys, future))
            return await future  # a cancelled caller cancels its own future only
        # The first caller of a turn reads for everyone: no task of its own, so a lone request
        # pays one yield, not a task and a future.
        reads: list[tuple[list[str], asyncio.Future[list[dict[str, Any] | None]]]] = []
        self._reads = reads
        try:
            try:
                await asyncio.sleep(0)  # the other requests of this turn join
            finally:
                self._reads = None
            unique = list(dict.fromkeys([*keys, *(k for more, _ in reads for k in more)]))
            self._observe_round_trip("read")
            values = dict(zip(unique, await self.shared.get_many(unique), strict=True))
        except BaseException:  # a bug or this caller's cancellation: the others miss, never hang
            for more, future in reads:
                if not future.done():
                    future.set_result([None] * len(more))  # a miss is recomputed, never wrong
            raise
        for more, future in reads:
            if not future.done():
                future.set_result([values[k] for k in more])
        return [values[k] for k in keys]

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None:
        """Store `items` with the writes queued meanwhile; returns once they are stored."""
        if not items:
            return
        if len(self._pending) + len(items) > self.max_pending_writes:
            self.dropped_writes += len(items)
            self._observe_dropped(len(items))
            log.warning("cache writes dropped: the cache is slower than the requests", dropped=len(items))
            return
        self._pending.update(items)
        if self._writing:  # the caller writing now takes these rows in its next pipeline
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(future)
            await future
            return
        await self._drain(gather=True)

    async def _drain(self, gather: bool = False) -> None:
        """Write what is pending, pipeline after pipeline, until nothing is; with `gather`,
        first let the other writes of this loop turn join the first pipeline."""
        self._writing = True
        try:
            if gather:
                await asyncio.sleep(0)
            while self._pending:
                batch, waiting = self._pending, self._waiting
                self._pending, self._waiting = {}, []
                self._observe_round_trip("write")
                try:
                    await self.shared.set_many(batch)
                finally:  # stored, failed or cancelled: whoever waits on these rows goes on
                    for future in waiting:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._writing = False
            if self._pending:  # this caller was cancelled: the rows queued behind it still go out
                task = asyncio.get_running_loop().create_task(self._drain())
                self._drains.add(task)
                task.add_done_callback(self._drains.discard)

    async def ping(self) -> bool:
        return await self.shared.ping()

    async def close(self) -> None:
        if self._drains:
            await asyncio.gather(*self._drains)
        if self._pending and not self._writing:
            await self._drain()
        await self.shared.close()
