"""`utc_day(ts)`: the UTC calendar date of a timestamp, in SQL that Postgres and SQLite both run.

A sentence's day is its article's `published_at` (else `fetched_at`) as a UTC date. Postgres
stores timestamptz, so the date must be taken after converting to UTC, not in the session's
time zone; SQLite stores the UTC wall-clock text the services write, so `date()` is enough.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["utc_day"]


class utc_day(FunctionElement[Any]):
    """UTC date of a timestamp expression."""

    type = Date()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day, "postgresql")
def _utc_day_pg(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"
