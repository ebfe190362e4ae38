"""API and worker settings: the shared service pieces plus serving, batching and limit knobs.

App variables are read from `APP_*` in the environment (or `.env`); the shared ones
(DATABASE_URL, REDIS_URL, MLFLOW_TRACKING_URI, API_KEYS, WEBHOOK_SECRET, ...) come from
`BaseServiceSettings`. Nothing is read at import time: call `get_app_settings()`.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from newsmodel.errors import ConfigError
from newsmodel.settings import PLACEHOLDER_SECRET, BaseServiceSettings, load_settings

__all__ = ["MIN_API_KEY_LENGTH", "RATE_LIMIT_OFF", "AppSettings", "get_app_settings"]

# An API key is a bearer secret sent on every request: at least this long (openssl rand -hex 24
# makes 48 characters). The development placeholder is exempt so `make demo` runs unconfigured.
MIN_API_KEY_LENGTH = 16
RATE_LIMIT_OFF = "off"


def _env(name: str) -> AliasChoices:
    """Accept both the field name (constructor) and the APP_ variable (environment)."""
    return AliasChoices(name, f"APP_{name.upper()}")


class AppSettings(BaseServiceSettings):
    """What the API and the Celery worker need; defaults suit a 2-4 core CPU box."""

    model_config = SettingsConfigDict(**{**BaseServiceSettings.model_config, "populate_by_name": True})

    # Model following.
    poll_interval_s: float = Field(default=30.0, gt=0, validation_alias=_env("poll_interval_s"))
    model_variant: Literal["int8", "fp32"] = Field(default="int8", validation_alias=_env("model_variant"))
    # Where downloaded model versions are kept (default: <state_dir>/models).
    model_cache_dir: Path | None = Field(default=None, validation_alias=_env("model_cache_dir"))
    # A version that failed to load is retried after this long (it may have been a transient error).
    failed_retry_s: float = Field(default=300.0, ge=0, validation_alias=_env("failed_retry_s"))
    webhook_tolerance_s: int = Field(default=300, ge=1, validation_alias=_env("webhook_tolerance_s"))

    # Inference and micro-batching.
    batch_max_size: int = Field(default=32, ge=1, le=1024, validation_alias=_env("batch_max_size"))
    batch_max_wait_ms: float = Field(default=5.0, ge=0, le=1000, validation_alias=_env("batch_max_wait_ms"))
    # After a batch that served several requests, wait up to this long (within batch_max_wait_ms)
    # for more, so concurrent clients share one batch (app.batching, `_collect`); 0: off.
    batch_linger_ms: float = Field(default=2.0, ge=0, le=1000, validation_alias=_env("batch_linger_ms"))
    inference_workers: int = Field(default=1, ge=1, le=16, validation_alias=_env("inference_workers"))
    # Token budgets (estimated tokens, app.batching.estimate_tokens): a batch's ONNX time grows
    # with its tokens, so these bound how long a small request can wait behind large ones.
    batch_max_tokens: int = Field(default=1024, ge=1, le=1_000_000, validation_alias=_env("batch_max_tokens"))
    # One request's share of a batch per round (0: a quarter of batch_max_tokens).
    batch_request_tokens: int = Field(
        default=0, ge=0, le=1_000_000, validation_alias=_env("batch_request_tokens")
    )
    # Lower both budgets so a batch takes about this long at the speed measured on recent
    # batches (a slow CPU or long texts: smaller batches); 0 keeps the token budgets fixed.
    batch_target_ms: float = Field(default=100.0, ge=0, le=60_000, validation_alias=_env("batch_target_ms"))
    # Load shedding: a request that the queue ahead of it (at the measured speed) would not let
    # finish within this many seconds is answered 503 + Retry-After at once, so a load balancer
    # retries it elsewhere instead of it timing out here. Set it just under the clients' timeout;
    # 0 turns it off.
    batch_max_queue_s: float = Field(
        default=120.0, ge=0, le=86_400, validation_alias=_env("batch_max_queue_s")
    )
    # 0: the cores this process may run on (its CPU affinity, e.g. under taskset or a cgroup
    # cpuset) shared among the inference workers; ORT's own default counts the whole machine.
    ort_intra_op_threads: int = Field(default=0, ge=0, le=64, validation_alias=_env("ort_intra_op_threads"))
    # Busy-waiting ORT threads steal CPU from the event loop; off unless a core is dedicated.
    ort_allow_spinning: bool = Field(default=False, validation_alias=_env("ort_allow_spinning"))
    ort_inter_op_threads: int = Field(default=1, ge=0, le=64, validation_alias=_env("ort_inter_op_threads"))

    # Cache.
    cache_ttl_s: int = Field(default=24 * 3600, ge=1, validation_alias=_env("cache_ttl_s"))
    cache_memory_items: int = Field(default=50_000, ge=0, validation_alias=_env("cache_memory_items"))
    # With Redis: the hottest entries also in this process (no round trip on a repeat); 0 turns it off.
    cache_near_items: int = Field(default=10_000, ge=0, validation_alias=_env("cache_near_items"))
    cache_near_ttl_s: float = Field(default=600.0, gt=0, validation_alias=_env("cache_near_ttl_s"))
    # After a Redis error, skip Redis for this long instead of paying a timeout per request.
    cache_retry_s: float = Field(default=5.0, ge=0, validation_alias=_env("cache_retry_s"))
    redis_timeout_s: float = Field(default=0.25, gt=0, validation_alias=_env("redis_timeout_s"))

    # Request limits and security.
    max_sentences_per_request: int = Field(
        default=256, ge=1, validation_alias=_env("max_sentences_per_request")
    )
    max_chars_per_sentence: int = Field(default=2_000, ge=1, validation_alias=_env("max_chars_per_sentence"))
    max_body_bytes: int = Field(default=1_000_000, ge=1024, validation_alias=_env("max_body_bytes"))
    # A body still arriving after this long is a 408: slow uploads must not hold connections.
    body_read_timeout_s: float = Field(
        default=15.0, gt=0, le=600, validation_alias=_env("body_read_timeout_s")
    )
    # Unset: the key is required in production and optional elsewhere (demo, development).
    require_key_for_predict: bool | None = Field(
        default=None, validation_alias=_env("require_key_for_predict")
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("cors_origins")
    )
    # Rate limits in the `limits` notation ("1200/minute", "10 per 15 minutes") or "off".
    # Requests with a valid API key count against their key, all others against their address.
    rate_limit_per_address: str = Field(
        default="1200/minute", validation_alias=_env("rate_limit_per_address")
    )
    rate_limit_per_key: str = Field(default="6000/minute", validation_alias=_env("rate_limit_per_key"))
    # Wrong API keys / webhook signatures from one address; past it, credentials from that
    # address are refused (429) until the window has passed.
    auth_failure_limit: str = Field(default="10 per 15 minutes", validation_alias=_env("auth_failure_limit"))
    # Proxies (IPs or CIDRs) whose X-Forwarded-For / X-Forwarded-Proto are believed; empty: the
    # client address is the TCP peer, whatever the headers say.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("trusted_proxies")
    )

    # Jobs and Celery.
    score_chunk_size: int = Field(default=256, ge=1, le=10_000, validation_alias=_env("score_chunk_size"))
    max_job_sentences: int = Field(default=1_000_000, ge=1, validation_alias=_env("max_job_sentences"))
    # Above the longest task (one chunk), or an unacked task is redelivered while it still runs.
    celery_visibility_timeout_s: int = Field(
        default=600, ge=5, validation_alias=_env("celery_visibility_timeout_s")
    )
    # Above the model load time, or prefork children are killed in a loop at start.
    worker_proc_alive_timeout_s: float = Field(
        default=120.0, ge=4, validation_alias=_env("worker_proc_alive_timeout_s")
    )
    preprocess_articles_per_run: int = Field(
        default=500, ge=1, validation_alias=_env("preprocess_articles_per_run")
    )
    pipeline_interval_s: float = Field(default=900.0, ge=10, validation_alias=_env("pipeline_interval_s"))
    # The worker's main process serves /metrics of all its pool processes here (0: off).
    worker_metrics_port: int = Field(
        default=9101, ge=0, le=65535, validation_alias=_env("worker_metrics_port")
    )
    # Watchdog (beat): a queued or running job that has not moved for this long, checked by a
    # watchdog message that crossed the queue promptly (so everything queued before it was
    # delivered), lost its messages (Redis lost data, a chunk killed at the hard time limit) and
    # is re-planned. Default: twice the visibility timeout, after which any abandoned message is back.
    job_stalled_after_s: float | None = Field(
        default=None, ge=1, validation_alias=_env("job_stalled_after_s")
    )
    job_watchdog_interval_s: float = Field(
        default=60.0, ge=1, validation_alias=_env("job_watchdog_interval_s")
    )
    job_max_resumes: int = Field(default=3, ge=0, validation_alias=_env("job_max_resumes"))

    # Shadow challenger (app.shadow): mirror live sentences to the `challenger` alias's version.
    shadow_enabled: bool = Field(default=True, validation_alias=_env("shadow_enabled"))
    # Share of /v1/predict sentences offered to the shadow (bulk jobs mirror every sentence).
    shadow_share: float = Field(default=1.0, ge=0, le=1, validation_alias=_env("shadow_share"))
    # Shadow inference seconds at most this share of the champion's inference seconds (measured).
    shadow_cpu_budget: float = Field(default=0.25, ge=0, le=10, validation_alias=_env("shadow_cpu_budget"))
    # The shadow stands aside while the champion spends more than this share of wall time in inference.
    shadow_max_champion_busy: float = Field(
        default=0.8, gt=0, le=16, validation_alias=_env("shadow_max_champion_busy")
    )
    # Sentences waiting for the shadow; a request that would overflow it is dropped (counted).
    shadow_queue_sentences: int = Field(default=512, ge=1, validation_alias=_env("shadow_queue_sentences"))
    shadow_flush_interval_s: float = Field(
        default=10.0, gt=0, validation_alias=_env("shadow_flush_interval_s")
    )
    shadow_push_interval_s: float = Field(default=60.0, gt=0, validation_alias=_env("shadow_push_interval_s"))
    # Disagreements kept in Postgres per champion/challenger pair (a random sample per flush).
    shadow_sample_cap: int = Field(default=500, ge=0, validation_alias=_env("shadow_sample_cap"))
    # The challenger runs single-threaded so it never takes every core from the champion.
    shadow_intra_op_threads: int = Field(
        default=1, ge=0, le=64, validation_alias=_env("shadow_intra_op_threads")
    )

    @property
    def stalled_after_s(self) -> float:
        return self.job_stalled_after_s or 2.0 * self.celery_visibility_timeout_s

    @property
    def watchdog_expires_s(self) -> float:
        """How long a watchdog message may wait in the queue before Celery drops it unrun: at
        most one interval (the next one follows) and well under the stall threshold, so a
        check that runs proves every message older than a stalled job's last move was delivered."""
        return max(1.0, min(self.job_watchdog_interval_s, self.stalled_after_s / 2))

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("rate_limit_per_address", "rate_limit_per_key", "auth_failure_limit", mode="after")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        value = value.strip()
        if value.lower() == RATE_LIMIT_OFF:
            return RATE_LIMIT_OFF
        try:
            parse(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate such as '1200/minute' or '10 per 15 minutes' (or 'off')"
            ) from None
        return value

    @property
    def predict_needs_key(self) -> bool:
        """APP_REQUIRE_KEY_FOR_PREDICT when set, else: only in production."""
        if self.require_key_for_predict is not None:
            return self.require_key_for_predict
        return self.environment == "production"

    def check_api_keys(self) -> None:
        """Refuse to serve with a configured key shorter than MIN_API_KEY_LENGTH (one line, naming API_KEYS)."""
        short = [
            i
            for i, key in enumerate(self.api_keys, start=1)
            if len(key.get_secret_value()) < MIN_API_KEY_LENGTH
            and key.get_secret_value() != PLACEHOLDER_SECRET
        ]
        if short:
            raise ConfigError(
                f"API_KEYS: key(s) {', '.join(map(str, short))} shorter than {MIN_API_KEY_LENGTH} characters "
                "(make one with: openssl rand -hex 24)"
            )

    @property
    def models_dir(self) -> Path:
        return (self.model_cache_dir or self.state_dir / "models").resolve()

    @property
    def intra_op_threads(self) -> int:
        """ORT threads per inference worker: the setting, else this process's cores per worker."""
        if self.ort_intra_op_threads:
            return self.ort_intra_op_threads
        return max(1, len(os.sched_getaffinity(0)) // self.inference_workers)


@lru_cache(maxsize=1)
def get_app_settings() -> AppSettings:
    """Read the settings once per process (a bad value is one ConfigError line naming the
    variable); tests call `get_app_settings.cache_clear()`."""
    return load_settings(AppSettings)
