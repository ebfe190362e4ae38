"""End to end on the real Postgres: fixture site -> crawler -> crawl_runs, articles, article_links."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.http_cache import ValidatorStore, url_key
from crawler.locks import source_lock
from crawler.settings import CrawlerSettings
from crawler.shared_session import all_failed, run_sources
from crawler.source_run import SourceRunResult
from crawler.sources import SourceConfig, load_sources
from crawler.testing import FixtureSite, write_fixture_sources
from newsmodel.db.models import Article, ArticleLink, CrawlRun, HttpValidator, Source
from tests.support.db import as_database, session_scope

GOOD_RSS = {
    "/articles/seoul-tokyo-trade-pact.html",
    "/articles/washington-beijing-talks.html",
    "/articles/delhi-moscow-energy.html",
    "/articles/pyongyang-missile-test.html",
    "/wire/summit-wire-story.html",
}


def crawl(sources: list[SourceConfig], settings: CrawlerSettings, **kw: object) -> list[SourceRunResult]:
    return asyncio.run(run_sources(sources, settings, **kw))  # type: ignore[arg-type]


def run_row(db: str, run_id: int | None) -> CrawlRun:
    with session_scope(db) as s:
        row = s.get(CrawlRun, run_id)
        assert row is not None
        return row


def saved_validators(db: str, url: str) -> dict[str, str | None] | None:
    """What the crawler saved for conditional GET of `url` (None: nothing)."""
    with session_scope(db) as s:
        row = s.get(HttpValidator, url_key(url))
        return None if row is None else {"etag": row.etag, "last_modified": row.last_modified}


def counts(row: CrawlRun) -> dict[str, int]:
    return {k: getattr(row, k) for k in ("discovered", "fetched", "new", "duplicate", "failed")}


def stored_paths(db: str, site: FixtureSite) -> list[str]:
    with session_scope(db) as s:
        urls = s.scalars(select(Article.canonical_url)).all()
    return sorted(u.removeprefix(site.base_url) for u in urls)


def test_rss_feed_stores_every_good_article_once(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    [result] = crawl([make_source("fx-rss", "rss", "/feeds/rss.xml")], crawler_settings)

    row = run_row(db, result.run_id)
    # 6 items, but the ?fbclid copy canonicalises to an item already listed.
    assert counts(row) == {"discovered": 5, "fetched": 5, "new": 5, "duplicate": 0, "failed": 0}
    assert row.status == "succeeded" and row.finished_at is not None and row.errors == []
    assert stored_paths(db, site) == sorted(GOOD_RSS)
    with session_scope(db) as s:
        art = s.scalars(
            select(Article).where(Article.canonical_url.endswith("seoul-tokyo-trade-pact.html"))
        ).one()
        assert art.title == "South Korea and Japan sign semiconductor supply pact"
        assert art.language == "en"
        assert art.url == site.url("/articles/seoul-tokyo-trade-pact.html?utm_source=rss&utm_medium=feed")
        assert art.published_at is not None and art.published_at.isoformat().startswith("2026-11-18T00:30")
        assert "semiconductor materials" in art.body and "Most read" not in art.body
        assert len(art.content_hash) == 64 and art.crawl_run_id == row.id
        # Tagged by newsmodel's detector: Seoul/Korea, Tokyo/Japan, the United States, China.
        assert art.countries == ["CHN", "JPN", "KOR", "USA"]
        tags = dict(s.execute(select(Article.canonical_url, Article.countries)).all())
        assert tags[site.url("/articles/delhi-moscow-energy.html")] == ["IND", "RUS", "USA"]
        src = s.scalars(select(Source).where(Source.name == "fx-rss")).one()
        assert (src.country, src.kind, src.language) == ("USA", "rss", "en")
        assert s.scalar(select(func.count()).select_from(ArticleLink)) == 5


def test_every_fault_is_counted_with_its_reason(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    faults = make_source("fx-faults", "rss", "/feeds/faults.xml")
    [result] = crawl([faults], crawler_settings)

    row = run_row(db, result.run_id)
    # A run with failed articles saves no validators: the next run reads the feed in full and
    # offers the failed articles again instead of getting 304 Not Modified.
    assert saved_validators(db, faults.urls[0]) is None
    # 13 items: three recover (500 once, 429 + Retry-After, a 301), ten fail; the empty
    # page is fetched but holds no article.
    assert counts(row) == {"discovered": 13, "fetched": 4, "new": 3, "duplicate": 0, "failed": 10}
    assert row.status == "partial"
    reasons = {e["url"].removeprefix(site.base_url): e["reason"] for e in row.errors}
    assert len(row.errors) == row.failed
    assert "robots.txt" in reasons["/private/secret.html"]
    assert reasons["/slow/page.html"].startswith("timed out")
    assert "larger than 200000 bytes (Content-Length" in reasons["/big/page.html"]
    assert "larger than 200000 bytes" in reasons["/big/stream.html"]
    assert "application/pdf" in reasons["/data/report.pdf"]
    assert reasons["/loop/a"].startswith("redirect loop")
    assert reasons["/articles/missing.html"] == "HTTP 404"
    assert reasons["/broken/always-500.html"] == "HTTP 500 after 3 attempt(s)"
    assert "not allowed for this source" in reasons["http://offsite.invalid/story.html"]
    assert reasons["/empty.html"].startswith("no article text")
    assert stored_paths(db, site) == [
        "/articles/moved-target.html",
        "/flaky/once-500.html",
        "/limited/retry-after.html",
    ]
    # Retries happened (and stopped) where they should; robots kept us out of /private/.
    assert site.hits["/flaky/once-500.html"] == 2
    assert site.hits["/limited/retry-after.html"] == 2
    assert site.hits["/broken/always-500.html"] == 3
    assert site.hits["/private/secret.html"] == 0
    assert site.hits["/robots.txt"] == 1
    with session_scope(db) as s:
        moved = s.scalars(select(Article).where(Article.canonical_url.endswith("moved-target.html"))).one()
        links = sorted(link.canonical_url.removeprefix(site.base_url) for link in moved.links)
    assert links == ["/articles/moved-target.html", "/redirect/moved.html"]


def test_syndicated_story_is_stored_once_and_linked_to_both_sources(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    rss = make_source("fx-rss", "rss", "/feeds/rss.xml")
    partner = make_source("fx-partner", "listing", "/listing.html", selector="a.story-link", country="IND")
    [first] = crawl([rss], crawler_settings)
    [second] = crawl([partner], crawler_settings)

    assert counts(run_row(db, first.run_id))["new"] == 5
    # Listing: two story links (the mailto is not a URL we fetch); the copy is a duplicate by content.
    assert counts(run_row(db, second.run_id)) == {
        "discovered": 2,
        "fetched": 2,
        "new": 1,
        "duplicate": 1,
        "failed": 0,
    }
    with session_scope(db) as s:
        wire = s.scalars(
            select(Article).where(Article.canonical_url.endswith("/wire/summit-wire-story.html"))
        ).one()
        by_source = {s.get(Source, link.source_id).name: link.canonical_url for link in wire.links}  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Article)) == 6
    assert by_source == {
        "fx-rss": site.url("/wire/summit-wire-story.html"),
        "fx-partner": site.url("/partner/summit-copy.html"),
    }


def test_atom_sitemap_and_rerun_skip_known_urls_without_fetching(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    rss = make_source("fx-rss", "rss", "/feeds/rss.xml")
    atom = make_source("fx-atom", "atom", "/feeds/atom.xml", country="JPN")
    sitemap = make_source("fx-sitemap", "sitemap", "/sitemap_index.xml")
    crawl([rss], crawler_settings)
    [a] = crawl([atom], crawler_settings)
    [m] = crawl([sitemap], crawler_settings)
    # Without validators (as if the feed had changed) the feed is read again, its URLs are known.
    [again] = crawl([rss], crawler_settings, validators=ValidatorStore())

    # Atom: the Seoul story is already stored (skipped, not fetched); the islands story is new.
    assert counts(run_row(db, a.run_id)) == {
        "discovered": 2,
        "fetched": 1,
        "new": 1,
        "duplicate": 1,
        "failed": 0,
    }
    # Sitemap index -> news sitemap: islands + Delhi known, the redirect is new.
    assert counts(run_row(db, m.run_id)) == {
        "discovered": 3,
        "fetched": 1,
        "new": 1,
        "duplicate": 2,
        "failed": 0,
    }
    assert counts(run_row(db, again.run_id)) == {
        "discovered": 5,
        "fetched": 0,
        "new": 0,
        "duplicate": 5,
        "failed": 0,
    }
    assert site.hits["/articles/seoul-tokyo-trade-pact.html"] == 1
    assert site.hits["/sitemaps/news.xml"] == 1
    assert len(stored_paths(db, site)) == 7


def test_conditional_get_skips_an_unchanged_feed(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    atom = make_source("fx-atom", "atom", "/feeds/atom.xml")
    [first] = crawl([atom], crawler_settings)
    # A new crawl session (another process, another replica, the next CronJob pod) with a state
    # dir of its own reads the validators back from the database.
    elsewhere = crawler_settings.model_copy(update={"state_dir": crawler_settings.state_dir / "other-pod"})
    [second] = crawl([atom], elsewhere)

    assert counts(run_row(db, first.run_id))["new"] == 2
    assert counts(run_row(db, second.run_id)) == {
        "discovered": 0,
        "fetched": 0,
        "new": 0,
        "duplicate": 0,
        "failed": 0,
    }
    assert run_row(db, second.run_id).status == "succeeded"
    assert site.hits["/feeds/atom.xml"] == 2  # asked twice, answered 304 the second time
    saved = saved_validators(db, atom.urls[0])
    assert saved is not None and saved["etag"] and saved["last_modified"]


def test_malformed_feed_fails_the_run_and_the_others_go_on(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    broken = make_source("fx-broken", "rss", "/feeds/broken.xml")
    atom = make_source("fx-atom", "atom", "/feeds/atom.xml")
    results = crawl([broken, atom], crawler_settings)

    bad = run_row(db, results[0].run_id)
    assert counts(bad) == {"discovered": 0, "fetched": 0, "new": 0, "duplicate": 0, "failed": 1}
    assert bad.status == "failed"
    assert bad.errors[0]["url"] == site.url("/feeds/broken.xml")
    assert bad.errors[0]["reason"].startswith("malformed feed")
    assert results[1].status == "succeeded" and results[1].counts.new == 2
    assert not all_failed(results)
    assert all_failed(results[:1])


def test_private_addresses_are_refused_unless_allowed(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    production = crawler_settings.model_copy(update={"allow_private_addresses": False})
    [result] = crawl([make_source("fx-rss", "rss", "/feeds/rss.xml")], production)

    row = run_row(db, result.run_id)
    assert row.status == "failed" and row.failed == 1
    assert "non-public address 127.0.0.1" in row.errors[0]["reason"]
    assert sum(site.hits.values()) == 0  # not even robots.txt was requested


def test_limit_then_resume(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    rss = make_source("fx-rss", "rss", "/feeds/rss.xml")
    [first] = crawl([rss], crawler_settings, limit=2)
    [second] = crawl([rss], crawler_settings)

    assert counts(run_row(db, first.run_id)) == {
        "discovered": 5,
        "fetched": 2,
        "new": 2,
        "duplicate": 0,
        "failed": 0,
    }
    assert counts(run_row(db, second.run_id)) == {
        "discovered": 5,
        "fetched": 3,
        "new": 3,
        "duplicate": 2,
        "failed": 0,
    }
    assert stored_paths(db, site) == sorted(GOOD_RSS)


def test_a_source_locked_elsewhere_is_skipped(
    db: str, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    rss = make_source("fx-rss", "rss", "/feeds/rss.xml")
    with source_lock(as_database(db), "fx-rss", crawler_settings.lock_dir):
        [result] = crawl([rss], crawler_settings)
    assert result.status == "skipped" and result.run_id is None
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(CrawlRun)) == 0
    [after] = crawl([rss], crawler_settings)
    assert after.status == "succeeded"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_demo_mode_uses_a_file_lock(
    backend: str, sqlite_url: str, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    settings = crawler_settings.model_copy(update={"database_url": sqlite_url})
    rss = make_source("fx-rss", "rss", "/feeds/rss.xml")
    with source_lock(as_database(sqlite_url), "fx-rss", settings.lock_dir):
        [skipped] = crawl([rss], settings)
    [result] = crawl([rss], settings)
    assert skipped.status == "skipped"
    assert (result.status, result.counts.new) == ("succeeded", 5)
    assert (settings.lock_dir / "fx-rss.lock").exists()


def test_without_a_country_detector_the_tags_stay_null(
    db: str,
    make_source: Callable[..., SourceConfig],
    crawler_settings: CrawlerSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No detector installed (a crawler image without it): NULL means "not tagged", never a guess."""
    monkeypatch.setattr("crawler.shared_session.load_tagger", lambda: None)
    [result] = crawl([make_source("fx-atom", "atom", "/feeds/atom.xml")], crawler_settings)
    assert result.counts.new == 2
    with session_scope(db) as s:
        assert s.scalars(select(Article.countries)).all() == [None, None]


def test_the_demo_sources_crawl_the_fixture_site_concurrently(
    db: str, site: FixtureSite, crawler_settings: CrawlerSettings, tmp_path: Path
) -> None:
    """What `make demo` runs: every fixture source at once; overlaps resolve to one article each."""
    path = write_fixture_sources(site, tmp_path / "fixture-sources.yaml")
    # Extraction in two worker processes, as production runs it.
    results = crawl(load_sources(path), crawler_settings.model_copy(update={"extract_processes": 2}))

    assert [r.status for r in results] == ["succeeded"] * 4
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 8
        assert s.scalar(select(func.count()).select_from(ArticleLink)) == 10
    assert sum(r.counts.new for r in results) == 8
    with session_scope(db) as s:  # tagged inside the worker processes
        islands = s.scalars(
            select(Article).where(Article.canonical_url.endswith("tokyo-beijing-islands.html"))
        ).one()
    assert islands.countries == ["CHN", "JPN"]


def test_more_sources_than_pooled_connections_run_at_once(
    db: str, site: FixtureSite, make_source: Callable[..., SourceConfig], crawler_settings: CrawlerSettings
) -> None:
    """Regression: run locks held for a whole run once starved the 15-connection pool (a 30 s hang)."""
    sources = [make_source(f"fx-many-{i}", "rss", f"/gen/feed.xml?count=3&v={i}") for i in range(20)]
    settings = crawler_settings.model_copy(update={"source_concurrency": 20})
    started = time.perf_counter()
    results = crawl(sources, settings)
    assert time.perf_counter() - started < 25
    assert {r.status for r in results} == {"succeeded"}
    assert sum(r.counts.new for r in results) == 3  # the same three URLs in every feed
    assert sum(r.counts.new + r.counts.duplicate for r in results) == 60
