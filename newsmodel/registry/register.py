"""A model directory as a standard MLflow pyfunc model, and a registered version of it.

The pyfunc is models-from-code (`pyfunc_model.py`): nothing pickled; the predictor module ships
as code_paths, so the model also loads where the newsmodel package is not installed. Two ways:
a training run's `model/` folder (already uploaded by the export and quantize stages) becomes the
pyfunc in place - only MLmodel, code and environment files are added, and the version points at
that folder, so each ONNX file is stored once (`pyfunc_files_for` + `register_run_model`); a
directory from elsewhere is logged as a new MLflow model with its own copy (`log_pyfunc_model`,
whose layout puts the files under `artifacts/`). The server reads either layout.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from newsmodel.errors import DependencyUnavailable
from newsmodel.registry.layout import FP32_FILE, INT8_FILE, LABEL_MAP_FILE, TOKENIZER_DIR

__all__ = [
    "PYFUNC_MODEL_FILE",
    "log_pyfunc_model",
    "pyfunc_files_for",
    "register_run_model",
    "tag_model_version",
]

PYFUNC_MODEL_FILE = Path(__file__).resolve().parent / "pyfunc_model.py"
_SERVE_PACKAGES = ("onnxruntime", "tokenizers", "numpy", "pandas")
# What the pair encoding needs besides (the country detector: newsmodel.text.pair_input).
_PAIR_PACKAGES = ("pyahocorasick", "rapidfuzz", "pyyaml", "pycountry")
# The detector's modules and data, shipped with a pair-aware version (not direction.py: spaCy).
_DETECTOR_FILES = (
    "__init__.py",
    "detector.py",
    "fuzzy.py",
    "gazetteer.py",
    "guards.py",
    "shorthand.py",
    "*.yaml",
    "data/*.csv",
)


def _pair_input(model_dir: Path) -> str | None:
    """The version's pair encoding (label_map.json `pair_input`), None for a sentence-level one."""
    from newsmodel.predictor import LabelMap

    return LabelMap.read(model_dir / LABEL_MAP_FILE).pair_input


def _requirements(pair_aware: bool = False) -> list[str]:
    found = []
    for name in (*_SERVE_PACKAGES, *(_PAIR_PACKAGES if pair_aware else ())):
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(name)
    return [*found, f"mlflow-skinny=={metadata.version('mlflow')}"]


def _stage_predictor_code(root: Path, pair_aware: bool = False) -> Path:
    """A minimal `newsmodel` package copy (errors + predictor; for a pair-aware version also the
    pair encoding and the country detector it runs) for the model's code_paths."""
    import newsmodel
    import newsmodel.countries
    import newsmodel.errors
    import newsmodel.predictor
    import newsmodel.text.pair_input

    package = root / "newsmodel"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        '"""newsmodel: the predictor, as shipped inside an MLflow model."""\n'
    )
    for module in (newsmodel.errors, newsmodel.predictor):
        assert module.__file__ is not None
        shutil.copy2(module.__file__, package / Path(module.__file__).name)
    if pair_aware:
        assert newsmodel.text.pair_input.__file__ is not None and newsmodel.countries.__file__ is not None
        (package / "text").mkdir()
        (package / "text" / "__init__.py").write_text('"""The pair encoding only."""\n')
        shutil.copy2(newsmodel.text.pair_input.__file__, package / "text" / "pair_input.py")
        source = Path(newsmodel.countries.__file__).parent
        for pattern in _DETECTOR_FILES:
            for found in source.glob(pattern):
                target = package / "countries" / found.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(found, target)
    return package


def _artifacts(model_dir: Path) -> dict[str, str]:
    artifacts = {
        "model_int8": str(model_dir / INT8_FILE),
        "model_fp32": str(model_dir / FP32_FILE),
        "tokenizer": str(model_dir / TOKENIZER_DIR),
        "label_map": str(model_dir / LABEL_MAP_FILE),
    }
    if not (model_dir / FP32_FILE).is_file():
        # An int8-only version (e.g. the committed test fixture) serves int8 only.
        del artifacts["model_fp32"]
    return artifacts


def _pair_signature(labels: Sequence[str]) -> Any:
    """A pair-aware version's signature: named columns, `text` required and `pair` optional (a
    list of sentences has no column for the pair)."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", "text"), ColSpec("string", "pair", required=False)]),
        outputs=Schema([ColSpec("string", "label"), *(ColSpec("float", f"p_{label}") for label in labels)]),
    )


def _pyfunc_options(code: Path, model_dir: Path, input_example: Sequence[str]) -> dict[str, Any]:
    pair_aware = _pair_input(model_dir) is not None
    options: dict[str, Any] = {
        "python_model": str(PYFUNC_MODEL_FILE),
        "artifacts": _artifacts(model_dir),
        "code_paths": [str(code)],
        # MLflow loads the model and runs the example to infer the signature: a load check.
        "input_example": list(input_example),
        "pip_requirements": _requirements(pair_aware),
        "model_config": {"variant": "int8"},
    }
    if pair_aware:
        import pandas as pd

        from newsmodel.predictor import LabelMap

        texts = list(input_example)
        # the example reads its first text for a pair and the rest as they are
        pairs = ["JPN-KOR", *[None] * (len(texts) - 1)] if texts else []
        options["input_example"] = pd.DataFrame({"text": texts, "pair": pairs})
        options["signature"] = _pair_signature(LabelMap.read(model_dir / LABEL_MAP_FILE).labels)
    return options


@contextmanager
def _quiet_signature_hint() -> Iterator[None]:
    with warnings.catch_warnings():
        # The model takes a list of sentences and infers its signature from the input example;
        # MLflow's suggestion to add type hints does not apply.
        warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")
        yield


def log_pyfunc_model(model_dir: Path, registered_model_name: str | None, input_example: Sequence[str]) -> Any:
    """Log under the active run as a new MLflow model (its own copy of the files); returns
    mlflow's ModelInfo (`registered_model_version` is set when `registered_model_name` is given)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory() as tmp:
        code = _stage_predictor_code(Path(tmp), _pair_input(model_dir) is not None)
        try:
            with _quiet_signature_hint():
                return mlflow.pyfunc.log_model(
                    name="model",
                    registered_model_name=registered_model_name,
                    **_pyfunc_options(code, model_dir, input_example),
                )
        except MlflowException as exc:
            raise _logging_failure(mlflow.get_tracking_uri(), exc) from exc


@contextmanager
def pyfunc_files_for(model_dir: Path, input_example: Sequence[str]) -> Iterator[Path]:
    """The pyfunc model's own files (MLmodel, code, environment, input example) for `model_dir`,
    in a temporary folder, with the MLmodel pointing at the model files *beside* it: uploaded next
    to a run's `model/` folder (which already holds the ONNX files), they make that folder a
    loadable pyfunc model without a second copy of any model file."""
    import mlflow
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "pyfunc"
        code = _stage_predictor_code(Path(tmp) / "code", _pair_input(model_dir) is not None)
        with _quiet_signature_hint():
            mlflow.pyfunc.save_model(path=str(saved), **_pyfunc_options(code, model_dir, input_example))
        mlmodel = yaml.safe_load((saved / "MLmodel").read_text(encoding="utf-8"))
        for spec in mlmodel["flavors"]["python_function"]["artifacts"].values():
            spec["path"] = str(spec["path"]).removeprefix("artifacts/")
            spec.pop("uri", None)  # a local path of the machine that saved it
        (saved / "MLmodel").write_text(yaml.safe_dump(mlmodel, sort_keys=False), encoding="utf-8")
        shutil.rmtree(saved / "artifacts")
        yield saved


def register_run_model(client: Any, name: str, run_id: str, artifact_path: str) -> str:
    """A version of `name` whose files are the run's `artifact_path` folder (no copy); its number."""
    import time

    from mlflow.exceptions import MlflowException

    run = client.get_run(run_id)
    source = f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}"
    try:
        with contextlib.suppress(MlflowException):
            client.create_registered_model(name)
        mv = client.create_model_version(name, source, run_id=run_id)
        deadline = time.monotonic() + 300
        while str(getattr(mv, "status", "READY")) == "PENDING_REGISTRATION" and time.monotonic() < deadline:
            time.sleep(1)
            mv = client.get_model_version(name, mv.version)
    except MlflowException as exc:
        raise _logging_failure(str(client.tracking_uri), exc) from exc
    return str(mv.version)


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
