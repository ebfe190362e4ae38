"""Figures of one reliability scenario, written where `scripts/reliability_report.py` reads them.

Each test records what it broke, what it observed and its numbers (lost, duplicates, failed
requests, recovery time) in `test-artifacts/reliability/<scenario>.json`; the report turns the
files into RELIABILITY.md. Nothing here asserts: the tests assert, then record what they saw.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["record_figures", "results_dir"]


def results_dir() -> Path:
    """test-artifacts/reliability, or NEWSMODEL_RELIABILITY_DIR (a session of one's own: every
    test session on a machine shares the default folder)."""
    configured = os.environ.get("NEWSMODEL_RELIABILITY_DIR")
    return (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"
    )


def record_figures(
    scenario: str,
    *,
    title: str,
    section: str,
    broken: str,
    observed: str,
    figures: dict[str, Any],
    status: str = "ok",
    notes: list[str] | None = None,
) -> Path:
    """Write one scenario's result file (overwriting the previous run's) and return its path.

    `status="gap"` marks a scenario whose test passes on what the platform does today while
    the behaviour falls short of the goal; `notes` say how (RELIABILITY.md lists them first).
    """
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario}.json"
    body = {
        "scenario": scenario,
        "title": title,
        "section": section,
        "broken": broken,
        "observed": observed,
        "figures": figures,
        "status": status,
        "notes": list(notes or []),
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    path.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"\n[{scenario}] {json.dumps(figures)}")
    return path
