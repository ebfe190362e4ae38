"""ONNX predictor: the one way a registered model version is run outside training.

Light on purpose (onnxruntime + tokenizers + numpy, never torch) so the API and worker images
stay small. It reads only ONNX, `tokenizer.json` and `label_map.json` - no pickle. The same
class serves the FastAPI app, the Celery worker and the MLflow pyfunc wrapper.

Model directory layout (a registered version's folder, or the `artifacts/` folder of a logged pyfunc model)::

    model.int8.onnx  model.fp32.onnx  tokenizer/tokenizer.json  label_map.json
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from newsmodel.errors import ModelNotAvailable

__all__ = ["LabelMap", "OnnxPredictor", "Variant", "find_artifacts_dir"]

Variant = Literal["int8", "fp32"]

LABEL_MAP_FILE = "label_map.json"
DEFAULT_MODEL_LANGUAGES = ("en",)
TOKENIZER_FILE = Path("tokenizer") / "tokenizer.json"
DEFAULT_BATCH_SIZE = 32
# A length group grows while its padded size stays within this share above its real tokens.
# Padding costs ONNX as much as real tokens and a separate group costs little (one more run),
# so the bound is tight: 0.10 against the earlier 0.25 gave MiniLM int8 micro-batches of 16
# sentences in arrival order 7% more sentences/s on one core (`python bench/padding.py`).
MAX_PADDING_WASTE = 0.10
_PAD_CANDIDATES = ("[PAD]", "<pad>", "<PAD>")


@dataclass(frozen=True)
class LabelMap:
    """What `label_map.json` says about the model: labels in logit order and its inputs."""

    labels: tuple[str, ...]
    max_length: int
    input_names: tuple[str, ...]
    scheme: str = ""
    scheme_version: str = ""
    model_name: str = ""
    architecture: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the model reads (`languages` in label_map.json); models packaged before
        the field existed were all trained on English."""
        found = self.extra.get("languages")
        if isinstance(found, list) and found and all(isinstance(x, str) for x in found):
            return tuple(x.lower() for x in found)
        return DEFAULT_MODEL_LANGUAGES

    @property
    def pair_input(self) -> str | None:
        """The pair encoding the model reads (`pair_input` in label_map.json, see
        newsmodel/text/pair_input.py); None for a sentence-level model."""
        found = self.extra.get("pair_input")
        return found if isinstance(found, str) and found else None

    @property
    def temperature(self) -> float:
        """The temperature fitted on validation at training time (`quantification.temperature`);
        1.0 (raw softmax) for models packaged before calibration existed."""
        stored = self.extra.get("quantification")
        value = stored.get("temperature") if isinstance(stored, dict) else None
        return float(value) if isinstance(value, int | float) and value > 0 else 1.0

    @classmethod
    def read(cls, path: Path) -> LabelMap:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelNotAvailable(f"{path} is missing: the model directory is incomplete") from exc
        except json.JSONDecodeError as exc:
            raise ModelNotAvailable(f"{path} is not valid JSON ({exc})") from exc
        labels = raw.get("labels")
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
            raise ModelNotAvailable(f"{path}: 'labels' must be a non-empty list of strings")
        known = {"labels", "max_length", "input_names", "scheme", "scheme_version", "model_name"}
        known.add("architecture")
        return cls(
            labels=tuple(labels),
            max_length=int(raw.get("max_length") or 128),
            input_names=tuple(raw.get("input_names") or ("input_ids", "attention_mask")),
            scheme=str(raw.get("scheme", "")),
            scheme_version=str(raw.get("scheme_version", "")),
            model_name=str(raw.get("model_name", "")),
            architecture=str(raw.get("architecture", "")),
            extra={k: v for k, v in raw.items() if k not in known},
        )


def find_artifacts_dir(model_dir: str | Path) -> Path:
    """Accept the pyfunc model root (with `artifacts/`) or the artifacts folder itself."""
    root = Path(model_dir)
    for candidate in (root, root / "artifacts"):
        if (candidate / LABEL_MAP_FILE).is_file():
            return candidate
    # Some MLflow layouts nest artifacts one level deeper (artifacts/<name>/...).
    nested = sorted(p.parent for p in root.glob(f"artifacts/*/{LABEL_MAP_FILE}"))
    if nested:
        return nested[0]
    raise ModelNotAvailable(
        f"no {LABEL_MAP_FILE} under {root} or {root / 'artifacts'}: not a newsmodel model directory"
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def _pad_id_and_token(tokenizer: Any, tokenizer_dir: Path) -> tuple[int, str]:
    """The pad token named in tokenizer_config.json, else a conventional one, else id 0."""
    names: list[str] = []
    for cfg_name in ("tokenizer_config.json", "special_tokens_map.json"):
        cfg_path = tokenizer_dir / cfg_name
        if cfg_path.is_file():
            try:
                pad = json.loads(cfg_path.read_text(encoding="utf-8")).get("pad_token")
            except json.JSONDecodeError:
                pad = None
            if isinstance(pad, dict):
                pad = pad.get("content")
            if isinstance(pad, str):
                names.append(pad)
    for name in (*names, *_PAD_CANDIDATES):
        token_id = tokenizer.token_to_id(name)
        if token_id is not None:
            return int(token_id), name
    return 0, tokenizer.id_to_token(0) or "[PAD]"


class OnnxPredictor:
    """A loaded model version: one ONNX Runtime session and one tokenizer, created once."""

    def __init__(
        self, session: Any, tokenizer: Any, label_map: LabelMap, variant: Variant, path: Path, pad_id: int = 0
    ):
        self._session = session
        self._tokenizer = tokenizer
        self.label_map = label_map
        self.variant = variant
        self.path = path
        self._output_name = session.get_outputs()[0].name
        self._session_inputs = {i.name: i for i in session.get_inputs()}
        self._pad_id = pad_id
        self.padding_waste = MAX_PADDING_WASTE  # see MAX_PADDING_WASTE; bench/padding.py varies it
        # Inference seconds since load (the shadow challenger's budget is a share of them), calls
        # running now and when the last one ended (the shadow runs in the gaps).
        self.busy_s = 0.0
        self.in_flight = 0
        self.idle_since = time.perf_counter()
        self._busy_lock = threading.Lock()

    @classmethod
    def from_dir(
        cls,
        model_dir: str | Path,
        variant: Variant = "int8",
        intra_op_threads: int = 0,
        inter_op_threads: int = 0,
        allow_spinning: bool = False,
    ) -> OnnxPredictor:
        """Load a model directory; thread counts of 0 let ONNX Runtime choose.

        `allow_spinning=False`: ORT's intra-op threads otherwise busy-wait between runs, burning
        the CPU that the server's event loop (or a neighbour) needs; measured 2x faster batch-1
        MiniLM int8 with it off on a loaded 2-core machine.
        """
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if variant not in ("int8", "fp32"):
            raise ModelNotAvailable(f"unknown model variant {variant!r}: use 'int8' or 'fp32'")
        art = find_artifacts_dir(model_dir)
        label_map = LabelMap.read(art / LABEL_MAP_FILE)
        onnx_path = art / f"model.{variant}.onnx"
        tok_path = art / TOKENIZER_FILE
        for needed in (onnx_path, tok_path):
            if not needed.is_file():
                raise ModelNotAvailable(f"{needed} is missing: the model directory is incomplete")

        try:
            tokenizer = Tokenizer.from_file(str(tok_path))
        except Exception as exc:  # tokenizers raises bare Exception subclasses
            raise ModelNotAvailable(f"cannot read tokenizer {tok_path}: {exc}") from exc
        pad_id, _pad_token = _pad_id_and_token(tokenizer, tok_path.parent)
        tokenizer.enable_truncation(max_length=label_map.max_length)
        tokenizer.no_padding()  # padded per length group in _pad (dynamic padding)

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, intra_op_threads)
        options.inter_op_num_threads = max(0, inter_op_threads)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        spin = "1" if allow_spinning else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        options.add_session_config_entry("session.inter_op.allow_spinning", spin)
        try:
            session = ort.InferenceSession(
                str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidGraph errors
            raise ModelNotAvailable(f"onnxruntime cannot load {onnx_path}: {exc}") from exc

        missing = [n for n in label_map.input_names if n not in {i.name for i in session.get_inputs()}]
        if missing:
            raise ModelNotAvailable(f"{onnx_path} has no input(s) {missing} named in {LABEL_MAP_FILE}")
        return cls(session, tokenizer, label_map, variant, art, pad_id)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.label_map.labels

    def _encode(self, texts: Sequence[str]) -> list[Any]:
        """Token ids, truncated to max_length and not padded (padding is done per group)."""
        return list(self._tokenizer.encode_batch(list(texts)))

    def _pad(self, encodings: Sequence[Any]) -> dict[str, np.ndarray]:
        """Inputs padded to the longest encoding of this group only (dynamic padding)."""
        width = max(len(e.ids) for e in encodings)
        feeds = {}
        for name in self.label_map.input_names:
            dtype = np.int32 if "int32" in self._session_inputs[name].type else np.int64
            fill = self._pad_id if name == "input_ids" else 0
            array = np.full((len(encodings), width), fill, dtype=dtype)
            for row, enc in enumerate(encodings):
                values = (
                    enc.ids
                    if name == "input_ids"
                    else enc.attention_mask
                    if name == "attention_mask"
                    else enc.type_ids
                )
                array[row, : len(values)] = values
            feeds[name] = array
        return feeds

    def _feeds(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return self._pad(self._encode(texts))

    @staticmethod
    def _groups(
        lengths: Sequence[int], batch_size: int, max_waste: float = MAX_PADDING_WASTE
    ) -> list[list[int]]:
        """Indices grouped by token length: at most `batch_size` each, and a group grows only
        while padding adds at most `max_waste` of compute (so mixing short and long
        sentences in one micro-batch does not pay for the long one's width on every row)."""
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        groups: list[list[int]] = []
        current: list[int] = []
        tokens = 0
        for i in order:
            n = lengths[i]  # ascending: the newcomer sets the group's width
            if current and (
                len(current) >= batch_size or n * (len(current) + 1) > (1 + max_waste) * (tokens + n)
            ):
                groups.append(current)
                current, tokens = [], 0
            current.append(i)
            tokens += n
        if current:
            groups.append(current)
        return groups

    def predict_proba(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Calibrated probabilities (n, n_labels) in label order: softmax(logits / T) with the
        model's stored temperature (1.0 when it has none). Timed (busy_s, in_flight, idle_since)."""
        with self._busy_lock:
            self.in_flight += 1
        start = time.perf_counter()
        try:
            logits = self.predict_logits(texts, batch_size=batch_size)
            return _softmax(logits / np.float32(self.label_map.temperature))
        finally:
            with self._busy_lock:
                self.in_flight -= 1
                self.idle_since = time.perf_counter()
                self.busy_s += self.idle_since - start

    def predict_logits(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Raw logits (n, n_labels) in label order; run in groups of similar length."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        encodings = self._encode(texts)
        out = np.empty((len(texts), len(self.labels)), dtype=np.float32)
        for idx in self._groups([len(e.ids) for e in encodings], batch_size, self.padding_waste):
            feeds = self._pad([encodings[i] for i in idx])
            try:
                (logits,) = self._session.run([self._output_name], feeds)
            except Exception as exc:  # onnxruntime errors have no common public base class
                raise ModelNotAvailable(f"inference failed on {self.path}: {exc}") from exc
            if logits.shape[-1] != len(self.labels):
                raise ModelNotAvailable(
                    f"model outputs {logits.shape[-1]} logits but {LABEL_MAP_FILE} lists {len(self.labels)} labels"
                )
            out[idx] = logits.astype(np.float32)
        return out

    @property
    def pair_aware(self) -> bool:
        """True when the model reads one country pair at a time (label_map.json `pair_input`)."""
        return self.label_map.pair_input is not None

    def pair_texts(self, texts: Sequence[str], pairs: Sequence[tuple[str, str] | None]) -> list[str]:
        """`texts` as this model reads them for `pairs` (one pair or None per text): the pair
        encoding for a pair-aware model, the texts unchanged for a sentence-level one."""
        style = self.label_map.pair_input
        if len(texts) != len(pairs):
            raise ValueError(f"{len(texts)} texts but {len(pairs)} pairs")
        if style is None or all(p is None for p in pairs):
            return list(texts)
        from newsmodel.text.pair_input import encode_pairs

        return encode_pairs(texts, pairs, style)

    def predict_pairs_proba(
        self,
        texts: Sequence[str],
        pairs: Sequence[tuple[str, str] | None],
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """Probabilities of each text read for its pair (see `pair_texts`)."""
        return self.predict_proba(self.pair_texts(texts, pairs), batch_size=batch_size)

    def predict(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[dict[str, Any]]:
        """One {label, probabilities} per text, in input order."""
        probs = self.predict_proba(texts, batch_size=batch_size)
        labels = self.labels
        return [
            {
                "label": labels[int(row.argmax())],
                "probabilities": {lab: float(p) for lab, p in zip(labels, row, strict=True)},
            }
            for row in probs
        ]

    def unknown_token_rates(self, texts: Sequence[str]) -> list[float]:
        """Per text, the share of its (non-special) tokens the tokenizer could only map to its
        unknown token: input drift the model cannot see (a new script, a new language). Zero for
        tokenizers without an unknown token (byte-level BPE)."""
        unk = getattr(self._tokenizer.model, "unk_token", None)
        unk_id = self._tokenizer.token_to_id(unk) if unk else None
        if unk_id is None or not texts:
            return [0.0] * len(texts)
        rates = []
        for enc in self._encode(texts):
            real = [i for i, special in zip(enc.ids, enc.special_tokens_mask, strict=True) if not special]
            rates.append(sum(i == unk_id for i in real) / len(real) if real else 0.0)
        return rates

    def warm_up(self) -> None:
        """Run a tiny batch so the first real request does not pay for lazy initialisation."""
        self.predict(["warm up", "a second, slightly longer warm-up sentence"])
