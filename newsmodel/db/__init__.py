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
from newsmodel.db.session import connect, get_engine, session_scope

__all__ = [
    "Article",
    "ArticleLink",
    "Base",
    "CrawlRun",
    "LabeledExample",
    "Prediction",
    "RelationIndexRow",
    "ScoringJob",
    "Sentence",
    "Source",
    "connect",
    "get_engine",
    "session_scope",
]
