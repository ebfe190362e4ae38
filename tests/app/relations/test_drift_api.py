"""`GET /v1/monitoring/drift` over HTTP on the seeded history (drift computed by the fixture, as the
index task does): the series per statistic, the estimated accuracy, the events, clear 4xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.app.relations.conftest import LAST_DAY, RelationsServer
from tests.newsmodel.relindex.seed import MODEL


@pytest.fixture
def client(relations_server: RelationsServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=relations_server.url, timeout=30) as c:
        yield c


def test_drift_series_events_and_estimated_accuracy(client: httpx.Client) -> None:
    resp = client.get("/v1/monitoring/drift", params={"model_version": "2", "days": 45})
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert (page["model_name"], page["model_version"], page["end"]) == (MODEL, "2", LAST_DAY.isoformat())
    stats = {s["statistic"]: s for s in page["series"]}
    # no tokenizer in the fixture's computation: the unknown-token rate is not judged, the rest is
    assert set(stats) == {"prediction_shares", "confidence", "sentence_length", "language_mix", "pair_mix"}
    judged = [p for s in stats.values() for p in s["points"] if p["status"] != "too_few"]
    assert judged, "the last days have a 30-day reference and are judged"
    for p in judged:
        assert 0.0 <= p["p_value"] <= 1.0 and p["distance"] is not None and p["n"] >= 10
        assert (p["status"] == "drift") == (
            p["p_value"] < p["alpha"] and abs(p["distance"]) >= p["min_distance"]
        )
    shares = stats["prediction_shares"]["points"]
    assert all(p["reference"] == "benchmark (test)" for p in shares)  # the registry's reference
    assert stats["pair_mix"]["points"][-1]["reference"].endswith("sentences)")  # the 30 days before
    assert page["events"] and {e["statistic"] for e in page["events"]} >= {"prediction_shares"}
    crossed = {
        (p["day"], s) for s, series in stats.items() for p in series["points"] if p["status"] == "drift"
    }
    assert {(e["day"], e["statistic"]) for e in page["events"]} == crossed  # one event per crossing
    accuracy = page["estimated_accuracy"]
    assert len(accuracy) == 45 and all(0 <= a["low"] <= a["accuracy"] <= a["high"] <= 1 for a in accuracy)
    t = page["thresholds"]
    assert t["prediction_alpha"] + 5 * t["other_alpha"] == pytest.approx(t["alpha_per_day"])

    # /metrics: the newest judged day of the default version (nothing live here: v2)
    samples = {
        (m.name, m.labels.get("statistic"), m.labels.get("model_version")): m.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for m in family.samples
    }
    for s, series in stats.items():
        last = series["points"][-1]
        if last["day"] == page["end"] and last["status"] != "too_few":
            assert samples[("newsmodel_drift", s, "2")] == (1.0 if last["status"] == "drift" else 0.0)
    assert samples[("newsmodel_estimated_accuracy", None, "2")] == pytest.approx(accuracy[-1]["accuracy"])

    only = client.get("/v1/monitoring/drift", params={"model_version": "2", "statistic": "pair_mix"}).json()
    assert [s["statistic"] for s in only["series"]] == ["pair_mix"]
    assert all(e["statistic"] == "pair_mix" for e in only["events"])


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"statistic": "colour"}, 422, "statistic"),
        ({"start": "2026-05-31", "end": "2026-05-01"}, 422, "after end"),
        ({"days": 0}, 422, "days"),
        ({"model_version": "99"}, 404, "99"),
    ],
)
def test_drift_bad_parameters(client: httpx.Client, params: dict[str, str], status: int, says: str) -> None:
    resp = client.get("/v1/monitoring/drift", params=params)
    assert resp.status_code == status and says in resp.text, resp.text
