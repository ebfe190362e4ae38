"""The batcher's fairness: token budgets per batch and per request, small requests first; load shedding."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from app.batching import MicroBatcher, estimate_tokens, express, plan_batch
from app.errors import Overloaded, status_for
from app.model_follower import ModelHandle
from newsmodel.predictor import LabelMap


def test_estimate_tokens_grows_with_length_and_stops_at_max_length() -> None:
    assert estimate_tokens("Seoul", 128) < estimate_tokens("Seoul and Tokyo signed a trade pact.", 128)
    assert estimate_tokens("x" * 10_000, 128) == 128


def test_plan_small_request_rides_next_batch_beside_three_large_ones() -> None:
    large = [40] * 256  # 256 sentences of 40 tokens
    takes = plan_batch([large, large, large, [12]], max_size=64, max_tokens=2048, request_tokens=512)
    assert takes[3] == 1  # the newest, smallest request is in this batch
    assert all(n >= 1 for n in takes)  # every pending request progresses
    assert sum(40 * n for n in takes[:3]) + 12 <= 2048
    assert max(takes[:3]) * 40 <= 2 * 512  # no large request takes over the batch


def test_plan_fills_the_batch_for_a_lone_large_request_within_both_budgets() -> None:
    assert plan_batch([[40] * 256], max_size=32, max_tokens=2048, request_tokens=512) == [32]
    assert plan_batch([[100] * 256], max_size=32, max_tokens=2048, request_tokens=512) == [20]


def test_plan_runs_a_text_over_budget_alone_and_keeps_the_oldest_first() -> None:
    assert plan_batch([[5000], [10]], max_size=32, max_tokens=2048, request_tokens=512) == [1, 0]
    # The oldest request goes first even when it is the largest: it cannot starve.
    takes = plan_batch([[300] * 10, [10]] + [[10]] * 20, max_size=8, max_tokens=2048, request_tokens=512)
    assert takes[0] >= 1


def test_express_batch_holds_the_small_requests_and_one_share_of_the_oldest() -> None:
    large = [100] * 256
    assert express([large, large, [12], large, [30, 30]], 256, 1024) == ([0, 2, 4], 12 + 60 + 256)
    assert express([[12], large, [20]], 256, 1024) == ([0, 2], 32)  # the oldest is small itself
    # Only large ones, or only small ones: an ordinary batch.
    assert express([large, large], 256, 1024) == ([0, 1], 1024)
    assert express([[12], [20]], 256, 1024) == ([0, 1], 1024)
    # Every other express batch leaves the large share out: the small ones alone.
    assert express([large, large, [12], large, [30, 30]], 256, 1024, include_oldest=False) == ([2, 4], 72)


def test_budgets_shrink_to_the_target_time_at_the_measured_speed() -> None:
    batcher = MicroBatcher(max_tokens=1024, request_tokens=256, target_batch_ms=100)
    assert batcher.budgets() == (1024, 256)  # nothing measured yet: the configured budgets
    batcher._timed(0.4, 1000)  # 0.4 ms a token: 250 tokens fit in 100 ms
    assert batcher.budgets() == (250, 62)
    batcher._timed(0.01, 1000)  # faster batches pull the average down, never past the configured cap
    assert batcher.budgets()[0] > 250
    for _ in range(20):
        batcher._timed(0.01, 1000)
    assert batcher.budgets() == (1024, 256)
    assert MicroBatcher(max_tokens=1024, target_batch_ms=0).budgets() == (1024, 256)


class _Recorder:
    """Stands in for the ONNX predictor: records each batch it is given (the scheduler is real)."""

    label_map = LabelMap(labels=("a", "b"), max_length=128, input_names=("input_ids",))
    variant = "int8"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()

    def predict(self, texts: list[str], batch_size: int = 32) -> list[dict[str, Any]]:
        self.release.wait(5)
        self.batches.append(list(texts))
        return [{"label": "a", "probabilities": {"a": 1.0, "b": 0.0}, "text": t} for t in texts]


def test_batcher_answers_a_small_request_before_large_ones_finish() -> None:
    async def scenario() -> None:
        recorder = _Recorder()
        handle = ModelHandle("m", "1", "alias", recorder, 0.0, 0.0)  # type: ignore[arg-type]
        batcher = MicroBatcher(max_size=64, max_wait_ms=0, max_tokens=1024, request_tokens=256)
        await batcher.start()
        try:
            large = [[f"large {r} sentence {i} " + "x" * 120 for i in range(64)] for r in range(3)]
            big = [asyncio.create_task(batcher.predict(handle, texts)) for texts in large]
            await asyncio.sleep(0.05)  # the first batch is running (held by the recorder)
            small = asyncio.create_task(batcher.predict(handle, ["Seoul and Tokyo met."]))
            await asyncio.sleep(0.05)
            recorder.release.set()
            rows = await small
            assert rows[0]["text"] == "Seoul and Tokyo met."
            assert not all(t.done() for t in big)  # answered before the large ones finished
            results = await asyncio.gather(*big)
            for texts, got in zip(large, results, strict=True):
                assert [r["text"] for r in got] == texts  # every row back, in order
            small_batch = next(i for i, b in enumerate(recorder.batches) if "Seoul and Tokyo met." in b)
            assert small_batch <= 1  # the batch after the one running when it arrived
            assert all(sum(estimate_tokens(t) for t in b) <= 1024 for b in recorder.batches)
        finally:
            await batcher.stop()

    asyncio.run(scenario())


def test_an_overloaded_queue_refuses_at_once_and_small_requests_still_ride_express() -> None:
    async def scenario() -> None:
        recorder = _Recorder()
        handle = ModelHandle("m", "1", "alias", recorder, 0.0, 0.0)  # type: ignore[arg-type]
        shed: list[int] = []
        batcher = MicroBatcher(
            max_size=64,
            max_wait_ms=0,
            max_tokens=1024,
            request_tokens=256,
            max_queue_s=5.0,
            observe_shed=lambda: shed.append(1),
        )
        await batcher.start()
        try:
            large = [[f"large {r} sentence {i} " + "x" * 120 for i in range(64)] for r in range(3)]
            assert batcher.queue_seconds(10**6) == 0.0  # nothing measured, nothing pending: never refuse
            batcher._timed(1.0, 1000)  # measured: 1 ms a token
            first = asyncio.create_task(batcher.predict(handle, large[0]))  # a lone request always runs
            await asyncio.sleep(0.05)  # its first batch is running (held by the recorder)
            second = asyncio.create_task(batcher.predict(handle, large[1]))
            await asyncio.sleep(0.01)
            # ~3,600 tokens pending + 2,300 of its own at 1 ms a token: over the 5 s limit.
            assert batcher.queue_seconds(sum(estimate_tokens(t) for t in large[2])) > 5.0
            with pytest.raises(Overloaded, match="APP_BATCH_MAX_QUEUE_S=5") as refused:
                await batcher.predict(handle, large[2])
            assert 1 <= refused.value.retry_after_s <= 60 and status_for(refused.value) == 503
            assert shed == [1]
            # A one-sentence request waits only behind the small ones and one share: admitted.
            batcher.admit(handle, ["Seoul and Tokyo met."])
            small = asyncio.create_task(batcher.predict(handle, ["Seoul and Tokyo met."]))
            recorder.release.set()
            assert (await small)[0]["text"] == "Seoul and Tokyo met."
            assert [len(r) for r in await asyncio.gather(first, second)] == [64, 64]  # queued work finishes
            assert shed == [1]
        finally:
            await batcher.stop()

    asyncio.run(scenario())


def test_linger_keeps_concurrent_clients_in_one_batch_and_never_delays_a_lone_request() -> None:
    """Closed-loop clients split into two alternating half-batches when the next batch leaves as
    soon as one request is pending; with a linger after a batch that served several requests,
    the ones coming back within it ride together. A lone client never waits for company."""

    async def batches_of(linger_ms: float) -> tuple[list[list[str]], float]:
        recorder = _Recorder()
        recorder.release.set()
        handle = ModelHandle("m", "1", "alias", recorder, 0.0, 0.0)  # type: ignore[arg-type]
        batcher = MicroBatcher(max_size=64, max_wait_ms=400, linger_ms=linger_ms)
        await batcher.start()
        try:
            await asyncio.gather(batcher.predict(handle, ["a"]), batcher.predict(handle, ["b"]))
            late = asyncio.create_task(batcher.predict(handle, ["c"]))
            await asyncio.sleep(0.02)  # the other client comes back a little later
            await asyncio.gather(late, batcher.predict(handle, ["d"]))
            await batcher.predict(handle, ["e"])  # a batch of one request: no linger after it
            started = asyncio.get_running_loop().time()
            await batcher.predict(handle, ["f"])
            return recorder.batches, asyncio.get_running_loop().time() - started
        finally:
            await batcher.stop()

    lingering, lone_s = asyncio.run(batches_of(linger_ms=300))
    assert lingering[:2] == [["a", "b"], ["c", "d"]]
    assert lone_s < 0.15  # well under the 300 ms linger
    eager, _ = asyncio.run(batches_of(linger_ms=0))
    assert eager[:3] == [["a", "b"], ["c"], ["d"]]
