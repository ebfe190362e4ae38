"""`GET /v1/model/challenger`: the shadow run's figures (all processes, from Postgres) and this
API process's mirror (queue, budget), for the dashboard panel and for people about to promote."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ApiKey
from app.errors import Unauthorized
from app.security import check_api_key
from app.state import AppState, get_state
from newsmodel.shadow.store import shadow_summary

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["model"])
State = Annotated[AppState, Depends(get_state)]


def _comparison(
    state: AppState, version: str | None, samples: int, sources: tuple[str, ...] | None
) -> dict[str, Any] | None:
    if version is None and state.shadow is not None and state.shadow.challenger.live is not None:
        version = state.shadow.challenger.live.version
    try:
        with state.db.transaction() as session:
            summary = shadow_summary(
                session,
                state.settings.registered_model_name,
                version,
                samples=samples,
                sample_sources=sources,
            )
    except SQLAlchemyError as exc:
        raise state.db.unavailable(exc) from exc
    return summary.to_dict() if summary is not None else None


@router.get("/model/challenger")
async def get_challenger(
    state: State,
    version: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9]+$")] = None,
    samples: Annotated[int, Query(ge=0, le=100)] = 10,
    x_api_key: ApiKey = None,
) -> dict[str, Any]:
    """The live challenger's agreement with the champion, its confusion table, confidence
    histograms and the disagreements worth reading (`comparison`, null before any; sentences sent to
    /v1/predict only with an API key), and how this process mirrors (`mirror`, null when off)."""
    # Sentences clients sent to /v1/predict are theirs: shown with an API key only; without
    # one, the disagreements come from bulk jobs over the crawled (public) news corpus.
    try:
        check_api_key(x_api_key, state.settings.api_keys)
        sources: tuple[str, ...] | None = None
    except Unauthorized:
        sources = ("job",)
    comparison = await asyncio.to_thread(_comparison, state, version, samples, sources)
    if comparison is not None:
        comparison["disagreement_sources"] = list(sources) if sources else ["api", "job"]
    return {
        "mirror": state.shadow.status() if state.shadow is not None else None,
        "comparison": comparison,
    }
