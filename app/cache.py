"""Prediction cache: model rows keyed by model version, variant, artifact digest, pair encoding
and pair, and the hash of the normalised model input; country analysis (mentions, pairs, directions) keyed by the exact text and
date, since it does not depend on the model. A request reads both with one MGET.

Redis when REDIS_URL is set, a bounded in-process TTL cache otherwise (embedded mode). A
Redis error never fails a request: the cache answers "miss", remembers it is down for a few
seconds (so requests do not each pay a timeout), and `/ready` reports it.

In front of Redis, `NearCache` keeps the hottest entries in the process (a small LRU with a short
TTL): an entry's key names everything its value depends on (model files, text, detector code,
date), so a value never changes under its key and a local copy can never be stale, only expire.
A repeated sentence then costs no network round trip (BENCHMARKS.md: the Redis MGET was a fifth
of a cache hit's CPU), and hot sentences keep answering from memory while Redis is down.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any, Protocol

import orjson

from newsmodel.logging import get_logger

__all__ = [
    "MemoryCache",
    "NearCache",
    "PredictionCache",
    "RedisCache",
    "analysis_key",
    "cache_key",
    "normalise_text",
]

log = get_logger(__name__)
_SPACES = re.compile(r"\s+")
KEY_PREFIX = "nm:pred"
ANALYSIS_PREFIX = "nm:ctry"


def normalise_text(text: str) -> str:
    """NFKC and collapsed whitespace: the same sentence pasted twice hits the same entry."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def cache_key(
    model_name: str,
    model_version: str,
    variant: str,
    artifact_digest: str,
    text: str,
    encoding: str | None = None,
    pair: tuple[str, str] | None = None,
) -> str:
    """One entry per (model files actually run, what the model read): int8 and fp32 never answer
    for each other, nor two pairs of one sentence. `text` is the model's input (for a pair-aware
    version the marked text), `encoding` the version's pair encoding (`pair_input`, None for a
    sentence-level one) and `pair` the pair it was read for."""
    digest = hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
    files = artifact_digest[:16] or "-"
    read = f"{encoding or '-'}:{'-'.join(pair) if pair else '-'}"
    return f"{KEY_PREFIX}:{model_name}:{model_version}:{variant}:{files}:{read}:{digest}"


@functools.cache
def _analysis_stamp() -> str:
    """Digest of the country detector's code and gazetteers and the parser names: a deploy that
    changes what detection or direction reading returns starts fresh entries."""
    import newsmodel.countries
    from newsmodel.countries.direction import DEFAULT_MODELS

    root = Path(newsmodel.countries.__file__).parent
    digest = hashlib.sha256(repr(DEFAULT_MODELS).encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def analysis_key(text: str, date: dt.date | None) -> str:
    """The model-independent part of a row (countries, pairs, directions, mention offsets): keyed
    on the exact text (offsets point into it, so no normalisation) and the date it is read at."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{ANALYSIS_PREFIX}:{_analysis_stamp()}:{date.isoformat() if date else '-'}:{digest}"


class PredictionCache(Protocol):
    kind: str

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]: ...

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryCache:
    """Embedded-mode cache: a bounded TTL dict in this process."""

    kind = "memory"

    def __init__(self, ttl_s: int, max_items: int) -> None:
        from cachetools import TTLCache

        self._data: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=max(1, max_items), ttl=ttl_s)
        self._lock = threading.Lock()

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        with self._lock:
            return [self._data.get(k) for k in keys]

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._data.update(items)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisCache:
    """Redis-backed cache that degrades to 'always miss' while Redis is unreachable."""

    kind = "redis"

    def __init__(self, url: str, ttl_s: int, timeout_s: float = 0.25, retry_s: float = 5.0) -> None:
        import redis.asyncio as aioredis

        self._client = aioredis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s, retry_on_timeout=False
        )
        self.ttl_s = ttl_s
        self.retry_s = retry_s
        self._down_until = 0.0
        self.last_error: str | None = None

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, exc: Exception) -> None:
        if self.last_error is None:
            log.warning("redis cache unreachable; predicting uncached", error=str(exc))
        self.last_error = str(exc) or type(exc).__name__
        self._down_until = time.monotonic() + self.retry_s

    def _mark_up(self) -> None:
        if self.last_error is not None:
            log.info("redis cache reachable again")
        self.last_error = None

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        from redis.exceptions import RedisError

        if not keys or not self.available:
            return [None] * len(keys)
        try:  # one key: GET, about a fifth cheaper in redis-py than an MGET of one
            raw = await self._client.mget(keys) if len(keys) > 1 else [await self._client.get(keys[0])]
        except (RedisError, OSError) as exc:
            self._mark_down(exc)
            return [None] * len(keys)
        self._mark_up()
        return [orjson.loads(v) if v is not None else None for v in raw]

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None:
        from redis.exceptions import RedisError

        if not items or not self.available:
            return
        try:
            if len(items) == 1:  # a pipeline of one costs redis-py a third more than the SET
                ((key, value),) = items.items()
                await self._client.set(key, orjson.dumps(value), ex=self.ttl_s)
                return
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, orjson.dumps(value), ex=self.ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._mark_down(exc)

    async def ping(self) -> bool:
        from redis.exceptions import RedisError

        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            self._mark_down(exc)
            return False
        self._mark_up()
        self._down_until = 0.0
        return True

    async def close(self) -> None:
        await self._client.aclose()


class NearCache:
    """A bounded in-process LRU (with a TTL) in front of a shared cache; reads fill it, writes
    go to both. Values are shared between requests: callers copy, never mutate them."""

    def __init__(self, shared: PredictionCache, max_items: int, ttl_s: float) -> None:
        from cachetools import TLRUCache

        self.shared = shared
        self.kind = shared.kind
        self.ttl_s = ttl_s
        # TLRU: least recently used out first when full, and nothing older than ttl_s.
        self._near: TLRUCache[str, dict[str, Any]] = TLRUCache(
            maxsize=max(1, max_items), ttu=lambda _k, _v, now: now + ttl_s, timer=time.monotonic
        )
        self._lock = threading.Lock()

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        with self._lock:
            found = [self._near.get(k) for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if not missing:
            return found
        fetched = await self.shared.get_many([keys[i] for i in missing])
        with self._lock:
            for i, value in zip(missing, fetched, strict=True):
                if value is not None:
                    found[i] = self._near[keys[i]] = value
        return found

    async def set_many(self, items: dict[str, dict[str, Any]]) -> None:
        if not items:
            return
        with self._lock:
            self._near.update(items)
        await self.shared.set_many(items)

    async def ping(self) -> bool:
        return await self.shared.ping()

    async def close(self) -> None:
        await self.shared.close()
