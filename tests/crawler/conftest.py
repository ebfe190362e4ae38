"""Crawler fixtures: the loopback fixture site and settings pointing at the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.settings import CrawlerSettings
from crawler.sources import SourceConfig, SourceKind
from crawler.testing import FixtureSite, serve


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    """A fresh fixture site per test (its fault routes count hits from zero)."""
    with serve("127.0.0.1", 0, slow_s=3.0, big_bytes=600_000) as running:
        yield running


@pytest.fixture
def crawler_settings(db: str, tmp_path: Path) -> CrawlerSettings:
    """Fast, still-polite settings for the fixture site on the session's Postgres."""
    return CrawlerSettings(
        database_url=db,
        state_dir=tmp_path / "state",
        allow_private_addresses=True,
        per_host_concurrency=4,
        per_host_min_interval_s=0.0,
        connect_timeout_s=2.0,
        read_timeout_s=0.5,
        request_deadline_s=2.0,
        max_retries=2,
        backoff_base_s=0.05,
        max_retry_after_s=5.0,
        max_response_bytes=200_000,
    )


@pytest.fixture
def make_source(site: FixtureSite) -> Callable[..., SourceConfig]:
    """Build a SourceConfig on the fixture site: make_source("fx-rss", "rss", "/feeds/rss.xml")."""

    def build(name: str, kind: str, *paths: str, **extra: Any) -> SourceConfig:
        return SourceConfig(
            name=name,
            country=extra.pop("country", "USA"),
            category=extra.pop("category", "outlet"),
            kind=SourceKind(kind),
            urls=[site.url(p) for p in paths],
            language="en",
            allowed_hosts=extra.pop("allowed_hosts", [site.netloc]),
            **extra,
        )

    return build
