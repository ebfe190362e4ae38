"""Text processing: sentence splitting (EN pysbd, KO kiwipiepy), TextRank importance, NER."""

from newsmodel.text.ner import Entity, EntityRecognizer, get_recognizer
from newsmodel.text.sentences import SentenceSpan, guess_language, split_sentences
from newsmodel.text.textrank import textrank_scores

__all__ = [
    "Entity",
    "EntityRecognizer",
    "SentenceSpan",
    "get_recognizer",
    "guess_language",
    "split_sentences",
    "textrank_scores",
]
