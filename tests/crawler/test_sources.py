"""sources.yaml: the shipped file is valid and covers the focus countries; bad files say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.errors import SourcesFileError
from crawler.settings import DEFAULT_SOURCES_PATH
from crawler.sources import (
    CronSchedule,
    IntervalSchedule,
    host_allowed,
    load_sources,
    parse_schedule,
    parse_sources,
)

GOOD = {
    "name": "fixture-news",
    "country": "kor",
    "category": "outlet",
    "kind": "rss",
    "urls": ["https://news.example/feed.xml"],
    "language": "en",
}


def test_shipped_sources_cover_an_outlet_and_a_government_site_per_focus_country() -> None:
    sources = load_sources(DEFAULT_SOURCES_PATH)
    covered = {(s.country, s.category) for s in sources}
    for country in ("KOR", "USA", "CHN", "JPN", "IND", "RUS"):
        assert (country, "outlet") in covered, country
        assert (country, "government") in covered, country
    names = {s.name for s in sources}
    # The original project's sources are all there.
    for expected in ("cnn-world", "nyt-world", "washington-post-world", "whitehouse-news", "state-dept-press",
                     "defense-gov-news", "kremlin-news", "tass-english", "sputnik-globe", "china-mfa-spokesperson",
                     "global-times", "xinhua-world", "kantei-news", "japan-times", "korea-times",
                     "hindustan-times-world"):  # fmt: skip
        assert expected in names
    assert all(s.verified is False for s in sources)  # nobody has fetched them from here yet
    for s in sources:
        assert all(s.allows(u) for u in s.urls)


def test_defaults_are_filled_and_normalised() -> None:
    [source] = parse_sources({"sources": [GOOD]})
    assert source.country == "KOR"
    assert source.allowed_hosts == ["news.example"]
    assert source.schedule == "every 60m" and source.parsed_schedule == IntervalSchedule(seconds=3600)
    assert source.allows("https://news.example/a/b.html")
    assert not source.allows("https://evil.example/a.html")
    assert not source.allows("file:///etc/passwd")


def test_every_problem_is_one_line_with_source_and_field(tmp_path: Path) -> None:
    bad = [
        {**GOOD, "name": "first", "country": "XXX", "language": "English"},
        {**GOOD, "name": "second", "kind": "listing"},  # listing without selector
        {**GOOD, "name": "third", "schedule": "whenever"},
        {**GOOD, "name": "fourth", "urls": ["https://other.example/x"], "allowed_hosts": ["news.example"]},
        {**GOOD, "name": "fifth", "selector": "a.story"},  # selector on a feed
        {**GOOD, "name": "sixth", "limits": {"max_articles": 0}},
    ]
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": bad}))
    with pytest.raises(SourcesFileError) as info:
        load_sources(path)
    problems = info.value.problems
    assert len(problems) == 7, problems
    assert problems[0].startswith(
        "source 'first' (#1) field 'country': 'XXX' is not an ISO 3166 alpha-3 code"
    )
    assert problems[1].startswith("source 'first' (#1) field 'language'")
    assert "source 'second' (#2)" in problems[2] and "needs a 'selector'" in problems[2]
    assert "source 'third' (#3) field 'schedule'" in problems[3] and "crontab" in problems[3]
    assert "source 'fourth' (#4)" in problems[4] and "allowed_hosts" in problems[4]
    assert "source 'fifth' (#5)" in problems[5] and "only applies to kind 'listing'" in problems[5]
    assert problems[6].startswith("source 'sixth' (#6) field 'limits.max_articles'")
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not: [valid", "not valid YAML"),
        ("- just\n- a list\n", "mapping with a 'sources:' list"),
    ],
)
def test_unreadable_files_say_why(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(SourcesFileError, match=expected):
        load_sources(path)
    with pytest.raises(SourcesFileError, match="cannot read the file"):
        load_sources(tmp_path / "missing.yaml")


def test_duplicate_names_and_bad_selectors_are_reported() -> None:
    with pytest.raises(SourcesFileError, match="appears more than once"):
        parse_sources({"sources": [GOOD, GOOD]})
    with pytest.raises(SourcesFileError, match="not valid CSS"):
        parse_sources({"sources": [{**GOOD, "kind": "listing", "selector": "a[[["}]})


def test_schedules() -> None:
    assert parse_schedule("every 15m") == IntervalSchedule(seconds=900)
    assert parse_schedule("every 2h") == IntervalSchedule(seconds=7200)
    assert parse_schedule("0 */6 * * *") == CronSchedule(crontab="0 */6 * * *")
    for bad in ("every 5s", "0 25 * * *", "sometimes"):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def test_host_matching() -> None:
    assert host_allowed("www.example.com", ["*.example.com"])
    assert host_allowed("example.com", ["*.example.com"])
    assert not host_allowed("badexample.com", ["*.example.com"])
    assert host_allowed("127.0.0.1:8080", ["127.0.0.1"])
    assert host_allowed("127.0.0.1:8080", ["127.0.0.1:8080"])
    assert not host_allowed("127.0.0.1:8081", ["127.0.0.1:8080"])
