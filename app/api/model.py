"""The active model (/v1/model), a forced registry check (admin) and the MLflow webhook."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from app.api.deps import require_api_key
from app.schemas import ErrorResponse, ModelResponse, WebhookAck, WebhookEvent
from app.security import verify_webhook
from app.state import AppState, get_state
from newsmodel.errors import DataError

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["model"])
State = Annotated[AppState, Depends(get_state)]
RELOAD_ENTITIES = {"model_version_alias"}


def _model_response(state: AppState, pending: dict[str, int] | None = None) -> ModelResponse:
    handle = state.follower.current
    return ModelResponse(
        serving=handle.describe() if handle else None,
        following=state.follower.status(),
        pending_by_language=pending,
    )


def _pending(state: AppState) -> dict[str, int] | None:
    """Sentences left for a model that reads their language; None when no model or no database."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.scoring_jobs import pending_by_language

    handle = state.follower.current
    if handle is None:
        return None
    try:
        with state.db.transaction() as session:
            return pending_by_language(session, handle)
    except SQLAlchemyError:
        return None


@router.get("/model", response_model=ModelResponse)
async def get_model(state: State) -> ModelResponse:
    """What is served now (with the languages it reads), what the registry says is live, the last
    load error if any, and the sentences waiting for a model that reads their language."""
    return _model_response(state, await asyncio.to_thread(_pending, state))


@router.post(
    "/admin/model/refresh",
    response_model=ModelResponse,
    dependencies=[Depends(require_api_key)],
    responses={401: {"model": ErrorResponse}},
)
async def refresh_model(state: State) -> ModelResponse:
    """Check the registry now and load a new live version before answering."""
    await asyncio.to_thread(state.follower.check_now)
    return _model_response(state)


@router.post("/webhooks/mlflow", response_model=WebhookAck, responses={401: {"model": ErrorResponse}})
async def mlflow_webhook(request: Request, state: State) -> WebhookAck:
    """MLflow registry webhook (alias created/deleted): verify the HMAC, then re-check the registry.

    The payload only triggers a check; the version to serve is always read from the registry.
    """
    body = await request.body()
    settings = state.settings
    verify_webhook(
        request.headers, body, settings.webhook_secret, state.replay_guard, settings.webhook_tolerance_s
    )
    try:
        event = WebhookEvent.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise DataError(
            f"webhook body is not the JSON object MLflow sends ({where}: {first.get('msg', 'invalid')})"
        ) from None
    if event.entity in RELOAD_ENTITIES and event.data.name == settings.registered_model_name:
        state.follower.trigger()
        if state.shadow is not None:
            state.shadow.challenger.trigger()  # a `challenger` alias set or deleted
        return WebhookAck(accepted=True, action="registry check triggered")
    return WebhookAck(accepted=True, action=f"ignored ({event.entity} {event.action})")
