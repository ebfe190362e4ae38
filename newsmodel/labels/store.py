"""Labeled examples in the database: an import lands completely in one transaction, or not at all.

Both functions work in the caller's session; the caller's transaction makes an import all or
nothing (`newsmodel data import` commits once `store_examples` has returned).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from newsmodel.datasets.grouping import group_texts
from newsmodel.datasets.types import Example
from newsmodel.db.models import LabeledExample
from newsmodel.db.session import CONNECTION_ERRORS, session_unavailable
from newsmodel.errors import DataError, DependencyUnavailable
from newsmodel.labels.importers import ImportResult, RowProvenance
from newsmodel.labels.schemes import get_scheme, map_label

__all__ = ["StoreReport", "load_examples", "store_examples"]

FLUSH_EVERY = 500


@dataclass(frozen=True)
class StoreReport:
    origin: str
    inserted: int
    replaced: int
    already_present: int


def _db_error(session: Session, exc: SQLAlchemyError, what: str) -> DependencyUnavailable | DataError:
    """Connection trouble names DATABASE_URL; a refused row is a data problem (nothing was written)."""
    if isinstance(exc, CONNECTION_ERRORS):
        return session_unavailable(session, exc)
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return DataError(f"the database refused {what}: {reason}; nothing was written")


def store_examples(
    session: Session,
    result: ImportResult,
    *,
    replace: bool = False,
    benchmark_eligible: bool = True,
    labeled_by: str | None = None,
) -> StoreReport:
    """Write an import's examples to labeled_examples; an origin already there is kept unless
    `replace`. Every row is flushed before it returns, so a refused row is reported here.

    Provenance per row: the file's own annotator/time where it has them, else `labeled_by`;
    `benchmark_eligible=False` keeps the rows out of any benchmark carved from the database."""
    if not result.examples:
        raise DataError(f"nothing to store from {result.origin}: {result.summary()}")
    groups = group_texts([e.text for e in result.examples])
    try:
        present = int(session.scalar(select(func.count()).where(LabeledExample.origin == result.origin)) or 0)
        if present and not replace:
            return StoreReport(result.origin, 0, 0, present)
        if present:
            session.execute(delete(LabeledExample).where(LabeledExample.origin == result.origin))
        provenance = result.provenance or [RowProvenance()] * len(result.examples)
        rows = zip(result.examples, result.lines, groups, provenance, strict=True)
        for number, (example, line, group, prov) in enumerate(rows, start=1):
            session.add(
                LabeledExample(
                    text=example.text,
                    label=example.label,
                    label_scheme=result.scheme,
                    origin=result.origin,
                    source_row=line,
                    split_group=example.group or group,
                    annotator=prov.annotator or labeled_by,
                    labeled_at=prov.labeled_at,
                    source_file=result.source_file,
                    sentence_id=prov.sentence_id,
                    benchmark_eligible=benchmark_eligible,
                )
            )
            if number % FLUSH_EVERY == 0:
                session.flush()  # bounded memory; still one transaction
        session.flush()
    except SQLAlchemyError as exc:
        raise _db_error(session, exc, f"the import of {result.origin}") from exc
    return StoreReport(result.origin, len(result.examples), present, 0)


def load_examples(
    session: Session, scheme: str, origins: Sequence[str] | None = None, *, for_benchmark: bool = False
) -> list[Example]:
    """Stored examples mapped into `scheme` (rows without a counterpart, e.g. neutral -> binary, are left out).

    `for_benchmark`: only rows imported as benchmark-eligible (what a benchmark may be carved from)."""
    get_scheme(scheme)
    query = select(LabeledExample).order_by(LabeledExample.origin, LabeledExample.source_row)
    if origins:
        query = query.where(LabeledExample.origin.in_(list(origins)))
    if for_benchmark:
        query = query.where(LabeledExample.benchmark_eligible.is_(True))
    try:
        rows = list(session.scalars(query))
    except SQLAlchemyError as exc:
        raise _db_error(session, exc, "the query for labeled examples") from exc
    if not rows:
        raise DataError(
            "no labeled examples in the database"
            + (f" for origin(s) {list(origins)}" if origins else "")
            + (
                " that a benchmark may be carved from (re-import with --benchmark-eligible)"
                if for_benchmark
                else ""
            )
            + ": run `newsmodel data import` first"
        )
    out: list[Example] = []
    for row in rows:
        label = map_label(row.label, row.label_scheme, scheme)
        if label is not None:
            out.append(Example(text=row.text, label=label, group=row.split_group or ""))
    return out
