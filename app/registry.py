"""The MLflow registry as the serving side sees it: which version is live, and its files.

Live = the version behind the configured alias (default `champion`) or, failing that, the
newest version in the configured stage (default `Production`). When both are set and
disagree, the alias wins and a warning is logged. MLflow errors become our own types here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import DependencyUnavailable, ModelNotAvailable
from newsmodel.logging import get_logger
from newsmodel.predictor import LABEL_MAP_FILE, TOKENIZER_FILE

__all__ = ["LiveVersion", "RegistryClient", "how_to_promote"]

log = get_logger(__name__)
_COMPLETE_MARKER = ".download-complete"


def how_to_promote(name: str, alias: str, stage: str) -> str:
    """The one line a user needs when nothing is live yet."""
    ways = []
    if alias:
        ways.append(
            f"set the alias '{alias}' on a version of '{name}' (MLflow UI: Models > {name} > Aliases)"
        )
    if stage:
        ways.append(f"move a version of '{name}' to stage '{stage}'")
    return f"no model version of '{name}' is promoted: {' or '.join(ways)}; the server picks it up by itself"


@dataclass(frozen=True)
class LiveVersion:
    """One registered model version and how it was found to be live ('alias champion')."""

    name: str
    version: str
    via: str


class RegistryClient:
    """A thin, typed wrapper around MlflowClient for one registered model name."""

    def __init__(
        self,
        tracking_uri: str,
        name: str,
        alias: str = "champion",
        stage: str = "Production",
        storage_emulator_host: str = "",
        http_timeout_s: int = 10,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.name = name
        self.alias = alias
        self.stage = stage
        # The google-cloud-storage client only reads the emulator address from the environment.
        if storage_emulator_host:
            os.environ.setdefault("STORAGE_EMULATOR_HOST", storage_emulator_host)
        # MLflow's defaults retry for minutes; a poller wants a quick answer and tries again later.
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(http_timeout_s))
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self._client: Any = None
        self._last_disagreement: tuple[str, str] | None = None

    def _mlflow(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client

    def _unavailable(self, exc: Exception) -> DependencyUnavailable:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        return DependencyUnavailable("MLflow registry", "MLFLOW_TRACKING_URI", self.tracking_uri, reason)

    def _version_by_alias(self) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self._mlflow().get_model_version_by_alias(self.name, self.alias).version)
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
                return None
            raise self._unavailable(exc) from exc

    def _version_by_stage(self) -> str | None:
        import warnings

        from mlflow.exceptions import MlflowException

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # stages are deprecated, still supported
                versions = self._mlflow().get_latest_versions(self.name, stages=[self.stage])
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
                return None
            raise self._unavailable(exc) from exc
        if not versions:
            return None
        return str(max(int(v.version) for v in versions))

    def resolve(self) -> LiveVersion | None:
        """The live version now, or None when nothing is promoted; DependencyUnavailable if MLflow is down."""
        try:
            by_alias = self._version_by_alias() if self.alias else None
            by_stage = self._version_by_stage() if self.stage else None
        except DependencyUnavailable:
            raise
        except Exception as exc:  # requests/urllib3 connection errors surface untyped through MLflow
            raise self._unavailable(exc) from exc
        if by_alias and by_stage and by_alias != by_stage:
            pair = (by_alias, by_stage)
            if pair != self._last_disagreement:
                log.warning(
                    "alias and stage disagree; the alias wins",
                    model=self.name,
                    alias=self.alias,
                    alias_version=by_alias,
                    stage=self.stage,
                    stage_version=by_stage,
                )
                self._last_disagreement = pair
        if by_alias:
            return LiveVersion(self.name, by_alias, f"alias {self.alias}")
        if by_stage:
            return LiveVersion(self.name, by_stage, f"stage {self.stage}")
        return None

    def download(self, version: str, dest_root: Path, variant: str) -> Path:
        """Fetch what serving reads (label map, tokenizer, one ONNX variant) into dest_root/name/version.

        Downloads into a temporary sibling and renames, so a half-finished download is never
        mistaken for a model; a completed one is reused after a restart.
        """
        import mlflow.artifacts
        from mlflow.exceptions import MlflowException

        final = dest_root / self.name / version
        if (final / _COMPLETE_MARKER).is_file():
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        # MLflow resolves `models:/` URIs against the global registry URI, not the one passed in,
        # so resolve the version's artifact location with our client and download from there.

        try:
            root = str(self._mlflow().get_model_version_download_uri(self.name, version)).rstrip("/")
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
                raise ModelNotAvailable(f"{self.name} v{version} is not in the registry") from exc
            raise self._unavailable(exc) from exc
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=final.parent))
        target = tmp / "artifacts"
        try:
            try:
                prefix = f"{root}/artifacts"
                self._fetch(mlflow.artifacts, f"{prefix}/{LABEL_MAP_FILE}", target)
            except ModelNotAvailable:
                prefix = root  # the files may sit at the model root instead
                self._fetch(mlflow.artifacts, f"{prefix}/{LABEL_MAP_FILE}", target)
            self._fetch(mlflow.artifacts, f"{prefix}/{TOKENIZER_FILE.parent}", target)
            self._fetch(mlflow.artifacts, f"{prefix}/model.{variant}.onnx", target)
            (tmp / _COMPLETE_MARKER).write_text(version)
            if final.exists():
                shutil.rmtree(final)
            tmp.rename(final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final

    def _fetch(self, artifacts: Any, uri: str, dst: Path) -> None:
        from mlflow.exceptions import MlflowException

        dst.mkdir(parents=True, exist_ok=True)
        try:
            artifacts.download_artifacts(
                artifact_uri=uri,
                dst_path=str(dst),
                tracking_uri=self.tracking_uri,
            )
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INTERNAL_ERROR"):
                raise ModelNotAvailable(f"cannot download {uri}: {exc.message[:200]}") from exc
            raise self._unavailable(exc) from exc
        except OSError as exc:
            raise ModelNotAvailable(f"cannot download {uri}: {exc}") from exc
