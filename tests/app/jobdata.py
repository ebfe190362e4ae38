"""Sentence rows for scoring tests (one article, N sentences), written with the real schema."""

from __future__ import annotations

from sqlalchemy import func, select

from newsmodel.db.models import Article, Prediction, Sentence
from tests.support.db import session_scope

__all__ = ["insert_sentences", "prediction_counts"]

TEMPLATES = (
    "Seoul and Tokyo signed trade pact number {i}.",
    "North Korea fired missile {i} toward Japan.",
    "China and India held border talks, round {i}.",
)


def insert_sentences(url: str, n: int, language: str = "en") -> list[int]:
    with session_scope(url) as s:
        article = Article(
            canonical_url=f"https://example.test/a/{language}/{n}",
            url=f"https://example.test/a/{language}/{n}",
            content_hash="0" * 64,
            body="...",
            language=language,
        )
        s.add(article)
        s.flush()
        rows = [
            Sentence(
                article_id=article.id,
                position=i,
                text=TEMPLATES[i % 3].format(i=i)
                if language == "en"
                else f"한국과 일본이 {i}차 협의를 했다.",
                language=language,
                country_a="JPN",
                country_b="KOR",
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def prediction_counts(url: str, model_name: str) -> tuple[int, int]:
    """(rows, distinct sentences) of predictions by `model_name`."""
    with session_scope(url) as s:
        where = Prediction.model_name == model_name
        rows = s.scalar(select(func.count()).select_from(Prediction).where(where)) or 0
        distinct = s.scalar(select(func.count(func.distinct(Prediction.sentence_id))).where(where)) or 0
        return int(rows), int(distinct)
