"""`newsmodel index build|show` as a user runs them: a subprocess against the real Postgres."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

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
    again = _run(db, "build", "--model-version", "3")
    assert "0 of 3 days recomputed" in again.stdout

    shown = _run(db, "show")
    assert shown.returncode == 0, shown.stderr
    assert "news-relation v3" in shown.stdout and "KOR-USA" in shown.stdout
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
