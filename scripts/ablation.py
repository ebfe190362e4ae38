"""Run the ablation plan (docs/ablations/plan.yaml) with `newsmodel cv` and render docs/ABLATIONS.md.

    python scripts/ablation.py run --phase screen    # start one per core: they share the queue
    python scripts/ablation.py render                             # table from the reports

Each recipe's report lands in docs/ablations/<phase>/<recipe>.json (kept in git: the table is
rebuilt from them); a recipe whose report exists is skipped, so a cut run resumes where it was.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "docs" / "ablations" / "plan.yaml"
OUT = ROOT / "docs" / "ablations"
DOC = ROOT / "docs" / "ABLATIONS.md"


def _plan() -> dict[str, Any]:
    return yaml.safe_load(PLAN.read_text())  # type: ignore[no-any-return]


def _claim(report: Path) -> bool:
    """Take a recipe no live worker holds (a `.lock` file with the worker's pid)."""
    import os

    lock = report.with_suffix(".lock")
    if lock.exists():
        try:
            os.kill(int(lock.read_text().strip()), 0)
            return False
        except (ProcessLookupError, ValueError):
            pass
    report.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(str(os.getpid()))
    return True


def _finished(report: Path) -> bool:
    return report.exists() and not json.loads(report.read_text()).get("partial", False)


def run(phase: str, extra: list[str]) -> int:
    """Run every recipe of the phase that has no report and no live worker on it, in plan order;
    start one of these per core: they share the queue."""
    plan = _plan()
    recipes = list(plan["phases"][phase]["recipes"].items())
    failures = 0
    for name, overrides in recipes:
        report = OUT / phase / f"{name}.json"
        if _finished(report) or not _claim(report):
            continue
        args = [*plan["common"], *plan["phases"][phase]["overrides"], *(overrides or []), *extra]
        args.append(f"mlflow.run_name={phase}-{name}")
        started = time.time()
        print(f"[{time.strftime('%H:%M:%S')}] {phase}/{name}: newsmodel cv {' '.join(args)}", flush=True)
        proc = subprocess.run([sys.executable, "-m", "newsmodel.cli", "cv", *args, "--report", str(report)])
        print(
            f"[{time.strftime('%H:%M:%S')}] {phase}/{name}: exit {proc.returncode} after "
            f"{(time.time() - started) / 60:.1f} min",
            flush=True,
        )
        failures += proc.returncode != 0
        report.with_suffix(".lock").unlink(missing_ok=True)
    return 1 if failures else 0


def _load(phase: str) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((OUT / phase).glob("*.json"))}


def _paired(folds: list[dict[str, Any]], base: list[dict[str, Any]]) -> tuple[float, float] | None:
    """Mean and std of the per-fold macro-F1 difference to the reference on the same folds."""
    ref = {(f["repeat"], f["fold"]): f["macro_f1"] for f in base}
    deltas = [f["macro_f1"] - ref[(f["repeat"], f["fold"])] for f in folds if (f["repeat"], f["fold"]) in ref]
    if len(deltas) < 2:
        return None
    return statistics.fmean(deltas), statistics.stdev(deltas)


def _paired_in_run(folds: list[dict[str, Any]]) -> tuple[float, float] | None:
    """A refit run's own pairing: each fold's refit model against the model it replaced
    (`selected_macro_f1`, the reference recipe on the same fold)."""
    deltas = [f["macro_f1"] - f["selected_macro_f1"] for f in folds if f.get("selected_macro_f1") is not None]
    if len(deltas) < 2:
        return None
    return statistics.fmean(deltas), statistics.stdev(deltas)


def render_phase(phase: str) -> list[str]:
    reports = _load(phase)
    if not reports:
        return [f"_(no {phase} results yet)_", ""]
    labels = [
        k.removeprefix("cv_f1_").removesuffix("_mean")
        for k in next(iter(reports.values()))["summary"]
        if k.startswith("cv_f1_") and k.endswith("_mean")
    ]
    base = reports.get("reference")
    head = [
        "recipe",
        "macro-F1 mean ± std (folds)",
        "Δ vs reference, paired (mean ± std)",
        "worst fold",
        *[f"{label} F1" for label in labels],
        "wall min / fold",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    order = sorted(reports, key=lambda n: -reports[n]["summary"]["cv_macro_f1_mean"])
    for name in order:
        s, folds = reports[name]["summary"], reports[name]["folds"]
        paired = _paired(folds, base["folds"]) if base and name != "reference" else _paired_in_run(folds)
        delta = f"{paired[0]:+.4f} ± {paired[1]:.4f}" if paired else "-"
        folds_note = f" ({len(folds)} folds, cut short)" if reports[name].get("partial") else ""
        cells = [
            name + folds_note,
            f"{s['cv_macro_f1_mean']:.4f} ± {s['cv_macro_f1_std']:.4f}",
            delta,
            f"{s['cv_macro_f1_min']:.4f}",
            *[f"{s[f'cv_f1_{label}_mean']:.3f} ± {s[f'cv_f1_{label}_std']:.3f}" for label in labels],
            f"{s['cv_seconds_total'] / 60 / max(s['cv_folds'], 1):.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def render() -> str:
    marker = "<!-- generated tables -->"
    head = DOC.read_text().split(marker)[0] if DOC.exists() else "# Ablations\n\n"
    body = [marker, ""]
    for phase in _plan()["phases"]:
        body += [f"### {phase}", "", *render_phase(phase)]
    DOC.write_text(head + "\n".join(body))
    return str(DOC)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--phase", required=True)
    r.add_argument("extra", nargs="*", help="more overrides for every recipe")
    sub.add_parser("render")
    args = parser.parse_args()
    if args.command == "run":
        return run(args.phase, args.extra)
    print(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
