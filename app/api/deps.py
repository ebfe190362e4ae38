"""Shared dependencies: API key checks for admin/job routes and predict (required in production).

All `async def`: FastAPI runs plain `def` dependencies in its thread pool, a thread hop per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from app.security import check_api_key
from app.state import AppState, get_state

__all__ = ["require_api_key", "require_predict_key"]

ApiKey = Annotated[str | None, Header(alias="X-API-Key", description="API key (API_KEYS)")]


async def require_api_key(state: Annotated[AppState, Depends(get_state)], x_api_key: ApiKey = None) -> None:
    check_api_key(x_api_key, state.settings.api_keys)


async def require_predict_key(
    state: Annotated[AppState, Depends(get_state)], x_api_key: ApiKey = None
) -> None:
    if state.settings.predict_needs_key:
        check_api_key(x_api_key, state.settings.api_keys)
