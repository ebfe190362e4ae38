"""Prometheus metrics of the shadow challenger, on the app's own registry.

In a Celery worker every pool process has its own mirror and these are merged across processes
(app.worker_metrics): each gauge says how (`multiprocess_mode`; ignored in the single-process API).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["ShadowMetrics"]


class ShadowMetrics:
    """Compared and dropped sentences, shadow seconds, the queue and the budget in use."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = registry or CollectorRegistry()
        self.compared = Counter(
            "newsmodel_shadow_sentences", "Sentences read by the challenger too", ["source"], registry=r
        )
        self.dropped = Counter(
            "newsmodel_shadow_dropped",
            "Sentences not mirrored: queue_full, budget (CPU share spent), busy (no idle gap), failed",
            ["reason"],
            registry=r,
        )
        self.skipped = Counter(
            "newsmodel_shadow_skipped", "Sentences left out by APP_SHADOW_SHARE sampling", registry=r
        )
        self.seconds = Counter(
            "newsmodel_shadow_inference_seconds", "Seconds of challenger inference", registry=r
        )
        self.queue = Gauge(
            "newsmodel_shadow_queue_sentences",
            "Sentences waiting for the challenger",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.budget_ratio = Gauge(
            "newsmodel_shadow_budget_ratio",
            "Challenger inference seconds per champion inference second (recent window)",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.agreement = Gauge(
            "newsmodel_shadow_agreement",
            "Live champion/challenger agreement (all processes, from the database)",
            ["challenger_version"],
            registry=r,
            multiprocess_mode="livemostrecent",
        )
        self.active = Gauge(
            "newsmodel_shadow_active",
            "1 while a challenger is being shadowed",
            registry=r,
            multiprocess_mode="livemax",
        )
