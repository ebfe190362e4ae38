"""Security headers on every response: nosniff, no referrer, no framing, a CSP per kind of page.

JSON answers get a CSP that allows nothing (a response rendered as a page by mistake runs
nothing). The dashboard loads only its own files (vendored uPlot from /dashboard/static, data
from the JSON API on the same origin). The OpenAPI pages (/docs, /redoc) are FastAPI's: they
load Swagger UI / ReDoc from jsdelivr with an inline bootstrap script, so their CSP allows that
CDN and inline script and nothing else. HSTS is sent only on requests that arrived over HTTPS.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "DASHBOARD_CSP", "DOCS_CSP", "SecurityHeaders"]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _csp_for(path: str) -> str:
    if path == "/dashboard" or path.startswith("/dashboard/"):
        return DASHBOARD_CSP
    if path.startswith(_DOCS_PATHS):
        return DOCS_CSP
    return API_CSP


class SecurityHeaders:
    """Adds the headers to every HTTP response start, whoever produced it (route or middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*_COMMON, (b"content-security-policy", _csp_for(scope["path"]).encode())]
        if scope.get("scheme") == "https":
            extra.append(_HSTS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in extra if h[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
