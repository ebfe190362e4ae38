"""Mirror live sentences to the challenger, off the request path, and keep the tally.

`offer()` is the API's hook: called after the champion's rows are computed, it only samples,
checks the CPU budget and appends to a bounded queue (drop-new when full; every drop counted),
so the champion's answer never waits for the challenger. One background thread per process
runs the challenger: a single-threaded ONNX session, in short runs, only in gaps of the
champion's inference (under sustained load the queue fills and the work is dropped, counted).
The same thread flushes tallies to Postgres, pushes the live figures to the challenger's
registry version, and ends the run when the challenger is promoted or its alias goes away.
`compare_now()` is the bulk jobs' hook: every sentence, after the champion's predictions are
committed.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.model_follower import ModelFollower, ModelHandle
from app.shadow.budget import InferenceBudget
from app.shadow.metrics import ShadowMetrics
from newsmodel.db.session import Database
from newsmodel.errors import NewsmodelError
from newsmodel.logging import get_logger
from newsmodel.shadow.store import (
    ShadowSummary,
    end_comparisons,
    open_challengers,
    record_tally,
    shadow_summary,
)
from newsmodel.shadow.tally import ComparisonKey, ShadowTally

__all__ = ["NO_SHADOW", "ShadowHook", "ShadowMirror"]

log = get_logger(__name__)
RUN_SENTENCES = 16  # challenger batch: queued requests share a run, short enough to yield often
IDLE_GAP_S = 0.005  # the champion idle this long (no inference running) before a challenger run
PATIENCE_S = 2.0  # queued work that found no idle gap this long is dropped (reason "busy")


Pairs = Sequence[tuple[str, str] | None]


class ShadowHook(Protocol):
    def reads_pairs(self, champion: ModelHandle) -> bool: ...

    def offer(
        self,
        champion: ModelHandle,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        pairs: Pairs | None = None,
    ) -> None: ...

    def compare_now(
        self,
        champion: ModelHandle,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        pairs: Sequence[tuple[str, str] | None] | None = None,
    ) -> None: ...


class _NoShadow:
    """The hook when no shadow runs (disabled, or no challenger alias configured)."""

    def reads_pairs(self, champion: ModelHandle) -> bool:
        return False

    def offer(
        self,
        champion: ModelHandle,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        pairs: Pairs | None = None,
    ) -> None:
        return None

    def compare_now(
        self,
        champion: ModelHandle,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        pairs: Sequence[tuple[str, str] | None] | None = None,
    ) -> None:
        return None


NO_SHADOW: ShadowHook = _NoShadow()


@dataclass(frozen=True)
class _Item:
    champion: ModelHandle
    challenger: ModelHandle
    texts: list[str]  # as sent / stored: the challenger applies its own pair encoding
    rows: list[Mapping[str, Any]]
    pairs: list[tuple[str, str] | None]  # the pair each row was read for (None: the sentence)


class ShadowMirror:
    """One process's shadow: queue, budget, challenger runs, tallies, flushes and pushes."""

    def __init__(
        self,
        champion: ModelFollower,
        challenger: ModelFollower,
        db: Database,
        metrics: ShadowMetrics,
        *,
        source: str = "api",
        share: float = 1.0,
        budget: InferenceBudget | None = None,
        queue_sentences: int = 512,
        flush_interval_s: float = 10.0,
        push_interval_s: float = 60.0,
        sample_cap: int = 500,
        push: Callable[[ShadowSummary], Any] | None = None,
        rng: random.Random | None = None,
        max_champion_busy: float = 0.8,
    ) -> None:
        self.champion = champion
        self.challenger = challenger
        self.db = db
        self.metrics = metrics
        self.source = source
        self.share = share
        self.budget = budget or InferenceBudget(0.25)
        self.queue_sentences = queue_sentences
        self.flush_interval_s = flush_interval_s
        self.push_interval_s = push_interval_s
        self.sample_cap = sample_cap
        self.max_champion_busy = max_champion_busy
        self._push = push
        self._rng = rng or random.Random()
        self._queue: deque[_Item] = deque()
        self._queued = 0
        self._lock = threading.Lock()
        self._tallies: dict[ComparisonKey, ShadowTally] = {}
        self._running: dict[tuple[str, str], str] = {}  # (name, challenger v) -> champion v seen last
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._load_in_thread = True
        self._cost_per_sentence = 0.0  # challenger seconds per sentence, measured
        self._last_flush = self._last_push = time.monotonic()
        self.flushes = 0
        self.pushes = 0

    # The hooks ------------------------------------------------------------------------
    def challenger_for(self, champion: ModelHandle) -> ModelHandle | None:
        """The challenger to compare `champion` with now, or None (no alias, not loaded yet,
        another model name, or the same version: it was promoted)."""
        handle, live = self.challenger.current, self.challenger.live
        if handle is None or live is None or live.version != handle.version:
            return None
        if handle.name != champion.name or handle.version == champion.version:
            return None
        return handle

    def reads_pairs(self, champion: ModelHandle) -> bool:
        """Whether the comparison with `champion` needs each country pair's reading (either
        version is pair-aware); when neither is, a sentence's pairs would repeat one comparison."""
        challenger = self.challenger_for(champion)
        return challenger is not None and (champion.predictor.pair_aware or challenger.predictor.pair_aware)

    def offer(
        self,
        champion: ModelHandle,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        pairs: Pairs | None = None,
    ) -> None:
        """Queue a request's readings for the challenger, or drop them (counted). Never blocks.
        `texts` as sent, with the pair each row was read for (None: the sentence as it is)."""
        challenger = self.challenger_for(champion)
        if challenger is None or not texts:
            return
        read_pairs: list[tuple[str, str] | None] = list(pairs) if pairs is not None else [None] * len(texts)
        if self.share < 1.0:
            keep = [i for i in range(len(texts)) if self._rng.random() < self.share]
            self.metrics.skipped.inc(len(texts) - len(keep))
            if not keep:
                return
            texts, rows = [texts[i] for i in keep], [rows[i] for i in keep]
            read_pairs = [read_pairs[i] for i in keep]
        self._observe_champion(champion.predictor)
        if not self.budget.allow():
            self.metrics.dropped.labels(reason="budget").inc(len(texts))
            return
        with self._lock:
            if self._queued + len(texts) > self.queue_sentences:
                self.metrics.dropped.labels(reason="queue_full").inc(len(texts))
                return
            self._queue.append(_Item(champion, challenger, list(texts), list(rows), read_pairs))
            self._queued += len(texts)
            self.metrics.queue.set(self._queued)
        self._wake.set()

    def _observe_champion(self, predictor: Any) -> None:
        """Read the champion's inference seconds into the budget, and show the ratio as it is
        now (not as of the last challenger run)."""
        self.budget.observe_champion(id(predictor), predictor.busy_s)
        self.metrics.budget_ratio.set(self.budget.ratio)

    def compare_now(
        self,
        champion: ModelHandle,
        texts: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        pairs: Pairs | None = None,
    ) -> None:
        """Bulk jobs: run the challenger on every sentence now (the champion's rows are stored).
        `texts` are the sentences as stored; with `pairs` (one per sentence row) each model
        reads them its own way (a pair-aware one marks the pair, a sentence-level one does not)."""
        challenger = self.challenger_for(champion)
        if challenger is not None and texts:
            read_pairs: list[tuple[str, str] | None] = (
                list(pairs) if pairs is not None else [None] * len(texts)
            )
            self._compare(_Item(champion, challenger, list(texts), list(rows), read_pairs))

    def _compare(self, item: _Item) -> None:
        start = time.perf_counter()
        try:
            # each reading as the challenger reads it (its own encoding); one run per distinct input
            inputs = item.challenger.predictor.pair_texts(item.texts, item.pairs)
            distinct = list(dict.fromkeys(inputs))
            answers = dict(zip(distinct, item.challenger.predictor.predict(distinct), strict=True))
            challenger_rows = [answers[text] for text in inputs]
        except Exception as exc:  # a broken challenger must never disturb serving
            self.metrics.dropped.labels(reason="failed").inc(len(item.texts))
            log.warning("challenger inference failed", version=item.challenger.version, error=str(exc))
            return
        seconds = time.perf_counter() - start
        per_sentence = seconds / len(item.texts)
        # What the next run will cost, learnt as it goes (moving average over recent runs).
        self._cost_per_sentence = (
            per_sentence
            if not self._cost_per_sentence
            else (0.8 * self._cost_per_sentence + 0.2 * per_sentence)
        )
        self.budget.add_shadow(seconds)
        self.metrics.seconds.inc(seconds)
        self.metrics.budget_ratio.set(self.budget.ratio)
        self.metrics.compared.labels(source=self.source).inc(len(item.texts))
        key = ComparisonKey(item.champion.name, item.champion.version, item.challenger.version, self.source)
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = ShadowTally(sample_cap=min(self.sample_cap, 200))
            tally.add_many(inputs, item.rows, challenger_rows)
            self._running[(key.model_name, key.challenger_version)] = key.champion_version
        self.metrics.active.set(1)

    # The background thread ------------------------------------------------------------
    def start(self, load_now: bool = False) -> None:
        """Start the background thread; `load_now` loads the challenger first, in the caller (a
        worker, so that its first job chunk is already mirrored)."""
        self._stop.clear()
        if load_now:
            self.challenger.start()
        self._load_in_thread = not load_now
        self._thread = threading.Thread(target=self._run, name="shadow-challenger", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and flush what was counted (queued, unrun sentences are dropped)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.challenger.stop(timeout)
        self.flush()

    def _run(self) -> None:
        if self._load_in_thread:
            self.challenger.start()  # first check (and load) here, not in the caller: startup stays fast
        while not self._stop.is_set():
            self._wake.wait(min(1.0, self.flush_interval_s))
            self._wake.clear()
            try:
                self.step()
            except Exception:  # keep mirroring whatever happens; the error is logged
                log.exception("shadow step crashed")

    def step(self) -> None:
        """One round of the background thread: run what is queued, end finished runs, flush, push."""
        while not self._stop.is_set() and (item := self._take()) is not None:
            if not self._champion_idle(item.champion):
                self.metrics.dropped.labels(reason="busy").inc(len(item.texts))
                continue
            # Checked again at run time: what was queued under the budget may no longer fit it.
            predictor = item.champion.predictor
            self._observe_champion(predictor)
            if not self.budget.allow(self._cost_per_sentence * len(item.texts)):
                self.metrics.dropped.labels(reason="budget").inc(len(item.texts))
                continue
            if self.budget.utilization() > self.max_champion_busy:  # saturated: stand aside
                self.metrics.dropped.labels(reason="busy").inc(len(item.texts))
                continue
            self._compare(item)
        self.end_finished()
        now = time.monotonic()
        if now - self._last_flush >= self.flush_interval_s:
            self._last_flush = now
            self.flush()
        if now - self._last_push >= self.push_interval_s:
            self._last_push = now
            self.end_stale()
            self.push()

    def _champion_idle(self, champion: ModelHandle) -> bool:
        """Wait for a gap in the champion's inference (none running for IDLE_GAP_S): the
        challenger only takes CPU the champion is not using; False after PATIENCE_S of load."""
        predictor = champion.predictor
        deadline = time.perf_counter() + PATIENCE_S
        while not self._stop.is_set():
            now = time.perf_counter()
            if predictor.in_flight == 0 and now - predictor.idle_since >= IDLE_GAP_S:
                return True
            if now >= deadline:
                return False
            time.sleep(0.002)
        return False

    def _take(self) -> _Item | None:
        """The next queued requests of one version pair, merged up to RUN_SENTENCES sentences."""
        with self._lock:
            if not self._queue:
                return None
            first = self._queue.popleft()
            texts, rows, pairs = list(first.texts), list(first.rows), list(first.pairs)
            while (
                self._queue
                and self._queue[0].champion is first.champion
                and self._queue[0].challenger is first.challenger
                and len(texts) + len(self._queue[0].texts) <= RUN_SENTENCES
            ):
                nxt = self._queue.popleft()
                texts += nxt.texts
                rows += nxt.rows
                pairs += nxt.pairs
            self._queued -= len(texts)
            self.metrics.queue.set(self._queued)
        return _Item(first.champion, first.challenger, texts, rows, pairs)

    def flush(self) -> bool:
        """Add this process's tallies to Postgres; kept for the next try when it does not answer."""
        with self._lock:
            pending, self._tallies = self._tallies, {}
        if not pending:
            return True
        try:
            with self.db.transaction() as session:
                for key, tally in pending.items():
                    record_tally(session, key, tally, self.sample_cap)
        except Exception as exc:  # SQLAlchemy or DependencyUnavailable: retry at the next flush
            log.warning("could not store the shadow tally; keeping it", error=str(exc))
            with self._lock:
                for key, tally in pending.items():
                    self._tallies.setdefault(key, ShadowTally(sample_cap=tally.sample_cap)).merge(tally)
            return False
        self.flushes += 1
        return True

    def push(self, challenger_version: str | None = None) -> ShadowSummary | None:
        """Read the stored comparison (all processes) and put its figures on the challenger version."""
        if challenger_version is None:
            live = self.challenger.live
            if live is None:
                return None
            challenger_version = live.version
        try:
            with self.db.transaction() as session:
                summary = shadow_summary(
                    session, self.challenger.registry.name, challenger_version, samples=0
                )
        except Exception as exc:
            log.warning("could not read the shadow comparison", error=str(exc))
            return None
        if summary is None:
            return None
        if summary.total.agreement is not None:
            self.metrics.agreement.labels(challenger_version=summary.challenger_version).set(
                summary.total.agreement
            )
        if self._push is not None:
            try:
                self._push(summary)
            except NewsmodelError as exc:
                log.warning("could not push the shadow figures to the registry", error=str(exc))
                return summary
        self.pushes += 1
        return summary

    def end_finished(self) -> None:
        """End the runs whose challenger was promoted (now the champion) or lost its alias."""
        champion = self.champion.current
        live = self.challenger.live
        with self._lock:
            running = list(self._running)
        for name, version in running:
            if champion is not None and champion.name == name and champion.version == version:
                reason = "promoted to champion"
            elif live is None or live.version != version:
                # `newsmodel promote` drops the alias as it promotes: ask the registry which it was.
                try:
                    now_live = self.champion.registry.resolve()
                except NewsmodelError:
                    continue  # the registry is down: decide at the next round
                if now_live is not None and now_live.version == version:
                    reason = "promoted to champion"
                else:
                    reason = "challenger alias moved" if live is not None else "challenger alias removed"
            else:
                continue
            self._end(name, version, reason)

    def end_stale(self) -> None:
        """End runs left open in Postgres that no process of this one's will end (the process
        that counted them restarted after the promotion); decided from the registry as it is now."""
        name = self.challenger.registry.name
        try:
            with self.db.transaction() as session:
                stored = open_challengers(session, name)
        except Exception as exc:
            log.warning("could not read the open shadow runs", error=str(exc))
            return
        with self._lock:
            mine = {v for n, v in self._running if n == name}
        stale = [v for v in stored if v not in mine]
        if not stale:
            return
        following = self.challenger.status()
        if following["last_check_at"] is None or following["registry_error"] is not None:
            return  # what the registry says is not known yet: decide later
        live = self.challenger.live
        champion = self.champion.live
        for version in stale:
            if champion is not None and champion.version == version:
                self._end(name, version, "promoted to champion")
            elif live is None or live.version != version:
                self._end(name, version, "challenger alias moved" if live else "challenger alias removed")

    def _end(self, name: str, version: str, reason: str) -> None:
        self.flush()
        try:
            with self.db.transaction() as session:
                end_comparisons(session, name, version, reason)
        except Exception as exc:
            log.warning("could not mark the shadow run ended; trying again", error=str(exc))
            return
        with self._lock:
            self._running.pop((name, version), None)
            if not self._running:
                self.metrics.active.set(0)
        log.info("shadow run ended", model=name, challenger_version=version, reason=reason)
        self.push(version)
        handle = self.challenger.current
        if handle is not None and handle.version == version:
            self.challenger.release()  # free the challenger's session; a new alias loads again

    def status(self) -> dict[str, Any]:
        """What /v1/model/challenger shows about this process's mirror."""
        handle = self.challenger.current
        live = self.challenger.live
        with self._lock:
            queued = self._queued
        return {
            "alias": self.challenger.registry.alias,
            "registry_challenger_version": live.version if live else None,
            "loaded_challenger_version": handle.version if handle else None,
            "share": self.share,
            "cpu_budget": self.budget.share,
            "budget_ratio": round(self.budget.ratio, 4),
            "queued_sentences": queued,
            "flush_interval_s": self.flush_interval_s,
            "push_interval_s": self.push_interval_s,
            "load_error": self.challenger.status()["load_error"],
        }
