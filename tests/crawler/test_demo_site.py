"""The demo news set (/demo/ on the fixture site): what `make demo` crawls must make a usable index.

The real crawler crawls the demo sources into a migrated SQLite database (the demo's backend);
the tests check that every story is stored once, syndicated copies are linked rather than
duplicated, dates and languages come through, and the corpus relates many focus-country pairs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import protego
import pytest
from sqlalchemy import func, select

from crawler.extract import extract_article
from crawler.settings import CrawlerSettings
from crawler.shared_session import run_sources
from crawler.sources import load_sources
from crawler.testing import FixtureSite, demo_source_entries, write_demo_sources
from crawler.testing.demo_news import load_demo_news
from newsmodel.countries import get_detector
from newsmodel.db.models import Article, ArticleLink, CrawlRun, Source
from newsmodel.preprocess.pipeline import process_article
from tests.support.db import session_scope

FOCUS = ("KOR", "PRK", "USA", "CHN", "JPN", "IND", "RUS")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_settings(sqlite_url: str, tmp_path: Path) -> CrawlerSettings:
    return CrawlerSettings(
        database_url=sqlite_url,
        state_dir=tmp_path / "state",
        allow_private_addresses=True,
        per_host_concurrency=4,
        per_host_min_interval_s=0.0,
        connect_timeout_s=2.0,
        read_timeout_s=2.0,
        request_deadline_s=5.0,
        max_retries=1,
        backoff_base_s=0.05,
    )


def test_every_demo_page_extracts_its_title_date_and_language(site: FixtureSite) -> None:
    news = load_demo_news()
    pages = list(news.pages())
    assert len(news.articles) >= 48 and len(pages) - len(news.articles) >= 3  # syndicated copies
    for path, story, _ in pages:
        got = extract_article(*_fetch(site, path))
        assert (got.title, got.language, got.published_at) == (
            story.title,
            story.language,
            story.published,
        ), path


def test_robots_allows_the_demo_paths(site: FixtureSite) -> None:
    robots = protego.Protego.parse(_fetch(site, "/robots.txt")[0].decode())
    for path, _, _ in load_demo_news().pages():
        assert robots.can_fetch(site.url(path), CrawlerSettings().user_agent), path


def test_crawling_the_demo_sources_stores_every_story_once(
    site: FixtureSite, sqlite_url: str, demo_settings: CrawlerSettings, tmp_path: Path
) -> None:
    news = load_demo_news()
    sources = load_sources(write_demo_sources(site, tmp_path / "demo-sources.yaml"))
    assert {s.name for s in sources} == {e["name"] for e in demo_source_entries(site)}
    results = asyncio.run(run_sources(sources, demo_settings))

    assert {r.source: r.status for r in results} == {s.name: "succeeded" for s in sources}
    expected_links = {site.url(path) for path, _, _ in news.pages()}
    with session_scope(sqlite_url) as s:
        runs = s.scalars(select(CrawlRun)).all()
        assert sum(r.failed for r in runs) == 0 and sum(r.new for r in runs) == len(news.articles)
        articles = s.scalars(select(Article)).all()
        links = s.execute(select(ArticleLink.canonical_url, ArticleLink.article_id)).all()
        source_country = dict(s.execute(select(Source.name, Source.country)).all())
        by_title = {a.title: a for a in articles}

        # Every story once; every page (copies included) is a link to its story, none unfetched.
        assert len(articles) == len(news.articles) == len(by_title)
        assert {url for url, _ in links} == expected_links
        per_article = Counter(article_id for _, article_id in links)
        for story in news.articles:
            stored = by_title[story.title]
            assert per_article[stored.id] == len(story.outlets), story.slug
            assert stored.published_at is not None
            assert stored.published_at.replace(tzinfo=dt.UTC) == story.published.astimezone(dt.UTC)
            assert stored.language == story.language, story.slug
        korean = sum(story.language == "ko" for story in news.articles)
        assert korean >= 3
        assert s.scalar(select(func.count()).select_from(Article).where(Article.language == "ko")) == korean
        assert set(source_country.values()) == {"KOR", "USA", "JPN", "IND"}

        days = {a.published_at.date() for a in articles if a.published_at is not None}
        assert len(days) >= 15

        # Sentence by sentence, as preprocessing reads them: many focus pairs, the key ones often.
        detector, pairs = get_detector(), Counter[tuple[str, str]]()
        for a in articles:
            result = process_article(a.title, a.body, a.language, detector, focus=FOCUS)
            pairs.update((r.country_a, r.country_b) for r in result.records)
    assert len(pairs) >= 10
    for key_pair in (("KOR", "USA"), ("JPN", "KOR"), ("CHN", "USA"), ("KOR", "PRK")):
        assert pairs[key_pair] >= 10, (key_pair, pairs)


def test_python_m_crawler_testing_demo_writes_the_demo_sources(tmp_path: Path) -> None:
    out = tmp_path / "demo-sources.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.testing", "--port", "0", "--demo", "--sources-out", str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert line.startswith("fixture news site on http://127.0.0.1:"), line
    names = {s.name for s in load_sources(out)}
    assert names == {
        "demo-korea-wire",
        "demo-us-daily",
        "demo-asia-post",
        "demo-asia-post-archive",
        "demo-india-times",
    }


def _fetch(site: FixtureSite, path: str) -> tuple[bytes, str]:
    import httpx

    response = httpx.get(site.url(path), timeout=5)
    response.raise_for_status()
    return response.content, site.url(path)
