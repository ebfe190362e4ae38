"""Hand-made corpus rows for index tests: sources, articles, pair sentences and predictions.

Shared by tests/newsmodel/relindex and tests/app/relations (API, backfill, browser) so every test states
its data in a few lines: `Corpus(session).sentence(day, "KOR", "USA", article=...)` etc.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from newsmodel.db.models import Article, ArticleLink, Prediction, Sentence, Source
from newsmodel.labels.schemes import QUAD5, RELATION3

__all__ = ["MODEL", "Corpus", "one_hot", "quad5", "relation3"]

MODEL = "news-relation"


def one_hot(label: str, labels: Sequence[str] = QUAD5.labels) -> dict[str, float]:
    return {name: (1.0 if name == label else 0.0) for name in labels}


def quad5(neutral: float, vcoop: float, mcoop: float, vconf: float, mconf: float) -> dict[str, float]:
    return dict(zip(QUAD5.labels, (neutral, vcoop, mcoop, vconf, mconf), strict=True))


def relation3(conflict: float, neutral: float, cooperation: float) -> dict[str, float]:
    return dict(zip(RELATION3.labels, (conflict, neutral, cooperation), strict=True))


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


class Corpus:
    """Adds rows through one session; ids come back so tests can refer to them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = itertools.count(1)

    def source(self, name: str, country: str = "KOR") -> Source:
        src = Source(name=name, country=country, kind="rss", url=f"https://{name}.example/rss", language="en")
        self.session.add(src)
        self.session.flush()
        return src

    def article(
        self,
        day: dt.date | None,
        source: Source | None = None,
        *,
        published_at: dt.datetime | None = None,
        fetched_at: dt.datetime | None = None,
        title: str | None = None,
        also_in: Sequence[Source] = (),
    ) -> Article:
        """An article published on `day` at noon UTC (or at `published_at`); `also_in` adds
        syndicated copies (ArticleLink rows) from other sources."""
        n = next(self._n)
        key = uuid.uuid4().hex
        url = f"https://news.example/{key}"
        art = Article(
            canonical_url=url,
            url=url,
            content_hash=key.ljust(64, "0"),
            language="en",
            title=title or f"Story {n}",
            body="...",
            published_at=published_at if published_at is not None else (noon(day) if day else None),
            fetched_at=fetched_at or (noon(day) if day else dt.datetime.now(dt.UTC)),
            source_id=source.id if source else None,
        )
        self.session.add(art)
        self.session.flush()
        for other in also_in:
            link_url = f"https://{other.name}.example/copy/{key}"
            self.session.add(ArticleLink(article_id=art.id, source_id=other.id, canonical_url=link_url))
        self.session.flush()
        return art

    def sentence(self, article: Article, a: str, b: str, text: str | None = None, **kw: object) -> Sentence:
        n = next(self._n)
        first, second = sorted((a, b))
        sent = Sentence(
            article_id=article.id,
            position=n,
            text=text or f"{first} and {second} sentence {n}.",
            country_a=first,
            country_b=second,
            mentions=[],
            **kw,
        )
        self.session.add(sent)
        self.session.flush()
        return sent

    def predict(
        self,
        sentence: Sentence,
        probabilities: dict[str, float],
        version: str = "1",
        *,
        model: str = MODEL,
        created_at: dt.datetime | None = None,
    ) -> Prediction:
        label = max(probabilities, key=lambda k: probabilities[k])
        pred = Prediction(
            sentence_id=sentence.id,
            model_name=model,
            model_version=version,
            label=label,
            probabilities=probabilities,
            created_at=created_at or dt.datetime.now(dt.UTC),
        )
        self.session.add(pred)
        self.session.flush()
        return pred
