"""Named, versioned label schemes and the mappings between them.

`quad5` is the CAMEO/PLOVER quad class set of the ConfliBERT data; `relation3` folds it into
conflict / neutral / cooperation; `binary` is the original project's bad / good. Every model
version stores its scheme, so predictions and the relation index know what a label means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsmodel.errors import DataError

__all__ = ["SCHEMES", "LabelScheme", "get_scheme", "map_label"]


@dataclass(frozen=True)
class LabelScheme:
    """An ordered label set; `polarity` is each label's weight in the relation score (-1..1)."""

    name: str
    version: int
    labels: tuple[str, ...]
    polarity: dict[str, float]
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def index(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise DataError(f"label {label!r} is not in scheme {self.key} {list(self.labels)}") from None


QUAD5 = LabelScheme(
    name="quad5",
    version=1,
    labels=(
        "neutral",
        "verbal_cooperation",
        "material_cooperation",
        "verbal_conflict",
        "material_conflict",
    ),
    # Material events weigh more than verbal ones (documented in the README's index section).
    polarity={
        "neutral": 0.0,
        "verbal_cooperation": 0.5,
        "material_cooperation": 1.0,
        "verbal_conflict": -0.5,
        "material_conflict": -1.0,
    },
    descriptions={
        "neutral": "statement or appeal: neither cooperation nor conflict (CAMEO quad 0)",
        "verbal_cooperation": "verbal cooperation (quad 1)",
        "material_cooperation": "material cooperation (quad 2)",
        "verbal_conflict": "verbal conflict (quad 3)",
        "material_conflict": "material conflict (quad 4)",
    },
)

RELATION3 = LabelScheme(
    name="relation3",
    version=1,
    labels=("conflict", "neutral", "cooperation"),
    polarity={"conflict": -1.0, "neutral": 0.0, "cooperation": 1.0},
)

BINARY = LabelScheme(
    name="binary",
    version=1,
    labels=("bad", "good"),
    polarity={"bad": -1.0, "good": 1.0},
    descriptions={"bad": "the original project's 'bad' relation", "good": "its 'good' relation"},
)

SCHEMES: dict[str, LabelScheme] = {s.name: s for s in (QUAD5, RELATION3, BINARY)}

# (from, to) -> label mapping. quad5 -> binary drops neutral (None = no counterpart).
_MAPPINGS: dict[tuple[str, str], dict[str, str | None]] = {
    ("quad5", "relation3"): {
        "neutral": "neutral",
        "verbal_cooperation": "cooperation",
        "material_cooperation": "cooperation",
        "verbal_conflict": "conflict",
        "material_conflict": "conflict",
    },
    ("quad5", "binary"): {
        "neutral": None,
        "verbal_cooperation": "good",
        "material_cooperation": "good",
        "verbal_conflict": "bad",
        "material_conflict": "bad",
    },
    ("relation3", "binary"): {"conflict": "bad", "neutral": None, "cooperation": "good"},
}


def get_scheme(name: str) -> LabelScheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise DataError(f"unknown label scheme {name!r}; known: {sorted(SCHEMES)}") from None


def map_label(label: str, source: str, target: str) -> str | None:
    """Map a label between schemes; None when the target has no counterpart (e.g. neutral -> binary)."""
    if source == target:
        get_scheme(source).index(label)
        return label
    mapping = _MAPPINGS.get((source, target))
    if mapping is None:
        raise DataError(f"no mapping from label scheme {source!r} to {target!r}")
    if label not in mapping:
        raise DataError(f"label {label!r} is not in scheme {source!r}")
    return mapping[label]
