"""Variant-correct caches on the real stack: switching APP_MODEL_VARIANT needs no manual step, the
prediction cache never answers across variants, and a corrupt cached download is fetched again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.app.conftest import SENTENCES, Registry, wait_until

pytestmark = pytest.mark.slow


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _predict(client) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/v1/predict", json={"sentences": SENTENCES})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_variant_switch_cache_keys_and_a_corrupt_download(
    registry: Registry, app_env: dict[str, str], start_uvicorn, api, tmp_path: Path
) -> None:
    version = registry.register("a")
    registry.set_alias(version)
    cache_dir = tmp_path / "models"
    env = {**app_env, "APP_MODEL_CACHE_DIR": str(cache_dir)}
    int8_sha = _sha256(registry.models["a"] / "model.int8.onnx")
    fp32_sha = _sha256(registry.models["a"] / "model.fp32.onnx")

    server = start_uvicorn(env={**env, "APP_MODEL_VARIANT": "int8"})
    client = api(server.url)
    first = _predict(client)
    assert first["model"] == {
        "name": registry.name,
        "version": version,
        "variant": "int8",
        "artifact_sha256": int8_sha,
    }
    assert [p["cached"] for p in _predict(client)["predictions"]] == [True] * len(SENTENCES)
    server.stop()

    # Same download cache, same Redis: fp32 is fetched into its own folder and answers fresh.
    server = start_uvicorn(env={**env, "APP_MODEL_VARIANT": "fp32"})
    client = api(server.url)
    wait_until(lambda: client.get("/ready").status_code == 200, 60, "the fp32 server to be ready")
    switched = _predict(client)
    assert switched["model"]["variant"] == "fp32" and switched["model"]["artifact_sha256"] == fp32_sha
    assert [p["cached"] for p in switched["predictions"]] == [False] * len(SENTENCES)
    assert client.get("/v1/model").json()["serving"]["variant"] == "fp32"
    folders = sorted(p.name for p in (cache_dir / registry.name / version).iterdir())
    assert folders == [f"fp32-{fp32_sha[:16]}", f"int8-{int8_sha[:16]}"]
    server.stop()

    # A cached copy cut short (a disk filled up, a copy interrupted) is discarded and refetched.
    cached = cache_dir / registry.name / version / f"int8-{int8_sha[:16]}" / "artifacts" / "model.int8.onnx"
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])
    server = start_uvicorn(env={**env, "APP_MODEL_VARIANT": "int8"})
    client = api(server.url)
    wait_until(lambda: client.get("/ready").status_code == 200, 60, "the int8 server to be ready")
    again = _predict(client)
    assert again["model"]["variant"] == "int8" and _sha256(cached) == int8_sha
    assert "cached model copy discarded; fetching it again" in server.log_tail(300)
    # The same files as before: the int8 answers cached in the first run are valid and used.
    assert [p["cached"] for p in again["predictions"]] == [True] * len(SENTENCES)
    assert [p["label"] for p in again["predictions"]] == [p["label"] for p in first["predictions"]]
