"""What a version read for each drill-down sentence: for a pair-aware version the sentence with
the pair's mentions marked (as the bulk jobs built it, `OnnxPredictor.pair_texts`), for a
sentence-level one the sentence as stored.

Which encoding a version reads is in its label map, known for the versions this process has
loaded (the served one, the shadow challenger); for another version the page says "unknown"
rather than guess.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Request

__all__ = ["Reading", "model_input", "version_reading"]

Reading = Literal["pair", "sentence", "unknown"]


def _loaded_handles(request: Request) -> list[Any]:
    services = getattr(request.app.state, "services", None)
    followers = [getattr(services, "follower", None)]
    shadow = getattr(services, "shadow", None)
    followers.append(getattr(shadow, "challenger", None))
    return [h for f in followers if (h := getattr(f, "current", None)) is not None]


def version_reading(request: Request, model_name: str, model_version: str) -> tuple[Reading, str | None]:
    """How `model_name` v`model_version` reads a sentence ("pair" with its encoding, "sentence"),
    or "unknown" when this process has not loaded it."""
    for handle in _loaded_handles(request):
        if handle.name == model_name and handle.version == model_version:
            style = handle.predictor.label_map.pair_input
            return ("pair", style) if style else ("sentence", None)
    return "unknown", None


def model_input(
    text: str, pair: tuple[str, str], reading: Reading, style: str | None
) -> tuple[str | None, list[dict[str, Any]]]:
    """(the text the model read, the mentions marked in it as offsets into `text`); (None, [])
    when the version's reading is unknown."""
    if reading == "unknown":
        return None, []
    if reading == "sentence" or style is None:
        return text, []
    from newsmodel.text.pair_input import encode_pair, marked_mentions

    found = marked_mentions(text, pair, style)
    return encode_pair(text, pair, style), [m.to_dict() for m in found]
