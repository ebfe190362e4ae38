"""A version the quality floor rejected is never served, whatever alias or stage points at it:
the old version keeps serving (API and Celery worker), GET /v1/model says why, and a process
started afterwards serves nothing rather than the rejected model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import API_KEY_HEADERS, SENTENCES, Registry, wait_until
from tests.app.jobdata import insert_sentences
from tests.app.model_factory import register_judged_version
from tests.support.fixture_model import register_fixture_model

pytestmark = pytest.mark.slow


def test_a_rejected_version_is_never_served(
    db: str,
    registry: Registry,
    app_env: dict[str, str],
    conflibert_dir: Path,
    start_uvicorn,
    start_celery_worker,
    api,
) -> None:
    good = register_fixture_model(registry.tracking_uri, registry.name)
    assert good.verdict.passed
    registry.set_alias(good)
    server = start_uvicorn(env=app_env)
    worker = start_celery_worker(env=app_env)
    client = api(server.url)
    assert client.post("/v1/predict", json={"sentences": SENTENCES}).json()["model"]["version"] == good

    bad = register_judged_version(registry.tracking_uri, registry.name, registry.models["b"], conflibert_dir)
    tags = registry.client().get_model_version(registry.name, bad).tags
    assert tags["rejected"] == "true" and "int8 macro-F1" in tags["rejected_reasons"]
    registry.promote_stage(bad)  # a person moves it to Production ...
    registry.set_alias(bad)  # ... and points the alias at it

    def refused() -> bool:
        following = client.get("/v1/model").json()["following"]
        error = (following.get("load_error") or {}).get("error", "")
        return following["registry_live_version"] == bad and "rejected by the quality floor" in error

    wait_until(refused, 30, f"the server to refuse v{bad}")
    model = client.get("/v1/model").json()
    assert model["serving"]["version"] == good
    assert (
        f"v{bad} (alias champion) is rejected by the quality floor (int8 macro-F1"
        in model["following"]["load_error"]["error"]
    )
    assert client.post("/v1/predict", json={"sentences": SENTENCES}).json()["model"]["version"] == good

    # The worker refuses it too: a job submitted now is scored by the good version.
    insert_sentences(db, 20)
    job_id = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS).json()["id"]
    wait_until(
        lambda: client.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS).json()["status"] == "succeeded",
        60,
        "the job",
    )
    assert client.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS).json()["model_version"] == good
    # The worker checks the registry on its own poll: it may refuse v{bad} just after the job ran.
    wait_until(lambda: "rejected by the quality floor" in worker.log_tail(300), 30, "the worker to refuse it")

    # A process started now has no old version to keep: it serves nothing, and says why.
    fresh = api(start_uvicorn(env=app_env).url)
    answer = fresh.post("/v1/predict", json={"text": SENTENCES[0]})
    assert answer.status_code == 503 and "rejected by the quality floor" in answer.json()["detail"]
