"""A JSON POST route answered without FastAPI's request machinery when the request is well-formed.

For each request FastAPI builds a Request, parses the body with the standard library's JSON,
solves the route's dependencies and validates the body through a TypeAdapter before the
endpoint runs. For a cold one-sentence `/v1/predict` that was a fifth of the event loop's CPU:
1.03 ms per request without this route, 0.79 ms with it (one core, 16 clients, medians of six
paired runs; BENCHMARKS.md, the serve section). `DirectRoute`
is matched before FastAPI's route for the same path and does the same work directly: orjson,
the body model's own validation (pydantic in Python mode, as FastAPI does it), then `answer`,
which calls the same dependencies and the same endpoint function. Whatever it does not take as
it is (another content type, a body that is not JSON or does not validate, another method) goes
to FastAPI's route unchanged, so every error answer is FastAPI's own; that route also keeps the
OpenAPI documentation. Exceptions from `answer` reach the app's exception handlers as a
route's would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.middleware import header

__all__ = ["DirectRoute"]

# Set on a request handed back to the router: the direct route then steps aside.
_HANDED_BACK = "newsmodel.direct_route.handed_back"

Answer = Callable[[Any, Scope], Awaitable[Response]]


def _json_content_type(scope: Scope) -> bool:
    """What FastAPI parses as JSON: application/json or application/*+json (without a
    Content-Type it does not, with its default strict content type)."""
    value = header(scope, b"content-type")
    if value is None:
        return False
    kind = value.split(b";", 1)[0].strip().lower()
    return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))


class DirectRoute(Route):
    """POST `path`: `answer(model.model_validate(json), scope)`, else FastAPI's route via `router`."""

    def __init__(self, path: str, model: type[BaseModel], answer: Answer, router: ASGIApp) -> None:
        super().__init__(path, self._handle, methods=["POST"], include_in_schema=False)
        self.app = self._handle  # an ASGI app itself: Route would wrap a method as a Request endpoint
        self.model = model
        self.answer = answer
        self.router = router
        self.handed_back = 0  # requests left to FastAPI's route (tests read it)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("method") != "POST" or scope.get(_HANDED_BACK):
            return Match.NONE, {}
        match, child = super().matches(scope)
        if match is Match.FULL:
            child["route"] = self  # what FastAPI sets: the metrics label the route's path
        return match, child

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = None
        if messages[-1]["type"] == "http.request" and _json_content_type(scope):
            try:
                raw = b"".join(m.get("body", b"") for m in messages)
                body = self.model.model_validate(orjson.loads(raw))
            except Exception:  # not JSON, or not valid: FastAPI's route gives its own answer
                body = None
        if body is None:
            await self._hand_back(scope, messages, receive, send)
            return
        response = await self.answer(body, scope)
        await response(scope, receive, send)

    async def _hand_back(self, scope: Scope, messages: list[Message], receive: Receive, send: Send) -> None:
        """Route the request again, to FastAPI's route, with the body it sent replayed."""
        self.handed_back += 1
        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        scope[_HANDED_BACK] = True
        await self.router(scope, replay, send)
