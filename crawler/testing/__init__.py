"""Test helpers that ship with the crawler: the loopback fixture news site (tests, bench, demo)."""

from crawler.testing.fixture_site import SITE_DIR, FixtureSite, serve, serve_many

__all__ = ["SITE_DIR", "FixtureSite", "serve", "serve_many"]
