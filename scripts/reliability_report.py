"""Write RELIABILITY.md from the figures the reliability tests recorded.

    python scripts/reliability_report.py [--results test-artifacts/reliability] [--out RELIABILITY.md]
        [--sections "Bad input,Security"]   # replace only these sections of the existing file

Each test in tests/reliability writes `<scenario>.json` (what it broke, what it observed, its
figures) after its assertions pass; `make reliability` clears the folder, runs the suite (load
test in full mode) and then this script. A scenario without a file did not pass in that run
and is listed as such, so the document never shows figures the code did not just produce.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# The order of the document; a scenario not listed here is appended to its section.
SCENARIOS = [
    "postgres-restart-crawl",
    "postgres-restart-scoring",
    "mlflow-down",
    "gcs-down-registration",
    "gcs-down-download",
    "redis-restart-job",
    "redis-restart-data-lost",
    "worker-killed",
    "promotion-under-load",
    "load",
    "bad-bodies",
    "fuzz-api",
    "fuzz-http",
    "decompression-bombs",
    "fuzz-parsers",
    "security",
]
SECTIONS = {
    "faults": "Faults",
    "load": "Load",
    "bad-input": "Bad input",
    "security": "Security",
}
EXPECTED_SECTION = {
    "load": "load",
    "bad-bodies": "bad-input",
    "fuzz-api": "bad-input",
    "fuzz-http": "bad-input",
    "decompression-bombs": "bad-input",
    "fuzz-parsers": "bad-input",
    "security": "security",
}
# Defects these tests exposed and the fixes that made them pass (history, not measured here).
FOUND_AND_FIXED = [
    (
        "Postgres restarted during a crawl",
        "a92f2de (crawler/locks.py)",
        "the run-lock's unlock on the dead connection raised a raw OperationalError over the run's "
        "own error: `crawler run` printed a traceback and exited 1 instead of one line and exit 2",
    ),
    (
        "Postgres restarted during bulk scoring",
        "6b1da16 (app/celery_tasks.py)",
        "range tasks failed on the lost connection without a retry and were acked: the job stayed "
        "'running' for ever with 820 of 1200 sentences unscored",
    ),
    (
        "Parser fuzzing",
        "2807d34 (crawler/urls.py)",
        'a link such as href="http://[::1" made urljoin raise ValueError out of the listing and '
        "sitemap parsers and the fetcher's redirect handling, crashing the source's whole run",
    ),
    (
        "Hostile request bodies",
        "416d298 (app/prediction.py)",
        'a sentence holding a lone surrogate (JSON "\\ud800") made /v1/predict answer 500',
    ),
    (
        "Redis restarted empty mid-job",
        "42c329d (app/celery_tasks.py, app/scoring_jobs.py)",
        "a job whose queued range messages were lost with the broker's data stayed 'running' for "
        "ever (and blocked the scheduled pipeline's next scoring job); now beat's watchdog "
        "re-plans it",
    ),
    (
        "Artifact store (GCS) down during registration",
        "e32e2ad (newsmodel/registry/register.py)",
        "the error told the user to fix MLFLOW_TRACKING_URI although the tracking server answered "
        "and the artifact store behind it had failed",
    ),
    (
        "MLflow server down",
        "19e79bf (app/api/ops.py)",
        "/ready's top-level status stayed 'ready' with the registry unreachable; it now reads "
        "'degraded' with a registry check of its own",
    ),
    (
        "Outside probe (issue #21), now HTTP fuzzing and regression tests",
        "a1f9b81 (app/relations/api.py, app/security.py, app/api/model.py)",
        "three 500s without a key: end=0001-01-01 overflowed the default-start date arithmetic; a "
        "400-digit X-MLflow-Timestamp overflowed float arithmetic before the signature check; a "
        "validly signed webhook body with invalid UTF-8 raised out of json.loads",
    ),
    (
        "Decompression bombs (issue #21)",
        "34dd308 (crawler/decompress.py)",
        "httpx inflated each network chunk whole: a 100 MB gzip bomb peaked at 148 MB of Python "
        "memory before the 1 MB body limit could refuse it",
    ),
    (
        "A worker SIGKILLed mid-job",
        "0ab5119, 2e8fee2 (app/scoring_jobs.py, app/celery_tasks.py)",
        "the range check's anti-join nested-looped over every prediction of the version (table "
        "statistics lag a running job): 12-20 s per check on a 12,000-sentence job, past the soft "
        "time limit, and Celery acked the timed-out range, so the job stayed 'running'; now merge/"
        "hash joins bounded to the range, and a task past the soft limit is queued again",
    ),
]
TEST_FILES = {
    "faults": "tests/reliability/test_fault_database.py, test_fault_registry.py, test_fault_workers.py",
    "load": "tests/reliability/test_load.py",
    "bad-input": "tests/reliability/test_fuzz_api.py, test_fuzz_http.py, test_fuzz_parsers.py, "
    "tests/crawler/test_decompression.py",
    "security": "tests/reliability/test_security.py",
}


def load_results(folder: Path) -> dict[str, dict[str, Any]]:
    results = {}
    for path in sorted(folder.glob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"skipping {path}: {exc}", file=sys.stderr)
            continue
        results[str(body.get("scenario", path.stem))] = body
    return results


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _failed_requests(figures: dict[str, Any]) -> str:
    for key in ("failed_requests", "predict_failed_during_outage"):
        if key in figures:
            total = figures.get("requests", figures.get("predict_requests_during_outage"))
            return f"{figures[key]} / {total}" if total is not None else _fmt(figures[key])
    return "-"


def fault_table(results: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    lines = [
        "| scenario | lost | duplicates | failed requests | down (s) | recovery (s) | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        r = results.get(name)
        if r is None:
            lines.append(f"| {name} | | | | | | **no result: the test did not pass in this run** |")
            continue
        f = r["figures"]
        gap = r.get("status") == "gap"
        lines.append(
            f"| {r['title']} | {_fmt(f.get('lost'))} | {_fmt(f.get('duplicates'))} | "
            f"{_failed_requests(f)} | {_fmt(f.get('down_s'))} | {_fmt(f.get('recovery_s'))} | "
            f"{'**gap** (see below)' if gap else 'passed'} |"
        )
    return lines


def bad_input_table(results: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    """How many requests (or cases) each bad-input scenario sent, and how many got a 5xx."""
    lines = [
        "| scenario | requests / inputs | server errors (>= 500) / unhandled exceptions |",
        "|---|---|---|",
    ]
    for name in names:
        r = results.get(name)
        if r is None:
            continue
        f = r["figures"]
        inputs = f.get("inputs")
        sent = f.get(
            "requests", f.get("test_cases", sum(inputs.values()) if isinstance(inputs, dict) else None)
        )
        if sent is None:  # one entry per case (e.g. per content coding)
            sent = sum(1 for v in f.values() if isinstance(v, dict))
        errors = f.get(
            "server_errors", f.get("unhandled_exceptions", f.get("refused_with_more_than_the_limit"))
        )
        lines.append(f"| {r['title']} | {_fmt(sent)} | {_fmt(errors)} |")
    return lines


def scenario_block(r: dict[str, Any]) -> list[str]:
    lines = [
        f"### {r['title']}",
        "",
        f"- **Broken:** {r['broken']}",
        f"- **Observed:** {r['observed']}",
    ]
    figures = r.get("figures", {})
    levels = figures.get("levels")
    plain = {k: v for k, v in figures.items() if k != "levels"}
    if plain:
        lines.append("- **Figures:** " + "; ".join(f"{k} = {_fmt(v)}" for k, v in plain.items()))
    for note in r.get("notes", []):
        lines.append(f"- **Note:** {note}")
    if levels:
        lines += [
            "",
            "| connections | requests | requests/s | p50 (ms) | p99 (ms) | max (ms) | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for lv in levels:
            lines.append(
                f"| {lv['concurrency']} | {lv['requests']} | {_fmt(lv['requests_per_s'])} | "
                f"{_fmt(lv['p50_ms'])} | {_fmt(lv['p99_ms'])} | {_fmt(lv['max_ms'])} | {lv['errors']} |"
            )
    lines.append(f"- Recorded {r.get('recorded_at', '?')} on {r.get('host', {}).get('cpus', '?')} CPUs.")
    lines.append("")
    return lines


def render(results: dict[str, dict[str, Any]]) -> str:
    ordered = SCENARIOS + sorted(set(results) - set(SCENARIOS))
    by_section: dict[str, list[str]] = {key: [] for key in SECTIONS}
    for name in ordered:
        section = results.get(name, {}).get("section") or EXPECTED_SECTION.get(name, "faults")
        by_section.setdefault(section, []).append(name)
    gaps = [r for r in results.values() if r.get("status") == "gap"]
    missing = [n for n in SCENARIOS if n not in results]

    out = [
        "# Reliability",
        "",
        "<!-- Generated by scripts/reliability_report.py from test-artifacts/reliability/*.json; "
        "do not edit by hand: run `make reliability`. -->",
        "",
        f"Generated {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} at commit {_git_commit()} "
        f"from {len(results)} scenario result(s). Every figure below was measured by a test in "
        "`tests/reliability/` that started real services of its own (a private Postgres cluster, "
        "Redis, GCS emulator and MLflow servers, uvicorn and Celery subprocesses), broke one, "
        "restored it and asserted the outcome; a scenario only has figures if its test passed.",
        "",
        "Run it: `make reliability` (fault, bad-input and security tests, the load test in full "
        "mode, then this file). `make test` runs the same tests in CI with the load test in short "
        "mode. One scenario: `.venv/bin/python -m pytest tests/reliability/test_fault_workers.py -k "
        "child`.",
        "",
    ]
    if missing:
        out += [f"**Not passed in this run:** {', '.join(missing)}.", ""]
    out += ["## Found and fixed by these tests", "", "| scenario | fix | what was wrong |", "|---|---|---|"]
    out += [f"| {scenario} | {fix} | {what} |" for scenario, fix, what in FOUND_AND_FIXED]
    out.append("")
    if gaps:
        out += ["## Open gaps", ""]
        for r in gaps:
            out.append(f"- **{r['title']}:** " + " ".join(r.get("notes", [])))
        out.append("")
    noted = [r for r in results.values() if r.get("status") != "gap" and r.get("notes")]
    if noted:
        out += ["## Other findings", ""]
        for r in noted:
            out.append(f"- **{r['title']}:** " + " ".join(r["notes"]))
        out.append("")
    for key, title in SECTIONS.items():
        names = by_section.get(key, [])
        if not names:
            continue
        out += [f"## {title}", "", f"Tests: {TEST_FILES.get(key, 'tests/reliability')}", ""]
        if key == "faults":
            out += [*fault_table(results, names), ""]
        if key == "bad-input":
            out += [*bad_input_table(results, names), ""]
        for name in names:
            if name in results:
                out += scenario_block(results[name])
            else:
                out += [f"### {name}", "", "No result: the test did not pass in this run.", ""]
    return "\n".join(out).rstrip() + "\n"


def replace_sections(existing: str, rendered: str, titles: list[str], note: str) -> str:
    """`existing` with each `## title` section (up to the next `## `) taken from `rendered`:
    regenerate the sections whose tests ran without inventing figures for the others."""

    def split(text: str) -> tuple[str, dict[str, str], list[str]]:
        head, *rest = text.split("\n## ")
        blocks = {block.split("\n", 1)[0].strip(): "## " + block for block in rest}
        return head, blocks, [block.split("\n", 1)[0].strip() for block in rest]

    head, old_blocks, order = split(existing)
    _, new_blocks, _ = split(rendered)
    for title in titles:
        if title not in new_blocks:
            raise SystemExit(f"error: section {title!r} has no results in this run")
        if title not in old_blocks:
            order.append(title)
        old_blocks[title] = new_blocks[title]
    head = "\n".join(line for line in head.rstrip("\n").splitlines() if not line.startswith("Sections "))
    return "\n".join([head + "\n\n" + note + "\n", *(old_blocks[t].rstrip("\n") + "\n" for t in order)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "test-artifacts" / "reliability")
    parser.add_argument("--out", type=Path, default=ROOT / "RELIABILITY.md")
    parser.add_argument(
        "--sections",
        default="",
        help="comma-separated `##` section titles to replace in the existing --out file, the rest kept",
    )
    args = parser.parse_args(argv)
    results = load_results(args.results) if args.results.is_dir() else {}
    if not results:
        print(f"error: no results in {args.results}: run `make reliability` first", file=sys.stderr)
        return 2
    rendered = render(results)
    titles = [t.strip() for t in args.sections.split(",") if t.strip()]
    if titles:
        note = (
            f"Sections {', '.join(titles)} regenerated "
            f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} at commit {_git_commit()} from "
            f"{len(results)} scenario result(s); the other sections are as generated above."
        )
        rendered = replace_sections(args.out.read_text(encoding="utf-8"), rendered, titles, note)
        print(f"replaced sections {', '.join(titles)} of {args.out}; the others are as they were")
    args.out.write_text(rendered, encoding="utf-8")
    missing = [n for n in SCENARIOS if n not in results]
    print(
        f"wrote {args.out} ({len(results)} scenarios"
        + (f"; missing: {', '.join(missing)})" if missing else ")")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
