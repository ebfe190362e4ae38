"""Chunked scoring straight against the database: idempotent on Postgres and SQLite.

On Postgres each test runs in a transaction rolled back at its end (`rollback_db`); the
chunk's own units of work are SAVEPOINTs inside it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from app import scoring_jobs
from app.model_follower import ModelHandle
from newsmodel.db.session import Database
from newsmodel.predictor import OnnxPredictor
from tests.app.jobdata import insert_sentences, prediction_counts
from tests.support.db import as_database, session_scope


@pytest.fixture(scope="module")
def handle(tiny_models: dict[str, Path]) -> ModelHandle:
    predictor = OnnxPredictor.from_dir(tiny_models["a"], intra_op_threads=1)
    return ModelHandle("scoring-test", "1", "alias champion", predictor, time.time(), 0.0)


@pytest.fixture(params=["postgres", "sqlite"])
def database(request: pytest.FixtureRequest) -> Database:
    if request.param == "postgres":
        return request.getfixturevalue("rollback_db")  # type: ignore[no-any-return]
    return as_database(request.getfixturevalue("sqlite_url"))


def _run(database: Database, job_id: str, handle: ModelHandle, chunk: int) -> list[scoring_jobs.ChunkResult]:
    results = []
    while True:
        results.append(scoring_jobs.score_chunk(database, job_id, handle, chunk))
        if not results[-1].more:
            return results


def _create(database: Database, params: dict[str, Any], name: str) -> dict[str, Any]:
    with session_scope(database) as session:
        return scoring_jobs.create_job(session, "score", params, name)


def _get(database: Database, job_id: str) -> dict[str, Any]:
    with session_scope(database) as session:
        return scoring_jobs.get_job(session, job_id)


def test_chunks_score_everything_once_and_reruns_add_nothing(database: Database, handle: ModelHandle) -> None:
    insert_sentences(database, 25)
    job = _create(database, {}, handle.name)
    results = _run(database, job["id"], handle, chunk=10)
    assert [r.scored for r in results] == [10, 10, 5]
    done = _get(database, job["id"])
    assert done["status"] == "succeeded" and done["done"] == 25 and done["total"] == 25
    assert done["model_version"] == "1"
    assert prediction_counts(database, handle.name) == (25, 25)

    again = _create(database, {}, handle.name)
    assert [r.scored for r in _run(database, again["id"], handle, chunk=10)] == [0]
    assert _get(database, again["id"])["done"] == 0
    assert prediction_counts(database, handle.name) == (25, 25)


def test_sentences_in_languages_the_model_does_not_read_stay_pending(
    database: Database, handle: ModelHandle, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """An English model never scores Korean sentences: they wait, counted per language, for a
    version whose label map says it reads Korean."""
    import json
    import shutil

    insert_sentences(database, 6)
    insert_sentences(database, 4, language="ko")
    assert handle.predictor.label_map.languages == ("en",)  # packaged before the field: English
    job = _create(database, {}, handle.name)
    _run(database, job["id"], handle, chunk=10)
    done = _get(database, job["id"])
    assert (done["status"], done["done"], done["total"]) == ("succeeded", 6, 6)
    assert done["params"]["pending_other_languages"] == {"ko": 4}
    with session_scope(database) as s:
        assert scoring_jobs.pending_by_language(s, handle) == {"ko": 4}

    bilingual = tmp_path / "bilingual"
    shutil.copytree(tiny_models["a"], bilingual)
    label_map = json.loads((bilingual / "label_map.json").read_text())
    (bilingual / "label_map.json").write_text(json.dumps({**label_map, "languages": ["en", "ko"]}))
    reads_korean = ModelHandle(
        handle.name,
        "2",
        "alias champion",
        OnnxPredictor.from_dir(bilingual, intra_op_threads=1),
        time.time(),
        0.0,
    )
    job2 = _create(database, {}, handle.name)
    _run(database, job2["id"], reads_korean, chunk=10)
    assert _get(database, job2["id"])["done"] == 10
    with session_scope(database) as s:
        assert scoring_jobs.pending_by_language(s, reads_korean) == {}


def test_redelivered_chunk_inserts_nothing_twice(database: Database, handle: ModelHandle) -> None:
    """A worker killed after its insert but before the ack: the chunk runs again."""
    insert_sentences(database, 8)
    job = _create(database, {}, handle.name)
    scoring_jobs.score_chunk(database, job["id"], handle, 5)
    # Two rows the 'next' chunk would pick, written by a concurrent runner in the meantime.
    other = _create(database, {"limit": 2}, handle.name)
    _run(database, other["id"], handle, chunk=5)
    results = _run(database, job["id"], handle, chunk=5)
    assert sum(r.scored for r in results) == 1
    assert prediction_counts(database, handle.name) == (8, 8)
    assert _get(database, job["id"])["status"] == "succeeded"


def test_ranges_finishing_out_of_order_finish_the_job_once_and_move_the_low_water_mark(
    database: Database, handle: ModelHandle
) -> None:
    """Celery workers take a job's ranges in any order; each range check starts at the job's
    low-water mark (every sentence below it scored), so it never re-reads the whole span."""
    insert_sentences(database, 12)
    job = _create(database, {}, handle.name)
    with session_scope(database) as session:
        plan = scoring_jobs.start_job(session, job["id"], handle, 4)
    assert len(plan.ranges) == 3
    first, middle, last = plan.ranges
    results = [scoring_jobs.score_range(database, job["id"], handle, *r) for r in (last, first)]
    assert [(r.scored, r.more) for r in results] == [(4, True), (4, True)]
    assert _get(database, job["id"])["params"]["scored_below"] == middle[0]
    assert scoring_jobs.score_range(database, job["id"], handle, *last).scored == 0  # redelivered
    final = scoring_jobs.score_range(database, job["id"], handle, *middle)
    assert (final.scored, final.more, final.finished_now) == (4, False, True)
    assert _get(database, job["id"])["status"] == "succeeded"
    assert prediction_counts(database, handle.name) == (12, 12)


def test_limit_cancel_and_supersede(database: Database, handle: ModelHandle) -> None:
    insert_sentences(database, 30)
    limited = _create(database, {"limit": 12}, handle.name)
    _run(database, limited["id"], handle, chunk=5)
    assert _get(database, limited["id"])["done"] == 12

    cancelled = _create(database, {}, handle.name)
    scoring_jobs.score_chunk(database, cancelled["id"], handle, 5)
    with session_scope(database) as session:
        scoring_jobs.request_cancel(session, cancelled["id"])
    result = scoring_jobs.score_chunk(database, cancelled["id"], handle, 5)
    assert result.status == "cancelled" and not result.more

    moved = _create(database, {}, handle.name)
    scoring_jobs.score_chunk(database, moved["id"], handle, 5)
    newer = ModelHandle(handle.name, "2", handle.via, handle.predictor, time.time(), 0.0)
    result = scoring_jobs.score_chunk(database, moved["id"], newer, 5)
    assert result.status == "superseded"
    assert "v2" in (_get(database, moved["id"])["error"] or "")
    with session_scope(database) as session:
        assert scoring_jobs.count_jobs(session) == {"succeeded": 1, "cancelled": 1, "superseded": 1}


def test_a_pair_aware_version_reads_each_sentence_row_for_its_pair(
    database: Database, handle: ModelHandle, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """One sentence naming three countries is three rows (one per pair); a version whose label
    map says `pair_input` scores each with that pair's mentions marked (issue 17)."""
    import json
    import shutil

    from sqlalchemy import select

    from newsmodel.db.models import Article, Prediction, Sentence

    text = "Seoul and Tokyo agreed to tighten sanctions on Pyongyang."
    pairs = [("JPN", "KOR"), ("JPN", "PRK"), ("KOR", "PRK")]
    with session_scope(database) as s:
        article = Article(
            canonical_url="https://example.test/pair",
            url="https://example.test/pair",
            content_hash="1" * 64,
            body=".",
        )
        s.add(article)
        s.flush()
        s.add_all(
            Sentence(article_id=article.id, position=0, text=text, language="en", country_a=a, country_b=b)
            for a, b in pairs
        )
    model = tmp_path / "pair-aware"
    shutil.copytree(tiny_models["a"], model)
    label_map = json.loads((model / "label_map.json").read_text())
    (model / "label_map.json").write_text(json.dumps({**label_map, "pair_input": "markers@1"}))
    predictor = OnnxPredictor.from_dir(model, intra_op_threads=1)
    read: list[str] = []  # what the model was given (this tiny model's outputs hardly depend on it)
    predict = predictor.predict
    predictor.predict = lambda texts, **kw: (read.extend(texts), predict(texts, **kw))[1]  # type: ignore[method-assign]
    pair_aware = ModelHandle(handle.name, "3", "alias champion", predictor, time.time(), 0.0)
    job = _create(database, {}, handle.name)
    mirrored: list[tuple[list[str], list[tuple[str, str] | None]]] = []

    def mirror(_h: ModelHandle, texts: list[str], _rows: list[dict[str, Any]], prs: list[Any]) -> None:
        mirrored.append((texts, prs))

    while scoring_jobs.score_chunk(database, job["id"], pair_aware, 10, mirror).more:
        pass
    # the shadow challenger gets the sentences as stored and each row's pair (not the champion's
    # marked text): a challenger applies its own encoding, or none
    assert [t for texts, _ in mirrored for t in texts] == [text] * 3
    assert sorted(p for _, prs in mirrored for p in prs if p) == pairs
    with session_scope(database) as s:
        stored = {
            (a, b): p
            for a, b, p in s.execute(
                select(Sentence.country_a, Sentence.country_b, Prediction.probabilities)
                .join(Prediction, Prediction.sentence_id == Sentence.id)
                .where(Prediction.model_version == "3")
            )
        }
    expected = predictor.predict_pairs_proba([text] * 3, pairs)
    for pair, probs in zip(pairs, expected, strict=True):
        assert [stored[pair][label] for label in predictor.labels] == pytest.approx(probs.tolist(), abs=1e-6)
    # the same sentence, read three ways: each row with its own pair's mentions marked
    assert sorted(read) == sorted(predictor.pair_texts([text] * 3, pairs)) and len(set(read)) == 3
