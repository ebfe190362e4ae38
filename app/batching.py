"""Micro-batching with a token budget: concurrent requests share ONNX runs, fairly.

Requests put (handle, texts, future) in a pending list; a consumer builds one batch at a time
and runs it in a worker thread (the event loop stays free), so the next batch fills while one
runs and batches grow with the load. A batch holds at most `max_size` sentences and
`max_tokens` estimated tokens (the work ONNX does is ~linear in tokens, not in sentences), and
one request puts at most `request_tokens` into it per round (`plan_batch`). Requests are served
oldest first in the first round (so a large one always progresses), then smallest remaining
first: a one-sentence request that arrives while three 256-sentence requests are pending rides
the very next batch instead of waiting for the large ones to finish, and that batch is a short
"express" one (`express`): the small requests plus one share of the oldest large one. A large request is cut
into slices across batches and answered once its last slice is done. A batch holds one model
handle: a request finishes on the version it started with, even mid-swap.

Budgets are in tokens but the promise is in time: with `target_batch_ms` the batcher measures
how long its batches take per token (a moving average) and lowers both budgets so a batch takes
about that long, so a slow CPU (no AVX-512 VNNI: int8 runs several times slower) or a run of
2,000-character sentences gets smaller batches instead of longer waits; one text is still the
smallest unit. Every other express batch leaves the large share out (`express`).

The wait for company is only paid when it can help: callers `expect()` a request as soon as it
arrives (before its cache lookup), and the collector waits up to `max_wait_ms` only while such
announced requests have not reached the pending list yet. A lone request is dispatched at once.
After a batch that served several requests the collector also lingers (`linger_ms`, within
`max_wait_ms`) for the requests its answers send back: without it, closed-loop clients settle
into two half-batches that alternate (the second leaves while the first one's clients are still
reading their answers), each paying the per-batch costs. On one core, 16 lean clients: mean
batch 8 -> 13-16, and runs that settled on one batch of 16 used 0.3-0.5 ms less server CPU per
request than runs of two batches of 8 (BENCHMARKS.md, bench/serve.py). A batch of one request
(a lone client) is never followed by a linger.

Overload: with `max_queue_s`, a request that the work queued ahead of it would not let finish
within that many seconds (at the measured speed) is refused at once with `Overloaded` (503 and
a Retry-After), instead of queueing without bound: behind a load balancer it is retried on a
replica with room, and what is queued here still finishes in time. A small request is only
queued behind the other small ones and one share of the oldest large one (it rides express
batches), a large one behind everything pending.

Tokens are estimated from characters (`estimate_tokens`), not tokenized here: the tokenizer
runs once per batch in the worker thread (`OnnxPredictor.predict`), off the event loop.

A "text" here is one model input: for a pair-aware version each country pair of a sentence is
its own marked input (app.pair_reading), so a sentence naming three countries puts four texts
(itself and three pairs) into the token budget and its request's per-round share, like four
sentences.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from app.errors import Overloaded
from app.model_follower import ModelHandle
from newsmodel.errors import ModelNotAvailable
from newsmodel.logging import get_logger

__all__ = ["MicroBatcher", "estimate_tokens", "express", "plan_batch"]

log = get_logger(__name__)

# English WordPiece averages ~4.5 characters a token; 4 errs towards more tokens (smaller batches).
CHARS_PER_TOKEN = 4
SPECIAL_TOKENS = 2  # [CLS] and [SEP]


def estimate_tokens(text: str, max_length: int = 512) -> int:
    """Tokens the model will run for `text` (truncated at max_length), from its length alone."""
    return min(max_length, len(text) // CHARS_PER_TOKEN + SPECIAL_TOKENS)


@dataclass(eq=False)
class _Item:
    handle: ModelHandle
    texts: list[str]
    costs: list[int]
    future: asyncio.Future[list[dict[str, Any]]]
    seq: int
    taken: int = 0  # texts handed to batches so far
    done: int = 0  # texts whose rows are back
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # by text index (workers > 1)

    @property
    def remaining_cost(self) -> int:
        return sum(self.costs[self.taken :])


def plan_batch(
    remaining: Sequence[Sequence[int]], max_size: int, max_tokens: int, request_tokens: int
) -> list[int]:
    """How many of each pending request's next texts go into one batch.

    `remaining[i]` are the estimated token costs of request i's texts not yet run, oldest
    request first. Round after round, each request adds texts while it stays within
    `request_tokens` for the round and the batch within `max_tokens` / `max_size`; the oldest
    request goes first (it always progresses), the others smallest remaining first. A text
    larger than a budget still goes alone into an empty batch (every text gets run).
    """
    takes = [0] * len(remaining)
    if not remaining:
        return takes
    totals = [sum(costs) for costs in remaining]
    order = [0, *sorted(range(1, len(remaining)), key=lambda i: (totals[i], i))]
    size = tokens = 0
    progressed = True
    while progressed and size < max_size and tokens < max_tokens:
        progressed = False
        for i in order:
            costs = remaining[i]
            share = 0
            while takes[i] < len(costs) and size < max_size:
                cost = costs[takes[i]]
                fits_batch = tokens + cost <= max_tokens or size == 0
                fits_share = share + cost <= request_tokens or share == 0
                if not (fits_batch and fits_share):
                    break
                takes[i] += 1
                share += cost
                size += 1
                tokens += cost
                progressed = True
            if size >= max_size or tokens >= max_tokens:
                break
    return takes


def express(
    remaining: Sequence[Sequence[int]], request_tokens: int, max_tokens: int, include_oldest: bool = True
) -> tuple[list[int], int]:
    """Which pending requests (indices, oldest first) a batch is planned from, and its token budget.

    When small requests (whole remainder within `request_tokens`) wait beside large ones, the
    batch is an express one: the small requests plus, with `include_oldest`, one share of the
    oldest request (so a large one still progresses), budgeted to just that. It runs in a fraction
    of a full batch's time, so a small request waits for at most the batch already running and
    its own short one. The batcher leaves the large share out of every other express batch
    (`include_oldest=False`): one long text can take longer than a whole small batch on a slow
    CPU, and the large request then progresses in the batch after.
    """
    totals = [sum(costs) for costs in remaining]
    small = [i for i, t in enumerate(totals) if t <= request_tokens]
    if not small or len(small) == len(remaining):
        return list(range(len(remaining))), max_tokens
    if not include_oldest:
        return small, min(max_tokens, sum(totals[i] for i in small))
    chosen = sorted({0, *small})
    budget = sum(totals[i] for i in small) + (0 if 0 in small else request_tokens)
    return chosen, min(max_tokens, budget)


class MicroBatcher:
    """Group concurrent predict calls into token-budgeted batches (see the module docstring)."""

    def __init__(
        self,
        max_size: int = 32,
        max_wait_ms: float = 5.0,
        workers: int = 1,
        observe_batch: Callable[[int], None] | None = None,
        max_tokens: int = 1024,
        request_tokens: int | None = None,
        target_batch_ms: float = 0.0,
        max_queue_s: float = 0.0,
        observe_shed: Callable[[], None] | None = None,
        linger_ms: float = 0.0,
    ) -> None:
        self.max_size = max_size
        self.max_wait_s = max_wait_ms / 1000.0
        # After a batch that served several requests, wait up to this long (within max_wait) for
        # more before the next one: see `_collect`.
        self.linger_s = max(0.0, min(linger_ms, max_wait_ms)) / 1000.0
        self._last_requests = 0  # requests the last batch served
        self.workers = workers
        self.max_tokens = max(1, max_tokens)
        # Default share: a quarter of a batch, so three large requests leave room for small ones.
        self.request_tokens = max(1, request_tokens or self.max_tokens // 4)
        # Time cap: a batch is planned to take at most this long at the measured speed (0: off).
        self.target_batch_s = max(0.0, target_batch_ms) / 1000.0
        self._seconds_per_token = 0.0  # moving average over recent batches; 0 until one ran
        self._held_back = False  # the last express batch left the oldest large request out
        self.max_queue_s = max(0.0, max_queue_s)  # 0: never refuse
        self._observe_shed = observe_shed or (lambda: None)
        self._observe = observe_batch or (lambda _n: None)
        self._pending: list[_Item] = []
        self._arrived: asyncio.Event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._started = False
        self._seq = 0
        self._expected = 0  # requests inside an expect() block
        self._queued = 0  # requests that called predict() and wait for their rows

    async def start(self) -> None:
        self._pending = []
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="inference")
        self._tasks = [asyncio.create_task(self._consume(), name=f"batcher-{i}") for i in range(self.workers)]
        self._started = True

    async def stop(self) -> None:
        """Stop the consumers and fail whatever is still pending (the server is shutting down)."""
        self._started = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for item in self._pending:
            if not item.future.done():
                item.future.set_exception(ModelNotAvailable("the server is shutting down; retry"))
        self._pending = []
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
        """Rows for `texts` from `handle`'s model, computed in shared batches."""
        if not self._started:
            raise RuntimeError("MicroBatcher.start() was not awaited")
        if not texts:
            return []
        max_length = handle.predictor.label_map.max_length
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self._seq += 1
        costs = [estimate_tokens(t, max_length) for t in texts]
        self._refuse_if_too_late(sum(costs))
        self._pending.append(_Item(handle, texts, costs, future, self._seq))
        self._queued += 1
        self._arrived.set()
        try:
            return await future
        finally:
            self._queued -= 1

    def queue_seconds(self, tokens: int) -> float:
        """Estimated seconds until a new request of `tokens` is answered: the pending work it
        would be queued behind, plus its own, at the measured speed (0 until a batch has run)."""
        if not self._seconds_per_token:
            return 0.0
        live = [it.remaining_cost for it in self._pending if not it.future.done()]
        if not live:  # a lone request always runs, however large
            return 0.0
        _, request_tokens = self.budgets()
        if tokens <= request_tokens:  # express: behind the small ones and one share of the oldest
            ahead = sum(c for c in live if c <= request_tokens) + request_tokens
        else:
            ahead = sum(live)
        return (ahead + tokens) * self._seconds_per_token / max(1, self.workers)

    def admit(self, handle: ModelHandle, texts: list[str]) -> None:
        """Raise `Overloaded` now if `predict(handle, texts)` would be refused (callers check
        before starting other work for the request, such as its country analysis)."""
        max_length = handle.predictor.label_map.max_length
        self._refuse_if_too_late(sum(estimate_tokens(t, max_length) for t in texts))

    def _refuse_if_too_late(self, tokens: int) -> None:
        if not self.max_queue_s:
            return
        wait = self.queue_seconds(tokens)
        if wait <= self.max_queue_s:
            return
        self._observe_shed()
        retry = max(1, min(60, round(wait - self.max_queue_s)))
        raise Overloaded(
            f"the server is overloaded: this request would be answered in about {wait:.0f} s, over "
            f"APP_BATCH_MAX_QUEUE_S={self.max_queue_s:g}; retry in {retry} s (or on another replica), "
            "or send fewer sentences per request",
            retry_after_s=retry,
        )

    def budgets(self) -> tuple[int, int]:
        """(batch, per-request) token budgets for the next batch: the configured ones, lowered
        so a batch takes about `target_batch_s` at the speed measured on recent batches (a
        slower CPU or longer texts get smaller batches, so a small request's wait stays short)."""
        if not self.target_batch_s or not self._seconds_per_token:
            return self.max_tokens, self.request_tokens
        fit = max(1, int(self.target_batch_s / self._seconds_per_token))
        batch = min(self.max_tokens, fit)
        return batch, max(1, min(self.request_tokens, batch * self.request_tokens // self.max_tokens))

    def _timed(self, seconds: float, tokens: int) -> None:
        """Fold one batch's wall time into the seconds-per-token average (recent batches weigh most)."""
        if tokens <= 0 or seconds <= 0:
            return
        rate = seconds / tokens
        self._seconds_per_token = (
            rate if not self._seconds_per_token else 0.7 * self._seconds_per_token + 0.3 * rate
        )

    def _more_coming(self) -> bool:
        """Announced requests that have not reached the pending list yet."""
        return self._expected - self._queued > 0

    def _pending_tokens(self) -> tuple[int, int]:
        live = [it for it in self._pending if not it.future.done()]
        return sum(len(it.texts) - it.taken for it in live), sum(it.remaining_cost for it in live)

    async def _collect(self) -> list[tuple[_Item, int, int]]:
        """Wait for work, give announced requests up to max_wait to arrive, then plan a batch:
        (item, first text, end) slices, all of one model handle."""
        while True:
            self._pending = [it for it in self._pending if not it.future.done()]
            if self._pending:
                break
            self._arrived.clear()
            await self._arrived.wait()
        now = time.monotonic()
        deadline = now + self.max_wait_s
        linger_until = now + self.linger_s if self._last_requests >= 2 else now
        max_tokens, request_tokens = self.budgets()
        while True:
            size, tokens = self._pending_tokens()
            now = time.monotonic()
            remaining = deadline - now
            if size >= self.max_size or tokens >= max_tokens or remaining <= 0:
                break
            if not self._more_coming():
                if now >= linger_until:
                    break
                remaining = min(remaining, linger_until - now)
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        self._pending = [it for it in self._pending if not it.future.done()]
        if not self._pending:
            return []
        handle = self._pending[0].handle
        items = [it for it in self._pending if it.handle is handle]
        left = [it.costs[it.taken :] for it in items]
        chosen, budget = express(left, request_tokens, max_tokens, include_oldest=self._held_back)
        self._held_back = len(chosen) < len(items) and 0 not in chosen
        items = [items[i] for i in chosen]
        takes = plan_batch([it.costs[it.taken :] for it in items], self.max_size, budget, request_tokens)
        slices = []
        for item, n in zip(items, takes, strict=True):
            if n:
                slices.append((item, item.taken, item.taken + n))
                item.taken += n
        self._pending = [it for it in self._pending if it.taken < len(it.texts)]
        return slices

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            slices = await self._collect()
            if not slices:
                continue
            texts = [t for item, start, end in slices for t in item.texts[start:end]]
            self._observe(len(texts))
            self._last_requests = len(slices)
            predictor = slices[0][0].handle.predictor
            tokens = sum(sum(item.costs[start:end]) for item, start, end in slices)
            started = time.perf_counter()
            try:
                rows = await loop.run_in_executor(self._executor, predictor.predict, texts, self.max_size)
                self._timed(time.perf_counter() - started, tokens)
            except Exception as exc:  # handed to each waiting request, which maps it to a status
                for item, _start, _end in slices:
                    if not item.future.done():
                        item.future.set_exception(exc)
                    with contextlib.suppress(ValueError):
                        self._pending.remove(item)  # the rest of a failed request is not run
                continue
            offset = 0
            for item, start, end in slices:
                for i in range(start, end):
                    item.rows[i] = rows[offset]
                    offset += 1
                item.done += end - start
                if item.done == len(item.texts) and not item.future.done():
                    item.future.set_result([item.rows[i] for i in range(len(item.texts))])
