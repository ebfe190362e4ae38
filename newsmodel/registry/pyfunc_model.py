"""The MLflow pyfunc model of a relation classifier (models-from-code).

MLflow executes this file when the model is loaded (`mlflow.pyfunc.load_model`, `mlflow models
serve`); the module-level `set_model` call is how models-from-code names the model, the one thing
this file does at import. No onnxruntime session is pickled: `load_context` builds the
`OnnxPredictor` from the model's artifacts (int8 by default; model_config {"variant": "fp32"}).

Input: a list of sentences, a pandas Series, or a DataFrame whose `text` (else first) column
holds them, with an optional `pair` column: the country pair to read each sentence for, two ISO
3166 alpha-3 codes as `"KOR-JPN"` (any order; also `_ : /` or a space between, or a list of two
codes); empty or missing: the sentence as it is. A pair-aware version (`pair_input` in its
label_map.json) reads each sentence with that pair's mentions marked, by the same encoding as
training and the server (newsmodel/text/pair_input.py); a sentence-level version ignores the pair.
A pair-aware version's signature names the columns (`text` required, `pair` optional), so send a
DataFrame (`dataframe_split`/`dataframe_records` to `mlflow models serve`); a sentence-level one
takes a plain list. Output: a DataFrame with `label` and one `p_<label>` probability column per label.
"""

from __future__ import annotations

import math
import re
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


_PAIR_SPLIT = re.compile(r"[-_:/,\s]+")


def _pair(value: Any) -> tuple[str, str] | None:
    """One cell of the `pair` column: None for no pair; ValueError naming the expected form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    codes = (
        [str(c) for c in value] if isinstance(value, list | tuple) else _PAIR_SPLIT.split(str(value).strip())
    )
    codes = [c.strip().upper() for c in codes if c.strip()]
    if not codes:
        return None
    if len(codes) != 2 or codes[0] == codes[1] or not all(len(c) == 3 and c.isalpha() for c in codes):
        raise ValueError(f"pair {value!r}: expected two different ISO 3166 alpha-3 codes, e.g. 'KOR-JPN'")
    return (min(codes), max(codes))


def _pairs(model_input: Any, n: int) -> list[tuple[str, str] | None]:
    import pandas as pd

    if isinstance(model_input, pd.DataFrame) and "pair" in model_input.columns:
        return [_pair(v) for v in model_input["pair"].tolist()]
    return [None] * n


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
        pairs = _pairs(model_input, len(texts))
        probs = self._predictor.predict_pairs_proba(texts, pairs)
        labels = self._predictor.labels
        frame = pd.DataFrame({f"p_{label}": probs[:, i] for i, label in enumerate(labels)})
        frame.insert(0, "label", [labels[int(i)] for i in probs.argmax(axis=1)] if len(texts) else [])
        return frame


mlflow.models.set_model(RelationClassifier())
