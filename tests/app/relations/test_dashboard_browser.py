"""The dashboard in headless Chromium against the real app and a seeded database.

Debian's `chromium` driven by Playwright (no browser download exists here). Without a
Chromium binary the test is skipped with a message saying so; `.ci/run` installs one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.app.relations.conftest import RelationsServer

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def find_chromium() -> str | None:
    """CHROMIUM_PATH, else a Debian/Ubuntu chromium on PATH or in /usr/bin."""
    candidates = [
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ]
    for path in candidates:
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture
def chromium_page(tmp_path: Path) -> Any:
    exe = find_chromium()
    if exe is None:
        pytest.skip(
            "dashboard browser test did NOT run: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir per run
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _click_day(page: Any, index_expr: str) -> str:
    """Click the daily-score point chosen by `index_expr` (JS, sees `pts`); return its day."""
    target = page.evaluate(
        """(indexExpr) => {
            const st = window.relationsDashboard.state, u = st.chart, pts = st.series.points;
            const i = eval(indexExpr);
            const rect = u.over.getBoundingClientRect();
            return {day: pts[i].day,
                    x: rect.left + u.valToPos(u.data[0][i], "x"),
                    y: rect.top + u.valToPos(pts[i].score, "y")};
        }""",
        index_expr,
    )
    page.mouse.move(target["x"], target["y"])
    page.mouse.click(target["x"], target["y"])
    return str(target["day"])


def test_dashboard_renders_and_drills_down(relations_server: RelationsServer, chromium_page: Any) -> None:
    page = chromium_page
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))

    _seed_shadow_run(relations_server.seeded.database_url)
    page.goto(f"{relations_server.url}/dashboard", wait_until="load")
    page.wait_for_selector("body[data-ready=yes]", timeout=30_000)

    # The grid: one card per pair with a sparkline canvas.
    history = relations_server.seeded.history
    cards = page.locator(".card")
    assert cards.count() == len(history.busiest)
    assert page.locator(".card canvas").count() == cards.count()
    assert page.locator(".card.selected").count() == 1

    # The selected pair's chart has its data points and an interval band.
    points = int(page.locator("#pair-chart").get_attribute("data-points") or 0)
    assert points > 20
    assert page.evaluate("window.relationsDashboard.state.chart.data[0].length") == points
    assert page.locator("#version-select option").count() == 2
    # Both directions of the pair beside it (the seeded sentences say who acts on whom).
    page.wait_for_selector("#direction-chart[data-series='2']", timeout=15_000)
    assert page.locator("#direction-stats .stat").count() == 4
    assert page.locator("#serving-model").inner_text() not in ("", "…")

    # Click the busiest day: its sentences appear, strongest first.
    day = _click_day(page, "pts.reduce((b, p, j) => p.sentence_count > pts[b].sentence_count ? j : b, 0)")
    page.wait_for_selector(".sentence-row", timeout=15_000)
    assert day in page.locator("#day-title").inner_text()
    rows = page.locator(".sentence-row")
    expected = page.evaluate(
        f"window.relationsDashboard.state.series.points.find(p => p.day === '{day}').sentence_count"
    )
    assert rows.count() == min(expected, 100)
    assert page.locator(".sentence-row a[href^='https://']").count() == rows.count()
    assert page.locator("#day-summary .shares span").count() >= 3

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # Index alerts: the flagged pairs' cards are highlighted, the head names them.
    flagged = page.evaluate(
        "fetch('/v1/relations/alerts?model_version=2').then(r => r.json()).then(a => a.flagged)"
    )
    assert flagged and page.locator(".card.alert").count() == len(flagged)
    assert all(page.locator(f".card.alert[data-pair='{p}']").count() == 1 for p in flagged)
    assert str(len(flagged)) in page.locator("#alerts-hint").inner_text()
    # Drift: one row per judged statistic, the events counted in the head, the estimated accuracy.
    page.wait_for_selector("#drift-table tbody tr", timeout=15_000)
    drift = page.evaluate("fetch('/v1/monitoring/drift?model_version=2&days=30').then(r => r.json())")
    assert page.locator("#drift-table tbody tr").count() == len(drift["series"])
    assert drift["events"] and str(len(drift["events"])) in page.locator("#drift-hint").inner_text()
    assert "estimated accuracy" in page.locator("#drift-accuracy").inner_text()
    # Overlay another version: its 7-day line joins the chart.
    page.select_option("#compare-select", "1")
    page.wait_for_selector("#pair-chart[data-compare='1']", timeout=15_000)
    assert page.evaluate("window.relationsDashboard.state.chart.series.length") == 7
    assert "v1 overlaid" in page.locator("#compare-note").inner_text()

    # Another pair and an older version: the chart follows.
    second = cards.nth(1)
    pair = second.get_attribute("data-pair")
    second.click()
    page.wait_for_function(
        "(pair) => document.getElementById('pair-title').textContent.startsWith(pair)",
        arg=pair,
        timeout=15_000,
    )
    assert page.locator(".sentence-row").count() == 0  # the day panel was reset
    page.select_option("#version-select", "1")
    page.wait_for_function(
        "() => document.getElementById('pair-title').textContent.endsWith('v1')", timeout=15_000
    )
    assert int(page.locator("#pair-chart").get_attribute("data-points") or 0) > 0

    # The challenger panel: the shadow run's agreement, its table and the sentences to read.
    page.wait_for_selector("#challenger:not([hidden]) .disagreement-row", timeout=15_000)
    assert "Challenger v3 vs champion v2" in page.locator("#challenger-title").inner_text()
    assert "75.0%" in page.locator("#challenger-summary").inner_text()
    assert page.locator("#challenger-confusion tr").count() == 3  # head + conflict, cooperation
    assert page.locator(".disagreement-row").count() == 10
    page.locator("#challenger").screenshot(path=str(ARTIFACTS / "dashboard-challenger.png"))

    assert problems == [], "\n".join(problems)


def _seed_shadow_run(database_url: str) -> None:
    """A shadow run as a worker stores it (bulk job over the corpus, so its sentences are public):
    40 sentences, 30 agreed, 10 disagreements."""
    from newsmodel.shadow.store import record_tally
    from newsmodel.shadow.tally import ComparisonKey, ShadowTally
    from tests.newsmodel.relindex.seed import MODEL
    from tests.support.db import session_scope

    def row(label: str, p: float) -> dict[str, Any]:
        other = "cooperation" if label == "conflict" else "conflict"
        return {"label": label, "probabilities": {label: p, other: 1 - p}}

    tally = ShadowTally()
    for i in range(30):
        tally.add(f"Seoul and Tokyo agree {i}.", row("conflict", 0.8), row("conflict", 0.7))
    for i in range(10):
        tally.add(f"Seoul and Tokyo differ {i}.", row("conflict", 0.6), row("cooperation", 0.9))
    with session_scope(database_url) as session:
        record_tally(session, ComparisonKey(MODEL, "2", "3", "job"), tally, sample_cap=50)
