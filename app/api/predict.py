"""POST /v1/predict: label, probabilities and country pairs for one or many sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from app.api.deps import require_predict_key
from app.direct_route import DirectRoute
from app.fast_json import OrjsonResponse
from app.middleware import header
from app.schemas import ErrorResponse, PredictionRequest, PredictionResponse
from app.state import AppState, get_state

__all__ = ["direct_route", "router"]

router = APIRouter(prefix="/v1", tags=["predict"])


@router.post(
    "/predict",
    response_model=PredictionResponse,
    dependencies=[Depends(require_predict_key)],
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def predict_sentences(
    body: PredictionRequest, state: Annotated[AppState, Depends(get_state)]
) -> OrjsonResponse:
    """Label, probabilities, countries and each country pair's reading (`pair_readings`: per pair
    by a pair-aware version, its mentions marked; the sentence's label repeated by a sentence-level
    one). With `pair`, `label` is that pair's reading by a pair-aware version. With
    `directions: false` pair sentences are not parsed (the cheapest cold request; `directions` null).

    The rows are built in PredictionResponse's shape (app.prediction) and sent as they are,
    not validated again through pydantic (see BENCHMARKS.md, the per-request breakdown)."""
    handle, rows = await state.predictions.predict(
        body.texts, body.date, body.read_pair, directions=body.directions
    )
    return OrjsonResponse(
        {
            "model": {
                "name": handle.name,
                "version": handle.version,
                "variant": handle.predictor.variant,
                "artifact_sha256": handle.digest,
            },
            "predictions": rows,
        }
    )


async def _answer_directly(body: PredictionRequest, scope: Scope) -> Response:
    """The route above as FastAPI calls it: the key check, then the endpoint."""
    state: AppState = scope["app"].state.services
    key = header(scope, b"x-api-key")  # decoded as Starlette decodes a header
    await require_predict_key(state, key.decode("latin-1") if key is not None else None)
    return await predict_sentences(body, state)


def direct_route(router: ASGIApp) -> DirectRoute:
    """POST /v1/predict without FastAPI's request machinery for well-formed requests
    (app.direct_route); the app puts it before the routers, `router` being its own."""
    return DirectRoute("/v1/predict", PredictionRequest, _answer_directly, router)
