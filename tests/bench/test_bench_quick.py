"""Every benchmark script still runs: `make bench`'s runner in --quick mode (each script < 2 min).

The figures of a quick run are not quoted anywhere (BENCHMARKS.md comes from a full `make
bench`); this test keeps the scripts from rotting: each must exit 0 and print its table with
our figure beside its baseline and the ratio.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import standalone_env

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("countries", "crawl", "inference", "padding", "cache_round_trips", "train", "serve", "score")

pytestmark = pytest.mark.slow


def test_every_bench_script_runs_quick_and_prints_its_comparison(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    # The scripts start their own registry, database and broker, as `make bench` does on a
    # clean shell: nothing of this test session's services may leak in.
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_all", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=standalone_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = out.read_text()
    assert "FAILED" not in report, report
    assert "--quick: figures for smoke only" in report
    assert re.search(r"- CPU: .+, \d+ logical cores visible", report)
    sections = re.split(r"^## ", report, flags=re.M)
    for name in SCRIPTS:
        body = next((s for s in sections if s.startswith(f"`bench/{name}.py`")), None)
        assert body is not None, f"no section for bench/{name}.py"
        table = [line for line in body.splitlines() if line.startswith("|")]
        assert len(table) >= 4, f"bench/{name}.py printed no comparison table:\n{body}"
        # A ratio against the baseline measured in the same run, e.g. "3.89x".
        assert re.search(r"\d+\.\d+\s?x", body), f"bench/{name}.py printed no ratio:\n{body}"
        assert not re.search(r"\b(nan|inf)\b", body), body


def test_full_only_bench_scripts_at_least_import_and_parse_their_arguments() -> None:
    # shadow.py and quantize_portability.py are left out of --quick (minutes each): their
    # `--help` still imports everything they use from the other scripts, which is how they rot.
    from bench.run_all import FULL_ONLY

    for script in sorted(FULL_ONLY):
        module = f"bench.{script.removesuffix('.py')}"
        proc = subprocess.run(
            [sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0 and "usage" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_the_ensemble_script_prints_members_ensemble_and_students_side_by_side(tmp_path: Path) -> None:
    # bench/ensemble.py reads finished run folders; the committed fixture model stands in for
    # each (an ensemble of two copies of one model must score exactly what the model scores).
    from tests.support.training import SHARED_DATA

    fixture = ROOT / "tests" / "fixtures" / "minilm-relation3"
    proc = subprocess.run(
        [
            sys.executable,
            "bench/ensemble.py",
            "--members",
            str(fixture),
            str(fixture),
            "--student",
            str(fixture),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**standalone_env(), "NEWSMODEL_DATA_DIR": str(SHARED_DATA.parent)},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in proc.stdout.splitlines()
        if line.startswith("| ")
    }
    member = rows["member minilm-relation3"]
    assert re.fullmatch(r"0\.\d{3}", member)
    assert rows["ensemble of 2 (mean probabilities)"] == rows["student minilm-relation3"] == member
    bad = subprocess.run(
        [sys.executable, "bench/ensemble.py", "--members", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error:") and "Traceback" not in bad.stderr
