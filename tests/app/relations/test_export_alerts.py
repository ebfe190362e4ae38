"""`/v1/relations/export` and `/v1/relations/alerts` over HTTP (uvicorn, real app, real Postgres),
on the package's seeded 45 days read by versions 1 and 2 (nothing live: no registry here)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator

import httpx
import pyarrow.parquet as pq
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.app.relations.conftest import LAST_DAY, RelationsServer
from tests.newsmodel.relindex.seed import MODEL


@pytest.fixture
def client(relations_server: RelationsServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=relations_server.url, timeout=60) as c:
        yield c


def test_export_csv_and_parquet_carry_version_method_and_checksum(client: httpx.Client) -> None:
    resp = client.get("/v1/relations/export", params={"format": "csv", "model_version": "1"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-content-sha256"] == hashlib.sha256(resp.content).hexdigest()
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert {r["model_version"] for r in rows} == {"1"}
    assert {r["method"] for r in rows} == {"quad5/mean-polarity/article-bootstrap-95-1000"}
    assert {"KOR-USA", "KOR>USA", "USA>KOR"} <= {r["pair"] for r in rows}
    assert all(r["computed_at"].endswith("+00:00") for r in rows)
    manifest = json.loads(resp.headers["x-export-manifest"])
    assert manifest["rows"] == len(rows) and manifest["sha256"] == resp.headers["x-content-sha256"]
    # the same number as the series endpoint serves
    series = client.get("/v1/relations/KOR-USA", params={"model_version": "1"}).json()
    last = series["points"][-1]
    exported = next(r for r in rows if r["pair"] == "KOR-USA" and r["day"] == last["day"])
    assert float(exported["score"]) == last["score"]

    both = client.get("/v1/relations/export", params={"format": "parquet", "all_versions": "true"})
    assert both.status_code == 200, both.text
    assert both.headers["x-content-sha256"] == hashlib.sha256(both.content).hexdigest()
    table = pq.read_table(io.BytesIO(both.content))
    assert set(table.column("model_version").to_pylist()) == {"1", "2"}
    assert table.num_rows == 2 * len(rows)
    assert table.schema.metadata[b"newsmodel.model_versions"] == b"1,2"

    for params, fragment in [
        ({"format": "xlsx"}, "format"),
        ({"pair": "KOREA"}, "KOR-USA"),
        ({"start": "2026-05-31", "end": "2026-05-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"all_versions": "true", "model_version": "1"}, "not both"),
    ]:
        bad = client.get("/v1/relations/export", params=params)
        assert bad.status_code == 422 and fragment in bad.text, (params, bad.text)
    assert client.get("/v1/relations/export", params={"model_version": "9"}).status_code == 404


def test_alerts_flag_the_pairs_that_moved_and_export_a_gauge(client: httpx.Client) -> None:
    page = client.get("/v1/relations/alerts", params={"model_version": "2"}).json()
    assert (page["model_name"], page["model_version"], page["as_of"]) == (MODEL, "2", LAST_DAY.isoformat())
    assert page["baseline_end"] < page["recent_start"]  # the windows do not overlap
    by_pair = {p["pair"]: p for p in page["pairs"]}
    # In the seeded history JPN-KOR keeps drifting toward cooperation and KOR-PRK's last week
    # bounces back from its low; CHN-KOR (0.1 -> 0.2) barely moves; CHN-USA has too few sentences.
    assert set(page["flagged"]) == {"JPN-KOR", "KOR-PRK"}
    assert by_pair["CHN-KOR"]["status"] == "ok" and by_pair["CHN-USA"]["status"] == "too_few"
    for name in page["flagged"]:
        p = by_pair[name]
        assert not p["baseline_low"] <= p["recent_score"] <= p["baseline_high"]
        assert min(p["recent_sentences"], p["baseline_sentences"]) >= page["min_sentences"]
        # the windows' scores are the index's own: sentence-weighted means of its daily scores
        for first, last, key in [
            (page["recent_start"], page["as_of"], "recent"),
            (page["baseline_start"], page["baseline_end"], "baseline"),
        ]:
            days = client.get(
                f"/v1/relations/{name}", params={"model_version": "2", "start": first, "end": last}
            ).json()["points"]
            count = sum(d["sentence_count"] for d in days)
            assert count == p[f"{key}_sentences"]
            assert sum(d["score"] * d["sentence_count"] for d in days) / count == pytest.approx(
                p[f"{key}_score"]
            )
    strict = client.get("/v1/relations/alerts", params={"model_version": "2", "min_sentences": 10_000}).json()
    assert strict["flagged"] == [] and {p["status"] for p in strict["pairs"]} == {"too_few"}
    assert client.get("/v1/relations/alerts", params={"min_sentences": 0}).status_code == 422
    assert client.get("/v1/relations/alerts", params={"as_of": "31-05-2026"}).status_code == 422

    # /metrics reads the default version (nothing live here: the newest computed, v2)
    metrics = client.get("/metrics").text
    newest = client.get("/v1/relations").json()["model_version"]
    flagged_now = client.get("/v1/relations/alerts", params={"model_version": newest}).json()["flagged"]
    samples = {
        (s.name, s.labels.get("pair"), s.labels.get("model_version")): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    assert samples[("newsmodel_index_alerts", None, None)] == len(flagged_now) > 0
    judged = {
        p: v for (name, p, ver), v in samples.items() if name == "newsmodel_index_alert" and ver == newest
    }
    assert {p for p, v in judged.items() if v == 1.0} == set(flagged_now)
