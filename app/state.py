"""What the lifespan builds and the routes use: one AppState per app, on `app.state.services`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from app.cache import PredictionCache
from app.job_dispatch import JobDispatcher
from app.metrics import AppMetrics
from app.model_follower import ModelFollower
from app.prediction import PredictionService
from app.rate_limits import Limiter, RateLimitPolicy
from app.security import ReplayGuard
from app.settings import AppSettings
from app.shadow.mirror import ShadowMirror
from newsmodel.db.session import Database

__all__ = ["AppState", "get_state"]


@dataclass
class AppState:
    settings: AppSettings
    db: Database
    follower: ModelFollower
    predictions: PredictionService
    cache: PredictionCache
    metrics: AppMetrics
    jobs: JobDispatcher
    replay_guard: ReplayGuard
    limiter: Limiter
    rate_policy: RateLimitPolicy
    shadow: ShadowMirror | None = None


async def get_state(request: Request) -> AppState:
    """FastAPI dependency: the services of the app serving this request."""
    return request.app.state.services  # type: ignore[no-any-return]
