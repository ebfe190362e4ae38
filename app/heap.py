"""Keep the garbage collector's full passes off the request path.

The serving process holds ~300k long-lived Python objects after start-up (the country gazetteers,
the spaCy pipeline, the model's tokenizer and label maps). CPython's full (generation-2)
collection walks every one of them: measured ~0.3-0.7 s on this 2-core machine, and under load a
cache-hit request that lands on one waits for it (it was the warm p99 in BENCHMARKS.md).
`gc.freeze()` moves what exists at that moment into a permanent generation the collector never
scans (the technique Instagram described for forking web servers); objects made afterwards are
collected as usual, and frozen ones are still freed by reference counting when released.
"""

from __future__ import annotations

import gc
import time

from newsmodel.logging import get_logger

__all__ = ["freeze_startup_heap"]

log = get_logger(__name__)


def freeze_startup_heap() -> int:
    """Collect once, then freeze what survived: returns how many objects were frozen.

    Call after everything loaded at start-up (detector, parser, first model), before traffic.
    """
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info(
        "start-up heap frozen: full garbage collections skip it",
        objects=frozen,
        seconds=round(time.perf_counter() - started, 3),
    )
    return frozen
