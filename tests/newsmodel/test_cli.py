"""`newsmodel countries detect` and `newsmodel data ...` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.newsmodel.test_datasets import SHARED_DATA


def _run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args],
        input=stdin,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_countries_detect_reads_stdin_lines() -> None:
    proc = _run(
        "countries", "detect", stdin="Seoul, Beijing and Moscow met.\n미국과 북한은\nno country here\n"
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["countries"] for r in records] == [["CHN", "KOR", "RUS"], ["PRK", "USA"], []]
    assert records[0]["pairs"] == [["CHN", "KOR"], ["CHN", "RUS"], ["KOR", "RUS"]]
    assert records[0]["mentions"][0] == {
        "surface": "Seoul",
        "span": [0, 5],
        "iso3": "KOR",
        "kind": "metonym",
        "venue": False,
    }
    directed = _run(
        "countries", "detect", "--direction", "--date", "2022-03-01", "-t", "Russia invaded Ukraine."
    )
    assert json.loads(directed.stdout)["directions"][0]["label"] == "RUS>UKR", directed.stderr
    bad = _run("countries", "detect", "--date", "March 2022", "-t", "x")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    assert records[1]["mentions"][1] == {
        "surface": "북한",
        "span": [4, 6],
        "iso3": "PRK",
        "kind": "ko",
        "venue": False,
    }


def test_countries_detect_text_option_and_bad_focus() -> None:
    proc = _run("countries", "detect", "--text", "Xi met Modi", "--no-leaders")
    assert json.loads(proc.stdout)["mentions"] == []
    bad = _run("countries", "detect", "--text", "x", "--focus", "KOR,ZZZ")
    assert bad.returncode == 2
    assert (
        bad.stderr.strip() == "error: focus countries ['ZZZ'] are not ISO 3166 alpha-3 codes (e.g. KOR, USA)"
    )


def test_data_split_builtin_writes_files_and_manifest(tmp_path: Path) -> None:
    proc = _run(
        "data",
        "split",
        "--builtin",
        "conflibert-cameo",
        "--data-dir",
        str(SHARED_DATA),
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[0])
    assert summary["sizes"] == {"train": 1079, "validation": 135, "test": 135}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["fingerprint"] == summary["fingerprint"] and len(summary["fingerprint"]) == 64
    assert sum(1 for _ in (tmp_path / "test.jsonl").open()) == 135


def test_data_import_reports_bad_lines_then_split_from_db(db: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db}
    rows = ["text,label"] + [
        f"Country {i} said thing {i} about {i * 7},{['conflict', 'neutral', 'cooperation'][i % 3]}"
        for i in range(60)
    ]
    rows.insert(5, "Broken row,hostile")
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    proc = _run("data", "import", str(path), "--scheme", "relation3", "--name", "mine", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "60 examples (relation3), 1 bad rows" in proc.stdout
    assert "skipped line 6: unknown label 'hostile'" in proc.stderr
    assert "stored 60 rows" in proc.stdout
    # New labels are a retraining trigger: a run is queued for the trainer's loop.
    assert "retraining requested (data): queued run #1" in proc.stdout
    again = _run("data", "import", str(path), "--scheme", "relation3", "--name", "mine", env=env)
    assert "already imported (60 rows)" in again.stdout and "retraining requested" not in again.stdout
    split = _run("data", "split", "--from-db", "--min-per-class", "5", env=env)
    assert split.returncode == 0, split.stderr
    assert json.loads(split.stdout)["examples"] == 60


def test_data_errors_are_one_line(tmp_path: Path) -> None:
    missing = _run("data", "import", str(tmp_path / "none.csv"), "--scheme", "relation3")
    assert missing.returncode == 2 and missing.stderr.strip().startswith("error: labeled data file not found")
    both = _run("data", "split")
    assert both.returncode == 2 and "exactly one of --builtin NAME or --from-db" in both.stderr
    assert "Traceback" not in missing.stderr + both.stderr
