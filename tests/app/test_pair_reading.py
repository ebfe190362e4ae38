"""Pair-aware reading served (issue 17): per-pair readings in /v1/predict, a requested pair, the
drill-down's marked text, then the same server on a sentence-level version; and the pyfunc's
`pair` column. Real models: the committed fixtures minilm-pair3-l1 (pair-aware, markers@1) and
minilm-relation3 (sentence-level)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsmodel.db.models import Article, Sentence
from tests.app.conftest import API_KEY_HEADERS, Registry, wait_for_relations, wait_until
from tests.support.db import session_scope
from tests.support.mlflow_server import MlflowServer

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAIR_MODEL = FIXTURES / "minilm-pair3-l1" / "model"
SENTENCE_MODEL = FIXTURES / "minilm-relation3" / "model"
THREE = "Seoul and Tokyo agreed to tighten sanctions on Pyongyang."
DAY = dt.date(2026, 11, 30)
# The marked text markers@1 builds for each pair of THREE (the detector's capital metonyms).
MARKED = {
    ("JPN", "KOR"): "@ Seoul @ and @ Tokyo @ agreed to tighten sanctions on Pyongyang.",
    ("JPN", "PRK"): "Seoul and @ Tokyo @ agreed to tighten sanctions on @ Pyongyang @.",
    ("KOR", "PRK"): "@ Seoul @ and Tokyo agreed to tighten sanctions on @ Pyongyang @.",
}


def _insert_pair_rows(url: str) -> None:
    """THREE stored as the preprocessor stores it: one sentence row per country pair."""
    with session_scope(url) as s:
        article = Article(
            canonical_url="https://example.test/three",
            url="https://example.test/three",
            content_hash="1" * 64,
            body=THREE,
            language="en",
            published_at=dt.datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=dt.UTC),
        )
        s.add(article)
        s.flush()
        s.add_all(
            Sentence(article_id=article.id, position=0, text=THREE, language="en", country_a=a, country_b=b)
            for a, b in MARKED
        )


def _predict(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/predict", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _pair_aware_answers(client: Any) -> None:
    from newsmodel.predictor import OnnxPredictor

    local = OnnxPredictor.from_dir(PAIR_MODEL)
    row = _predict(client, {"text": THREE})["predictions"][0]
    assert (
        row["reading"] == "sentence"
        and row["pair"] is None
        and row["country_pairs"] == [list(p) for p in MARKED]
    )
    readings = {tuple(r["pair"]): r for r in row["pair_readings"]}
    assert {p: r["model_input"] for p, r in readings.items()} == MARKED  # each pair its own input
    assert {r["reading"] for r in readings.values()} == {"pair"}
    expected = local.predict_pairs_proba([THREE] * 3, list(MARKED))
    got = [[readings[p]["probabilities"][label] for label in local.labels] for p in MARKED]
    # the served readings are the model's on those inputs (int8 dynamic quantization scales its
    # activations per batch, and the server batches the four reads its own way: not bit-exact)
    assert np.allclose(got, expected, atol=0.02)
    assert len({tuple(g) for g in got}) == 3  # three inputs, three readings
    unmarked = local.predict_proba([THREE])[0]
    assert np.allclose([row["probabilities"][label] for label in local.labels], unmarked, atol=0.02)

    asked = _predict(client, {"sentences": [THREE, "China and India held talks."], "pair": ["PRK", "KOR"]})
    first, other = asked["predictions"]
    assert first["pair"] == ["KOR", "PRK"] and first["reading"] == "pair"
    assert first["probabilities"] == readings[("KOR", "PRK")]["probabilities"]
    assert first["cached"] is True  # read above as one of THREE's pairs: one cache entry per (pair, input)
    # a pair the sentence does not name is still read for it (named in a prefix)
    assert other["pair"] == ["KOR", "PRK"] and other["reading"] == "pair" and other["cached"] is False
    assert other["pair_readings"][0]["pair"] == ["CHN", "IND"]


def _bad_pairs_are_422(client: Any) -> None:
    for pair, fragment in (
        (["KOR", "XYZ"], "unknown ISO 3166 alpha-3"),
        (["KOR", "kor"], "two different countries"),
        (["KOR"], "two ISO 3166 alpha-3 codes"),
        ("KOR-JPN", "valid list"),
    ):
        r = client.post("/v1/predict", json={"text": THREE, "pair": pair})
        assert r.status_code == 422, r.text
        assert set(r.json()) == {"error", "detail"} and fragment in r.json()["detail"], r.text


def test_pair_aware_version_reads_each_pair_then_a_sentence_level_one_says_it_does_not(
    sqlite_url: str, mlflow_server: MlflowServer, service_env: dict[str, str], start_uvicorn, api
) -> None:
    registry = Registry(mlflow_server.tracking_uri, {"pair": PAIR_MODEL, "sentence": SENTENCE_MODEL})
    pair_version = registry.register("pair")
    registry.set_alias(pair_version)
    _insert_pair_rows(sqlite_url)
    env = {k: v for k, v in service_env.items() if k != "REDIS_URL"}  # embedded: jobs and index in-process
    env.update(
        {
            "DATABASE_URL": sqlite_url,
            "REGISTERED_MODEL_NAME": registry.name,
            "APP_POLL_INTERVAL_S": "1",
            "APP_ORT_INTRA_OP_THREADS": "1",
        }
    )
    server = start_uvicorn(env=env)
    client = api(server.url)

    _pair_aware_answers(client)
    _bad_pairs_are_422(client)

    # Bulk scoring reads each sentence row for its pair; the drill-down shows what the model read.
    job = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS).json()
    wait_until(
        lambda: client.get(f"/v1/jobs/{job['id']}", headers=API_KEY_HEADERS).json()["status"] == "succeeded",
        60,
        "the scoring job",
    )
    wait_for_relations(client, registry.name)
    page = client.get(f"/v1/relations/PRK-KOR/days/{DAY}/sentences").json()
    assert page["reading"] == "pair" and page["pair_input"] == "markers@1", page
    (drilled,) = page["sentences"]
    assert drilled["text"] == THREE and drilled["model_input"] == MARKED[("KOR", "PRK")]
    assert [(m["text"], m["iso3"]) for m in drilled["marked"]] == [("Seoul", "KOR"), ("Pyongyang", "PRK")]
    assert THREE[drilled["marked"][1]["start"] : drilled["marked"][1]["end"]] == "Pyongyang"

    # A sentence-level version: every pair carries the sentence's one label, and says so.
    registry.set_alias(registry.register("sentence"))
    wait_until(
        lambda: _predict(client, {"text": THREE})["model"]["version"] != pair_version, 60, "the version swap"
    )
    row = _predict(client, {"text": THREE, "pair": ["JPN", "KOR"]})["predictions"][0]
    assert row["reading"] == "sentence" and row["pair"] == ["JPN", "KOR"]
    assert [r["pair"] for r in row["pair_readings"]] == [list(p) for p in MARKED]
    for reading in row["pair_readings"]:
        assert reading["reading"] == "sentence" and reading["model_input"] == THREE
        assert (reading["label"], reading["probabilities"]) == (row["label"], row["probabilities"])
    # the pair-aware version is no longer loaded here: what it read is not guessed
    old = client.get(f"/v1/relations/PRK-KOR/days/{DAY}/sentences", params={"model_version": pair_version})
    assert old.json()["reading"] == "unknown" and old.json()["sentences"][0]["model_input"] is None


PYFUNC_CHECK = r"""
import json, sys
import mlflow, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
text = sys.argv[2]
frame = model.predict(pd.DataFrame({"text": [text] * 4, "pair": ["JPN-KOR", "prk/kor", None, ""]}))
import newsmodel
print(json.dumps({"probs": frame.drop(columns="label").values.tolist(), "package": newsmodel.__file__}))
"""


def test_pyfunc_reads_the_pair_column_with_the_models_encoding(tmp_path: Path) -> None:
    """The pair-aware version as an MLflow pyfunc, loaded in a clean interpreter from its own files
    (the shipped predictor, pair encoding and country detector, not the installed package)."""
    import json

    from newsmodel.predictor import OnnxPredictor
    from newsmodel.registry.register import pyfunc_files_for

    model_dir = tmp_path / "model"
    shutil.copytree(PAIR_MODEL, model_dir)
    with pyfunc_files_for(PAIR_MODEL, [THREE]) as files:
        shutil.copytree(files, model_dir, dirs_exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-I", "-c", PYFUNC_CHECK, str(model_dir), THREE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(str(model_dir))  # the model's own code, not the installed package
    local = OnnxPredictor.from_dir(PAIR_MODEL)
    expected = local.predict_pairs_proba([THREE] * 4, [("JPN", "KOR"), ("KOR", "PRK"), None, None])
    assert np.allclose(result["probs"], expected, atol=1e-5)
    assert not np.allclose(result["probs"][0], result["probs"][1], atol=1e-4)  # two pairs, two inputs


class _Following:
    """What the mirror reads of a model follower: the loaded handle and the registry's answer."""

    def __init__(self, handle: Any) -> None:
        from newsmodel.registry.live import LiveVersion

        self.current = handle
        self.live = LiveVersion(handle.name, handle.version, "alias challenger")


def test_the_shadow_challenger_reads_each_offered_pair_with_its_own_encoding() -> None:
    """A sentence-level champion's answer, offered with the sentence's pairs: a pair-aware
    challenger marks each pair itself (no champion encoding is passed on)."""
    import time

    from app.model_follower import ModelHandle
    from app.pair_reading import shadow_reads
    from app.shadow.metrics import ShadowMetrics
    from app.shadow.mirror import ShadowMirror
    from newsmodel.predictor import OnnxPredictor

    def handle(path: Path, version: str) -> ModelHandle:
        return ModelHandle(
            "m", version, "alias", OnnxPredictor.from_dir(path, intra_op_threads=1), time.time(), 0.0
        )

    champion, challenger = handle(SENTENCE_MODEL, "1"), handle(PAIR_MODEL, "2")
    mirror = ShadowMirror(_Following(champion), _Following(challenger), db=None, metrics=ShadowMetrics())  # type: ignore[arg-type]
    assert mirror.reads_pairs(champion)
    said = {"label": "neutral", "probabilities": {"conflict": 0.0, "neutral": 1.0, "cooperation": 0.0}}
    row = {**said, "pair_readings": [{"pair": list(p), **said} for p in MARKED]}
    texts, rows, pairs = shadow_reads([THREE], None, [row], mirror.reads_pairs(champion))
    assert texts == [THREE] * 4 and pairs == [None, *MARKED]
    mirror.offer(champion, texts, rows, pairs)
    mirror.step()
    (tally,) = mirror._tallies.values()
    assert tally.n == 4
    # the weak pair model never says neutral: every reading disagrees and is kept, as it was read
    assert sorted(d.text for d in tally.sample) == sorted([THREE, *MARKED.values()])
    # neither version pair-aware: a sentence's pairs would repeat one comparison, so one is offered
    assert not ShadowMirror(
        _Following(champion), _Following(handle(SENTENCE_MODEL, "3")), db=None, metrics=ShadowMetrics()
    ).reads_pairs(champion)  # type: ignore[arg-type]
