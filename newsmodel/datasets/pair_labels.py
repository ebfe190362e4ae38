"""Hand-labeled (sentence, country pair) relations: one row per pair a sentence names.

A sentence-level label says how a sentence reads; the index needs how it reads for each pair,
and a sentence that names three countries can relate them differently ("Seoul and Tokyo agreed
to tighten sanctions on Pyongyang": KOR-JPN cooperation, KOR-PRK and JPN-PRK conflict). Two
files hold such rows, written and labeled by hand for this project (issue 17), and never share a
sentence:

- `bench/data/index_gold.jsonl`: the gold the index is measured against (bench/index_gold.py);
- `newsmodel/datasets/data/multi_pair_train.jsonl`: multi-pair sentences for training a
  pair-aware reader.

A third, `newsmodel/datasets/data/news_style_train.jsonl`, holds single-pair sentences written
in the style of the crawled news for training either reader (`data.news_style: true`): with one
pair, the sentence's label is the pair's.

Row fields: id, sentence_id, text, pair (canonical `A-B`, see relindex.pairs), label
(relation3), week (ISO `YYYY-Www`), source (`written`, `demo_corpus:<slug>#<n>` or
`fixture:<file>#<n>`), author, labeled_at (ISO date).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from newsmodel.errors import DataError
from newsmodel.labels.schemes import get_scheme
from newsmodel.relindex.pairs import CountryPair

__all__ = ["MULTI_PAIR_TRAIN", "NEWS_STYLE_TRAIN", "PairLabel", "read_pair_labels", "week_start"]

MULTI_PAIR_TRAIN = Path(__file__).resolve().parent / "data" / "multi_pair_train.jsonl"
NEWS_STYLE_TRAIN = Path(__file__).resolve().parent / "data" / "news_style_train.jsonl"
FIELDS = ("id", "sentence_id", "text", "pair", "label", "week", "source", "author", "labeled_at")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_SOURCE_RE = re.compile(r"^(written|demo_corpus:\S+|fixture:\S+)$")


@dataclass(frozen=True)
class PairLabel:
    """One sentence's relation for one country pair, as labeled by hand."""

    id: str
    sentence_id: str
    text: str
    pair: str
    label: str
    week: str
    source: str
    author: str
    labeled_at: str

    @property
    def countries(self) -> tuple[str, str]:
        a, b = self.pair.split("-")
        return a, b


def week_start(week: str) -> dt.date:
    """The Monday of an ISO week `YYYY-Www`; DataError names the form."""
    match = _WEEK_RE.match(week)
    if match is None:
        raise DataError(f"invalid week {week!r}: expected an ISO week like 2026-W40")
    try:
        return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise DataError(f"invalid week {week!r}: {exc}") from exc


def _row(raw: object, where: str, labels: Iterable[str]) -> PairLabel:
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a JSON object")
    missing = [f for f in FIELDS if not isinstance(raw.get(f), str) or not raw[f].strip()]
    if missing:
        raise DataError(f"{where}: missing or empty field(s) {missing}")
    extra = sorted(set(raw) - set(FIELDS))
    if extra:
        raise DataError(f"{where}: unknown field(s) {extra}")
    row = PairLabel(**{f: raw[f] for f in FIELDS})
    if str(CountryPair.parse(row.pair)) != row.pair or "-" not in row.pair:
        raise DataError(f"{where}: pair {row.pair!r} is not canonical (sorted codes joined by '-')")
    if row.label not in labels:
        raise DataError(f"{where}: label {row.label!r} is not one of {sorted(labels)}")
    week_start(row.week)
    if not _SOURCE_RE.match(row.source):
        raise DataError(
            f"{where}: source {row.source!r}: expected written, demo_corpus:<ref> or fixture:<ref>"
        )
    try:
        dt.date.fromisoformat(row.labeled_at)
    except ValueError as exc:
        raise DataError(f"{where}: labeled_at {row.labeled_at!r} is not an ISO date") from exc
    if row.id != f"{row.sentence_id}/{row.pair}":
        raise DataError(f"{where}: id {row.id!r} should be sentence_id/pair")
    return row


def read_pair_labels(path: Path, scheme: str = "relation3") -> list[PairLabel]:
    """Read and check a pair-label file: schema, labels of `scheme`, canonical pairs, one text
    per sentence_id and unique ids. Raises DataError naming the file and line."""
    labels = frozenset(get_scheme(scheme).labels)
    rows: list[PairLabel] = []
    seen: set[str] = set()
    texts: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read pair labels {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: invalid JSON ({exc.msg})") from exc
        row = _row(raw, where, labels)
        if row.id in seen:
            raise DataError(f"{where}: duplicate id {row.id!r}")
        if texts.setdefault(row.sentence_id, row.text) != row.text:
            raise DataError(f"{where}: sentence {row.sentence_id!r} has two different texts")
        seen.add(row.id)
        rows.append(row)
    return rows
