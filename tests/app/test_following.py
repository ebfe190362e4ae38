"""The API follows the registry: nothing promoted -> 503; promotions by stage, alias and webhook
swap the served version without a restart and without a failed request."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.app.conftest import API_KEY_HEADERS, SENTENCES, Hammer, Registry, wait_until
from tests.support.fixtures import TEST_WEBHOOK_SECRET
from tests.support.services import subprocess_env

pytestmark = pytest.mark.slow
RESULTS = Path("test-artifacts") / "app"


def _version(client: httpx.Client) -> str:
    r = client.post("/v1/predict", json={"sentences": SENTENCES})
    assert r.status_code == 200, r.text
    return str(r.json()["model"]["version"])


def _record(name: str, values: dict[str, float | str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(values, indent=2))
    print(f"\n{name}: {values}")


def test_nothing_promoted_answers_503_with_how_to_promote(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api
) -> None:
    registry.register("a")  # registered but not promoted
    server = start_uvicorn(env=app_env)
    client = api(server.url)
    assert client.get("/health").status_code == 200
    r = client.post("/v1/predict", json={"text": "Seoul and Tokyo signed a trade pact."})
    assert r.status_code == 503
    detail = r.json()["detail"]
    assert "champion" in detail and "Production" in detail and registry.name in detail
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["model"]["ok"] is False
    assert client.get("/v1/model").json()["serving"] is None


def _swap_under_load(
    registry: Registry,
    app_env: dict[str, str],
    start_uvicorn,
    api,
    hammer: Callable[[str], Hammer],
    promote: Callable[[str], None],
    label: str,
) -> None:
    v1, v2 = registry.register("a"), registry.register("b")
    promote(v1)
    server = start_uvicorn(env=app_env)
    client = api(server.url)
    assert _version(client) == v1
    first = client.post("/v1/predict", json={"text": SENTENCES[0]}).json()["predictions"][0]
    assert first["label"] == "conflict"  # model 'a' favours conflict
    pid = server.pid
    with hammer(server.url) as load:
        wait_until(lambda: len(load.ok) >= 20, 30, "traffic on v1")
        promoted_at = time.monotonic()
        promote(v2)
        wait_until(lambda: load.first_time_on(v2) is not None, 30, f"a prediction from v{v2}")
        switched_at = load.first_time_on(v2)
        wait_until(lambda: sum(1 for _, v in list(load.ok) if v == v2) >= 20, 30, "traffic on v2")
    assert load.failures == [], f"requests failed during the swap: {load.failures[:5]}"
    assert server.alive() and server.pid == pid  # no restart
    after = client.post("/v1/predict", json={"text": SENTENCES[0]}).json()
    assert after["model"]["version"] == v2 and after["predictions"][0]["label"] == "cooperation"
    assert switched_at is not None
    seconds = switched_at - promoted_at
    poll = float(app_env["APP_POLL_INTERVAL_S"])
    model = client.get("/v1/model").json()
    load_s = model["serving"]["load_seconds"]
    assert seconds <= poll + load_s + 3.0, f"took {seconds:.1f} s to serve v{v2}"
    versions = [v for _, v in load.ok]
    assert versions.index(v2) > 0 and v1 in versions
    metrics = client.get("/metrics").text
    assert f'newsmodel_model_version_info{{model_name="{registry.name}",model_version="{v2}"}} 1.0' in metrics
    _record(
        f"promotion-{label}",
        {
            "promotion_to_first_prediction_s": round(seconds, 3),
            "poll_interval_s": poll,
            "load_seconds": load_s,
            "requests_ok": len(load.ok),
            "requests_failed": len(load.failures),
        },
    )


# Promotion by stage is followed in tests/e2e/test_platform.py (A by stage, B by alias) and under
# load in tests/reliability/test_fault_registry.py; here the alias swap under load.
def test_promote_by_alias_swaps_without_restart_or_failures(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api, hammer
) -> None:
    _swap_under_load(registry, app_env, start_uvicorn, api, hammer, registry.set_alias, "alias")


def test_alias_wins_over_stage_when_they_disagree(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api
) -> None:
    v1, v2 = registry.register("a"), registry.register("b")
    registry.promote_stage(v1)
    registry.set_alias(v2)
    server = start_uvicorn(env=app_env)
    client = api(server.url)
    assert _version(client) == v2
    following = client.get("/v1/model").json()["following"]
    assert following["registry_live_via"] == "alias champion"
    assert "alias and stage disagree" in server.log_tail(200)


def test_webhook_moves_alias_long_before_the_next_poll(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api
) -> None:
    """The poll interval is 600 s, so only the webhook can explain a swap within seconds.

    The MLflow server caches its webhook list per event for MLFLOW_WEBHOOK_CACHE_TTL (60 s by
    default), so the first alias event after creating the webhook may reach nobody.
    """
    v1, v2 = registry.register("a"), registry.register("b")
    server = start_uvicorn(env={**app_env, "APP_POLL_INTERVAL_S": "600"})
    # Registered the way an operator would: `newsmodel-app register-webhook URL`.
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "newsmodel-app"),
            "register-webhook",
            f"{server.url}/v1/webhooks/mlflow",
        ],
        env=subprocess_env(app_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    hook_id = out.stdout.split()[1]
    client = api(server.url)
    try:
        # Alias events until the first delivery: an earlier test may have left the server's
        # cached (empty) webhook list for this event valid for up to 60 s.
        deadline = time.monotonic() + 90
        while client.post("/v1/predict", json={"text": "x"}).status_code != 200:
            assert time.monotonic() < deadline, "the webhook never delivered an alias event"
            registry.set_alias(v1)
            time.sleep(4)
        assert _version(client) == v1
        moved_at = time.monotonic()
        registry.set_alias(v2)
        waited = wait_until(lambda: _version(client) == v2, 75, "the webhook-triggered swap", interval=0.2)
    finally:
        registry.client().delete_webhook(hook_id)
    assert waited < 75  # far below the 600 s poll interval
    _record("promotion-webhook", {"promotion_to_first_prediction_s": round(time.monotonic() - moved_at, 3)})
    # Unsigned, badly signed and replayed deliveries are refused.
    body = json.dumps({"entity": "model_version_alias", "action": "created", "data": {"name": registry.name}})
    assert client.post("/v1/webhooks/mlflow", content=body).status_code == 401
    from app.security import sign_webhook

    ts = str(int(time.time()))
    headers = {
        "X-MLflow-Delivery-Id": "d-1",
        "X-MLflow-Timestamp": ts,
        "X-MLflow-Signature": sign_webhook("wrong-secret", "d-1", ts, body.encode()),
        "Content-Type": "application/json",
    }
    r = client.post("/v1/webhooks/mlflow", content=body, headers=headers)
    assert r.status_code == 401 and "signature" in r.json()["detail"]
    headers["X-MLflow-Signature"] = sign_webhook(TEST_WEBHOOK_SECRET, "d-1", ts, body.encode())
    assert client.post("/v1/webhooks/mlflow", content=body, headers=headers).status_code == 200
    r = client.post("/v1/webhooks/mlflow", content=body, headers=headers)
    assert r.status_code == 401 and "replay" in r.json()["detail"]
    old = str(int(time.time()) - 3600)
    headers.update(
        {
            "X-MLflow-Delivery-Id": "d-2",
            "X-MLflow-Timestamp": old,
            "X-MLflow-Signature": sign_webhook(TEST_WEBHOOK_SECRET, "d-2", old, body.encode()),
        }
    )
    assert client.post("/v1/webhooks/mlflow", content=body, headers=headers).status_code == 401
    assert client.post("/v1/admin/model/refresh").status_code == 401
    assert client.post("/v1/admin/model/refresh", headers=API_KEY_HEADERS).status_code == 200


def test_a_version_that_fails_to_load_keeps_the_old_one(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api, tmp_path: Path
) -> None:
    v1 = registry.register("a")
    registry.set_alias(v1)
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in registry.models["a"].iterdir():
        target = broken / item.name
        if item.is_dir():
            import shutil

            shutil.copytree(item, target)
        else:
            target.write_bytes(item.read_bytes())
    (broken / "model.int8.onnx").write_bytes(b"this is not an onnx file")
    registry.models["broken"] = broken
    server = start_uvicorn(env=app_env)
    client = api(server.url)
    assert _version(client) == v1
    v2 = registry.register("broken")
    registry.set_alias(v2)

    def failure_reported() -> bool:
        return client.get("/v1/model").json()["following"]["load_error"] is not None

    wait_until(failure_reported, 30, "the load failure to be reported")
    model = client.get("/v1/model").json()
    assert model["serving"]["version"] == v1
    assert model["following"]["load_error"]["version"] == v2
    assert "onnxruntime cannot load" in model["following"]["load_error"]["error"]
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["model"]["load_error"]["version"] == v2
    assert _version(client) == v1
    # What clients see names no server folder (the error said where the model cache is).
    state_dir = str(Path(app_env["NEWSMODEL_STATE_DIR"]).resolve())
    assert state_dir not in client.get("/v1/model").text and state_dir not in ready.text
    assert "<model cache>" in model["following"]["load_error"]["error"]

    # Rolled back to v1: nothing live is failing any more, so the error is no longer reported.
    registry.set_alias(v1)
    wait_until(lambda: not failure_reported(), 30, "the load error to clear after the rollback")
    assert client.get("/ready").json()["checks"]["model"].get("load_error") is None
