"""Crawler settings: the shared service pieces plus politeness, limits and safety knobs.

Every crawler variable is read from `CRAWLER_*` in the environment (or `.env`); the shared
ones (DATABASE_URL, NEWSMODEL_STATE_DIR, LOG_FORMAT, ...) come from `BaseServiceSettings`.
Nothing is read at import time: call `get_crawler_settings()`.
"""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from newsmodel.settings import BaseServiceSettings, load_settings

__all__ = ["DEFAULT_SOURCES_PATH", "CrawlerSettings", "get_crawler_settings"]

DEFAULT_SOURCES_PATH = Path(__file__).resolve().parent / "sources.yaml"
DEFAULT_USER_AGENT = "newsmodel-crawler/0.1 (+https://github.com/newsmodel/newsmodel; research crawler)"


def _env(name: str) -> str:
    """The CRAWLER_ variable of a field; `populate_by_name` keeps `CrawlerSettings(name=...)` working."""
    return f"CRAWLER_{name.upper()}"


class CrawlerSettings(BaseServiceSettings):
    """What a crawler process needs; defaults are polite enough for real news sites."""

    model_config = SettingsConfigDict(**{**BaseServiceSettings.model_config, "populate_by_name": True})

    user_agent: str = Field(default=DEFAULT_USER_AGENT, validation_alias=_env("user_agent"))
    # Production must never fetch private, loopback or link-local addresses (SSRF via a
    # hostile feed or redirect); the loopback fixture site in tests and the demo needs them.
    allow_private_addresses: bool = Field(default=False, validation_alias=_env("allow_private_addresses"))
    connect_timeout_s: float = Field(default=5.0, gt=0, validation_alias=_env("connect_timeout_s"))
    read_timeout_s: float = Field(default=15.0, gt=0, validation_alias=_env("read_timeout_s"))
    # Wall-clock cap for one response (headers + body), so a trickling server cannot hold a slot.
    request_deadline_s: float = Field(default=30.0, gt=0, validation_alias=_env("request_deadline_s"))
    per_host_concurrency: int = Field(default=2, ge=1, le=32, validation_alias=_env("per_host_concurrency"))
    # Minimum gap between two request starts on one host (seconds); 0 disables the rate limit.
    per_host_min_interval_s: float = Field(
        default=1.0, ge=0, validation_alias=_env("per_host_min_interval_s")
    )
    max_response_bytes: int = Field(default=5_000_000, ge=1024, validation_alias=_env("max_response_bytes"))
    max_retries: int = Field(default=3, ge=0, le=10, validation_alias=_env("max_retries"))
    backoff_base_s: float = Field(default=1.0, ge=0, validation_alias=_env("backoff_base_s"))
    # A Retry-After longer than this is not waited for: the URL fails and the next run retries.
    max_retry_after_s: float = Field(default=120.0, ge=0, validation_alias=_env("max_retry_after_s"))
    max_redirects: int = Field(default=5, ge=0, le=20, validation_alias=_env("max_redirects"))
    sources_path: Path = Field(default=DEFAULT_SOURCES_PATH, validation_alias=_env("sources_path"))
    # Worker processes for trafilatura extraction (CPU-bound); 0: a thread of the crawler process.
    # Off by default: on the shared 2-core dev machine processes measured slower (bench/crawl.py
    # prints both); turn on where cores are free.
    extract_processes: int = Field(default=0, ge=0, le=32, validation_alias=_env("extract_processes"))
    # How many sources one `crawler run` crawls at the same time (hosts stay polite regardless).
    source_concurrency: int = Field(default=4, ge=1, le=64, validation_alias=_env("source_concurrency"))

    # Which scheduler this is in crawler_heartbeats; default: the host name, which is unique per
    # container (and per Kubernetes pod), so each replica's healthcheck reads its own beat.
    instance: str = Field(default="", max_length=255, validation_alias=_env("instance"))

    @property
    def instance_name(self) -> str:
        return self.instance or socket.gethostname()

    @property
    def lock_dir(self) -> Path:
        """Where SQLite (demo) mode keeps its per-source run lock files."""
        return self.state_dir.resolve() / "crawler" / "locks"


@lru_cache(maxsize=1)
def get_crawler_settings() -> CrawlerSettings:
    """Read the settings once per process (a bad value is one ConfigError line naming the variable);
    tests call `get_crawler_settings.cache_clear()`."""
    return load_settings(CrawlerSettings)
