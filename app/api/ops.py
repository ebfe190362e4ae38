"""Operations: /health (process up), /ready (model loaded; dependencies listed), /metrics."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from app.state import AppState, get_state
from newsmodel.db.session import Database
from newsmodel.errors import NewsmodelError

__all__ = ["router"]

router = APIRouter(tags=["operations"])
State = Annotated[AppState, Depends(get_state)]


@router.get("/health")
async def health() -> dict[str, str]:
    """The process answers (liveness); says nothing about the model or dependencies."""
    return {"status": "ok"}


def _database_check(db: Database) -> dict[str, Any]:
    try:
        db.check()
    except NewsmodelError as exc:
        return {"ok": False, "detail": str(exc)}
    return {"ok": True, "detail": "ok"}


@router.get("/ready")
async def ready(state: State) -> JSONResponse:
    """503 until a model version is loaded. Registry, database, cache and broker are reported:
    any of them down makes the status "degraded" but not unready (still 200), because predict
    still answers from the loaded model."""
    follower = state.follower
    handle = follower.current
    status = follower.status()
    model: dict[str, Any] = {"ok": handle is not None}
    if handle is not None:
        model["detail"] = f"{handle.name} v{handle.version} ({handle.via})"
    else:
        try:
            follower.require()
        except NewsmodelError as exc:
            model["detail"] = str(exc)
    if status["load_error"]:
        model["load_error"] = status["load_error"]
    if status["registry_error"]:
        model["registry_error"] = status["registry_error"]
    cache_ok = await state.cache.ping()
    cache = {
        "ok": cache_ok,
        "kind": state.cache.kind,
        "detail": "ok" if cache_ok else "down: predicting uncached",
    }
    broker_ok, broker_detail = await asyncio.to_thread(state.jobs.healthy)
    registry_error = status["registry_error"]
    registry = {
        "ok": registry_error is None,
        "detail": "ok"
        if registry_error is None
        else f"down: still serving the loaded model; {registry_error}",
        "last_check_at": status["last_check_at"],
    }
    checks = {
        "model": model,
        "registry": registry,
        "database": await asyncio.to_thread(_database_check, state.db),
        "cache": cache,
        "jobs": {"ok": broker_ok, "runner": state.jobs.name, "detail": broker_detail},
    }
    degraded = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ready" if not degraded else ("degraded" if handle else "not ready"), "checks": checks}
    return JSONResponse(body, status_code=200 if handle is not None else 503)


@router.get("/metrics")
async def metrics(state: State) -> Response:
    payload = await asyncio.to_thread(state.metrics.render)  # job counts query the database
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
