"""The shadow's CPU budget: challenger inference seconds at most a share of the champion's.

Both sides are measured (the predictors time their own inference). The totals are halved each
time the champion's passes `window_s`, so the budget follows recent load rather than all history.
"""

from __future__ import annotations

import threading
import time
from collections import deque

__all__ = ["UTILIZATION_WINDOW_S", "InferenceBudget"]

UTILIZATION_WINDOW_S = 1.0


class InferenceBudget:
    """`allow()` while shadow seconds <= share x champion seconds (recent window)."""

    def __init__(self, share: float, window_s: float = 120.0) -> None:
        self.share = share
        self.window_s = window_s
        self.champion_s = 0.0
        self.shadow_s = 0.0
        self._readings: dict[int, float] = {}  # id(predictor) -> last busy_s seen
        self._raw_s = 0.0  # champion inference seconds, never decayed
        self._samples: deque[tuple[float, float]] = deque()  # (monotonic time, _raw_s)
        self._lock = threading.Lock()

    def observe_champion(self, key: int, busy_s: float, now: float | None = None) -> None:
        """Take a cumulative reading of a champion predictor's busy seconds (per predictor)."""
        with self._lock:
            self._sample(time.monotonic() if now is None else now)
            last = self._readings.get(key)
            self._readings[key] = busy_s
            if last is None:
                if len(self._readings) > 4:  # old versions' predictors: forget them
                    for old in list(self._readings)[:-4]:
                        del self._readings[old]
                return  # first reading of this predictor: a baseline (its warm-up is not traffic)
            delta = max(0.0, busy_s - last)
            self.champion_s += delta
            self._raw_s += delta
            self._samples[-1] = (self._samples[-1][0], self._raw_s)
            self._decay()

    def _sample(self, now: float) -> None:
        self._samples.append((now, self._raw_s))
        while len(self._samples) > 2 and now - self._samples[1][0] >= UTILIZATION_WINDOW_S:
            self._samples.popleft()

    def utilization(self, now: float | None = None) -> float:
        """Share of the last ~second the champion spent in inference (0 when unknown): above
        the mirror's limit the server is saturated and the shadow stands aside."""
        with self._lock:
            if len(self._samples) < 2:
                return 0.0
            t0, raw0 = self._samples[0]
            t1 = time.monotonic() if now is None else now
            return (self._raw_s - raw0) / (t1 - t0) if t1 > t0 else 0.0

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

    def allow(self, cost_s: float = 0.0) -> bool:
        """Whether a run expected to cost `cost_s` seconds still fits the budget."""
        if self.share <= 0:
            return False
        with self._lock:
            return self.shadow_s + cost_s <= self.share * self.champion_s

    @property
    def ratio(self) -> float:
        """Shadow seconds per champion second in the window (0 before any champion work)."""
        with self._lock:
            return self.shadow_s / self.champion_s if self.champion_s > 0 else 0.0
