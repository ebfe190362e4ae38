"""Korean end to end: a Korean-language outlet on the fixture site -> crawler -> articles (ko) ->
preprocess -> Korean sentence rows with country pairs and who acts on whom."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from crawler.settings import DEFAULT_SOURCES_PATH, CrawlerSettings
from crawler.shared_session import run_sources
from crawler.sources import load_sources
from crawler.testing import FixtureSite
from crawler.testing.sources import KOREAN_FIXTURE_ARTICLES, korean_fixture_sources
from newsmodel.db.models import Article, Sentence
from newsmodel.preprocess import preprocess_articles
from tests.support.db import as_database, session_scope


def test_korean_outlet_through_crawl_preprocess_and_direction(
    db: str, site: FixtureSite, crawler_settings: CrawlerSettings
) -> None:
    [result] = asyncio.run(run_sources(korean_fixture_sources(site), crawler_settings))
    assert result.run_id is not None
    with session_scope(db) as s:
        articles = {a.canonical_url.removeprefix(site.base_url): a for a in s.scalars(select(Article))}
        assert set(articles) == set(KOREAN_FIXTURE_ARTICLES)
        assert {a.language for a in articles.values()} == {"ko"}
        # the crawler's tags come from the same detector: Hangul names with particles attached
        troops = articles["/ko/articles/north-korea-russia-troops.html"]
        assert {"PRK", "RUS", "USA", "UKR"} <= set(troops.countries or [])
        assert troops.published_at is not None and troops.published_at.year == 2024

    report = preprocess_articles(as_database(db), ner=None, progress=False, focus=None)
    assert report.articles == 3 and report.languages == {"ko": 3}
    with session_scope(db) as s:
        rows = s.scalars(select(Sentence).order_by(Sentence.id)).all()
        assert rows and {r.language for r in rows} == {"ko"}
        pairs: dict[tuple[str, str], set[tuple[str | None, str | None]]] = {}
        for r in rows:
            pairs.setdefault((r.country_a, r.country_b), set()).add((r.source_country, r.target_country))
    # "북한이 러시아에 병력을 ... 파견했다": North Korea (subject particle) acts on Russia (dative);
    # "러시아가 북한에 군사 기술을 이전할": the other way; "북한과 러시아의 군사 협력": neither
    assert {("PRK", "RUS"), ("RUS", "PRK"), (None, None)} <= pairs[("PRK", "RUS")]
    # "일본 정부는 ... 한국에 대한 ... 수출 규제를 강화한다": Japan acts on Korea
    assert ("JPN", "KOR") in pairs[("JPN", "KOR")]
    # "한미 정상은 ...": the compound orders nothing
    assert (None, None) in pairs[("KOR", "USA")]


def test_sources_yaml_lists_korean_language_outlets() -> None:
    korean = [s for s in load_sources(DEFAULT_SOURCES_PATH) if s.language == "ko"]
    assert len(korean) >= 3 and {s.country for s in korean} == {"KOR"}
