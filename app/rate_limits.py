"""Rate limits per API key and per client address, and a lockout after failed authentications.

Counters live in Redis (shared by every API replica) through the `limits` library's sliding
window counters; in embedded mode (no REDIS_URL) they live in this process. A Redis error never
fails a request and never lifts the limits: the limiter counts in memory for a few seconds
(per process, so looser by the number of replicas) and tries Redis again.

Per request (ASGI middleware, before the body is read):
1. a request carrying credentials (X-API-Key or an MLflow webhook signature) from an address
   that has used up APP_AUTH_FAILURE_LIMIT is refused;
2. a request with a valid key counts against APP_RATE_LIMIT_PER_KEY, any other against
   APP_RATE_LIMIT_PER_ADDRESS;
3. a 401 answered to a request that carried credentials counts one failure for its address.
Refusals are 429 with Retry-After. The address is the TCP peer, or what a trusted proxy says
(APP_TRUSTED_PROXIES, applied by uvicorn's ProxyHeadersMiddleware before this one).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.middleware import header, send_error
from app.security import API_KEY_HEADER, SIGNATURE_HEADER, key_id, matching_key
from app.settings import RATE_LIMIT_OFF, AppSettings
from newsmodel.logging import get_logger

__all__ = ["Limiter", "RateLimitPolicy", "RateLimits", "limiter_from_settings"]

log = get_logger(__name__)
KEY_PREFIX = "nm:limits"
# Probes must answer whatever a client did; they are cheap and carry nothing.
EXEMPT_PATHS = frozenset({"/health", "/ready"})
_KEY_HEADER = API_KEY_HEADER.lower().encode()
_SIGNATURE_HEADER = SIGNATURE_HEADER.lower().encode()


def _item(rate: str) -> RateLimitItem | None:
    return None if rate == RATE_LIMIT_OFF else parse(rate)


@dataclass(frozen=True)
class RateLimitPolicy:
    """The three limits (None = off), parsed once from the settings."""

    per_address: RateLimitItem | None
    per_key: RateLimitItem | None
    auth_failures: RateLimitItem | None

    @classmethod
    def from_settings(cls, settings: AppSettings) -> RateLimitPolicy:
        return cls(
            _item(settings.rate_limit_per_address),
            _item(settings.rate_limit_per_key),
            _item(settings.auth_failure_limit),
        )


class Limiter:
    """Sliding-window counters in `storage`, falling back to memory while the storage fails."""

    def __init__(self, storage: Storage, retry_s: float = 5.0) -> None:
        self.kind = "redis" if isinstance(storage, RedisStorage) else "memory"
        self._primary = SlidingWindowCounterRateLimiter(storage)
        self._fallback = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.retry_s = retry_s
        self._down_until = 0.0
        self.last_error: str | None = None

    def _strategy(self) -> SlidingWindowCounterRateLimiter:
        return self._primary if time.monotonic() >= self._down_until else self._fallback

    def _mark_down(self, exc: Exception) -> None:
        if self.last_error is None:
            log.warning("rate-limit store unreachable; counting in memory meanwhile", error=str(exc))
        self.last_error = str(exc) or type(exc).__name__
        self._down_until = time.monotonic() + self.retry_s

    async def _wait_s(
        self, strategy: SlidingWindowCounterRateLimiter, item: RateLimitItem, ids: Sequence[str]
    ) -> float:
        stats = await strategy.get_window_stats(item, *ids)
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    async def hit(self, item: RateLimitItem, *ids: str) -> float | None:
        """Count one request; None when allowed, else the seconds to wait."""
        strategy = self._strategy()
        try:
            allowed = await strategy.hit(item, *ids)
            if strategy is self._primary and self.last_error is not None:
                log.info("rate-limit store reachable again")
                self.last_error = None
            return None if allowed else await self._wait_s(strategy, item, ids)
        except StorageError as exc:
            self._mark_down(exc)
            return await self.hit(item, *ids) if strategy is self._primary else None

    async def exhausted(self, item: RateLimitItem, *ids: str) -> float | None:
        """Without counting: None while there is room, else the seconds until there is."""
        strategy = self._strategy()
        try:
            if await strategy.test(item, *ids):
                return None
            return await self._wait_s(strategy, item, ids)
        except StorageError as exc:
            self._mark_down(exc)
            return await self.exhausted(item, *ids) if strategy is self._primary else None


def limiter_from_settings(settings: AppSettings) -> Limiter:
    """Redis when REDIS_URL is set (short timeouts, like the cache), else this process's memory."""
    if settings.embedded:
        return Limiter(MemoryStorage())
    url = settings.redis_url.replace("redis://", "async+redis://", 1).replace(
        "rediss://", "async+rediss://", 1
    )
    storage = RedisStorage(
        url,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=KEY_PREFIX,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    return Limiter(storage, retry_s=settings.cache_retry_s)


class RateLimits:
    """The ASGI middleware applying the app's RateLimitPolicy with its Limiter (both built by
    the lifespan, on `app.state.services`; see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = getattr(getattr(scope.get("app"), "state", None), "services", None)
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS or services is None:
            await self.app(scope, receive, send)
            return
        limiter: Limiter = services.limiter
        policy: RateLimitPolicy = services.rate_policy
        client = scope.get("client")
        address = client[0] if client else "unknown"
        presented = header(scope, _KEY_HEADER)
        credentials = presented is not None or header(scope, _SIGNATURE_HEADER) is not None
        if credentials and policy.auth_failures is not None:
            wait = await limiter.exhausted(policy.auth_failures, "auth-failures", address)
            if wait is not None:
                await self._refuse(
                    send,
                    wait,
                    f"too many failed authentications from {address}: credentials refused for "
                    f"{wait:.0f} s (APP_AUTH_FAILURE_LIMIT {policy.auth_failures})",
                )
                return
        key = matching_key(presented.decode("latin-1"), services.settings.api_keys) if presented else None
        if key is not None and policy.per_key is not None:
            wait = await limiter.hit(policy.per_key, "key", key_id(key))
            limit = f"APP_RATE_LIMIT_PER_KEY {policy.per_key} for this API key"
        elif key is None and policy.per_address is not None:
            wait = await limiter.hit(policy.per_address, "address", address)
            limit = f"APP_RATE_LIMIT_PER_ADDRESS {policy.per_address} for {address}"
        else:
            wait = None
        if wait is not None:
            await self._refuse(send, wait, f"rate limit exceeded ({limit}): retry after {wait:.0f} s")
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status == 401 and credentials and policy.auth_failures is not None:
            await limiter.hit(policy.auth_failures, "auth-failures", address)

    @staticmethod
    async def _refuse(send: Send, wait: float, detail: str) -> None:
        await send_error(send, 429, "TooManyRequests", detail, [(b"retry-after", str(int(wait)).encode())])
