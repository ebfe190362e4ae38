"""A minimal FastAPI app and Celery app that exercise the uvicorn/Celery fixtures.

They stand in for `app.main` / `app.celery_app` so the helpers are proven before those exist.
"""

from __future__ import annotations

import os

from celery import Celery
from fastapi import FastAPI

__all__ = ["add", "celery_app", "create_app"]


def create_app() -> FastAPI:
    api = FastAPI()

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/env/{name}")
    def env(name: str) -> dict[str, str | None]:
        return {name: os.environ.get(name)}

    return api


celery_app = Celery("sample", broker=os.environ.get("REDIS_URL"), backend=os.environ.get("REDIS_URL"))
celery_app.conf.update(
    task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True
)


@celery_app.task(name="sample.add")
def add(a: int, b: int) -> int:
    return a + b
