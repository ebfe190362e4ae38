"""Download what serving reads of one model version into a verified, content-keyed cache.

Cache layout: `ROOT/NAME/VERSION/VARIANT-DIGEST/artifacts/{label_map.json, tokenizer/*.json,
model.VARIANT.onnx}`, where DIGEST is the first 16 hex digits of the ONNX file's registered
sha256 (tag `artifact_digests`). A copy is marked complete only after every file matched its
digest, and is checked again each time it is reused: a partial or corrupt copy is discarded and
fetched again, and switching APP_MODEL_VARIANT simply finds (or fetches) another folder.
Versions registered before digests are checked against the registry listing's file sizes.
Only the files the predictor reads are fetched, one by one: anything else a version carries
(a pickled tokenizer, PyTorch weights) is never downloaded, hashed or opened by the server.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import DependencyUnavailable, ModelNotAvailable
from newsmodel.logging import get_logger
from newsmodel.registry.digests import sha256_file
from newsmodel.settings import redact_url

__all__ = ["COMPLETE_MARKER", "ModelFiles", "fetch_label_map", "fetch_model_files"]

log = get_logger(__name__)
COMPLETE_MARKER = ".complete.json"
LABEL_MAP = "label_map.json"
TOKENIZER = "tokenizer"
# What newsmodel.predictor reads of the tokenizer folder (never a pickle or a weights file).
SERVING_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_SERVING_TOKENIZER = {f"{TOKENIZER}/{n}" for n in SERVING_TOKENIZER_FILES}
_ABSENT = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INTERNAL_ERROR")
_STALE_TMP_S = 3600


@dataclass(frozen=True)
class ModelFiles:
    """A verified local copy of one version's serving files."""

    path: Path  # holds artifacts/...
    variant: str
    digest: str  # sha256 of model.VARIANT.onnx ("size:N" for versions without digests)
    verified_by: str  # "sha256" or "size"


def _wanted(digests: Mapping[str, str], variant: str) -> dict[str, str]:
    onnx = f"model.{variant}.onnx"
    return {rel: d for rel, d in digests.items() if rel in (LABEL_MAP, onnx) or rel in _SERVING_TOKENIZER}


def _mismatches(root: Path, expected: Mapping[str, str], by: str) -> list[str]:
    bad = []
    for rel, want in expected.items():
        path = root / rel
        if not path.is_file():
            bad.append(f"{rel} missing")
        elif by == "sha256" and sha256_file(path) != want:
            bad.append(f"{rel} sha256 differs")
        elif by == "size" and str(path.stat().st_size) != want:
            bad.append(f"{rel} has {path.stat().st_size} bytes, not {want}")
    return bad


class _Fetcher:
    """One version's files from the registry (MLflow artifacts), with typed errors."""

    def __init__(self, client: Any, tracking_uri: str, name: str, version: str) -> None:
        self.client, self.tracking_uri, self.name, self.version = client, tracking_uri, name, version

    def _unavailable(self, exc: Exception) -> DependencyUnavailable:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        return DependencyUnavailable(
            "MLflow registry", "MLFLOW_TRACKING_URI", redact_url(self.tracking_uri), reason
        )

    def prefix(self) -> str:
        """Where the version's serving files are: `<model>/artifacts` (the pyfunc layout) or the root."""
        from mlflow.exceptions import MlflowException

        # MLflow resolves `models:/` URIs against the global registry URI, not the client's, so
        # the version's location comes from our client.
        try:
            root = str(self.client.get_model_version_download_uri(self.name, self.version)).rstrip("/")
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
                raise ModelNotAvailable(f"{self.name} v{self.version} is not in the registry") from exc
            raise self._unavailable(exc) from exc
        listed = {Path(f.path).name for f in self.listing(root)}
        return f"{root}/artifacts" if "artifacts" in listed else root

    def listing(self, uri: str) -> list[Any]:
        import mlflow.artifacts
        from mlflow.exceptions import MlflowException

        try:
            return list(mlflow.artifacts.list_artifacts(artifact_uri=uri, tracking_uri=self.tracking_uri))
        except MlflowException as exc:
            raise self._unavailable(exc) from exc

    def sizes(self, prefix: str, variant: str) -> dict[str, str]:
        """File sizes from the registry listing: the check for versions without digests."""
        out = {}
        for info in self.listing(prefix):
            name = Path(info.path).name
            if name in (LABEL_MAP, f"model.{variant}.onnx") and not info.is_dir:
                out[name] = str(info.file_size)
        for info in self.listing(f"{prefix}/{TOKENIZER}"):
            if not info.is_dir and Path(info.path).name in SERVING_TOKENIZER_FILES:
                out[f"{TOKENIZER}/{Path(info.path).name}"] = str(info.file_size)
        return out

    def fetch(self, uri: str, dst: Path) -> None:
        import mlflow.artifacts
        from mlflow.exceptions import MlflowException

        dst.mkdir(parents=True, exist_ok=True)
        try:
            mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=str(dst), tracking_uri=self.tracking_uri
            )
        except MlflowException as exc:
            if exc.error_code in _ABSENT:
                raise ModelNotAvailable(f"cannot download {uri}: {exc.message[:200]}") from exc
            raise self._unavailable(exc) from exc
        except OSError as exc:
            raise ModelNotAvailable(f"cannot download {uri}: {exc}") from exc


def _reuse(final: Path, expected: Mapping[str, str], by: str) -> bool:
    """True when a complete, intact copy is there; a partial or corrupt one is removed."""
    if not final.exists():
        return False
    problems = (
        _mismatches(final / "artifacts", expected, by)
        if (final / COMPLETE_MARKER).is_file()
        else ["no completion marker (interrupted download)"]
    )
    if not problems:
        return True
    log.warning("cached model copy discarded; fetching it again", path=str(final), problems=problems[:3])
    shutil.rmtree(final, ignore_errors=True)
    return False


def _clear_stale_tmp(parent: Path) -> None:
    for tmp in parent.glob(".tmp-*"):
        try:
            if time.time() - tmp.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            continue


def fetch_model_files(
    client: Any,
    tracking_uri: str,
    name: str,
    version: str,
    variant: str,
    cache_root: Path,
    digests: Mapping[str, str],
    attempts: int = 2,
) -> ModelFiles:
    """A verified local copy of `variant`'s serving files (cached, or fetched and checked now).

    ModelNotAvailable when the registry's copy itself does not match its digests (after
    `attempts` downloads): the version is not loaded rather than loaded corrupt.
    """
    fetcher = _Fetcher(client, tracking_uri, name, version)
    onnx = f"model.{variant}.onnx"
    expected, by, prefix = _wanted(digests, variant), "sha256", None
    if onnx not in expected:
        prefix = fetcher.prefix()
        expected, by = fetcher.sizes(prefix, variant), "size"
        if onnx not in expected:
            raise ModelNotAvailable(f"{name} v{version} has no {onnx}: this version cannot serve {variant}")
    digest = expected[onnx][:16] if by == "sha256" else f"size:{expected[onnx]}"
    final = cache_root / name / str(version) / f"{variant}-{digest.replace(':', '')}"
    if _reuse(final, expected, by):
        return ModelFiles(final, variant, expected[onnx] if by == "sha256" else digest, by)
    final.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale_tmp(final.parent)
    prefix = prefix or fetcher.prefix()
    problems: list[str] = []
    for attempt in range(1, attempts + 1):
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{variant}-", dir=final.parent))
        try:
            target = tmp / "artifacts"
            for rel in sorted(expected):
                fetcher.fetch(f"{prefix}/{rel}", (target / rel).parent)
            problems = _mismatches(target, expected, by)
            if not problems:
                (tmp / COMPLETE_MARKER).write_text(json.dumps({"verified_by": by, "files": dict(expected)}))
                if final.exists():  # another process finished first; theirs was verified too
                    shutil.rmtree(final, ignore_errors=True)
                tmp.rename(final)
                log.info("model files fetched", model=name, version=version, variant=variant, verified_by=by)
                return ModelFiles(final, variant, expected[onnx] if by == "sha256" else digest, by)
            log.warning(
                "downloaded model files do not match the registry", attempt=attempt, problems=problems[:3]
            )
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    raise ModelNotAvailable(
        f"{name} v{version}: the downloaded {variant} files do not match what was registered "
        f"({'; '.join(problems[:3])}) after {attempts} tries; not loading a corrupt model"
    )


def fetch_label_map(client: Any, tracking_uri: str, name: str, version: str) -> dict[str, Any]:
    """Only `label_map.json` of a version (small; what the relation index needs of it).

    ModelNotAvailable when the version or the file is not in the registry.
    """
    fetcher = _Fetcher(client, tracking_uri, name, version)
    prefix = fetcher.prefix()
    with tempfile.TemporaryDirectory(prefix="label-map-") as tmp:
        fetcher.fetch(f"{prefix}/{LABEL_MAP}", Path(tmp))
        try:
            content = json.loads((Path(tmp) / LABEL_MAP).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelNotAvailable(f"{name} v{version}: cannot read {LABEL_MAP} ({exc})") from exc
    if not isinstance(content, dict):
        raise ModelNotAvailable(f"{name} v{version}: {LABEL_MAP} is not a JSON object")
    return content
