"""TextRank sentence importance: PageRank (networkx) over a sentence-similarity graph.

Similarity is the original TextRank's (Mihalcea & Tarau 2004): shared content words divided by
the sum of the log lengths. Content words are lower-cased English words minus the stop words in
stop_words_en.txt (scikit-learn's list, kept as a data file so serving needs no scikit-learn), or
Kiwi's noun / verb / foreign-word morphemes for Korean (particles attach to Korean words, so
whole words rarely repeat).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

__all__ = ["content_words", "english_stop_words", "textrank_scores"]

_WORD = re.compile(r"[^\W_]+")
_KO_CONTENT_TAGS = ("NNG", "NNP", "NNB", "VV", "VA", "SL", "SH", "XR")


@cache
def english_stop_words() -> frozenset[str]:
    """The English stop words (read once from the package's stop_words_en.txt)."""
    text = resources.files("newsmodel.text").joinpath("stop_words_en.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def content_words(sentence: str, language: str = "en") -> set[str]:
    if language == "ko":
        from newsmodel.text.sentences import _kiwi

        return {t.form.lower() for t in _kiwi().tokenize(sentence) if t.tag.startswith(_KO_CONTENT_TAGS)}
    stop = english_stop_words()
    return {w for w in (m.lower() for m in _WORD.findall(sentence)) if w not in stop and len(w) > 1}


def _similarity(a: set[str], b: set[str]) -> float:
    if len(a) < 2 or len(b) < 2:
        overlap = len(a & b)
        return float(overlap) / 2 if overlap else 0.0
    return len(a & b) / (math.log(len(a)) + math.log(len(b)))


def textrank_scores(sentences: Sequence[str], language: str = "en") -> list[float]:
    """One score per sentence, summing to 1; equal scores when no two sentences share a word."""
    n = len(sentences)
    if n == 0:
        return []
    if n == 1:
        return [1.0]
    import networkx as nx

    words = [content_words(s, language) for s in sentences]
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for i in range(n):
        for j in range(i + 1, n):
            weight = _similarity(words[i], words[j])
            if weight > 0:
                graph.add_edge(i, j, weight=weight)
    if graph.number_of_edges() == 0:
        return [1.0 / n] * n
    ranks = nx.pagerank(graph, weight="weight")
    return [float(ranks[i]) for i in range(n)]
