"""Chunked scoring straight against the database: idempotent on Postgres and SQLite."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app import jobs
from app.model_follower import ModelHandle
from newsmodel.predictor import OnnxPredictor
from tests.app.jobdata import insert_sentences, prediction_counts


@pytest.fixture(scope="module")
def handle(tiny_models: dict[str, Path]) -> ModelHandle:
    predictor = OnnxPredictor.from_dir(tiny_models["a"], intra_op_threads=1)
    return ModelHandle("scoring-test", "1", "alias champion", predictor, time.time(), 0.0)


@pytest.fixture(params=["postgres", "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    fixture = "db" if request.param == "postgres" else "sqlite_url"
    return str(request.getfixturevalue(fixture))


def _run(url: str, job_id: str, handle: ModelHandle, chunk: int) -> list[jobs.ChunkResult]:
    results = []
    while True:
        results.append(jobs.score_chunk(url, job_id, handle, chunk))
        if not results[-1].more:
            return results


def test_chunks_score_everything_once_and_reruns_add_nothing(url: str, handle: ModelHandle) -> None:
    insert_sentences(url, 25)
    job = jobs.create_job(url, "score", {}, handle.name)
    results = _run(url, job["id"], handle, chunk=10)
    assert [r.scored for r in results] == [10, 10, 5]
    done = jobs.get_job(url, job["id"])
    assert done["status"] == "succeeded" and done["done"] == 25 and done["total"] == 25
    assert done["model_version"] == "1"
    assert prediction_counts(url, handle.name) == (25, 25)

    again = jobs.create_job(url, "score", {}, handle.name)
    assert [r.scored for r in _run(url, again["id"], handle, chunk=10)] == [0]
    assert jobs.get_job(url, again["id"])["done"] == 0
    assert prediction_counts(url, handle.name) == (25, 25)


def test_sentences_in_languages_the_model_does_not_read_stay_pending(
    url: str, handle: ModelHandle, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """An English model never scores Korean sentences: they wait, counted per language, for a
    version whose label map says it reads Korean."""
    import json
    import shutil

    from newsmodel.db.session import session_scope

    insert_sentences(url, 6)
    insert_sentences(url, 4, language="ko")
    assert handle.predictor.label_map.languages == ("en",)  # packaged before the field: English
    job = jobs.create_job(url, "score", {}, handle.name)
    _run(url, job["id"], handle, chunk=10)
    done = jobs.get_job(url, job["id"])
    assert (done["status"], done["done"], done["total"]) == ("succeeded", 6, 6)
    assert done["params"]["pending_other_languages"] == {"ko": 4}
    with session_scope(url) as s:
        assert jobs.pending_by_language(s, handle) == {"ko": 4}

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
    job2 = jobs.create_job(url, "score", {}, handle.name)
    _run(url, job2["id"], reads_korean, chunk=10)
    assert jobs.get_job(url, job2["id"])["done"] == 10
    with session_scope(url) as s:
        assert jobs.pending_by_language(s, reads_korean) == {}


def test_redelivered_chunk_inserts_nothing_twice(url: str, handle: ModelHandle) -> None:
    """A worker killed after its insert but before the ack: the chunk runs again."""
    insert_sentences(url, 8)
    job = jobs.create_job(url, "score", {}, handle.name)
    jobs.score_chunk(url, job["id"], handle, 5)
    # Two rows the 'next' chunk would pick, written by a concurrent runner in the meantime.
    other = jobs.create_job(url, "score", {"limit": 2}, handle.name)
    _run(url, other["id"], handle, chunk=5)
    results = _run(url, job["id"], handle, chunk=5)
    assert sum(r.scored for r in results) == 1
    assert prediction_counts(url, handle.name) == (8, 8)
    assert jobs.get_job(url, job["id"])["status"] == "succeeded"


def test_limit_cancel_and_supersede(url: str, handle: ModelHandle) -> None:
    insert_sentences(url, 30)
    limited = jobs.create_job(url, "score", {"limit": 12}, handle.name)
    _run(url, limited["id"], handle, chunk=5)
    assert jobs.get_job(url, limited["id"])["done"] == 12

    cancelled = jobs.create_job(url, "score", {}, handle.name)
    jobs.score_chunk(url, cancelled["id"], handle, 5)
    jobs.request_cancel(url, cancelled["id"])
    result = jobs.score_chunk(url, cancelled["id"], handle, 5)
    assert result.status == "cancelled" and not result.more

    moved = jobs.create_job(url, "score", {}, handle.name)
    jobs.score_chunk(url, moved["id"], handle, 5)
    newer = ModelHandle(handle.name, "2", handle.via, handle.predictor, time.time(), 0.0)
    result = jobs.score_chunk(url, moved["id"], newer, 5)
    assert result.status == "superseded"
    assert "v2" in (jobs.get_job(url, moved["id"])["error"] or "")
    assert jobs.count_jobs(url) == {"succeeded": 1, "cancelled": 1, "superseded": 1}
