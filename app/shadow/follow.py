"""Build a process's shadow from its settings: a second follower on the `challenger` alias and
the mirror around it. Used by the API's lifespan and by each Celery worker process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.model_follower import ModelFollower, ModelHandle, load_handle
from app.registry import LiveVersion, RegistryClient
from app.shadow.budget import InferenceBudget
from app.shadow.metrics import ShadowMetrics
from app.shadow.mirror import ShadowMirror
from newsmodel.db.session import Database
from newsmodel.shadow.registry import push_live_figures
from newsmodel.shadow.store import ShadowSummary

if TYPE_CHECKING:
    from app.settings import AppSettings

__all__ = ["challenger_follower", "shadow_from_settings"]


def challenger_follower(settings: AppSettings, champion: ModelFollower, alias: str) -> ModelFollower:
    """Follow `alias` only (no stage). A challenger that is already the champion's version is the
    champion's own handle: nothing is loaded twice, and the mirror sees there is nothing to compare."""
    registry = RegistryClient(
        settings.mlflow_tracking_uri,
        settings.registered_model_name,
        alias=alias,
        stage="",
        storage_emulator_host=settings.storage_emulator_host,
    )

    def loader(live: LiveVersion) -> ModelHandle:
        current = champion.current
        if current is not None and (current.name, current.version) == (live.name, live.version):
            return current
        return load_handle(
            registry,
            live,
            settings.models_dir,
            variant=settings.model_variant,
            intra_op_threads=settings.shadow_intra_op_threads,
            inter_op_threads=1,
            allow_spinning=False,
        )

    return ModelFollower(
        registry,
        loader,
        poll_interval_s=settings.poll_interval_s,
        failed_retry_s=settings.failed_retry_s,
        private_roots=[(settings.models_dir, "<model cache>"), (Path.home(), "~")],
    )


def _registry_pusher(tracking_uri: str) -> Any:
    client: list[Any] = []

    def push(summary: ShadowSummary) -> dict[str, str]:
        if not client:
            from mlflow.tracking import MlflowClient

            client.append(MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri))
        return push_live_figures(client[0], summary)

    return push


def shadow_from_settings(
    settings: AppSettings, champion: ModelFollower, db: Database, metrics: ShadowMetrics, source: str
) -> ShadowMirror | None:
    """The process's mirror (not started), or None when shadowing is off or no alias is named."""
    alias = settings.model_challenger_alias
    if not settings.shadow_enabled or not alias:
        return None
    return ShadowMirror(
        champion,
        challenger_follower(settings, champion, alias),
        db,
        metrics,
        source=source,
        share=settings.shadow_share,
        budget=InferenceBudget(settings.shadow_cpu_budget),
        queue_sentences=settings.shadow_queue_sentences,
        flush_interval_s=settings.shadow_flush_interval_s,
        push_interval_s=settings.shadow_push_interval_s,
        sample_cap=settings.shadow_sample_cap,
        push=_registry_pusher(settings.mlflow_tracking_uri),
        max_champion_busy=settings.shadow_max_champion_busy,
    )
