"""Label schemes (quad5, relation3, binary) and importers of labeled data."""

from newsmodel.labels.schemes import SCHEMES, LabelScheme, get_scheme, map_label

__all__ = ["SCHEMES", "LabelScheme", "get_scheme", "map_label"]
