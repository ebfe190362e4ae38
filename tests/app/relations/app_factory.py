"""The app under test: the serving engineer's `create_app`, with the relations router included
if `create_app` does not include it yet (so these tests run before and after that wiring)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["create_relations_app"]


def create_relations_app() -> FastAPI:
    from app.main import create_app
    from app.relations.api import router

    app = create_app()
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/v1/relations" not in paths:
        app.include_router(router)
    return app
