"""Active learning: export what the model doubts, import the labels back (Label Studio's own
export format included) with provenance, and keep imported labels out of the frozen benchmark."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmodel.datasets.benchmark import carve_benchmark
from newsmodel.db.models import Article, LabeledExample, Prediction, Sentence
from newsmodel.db.session import Database
from newsmodel.labels.candidates import select_candidates
from newsmodel.labels.export import write_candidates
from newsmodel.labels.importers import read_labeled_file
from newsmodel.labels.store import load_examples, store_examples
from newsmodel.monitoring import DriftReading, drifted_pairs, record_drift_events
from tests.support.db import session_scope

LS_EXPORT = Path(__file__).parent / "data" / "label_studio" / "project-3-at-2026-12-02-14-05-9c1f2a.json"
LABELS = ("conflict", "neutral", "cooperation")

# (text, v1 probabilities, v2 label): s0 is sure, s1 doubts, s2 is sure but v2 disagrees, s3 doubts most.
CORPUS = [
    (
        "Seoul and Tokyo signed a trade pact.",
        {"conflict": 0.02, "neutral": 0.08, "cooperation": 0.9},
        "cooperation",
    ),
    (
        "India and China held talks on the border.",
        {"conflict": 0.3, "neutral": 0.4, "cooperation": 0.3},
        "neutral",
    ),
    (
        "Russia criticised Ukraine's new law.",
        {"conflict": 0.15, "neutral": 0.8, "cooperation": 0.05},
        "conflict",
    ),
    ("Brazil and Argentina met in Rio.", {"conflict": 0.05, "neutral": 0.48, "cooperation": 0.47}, "neutral"),
]


def _seed(session: Session) -> list[int]:
    """Four sentences scored by v1 and v2 of news-relation; a fifth row repeats s1 for another pair."""
    article = Article(
        canonical_url="https://example.org/a", url="https://example.org/a", content_hash="h", body="b"
    )
    session.add(article)
    session.flush()
    ids = []
    for position, (text, probs, v2_label) in enumerate(CORPUS):
        sentence = Sentence(
            article_id=article.id, position=position, text=text, country_a="AAA", country_b="BBB"
        )
        session.add(sentence)
        session.flush()
        ids.append(sentence.id)
        v1_label = max(probs, key=probs.__getitem__)
        session.add(
            Prediction(
                sentence_id=sentence.id,
                model_name="news-relation",
                model_version="1",
                label=v1_label,
                probabilities=probs,
            )
        )
        v2_probs = {k: (0.9 if k == v2_label else 0.05) for k in LABELS}
        session.add(
            Prediction(
                sentence_id=sentence.id,
                model_name="news-relation",
                model_version="2",
                label=v2_label,
                probabilities=v2_probs,
            )
        )
    twin = Sentence(article_id=article.id, position=1, text=CORPUS[1][0], country_a="AAA", country_b="CCC")
    session.add(twin)
    session.flush()
    session.add(
        Prediction(
            sentence_id=twin.id,
            model_name="news-relation",
            model_version="1",
            label="neutral",
            probabilities=CORPUS[1][1],
        )
    )
    session.flush()
    return ids


def test_export_ranks_doubts_and_writes_every_format(db_session: Session, tmp_path: Path) -> None:
    ids = _seed(db_session)
    ranked = select_candidates(
        db_session, model_name="news-relation", model_version="1", compare_version="2", limit=3
    )
    # the disagreement first, then the smallest margins; the twin row of s1 is not offered twice
    assert [(c.sentence_id, c.reason) for c in ranked] == [
        (ids[2], "disagreement"),
        (ids[3], "low_confidence"),
        (ids[1], "low_confidence"),
    ]
    assert ranked[0].detail == "v1 says neutral, v2 says conflict" and ranked[1].margin == 0.01

    (csv_path,) = write_candidates(ranked, tmp_path / "todo.csv", "csv", LABELS)
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [r["reason"] for r in rows] == ["disagreement", "low_confidence", "low_confidence"]
    assert rows[0]["text"] == CORPUS[2][0] and rows[0]["label"] == ""

    (jsonl_path,) = write_candidates(ranked, tmp_path / "todo.jsonl", "jsonl", LABELS)
    records = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    assert [r["sentence_id"] for r in records] == [c.sentence_id for c in ranked]

    tasks_path, config_path = write_candidates(ranked, tmp_path / "todo.json", "label-studio", LABELS)
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert tasks[0]["data"]["text"] == CORPUS[2][0] and tasks[0]["data"]["reason"] == "disagreement"
    assert tasks[1]["data"]["sentence_id"] == ids[3]
    config = config_path.read_text(encoding="utf-8")
    assert '<Text name="text" value="$text"/>' in config
    assert all(f'<Choice value="{label}"/>' in config for label in LABELS)

    # a labeled row drops out of the next export
    db_session.add(
        LabeledExample(
            text=CORPUS[2][0],
            label="conflict",
            label_scheme="relation3",
            origin="x",
            source_row=1,
            sentence_id=ids[2],
        )
    )
    db_session.flush()
    again = select_candidates(
        db_session, model_name="news-relation", model_version="1", compare_version="2", limit=3
    )
    assert ids[2] not in [c.sentence_id for c in again]


def test_export_offers_pairs_a_drift_event_named(db_session: Session) -> None:
    """A pair-mix drift event naming AAA-BBB puts that pair's sentences before mere doubts."""
    ids = _seed(db_session)
    day = dt.date(2026, 11, 30)
    crossed = DriftReading(
        "pair_mix", "input", "drift", 0.4, 1e-9, 0.002, 0.05, 200, 6000, "before", movers=("AAA-BBB",)
    )
    (event,) = record_drift_events(db_session, "news-relation", "1", day, [crossed])
    assert event.movers == ["AAA-BBB"]
    assert record_drift_events(db_session, "news-relation", "1", day, [crossed]) == []  # once per day
    drifted = drifted_pairs(db_session, "news-relation")
    assert drifted == {"AAA-BBB": day}
    ranked = select_candidates(
        db_session, model_name="news-relation", model_version="1", limit=2, drifted_pairs=drifted
    )
    assert [(c.sentence_id, c.reason) for c in ranked] == [(ids[3], "drifted_pair"), (ids[1], "drifted_pair")]
    assert "pair AAA-BBB's share drifted (event of 2026-11-30)" in ranked[0].detail


def test_label_studio_export_imports_with_provenance_and_stays_out_of_the_benchmark(
    rollback_db: Database,
) -> None:
    eligible = [(f"Country {i} said thing {i} about {i * 7}.", LABELS[i % 3]) for i in range(30)]
    with rollback_db.transaction() as session:
        for row, (text, label) in enumerate(eligible, start=1):
            session.add(
                LabeledExample(
                    text=text, label=label, label_scheme="relation3", origin="mine@1", source_row=row
                )
            )
    with rollback_db.transaction() as session:
        before = carve_benchmark(
            load_examples(session, "relation3", for_benchmark=True), "relation3", "b", {"source": "db"}
        )

    result = read_labeled_file(LS_EXPORT, source_scheme="relation3")  # format sniffed: a JSON list
    assert [b.line for b in result.bad_rows] == [3, 4, 5]  # cancelled, annotators disagree, not labeled
    assert "annotators disagree (conflict, neutral)" in result.bad_rows[1].reason
    with rollback_db.transaction() as session:
        stored = store_examples(session, result, benchmark_eligible=False, labeled_by="importer")
    assert stored.inserted == 2

    with rollback_db.transaction() as session:
        rows = list(
            session.scalars(
                select(LabeledExample)
                .where(LabeledExample.origin == result.origin)
                .order_by(LabeledExample.source_row)
            )
        )
        assert [(r.label, r.sentence_id, r.annotator) for r in rows] == [
            ("conflict", 7, "label-studio-user:2"),
            ("cooperation", 9, "mina.park@example.org"),
        ]
        assert rows[0].labeled_at == dt.datetime(2026, 12, 2, 13, 51, 7, 412305, tzinfo=dt.UTC)
        assert rows[0].source_file == str(LS_EXPORT.resolve()) and not rows[0].benchmark_eligible
        assert result.origin.startswith(LS_EXPORT.name + "@sha256:")
        # training sees the new labels; a benchmark carved now is the same one
        assert len(load_examples(session, "relation3")) == 32
        after = carve_benchmark(
            load_examples(session, "relation3", for_benchmark=True), "relation3", "b", {"source": "db"}
        )
    assert after.sha256 == before.sha256 and after.members == before.members


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_export_then_import_label_studio(db: str, tmp_path: Path) -> None:
    with session_scope(db) as session:
        _seed(session)
    env = {"DATABASE_URL": db}
    out = tmp_path / "todo.json"
    proc = _cli(
        "label",
        "export",
        str(out),
        "-n",
        "2",
        "--format",
        "label-studio",
        "--model-version",
        "1",
        "--compare-version",
        "2",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 sentences of news-relation v1 ({'disagreement': 1, 'low_confidence': 1})" in proc.stdout
    assert (tmp_path / "todo.labeling-config.xml").is_file()

    imported = _cli("data", "import", str(LS_EXPORT), "--scheme", "relation3", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "2 examples (relation3), 3 bad rows" in imported.stdout and "stored 2 rows" in imported.stdout
    with session_scope(db) as session:
        assert session.scalars(select(LabeledExample.benchmark_eligible)).all() == [False, False]

    bad = _cli("label", "export", str(out), "--format", "xml", "--model-version", "1", env=env)
    none = _cli("label", "export", str(out), "--model-version", "9", env=env)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown --format 'xml'")
    assert none.returncode == 2 and "no predictions of news-relation v9" in none.stderr
    assert "Traceback" not in bad.stderr + none.stderr
