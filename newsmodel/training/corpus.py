"""Unlabeled sentences for tokenizer training and DAPT: a text file, or the crawled corpus in the DB."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newsmodel.errors import DataError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["read_db_sentences", "read_text_file"]


def read_text_file(path: str | Path, limit: int | None = None) -> list[str]:
    """One sentence per line; blank lines skipped; undecodable bytes replaced, not fatal."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file} does not exist: give a text file with one sentence per line")
    lines = [line.strip() for line in file.read_text(encoding="utf-8", errors="replace").splitlines()]
    texts = [line for line in lines if line]
    if not texts:
        raise DataError(f"{file} holds no sentences")
    return texts[:limit] if limit else texts


def read_db_sentences(session: Session, limit: int | None = None, language: str | None = "en") -> list[str]:
    """Crawled sentences (the `sentences` table), newest first, optionally one language."""
    from sqlalchemy import select

    from newsmodel.db.models import Sentence

    query = select(Sentence.text).order_by(Sentence.id.desc())
    if language:
        query = query.where(Sentence.language == language)
    if limit:
        query = query.limit(limit)
    texts = [t for t in session.scalars(query) if t and t.strip()]
    if not texts:
        raise DataError(
            f"no {language or ''} sentences in the database: crawl and preprocess first, or use --text-file"
        )
    return texts
