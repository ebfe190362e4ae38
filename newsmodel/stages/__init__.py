"""Pipeline stages you can re-run: train -> export -> quantize -> evaluate -> register.

Each stage is one module with `run(ctx) -> metrics`, reading its inputs from the MLflow run (its
logged artifacts and config) and writing its outputs back to it, so any stage re-runs on an
existing run without retraining. What has completed is recorded on the run as tags
(`newsmodel.stage.<name>`), which is what `newsmodel pipeline --resume RUN_ID` reads.
"""

from newsmodel.stages.state import STAGES

__all__ = ["STAGES"]
