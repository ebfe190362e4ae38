"""What /v1/model and /ready report about following: the current state, and no server paths.

The follower is driven with a registry stand-in (its `resolve()` answers what the test says is
live) and a loader that fails for one version the way onnxruntime does, naming the file it
could not load. Following the real MLflow server is tests/app/test_following.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.model_follower import ModelFollower, ModelHandle
from app.registry import LiveVersion
from newsmodel.errors import ModelNotAvailable


class _Registry:
    name, alias, stage = "news-relation", "champion", "Production"

    def __init__(self) -> None:
        self.live: LiveVersion | None = None

    def resolve(self) -> LiveVersion | None:
        return self.live


def _follower(models_dir: Path, broken: set[str]) -> tuple[ModelFollower, _Registry]:
    registry = _Registry()

    def loader(live: LiveVersion) -> ModelHandle:
        if live.version in broken:
            onnx = models_dir / live.name / live.version / "artifacts" / "model.int8.onnx"
            raise ModelNotAvailable(f"onnxruntime cannot load {onnx}: Protobuf parsing failed")
        return ModelHandle(live.name, live.version, live.via, None, 0.0, 0.1)  # type: ignore[arg-type]

    follower = ModelFollower(
        registry,  # type: ignore[arg-type]
        loader,
        failed_retry_s=0.0,
        private_roots=[(models_dir, "<model cache>")],
    )
    return follower, registry


def _promote(follower: ModelFollower, registry: _Registry, version: str) -> dict[str, Any]:
    registry.live = LiveVersion("news-relation", version, "alias champion")
    follower.check_now()
    return follower.status()


def test_a_load_error_is_cleared_once_the_failed_version_is_no_longer_live(tmp_path: Path) -> None:
    follower, registry = _follower(tmp_path / "models", broken={"2"})
    assert _promote(follower, registry, "1")["load_error"] is None
    failed = _promote(follower, registry, "2")["load_error"]
    assert failed is not None and failed["version"] == "2"
    assert follower.current is not None and follower.current.version == "1"

    # Rolled back to the version being served: nothing is failing any more.
    assert _promote(follower, registry, "1")["load_error"] is None
    # Promoted again, still broken: reported again; then a good version: cleared.
    assert _promote(follower, registry, "2")["load_error"]["version"] == "2"
    assert _promote(follower, registry, "3")["load_error"] is None
    assert follower.current is not None and follower.current.version == "3"
    # Nothing promoted at all: no stale error either.
    _promote(follower, registry, "2")
    registry.live = None
    follower.check_now()
    assert follower.status()["load_error"] is None


def test_errors_shown_to_clients_carry_no_server_paths(tmp_path: Path) -> None:
    models = tmp_path / "models"
    follower, registry = _follower(models, broken={"1"})
    status = _promote(follower, registry, "1")
    error = status["load_error"]["error"]
    assert str(tmp_path) not in error and "<model cache>/news-relation/1" in error, error
    try:
        follower.require()  # what a predict request gets (503) while nothing is loaded
    except ModelNotAvailable as exc:
        assert str(tmp_path) not in str(exc) and "Protobuf parsing failed" in str(exc)
    else:
        raise AssertionError("require() served with nothing loaded")
