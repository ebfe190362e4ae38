"""Shared dependencies: API key checks for admin/job routes and predict (required in production),
and the request's database session.

The key checks are `async def`: FastAPI runs plain `def` dependencies in its thread pool, a
thread hop per request. The session is a plain generator: the routes that use it are `def`
routes, which run in that pool anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.security import check_api_key
from app.state import AppState, get_state

__all__ = ["DbSession", "db_session", "require_api_key", "require_predict_key"]

ApiKey = Annotated[str | None, Header(alias="X-API-Key", description="API key (API_KEYS)")]


async def require_api_key(state: Annotated[AppState, Depends(get_state)], x_api_key: ApiKey = None) -> None:
    check_api_key(x_api_key, state.settings.api_keys)


async def require_predict_key(
    state: Annotated[AppState, Depends(get_state)], x_api_key: ApiKey = None
) -> None:
    if state.settings.predict_needs_key:
        check_api_key(x_api_key, state.settings.api_keys)


def db_session(state: Annotated[AppState, Depends(get_state)]) -> Iterator[Session]:
    """The request's unit of work on the app's Database: committed when the route returns and
    before the response is sent (scope "function"), rolled back if it raises. Any database
    error becomes one 503 line naming DATABASE_URL."""
    try:
        with state.db.transaction() as session:
            yield session
    except SQLAlchemyError as exc:
        raise state.db.unavailable(exc) from exc


DbSession = Annotated[Session, Depends(db_session, scope="function")]
