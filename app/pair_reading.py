"""What the served version reads for a request: each sentence once (or for the requested pair)
and, for a pair-aware version, once per detected country pair with that pair's mentions marked.

A sentence-level version reads the text as it is, so its pair readings are the sentence's label
repeated (said as `reading: "sentence"`); a pair-aware one (`pair_input` in its label map) reads
"Seoul and Tokyo agreed to tighten sanctions on Pyongyang" three times, as the bulk jobs do with
the sentence's three rows. Each read is one model input: cached under its own key and run through
the micro-batcher like a sentence, so a sentence with many pairs costs its share of the token
budget, not more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.cache import cache_key
from app.model_follower import ModelHandle
from newsmodel.countries import Mention

__all__ = ["Read", "ReadPlan", "assemble_rows", "plan_reads", "shadow_reads"]

Pair = tuple[str, str]


@dataclass(frozen=True)
class Read:
    """One model input: sentence `index` read for `pair` (None: as it is)."""

    index: int
    pair: Pair | None
    model_input: str
    key: str


@dataclass(frozen=True)
class ReadPlan:
    """The distinct reads of a request, and which read answers what."""

    reads: list[Read]
    top: list[int]  # per sentence: the read behind its label (the requested pair's, or as it is)
    pairs: list[list[tuple[Pair, int]]]  # per sentence: (pair, read) of a pair-aware version
    encoding: str | None = None  # the version's pair encoding; None: sentence-level


def plan_reads(
    handle: ModelHandle,
    texts: Sequence[str],
    pair: Pair | None,
    found: Sequence[tuple[list[Mention], list[Pair]]] | None,
) -> ReadPlan:
    """The reads for `texts`. `found`: each text's mentions and pairs (the detector's, at the
    request's date) for a pair-aware version; None for a sentence-level one (it reads texts as
    they are, whatever the pair)."""
    style = handle.predictor.label_map.pair_input
    reads: list[Read] = []
    by_key: dict[str, int] = {}

    def add(index: int, read_pair: Pair | None, model_input: str) -> int:
        key = cache_key(
            handle.name,
            handle.version,
            handle.predictor.variant,
            handle.digest,
            model_input,
            style,
            read_pair,
        )
        if key not in by_key:
            by_key[key] = len(reads)
            reads.append(Read(index, read_pair, model_input, key))
        return by_key[key]

    if style is None or found is None:
        top = [add(i, None, text) for i, text in enumerate(texts)]
        return ReadPlan(reads, top, [[] for _ in texts])
    from newsmodel.text.pair_input import encode_pair

    top, pairs = [], []
    for i, (text, (mentions, detected)) in enumerate(zip(texts, found, strict=True)):
        top.append(add(i, pair, encode_pair(text, pair, style, mentions)))
        pairs.append([(p, add(i, p, encode_pair(text, p, style, mentions))) for p in detected])
    return ReadPlan(reads, top, pairs, style)


def _reading(pair: Sequence[str], row: Mapping[str, Any], reading: str, model_input: str) -> dict[str, Any]:
    return {
        "pair": list(pair),
        "label": row["label"],
        "probabilities": row["probabilities"],
        "reading": reading,
        "model_input": model_input,
    }


def assemble_rows(
    texts: Sequence[str],
    pair: Pair | None,
    plan: ReadPlan,
    models: Sequence[Mapping[str, Any]],
    analyses: Sequence[Mapping[str, Any]],
    fresh: set[int],
) -> list[dict[str, Any]]:
    """SentencePrediction rows (its fields, in its order): `models[r]` is read r's label and
    probabilities, `analyses[i]` sentence i's countries, `fresh` the reads just computed."""
    pair_aware = plan.encoding is not None
    rows = []
    for i, (text, analysis) in enumerate(zip(texts, analyses, strict=True)):
        top = models[plan.top[i]]
        if pair_aware:
            readings = [_reading(p, models[r], "pair", plan.reads[r].model_input) for p, r in plan.pairs[i]]
        else:
            readings = [_reading(p, top, "sentence", text) for p in analysis["country_pairs"]]
        rows.append(
            {
                "label": top["label"],
                "probabilities": top["probabilities"],
                "pair": list(pair) if pair else None,
                "reading": "pair" if pair and pair_aware else "sentence",
                **analysis,
                "pair_readings": readings,
                "cached": plan.top[i] not in fresh,
            }
        )
    return rows


def shadow_reads(
    texts: Sequence[str], pair: Pair | None, rows: Sequence[Mapping[str, Any]], per_pair: bool = True
) -> tuple[list[str], list[Mapping[str, Any]], list[Pair | None]]:
    """What the challenger is offered: the sentences as sent with each answered reading and its
    pair (the sentence's row, or the requested pair's, then with `per_pair` one per other
    detected pair), as the bulk jobs give it each sentence row with its pair, so a challenger
    applies its own encoding. Without `per_pair` (neither version reads pairs) only the first."""
    out_texts: list[str] = []
    out_rows: list[Mapping[str, Any]] = []
    out_pairs: list[Pair | None] = []
    for text, row in zip(texts, rows, strict=True):
        out_texts.append(text)
        out_rows.append(row)
        out_pairs.append(pair)
        for reading in row["pair_readings"] if per_pair else ():
            read_pair = (reading["pair"][0], reading["pair"][1])
            if read_pair != pair:
                out_texts.append(text)
                out_rows.append(reading)
                out_pairs.append(read_pair)
    return out_texts, out_rows, out_pairs
