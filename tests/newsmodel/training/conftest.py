"""Training fixtures live in tests/support/training.py (shared with the registry and gate tests,
so the tiny candidate is trained once per session); `tiny_overrides` is re-exported here."""

from __future__ import annotations

from tests.support.training import tiny_overrides

__all__ = ["tiny_overrides"]
