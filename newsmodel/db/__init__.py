"""Corpus schema and database access (no torch)."""

from newsmodel.db.models import (
    Article,
    ArticleLink,
    Base,
    CrawlRun,
    LabeledExample,
    Prediction,
    RelationIndexRow,
    ScoringJob,
    Sentence,
    Source,
)
from newsmodel.db.session import Database, open_database

__all__ = [
    "Article",
    "ArticleLink",
    "Base",
    "CrawlRun",
    "Database",
    "LabeledExample",
    "Prediction",
    "RelationIndexRow",
    "ScoringJob",
    "Sentence",
    "Source",
    "open_database",
]
