"""`newsmodel preprocess`: stored articles -> sentence rows, incrementally, one transaction per batch.

Only articles with `preprocessed_at IS NULL` are read; each batch's sentence rows and the
articles' `preprocessed_at` / `countries` are written in one transaction, so an interrupted run
leaves every article either fully processed or untouched, and the next run picks up the rest.
Batches are claimed with `FOR UPDATE SKIP LOCKED` on Postgres, so two runs never collide.
`preprocess_articles` takes the Database (a transaction per batch is its job); the batch
itself (`preprocess_batch`) works in the session it is given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from newsmodel.countries import CountryDetector, get_detector
from newsmodel.countries.direction import DirectionReader, get_direction_reader
from newsmodel.db.models import Article, Sentence, utcnow
from newsmodel.db.session import CONNECTION_ERRORS, Database
from newsmodel.errors import DataError
from newsmodel.logging import get_logger
from newsmodel.preprocess.pipeline import DEFAULT_MAX_SENTENCE_CHARS, SentenceRecord, process_article
from newsmodel.text.ner import EntityRecognizer

__all__ = ["PreprocessReport", "count_pending", "preprocess_articles", "preprocess_batch"]

log = get_logger(__name__)


@dataclass
class PreprocessReport:
    articles: int = 0
    sentences: int = 0
    candidate_sentences: int = 0
    rows: int = 0
    skipped_long: int = 0
    pending_before: int = 0
    ner: str = "off: not requested"
    seconds: float = 0.0
    languages: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"preprocessed {self.articles} article(s) of {self.pending_before} pending: "
            f"{self.sentences} sentences, {self.candidate_sentences} with a country pair, "
            f"{self.rows} sentence rows written, {self.skipped_long} over-long skipped; "
            f"NER {self.ner}; {self.seconds:.1f}s"
        )


def count_pending(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Article.preprocessed_at.is_(None))) or 0)


def _add_entities(records: list[SentenceRecord], ner: EntityRecognizer | None) -> None:
    if ner is None or not records:
        return
    unique = sorted({(r.position, r.text, r.language) for r in records})
    by_language: dict[str, list[tuple[int, str]]] = {}
    for position, text, language in unique:
        by_language.setdefault(language, []).append((position, text))
    found: dict[int, list[dict[str, object]] | None] = {}
    for language, items in by_language.items():
        results = ner.entities([t for _, t in items], language)
        for (position, _), ents in zip(items, results, strict=True):
            found[position] = [e.to_dict() for e in ents] if ents is not None else None
    for record in records:
        record.entities = found.get(record.position)  # type: ignore[assignment]


def preprocess_batch(
    session: Session,
    batch_size: int,
    detector: CountryDetector,
    focus: Sequence[str] | None,
    top_k: int | None,
    max_chars: int,
    ner: EntityRecognizer | None,
    report: PreprocessReport,
    directions: DirectionReader | None = None,
) -> int:
    """Claim up to `batch_size` pending articles and write their sentence rows; returns how many."""
    query = (
        select(Article)
        .where(Article.preprocessed_at.is_(None))
        .order_by(Article.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    articles = list(session.scalars(query))
    for article in articles:
        result = process_article(
            article.title,
            article.body,
            article.language,
            detector,
            focus=focus,
            top_k=top_k,
            max_chars=max_chars,
            date=article.published_at.date() if article.published_at else None,
            directions=directions,
        )
        _add_entities(result.records, ner)
        # A re-queued article (preprocessed_at reset by hand) replaces its old rows.
        session.execute(delete(Sentence).where(Sentence.article_id == article.id))
        session.add_all(Sentence(article_id=article.id, **record.__dict__) for record in result.records)
        article.countries = result.countries
        article.preprocessed_at = utcnow()
        report.sentences += result.sentences
        report.candidate_sentences += result.candidates
        report.rows += len(result.records)
        report.skipped_long += result.skipped_long
        report.languages[result.language] = report.languages.get(result.language, 0) + 1
    return len(articles)


def preprocess_articles(
    db: Database,
    *,
    limit: int | None = None,
    batch_size: int = 50,
    focus: Sequence[str] | None = None,
    top_k: int | None = None,
    max_chars: int = DEFAULT_MAX_SENTENCE_CHARS,
    ner: EntityRecognizer | None = None,
    progress: bool = True,
    detector: CountryDetector | None = None,
    direction: bool = True,
) -> PreprocessReport:
    """Process pending articles (all, or `limit` of them) and return what was done. With
    `direction` each pair sentence is parsed for who acts on whom (spaCy, when installed)."""
    from tqdm import tqdm

    detector = detector or get_detector()
    directions = get_direction_reader() if direction else None
    report = PreprocessReport(ner=ner.status if ner is not None else "off: disabled (--no-ner)")
    started = time.perf_counter()
    try:
        with db.transaction() as session:
            report.pending_before = count_pending(session)
        total = min(report.pending_before, limit) if limit is not None else report.pending_before
        with tqdm(total=total, unit="article", disable=not progress, desc="preprocess") as bar:
            while limit is None or report.articles < limit:
                size = batch_size if limit is None else min(batch_size, limit - report.articles)
                with db.transaction() as session:
                    done = preprocess_batch(
                        session, size, detector, focus, top_k, max_chars, ner, report, directions
                    )
                if done == 0:
                    break
                report.articles += done
                bar.update(done)
    except CONNECTION_ERRORS as exc:
        raise db.unavailable(exc) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DataError(f"preprocess stopped, the current batch was rolled back: {reason}") from exc
    report.seconds = time.perf_counter() - started
    log.info("preprocess done", **{k: v for k, v in report.__dict__.items() if k != "languages"})
    return report
