"""Cache round trips shared within one loop turn, on a real Redis server of the test's own
(its INFO commandstats count the MGETs that arrived)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import redis as redis_lib

from app.cache import RedisCache
from app.cache_coalescing import MAX_SHARED_READ_KEYS, CoalescedCache


def _mget_calls(url: str) -> int:
    client = redis_lib.Redis.from_url(url)
    try:
        return int(client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))
    finally:
        client.close()


class CountingCache(RedisCache):
    """The real Redis cache, counting the calls that reach it; `gate` (set by default) holds
    writes back, as a slow Redis would."""

    def __init__(self, url: str) -> None:
        super().__init__(url, ttl_s=60)
        self.reads: list[int] = []
        self.writes: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        self.reads.append(len(keys))
        return await super().get_many(keys)

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None:
        await self.gate.wait()
        self.writes.append(len(items))
        await super().set_many(items)


def test_reads_of_one_turn_share_one_mget_and_each_caller_gets_its_own_values(private_redis) -> None:
    seed = redis_lib.Redis.from_url(private_redis.url)
    seed.set("k3", orjson.dumps({"v": 3}))
    seed.set("k7", orjson.dumps({"v": 7}))
    seed.close()

    async def scenario() -> tuple[list[list[dict[str, Any] | None]], list[int], list[int]]:
        shared = CountingCache(private_redis.url)
        cache = CoalescedCache(shared)
        before = _mget_calls(private_redis.url)
        together = await asyncio.gather(*(cache.get_many([f"k{i}", "k7"]) for i in range(16)))
        after = _mget_calls(private_redis.url)
        alone = await cache.get_many([f"big{i}" for i in range(MAX_SHARED_READ_KEYS + 1)])
        await cache.close()
        return together, [after - before], [*shared.reads, len(alone)]

    together, mgets, reads = asyncio.run(scenario())
    assert mgets == [1]  # 16 requests, one round trip
    assert reads[0] == 16  # k0..k15: k7, asked by all, is read once
    for i, values in enumerate(together):
        assert values == [{"v": i} if i in (3, 7) else None, {"v": 7}]
    assert reads[1:] == [MAX_SHARED_READ_KEYS + 1, MAX_SHARED_READ_KEYS + 1]  # a large read goes alone


def test_a_cancelled_request_never_leaves_the_others_waiting(private_redis) -> None:
    """The first request of a turn reads and writes for the others: cancelled (its client went
    away), the others still get an answer (a miss at worst: recomputed, never wrong) and their
    rows are still stored; a cancelled follower stops no one."""

    async def scenario() -> tuple[list[Any], list[int], list[bytes | None]]:
        shared = CountingCache(private_redis.url)
        cache = CoalescedCache(shared)
        leader = asyncio.ensure_future(cache.get_many(["a"]))
        follower = asyncio.ensure_future(cache.get_many(["b"]))
        await asyncio.sleep(0)
        leader.cancel()
        left_alone = await follower  # answered although the one reading for it was cancelled
        leader2 = asyncio.ensure_future(cache.get_many(["c"]))
        follower2 = asyncio.ensure_future(cache.get_many(["d"]))
        await asyncio.sleep(0)
        follower2.cancel()
        led = await leader2
        shared.gate.clear()  # a slow Redis: the first pipeline stays in flight
        writer = asyncio.ensure_future(cache.set_many({"w1": {"v": 1}}))
        for _ in range(2):
            await asyncio.sleep(0)  # the writer took w1 and waits on Redis
        queued = asyncio.ensure_future(cache.set_many({"w2": {"v": 2}}))
        await asyncio.sleep(0)
        writer.cancel()
        await asyncio.sleep(0)
        shared.gate.set()
        await asyncio.wait_for(queued, 5)  # w2 still goes out, in a pipeline of its own
        await cache.close()
        stored = redis_lib.Redis.from_url(private_redis.url)
        try:
            return [left_alone, led], shared.reads, stored.mget(["w1", "w2"])
        finally:
            stored.close()

    answers, reads, (w1, w2) = asyncio.run(scenario())
    assert answers == [[None], [None]]
    assert reads == [2]  # only the second turn's read reached Redis: c and the cancelled d
    assert w1 is None  # cancelled before it reached Redis: recomputed on its next request
    assert w2 is not None and orjson.loads(w2) == {"v": 2}


def test_writes_of_one_turn_share_one_pipeline_and_return_once_stored(private_redis) -> None:
    async def scenario() -> tuple[list[int], list[dict[str, Any] | None]]:
        shared = CountingCache(private_redis.url)
        cache = CoalescedCache(shared)
        await asyncio.gather(*(cache.set_many({f"r{i}": {"row": i}}) for i in range(16)))
        # Each call returns once its rows are stored: read back through a fresh client.
        check = RedisCache(private_redis.url, ttl_s=60)
        values = await check.get_many([f"r{i}" for i in range(16)])
        await check.close()
        await cache.close()
        return shared.writes, values

    writes, values = asyncio.run(scenario())
    assert writes == [16]  # one pipeline for the turn
    assert values == [{"row": i} for i in range(16)]


def test_writes_past_the_bound_are_dropped_and_counted(private_redis) -> None:
    async def scenario() -> tuple[int, list[int]]:
        shared = CountingCache(private_redis.url)
        cache = CoalescedCache(shared, max_pending_writes=4)
        await asyncio.gather(*(cache.set_many({f"d{i}": {"row": i}}) for i in range(6)))
        await cache.close()
        return cache.dropped_writes, shared.writes

    dropped, writes = asyncio.run(scenario())
    assert dropped == 2 and writes == [4]


def test_redis_down_reads_answer_miss_for_every_caller(private_redis) -> None:
    private_redis.stop()

    async def scenario() -> list[list[dict[str, Any] | None]]:
        cache = CoalescedCache(RedisCache(private_redis.url, ttl_s=60, timeout_s=0.2))
        out = await asyncio.gather(*(cache.get_many([f"x{i}"]) for i in range(4)))
        await cache.set_many({"x0": {"v": 0}})  # logged and dropped by the Redis cache, never raised
        await cache.close()
        return out

    assert asyncio.run(scenario()) == [[None]] * 4
