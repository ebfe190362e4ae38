"""Preprocessing: pure article -> sentence records, and the incremental database run (Postgres, SQLite, CLI)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from newsmodel.countries import get_detector
from newsmodel.db.models import Article, Sentence
from newsmodel.preprocess import count_pending, preprocess_articles, process_article
from newsmodel.text.ner import EntityRecognizer, get_recognizer
from tests.support.db import as_database, session_scope

EN_BODY = (
    "North Korea fired a ballistic missile toward Japan on Monday, officials in Seoul said. "
    "The launch came days after talks between Washington and Pyongyang stalled. "
    "China urged restraint. The weather was calm.\n"
    "Russia, China and India issued a joint statement on Tuesday."
)
KO_BODY = "북한이 동해상으로 탄도미사일을 발사했다. 한미 양국은 긴급 협의를 가졌다. 날씨는 맑았다."


def test_pairs_records_per_sentence_and_pair() -> None:
    result = process_article("Japan protests launch", EN_BODY, "en", get_detector())
    assert result.language == "en"
    assert result.countries == ["CHN", "IND", "JPN", "KOR", "PRK", "RUS", "USA"]
    by_position: dict[int, list[tuple[str, str]]] = {}
    for r in result.records:
        by_position.setdefault(r.position, []).append((r.country_a, r.country_b))
    # position 0 is the title (one country: no pair); 1: PRK, JPN, KOR -> three pairs
    assert by_position[1] == [("JPN", "KOR"), ("JPN", "PRK"), ("KOR", "PRK")]
    assert by_position[2] == [("PRK", "USA")]
    assert by_position[5] == [("CHN", "IND"), ("CHN", "RUS"), ("IND", "RUS")]
    first = next(r for r in result.records if r.position == 1)
    assert {m["iso3"] for m in first.mentions} == {"PRK", "JPN", "KOR"}
    assert all(first.text[m["start"] : m["end"]] == m["text"] for m in first.mentions)
    assert all(0 < r.importance <= 1 for r in result.records)


def test_focus_and_top_k() -> None:
    focused = process_article(None, EN_BODY, "en", get_detector(), focus=["PRK", "USA", "JPN"])
    assert sorted({(r.country_a, r.country_b) for r in focused.records}) == [("JPN", "PRK"), ("PRK", "USA")]
    top = process_article(None, EN_BODY, "en", get_detector(), top_k=1)
    assert len({r.position for r in top.records}) == 1 and top.candidates == 3
    best = max(
        (r for r in process_article(None, EN_BODY, "en", get_detector()).records), key=lambda r: r.importance
    )
    assert top.records[0].position == best.position


def test_directions_and_article_date() -> None:
    from newsmodel.countries.direction import get_direction_reader

    body = "Khrushchev warned Washington. Seoul was shelled by Pyongyang."
    result = process_article(
        None, body, "en", get_detector(), date=dt.date(1960, 5, 1), directions=get_direction_reader()
    )
    got = {(r.country_a, r.country_b): (r.source_country, r.target_country) for r in result.records}
    assert got == {("RUS", "USA"): ("RUS", "USA"), ("KOR", "PRK"): ("PRK", "KOR")}
    later = process_article(None, body, "en", get_detector(), date=dt.date(2020, 5, 1))
    assert {(r.country_a, r.country_b) for r in later.records} == {
        ("KOR", "PRK")
    }  # Khrushchev: 1964 + 12 years
    ko = process_article(
        None, "북한이 러시아에 병력을 파견했다.", "ko", get_detector(), directions=get_direction_reader()
    )
    assert [(r.source_country, r.target_country) for r in ko.records] == [("PRK", "RUS")]


def test_korean_article() -> None:
    result = process_article(None, KO_BODY, None, get_detector())
    assert result.language == "ko"
    assert [(r.position, r.country_a, r.country_b) for r in result.records] == [(1, "KOR", "USA")]


def _add_articles(url: str, bodies: list[tuple[str | None, str, str | None]]) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        for title, body, language in bodies:
            digest = hashlib.sha256(body.encode()).hexdigest()
            session.add(
                Article(
                    canonical_url=f"https://news.example/{digest[:12]}",
                    url=f"https://news.example/{digest[:12]}",
                    content_hash=digest,
                    language=language,
                    title=title,
                    body=body,
                )
            )
        session.commit()
    engine.dispose()


def _rows(url: str) -> list[Sentence]:
    engine = create_engine(url)
    with Session(engine) as session:
        rows = list(
            session.scalars(
                select(Sentence).order_by(Sentence.article_id, Sentence.position, Sentence.country_a)
            )
        )
    engine.dispose()
    return rows


def _pending(url: str) -> int:
    with session_scope(url) as session:
        return count_pending(session)


def test_incremental_run_on_postgres(db: str) -> None:
    _add_articles(
        db,
        [
            ("Japan protests launch", EN_BODY, "en"),
            (None, KO_BODY, "ko"),
            ("Local news", "Rain is expected.", "en"),
        ],
    )
    assert _pending(db) == 3
    report = preprocess_articles(as_database(db), ner=get_recognizer(), progress=False, focus=None)
    assert (report.articles, report.pending_before) == (3, 3)
    rows = _rows(db)
    assert report.rows == len(rows) == 8  # 3 + 1 + 3 English pair rows, 1 Korean
    en = [r for r in rows if r.language == "en"]
    assert all(r.entities is not None for r in en)
    assert any(e["label"] == "place" and e["iso3"] == "PRK" for e in en[0].entities or [])
    ko = [r for r in rows if r.language == "ko"]
    assert [(r.country_a, r.country_b, r.entities) for r in ko] == [("KOR", "USA", None)]
    assert all(r.country_a < r.country_b for r in rows)
    assert report.ner.startswith("on: ")
    # who acts on whom is stored beside the unordered pair ("North Korea fired ... toward Japan")
    directed = {(r.source_country, r.target_country) for r in rows if r.source_country}
    assert ("PRK", "JPN") in directed
    assert all(
        {r.source_country, r.target_country} == {r.country_a, r.country_b} for r in rows if r.source_country
    )
    assert all(0 < (r.direction_confidence or 0) <= 1 for r in rows if r.source_country)

    again = preprocess_articles(as_database(db), ner=None, progress=False)
    assert (again.articles, again.rows) == (0, 0)
    _add_articles(
        db, [("Seoul and Tokyo", "Seoul and Tokyo signed a trade pact. Beijing welcomed it.", "en")]
    )
    third = preprocess_articles(as_database(db), ner=None, progress=False, focus=["KOR", "JPN", "CHN"])
    assert third.articles == 1 and third.rows == 2  # title and first sentence: KOR-JPN
    assert len(_rows(db)) == 10

    engine = create_engine(db)
    with Session(engine) as session:
        countries = dict(session.execute(select(Article.title, Article.countries)).all())
        assert countries["Local news"] == []
        assert countries["Seoul and Tokyo"] == ["CHN", "JPN", "KOR"]
        # Re-queue one article by hand: its rows are replaced, never duplicated.
        session.execute(
            update(Article).where(Article.title == "Japan protests launch").values(preprocessed_at=None)
        )
        session.commit()
    engine.dispose()
    redo = preprocess_articles(as_database(db), ner=None, progress=False, focus=None)
    assert redo.articles == 1 and len(_rows(db)) == 10


def test_limit_batches_and_ner_off_on_sqlite(sqlite_url: str) -> None:
    _add_articles(sqlite_url, [(None, f"Seoul and Tokyo held talks number {i}.", "en") for i in range(5)])
    report = preprocess_articles(
        as_database(sqlite_url),
        limit=3,
        batch_size=2,
        ner=EntityRecognizer(models=("no_such_model",)),
        progress=False,
    )
    assert report.articles == 3 and _pending(sqlite_url) == 2
    assert report.ner.startswith("off: no spaCy model installed")
    assert all(r.entities is None for r in _rows(sqlite_url))


def test_cli_preprocess_prints_progress_and_summary(db: str) -> None:
    _add_articles(
        db, [("Seoul and Washington", "Seoul and Washington agreed on tariffs. Pyongyang objected.", "en")]
    )
    env = {**os.environ, "DATABASE_URL": db, "FOCUS_COUNTRIES": "KOR,USA,PRK"}
    proc = subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "preprocess", "--no-ner"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "preprocessed 1 article(s) of 1 pending" in proc.stdout
    assert "2 with a country pair" in proc.stdout
    assert "preprocess" in proc.stderr  # tqdm's bar
    # title and first sentence relate KOR-USA; "Pyongyang objected." names one country only
    assert [(r.position, r.country_a, r.country_b) for r in _rows(db)] == [
        (0, "KOR", "USA"),
        (1, "KOR", "USA"),
    ]


def test_cli_preprocess_without_database_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg2://nobody@127.0.0.1:1/none"}
    proc = subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "preprocess", "--no-ner", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: database unreachable at")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_article_is_marked_done(body: str) -> None:
    result = process_article(None, body, "en", get_detector())
    assert result.records == [] and result.countries == []
