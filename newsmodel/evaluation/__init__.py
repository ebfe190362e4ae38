"""Evaluation on a held-out split: metrics, baselines, slices, behaviour checks, plots, the report."""
