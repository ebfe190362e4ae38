"""The index a reader gets after a promotion, over HTTP: the app follows the real MLflow registry
(alias `champion`), the index and the backfill jobs are real rows in Postgres.

v1 was live and is fully indexed; v2 has just been promoted and its backfill has indexed only
the last 12 of 30 days. v1's index was computed *after* v2's, so "the newest computed" would
show v1: the API must show v2 (live), say its backfill is incomplete, and overlay v1 with the
switch marked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import update

from app.relations.backfill import create_backfill_job
from newsmodel.db.models import ScoringJob
from newsmodel.relindex import build_index
from tests.app.conftest import Registry
from tests.app.relations.history import seed_history
from tests.support.db import as_database, session_scope

LAST_DAY = dt.date(2026, 9, 30)
DAYS = 30
V2_DAYS = 12


def _ok(resp: httpx.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_default_is_the_live_version_with_its_backfill_state_and_the_old_series_beside_it(
    db: str,
    registry: Registry,
    app_env: dict[str, str],
    start_uvicorn: Callable[..., Any],
    api: Callable[[str], httpx.Client],
) -> None:
    v1, v2 = registry.register("a"), registry.register("b")
    first_v2_day = LAST_DAY - dt.timedelta(days=V2_DAYS - 1)
    with session_scope(db) as session:
        seed_history(session, LAST_DAY, days=DAYS, versions=(v1, v2), model=registry.name)
        # v1's backfill (long done), then v2's, queued when v2 went live: the switch marker.
        old, _ = create_backfill_job(session, registry.name, v1)
        session.execute(update(ScoringJob).where(ScoringJob.id == old).values(status="succeeded"))
        create_backfill_job(session, registry.name, v2)
    build_index(as_database(db), model_name=registry.name, model_version=v2, since=first_v2_day)
    build_index(as_database(db), model_name=registry.name, model_version=v1)
    registry.set_alias(v2)
    client = api(start_uvicorn(env={**app_env, "DATABASE_URL": db}).url)

    page = _ok(client.get("/v1/relations"))
    assert (page["model_version"], page["live_model_version"], page["is_live"]) == (v2, v2, True)
    assert [v["model_version"] for v in page["versions"]] == [v1, v2]  # v1 is the newest computed
    assert "live version (alias champion)" in page["shown_because"]
    backfill = page["backfill"]
    assert backfill["complete"] is False and backfill["backfill_status"] == "queued"
    assert (backfill["days_indexed"], backfill["days_in_data"]) == (V2_DAYS, DAYS)
    assert backfill["days_missing"] == DAYS - V2_DAYS
    assert backfill["missing_days"][0] == (LAST_DAY - dt.timedelta(days=DAYS - 1)).isoformat()
    assert [(s["model_version"], s["previous_version"]) for s in page["switches"]] == [(v1, None), (v2, v1)]
    old_page = _ok(client.get("/v1/relations", params={"model_version": v1}))
    assert old_page["is_live"] is False and old_page["backfill"]["complete"] is True

    series = _ok(client.get("/v1/relations/KOR-USA", params={"compare_version": v1, "start": "2026-01-01"}))
    assert series["model_version"] == v2 and series["backfill"]["complete"] is False
    compare = series["compare"]
    assert compare["model_version"] == v1 and compare["backfill"]["complete"] is True
    mine = {p["day"] for p in series["points"]}
    theirs = {p["day"] for p in compare["points"]}
    assert min(mine) >= first_v2_day.isoformat() and len(theirs) > len(mine)
    assert compare["overlap_days"] == len(mine & theirs) > 0
    assert compare["overlap_start"] == min(mine & theirs)
    assert compare["switch"]["model_version"] == v2 and compare["switch"]["previous_version"] == v1
    assert compare["switch"]["switched_at"] == page["switches"][1]["switched_at"]
    # the seeded readings of the second version are 0.35 more pessimistic: the overlay shows it
    assert compare["mean_difference"] < -0.1

    export = client.get("/v1/relations/export")
    assert export.status_code == 200 and export.headers["x-model-versions"] == v2
    alerts = _ok(client.get("/v1/relations/alerts"))
    assert (alerts["model_version"], alerts["is_live"]) == (v2, True)

    same = client.get("/v1/relations/KOR-USA", params={"compare_version": v2})
    assert same.status_code == 422 and "compare_version" in same.text
    unknown = client.get("/v1/relations/KOR-USA", params={"compare_version": "99"})
    assert unknown.status_code == 404 and "99" in unknown.text
