"""Predict for a request: limits, cache, micro-batched inference, country detection.

The handle is taken once at the start, so the whole request is answered by one model version
even if a swap happens meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.batching import MicroBatcher
from app.cache import PredictionCache, cache_key
from app.errors import LimitExceeded
from app.metrics import AppMetrics
from app.model_follower import ModelFollower, ModelHandle
from newsmodel.countries import get_detector
from newsmodel.errors import DataError

__all__ = ["PredictionService", "check_limits"]

INLINE_DETECTION_CHARS = 4_000


def check_limits(texts: list[str], max_sentences: int, max_chars: int) -> None:
    """422 naming the limit (and the variable that sets it) for a request that exceeds one."""
    if len(texts) > max_sentences:
        raise LimitExceeded(
            f"too many sentences: {len(texts)} > {max_sentences} (limit APP_MAX_SENTENCES_PER_REQUEST); "
            "split the request or submit a job"
        )
    for i, text in enumerate(texts):
        if len(text) > max_chars:
            raise LimitExceeded(
                f"sentence {i} has {len(text)} characters > {max_chars} (limit APP_MAX_CHARS_PER_SENTENCE)"
            )
        if not text.strip():
            raise LimitExceeded(f"sentence {i} is empty")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # JSON can carry a lone surrogate escape ("\ud800")
                raise DataError(
                    f"sentence {i} is not valid Unicode text (it holds a lone surrogate such as \\ud800)"
                ) from None


def _countries(texts: list[str], date: dt.date | None = None) -> list[dict[str, Any]]:
    detector = get_detector()
    out = []
    for text in texts:
        mentions = detector.detect(text, date=date)
        out.append(
            {
                "countries": sorted({m.iso3 for m in mentions}),
                "country_pairs": detector.pairs(mentions),
                "mentions": [m.to_dict() for m in mentions],
                "_found": mentions,
            }
        )
    return out


def _directions(texts: list[str], found: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Who acts on whom, parsed only where a sentence has a pair (~5-10 ms each with spaCy)."""
    from newsmodel.countries.direction import get_direction_reader

    read = get_direction_reader().read_many(texts, [f["_found"] for f in found])
    return [[p.to_dict() for p in pairs] for pairs in read]


async def _with_directions(texts: list[str], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if any(f["country_pairs"] for f in found):
        directions = await asyncio.to_thread(_directions, texts, found)  # off the event loop
    else:
        directions = [[] for _ in texts]
    return [
        {
            "countries": f["countries"],
            "country_pairs": f["country_pairs"],
            "directions": d,
            "mentions": f["mentions"],
        }
        for f, d in zip(found, directions, strict=True)
    ]


@dataclass
class PredictionService:
    follower: ModelFollower
    batcher: MicroBatcher
    cache: PredictionCache
    metrics: AppMetrics
    max_sentences: int
    max_chars: int

    async def predict(
        self, texts: list[str], date: dt.date | None = None
    ) -> tuple[ModelHandle, list[dict[str, Any]]]:
        check_limits(texts, self.max_sentences, self.max_chars)
        handle = self.follower.require()
        with self.batcher.expect():
            return await self._predict(handle, texts, date)

    async def _predict(
        self, handle: ModelHandle, texts: list[str], date: dt.date | None = None
    ) -> tuple[ModelHandle, list[dict[str, Any]]]:
        if sum(len(t) for t in texts) <= INLINE_DETECTION_CHARS:
            found = _countries(texts, date)  # ~0.02 ms a sentence: cheaper than a thread hop
            directions_task = asyncio.create_task(_with_directions(texts, found))
            try:
                rows = await self._model_rows(handle, texts)
            finally:
                countries = await directions_task
        else:
            countries_task = asyncio.create_task(asyncio.to_thread(_countries, texts, date))
            try:
                rows = await self._model_rows(handle, texts)
            finally:
                countries = await _with_directions(texts, await countries_task)
        self.metrics.predictions.labels(model_version=handle.version).inc(len(texts))
        # SentencePrediction's fields, in its order: the route sends these dicts as they are.
        return handle, [
            {"label": row["label"], "probabilities": row["probabilities"], **c, "cached": row["cached"]}
            for row, c in zip(rows, countries, strict=True)
        ]

    async def _model_rows(self, handle: ModelHandle, texts: list[str]) -> list[dict[str, Any]]:
        keys = [
            cache_key(handle.name, handle.version, handle.predictor.variant, handle.digest, t) for t in texts
        ]
        cached = await self.cache.get_many(keys)
        miss_idx = [i for i, row in enumerate(cached) if row is None]
        self.metrics.cache_hits.inc(len(texts) - len(miss_idx))
        self.metrics.cache_misses.inc(len(miss_idx))
        rows: list[dict[str, Any]] = [{**row, "cached": True} if row else {} for row in cached]
        if miss_idx:
            fresh = await self.batcher.predict(handle, [texts[i] for i in miss_idx])
            for i, row in zip(miss_idx, fresh, strict=True):
                rows[i] = {**row, "cached": False}
            await self.cache.set_many({keys[i]: row for i, row in zip(miss_idx, fresh, strict=True)})
        return rows
