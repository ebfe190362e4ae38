"""The shadow's CPU budget: challenger inference seconds at most a share of the champion's.

Both sides are measured (the predictors time their own inference). The totals are halved each
time the champion's passes `window_s`, so the budget follows recent load rather than all history.
"""

from __future__ import annotations

import threading

__all__ = ["InferenceBudget"]


class InferenceBudget:
    """`allow()` while shadow seconds <= share x champion seconds (recent window)."""

    def __init__(self, share: float, window_s: float = 120.0) -> None:
        self.share = share
        self.window_s = window_s
        self.champion_s = 0.0
        self.shadow_s = 0.0
        self._readings: dict[int, float] = {}  # id(predictor) -> last busy_s seen
        self._lock = threading.Lock()

    def observe_champion(self, key: int, busy_s: float) -> None:
        """Take a cumulative reading of a champion predictor's busy seconds (per predictor)."""
        with self._lock:
            last = self._readings.get(key)
            self._readings[key] = busy_s
            if last is None:
                if len(self._readings) > 4:  # old versions' predictors: forget them
                    for old in list(self._readings)[:-4]:
                        del self._readings[old]
                return  # first reading of this predictor: a baseline (its warm-up is not traffic)
            self.champion_s += max(0.0, busy_s - last)
            self._decay()

    def add_champion(self, seconds: float) -> None:
        with self._lock:
            self.champion_s += max(0.0, seconds)
            self._decay()

    def add_shadow(self, seconds: float) -> None:
        with self._lock:
            self.shadow_s += max(0.0, seconds)

    def _decay(self) -> None:
        if self.champion_s > self.window_s:
            self.champion_s /= 2
            self.shadow_s /= 2

    def allow(self) -> bool:
        if self.share <= 0:
            return False
        with self._lock:
            return self.shadow_s <= self.share * self.champion_s

    @property
    def ratio(self) -> float:
        """Shadow seconds per champion second in the window (0 before any champion work)."""
        with self._lock:
            return self.shadow_s / self.champion_s if self.champion_s > 0 else 0.0
