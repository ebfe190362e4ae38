"""Pure ASGI middleware: request latency metrics, and the JSON error answer the other middleware send."""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import AppMetrics

__all__ = ["RequestMetrics", "error_body", "header", "send_error"]


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower case) in an ASGI scope, before any Request exists."""
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value)
    return None


def error_body(error: str, detail: str) -> bytes:
    return json.dumps({"error": error, "detail": detail}).encode("utf-8")


async def send_error(
    send: Send, status: int, error: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with our `{error, detail}` JSON body before the app ran (limits, refusals)."""
    body = error_body(error, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestMetrics:
    """Latency histogram labelled by method, route template (not raw path) and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            services = getattr(getattr(scope.get("app"), "state", None), "services", None)
            metrics: AppMetrics | None = getattr(services, "metrics", None)
            if metrics is not None:
                metrics.request_latency.labels(scope["method"], path, str(status)).observe(
                    time.perf_counter() - start
                )
