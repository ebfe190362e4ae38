"""Shadow challenger on real services: champion v1, challenger v2, live traffic -> agreement in
Postgres, on the registry version, on /v1/model/challenger and in `newsmodel challenger report`;
the CPU budget drops work (counted); promoting the challenger ends the run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app.conftest import API_KEY_HEADERS, SENTENCES, Registry, wait_until
from tests.support.services import subprocess_env

pytestmark = pytest.mark.slow


def _tags(registry: Registry, version: str) -> dict[str, str]:
    return dict(registry.client().get_model_version(registry.name, version).tags or {})


def _challenger(client: httpx.Client, headers: dict[str, str] = API_KEY_HEADERS) -> dict[str, Any]:
    r = client.get("/v1/model/challenger", params={"samples": 5}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_challenger_shadows_live_traffic_until_promoted(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api
) -> None:
    v1, v2 = registry.register("a"), registry.register("b")  # 'a' favours conflict, 'b' cooperation
    registry.set_alias(v1)
    registry.set_alias(v2, "challenger")
    # A small CPU share: on a fast CPU the challenger's batched runs cost ~0.12 of the champion's
    # one-request passes, so the default 0.25 may drop nothing; 0.05 must drop on any machine.
    budget = 0.05
    env = {
        **app_env,
        "APP_SHADOW_FLUSH_INTERVAL_S": "0.5",
        "APP_SHADOW_PUSH_INTERVAL_S": "1",
        "APP_SHADOW_CPU_BUDGET": str(budget),
    }
    server = start_uvicorn(env=env)
    client = api(server.url)
    wait_until(
        lambda: _challenger(client)["mirror"]["loaded_challenger_version"] == v2, 30, "the challenger loaded"
    )
    sent = 0
    for i in range(60):  # distinct sentences: cached answers cost the champion no inference
        r = client.post("/v1/predict", json={"sentences": [f"{s} ({i})" for s in SENTENCES]})
        assert r.status_code == 200 and r.json()["model"]["version"] == v1
        sent += len(SENTENCES)

    wait_until(lambda: _tags(registry, v2).get("live_n", "0") != "0", 30, "live_n on the challenger version")
    comparison = _challenger(client)["comparison"]
    assert (comparison["champion_version"], comparison["challenger_version"]) == (v1, v2)
    assert comparison["status"] == "shadowing" and 0 < comparison["n"] <= sent
    assert comparison["agreement"] < 0.5 and comparison["disagreements"]
    assert comparison["confusion"] and sum(comparison["challenger_confidence"]) == comparison["n"]
    public = _challenger(client, headers={})["comparison"]  # clients' sentences need the API key
    assert public["n"] >= comparison["n"] and public["disagreements"] == []
    tags = _tags(registry, v2)
    assert tags["live_champion_version"] == v1 and float(tags["live_agreement"]) < 0.5

    # The budget: the shadow used at most its share of the champion's inference time, and the
    # rest was dropped and counted.
    def counted() -> tuple[float, float]:
        text = client.get("/metrics").text
        dropped = sum(
            _metric(text, f'newsmodel_shadow_dropped_total{{reason="{why}"}}')
            for why in ("budget", "busy", "queue_full")
        )
        return _metric(text, 'newsmodel_shadow_sentences_total{source="api"}'), dropped

    wait_until(lambda: sum(counted()) == sent, 15, "the shadow queue to drain")
    compared, dropped = counted()
    text = client.get("/metrics").text
    ratio = _metric(text, "newsmodel_shadow_budget_ratio")
    seconds = _metric(text, "newsmodel_shadow_inference_seconds_total")
    print(
        f"\nshadow: sent {sent}, compared {compared:.0f}, dropped {dropped:.0f}, ratio {ratio:.3f}, {seconds:.4f} s"
    )
    assert compared + dropped == sent and dropped > 0 and compared > 0
    assert ratio < budget * 1.5  # runs are admitted on their expected cost: little overshoot

    report = subprocess.run(
        [str(Path(sys.executable).parent / "newsmodel"), "challenger", "report", "--model", registry.name],
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    assert f"challenger v{v2} vs champion v{v1} of {registry.name}: shadowing" in report.stdout
    print(report.stdout)
    assert "disagreements to read before promoting" in report.stdout
    assert any(s.split()[0] in report.stdout for s in SENTENCES)  # the sentences themselves

    registry.set_alias(v2)  # promoted in the UI: v2 is champion (the challenger alias may stay)
    wait_until(
        lambda: _tags(registry, v2).get("live_status") == "ended: promoted to champion",
        30,
        "the shadow run to end on promotion",
        interval=0.3,
    )
    body = _challenger(client)
    assert body["comparison"]["status"] == "ended: promoted to champion"
    r = client.post("/v1/predict", json={"sentences": ["Seoul and Tokyo held talks (after)."]})
    assert r.json()["model"]["version"] == v2
    after = _metric(client.get("/metrics").text, 'newsmodel_shadow_sentences_total{source="api"}')
    assert after == compared  # nothing mirrored once the challenger is the champion
