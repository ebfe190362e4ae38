"""Put the live shadow figures on the challenger's model version, where the person promoting
in the MLflow UI sees them: tags on the version, and a metric history on its run."""

from __future__ import annotations

from typing import Any

from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger
from newsmodel.settings import redact_url
from newsmodel.shadow.store import ShadowSummary

__all__ = ["live_tags", "push_live_figures"]

log = get_logger(__name__)


def live_tags(summary: ShadowSummary) -> dict[str, str]:
    """The version tags (strings) that describe the shadow run so far."""
    t = summary.total
    ci = t.interval()
    tags = {
        "live_n": str(t.n),
        "live_agreement": f"{t.agreement:.4f}" if t.agreement is not None else "",
        "live_agreement_ci95": f"{ci[0]:.4f}-{ci[1]:.4f}" if ci else "",
        "live_champion_version": summary.champion_version,
        "live_status": summary.status,
        "live_updated_at": summary.updated_at.isoformat(timespec="seconds"),
        "live_disagreements_stored": str(summary.disagreements_stored),
    }
    for source, part in sorted(summary.by_source.items()):
        tags[f"live_n_{source}"] = str(part.n)
    return tags


def push_live_figures(client: Any, summary: ShadowSummary) -> dict[str, str]:
    """Set the tags on the challenger version and log live_agreement/live_n on its run (step n).

    DependencyUnavailable when the registry does not answer; the caller retries at its next push.
    """
    tags = live_tags(summary)
    name, version = summary.model_name, summary.challenger_version
    try:
        # One call per tag: live_n goes last, so whoever sees the new count sees the rest with it.
        for key in sorted(tags, key=lambda k: k == "live_n"):
            client.set_model_version_tag(name, version, key, tags[key])
        run_id = getattr(client.get_model_version(name, version), "run_id", None)
        if run_id and summary.total.agreement is not None:
            step = summary.total.n
            client.log_metric(run_id, "live_agreement", summary.total.agreement, step=step)
            client.log_metric(run_id, "live_n", float(step), step=step)
    except Exception as exc:  # MlflowException and untyped connection errors alike
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        uri = redact_url(str(getattr(client, "tracking_uri", "") or ""))
        raise DependencyUnavailable("MLflow registry", "MLFLOW_TRACKING_URI", uri, reason) from exc
    return tags
