"""Preprocessing: stored articles -> sentences that relate two countries (spans, pairs, TextRank, NER)."""

from newsmodel.preprocess.pipeline import ArticleSentences, SentenceRecord, process_article
from newsmodel.preprocess.runner import PreprocessReport, count_pending, preprocess_articles

__all__ = [
    "ArticleSentences",
    "PreprocessReport",
    "SentenceRecord",
    "count_pending",
    "preprocess_articles",
    "process_article",
]
