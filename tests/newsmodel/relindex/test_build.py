"""Index build on the real Postgres: per-day rows, incremental updates, versions kept apart."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import delete, select

from newsmodel.db.models import Prediction, RelationIndexRow
from newsmodel.db.session import Database
from newsmodel.errors import DataError
from newsmodel.labels.schemes import QUAD5
from newsmodel.relindex import Calibration, build_index
from tests.newsmodel.relindex.seed import MODEL, Corpus, one_hot, quad5
from tests.support.db import as_database, session_scope

D1 = dt.date(2026, 3, 1)
D2 = dt.date(2026, 3, 2)
D9 = dt.date(2026, 3, 9)


@pytest.fixture
def db(rollback_db: Database) -> Database:
    """The build runs in-process: each test's rows are rolled back, not truncated."""
    return rollback_db


def _rows(url: Database | str, version: str = "1") -> dict[tuple[str, dt.date], RelationIndexRow]:
    with session_scope(url) as session:
        rows = session.scalars(
            select(RelationIndexRow).where(
                RelationIndexRow.model_name == MODEL, RelationIndexRow.model_version == version
            )
        ).all()
        return {(f"{r.country_a}-{r.country_b}", r.day): r for r in rows}


@pytest.fixture
def corpus(db: Database) -> dict[str, int]:
    """D1: KOR-USA 3 sentences in 2 articles (+ a syndicated copy), CHN-USA 1 sentence.
    D2: KOR-USA 1 sentence, its article published 23:30 at UTC-5 on D1 (so D2 in UTC).
    D9: KOR-USA 1 sentence in an article with no published_at (day = fetched_at)."""
    with session_scope(db) as session:
        c = Corpus(session)
        yonhap, ap, reuters = c.source("yonhap"), c.source("ap", "USA"), c.source("reuters", "GBR")
        a1 = c.article(D1, yonhap, also_in=[ap, reuters])
        a2 = c.article(D1, ap)
        s1 = c.sentence(a1, "USA", "KOR", importance=0.9)
        s2 = c.sentence(a1, "KOR", "USA")
        s3 = c.sentence(a2, "KOR", "USA")
        s4 = c.sentence(a2, "CHN", "USA")
        late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
        a3 = c.article(None, yonhap, published_at=late, fetched_at=late)
        s5 = c.sentence(a3, "KOR", "USA")
        a4 = c.article(None, ap, fetched_at=dt.datetime(2026, 3, 9, 8, tzinfo=dt.UTC))
        a4.published_at = None
        s6 = c.sentence(a4, "KOR", "USA")
        c.predict(s1, one_hot("material_cooperation"))
        c.predict(s2, one_hot("verbal_cooperation"))
        c.predict(s3, quad5(0.5, 0, 0, 0, 0.5))
        c.predict(s4, one_hot("material_conflict"))
        c.predict(s5, one_hot("verbal_conflict"))
        c.predict(s6, one_hot("neutral"))
        return {"a2": a2.id, "s1": s1.id, "s2": s2.id, "s3": s3.id, "s5": s5.id}


def test_build_writes_one_row_per_pair_day(db: Database, corpus: dict[str, int]) -> None:
    report = build_index(db, model_name=MODEL, model_version="1")
    assert (report.days_recomputed, report.rows_written, report.sentences) == (3, 4, 6)
    rows = _rows(db)
    assert set(rows) == {("KOR-USA", D1), ("CHN-USA", D1), ("KOR-USA", D2), ("KOR-USA", D9)}

    ku = rows[("KOR-USA", D1)]
    # Polarities +1, +0.5, -0.5 -> score 1/3; shares are the mean probabilities.
    assert ku.score == pytest.approx(1 / 3)
    assert ku.class_shares["material_cooperation"] == pytest.approx(1 / 3)
    assert ku.class_shares["neutral"] == pytest.approx(1 / 6)
    assert (ku.sentence_count, ku.article_count) == (3, 2)
    assert ku.source_count == 3  # yonhap + its syndicated copies at ap and reuters (ap counted once)
    assert ku.volume_share == pytest.approx(3 / 4)
    assert ku.ci_low <= ku.score <= ku.ci_high
    assert ku.top_sentence_ids[0] == corpus["s1"]
    assert rows[("CHN-USA", D1)].volume_share == pytest.approx(1 / 4)
    assert rows[("CHN-USA", D1)].score == pytest.approx(-1.0)

    # Published 23:30 at UTC-5 on D1 is 04:30 UTC on D2.
    assert rows[("KOR-USA", D2)].score == pytest.approx(-0.5)
    # Trailing 7-day, sentence-weighted: D2 = (3 * 1/3 - 0.5) / 4 = 0.125; D9 sees D3..D9 only.
    assert rows[("KOR-USA", D2)].score_7d == pytest.approx(0.125)
    assert rows[("KOR-USA", D9)].score_7d == pytest.approx(0.0)
    assert rows[("KOR-USA", D9)].score_30d == pytest.approx((1 - 0.5 + 0) / 5)
    assert {r.model_version for r in rows.values()} == {"1"}
    assert {r.quantification for r in rows.values()} == {"mean-probability"}  # no calibration given


def test_rebuild_without_new_predictions_recomputes_nothing(db: Database, corpus: dict[str, int]) -> None:
    build_index(db, model_name=MODEL, model_version="1")
    before = {k: r.computed_at for k, r in _rows(db).items()}
    report = build_index(db, model_name=MODEL, model_version="1")
    assert (report.days_recomputed, report.rows_written) == (0, 0)
    assert {k: r.computed_at for k, r in _rows(db).items()} == before


def test_new_predictions_recompute_only_their_day(db: Database, corpus: dict[str, int]) -> None:
    build_index(db, model_name=MODEL, model_version="1")
    before = _rows(db)
    with session_scope(db) as session:
        c = Corpus(session)
        art = c.article(D2)
        c.predict(c.sentence(art, "KOR", "USA"), one_hot("material_cooperation"))
        c.predict(c.sentence(art, "JPN", "KOR"), one_hot("neutral"))
    report = build_index(db, model_name=MODEL, model_version="1")
    assert report.days_recomputed == 1 and report.rows_written == 2
    after = _rows(db)
    # D1 untouched (same row, same computed_at); D2 recomputed with the new sentences.
    for key in [("KOR-USA", D1), ("CHN-USA", D1)]:
        assert after[key].id == before[key].id and after[key].computed_at == before[key].computed_at
    ku2 = after[("KOR-USA", D2)]
    assert ku2.computed_at > before[("KOR-USA", D2)].computed_at
    assert (ku2.sentence_count, ku2.score) == (2, pytest.approx(0.25))
    assert ku2.volume_share == pytest.approx(2 / 3)
    assert after[("JPN-KOR", D2)].volume_share == pytest.approx(1 / 3)
    # The smoothed value of D2 follows: (3 * 1/3 + 2 * 0.25) / 5 = 0.3.
    assert ku2.score_7d == pytest.approx(0.3)


def test_changed_day_refreshes_smoothing_of_later_days(db: Database, corpus: dict[str, int]) -> None:
    build_index(db, model_name=MODEL, model_version="1")
    assert _rows(db)[("KOR-USA", D9)].score_30d == pytest.approx(0.1)
    with session_scope(db) as session:
        c = Corpus(session)
        c.predict(c.sentence(c.article(D1), "KOR", "USA"), one_hot("material_conflict"))
    report = build_index(db, model_name=MODEL, model_version="1")
    assert report.days_recomputed == 1
    # D9's own row is not recomputed, but its 30-day window now holds the extra D1 sentence.
    assert _rows(db)[("KOR-USA", D9)].score_30d == pytest.approx((1 - 1 - 0.5 + 0) / 6)


def test_since_limits_the_days_considered(db: Database, corpus: dict[str, int]) -> None:
    report = build_index(db, model_name=MODEL, model_version="1", since=D2)
    assert report.days_recomputed == 2
    assert {day for _, day in _rows(db)} == {D2, D9}


def test_versions_have_their_own_rows(db: Database, corpus: dict[str, int]) -> None:
    build_index(db, model_name=MODEL, model_version="1")
    v1_before = _rows(db, "1")
    with session_scope(db) as session:
        for pred in session.scalars(select(Prediction).where(Prediction.model_version == "1")).all():
            session.add(
                Prediction(
                    sentence_id=pred.sentence_id,
                    model_name=MODEL,
                    model_version="2",
                    label="material_conflict",
                    probabilities=one_hot("material_conflict"),
                )
            )
    report = build_index(db, model_name=MODEL, model_version="2")
    assert report.rows_written == 4
    v2 = _rows(db, "2")
    assert all(r.score == pytest.approx(-1.0) for r in v2.values())
    v1_after = _rows(db, "1")
    assert {k: (r.id, r.score) for k, r in v1_after.items()} == {
        k: (r.id, r.score) for k, r in v1_before.items()
    }


def test_days_whose_predictions_vanished_are_removed(db: Database, corpus: dict[str, int]) -> None:
    build_index(db, model_name=MODEL, model_version="1")
    with session_scope(db) as session:
        session.execute(delete(Prediction).where(Prediction.sentence_id == corpus["s5"]))
    report = build_index(db, model_name=MODEL, model_version="1")
    assert report.days_removed == 1
    assert ("KOR-USA", D2) not in _rows(db)


def test_unknown_labels_fail_without_writing(db: Database) -> None:
    with session_scope(db) as session:
        c = Corpus(session)
        c.predict(c.sentence(c.article(D1), "KOR", "USA"), {"happy": 0.9, "sad": 0.1})
    with pytest.raises(DataError, match="match no label scheme"):
        build_index(db, model_name=MODEL, model_version="1")
    assert _rows(db) == {}


def test_build_on_sqlite_matches_the_embedded_default(sqlite_url: str) -> None:
    with session_scope(sqlite_url) as session:
        c = Corpus(session)
        art = c.article(D1, c.source("yonhap"))
        c.predict(c.sentence(art, "KOR", "USA"), one_hot("material_cooperation"))
        c.predict(c.sentence(c.article(D1), "KOR", "USA"), one_hot("verbal_conflict"))
    report = build_index(as_database(sqlite_url), model_name=MODEL, model_version="1")
    assert report.rows_written == 1
    row = _rows(sqlite_url)[("KOR-USA", D1)]
    assert row.score == pytest.approx(0.25) and row.score_7d == pytest.approx(0.25)
    again = build_index(as_database(sqlite_url), model_name=MODEL, model_version="1")
    assert again.days_recomputed == 0


def test_directed_rows_beside_the_unordered_pair(db: str) -> None:
    """KOR>USA and USA>KOR rows from the sentences whose parse names the acting side; the
    unordered KOR-USA row keeps every sentence (undirected ones included)."""
    from newsmodel.relindex.pairs import CountryPair
    from newsmodel.relindex.queries import day_sentences, pair_series, pair_summaries, resolve_version

    with session_scope(db) as session:
        c = Corpus(session)
        article = c.article(D1, c.source("yonhap"))
        kor_acts = c.sentence(article, "KOR", "USA", source_country="KOR", target_country="USA")
        usa_acts = c.sentence(article, "KOR", "USA", source_country="USA", target_country="KOR")
        unsaid = c.sentence(article, "KOR", "USA")
        c.predict(kor_acts, one_hot("material_cooperation"))
        c.predict(usa_acts, one_hot("material_conflict"))
        c.predict(unsaid, one_hot("neutral"))
    report = build_index(db, model_name=MODEL, model_version="1")
    assert report.rows_written == 3
    with session_scope(db) as session:
        rows = {r.direction: r for r in session.scalars(select(RelationIndexRow))}
        assert (rows[""].sentence_count, rows[">"].sentence_count, rows["<"].sentence_count) == (3, 1, 1)
        assert (rows[">"].score, rows["<"].score) == (pytest.approx(1.0), pytest.approx(-1.0))
        version = resolve_version(session, MODEL, "1")
        assert version.pairs == 1  # readers count the unordered pair once
        kor_usa = CountryPair.parse("KOR>USA")
        assert str(kor_usa) == "KOR>USA" and str(CountryPair.parse("USA>KOR")) == "USA>KOR"
        assert [r.score for r in pair_series(session, version, kor_usa)] == [pytest.approx(1.0)]
        assert [r.score for r in pair_series(session, version, CountryPair.parse("usa>kor"))] == [
            pytest.approx(-1.0)
        ]
        assert [str(s.pair) for s in pair_summaries(session, version)] == ["KOR-USA"]
        both = pair_summaries(session, version, pairs=list(kor_usa.directed()))
        assert sorted(str(s.pair) for s in both) == ["KOR>USA", "USA>KOR"]
        sentences = day_sentences(session, version, CountryPair.parse("USA>KOR"), D1)
        assert [s.sentence_id for s in sentences.sentences] == [usa_acts.id]


def test_a_stored_calibration_corrects_the_shares(db: Database) -> None:
    """The version measured on held-out data that half of true neutral reads as verbal conflict:
    a day read as 1 neutral + 1 verbal conflict is all neutral (score 0, not the plain -0.25)."""
    with session_scope(db) as session:
        c = Corpus(session)
        src = c.source("yonhap")
        for label in ("neutral", "verbal_conflict"):
            c.predict(c.sentence(c.article(D1, src), "KOR", "USA"), one_hot(label), version="7")
    confusion = np.eye(5)
    confusion[0] = [0.5, 0, 0, 0.5, 0]  # row: true neutral; columns: what it reads as
    calibration = Calibration(
        labels=QUAD5.labels,
        temperature=1.3,
        confusion=confusion * 100,
        soft_confusion=confusion,
        class_counts=np.full(5, 100.0),
        train_prior=np.full(5, 0.2),
    )
    report = build_index(db, model_name=MODEL, model_version="7", calibration=calibration)
    assert report.quantification == "pacc"
    row = _rows(db, "7")[("KOR-USA", D1)]
    assert row.quantification == "pacc"
    assert row.class_shares["neutral"] == pytest.approx(1.0)
    assert row.score == pytest.approx(0.0, abs=1e-9)
    # two articles: the resamples read both neutral (0), one each (0) or both conflict (-0.5)
    assert (row.ci_low, row.ci_high) == (pytest.approx(-0.5), pytest.approx(0.0, abs=1e-9))
