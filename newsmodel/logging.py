"""Structured logging (structlog), configured by the entry point, never at import time."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

__all__ = ["configure_logging", "get_logger"]


def configure_logging(level: str = "INFO", fmt: str = "console", stream: TextIO | None = None) -> None:
    """JSON lines for services (`LOG_FORMAT=json`), readable console lines for people.

    `stream` defaults to the current `sys.stderr`. A Celery pool process passes the process's
    real stderr: Celery replaced `sys.stderr` there with a proxy that logs to the root logger,
    so a root handler writing to that proxy would loop and every line would be dropped.
    """
    stream = stream if stream is not None else sys.stderr
    logging.basicConfig(stream=stream, level=level.upper(), format="%(message)s", force=True)
    # One INFO line per HTTP request drowns the crawl's own structured events.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
