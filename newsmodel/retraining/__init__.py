"""The retraining loop: requests (schedule, new labeled data, drift, manual) coalesce into one
queued run; one process at a time (a cross-process lock) trains the configured candidates,
gates them against the champion and sets the `challenger` alias. It never moves `champion`."""

from __future__ import annotations

from newsmodel.retraining.triggers import OUTCOMES, TRIGGERS

__all__ = ["OUTCOMES", "TRIGGERS"]
