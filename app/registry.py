"""The MLflow registry as the serving side sees it: which version is live, its record, its files.

Live is decided by `newsmodel.registry.live` (alias `champion` first, then stage `Production`),
the resolver every consumer shares; when alias and stage disagree, the alias wins and a warning
is logged once. A version's record (tags) says whether the quality floor rejected it and what
its files' digests are; its files land in the verified, content-keyed cache of
`newsmodel.registry.model_files`. MLflow errors become our own types here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmodel.errors import DependencyUnavailable, ModelNotAvailable
from newsmodel.logging import get_logger
from newsmodel.registry.digests import digests_from_tags
from newsmodel.registry.floor import rejection
from newsmodel.registry.live import LiveVersion, resolve_live_version
from newsmodel.registry.model_files import ModelFiles, fetch_model_files

__all__ = ["LiveVersion", "RegistryClient", "VersionRecord", "how_to_promote"]

log = get_logger(__name__)


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
class VersionRecord:
    """What the registry holds about one version that decides whether and how it is served."""

    name: str
    version: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def rejected_because(self) -> str | None:
        return rejection(self.tags)

    @property
    def digests(self) -> dict[str, str]:
        return digests_from_tags(self.tags)


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
        self._last_disagreement: str | None = None

    def _mlflow(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client

    def _unavailable(self, exc: Exception) -> DependencyUnavailable:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        return DependencyUnavailable("MLflow registry", "MLFLOW_TRACKING_URI", self.tracking_uri, reason)

    def resolve(self) -> LiveVersion | None:
        """The live version now, or None when nothing is promoted; DependencyUnavailable if MLflow is down."""
        live = resolve_live_version(self._mlflow(), self.name, self.alias, self.stage)
        disagreement = live.disagreement if live else None
        if disagreement and disagreement != self._last_disagreement:
            log.warning(
                "alias and stage disagree; the alias wins",
                model=self.name,
                alias=self.alias,
                alias_version=live.version if live else None,
                stage=self.stage,
                stage_version=live.stage_version if live else None,
            )
        self._last_disagreement = disagreement
        return live

    def record(self, version: str) -> VersionRecord:
        """The version's tags (floor verdict, digests); ModelNotAvailable when it is not registered."""
        from mlflow.exceptions import MlflowException

        try:
            mv = self._mlflow().get_model_version(self.name, str(version))
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
                raise ModelNotAvailable(f"{self.name} v{version} is not in the registry") from exc
            raise self._unavailable(exc) from exc
        except Exception as exc:  # connection errors surface untyped through MLflow
            raise self._unavailable(exc) from exc
        return VersionRecord(self.name, str(version), dict(mv.tags or {}))

    def download(
        self, version: str, dest_root: Path, variant: str, digests: dict[str, str] | None = None
    ) -> ModelFiles:
        """Fetch (or reuse, verified) what serving reads of one variant; see newsmodel.registry.model_files."""
        if digests is None:
            digests = self.record(version).digests
        return fetch_model_files(
            self._mlflow(), self.tracking_uri, self.name, str(version), variant, dest_root, digests
        )
