"""The serving download cache on MLflow's SQL store with local artifacts (no server needed):
keyed by variant and digest, verified before it is marked complete and again when reused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from newsmodel.errors import ModelNotAvailable
from newsmodel.registry.digests import digests_from_tags
from newsmodel.registry.model_files import COMPLETE_MARKER, fetch_model_files
from tests.app.model_factory import build_model_dir, register_model_version


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str, str, dict[str, str], Path]:
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("model-files")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_experiment("serving-tests", artifact_location=(root / "artifacts").as_uri())
    version = register_model_version(uri, "files-test", build_model_dir(root / "model", seed=3))
    digests = digests_from_tags(client.get_model_version("files-test", version).tags)
    return client, uri, version, digests, root


def test_verified_copies_per_variant_and_corruption_is_refetched(registered, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, uri, version, digests, _ = registered
    int8 = fetch_model_files(client, uri, "files-test", version, "int8", tmp_path, digests)
    fp32 = fetch_model_files(client, uri, "files-test", version, "fp32", tmp_path, digests)
    assert int8.path != fp32.path and int8.verified_by == fp32.verified_by == "sha256"
    assert int8.digest == digests["model.int8.onnx"] and int8.path.name == f"int8-{int8.digest[:16]}"
    assert not (int8.path / "artifacts" / "model.fp32.onnx").exists()  # one variant per folder

    onnx = int8.path / "artifacts" / "model.int8.onnx"
    onnx.write_bytes(b"not a model")
    again = fetch_model_files(client, uri, "files-test", version, "int8", tmp_path, digests)
    assert (
        hashlib.sha256(onnx.read_bytes()).hexdigest() == digests["model.int8.onnx"]
        and again.path == int8.path
    )

    (fp32.path / COMPLETE_MARKER).unlink()  # an interrupted download left no marker
    (fp32.path / "artifacts" / "model.fp32.onnx").write_bytes(b"half")
    fetch_model_files(client, uri, "files-test", version, "fp32", tmp_path, digests)
    assert (
        hashlib.sha256((fp32.path / "artifacts" / "model.fp32.onnx").read_bytes()).hexdigest()
        == digests["model.fp32.onnx"]
    )


def test_versions_without_digests_are_checked_by_size(registered, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, uri, version, _, _ = registered
    files = fetch_model_files(client, uri, "files-test", version, "int8", tmp_path, {})
    assert files.verified_by == "size" and files.path.name.startswith("int8-size")


def test_a_corrupt_registry_copy_is_never_loaded(registered, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, uri, version, digests, root = registered
    stored = next((root / "artifacts").rglob("model.int8.onnx"))
    original = stored.read_bytes()
    try:
        stored.write_bytes(original[: len(original) // 2])
        with pytest.raises(ModelNotAvailable, match=r"do not match what was registered .* after 2 tries"):
            fetch_model_files(client, uri, "files-test", version, "int8", tmp_path, digests)
        assert not list((tmp_path / "files-test" / version).glob("int8-*"))
    finally:
        stored.write_bytes(original)
