"""Test helpers that ship with the crawler: the loopback fixture news site (tests, bench, demo)."""

from crawler.testing.fixture_site import SITE_DIR, FixtureSite, serve, serve_many
from crawler.testing.sources import fixture_source_entries, fixture_sources, write_fixture_sources

__all__ = [
    "SITE_DIR",
    "FixtureSite",
    "fixture_source_entries",
    "fixture_sources",
    "serve",
    "serve_many",
    "write_fixture_sources",
]
