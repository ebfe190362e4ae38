"""Load on the API at several concurrency levels for a bounded time: throughput, latency,
errors, and the server's memory before and after (it must not grow with the traffic).

NEWSMODEL_LOAD_MODE=short (default, CI: 3 s per level) or full (`make reliability`: 20 s per
level and one more level).
"""

from __future__ import annotations

import os

import psutil

from tests.app.conftest import Registry
from tests.reliability.figures import record_figures
from tests.reliability.loadgen import load_tool, run_level

MODES = {
    "short": {"levels": (1, 8, 32), "seconds": 3.0, "warmup_s": 2.0},
    "full": {"levels": (1, 4, 16, 64), "seconds": 20.0, "warmup_s": 10.0},
}
MiB = 1024 * 1024


def _rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def test_load_levels_without_errors_or_memory_growth(
    registry: Registry, app_env: dict[str, str], start_uvicorn
) -> None:
    mode = os.environ.get("NEWSMODEL_LOAD_MODE", "short")
    plan = MODES[mode]
    levels: tuple[int, ...] = plan["levels"]  # type: ignore[assignment]
    registry.set_alias(registry.register("a"))
    server = start_uvicorn(env=app_env)

    # Warm-up at the highest level: the working set (batches, tokenizer, arenas) reaches its
    # size here, so what follows measures growth with traffic, not start-up allocation.
    run_level(server.url, max(levels), float(plan["warmup_s"]))  # type: ignore[arg-type]
    rss_before = _rss(server.pid)
    results = [run_level(server.url, c, float(plan["seconds"])) for c in levels]  # type: ignore[arg-type]
    rss_after = _rss(server.pid)
    growth = rss_after - rss_before

    assert server.alive()
    for result in results:
        assert result.requests > 0 and result.errors == 0, result
    assert growth < max(32 * MiB, rss_before // 10), f"RSS grew {growth / MiB:.1f} MiB"

    record_figures(
        "load",
        title="Load on /v1/predict",
        section="load",
        broken="nothing: "
        + "/".join(str(c) for c in levels)
        + f" connections for {plan['seconds']:g} s each ({mode} mode, {load_tool()}), every request two new "
        "sentences (cache misses), after a warm-up at the highest level",
        observed="no errors at any level; server RSS before/after the levels within the bound "
        "(growth < max(32 MiB, 10%))",
        figures={
            "mode": mode,
            "tool": load_tool(),
            "levels": [r.as_dict() for r in results],
            "errors": sum(r.errors for r in results),
            "rss_before_mib": round(rss_before / MiB, 1),
            "rss_after_mib": round(rss_after / MiB, 1),
            "rss_growth_mib": round(growth / MiB, 1),
        },
    )
