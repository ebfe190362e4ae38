"""`/v1/relations` API over HTTP: uvicorn running the real app on the real Postgres."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.relations.api import STATIC_DIR
from tests.app.relations.conftest import APP_FACTORY, LAST_DAY, RelationsServer, app_env
from tests.app.relations.history import History
from tests.newsmodel.relindex.seed import MODEL


@dataclass
class Served:
    client: httpx.Client
    history: History


@pytest.fixture
def served(relations_server: RelationsServer) -> Iterator[Served]:
    """45 days of history read by versions 1 and 2, both indexed (2 last), served by the app."""
    with httpx.Client(base_url=relations_server.url, timeout=30) as client:
        yield Served(client, relations_server.seeded.history)


def _ok(resp: httpx.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_list_relations_latest_scores_and_trends(served: Served) -> None:
    page = _ok(served.client.get("/v1/relations"))
    assert (page["model_name"], page["model_version"]) == (MODEL, "2")
    assert page["as_of"] == LAST_DAY.isoformat()
    assert [v["model_version"] for v in page["versions"]] == ["2", "1"]
    assert page["method"]["scheme"] == "quad5"
    assert page["method"]["weights"]["material_conflict"] == -1.0
    assert "bootstrap over articles" in page["method"]["interval"]
    assert page["method"]["quantification"] == "mean-probability"  # these versions store no calibration
    pairs = {p["pair"]: p for p in page["pairs"]}
    assert set(pairs) == set(served.history.busiest)
    for p in pairs.values():
        assert -1 <= p["ci_low"] <= p["score"] <= p["ci_high"] <= 1
        assert p["trend"] in {"up", "down", "flat", "unknown"}
        assert 1 <= len(p["sparkline"]) <= page["window_days"]
    # The history drifts KOR-PRK toward conflict and KOR-USA toward cooperation.
    assert pairs["KOR-PRK"]["score_30d"] < 0 < pairs["KOR-USA"]["score_30d"]
    volumes = [p["sentences_in_window"] for p in page["pairs"]]
    assert volumes == sorted(volumes, reverse=True)

    v1 = _ok(served.client.get("/v1/relations", params={"model_version": "1", "window_days": 7}))
    assert v1["model_version"] == "1"
    assert all(len(p["sparkline"]) <= 7 for p in v1["pairs"])


def test_each_direction_beside_the_unordered_pair(served: Served) -> None:
    both = _ok(served.client.get("/v1/relations/KOR-USA"))
    forward = _ok(served.client.get("/v1/relations/KOR>USA"))  # httpx sends ">" as %3E
    backward = _ok(served.client.get("/v1/relations/usa%3Ekor"))
    assert (forward["pair"], backward["pair"]) == ("KOR>USA", "USA>KOR")
    counts = {p["day"]: p["sentence_count"] for p in both["points"]}
    for p in forward["points"] + backward["points"]:
        assert p["sentence_count"] <= counts[p["day"]]
    # every directed sentence is in exactly one direction; undirected ones only in KOR-USA
    directed = sum(p["sentence_count"] for p in forward["points"] + backward["points"])
    assert 0 < directed < sum(counts.values())
    page = _ok(served.client.get("/v1/relations", params={"directed": "true", "focus": "true"}))
    listed = {p["pair"]: p for p in page["pairs"]}
    assert {"KOR-USA", "KOR>USA", "USA>KOR"} <= set(listed)
    assert (listed["KOR>USA"]["source"], listed["USA>KOR"]["source"], listed["KOR-USA"]["source"]) == (
        "KOR",
        "USA",
        None,
    )
    day = forward["points"][-1]["day"]
    drill = _ok(served.client.get(f"/v1/relations/KOR>USA/days/{day}/sentences"))
    assert drill["pair"] == "KOR>USA" and drill["total"] == forward["points"][-1]["sentence_count"]


def test_focus_pairs_only(served: Served) -> None:
    page = _ok(served.client.get("/v1/relations", params={"focus": "true"}))
    focus = {"KOR", "PRK", "USA", "CHN", "JPN", "IND", "RUS"}
    assert page["pairs"] and all({p["country_a"], p["country_b"]} <= focus for p in page["pairs"])


def test_pair_series_with_intervals_range_and_smoothing(served: Served) -> None:
    series = _ok(served.client.get("/v1/relations/usa-kor", params={"smoothing": "7d"}))
    assert series["pair"] == "KOR-USA" and series["model_version"] == "2"
    assert series["end"] == LAST_DAY.isoformat()
    points = series["points"]
    assert len(points) > 20
    assert [p["day"] for p in points] == sorted(p["day"] for p in points)
    for p in points:
        assert p["value"] == p["score_7d"]
        assert -1 <= p["ci_low"] <= p["score"] <= p["ci_high"] <= 1
        assert abs(sum(p["class_shares"].values()) - 1) < 1e-9
        assert 0 < p["volume_share"] <= 1

    window = _ok(
        served.client.get(
            "/v1/relations/KOR-USA", params={"start": "2026-05-20", "end": "2026-05-25", "model_version": "1"}
        )
    )
    assert window["model_version"] == "1"
    assert all("2026-05-20" <= p["day"] <= "2026-05-25" for p in window["points"])
    assert window["points"] and all(p["value"] == p["score"] for p in window["points"])
    v2_by_day = {p["day"]: p["score"] for p in points}
    assert any(v2_by_day.get(p["day"]) != p["score"] for p in window["points"])  # versions differ


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("KOREA", "KOR-USA"),
        ("KOR-KOR", "two different countries"),
        ("XXX-USA", "unknown country code 'XXX'"),
        ("KOR-US", "KOR-USA"),
    ],
)
def test_bad_pair_is_a_422_naming_the_form(served: Served, pair: str, expected: str) -> None:
    resp = served.client.get(f"/v1/relations/{pair}")
    assert resp.status_code == 422, resp.text
    assert expected in resp.json()["detail"]


def test_other_bad_requests(served: Served) -> None:
    resp = served.client.get("/v1/relations/KOR-USA", params={"start": "2026-05-20", "end": "2026-05-01"})
    assert resp.status_code == 422 and "start" in resp.json()["detail"]
    resp = served.client.get("/v1/relations/KOR-USA", params={"smoothing": "weekly"})
    assert resp.status_code == 422
    resp = served.client.get("/v1/relations/KOR-USA/days/2026-13-01/sentences")
    assert resp.status_code == 422
    resp = served.client.get("/v1/relations", params={"model_version": "99"})
    assert resp.status_code == 404 and "99" in resp.json()["detail"]
    resp = served.client.get("/v1/relations/FRA-USA")
    assert resp.status_code == 404 and "FRA-USA" in resp.json()["detail"]
    resp = served.client.get("/v1/relations/KOR-USA/days/2020-01-01/sentences")
    assert resp.status_code == 404


# Regression (issue #21): dates at the edges of what `datetime.date` accepts went into date
# arithmetic (default start = end - 179 days) and answered 500.
EDGE_DATE_QUERIES = [
    {"end": "0001-01-01"},
    {"start": "0001-01-01"},
    {"start": "0001-01-01", "end": "9999-12-31", "smoothing": "30d"},
    {"end": "9999-12-31", "smoothing": "7d"},
    {"start": "9999-12-31", "end": "9999-12-31"},
]


@pytest.mark.parametrize(
    "params", EDGE_DATE_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_dates_outside_the_index_range_are_a_422_not_a_500(served: Served, params: dict[str, str]) -> None:
    resp = served.client.get("/v1/relations/KOR-USA", params=params)
    assert resp.status_code == 422, resp.text
    assert "between 1970-01-01 and 2199-12-31" in resp.json()["detail"], resp.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_drill_down_days_outside_the_index_range_are_a_422(served: Served, day: str) -> None:
    resp = served.client.get(f"/v1/relations/KOR-USA/days/{day}/sentences")
    assert resp.status_code == 422, resp.text
    assert "between 1970-01-01 and 2199-12-31" in resp.json()["detail"], resp.text


def test_paging_and_filters_out_of_range_are_a_422(served: Served) -> None:
    day = served.history.busiest["KOR-PRK"]
    for params in ({"offset": str(10**20)}, {"offset": str(2**63)}, {"limit": "9" * 40}):
        resp = served.client.get(f"/v1/relations/KOR-PRK/days/{day}/sentences", params=params)
        assert resp.status_code == 422, (params, resp.text)
    for params in ({"model_version": "1\x00"}, {"model_name": "a\x00b"}):
        resp = served.client.get("/v1/relations", params=params)
        assert resp.status_code == 422, (params, resp.text)


def test_day_drill_down(served: Served) -> None:
    day = served.history.busiest["KOR-PRK"]
    page = _ok(served.client.get(f"/v1/relations/PRK-KOR/days/{day}/sentences", params={"limit": 3}))
    assert page["pair"] == "KOR-PRK" and page["day"] == day.isoformat()
    assert page["index"]["sentence_count"] == page["total"] >= 3
    assert len(page["sentences"]) == 3
    everything = _ok(served.client.get(f"/v1/relations/KOR-PRK/days/{day}/sentences", params={"limit": 500}))
    sentences = everything["sentences"]
    assert len(sentences) == page["total"]
    strengths = [abs(s["polarity"]) for s in sentences]
    assert strengths == sorted(strengths, reverse=True)
    for s in sentences:
        assert s["url"].startswith("https://") and s["source"] and s["text"]
        assert s["probability"] == s["probabilities"][s["label"]]
    top = [s for s in sentences if s["top"]]
    assert 1 <= len(top) <= 5
    # The day's score is the mean of its sentences' polarities.
    mean = sum(s["polarity"] for s in sentences) / len(sentences)
    assert abs(mean - everything["index"]["score"]) < 1e-5
    offset = _ok(
        served.client.get(f"/v1/relations/KOR-PRK/days/{day}/sentences", params={"limit": 2, "offset": 1})
    )
    assert [s["sentence_id"] for s in offset["sentences"]] == [s["sentence_id"] for s in sentences[1:3]]


def test_dashboard_and_vendored_assets(served: Served) -> None:
    html = served.client.get("/dashboard")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "/dashboard/static/vendor/uplot/uPlot.iife.min.js" in html.text
    for name, kind in [
        ("dashboard.js", "text/javascript"),
        ("dashboard.css", "text/css"),
        ("challenger.js", "text/javascript"),
        ("vendor/uplot/uPlot.iife.min.js", "text/javascript"),
        ("vendor/uplot/uPlot.min.css", "text/css"),
    ]:
        resp = served.client.get(f"/dashboard/static/{name}")
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(kind), name
    for bad in ["../api.py", "..%2Fapi.py", ".hidden", "nope.js"]:
        assert served.client.get(f"/dashboard/static/{bad}").status_code == 404, bad


def test_vendored_chart_library_is_intact() -> None:
    vendor = STATIC_DIR / "vendor" / "uplot"
    for line in (vendor / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name


def test_database_down_is_a_503(
    start_uvicorn: Callable[..., Any], unused_db_url: str, tmp_path: Path
) -> None:
    server = start_uvicorn(app_factory=APP_FACTORY, env=app_env(unused_db_url, tmp_path / "state"))
    resp = httpx.get(f"{server.url}/v1/relations", timeout=30)
    assert resp.status_code == 503, resp.text
    assert "DATABASE_URL" in resp.json()["detail"]


@pytest.fixture
def unused_db_url() -> str:
    from tests.support.net import free_port

    return f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/nothing"
