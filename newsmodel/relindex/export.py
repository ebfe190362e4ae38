"""A citable copy of the relation index: CSV or Parquet bytes, with a SHA-256 of those bytes.

Every row carries the model version, the method and when it was computed, so a number quoted
from the file can be traced back; the checksum lets whoever receives the file verify it is the
one that was cited. Shared by `GET /v1/relations/export` and `newsmodel index export`.
Parquet is written by pyarrow (declared in the `serve` extra; also pulled in by mlflow).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from newsmodel.db.models import RelationIndexRow
from newsmodel.errors import DataError
from newsmodel.relindex.arithmetic import DEFAULT_RESAMPLES, INTERVAL_LEVEL, scheme_for_labels
from newsmodel.relindex.pairs import CountryPair
from newsmodel.relindex.quantify import PLAIN
from newsmodel.relindex.queries import VersionInfo, index_rows_query

__all__ = ["EXPORT_COLUMNS", "EXPORT_FORMATS", "ExportFile", "ExportFormat", "export_index", "method_id"]

ExportFormat = Literal["csv", "parquet"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
EXPORT_COLUMNS = (
    "model_name",
    "model_version",
    "method",
    "computed_at",
    "pair",
    "country_a",
    "country_b",
    "direction",
    "day",
    "score",
    "ci_low",
    "ci_high",
    "score_7d",
    "score_30d",
    "sentence_count",
    "article_count",
    "source_count",
    "volume_share",
    "class_shares",
)


def method_id(scheme: str | None, quantification: str = PLAIN) -> str:
    """A short, stable name of how a score was made (scheme, class shares + score, interval), for
    files and responses. Plain averaging keeps its historical name; a correction names itself
    and the interval that also redraws the confusion (docs/INDEX.md)."""
    level, resamples = round(INTERVAL_LEVEL * 100), DEFAULT_RESAMPLES
    if quantification == PLAIN:
        return f"{scheme or 'unknown'}/mean-polarity/article-bootstrap-{level}-{resamples}"
    return (
        f"{scheme or 'unknown'}/{quantification}-calibrated-polarity/"
        f"article-confusion-bootstrap-{level}-{resamples}"
    )


@dataclass(frozen=True)
class ExportFile:
    """The bytes of one export and what a manifest says about them."""

    format: ExportFormat
    content: bytes
    rows: int
    versions: list[str]
    model_name: str | None
    method: str | None
    computed_at: dt.datetime | None
    first_day: dt.date | None
    last_day: dt.date | None
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def manifest(self, file_name: str) -> dict[str, Any]:
        return {
            "file": file_name,
            "format": self.format,
            "sha256": self.sha256,
            "bytes": len(self.content),
            "rows": self.rows,
            "model_name": self.model_name,
            "model_versions": self.versions,
            "method": self.method,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "filters": self.filters,
            "columns": list(EXPORT_COLUMNS),
        }


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def _records(rows: Sequence[RelationIndexRow]) -> list[dict[str, Any]]:
    methods: dict[tuple[str, str, str], str] = {}
    out: list[dict[str, Any]] = []
    for r in rows:
        key = (r.model_name, r.model_version, r.quantification)
        if key not in methods:
            methods[key] = method_id(scheme_for_labels(sorted(r.class_shares)).name, r.quantification)
        out.append(
            {
                "model_name": r.model_name,
                "model_version": r.model_version,
                "method": methods[key],
                "computed_at": _aware(r.computed_at),
                "pair": str(CountryPair(r.country_a, r.country_b, r.direction)),
                "country_a": r.country_a,
                "country_b": r.country_b,
                "direction": r.direction,
                "day": r.day,
                "score": r.score,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "score_7d": r.score_7d,
                "score_30d": r.score_30d,
                "sentence_count": r.sentence_count,
                "article_count": r.article_count,
                "source_count": r.source_count,
                "volume_share": r.volume_share,
                "class_shares": json.dumps(r.class_shares, sort_keys=True),
            }
        )
    return out


def _csv_bytes(records: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow(
            {
                **rec,
                "computed_at": rec["computed_at"].isoformat(),
                "day": rec["day"].isoformat(),
                **{k: "" if rec[k] is None else repr(rec[k]) for k in ("score_7d", "score_30d")},
                **{k: repr(rec[k]) for k in ("score", "ci_low", "ci_high", "volume_share")},
            }
        )
    return buf.getvalue().encode("utf-8")


def _parquet_bytes(records: list[dict[str, Any]], metadata: dict[str, str]) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # the core install has no pyarrow; the serve extra does
        raise DataError(
            "parquet export needs pyarrow: install newsmodel-platform[serve], or use --format csv"
        ) from None
    schema = pa.schema(
        [
            ("model_name", pa.string()),
            ("model_version", pa.string()),
            ("method", pa.string()),
            ("computed_at", pa.timestamp("us", tz="UTC")),
            ("pair", pa.string()),
            ("country_a", pa.string()),
            ("country_b", pa.string()),
            ("direction", pa.string()),
            ("day", pa.date32()),
            ("score", pa.float64()),
            ("ci_low", pa.float64()),
            ("ci_high", pa.float64()),
            ("score_7d", pa.float64()),
            ("score_30d", pa.float64()),
            ("sentence_count", pa.int64()),
            ("article_count", pa.int64()),
            ("source_count", pa.int64()),
            ("volume_share", pa.float64()),
            ("class_shares", pa.string()),
        ],
        metadata=metadata,
    )
    table = pa.Table.from_pylist(records, schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def export_index(
    session: Session,
    versions: Sequence[VersionInfo],
    fmt: str,
    *,
    pair: CountryPair | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ExportFile:
    """Every index row of `versions` (all directions), ordered by version, pair, direction, day."""
    if fmt not in EXPORT_FORMATS:
        raise DataError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    if start is not None and end is not None and start > end:
        raise DataError(f"start {start} is after end {end}: give start <= end (YYYY-MM-DD)")
    rows: list[RelationIndexRow] = []
    for v in versions:
        stmt = index_rows_query(v, pair, start, end).order_by(
            RelationIndexRow.country_a,
            RelationIndexRow.country_b,
            RelationIndexRow.direction,
            RelationIndexRow.day,
        )
        rows.extend(session.scalars(stmt))
    records = _records(rows)
    methods = sorted({r["method"] for r in records})
    names = sorted({v.model_name for v in versions})
    computed = max((r["computed_at"] for r in records), default=None)
    filters = {
        "pair": str(pair) if pair else None,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }
    content = (
        _csv_bytes(records)
        if fmt == "csv"
        else _parquet_bytes(
            records,
            {
                "newsmodel.model_versions": ",".join(v.model_version for v in versions),
                "newsmodel.method": ";".join(methods),
                "newsmodel.filters": json.dumps(filters, sort_keys=True),
            },
        )
    )
    return ExportFile(
        format=fmt,  # type: ignore[arg-type]
        content=content,
        rows=len(records),
        versions=[v.model_version for v in versions],
        model_name=names[0] if len(names) == 1 else None,
        method=";".join(methods) or None,
        computed_at=computed,
        first_day=min((r["day"] for r in records), default=None),
        last_day=max((r["day"] for r in records), default=None),
        filters=filters,
    )
