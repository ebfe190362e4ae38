"""Predict for a request: limits, cache, micro-batched inference, country analysis.

The handle is taken once at the start, so the whole request is answered by one model version
even if a swap happens meanwhile. A request reads the cache once (model rows and
country analyses in one MGET) and, for what missed, writes once after answering; with Redis,
the requests of one loop turn share those round trips (app.cache_coalescing). The country analysis
(detection, then a spaCy parse for sentences with a pair: the most expensive step per sentence,
see BENCHMARKS.md) runs beside the model: inline when no sentence has a pair, in one of two
threads for requests of up to a few / up to BULK_MIN sentences, and for larger ones in slices in
a low-priority child process (app.analysis_pool), so a single sentence is not parsed after
three 256-sentence requests. A pair-aware version reads each sentence once per country pair
(app.pair_reading): its texts are detected first, and each pair's marked text is a read of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from app.analysis_batching import AnalysisCoalescer
from app.analysis_pool import BulkAnalysisPool
from app.batching import MicroBatcher
from app.cache import PredictionCache, analysis_key
from app.errors import LimitExceeded
from app.metrics import AppMetrics
from app.model_follower import ModelFollower, ModelHandle
from app.pair_reading import ReadPlan, assemble_rows, plan_reads, shadow_reads
from app.shadow.mirror import NO_SHADOW, ShadowHook
from newsmodel.countries import get_detector
from newsmodel.errors import DataError, ModelNotAvailable
from newsmodel.logging import get_logger

__all__ = ["PredictionService", "analyse", "analyse_texts", "check_limits"]

log = get_logger(__name__)

INLINE_DETECTION_CHARS = 4_000
# A pair-aware version reads each sentence once per country pair: a request may hold this many
# readings per allowed sentence (a sentence naming 40 countries has 780 pairs).
PAIR_READS_PER_SENTENCE = 4
# Sentences to analyse: up to SMALL_ANALYSIS in one thread, up to BULK_MIN in another; more in
# the bulk process, BULK_SLICE per task so that concurrent large requests interleave.
SMALL_ANALYSIS = 4
BULK_MIN = 32
BULK_SLICE = 16
# Small requests analysed together: at most this many sentences in one call.
SMALL_BATCH_TEXTS = 64
_SMALL_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis-small")
_MEDIUM_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis-medium")


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


def analyse_texts(texts: list[str], date: dt.date | None) -> list[dict[str, Any]]:
    """Countries, pairs, mentions and directions of `texts`: the model-independent part of a row."""
    found = _countries(texts, date)
    pairs = any(f["country_pairs"] for f in found)
    directions = _directions(texts, found) if pairs else [[] for _ in texts]
    return [
        {
            "countries": f["countries"],
            "country_pairs": f["country_pairs"],
            "directions": d,
            "mentions": f["mentions"],
        }
        for f, d in zip(found, directions, strict=True)
    ]


def _detected_analyses(found: list[dict[str, Any]], directions: list[Any] | None) -> list[dict[str, Any]]:
    """Analyses from detection alone, every row's `directions` set to `directions`: [] where no
    sentence has a pair (nothing to parse), None where the request asked for no parse (null: not
    parsed, which is not the same as parsed and none found)."""
    return [
        {
            "countries": f["countries"],
            "country_pairs": f["country_pairs"],
            "directions": directions,
            "mentions": f["mentions"],
        }
        for f in found
    ]


async def _detect(texts: list[str], date: dt.date | None) -> list[dict[str, Any]]:
    """Detection alone: inline for small requests (~0.02 ms a sentence, cheaper than a thread
    hop), else off the event loop."""
    if sum(len(t) for t in texts) <= INLINE_DETECTION_CHARS:
        return _countries(texts, date)
    return await asyncio.to_thread(_countries, texts, date)


def _detect_only(texts: list[str], date: dt.date | None) -> list[dict[str, Any]] | None:
    """The analyses when no sentence has a pair (no parse needed), else None: detection costs
    ~0.02 ms a sentence, cheaper than a thread hop."""
    found = _countries(texts, date)
    if any(f["country_pairs"] for f in found):
        return None
    return _detected_analyses(found, [])


async def analyse(
    texts: list[str], date: dt.date | None, bulk: BulkAnalysisPool, small: AnalysisCoalescer | None = None
) -> list[dict[str, Any]]:
    """`analyse_texts` off the event loop, fairly between small and large requests; small ones
    that arrive together are analysed in one call (`small`, app.analysis_batching)."""
    if not texts:
        return []
    if sum(len(t) for t in texts) <= INLINE_DETECTION_CHARS and (found := _detect_only(texts, date)):
        return found
    loop = asyncio.get_running_loop()
    if len(texts) <= SMALL_ANALYSIS and small is not None:
        return await small.analyse(texts, date)
    if len(texts) <= BULK_MIN:
        pool = _SMALL_POOL if len(texts) <= SMALL_ANALYSIS else _MEDIUM_POOL
        return await loop.run_in_executor(pool, analyse_texts, texts, date)
    out: list[dict[str, Any]] = []
    for start in range(0, len(texts), BULK_SLICE):
        out += await loop.run_in_executor(
            bulk.executor(), analyse_texts, texts[start : start + BULK_SLICE], date
        )
    return out


@dataclass
class PredictionService:
    follower: ModelFollower
    batcher: MicroBatcher
    cache: PredictionCache
    metrics: AppMetrics
    max_sentences: int
    max_chars: int
    shadow: ShadowHook = NO_SHADOW  # the challenger's mirror (app.shadow): queues, never waits
    bulk: BulkAnalysisPool = field(default_factory=BulkAnalysisPool)
    small_analyses: AnalysisCoalescer = field(
        default_factory=lambda: AnalysisCoalescer(analyse_texts, _SMALL_POOL, max_texts=SMALL_BATCH_TEXTS)
    )

    _writes: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.small_analyses.on_call is None:
            self.small_analyses.on_call = self.metrics.analysis_batch.observe

    def close(self) -> None:
        self.bulk.close()

    def _write_behind(self, writes: dict[str, dict[str, Any]]) -> None:
        """Store fresh rows without making the answer wait for the cache's round trip (a cold
        one-sentence request answers a Redis round trip sooner): the write starts on the event
        loop's next turn. A lost write costs a recomputation later, never a wrong answer; a
        failed one is logged."""
        if not writes:
            return
        task = asyncio.get_running_loop().create_task(self.cache.set_many(writes))
        self._writes.add(task)
        task.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[None]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("cache write failed", error=str(exc))

    async def predict(
        self,
        texts: list[str],
        date: dt.date | None = None,
        pair: tuple[str, str] | None = None,
        directions: bool = True,
    ) -> tuple[ModelHandle, list[dict[str, Any]]]:
        """The live version's rows for `texts` (SentencePrediction's fields, in its order: the
        route sends them as they are), read for `pair` when one is asked (see app.pair_reading).
        Without `directions` pair sentences are not parsed (detection only; `directions` null)."""
        check_limits(texts, self.max_sentences, self.max_chars)
        handle = self.follower.require()
        with self.batcher.expect():
            rows = await self._rows(handle, texts, date, pair, directions)
        self.metrics.predictions.labels(model_version=handle.version).inc(len(texts))
        self.shadow.offer(handle, *shadow_reads(texts, pair, rows, self.shadow.reads_pairs(handle)))
        return handle, rows

    async def _plan(
        self,
        handle: ModelHandle,
        texts: list[str],
        date: dt.date | None,
        pair: tuple[str, str] | None,
        detected: list[dict[str, Any]] | None,
    ) -> ReadPlan:
        """The request's reads; a pair-aware version needs each text's pairs first (`detected`,
        or detection here)."""
        found = None
        if handle.predictor.pair_aware:
            detected = detected if detected is not None else await _detect(texts, date)
            found = [(f["_found"], f["country_pairs"]) for f in detected]
        plan = plan_reads(handle, texts, pair, found)
        most = PAIR_READS_PER_SENTENCE * self.max_sentences
        if len(plan.reads) > most:
            raise LimitExceeded(
                f"too many readings: the sentences name {len(plan.reads)} country pairs in all, more than "
                f"{most} ({PAIR_READS_PER_SENTENCE} x APP_MAX_SENTENCES_PER_REQUEST); send fewer sentences"
            )
        return plan

    async def _rows(
        self,
        handle: ModelHandle,
        texts: list[str],
        date: dt.date | None,
        pair: tuple[str, str] | None,
        directions: bool = True,
    ) -> list[dict[str, Any]]:
        # Without directions the analysis is detection alone: done here, neither cached nor read
        # from the cache (cheaper than its round trip), and never stored where a full one belongs.
        # A pair-aware version needs it before its reads are known; a sentence-level one's cache
        # read goes out first and detection runs while Redis answers.
        early = not directions and handle.predictor.pair_aware
        detected = await _detect(texts, date) if early else None
        plan = await self._plan(handle, texts, date, pair, detected)
        n = len(plan.reads)
        keys = [r.key for r in plan.reads] + ([analysis_key(t, date) for t in texts] if directions else [])
        if directions or early:
            cached = await self.cache.get_many(keys)  # the one read: model rows, then analyses
        else:
            reading = asyncio.ensure_future(self.cache.get_many(keys))
            try:
                await asyncio.sleep(0)  # let the read reach Redis before detection takes the loop
                detected = await _detect(texts, date)
            finally:
                cached = await reading
        models = cached[:n]
        analyses: list[dict[str, Any] | None] = (
            cached[n:] if detected is None else list(_detected_analyses(detected, None))
        )
        model_miss = [i for i, row in enumerate(models) if row is None]
        analysis_miss = [i for i, a in enumerate(analyses) if a is None]
        self.metrics.cache_hits.inc(n - len(model_miss))
        self.metrics.cache_misses.inc(len(model_miss))
        if model_miss:  # an overloaded queue refuses before the analysis is started for nothing
            self.batcher.admit(handle, [plan.reads[i].model_input for i in model_miss])
        analysing = (
            asyncio.create_task(
                analyse([texts[i] for i in analysis_miss], date, self.bulk, self.small_analyses)
            )
            if analysis_miss
            else None
        )
        try:
            inputs = [plan.reads[i].model_input for i in model_miss]
            fresh = await self.batcher.predict(handle, inputs) if model_miss else []
        finally:
            fresh_analyses = await analysing if analysing else []  # never left running, even on errors
        writes: dict[str, dict[str, Any]] = {}
        for i, row in zip(model_miss, fresh, strict=True):
            models[i] = row
            writes[keys[i]] = row
        for i, a in zip(analysis_miss, fresh_analyses, strict=True):
            analyses[i] = a
            writes[keys[n + i]] = a
        self._write_behind(writes)
        done = [m for m in models if m is not None]
        known = [a for a in analyses if a is not None]
        if len(done) != n or len(known) != len(texts):
            raise ModelNotAvailable("a prediction row went missing; retry")
        return assemble_rows(texts, pair, plan, done, known, set(model_miss))
