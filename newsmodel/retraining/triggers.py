"""What may start a retraining run, and how a request and its outcome are named (no I/O here)."""

from __future__ import annotations

from typing import Literal

__all__ = ["OUTCOMES", "TRIGGERS", "Outcome", "Trigger"]

Trigger = Literal["schedule", "data", "drift", "manual"]
TRIGGERS: tuple[str, ...] = ("schedule", "data", "drift", "manual")

# challenger_set: a gated candidate holds the challenger alias now; gate_refused: no candidate
# passed the gate (worse, refused, rejected by the quality floor, not registered); failed: an error.
Outcome = Literal["challenger_set", "gate_refused", "failed"]
OUTCOMES: tuple[str, ...] = ("challenger_set", "gate_refused", "failed")
