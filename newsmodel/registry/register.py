"""Log the model directory as a standard MLflow pyfunc model and register a version of it.

The pyfunc is models-from-code (`pyfunc_model.py`): nothing pickled. Its artifacts are exactly the
layout the server reads, so `models:/NAME/VERSION` downloads to `artifacts/{model.int8.onnx,
model.fp32.onnx, tokenizer/, label_map.json}`. The predictor module ships as code_paths, so the
model also loads where the newsmodel package is not installed.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from newsmodel.errors import DependencyUnavailable
from newsmodel.registry.layout import FP32_FILE, INT8_FILE, LABEL_MAP_FILE, TOKENIZER_DIR

__all__ = ["PYFUNC_MODEL_FILE", "log_pyfunc_model", "tag_model_version"]

PYFUNC_MODEL_FILE = Path(__file__).resolve().parent / "pyfunc_model.py"
_SERVE_PACKAGES = ("onnxruntime", "tokenizers", "numpy", "pandas")


def _requirements() -> list[str]:
    found = []
    for name in _SERVE_PACKAGES:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(name)
    return [*found, f"mlflow-skinny=={metadata.version('mlflow')}"]


def _stage_predictor_code(root: Path) -> Path:
    """A minimal `newsmodel` package copy (errors + predictor) for the model's code_paths."""
    import newsmodel
    import newsmodel.errors
    import newsmodel.predictor

    package = root / "newsmodel"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        '"""newsmodel: the predictor, as shipped inside an MLflow model."""\n'
    )
    for module in (newsmodel.errors, newsmodel.predictor):
        assert module.__file__ is not None
        shutil.copy2(module.__file__, package / Path(module.__file__).name)
    return package


def log_pyfunc_model(model_dir: Path, registered_model_name: str | None, input_example: Sequence[str]) -> Any:
    """Log under the active run; returns mlflow's ModelInfo (`registered_model_version` is set
    when `registered_model_name` is given)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    artifacts = {
        "model_int8": str(model_dir / INT8_FILE),
        "model_fp32": str(model_dir / FP32_FILE),
        "tokenizer": str(model_dir / TOKENIZER_DIR),
        "label_map": str(model_dir / LABEL_MAP_FILE),
    }
    if not (model_dir / FP32_FILE).is_file():
        # An int8-only version (e.g. the committed test fixture) serves int8 only.
        del artifacts["model_fp32"]
    with tempfile.TemporaryDirectory() as tmp:
        code = _stage_predictor_code(Path(tmp))
        try:
            with warnings.catch_warnings():
                # The model takes a list of sentences and infers its signature from the input
                # example below; MLflow's suggestion to add type hints does not apply.
                warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")
                return _log(mlflow, code, artifacts, input_example, registered_model_name)
        except MlflowException as exc:
            raise _logging_failure(mlflow.get_tracking_uri(), exc) from exc


def _log(
    mlflow: Any, code: Path, artifacts: dict[str, str], input_example: Sequence[str], name: str | None
) -> Any:
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(PYFUNC_MODEL_FILE),
        artifacts=artifacts,
        code_paths=[str(code)],
        # MLflow loads the model and runs the example to infer the signature: a load check.
        input_example=list(input_example),
        pip_requirements=_requirements(),
        model_config={"variant": "int8"},
        registered_model_name=name,
    )


def _logging_failure(tracking_uri: str, exc: Exception) -> DependencyUnavailable:
    """Name the part that failed: with proxied artifacts the tracking server answers but the
    artifact store behind it (GCS) may not, and then MLFLOW_TRACKING_URI is not what to fix."""
    text = str(exc)
    if "mlflow-artifacts" in text and _server_answers(tracking_uri):
        return DependencyUnavailable(
            "Artifact store behind the MLflow server",
            "the server's --artifacts-destination (GCS_BUCKET in compose) and its GCS credentials",
            tracking_uri,
            "the tracking server answered but uploading the model files through it failed; "
            f"check the server's log and that its bucket is reachable; nothing was registered ({text[:300]})",
        )
    return DependencyUnavailable(
        "MLflow", "MLFLOW_TRACKING_URI", tracking_uri, f"logging the model failed: {exc}"
    )


def _server_answers(tracking_uri: str) -> bool:
    """True when the tracking server's /health answers now (so the failure was behind it)."""
    import httpx

    if not tracking_uri.startswith(("http://", "https://")):
        return False
    try:
        return httpx.get(f"{tracking_uri.rstrip('/')}/health", timeout=3.0).status_code == 200
    except httpx.HTTPError:
        return False


def tag_model_version(client: Any, name: str, version: str, tags: dict[str, Any]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, str(value))
