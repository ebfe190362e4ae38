"""Built-in ConfliBERT data, the grouped stratified split (no leakage, asserted), the fingerprint, data checks."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest

from newsmodel.datasets import (
    Example,
    build_splits,
    group_texts,
    load_conflibert,
    locate_builtin,
    normalize_text,
    read_builtin,
)
from newsmodel.datasets.builtin import CONFLIBERT_CAMEO
from newsmodel.errors import DataError, DependencyUnavailable

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
if not (SHARED_DATA / "conflibert-cameo" / "train.tsv").is_file():
    SHARED_DATA = Path("/work/shared/data")


@pytest.fixture(scope="module")
def relation3() -> list[Example]:
    return load_conflibert(SHARED_DATA, "relation3")


def test_conflibert_loads_every_row_in_each_scheme(relation3: list[Example]) -> None:
    result = read_builtin("conflibert-cameo", SHARED_DATA, "quad5")
    assert len(result.examples) == 1349 and not result.bad_rows and result.dropped == 0
    assert Counter(e.label for e in result.examples) == {
        "verbal_conflict": 337,
        "material_cooperation": 303,
        "verbal_cooperation": 248,
        "neutral": 240,
        "material_conflict": 221,
    }
    assert Counter(e.label for e in relation3) == {"conflict": 558, "cooperation": 551, "neutral": 240}
    binary = read_builtin("conflibert-cameo", SHARED_DATA, "binary")
    assert len(binary.examples) == 1109 and binary.dropped == 240
    assert all("\r" not in e.text and e.text == e.text.strip() for e in relation3)


def test_conflibert_split_has_no_leakage_and_follows_label_mix(relation3: list[Example]) -> None:
    splits = build_splits(relation3, "relation3", seed=13, val_frac=0.1, test_frac=0.1)
    parts = {"train": splits.train, "validation": splits.validation, "test": splits.test}
    assert sum(len(p) for p in parts.values()) == len(relation3)
    owner: dict[str, str] = {}
    for name, rows in parts.items():
        for e in rows:
            for key in (e.group, normalize_text(e.text)):
                assert owner.setdefault(key, name) == name, f"{key!r} straddles {owner[key]} and {name}"
    total = Counter(e.label for e in relation3)
    for name, frac in (("train", 0.8), ("validation", 0.1), ("test", 0.1)):
        counts = Counter(e.label for e in parts[name])
        for label, n in total.items():
            assert abs(counts[label] - frac * n) <= 3, (name, label, counts[label], frac * n)
    print(f"conflibert relation3: sizes={splits.params['stats']['sizes']} fingerprint={splits.fingerprint}")


def test_split_is_deterministic_and_fingerprint_tracks_content_and_params(relation3: list[Example]) -> None:
    a = build_splits(relation3, "relation3", seed=7)
    b = build_splits(list(reversed(relation3)), "relation3", seed=7)
    assert a.fingerprint == b.fingerprint
    assert {e.text for e in a.test} == {e.text for e in b.test}
    c = build_splits(relation3, "relation3", seed=8)
    assert c.fingerprint != a.fingerprint and {e.text for e in c.test} != {e.text for e in a.test}
    d = build_splits(relation3[:-1], "relation3", seed=7)
    assert d.fingerprint != a.fingerprint
    e = build_splits(relation3, "relation3", seed=7, test_frac=0.15)
    assert e.fingerprint != a.fingerprint and len(e.test) > len(a.test)


def _near_copy(text: str, rng: random.Random) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    words[i] = words[i].upper() + ","  # case and punctuation change, same words
    if len(words) > 25:
        del words[rng.randrange(len(words))]  # and one word dropped
    return " ".join(words)


def test_near_duplicates_never_straddle_splits(relation3: list[Example]) -> None:
    rng = random.Random(0)
    originals = [e for e in relation3 if len(e.text.split()) > 25][:150]
    copies = [Example(_near_copy(e.text, rng), e.label, "") for e in originals]
    data = relation3 + copies
    groups = group_texts([e.text for e in data])
    index = {e.text: i for i, e in enumerate(data)}
    pairs = list(zip(originals, copies, strict=True))
    linked = [(o, c) for o, c in pairs if groups[index[o.text]] == groups[index[c.text]]]
    print(f"near copies grouped with their original: {len(linked)}/{len(pairs)}")
    # MinHash estimates Jaccard: a copy right at the threshold may fall either side of it.
    assert len(linked) >= 0.95 * len(pairs)
    splits = build_splits(data, "relation3", seed=3)
    parts = (("tr", splits.train), ("va", splits.validation), ("te", splits.test))
    where = {e.text: name for name, rows in parts for e in rows}
    assert all(where[o.text] == where[c.text] for o, c in linked)
    exact = [Example(e.text.upper() + " !!", e.label, "") for e in originals]
    splits = build_splits(relation3 + exact, "relation3", seed=3)
    where = {
        e.text: name
        for name, rows in (("tr", splits.train), ("va", splits.validation), ("te", splits.test))
        for e in rows
    }
    assert all(where[o.text] == where[c.text] for o, c in zip(originals, exact, strict=True))


def test_distinct_sentences_are_not_grouped() -> None:
    texts = [
        "Russia and China signed a gas deal in Moscow on Tuesday.",
        "Japan and South Korea agreed to share military intelligence.",
        "India criticized Pakistan over the border shelling.",
    ]
    assert len(set(group_texts(texts))) == 3


def test_given_groups_are_kept_together() -> None:
    examples = [
        Example(
            f"sentence number {i} about topic {i % 7} and more words",
            ["conflict", "neutral", "cooperation"][i % 3],
            f"article-{i // 3}",
        )
        for i in range(300)
    ]
    splits = build_splits(examples, "relation3", seed=1, min_per_class=5)
    where = {
        e.text: n
        for n, rows in (("a", splits.train), ("b", splits.validation), ("c", splits.test))
        for e in rows
    }
    for i in range(0, 300, 3):
        assert len({where[examples[j].text] for j in range(i, i + 3)}) == 1


def _examples(n: int = 30) -> list[Example]:
    labels = ["conflict", "neutral", "cooperation"]
    return [
        Example(f"Country {i} said something number {i} about relations", labels[i % 3], "") for i in range(n)
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda ex: [*ex, Example("   ", "neutral", "")], "1 empty text"),
        (lambda ex: [*ex, Example("x" * 2001, "neutral", "")], "longer than 2000"),
        (lambda ex: [*ex, Example("Seoul spoke.", "friendly", "")], "outside scheme relation3"),
        (
            lambda ex: [e for e in ex if e.label != "neutral"] + [Example("one neutral", "neutral", "")],
            "too few",
        ),
        (lambda ex: [], "empty"),
    ],
)
def test_data_checks_fail_loudly(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=message):
        build_splits(mutate(_examples()), "relation3", min_per_class=5)


def test_split_fractions_are_validated() -> None:
    with pytest.raises(DataError, match="fractions"):
        build_splits(_examples(), "relation3", val_frac=0.6, test_frac=0.5)


def test_class_missing_from_a_split_is_an_error() -> None:
    with pytest.raises(DataError, match="classes missing"):
        build_splits(_examples(30), "relation3", val_frac=0.01, test_frac=0.01, min_per_class=5)


def test_locate_rejects_a_local_file_with_the_wrong_hash(tmp_path: Path) -> None:
    bad = tmp_path / "conflibert-cameo" / "train.tsv"
    bad.parent.mkdir()
    bad.write_bytes(b"not the dataset\t0\r\n")
    with pytest.raises(DataError, match="sha256"):
        locate_builtin("conflibert-cameo", tmp_path)
    with pytest.raises(DataError, match="not found"):
        locate_builtin("conflibert-cameo", tmp_path / "empty")


def _client(payload: bytes, status: int = 200) -> httpx.Client:
    # The internet is the one thing tests cannot reach: an in-memory transport stands in for GitHub.
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == CONFLIBERT_CAMEO.url
        return httpx.Response(status, content=payload)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_download_checks_sha256_and_writes_atomically(tmp_path: Path, settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(NEWSMODEL_DATA_DIR=str(tmp_path))
    real = (SHARED_DATA / CONFLIBERT_CAMEO.relpath).read_bytes()
    with pytest.raises(DataError, match="does not match the pinned"):
        locate_builtin("conflibert-cameo", client=_client(real + b"tampered"))
    assert not (tmp_path / CONFLIBERT_CAMEO.relpath).exists()
    with pytest.raises(DependencyUnavailable, match="download"):
        locate_builtin("conflibert-cameo", client=_client(b"", status=404))
    path = locate_builtin("conflibert-cameo", client=_client(real))
    assert path == tmp_path / CONFLIBERT_CAMEO.relpath
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CONFLIBERT_CAMEO.sha256
    assert len(load_conflibert(None, "relation3")) == 1349
