"""Pair-aware input: the one way a sentence is shown to a model that reads one country pair.

A sentence that names three countries can relate them differently ("Seoul and Tokyo agreed to
tighten sanctions on Pyongyang": JPN-KOR cooperation, JPN-PRK and KOR-PRK conflict); a
sentence-level reader gives every pair the same label. A pair-aware model reads the sentence
once per pair, with the pair's mentions marked in the text, so the same function must build
that text at training, evaluation, serving and index time: this module, named in the model's
`label_map.json` as `pair_input` (the encoding's id, below) so a predictor knows to apply it.

Encodings (`PAIR_INPUTS`):

- `markers@1`: every actor mention of the two countries (the country detector's spans) is
  wrapped in `@ ... @`, punctuation the pretrained tokenizer already knows (typed entity
  markers in punctuation form, Zhou and Chen 2021); the pair is unordered, so both countries
  get the same marker. If a country of the pair has no mention the detector finds (a name the
  caller knows by other means), the pair is also named in a prefix (`a ; b | text`).
- `prefix@1`: the pair's country names are put before the sentence (`korea, japan | text`).

No pair (`pair=None`): the text as it is. Training uses that for sentences whose relation is
not one pair's (no pair, one country, or several pairs of a sentence-level label).
"""

from __future__ import annotations

from collections.abc import Sequence

from newsmodel.countries.detector import Mention, get_detector

__all__ = ["MARKER", "PAIR_INPUTS", "encode_pair", "encode_pairs", "marked_mentions", "pair_names"]

PAIR_INPUTS = ("markers@1", "prefix@1")
MARKER = "@"


def _name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def pair_names(pair: tuple[str, str]) -> tuple[str, str]:
    """Readable names of the two codes (ISO 3166 short names; the code when it has none)."""
    return _name(pair[0]), _name(pair[1])


def _check(style: str) -> None:
    if style not in PAIR_INPUTS:
        raise ValueError(f"unknown pair input {style!r}: expected one of {PAIR_INPUTS}")


def encode_pair(
    text: str,
    pair: tuple[str, str] | None,
    style: str = "markers@1",
    mentions: Sequence[Mention] | None = None,
) -> str:
    """`text` as a pair-aware model reads it for `pair` (two ISO alpha-3 codes, any order).

    `mentions`: the detector's mentions of `text` when the caller has them (the index does);
    else the detector runs here.
    """
    _check(style)
    if pair is None:
        return text
    codes = {pair[0].upper(), pair[1].upper()}
    a, b = pair_names((min(codes), max(codes)))
    prefix = f"{a.lower()} ; {b.lower()} | "
    if style == "prefix@1":
        return prefix + text
    found = get_detector().detect(text) if mentions is None else mentions
    spans = _marked(found, codes)
    pieces: list[str] = []
    cursor = 0
    for m in spans:
        pieces.append(text[cursor : m.start])
        pieces.append(f"{MARKER} {text[m.start : m.end]} {MARKER}")
        cursor = m.end
    pieces.append(text[cursor:])
    encoded = "".join(pieces)
    marked = {m.iso3 for m in found if m.iso3 in codes and not m.venue}
    return encoded if marked == codes else prefix + encoded


def _marked(found: Sequence[Mention], codes: set[str]) -> list[Mention]:
    """The mentions `markers@1` wraps: the pair's actor mentions, by position, overlaps dropped."""
    spans: list[Mention] = []
    last = -1
    for m in sorted(found, key=lambda m: (m.start, m.end)):
        if m.iso3 not in codes or m.venue or m.end <= m.start:
            continue
        if spans and (m.start, m.end) == (spans[-1].start, spans[-1].end):
            continue  # the same span twice
        if m.start < last:  # overlapping spans (should not happen): keep the first
            continue
        spans.append(m)
        last = m.end
    return spans


def marked_mentions(
    text: str,
    pair: tuple[str, str] | None,
    style: str = "markers@1",
    mentions: Sequence[Mention] | None = None,
) -> list[Mention]:
    """The mentions of `text` that `encode_pair` marks for `pair` (offsets into `text`): what a
    reader (the dashboard's drill-down) highlights to show which mentions the model was shown."""
    _check(style)
    if pair is None or style != "markers@1":
        return []
    found = get_detector().detect(text) if mentions is None else mentions
    return _marked(found, {pair[0].upper(), pair[1].upper()})


def encode_pairs(texts: Sequence[str], pairs: Sequence[tuple[str, str] | None], style: str) -> list[str]:
    """`encode_pair` over parallel lists."""
    if len(texts) != len(pairs):
        raise ValueError(f"{len(texts)} texts but {len(pairs)} pairs")
    return [encode_pair(t, p, style) for t, p in zip(texts, pairs, strict=True)]
