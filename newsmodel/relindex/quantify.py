"""Class shares of a set of sentences, corrected for the classifier's measured errors (numpy only).

Averaging a classifier's probabilities over a day's sentences ("classify and count" with
probabilities) is biased whenever the day's class mix differs from the data the classifier
was fitted on: a classifier that reads 20% of true conflict as neutral reports too little
conflict on a conflict-heavy day. The corrections here use what was measured on held-out
(validation) data and stored with the model version (`Calibration`, in `label_map.json`):

- temperature scaling (Guo et al. 2017): one scalar T fitted on validation logits by
  likelihood, so a served probability means what it says;
- ACC, adjusted classify-and-count (Forman 2008): observed predicted-label shares q satisfy
  q = M^T pi, where M[i, j] = P(predicted j | true i); solve for the true shares pi;
- PACC, its probabilistic form (Bella et al. 2010): the same with mean calibrated probabilities
  and M[i] = mean calibrated probability vector of the validation sentences of true class i;
- EM prior adjustment (Saerens et al. 2002): re-weight calibrated posteriors by
  (new prior / training prior) until the prior and the mean posterior agree.

Solutions are projected onto the probability simplex (shares are non-negative and sum to 1).
Why not the `quapy` library: it wraps scikit-learn classifiers that it trains itself, while
ours are ONNX models whose validation outputs are computed once at training time; the three
estimators are a few lines each on stored matrices (README, library table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from newsmodel.errors import DataError

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "PLAIN",
    "Calibration",
    "QuantMethod",
    "acc_shares",
    "apply_temperature",
    "corrected_shares",
    "em_shares",
    "fit_calibration",
    "fit_temperature",
    "project_to_simplex",
    "sample_confusions",
    "softmax",
]

QuantMethod = Literal["mean-probability", "acc", "pacc", "em"]
PLAIN: QuantMethod = "mean-probability"
METHODS: tuple[QuantMethod, ...] = ("mean-probability", "acc", "pacc", "em")
# The method a version with a stored calibration is indexed with (chosen by bench/quantification.py).
DEFAULT_METHOD: QuantMethod = "pacc"
_TEMPERATURE_RANGE = (0.05, 20.0)
_EM_ITERATIONS = 200
_EM_TOLERANCE = 1e-6
# Dirichlet pseudo-count added to each cell of a confusion row when resampling it (Jeffreys).
_ROW_PRIOR = 0.5


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _nll(logits: NDArray[np.float64], y: NDArray[np.int64], beta: float) -> float:
    z = logits * beta
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(y)), y]))


def fit_temperature(logits: NDArray[np.float64], y_true: Sequence[int] | NDArray[np.int64]) -> float:
    """The T > 0 minimising the negative log-likelihood of softmax(logits / T) on labeled data.

    The NLL is convex in 1/T, so a golden-section search over log(1/T) finds the optimum.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.int64)
    if z.ndim != 2 or len(z) != len(y) or len(y) == 0:
        raise DataError("temperature fit needs an (n, k) logit matrix and n labels, n > 0")
    lo, hi = np.log(1 / _TEMPERATURE_RANGE[1]), np.log(1 / _TEMPERATURE_RANGE[0])
    ratio = (np.sqrt(5) - 1) / 2
    a, b = lo + (1 - ratio) * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(z, y, np.exp(a)), _nll(z, y, np.exp(b))
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = lo + (1 - ratio) * (hi - lo)
            fa = _nll(z, y, np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(z, y, np.exp(b))
    return float(1.0 / np.exp((lo + hi) / 2))


def apply_temperature(probs: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    """softmax(log p / T): the same as softmax(logits / T), since log p differs from the logits by a constant."""
    return softmax(np.log(np.clip(probs, 1e-300, None)) / temperature)


def project_to_simplex(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Euclidean projection of each row of `v` onto {x >= 0, sum x = 1} (Duchi et al. 2008)."""
    v = np.atleast_2d(np.asarray(v, dtype=np.float64))
    k = v.shape[-1]
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    idx = np.arange(1, k + 1)
    rho = np.sum(u - css / idx > 0, axis=-1, keepdims=True)
    theta = np.take_along_axis(css, rho - 1, axis=-1) / rho
    return np.maximum(v - theta, 0.0)


def acc_shares(observed: NDArray[np.float64], confusion: NDArray[np.float64]) -> NDArray[np.float64]:
    """True shares pi with observed = M^T pi (least squares), projected onto the simplex.

    `observed` (..., k) observed shares (hard counts for ACC, mean probabilities for PACC);
    `confusion` (..., k, k) row-normalised, M[i, j] = what a sentence of true class i reads as j.
    Batched over leading axes (one matrix per bootstrap resample).
    """
    q = np.asarray(observed, dtype=np.float64)
    m = np.asarray(confusion, dtype=np.float64)
    solved = np.einsum("...ij,...j->...i", np.linalg.pinv(np.swapaxes(m, -1, -2)), q)
    return project_to_simplex(solved).reshape(q.shape)


def em_shares(
    probs: NDArray[np.float64], train_prior: NDArray[np.float64], weights: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Saerens-Latinne-Decaestecker EM: the prior under which the re-weighted posteriors average to it.

    `probs` (n, k) calibrated posteriors under `train_prior`; `weights` (r, n) sentence weights
    (bootstrap multiplicities), giving r estimates at once; without them, one estimate (k,).
    """
    p = np.asarray(probs, dtype=np.float64)
    base = np.clip(np.asarray(train_prior, dtype=np.float64), 1e-12, None)
    w = np.ones((1, len(p))) if weights is None else np.atleast_2d(np.asarray(weights, dtype=np.float64))
    total = w.sum(axis=1, keepdims=True)
    prior = (w @ p) / total
    for _ in range(_EM_ITERATIONS):
        post = p[None, :, :] * (prior / base)[:, None, :]
        post /= post.sum(axis=2, keepdims=True)
        new = np.einsum("rn,rnk->rk", w, post) / total
        done = np.max(np.abs(new - prior)) < _EM_TOLERANCE
        prior = new
        if done:
            break
    return prior[0] if weights is None else prior  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Calibration:
    """What a model version measured on held-out data to correct its own readings; stored in
    `label_map.json` under `quantification` (`to_dict` / `from_dict`)."""

    labels: tuple[str, ...]
    temperature: float
    confusion: NDArray[np.float64]  # (k, k) counts, true x predicted label (argmax)
    soft_confusion: NDArray[np.float64]  # (k, k) row i: mean calibrated probabilities of true class i
    class_counts: NDArray[np.float64]  # (k,) held-out sentences per true class
    train_prior: NDArray[np.float64]  # (k,) label shares of the training split
    fitted_on: str = "validation"

    def matrix(self, method: QuantMethod) -> NDArray[np.float64]:
        """The row-normalised confusion matrix the method corrects with."""
        raw = self.confusion if method == "acc" else self.soft_confusion * self.class_counts[:, None]
        return raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-12)  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "temperature": self.temperature,
            "confusion": self.confusion.tolist(),
            "soft_confusion": self.soft_confusion.tolist(),
            "class_counts": self.class_counts.tolist(),
            "train_prior": self.train_prior.tolist(),
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Calibration:
        try:
            labels = tuple(str(x) for x in raw["labels"])
            k = len(labels)
            out = cls(
                labels=labels,
                temperature=float(raw["temperature"]),
                confusion=np.asarray(raw["confusion"], dtype=np.float64).reshape(k, k),
                soft_confusion=np.asarray(raw["soft_confusion"], dtype=np.float64).reshape(k, k),
                class_counts=np.asarray(raw["class_counts"], dtype=np.float64).reshape(k),
                train_prior=np.asarray(raw["train_prior"], dtype=np.float64).reshape(k),
                fitted_on=str(raw.get("fitted_on", "validation")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"the stored quantification is malformed ({exc})") from exc
        if not out.temperature > 0:
            raise DataError(f"the stored temperature must be positive, not {out.temperature}")
        return out


def fit_calibration(
    logits: NDArray[np.float64],
    y_true: Sequence[int] | NDArray[np.int64],
    labels: Sequence[str],
    train_labels: Sequence[int] | NDArray[np.int64],
    fitted_on: str = "validation",
) -> Calibration:
    """Temperature and confusion matrices from held-out logits and labels; the training prior
    from the training split's labels (for EM)."""
    y = np.asarray(y_true, dtype=np.int64)
    k = len(labels)
    temperature = fit_temperature(logits, y)
    probs = softmax(np.asarray(logits, dtype=np.float64) / temperature)
    pred = probs.argmax(axis=1)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (y, pred), 1.0)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    soft = np.zeros((k, k))
    np.add.at(soft, y, probs)
    soft = np.where(counts[:, None] > 0, soft / np.maximum(counts[:, None], 1), np.eye(k))
    prior = np.bincount(np.asarray(train_labels, dtype=np.int64), minlength=k).astype(np.float64)
    return Calibration(
        labels=tuple(labels),
        temperature=temperature,
        confusion=confusion,
        soft_confusion=soft,
        class_counts=counts,
        train_prior=prior / max(prior.sum(), 1.0),
        fitted_on=fitted_on,
    )


def corrected_shares(
    probs: NDArray[np.float64], method: QuantMethod, calibration: Calibration | None
) -> NDArray[np.float64]:
    """The class shares of these sentences (`probs` already calibrated) by `method`."""
    p = np.asarray(probs, dtype=np.float64)
    if method == PLAIN or calibration is None:
        return p.mean(axis=0)  # type: ignore[no-any-return]
    if method == "acc":
        hard = np.eye(p.shape[1])[p.argmax(axis=1)].mean(axis=0)
        return acc_shares(hard, calibration.matrix("acc"))
    if method == "pacc":
        return acc_shares(p.mean(axis=0), calibration.matrix("pacc"))
    if method == "em":
        return em_shares(p, calibration.train_prior)
    raise DataError(f"unknown quantification method {method!r}; methods are {list(METHODS)}")


def sample_confusions(
    calibration: Calibration, method: QuantMethod, size: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """`size` draws of the row-normalised confusion matrix from its sampling uncertainty.

    Row i is drawn from Dirichlet(n_i * M[i] + 0.5): the spread of a share measured on the n_i
    held-out sentences of class i (wider, not narrower, than the spread of a mean of soft
    probabilities, so the interval errs on the safe side).
    """
    matrix = calibration.matrix(method)
    k = matrix.shape[0]
    out = np.empty((size, k, k))
    for i in range(k):
        out[:, i, :] = rng.dirichlet(calibration.class_counts[i] * matrix[i] + _ROW_PRIOR, size=size)
    return out
