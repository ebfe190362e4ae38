"""Importers: CSV / TSV / JSONL with a column mapping, bad rows counted by line, all-or-nothing DB writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsmodel.datasets.types import Example
from newsmodel.db.models import LabeledExample
from newsmodel.db.session import Database
from newsmodel.errors import DataError
from newsmodel.labels.importers import ColumnMapping, ImportResult, parse_label_map, read_labeled_file
from newsmodel.labels.store import StoreReport, load_examples, store_examples


@pytest.fixture
def db(rollback_db: Database) -> Database:
    """Imports run in-process: each test's rows are rolled back, not truncated."""
    return rollback_db


def _store(db: Database, result: ImportResult, replace: bool = False) -> StoreReport:
    """One import, one transaction (what `newsmodel data import` does)."""
    with db.transaction() as session:
        return store_examples(session, result, replace=replace)


def _load(db: Database, scheme: str, origins: list[str] | None = None) -> list[Example]:
    with db.transaction() as session:
        return load_examples(session, scheme, origins)


def _count(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(LabeledExample)) or 0)


def test_csv_with_header_counts_bad_rows_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "sentence,relation,story\n"
        '"Seoul and Tokyo signed a pact, officials said",cooperation,a1\n'  # line 2
        "Russia shelled the city,conflict,a2\n"  # line 3
        ",neutral,a3\n"  # line 4: empty text
        "China praised the deal,friendly,a4\n"  # line 5: unknown label
        "\n"  # line 6: blank, ignored
        "India noted the statement,neutral,a5\n",  # line 7
        encoding="utf-8",
    )
    result = read_labeled_file(
        path, source_scheme="relation3", columns=ColumnMapping("sentence", "relation", "story")
    )
    assert [e.text for e in result.examples] == [
        "Seoul and Tokyo signed a pact, officials said",
        "Russia shelled the city",
        "India noted the statement",
    ]
    assert result.lines == [2, 3, 7]
    assert [(b.line, b.reason.split(" (")[0]) for b in result.bad_rows] == [
        (4, "empty text"),
        (5, "unknown label 'friendly'"),
    ]
    assert result.examples[0].group == "a1"
    assert "2 bad rows" in result.summary() and "line 5" in result.summary()


def test_tsv_without_header_crlf_and_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cameo.tsv"
    path.write_bytes(
        b"Talks in Gen\xe8ve ended\t0\r\n"  # line 1: invalid UTF-8 byte
        b'He said "no deal"\t3\r\n'  # line 2: quotes are literal in TSV
        b"missing label only\r\n"  # line 3
        b"Aid arrived\t2\r\n"  # line 4
        b"Bad label\t9\r\n"  # line 5
    )
    result = read_labeled_file(
        path,
        source_scheme="quad5",
        target_scheme="relation3",
        columns=ColumnMapping(0, 1),
        has_header=False,
        label_map=parse_label_map(
            "0=neutral,1=verbal_cooperation,2=material_cooperation,3=verbal_conflict,4=material_conflict"
        ),
    )
    assert [(e.text, e.label) for e in result.examples] == [
        ("Talks in Gen\ufffdve ended", "neutral"),
        ('He said "no deal"', "conflict"),
        ("Aid arrived", "cooperation"),
    ]
    assert result.repaired_lines == [1]
    assert [b.line for b in result.bad_rows] == [3, 5]


def test_mapping_to_binary_drops_neutral_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"text": "A", "label": "neutral"}\n'
        '{"text": "B", "label": "conflict"}\n'
        "{not json}\n"
        '["a list"]\n'
        '{"text": 5, "label": "conflict"}\n'
        '{"text": "C", "label": "cooperation"}\n',
        encoding="utf-8",
    )
    result = read_labeled_file(path, source_scheme="relation3", target_scheme="binary")
    assert [(e.text, e.label) for e in result.examples] == [("B", "bad"), ("C", "good")]
    assert result.dropped == 1
    assert [b.line for b in result.bad_rows] == [3, 4, 5]


def test_missing_column_and_strict_mode_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text,lbl\nhello,neutral\nbad,zzz\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column\(s\) \['label'\]"):
        read_labeled_file(path, source_scheme="relation3")
    with pytest.raises(DataError, match="strict import refused"):
        read_labeled_file(path, source_scheme="relation3", columns=ColumnMapping("text", "lbl"), strict=True)
    with pytest.raises(DataError, match="not found"):
        read_labeled_file(tmp_path / "nope.csv", source_scheme="relation3")
    with pytest.raises(DataError, match="cannot tell the format"):
        read_labeled_file(path.rename(tmp_path / "x.xlsx"), source_scheme="relation3")
    with pytest.raises(DataError, match="RAW=LABEL"):
        parse_label_map("0:neutral")
    with pytest.raises(DataError, match="unknown label scheme"):
        read_labeled_file(tmp_path / "x.xlsx", source_scheme="relation9", fmt="csv")


def test_store_is_idempotent_and_replaceable_on_postgres(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "text,label\nSeoul and Tokyo signed a pact,cooperation\nRussia shelled Kharkiv,conflict\n",
        encoding="utf-8",
    )
    result = read_labeled_file(path, source_scheme="relation3")
    assert result.origin.startswith("labels.csv@sha256:")
    report = _store(db, result)
    assert (report.inserted, report.already_present) == (2, 0)
    again = _store(db, result)
    assert (again.inserted, again.already_present) == (0, 2)
    replaced = _store(db, result, replace=True)
    assert (replaced.inserted, replaced.replaced) == (2, 2)
    assert _count(db) == 2
    examples = _load(db, "binary")
    assert sorted((e.text, e.label) for e in examples) == [
        ("Russia shelled Kharkiv", "bad"),
        ("Seoul and Tokyo signed a pact", "good"),
    ]
    assert all(e.group for e in examples)


def test_store_writes_nothing_when_one_row_is_refused(db: Database) -> None:
    """A row refused after two flushed chunks (label too long for its column): none may stay behind."""
    good = [Example(f"sentence {i}", "neutral", "") for i in range(1100)]
    result = ImportResult(
        origin="broken@1",
        scheme="relation3",
        examples=[*good, Example("the refused row", "x" * 100, "")],
        lines=list(range(1, 1102)),
    )
    with pytest.raises(DataError, match="nothing was written"):
        _store(db, result)
    assert _count(db) == 0


def test_builtin_conflibert_into_database(db: Database) -> None:
    from newsmodel.datasets import read_builtin
    from tests.newsmodel.test_datasets import SHARED_DATA

    report = _store(db, read_builtin("conflibert-cameo", SHARED_DATA))
    assert report.inserted == 1349 and report.origin == "conflibert-cameo@1"
    relation3 = _load(db, "relation3", ["conflibert-cameo@1"])
    assert len(relation3) == 1349
    with pytest.raises(DataError, match="no labeled examples"):
        _load(db, "relation3", ["other@1"])
