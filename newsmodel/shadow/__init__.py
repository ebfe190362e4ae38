"""Shadow challenger: how the `challenger` alias's version reads the champion's live sentences.

`tally` aggregates comparisons (pure), `store` keeps them in the corpus database, `registry`
pushes the live figures onto the challenger's model version, `report` renders what a reviewer
reads before promoting. The serving side (queue, budget, background thread) is `app.shadow`.
"""

from newsmodel.shadow.tally import BINS, ComparisonKey, Disagreement, ShadowTally, confidence_bin, wilson

__all__ = ["BINS", "ComparisonKey", "Disagreement", "ShadowTally", "confidence_bin", "wilson"]
