"""MLflow models-from-code entry point for the test model versions (no pickle).

Stands in for the training package's pyfunc wrapper until `newsmodel.registry` provides one;
it wraps the same OnnxPredictor the server uses, so `mlflow models serve` and the app run
the same inference code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
from mlflow.pyfunc import PythonModel


class NewsmodelOnnxModel(PythonModel):
    def load_context(self, context: Any) -> None:
        from newsmodel.predictor import OnnxPredictor

        self.predictor = OnnxPredictor.from_dir(Path(context.artifacts["label_map"]).parent)

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        if hasattr(model_input, "columns"):
            column = "text" if "text" in model_input.columns else model_input.columns[0]
            texts = [str(t) for t in model_input[column]]
        elif isinstance(model_input, str):
            texts = [model_input]
        else:
            texts = [str(t) for t in list(model_input)]
        return self.predictor.predict(texts)


mlflow.models.set_model(NewsmodelOnnxModel())
