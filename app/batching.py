"""Micro-batching: concurrent requests share one ONNX run instead of queueing one by one.

Requests put (handle, texts, future) on an asyncio queue; a consumer takes the first item,
then keeps collecting until the batch holds `max_size` texts or `max_wait_ms` has passed,
runs the batch in a worker thread (the event loop stays free) and hands each request its
rows. While one batch runs, the next one fills up, so batches grow with the load. Items are
grouped by model handle: a request finishes on the version it started with, even mid-swap.

The wait is only paid when it can help: callers `expect()` a request as soon as it arrives
(before its cache lookup), and the collector waits for more only while such announced
requests have not reached the queue yet. A lone request is dispatched at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from app.model_follower import ModelHandle
from newsmodel.errors import ModelNotAvailable
from newsmodel.logging import get_logger

__all__ = ["MicroBatcher"]

log = get_logger(__name__)


@dataclass
class _Item:
    handle: ModelHandle
    texts: list[str]
    future: asyncio.Future[list[dict[str, Any]]]


class MicroBatcher:
    """Group concurrent predict calls into batches of up to max_size texts or max_wait_ms."""

    def __init__(
        self,
        max_size: int = 32,
        max_wait_ms: float = 5.0,
        workers: int = 1,
        observe_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.max_size = max_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.workers = workers
        self._observe = observe_batch or (lambda _n: None)
        self._queue: asyncio.Queue[_Item] | None = None
        self._arrived: asyncio.Event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._expected = 0  # requests inside an expect() block
        self._queued = 0  # requests that called predict() and wait for their rows

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="inference")
        self._tasks = [asyncio.create_task(self._consume(), name=f"batcher-{i}") for i in range(self.workers)]

    async def stop(self) -> None:
        """Stop the consumers and fail whatever is still queued (the server is shutting down)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        while self._queue is not None and not self._queue.empty():
            item = self._queue.get_nowait()
            if not item.future.done():
                item.future.set_exception(ModelNotAvailable("the server is shutting down; retry"))
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @contextlib.contextmanager
    def expect(self) -> Iterator[None]:
        """Announce a request that may call `predict` soon (held for the request's duration)."""
        self._expected += 1
        try:
            yield
        finally:
            self._expected -= 1
            self._arrived.set()

    async def predict(self, handle: ModelHandle, texts: list[str]) -> list[dict[str, Any]]:
        """Rows for `texts` from `handle`'s model, computed in a shared batch."""
        if self._queue is None:
            raise RuntimeError("MicroBatcher.start() was not awaited")
        if not texts:
            return []
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(handle, texts, future))
        self._queued += 1
        self._arrived.set()
        try:
            return await future
        finally:
            self._queued -= 1

    def _more_coming(self) -> bool:
        """Announced requests that are neither in this batch nor waiting on another one."""
        return self._expected - self._queued > 0 or (self._queue is not None and not self._queue.empty())

    async def _collect(self) -> list[_Item]:
        assert self._queue is not None
        first = await self._queue.get()
        batch = [first]
        size = len(first.texts)
        deadline = time.monotonic() + self.max_wait_s
        while size < self.max_size:
            if self._queue.empty():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._more_coming():
                    break
                # Wait on an event, not on queue.get(): cancelling a get() on timeout can lose an item.
                self._arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                continue
            item = self._queue.get_nowait()
            batch.append(item)
            size += len(item.texts)
        return batch

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            groups: dict[int, list[_Item]] = {}
            for item in batch:
                if not item.future.cancelled():
                    groups.setdefault(id(item.handle), []).append(item)
            for items in groups.values():
                texts = [t for it in items for t in it.texts]
                self._observe(len(texts))
                try:
                    rows = await loop.run_in_executor(
                        self._executor, items[0].handle.predictor.predict, texts
                    )
                except Exception as exc:  # handed to each waiting request, which maps it to a status
                    for it in items:
                        if not it.future.done():
                            it.future.set_exception(exc)
                    continue
                offset = 0
                for it in items:
                    n = len(it.texts)
                    if not it.future.done():
                        it.future.set_result(rows[offset : offset + n])
                    offset += n
