"""Labeled datasets: importers, the leakage-free split builder, data checks."""
