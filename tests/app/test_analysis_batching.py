"""Concurrent small requests' country analyses run as one call, each gets its own rows back."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.analysis_batching import AnalysisCoalescer
from app.prediction import analyse_texts

SENTENCES = [
    "Seoul protested to Tokyo over the textbooks.",
    "China and India agreed to pull back troops from the border.",
    "Washington imposed new sanctions on Moscow.",
    "North Korea fired a missile toward Japan.",
    "Modi hosted Putin in New Delhi.",
    "The United States and South Korea began joint drills.",
]


def test_requests_waiting_together_share_one_call_and_get_their_own_rows() -> None:
    gate = threading.Event()
    calls: list[tuple[int, dt.date | None]] = []

    def analyse(texts: list[str], date: dt.date | None) -> list[dict[str, Any]]:
        gate.wait(5)  # the first call runs while the others queue
        calls.append((len(texts), date))
        if any("BROKEN" in t for t in texts):
            raise ValueError("cannot analyse BROKEN")
        return analyse_texts(texts, date)

    async def scenario() -> None:
        sizes: list[int] = []  # what the API's analysis-batch histogram is told
        coalescer = AnalysisCoalescer(analyse, ThreadPoolExecutor(1), max_texts=64, on_call=sizes.append)
        first = asyncio.create_task(coalescer.analyse([SENTENCES[0]], None))
        await asyncio.sleep(0.05)  # running alone: a lone request never waits for company
        day = dt.date(2024, 5, 1)
        rest = [asyncio.create_task(coalescer.analyse([s], None)) for s in SENTENCES[1:4]]
        dated = [asyncio.create_task(coalescer.analyse([s], day)) for s in SENTENCES[4:]]
        broken = asyncio.create_task(coalescer.analyse(["BROKEN text about Seoul and Tokyo"], None))
        await asyncio.sleep(0.05)
        gate.set()
        got = await asyncio.gather(first, *rest, *dated)
        with pytest.raises(ValueError, match="BROKEN"):
            await broken
        for sentence, rows, date in zip(SENTENCES, got, [None] * 4 + [day] * 2, strict=True):
            assert rows == analyse_texts([sentence], date)  # the same rows as alone
        # 1 alone, then the 4 undated waiting ones in one call (which the broken text failed, so
        # each ran alone: 4 more), and the 2 dated ones in one call.
        assert calls[0] == (1, None) and (4, None) in calls and (2, day) in calls
        assert len(calls) == 1 + 1 + 4 + 1 and coalescer.calls == len(calls)
        assert sorted(sizes) == sorted(n for n, _ in calls)

    asyncio.run(scenario())
