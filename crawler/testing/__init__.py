"""Test helpers that ship with the crawler: the loopback fixture news site (tests, bench, demo)."""

from crawler.testing.fixture_site import SITE_DIR, FixtureSite, serve, serve_many
from crawler.testing.sources import (
    demo_source_entries,
    demo_sources,
    fixture_source_entries,
    fixture_sources,
    write_demo_sources,
    write_fixture_sources,
)

__all__ = [
    "SITE_DIR",
    "FixtureSite",
    "demo_source_entries",
    "demo_sources",
    "fixture_source_entries",
    "fixture_sources",
    "serve",
    "serve_many",
    "write_demo_sources",
    "write_fixture_sources",
]
