"""The MLflow pyfunc model of a relation classifier (models-from-code).

MLflow executes this file when the model is loaded (`mlflow.pyfunc.load_model`, `mlflow models
serve`); the module-level `set_model` call is how models-from-code names the model, the one thing
this file does at import. No onnxruntime session is pickled: `load_context` builds the
`OnnxPredictor` from the model's artifacts (int8 by default; model_config {"variant": "fp32"}).

Input: a list of sentences, a pandas Series, or a DataFrame whose `text` (else first) column
holds them. Output: a DataFrame with `label` and one `p_<label>` probability column per label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
from mlflow.pyfunc import PythonModel

__all__ = ["RelationClassifier"]


def _texts(model_input: Any) -> list[str]:
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        column = "text" if "text" in model_input.columns else model_input.columns[0]
        return [str(t) for t in model_input[column].tolist()]
    if isinstance(model_input, pd.Series):
        return [str(t) for t in model_input.tolist()]
    if isinstance(model_input, str):
        return [model_input]
    return [str(t) for t in list(model_input)]


class RelationClassifier(PythonModel):
    """Sentence -> relation label and probabilities, through onnxruntime + tokenizers only."""

    def load_context(self, context: Any) -> None:
        from newsmodel.predictor import OnnxPredictor

        artifacts_dir = Path(context.artifacts["label_map"]).parent
        variant = (context.model_config or {}).get("variant", "int8")
        self._predictor = OnnxPredictor.from_dir(artifacts_dir, variant=variant)

    # model_input stays unannotated: MLflow validates inputs against annotations it cannot express.
    def predict(self, context: Any, model_input, params: dict[str, Any] | None = None) -> Any:  # type: ignore[no-untyped-def]
        import pandas as pd

        texts = _texts(model_input)
        probs = self._predictor.predict_proba(texts)
        labels = self._predictor.labels
        frame = pd.DataFrame({f"p_{label}": probs[:, i] for i, label in enumerate(labels)})
        frame.insert(0, "label", [labels[int(i)] for i in probs.argmax(axis=1)] if len(texts) else [])
        return frame


mlflow.models.set_model(RelationClassifier())
