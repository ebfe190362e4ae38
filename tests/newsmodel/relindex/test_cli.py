"""`newsmodel index build|show|export` as a user runs them: a subprocess against the real Postgres."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.newsmodel.relindex.seed import Corpus, one_hot
from tests.support.db import session_scope

D1 = dt.date(2026, 4, 1)


def _run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db, "ENVIRONMENT": "test"}
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "index", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_build_then_show(db: str) -> None:
    with session_scope(db) as session:
        c = Corpus(session)
        for i, label in enumerate(["material_cooperation", "verbal_conflict", "neutral"]):
            art = c.article(D1 + dt.timedelta(days=i), c.source(f"src{i}"))
            c.predict(c.sentence(art, "KOR", "USA"), one_hot(label), version="3")

    first = _run(db, "build")
    assert first.returncode == 0, first.stderr
    assert "news-relation v3: 3 of 3 days recomputed" in first.stdout
    assert "class shares: mean-probability (the version stores no calibration)" in first.stdout
    again = _run(db, "build", "--model-version", "3")
    assert "0 of 3 days recomputed" in again.stdout

    shown = _run(db, "show")
    assert shown.returncode == 0, shown.stderr
    assert "news-relation v3" in shown.stdout and "KOR-USA" in shown.stdout
    assert "nothing is live in the registry" in shown.stdout  # the default is the live version
    series = _run(db, "show", "--pair", "usa-kor")
    assert series.returncode == 0, series.stderr
    assert "2026-04-01" in series.stdout and "+1.000" in series.stdout and "-0.500" in series.stdout


def test_bad_input_is_one_line(db: str) -> None:
    bad_pair = _run(db, "show", "--pair", "KOREA")
    assert bad_pair.returncode == 2 and "KOR-USA" in bad_pair.stderr
    assert "Traceback" not in bad_pair.stderr
    bad_date = _run(db, "build", "--since", "yesterday")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    nothing = _run(db, "build")
    assert nothing.returncode == 2 and "no predictions" in nothing.stderr
    assert "Traceback" not in nothing.stderr


def test_export_writes_a_file_its_checksum_and_manifest(db: str, tmp_path: Path) -> None:
    with session_scope(db) as session:
        c = Corpus(session)
        for i, label in enumerate(["material_cooperation", "verbal_conflict"]):
            art = c.article(D1 + dt.timedelta(days=i), c.source(f"src{i}"))
            c.predict(c.sentence(art, "KOR", "USA"), one_hot(label), version="3")
    assert _run(db, "build", "--model-version", "3").returncode == 0

    out = tmp_path / "index.parquet"
    done = _run(db, "export", "--format", "parquet", "--out", str(out), "--model-version", "3")
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in done.stdout
    assert (tmp_path / "index.parquet.sha256").read_text() == f"{digest}  index.parquet\n"
    manifest = json.loads((tmp_path / "index.parquet.manifest.json").read_text())
    assert (manifest["sha256"], manifest["rows"], manifest["model_versions"]) == (digest, 2, ["3"])
    table = pq.read_table(out).to_pylist()
    assert [(r["model_version"], r["pair"], r["day"], r["score"]) for r in table] == [
        ("3", "KOR-USA", D1, 1.0),
        ("3", "KOR-USA", D1 + dt.timedelta(days=1), -0.5),
    ]
    assert table[0]["method"] == "quad5/mean-polarity/article-bootstrap-95-1000"
    assert table[0]["computed_at"].tzinfo is not None

    csv_out = tmp_path / "index.csv"
    done = _run(db, "export", "--out", str(csv_out))  # default: nothing live, the newest computed
    assert done.returncode == 0, done.stderr
    assert f"sha256 {hashlib.sha256(csv_out.read_bytes()).hexdigest()}" in done.stdout
    assert csv_out.read_text().splitlines()[0].startswith("model_name,model_version,method,computed_at,pair")

    for args, fragment in [
        (["--format", "xlsx"], "--format"),
        (["--start", "April"], "YYYY-MM-DD"),
        (["--model-version", "9"], "indexed versions are 3"),
    ]:
        bad = _run(db, "export", "--out", str(tmp_path / "x"), *args)
        assert bad.returncode == 2 and fragment in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
