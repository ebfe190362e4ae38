"""Shadow challenger aggregation: the tally (pure), its storage on Postgres and the report."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsmodel.db.models import ShadowDisagreement
from newsmodel.shadow.registry import live_tags
from newsmodel.shadow.report import render_report
from newsmodel.shadow.store import end_comparisons, record_tally, shadow_summary
from newsmodel.shadow.tally import BINS, ComparisonKey, ShadowTally, confidence_bin, wilson


def _row(label: str, p: float) -> dict[str, object]:
    others = [x for x in ("conflict", "neutral", "cooperation") if x != label]
    rest = (1 - p) / 2
    return {"label": label, "probabilities": {label: p, others[0]: rest, others[1]: rest}}


def test_tally_counts_agreement_confusion_and_confidences() -> None:
    t = ShadowTally()
    t.add("a", _row("conflict", 0.9), _row("conflict", 0.8))
    t.add("b", _row("conflict", 0.55), _row("cooperation", 0.95))
    t.add("c", _row("neutral", 0.4), _row("neutral", 1.0))
    assert (t.n, t.agree) == (3, 2)
    assert t.agreement == pytest.approx(2 / 3)
    assert t.confusion == {"conflict": {"conflict": 1, "cooperation": 1}, "neutral": {"neutral": 1}}
    assert t.champion_hist[9] == 1 and t.champion_hist[5] == 1 and t.champion_hist[4] == 1
    assert t.challenger_hist[9] == 2 and t.challenger_hist[8] == 1  # 1.0 falls in the last bin
    assert [(d.text, d.champion_label, d.challenger_label) for d in t.sample] == [
        ("b", "conflict", "cooperation")
    ]
    assert t.labels() == ["conflict", "cooperation", "neutral"]


def test_confidence_bins_and_wilson_interval() -> None:
    assert [confidence_bin(p) for p in (0.0, 0.05, 0.1, 0.999, 1.0)] == [0, 0, 1, 9, 9]
    assert wilson(0, 0) is None
    low, high = wilson(80, 100)  # type: ignore[misc]
    assert 0.71 < low < 0.72 and 0.86 < high < 0.87  # the textbook figures for 80/100
    assert wilson(10, 10)[1] == 1.0  # type: ignore[index]


def test_disagreement_sample_is_bounded_and_drawn_from_all_of_them() -> None:
    t = ShadowTally(sample_cap=10, rng=random.Random(3))
    for i in range(1000):
        t.add(f"s{i}", _row("conflict", 0.9), _row("neutral", 0.9))
    assert len(t.sample) == 10 and t.disagreements_seen == 1000
    assert max(int(d.text[1:]) for d in t.sample) > 100  # not just the first ten


def test_merge_adds_counters() -> None:
    a, b = ShadowTally(), ShadowTally()
    a.add("x", _row("conflict", 0.9), _row("conflict", 0.9))
    b.add("y", _row("conflict", 0.9), _row("neutral", 0.7))
    a.merge(b)
    assert (a.n, a.agree, len(a.sample)) == (2, 1, 1)
    assert a.confusion == {"conflict": {"conflict": 1, "neutral": 1}}
    assert sum(a.champion_hist) == sum(a.challenger_hist) == 2 and len(a.champion_hist) == BINS


def _tally(agree: int, disagree: int) -> ShadowTally:
    t = ShadowTally(rng=random.Random(0))
    for i in range(agree):
        t.add(f"agree {i}", _row("conflict", 0.8), _row("conflict", 0.7))
    for i in range(disagree):
        t.add(f"Seoul and Tokyo disagree {i}", _row("conflict", 0.5 + i / 100), _row("cooperation", 0.6))
    return t


def test_store_sums_processes_caps_the_sample_and_ends_the_run(db_session: Session) -> None:
    api = ComparisonKey("nm", "1", "2", "api")
    job = ComparisonKey("nm", "1", "2", "job")
    record_tally(db_session, api, _tally(30, 10), sample_cap=15)
    record_tally(db_session, api, _tally(20, 10), sample_cap=15)  # a second flush (or process)
    record_tally(db_session, job, _tally(10, 0), sample_cap=15)
    stored = db_session.scalar(select(func.count()).select_from(ShadowDisagreement))
    assert stored == 15
    summary = shadow_summary(db_session, "nm", samples=3)
    assert summary is not None
    assert (summary.total.n, summary.total.agree) == (80, 60)
    assert {s: x.n for s, x in summary.by_source.items()} == {"api": 70, "job": 10}
    assert summary.total.confusion == {"conflict": {"conflict": 60, "cooperation": 20}}
    assert summary.status == "shadowing" and summary.disagreements_stored == 15
    sure = [max(s.item.champion_confidence, s.item.challenger_confidence) for s in summary.samples]
    assert len(sure) == 3 and sure == sorted(sure, reverse=True)
    tags = live_tags(summary)
    assert tags["live_n"] == "80" and tags["live_agreement"] == "0.7500" and tags["live_n_job"] == "10"
    text = render_report(summary)
    assert "agreement 75.0%" in text and "over 80 sentences (api 70, job 10)" in text
    assert "3 of 15 stored" in text and "Seoul and Tokyo disagree" in text

    assert end_comparisons(db_session, "nm", "2", "promoted to champion") == 2
    ended = shadow_summary(db_session, "nm", "2")
    assert ended is not None and ended.status == "ended: promoted to champion"
    assert shadow_summary(db_session, "nm", "7") is None
