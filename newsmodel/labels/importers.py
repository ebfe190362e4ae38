"""Read labeled sentences from CSV / TSV / JSONL with a column mapping, and store them all-or-nothing.

Bad rows (missing fields, empty text, a label outside the scheme) are skipped and counted with
their line numbers, or fail the whole import with `strict=True`. Bytes that are not UTF-8 are
replaced (U+FFFD) and the lines reported; CRLF endings and a UTF-8 BOM are accepted. The
database write is one transaction: an import either lands completely or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from newsmodel.datasets.types import Example
from newsmodel.errors import DataError
from newsmodel.labels.schemes import get_scheme, map_label

__all__ = [
    "BadRow",
    "ColumnMapping",
    "FileFormat",
    "ImportResult",
    "RowProvenance",
    "file_origin",
    "parse_label_map",
    "parse_timestamp",
    "read_labeled_file",
]

FileFormat = Literal["csv", "tsv", "jsonl", "label-studio"]
Column = str | int


@dataclass(frozen=True)
class ColumnMapping:
    """Where text, label and (optional) group live: header names, or 0-based indices without a header."""

    text: Column = "text"
    label: Column = "label"
    group: Column | None = None


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class RowProvenance:
    """Who labeled a row and when, and which corpus sentence it is (when the file says)."""

    annotator: str | None = None
    labeled_at: dt.datetime | None = None
    sentence_id: int | None = None


@dataclass
class ImportResult:
    """What a file gave: examples (in target-scheme labels) with their line numbers, and what it did not."""

    origin: str
    scheme: str
    examples: list[Example] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    # Rows whose label has no counterpart in the target scheme (e.g. neutral -> binary).
    dropped: int = 0
    # Lines where invalid UTF-8 bytes were replaced by U+FFFD.
    repaired_lines: list[int] = field(default_factory=list)
    # Parallel to `examples` when the file carries per-row provenance; empty otherwise.
    provenance: list[RowProvenance] = field(default_factory=list)
    source_file: str | None = None

    def summary(self) -> str:
        bad = ", ".join(f"line {b.line}: {b.reason}" for b in self.bad_rows[:5])
        more = f" (+{len(self.bad_rows) - 5} more)" if len(self.bad_rows) > 5 else ""
        return (
            f"{self.origin}: {len(self.examples)} examples ({self.scheme}), {len(self.bad_rows)} bad rows"
            + (f" [{bad}{more}]" if bad else "")
            + f", {self.dropped} without a {self.scheme} label, {len(self.repaired_lines)} lines with invalid UTF-8"
        )


def parse_label_map(spec: str | None) -> dict[str, str]:
    """'0=neutral,1=verbal_cooperation' -> {'0': 'neutral', ...}."""
    if not spec:
        return {}
    out: dict[str, str] = {}
    for item in spec.split(","):
        raw, sep, label = item.partition("=")
        if not sep or not raw.strip() or not label.strip():
            raise DataError(f"label map entry {item!r} is not RAW=LABEL (e.g. 0=neutral)")
        out[raw.strip()] = label.strip()
    return out


def _decoded_lines(raw: bytes, repaired: list[int]) -> Iterator[str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            repaired.append(number)
            yield line.decode("utf-8", errors="replace")


def _records(
    path: Path, fmt: FileFormat, has_header: bool, columns: ColumnMapping, repaired: list[int]
) -> Iterator[tuple[int, Mapping[Column, object] | str]]:
    """(line number, record or an error reason) per non-blank row; a header missing a column fails."""
    lines = _decoded_lines(path.read_bytes(), repaired)
    if fmt == "jsonl":
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"not valid JSON ({exc.msg})"
                continue
            yield number, obj if isinstance(obj, dict) else "not a JSON object"
        return
    # TSV is read literally (no quoting: sentences contain quote marks); CSV follows RFC 4180.
    reader = (
        csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        if fmt == "tsv"
        else csv.reader(lines, delimiter=",")
    )
    header: list[str] | None = None
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if has_header and header is None:
            header = [h.strip() for h in row]
            _check_header(header, columns, path)
            continue
        yield reader.line_num, (dict(zip(header, row, strict=False)) if header else dict(enumerate(row)))


def _check_header(header: list[str], columns: ColumnMapping, path: Path) -> None:
    wanted = [c for c in (columns.text, columns.label, columns.group) if c is not None]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; the header has {header} (set the column mapping)"
        )


def file_origin(path: Path, name: str | None = None) -> str:
    """A versioned dataset name: '<name>@sha256:<first 12 hex of the file>'."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{name or path.name}@sha256:{digest}"


def read_labeled_file(
    path: str | Path,
    *,
    source_scheme: str,
    target_scheme: str | None = None,
    fmt: FileFormat | None = None,
    columns: ColumnMapping = ColumnMapping(),
    has_header: bool = True,
    label_map: Mapping[str, str] | None = None,
    origin: str | None = None,
    strict: bool = False,
) -> ImportResult:
    """Parse a labeled file into examples of `target_scheme` (default: the source scheme)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"labeled data file not found: {path}")
    fmt = fmt or _guess_format(path)
    if fmt == "label-studio":
        from newsmodel.labels.label_studio import read_label_studio_export

        return read_label_studio_export(
            path,
            source_scheme=source_scheme,
            target_scheme=target_scheme,
            label_map=label_map,
            origin=origin,
            strict=strict,
        )
    if fmt not in ("csv", "tsv", "jsonl"):
        raise DataError(f"unknown format {fmt!r}: use csv, tsv, jsonl or label-studio")
    target = target_scheme or source_scheme
    labels = get_scheme(source_scheme).labels
    get_scheme(target)
    if (
        not has_header
        and fmt != "jsonl"
        and not all(isinstance(c, int) for c in (columns.text, columns.label) if c is not None)
    ):
        raise DataError("without a header row, columns are 0-based indices (e.g. text=0 label=1)")
    result = ImportResult(origin=origin or file_origin(path), scheme=target, source_file=str(path.resolve()))
    mapping = dict(label_map or {})
    for line, record in _records(path, fmt, has_header and fmt != "jsonl", columns, result.repaired_lines):
        if isinstance(record, str):
            result.bad_rows.append(BadRow(line, record))
            continue
        text, label = record.get(columns.text), record.get(columns.label)
        group = record.get(columns.group) if columns.group is not None else None
        reason = _row_problem(text, label, labels, mapping)
        if reason:
            result.bad_rows.append(BadRow(line, reason))
            continue
        source_label = mapping.get(str(label).strip(), str(label).strip())
        mapped = map_label(source_label, source_scheme, target)
        if mapped is None:
            result.dropped += 1
            continue
        result.examples.append(Example(text=str(text).strip(), label=mapped, group=str(group or "")))
        result.lines.append(line)
        result.provenance.append(_row_provenance(record))
    if strict and result.bad_rows:
        raise DataError(f"strict import refused {path}: {result.summary()}")
    if not result.examples and result.bad_rows:
        raise DataError(f"no usable rows in {path}: {result.summary()}")
    return result


def parse_timestamp(value: object) -> dt.datetime | None:
    """An ISO 8601 time ('...Z' accepted) as UTC, or None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _row_provenance(record: Mapping[Column, object]) -> RowProvenance:
    """Optional columns an exported-then-labeled file carries: sentence_id, annotator, labeled_at."""
    raw_id = str(record.get("sentence_id") or "").strip()
    annotator = str(record.get("annotator") or "").strip()
    return RowProvenance(
        annotator=annotator[:200] or None,
        labeled_at=parse_timestamp(record.get("labeled_at")),
        sentence_id=int(raw_id) if raw_id.isdigit() else None,
    )


def _row_problem(text: object, label: object, labels: tuple[str, ...], mapping: Mapping[str, str]) -> str:
    if text is None or label is None:
        return "missing text or label field"
    if not isinstance(text, str):
        return f"text is a {type(text).__name__}, not a string"
    if not text.strip():
        return "empty text"
    if "\x00" in text:
        return "text contains a NUL byte"
    raw = str(label).strip()
    if not raw:
        return "no label (not labeled yet)"
    resolved = mapping.get(raw, raw)
    if resolved not in labels:
        return f"unknown label {raw!r} (expected one of {list(mapping) or list(labels)})"
    return ""


def _guess_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "jsonl"):
        return suffix  # type: ignore[return-value]
    if suffix == "json" and path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        return "label-studio"  # a JSON list: Label Studio's JSON export
    if suffix in ("ndjson", "json"):
        return "jsonl"
    if suffix == "txt":
        return "tsv"
    raise DataError(
        f"cannot tell the format of {path.name}: pass the format (csv, tsv, jsonl or label-studio)"
    )
