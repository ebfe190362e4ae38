"""The FastAPI app factory (`uvicorn --factory app.main:create_app`).

The lifespan builds every client (database, registry follower, cache, batcher, job runner,
metrics); nothing is created at import time. Routes get a database session per request from
`app.api.deps.DbSession`, built on the lifespan's one Database. Errors: one handler renders every NewsmodelError with the
status from `app.errors.status_for`; validation and HTTP errors use the same JSON shape.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.api import jobs as jobs_api
from app.api import model as model_api
from app.api import ops as ops_api
from app.api import predict as predict_api
from app.batching import MicroBatcher
from app.cache import MemoryCache, NearCache, PredictionCache, RedisCache
from app.cache_coalescing import CoalescedCache
from app.errors import status_for
from app.heap import freeze_startup_heap
from app.job_dispatch import CeleryJobDispatcher, InProcessJobDispatcher, JobDispatcher
from app.metrics import AppMetrics
from app.middleware import RequestMetrics
from app.model_follower import ModelHandle, follower_from_settings
from app.prediction import PredictionService
from app.rate_limits import RateLimitPolicy, RateLimits, limiter_from_settings
from app.relations.api import router as relations_router
from app.relations.monitoring import alert_readings, drift_gauge_readings
from app.request_body import RequestBodyLimits
from app.scoring_jobs import count_jobs
from app.security import ReplayGuard
from app.security_headers import SecurityHeaders
from app.settings import AppSettings, get_app_settings
from app.shadow import NO_SHADOW, ShadowMetrics, shadow_from_settings
from app.shadow.api import router as shadow_router
from app.state import AppState
from newsmodel.countries import get_detector
from newsmodel.db.session import Database
from newsmodel.errors import ConfigError, NewsmodelError
from newsmodel.logging import configure_logging, get_logger

__all__ = ["create_app"]

log = get_logger(__name__)


def _build_cache(settings: AppSettings, metrics: AppMetrics) -> PredictionCache:
    if settings.embedded:
        return MemoryCache(settings.cache_ttl_s, settings.cache_memory_items)
    shared = CoalescedCache(
        RedisCache(
            settings.redis_url, settings.cache_ttl_s, settings.redis_timeout_s, settings.cache_retry_s
        ),
        observe_round_trip=lambda op: metrics.cache_round_trips.labels(op=op).inc(),
        observe_dropped=metrics.cache_writes_dropped.inc,
    )
    if settings.cache_near_items == 0:
        return shared
    return NearCache(shared, settings.cache_near_items, min(settings.cache_near_ttl_s, settings.cache_ttl_s))


def _lifespan(settings: AppSettings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format)
        db = Database.from_url(settings.database_url)  # connects on first use: /ready reports it
        metrics = AppMetrics()
        follower = follower_from_settings(settings)
        follower.on_swap(lambda handle: metrics.set_model(handle.name, handle.version))
        cache = _build_cache(settings, metrics)
        shadow = shadow_from_settings(settings, follower, db, ShadowMetrics(metrics.registry), "api")
        batcher = MicroBatcher(
            settings.batch_max_size,
            settings.batch_max_wait_ms,
            settings.inference_workers,
            observe_batch=metrics.batch_size.observe,
            max_tokens=settings.batch_max_tokens,
            request_tokens=settings.batch_request_tokens or None,
            target_batch_ms=settings.batch_target_ms,
            max_queue_s=settings.batch_max_queue_s,
            observe_shed=metrics.requests_shed.inc,
            linger_ms=settings.batch_linger_ms,
        )
        runner: JobDispatcher
        if settings.embedded:
            runner = InProcessJobDispatcher(
                db, follower, settings.score_chunk_size, shadow.compare_now if shadow else None
            )
            log.info("embedded mode: no REDIS_URL, so jobs run in-process and the cache lives in memory")
        else:
            runner = CeleryJobDispatcher(settings.redis_url)
        metrics.watch_jobs(lambda: _job_counts(db))
        metrics.watch_index_alerts(
            alert_readings(db, lambda: follower.live, settings.index_alert_min_sentences)
        )
        metrics.watch_drift(drift_gauge_readings(db, lambda: follower.live))
        follower.on_swap(_backfill_on_promotion(runner))
        await asyncio.to_thread(_warm_country_detector)
        await batcher.start()
        await asyncio.to_thread(follower.start)  # first registry check before serving traffic
        if shadow is not None:
            shadow.start()  # loads the challenger in its own thread: serving starts without waiting
        app.state.services = AppState(
            settings=settings,
            db=db,
            follower=follower,
            predictions=PredictionService(
                follower,
                batcher,
                cache,
                metrics,
                settings.max_sentences_per_request,
                settings.max_chars_per_sentence,
                shadow or NO_SHADOW,
            ),
            cache=cache,
            metrics=metrics,
            jobs=runner,
            replay_guard=ReplayGuard(settings.webhook_tolerance_s),
            limiter=limiter_from_settings(settings),
            rate_policy=RateLimitPolicy.from_settings(settings),
            shadow=shadow,
        )
        await asyncio.to_thread(freeze_startup_heap)
        handle = follower.current
        log.info(
            "app ready",
            model=settings.registered_model_name,
            version=handle.version if handle else None,
            cache=cache.kind,
            jobs=runner.name,
            rate_limits=app.state.services.limiter.kind,
            predict_needs_key=settings.predict_needs_key,
        )
        try:
            yield
        finally:
            if shadow is not None:
                await asyncio.to_thread(shadow.stop)  # flushes what it counted
            await asyncio.to_thread(follower.stop)
            await batcher.stop()
            app.state.services.predictions.close()
            await cache.close()
            runner.close()
            db.dispose()

    return lifespan


def _job_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return count_jobs(session)


def _backfill_on_promotion(runner: JobDispatcher) -> Callable[[ModelHandle], None]:
    """After a swap from an older version (not the first load), rescore history with the new one."""
    seen: list[str] = []

    def listener(handle: ModelHandle) -> None:
        previous = seen[-1] if seen else None
        seen.append(handle.version)
        if previous is None or previous == handle.version:
            return
        try:
            runner.request_backfill(handle.name, handle.version)
        except NewsmodelError as exc:  # the scheduled pipeline scores the rest later
            log.warning("could not request a backfill", version=handle.version, error=str(exc))

    return listener


def _warm_country_detector() -> None:
    """Compile the country patterns and load the parser now, not on the first request (~2 s)."""
    from newsmodel.countries.direction import get_direction_reader

    text = "Seoul protested to Tokyo."
    get_direction_reader().read(text, get_detector().detect(text))


async def _newsmodel_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NewsmodelError)
    status = status_for(exc)
    if status >= 500:
        log.warning("request failed", error=type(exc).__name__, detail=str(exc))
    retry_after = getattr(exc, "retry_after_s", 5)
    headers = {"Retry-After": str(retry_after)} if status == 503 else None
    return JSONResponse(
        {"error": type(exc).__name__, "detail": str(exc)}, status_code=status, headers=headers
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return JSONResponse({"error": "ValidationError", "detail": "; ".join(parts)}, status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"error": "HTTPError", "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    return JSONResponse(
        {"error": "InternalError", "detail": "internal error; see the server log"}, status_code=500
    )


def _settings_or_exit(settings: AppSettings | None) -> AppSettings:
    """The settings, checked before serving: a bad value, a placeholder secret outside
    development or a short API key stops the server with one line naming the variable."""
    try:
        settings = settings or get_app_settings()
        settings.check_secrets()
        settings.check_api_keys()
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None
    return settings


def create_app(settings: AppSettings | None = None) -> FastAPI:
    """Build the API; settings default to the environment (`get_app_settings()`)."""
    settings = _settings_or_exit(settings)
    app = FastAPI(
        title="newsmodel API",
        version="1",
        description="Country-pair relation classification served from the MLflow registry.",
        lifespan=_lifespan(settings),
    )
    app.add_exception_handler(NewsmodelError, _newsmodel_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    for router in (
        ops_api.router,
        predict_api.router,
        jobs_api.router,
        shadow_router,
        model_api.router,
        relations_router,
    ):
        app.include_router(router)
    # Well-formed predict requests skip FastAPI's request handling (app.direct_route).
    app.router.routes.insert(0, predict_api.direct_route(app.router))
    # Each add_middleware wraps the ones before: the last added runs first. From the outside in:
    # metrics (see every response) -> security headers (on every response, refusals included)
    # -> client address from trusted proxies only -> CORS (preflights answered, refusals
    # readable by the page) -> rate limits (before a body is read) -> body limits -> routes.
    app.add_middleware(
        RequestBodyLimits, max_bytes=settings.max_body_bytes, timeout_s=settings.body_read_timeout_s
    )
    app.add_middleware(RateLimits)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
            expose_headers=["Retry-After"],
        )
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)
    return app
