"""The frozen benchmark: carved reproducibly, hash-checked, held out of every split, never re-carved
in place, and a near copy of one of its sentences in the training data stops training."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from newsmodel.datasets import load_conflibert
from newsmodel.datasets.benchmark import (
    BENCHMARK_DIR,
    carve_benchmark,
    hold_out,
    load_benchmark,
    select_members,
    write_benchmark,
)
from newsmodel.datasets.grouping import text_key
from newsmodel.errors import DataError
from newsmodel.training.config import compose_config
from newsmodel.training.data import benchmark_source, load_splits

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.fixture(scope="module")
def relation3() -> list:
    if not (SHARED / "conflibert-cameo" / "train.tsv").is_file():
        pytest.fail(f"labeled data missing under {SHARED}")
    return load_conflibert(SHARED, scheme="relation3")


def test_committed_benchmarks_are_what_carving_gives(relation3: list) -> None:
    """Re-carving with the recorded parameters reproduces the committed file, hash for hash."""
    committed = load_benchmark("conflibert-relation3")
    carve = committed.carve
    again = carve_benchmark(
        relation3,
        "relation3",
        "conflibert-relation3",
        {"source": "conflibert"},
        fraction=carve["fraction"],
        seed=carve["seed"],
    )
    assert again.sha256 == committed.sha256 and again.members == committed.members
    assert len(committed.members) == 270 and set(committed.label_counts()) == {
        "conflict",
        "neutral",
        "cooperation",
    }
    for name in ("conflibert-quad5", "conflibert-binary"):
        assert load_benchmark(name).sha256  # every committed file passes its own hash check
    assert sorted(p.stem for p in BENCHMARK_DIR.glob("*.json")) == [
        "conflibert-binary",
        "conflibert-quad5",
        "conflibert-relation3",
    ]


def test_training_splits_hold_the_benchmark_out() -> None:
    cfg = compose_config([f"data.dir={SHARED / 'conflibert-cameo'}"])
    splits = load_splits(cfg.data)
    assert splits.benchmark is not None and splits.benchmark.ref == "conflibert-relation3@1"
    bench_keys = {text_key(e.text) for e in splits.benchmark.examples}
    for name in ("train", "validation", "test"):
        assert not {text_key(e.text) for e in getattr(splits, name)} & bench_keys, name
    assert splits.params["benchmark_sha256"] == splits.benchmark.sha256
    assert sum(len(getattr(splits, n)) for n in ("train", "validation", "test")) == 1349 - 270
    without = load_splits(
        compose_config([f"data.dir={SHARED / 'conflibert-cameo'}", "data.benchmark=null"]).data
    )
    assert without.benchmark is None and without.fingerprint != splits.fingerprint


def test_news_style_sentences_join_the_splits_only_when_asked() -> None:
    from newsmodel.datasets.pair_labels import NEWS_STYLE_TRAIN, read_pair_labels
    from newsmodel.errors import ConfigError

    base = [f"data.dir={SHARED / 'conflibert-cameo'}"]
    plain = load_splits(compose_config(base).data)
    news = load_splits(compose_config([*base, "data.news_style=true"]).data)
    rows = read_pair_labels(NEWS_STYLE_TRAIN)
    parts = ("train", "validation", "test")
    written = {r.text for r in rows}
    added = [e for n in parts for e in getattr(news, n) if e.text in written]
    # Every row once, as written (a sentence-level reader sees no pair markers), spread over
    # all three splits; ConfliBERT's own examples are unchanged and the fingerprint tells them apart.
    assert sorted(e.text for e in added) == sorted(written)
    assert all(any(e.text in written for e in getattr(news, n)) for n in parts)
    assert sum(len(getattr(news, n)) for n in parts) == sum(len(getattr(plain, n)) for n in parts) + len(rows)
    assert news.fingerprint != plain.fingerprint and news.benchmark == plain.benchmark
    with pytest.raises(ConfigError, match="news_style adds sentences labeled in relation3"):
        load_splits(compose_config([*base, "data.news_style=true", "data.scheme=quad5"]).data)
    # Sampled to ConfliBERT's class shares: the style without the 40% neutral prior.
    sampled = load_splits(
        compose_config([*base, "data.news_style=true", "data.news_style_shares=source"]).data
    )
    kept = Counter(e.label for n in parts for e in getattr(sampled, n) if e.text in written)
    source = Counter(e.label for n in parts for e in getattr(plain, n)) + Counter(
        e.label for e in sampled.benchmark.examples
    )
    labels = Counter(r.label for r in rows)
    acts = ("conflict", "cooperation")
    assert sum(kept.values()) < len(rows) and sum(kept[a] for a in acts) >= 0.95 * sum(
        labels[a] for a in acts
    )
    for label, n in source.items():
        assert abs(kept[label] / sum(kept.values()) - n / source.total()) < 0.01, (kept, source)
    with pytest.raises(ConfigError, match="news_style_shares is 'prior': use all or source"):
        load_splits(compose_config([*base, "data.news_style=true", "data.news_style_shares=prior"]).data)


def test_a_near_copy_of_a_benchmark_sentence_stops_training(relation3: list) -> None:
    bench = select_members(load_benchmark("conflibert-relation3"), relation3)
    member = bench.examples[0]
    words = member.text.split()
    near = replace(member, text=" ".join([*words[:-1], "yesterday."]))  # one word changed
    pool = [e for e in relation3 if text_key(e.text) not in {text_key(b.text) for b in bench.examples}]
    assert len(hold_out([*relation3], bench)) == len(pool)  # exact members are simply carved out
    with pytest.raises(DataError, match=r"1 training sentence\(s\) are near copies .*conflibert-relation3@1"):
        hold_out([*pool, near], bench)


def test_a_frozen_benchmark_is_never_re_carved_in_place(relation3: list, tmp_path: Path) -> None:
    first = carve_benchmark(relation3[:600], "relation3", "mine", {"source": "conflibert"}, seed=1)
    write_benchmark(first, tmp_path)
    assert write_benchmark(first, tmp_path).is_file()  # the same content again is fine
    other = carve_benchmark(relation3[:600], "relation3", "mine", {"source": "conflibert"}, seed=2)
    with pytest.raises(DataError, match="never re-carved in place: pass --version 2"):
        write_benchmark(other, tmp_path)
    write_benchmark(replace(other, version=2), tmp_path)
    assert load_benchmark("mine", tmp_path).ref == "mine@2"


def test_a_changed_benchmark_file_fails_its_hash_check(tmp_path: Path) -> None:
    raw = json.loads((BENCHMARK_DIR / "conflibert-relation3.json").read_text())
    raw["members"][0][1] = "neutral" if raw["members"][0][1] != "neutral" else "conflict"
    (tmp_path / "conflibert-relation3.json").write_text(json.dumps(raw))
    with pytest.raises(DataError, match="content hash"):
        load_benchmark("conflibert-relation3", tmp_path)


def test_benchmark_source_names_the_dataset() -> None:
    assert benchmark_source(compose_config([]).data) == {"source": "conflibert"}
    assert compose_config(["data=conflibert-quad5"]).data.benchmark == "conflibert-quad5"
    assert compose_config(["data=labeled"]).data.benchmark == "conflibert-relation3"
