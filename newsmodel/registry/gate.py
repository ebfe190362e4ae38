"""The gate: is a candidate better than the live version on sentences neither of them saw?

Both versions are scored now, through their registered int8 files (what would be served), on
the comparison set: the frozen benchmark the candidate was held out from, plus - on request -
the candidate's own test split. Every comparison sentence is checked against both versions'
split manifests (train + validation keys); any overlap, or a clean set below `min_clean`
sentences, refuses the comparison (GateRefused, exit 2). The decision rests on a paired
bootstrap interval of the macro-F1 difference: above zero "better", below "worse", straddling
zero "inconclusive" (the champion stays). A better or inconclusive candidate gets the alias
`challenger`, never `champion`: promotion stays a person's act in the MLflow UI.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from newsmodel.datasets.grouping import text_key
from newsmodel.datasets.manifest import MANIFEST_FILE, SplitManifest
from newsmodel.errors import DataError, NewsmodelError
from newsmodel.logging import get_logger
from newsmodel.registry.floor import rejection
from newsmodel.registry.live import LiveVersion, resolve_live_version
from newsmodel.registry.versions import get_version

__all__ = ["EXIT_CODES", "ComparisonSet", "GateDecision", "GateRefused", "comparison_set", "gate"]

log = get_logger(__name__)
Decision = Literal["better", "worse", "inconclusive", "no-champion", "is-champion"]
EXIT_CODES: dict[str, int] = {"better": 0, "no-champion": 0, "is-champion": 0, "worse": 1, "inconclusive": 3}


class GateRefused(NewsmodelError):
    """The comparison would not be honest (overlap, too few clean sentences, missing records)."""


@dataclass(frozen=True)
class ComparisonSet:
    """The sentences both versions are scored on, with where each group came from."""

    texts: list[str]
    labels: list[str]
    sources: dict[str, int]  # e.g. {"benchmark conflibert-relation3@1": 270, "test split of v5": 162}
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GateDecision:
    decision: Decision
    candidate_version: str
    champion: LiveVersion | None
    metric: str = "macro_f1"
    candidate_score: float | None = None
    champion_score: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95
    resamples: int = 0
    clean_size: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    challenger_alias: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]

    @property
    def diff(self) -> float | None:
        if self.candidate_score is None or self.champion_score is None:
            return None
        return self.candidate_score - self.champion_score

    def line(self) -> str:
        """The one line the CLI prints."""
        cand = f"v{self.candidate_version}"
        alias = f"; {cand} is now alias @{self.challenger_alias}" if self.challenger_alias else ""
        if self.decision == "no-champion":
            return f"NO CHAMPION: nothing is live yet, {cand} has nothing to be compared with{alias}"
        if self.decision == "is-champion":
            return f"IS CHAMPION: {cand} is the live version ({self.champion.via if self.champion else ''})"
        assert self.champion is not None and self.diff is not None
        where = ", ".join(f"{name}: {n}" for name, n in self.sources.items())
        verdict = {
            "better": f"{cand} is better than the champion",
            "worse": f"{cand} is worse than the champion; the champion stays",
            "inconclusive": "the interval straddles zero; the champion stays",
        }[self.decision]
        return (
            f"{self.decision.upper()}: {cand} macro-F1 {self.candidate_score:.4f} vs champion "
            f"v{self.champion.version} ({self.champion.via}) {self.champion_score:.4f} on {self.clean_size} "
            f"clean sentences ({where}): difference {self.diff:+.4f}, {self.confidence:.0%} CI "
            f"[{self.ci_low:+.4f}, {self.ci_high:+.4f}] (paired bootstrap, {self.resamples} resamples); "
            f"{verdict}{alias}"
        )

    def record(self) -> dict[str, Any]:
        out = asdict(self)
        out["champion"] = asdict(self.champion) if self.champion else None
        out["diff"] = self.diff
        return out


def _manifest(client: Any, mv: Any) -> SplitManifest:
    from mlflow.exceptions import MlflowException

    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(client.download_artifacts(mv.run_id, MANIFEST_FILE, tmp))
            return SplitManifest.from_json(
                path.read_text(encoding="utf-8"), f"v{mv.version}'s {MANIFEST_FILE}"
            )
    except (MlflowException, OSError) as exc:
        raise GateRefused(
            f"v{mv.version} has no {MANIFEST_FILE} in its run (registered before split manifests): "
            "the gate cannot know what it was trained on; retrain it to compare it"
        ) from exc


def _candidate_test_split(
    client: Any, mv: Any, manifest: SplitManifest, data_dir: str | None
) -> tuple[list[str], list[str]]:
    """The candidate's test split rebuilt from its run's config, checked against its manifest."""
    from mlflow.exceptions import MlflowException
    from omegaconf import OmegaConf

    from newsmodel.training.data import load_splits

    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = OmegaConf.load(client.download_artifacts(mv.run_id, "config.yaml", tmp))
    except (MlflowException, OSError) as exc:
        raise GateRefused(
            f"v{mv.version}'s run has no config.yaml: its test split cannot be rebuilt"
        ) from exc
    if data_dir:
        cfg.data.dir = data_dir
    splits = load_splits(cfg.data)
    if splits.fingerprint != manifest.fingerprint:
        raise DataError(
            f"the rebuilt dataset has fingerprint {splits.fingerprint[:16]}, v{mv.version} was trained on "
            f"{manifest.fingerprint[:16]}: the data or split parameters changed (pass --data-dir to point at "
            "the same data)"
        )
    return [e.text for e in splits.test], [e.label for e in splits.test]


def comparison_set(
    client: Any, candidate: Any, manifest: SplitManifest, with_test_split: bool, data_dir: str | None
) -> ComparisonSet:
    """The frozen benchmark the candidate was held out from, plus (optionally) its test split."""
    from newsmodel.training.data import load_named_benchmark

    texts: list[str] = []
    labels: list[str] = []
    sources: dict[str, int] = {}
    if manifest.benchmark:
        bench = load_named_benchmark(manifest.benchmark, data_dir)
        if bench.sha256 != manifest.benchmark_sha256:
            raise GateRefused(
                f"v{candidate.version} was held out from {manifest.benchmark} with content "
                f"{str(manifest.benchmark_sha256)[:12]}, the file now holds {bench.sha256[:12]}: a frozen "
                "benchmark changed in place; restore it from git"
            )
        texts += [e.text for e in bench.examples]
        labels += [e.label for e in bench.examples]
        sources[f"benchmark {bench.ref}"] = len(bench.examples)
    elif not with_test_split:
        raise GateRefused(
            f"v{candidate.version} was trained without a frozen benchmark (data.benchmark=null): "
            "compare it on its own test split with --with-test-split"
        )
    if with_test_split:
        test_texts, test_labels = _candidate_test_split(client, candidate, manifest, data_dir)
        texts += test_texts
        labels += test_labels
        sources[f"test split of v{candidate.version}"] = len(test_texts)
    return ComparisonSet(texts, labels, sources, [text_key(t) for t in texts])


def _check_clean(
    comparison: ComparisonSet,
    manifests: Mapping[str, SplitManifest],
    min_clean: int,
    with_test_split: bool,
) -> None:
    """Refuse (GateRefused) on any sentence a version saw, or too few sentences."""
    seen_by = {who: m.seen for who, m in manifests.items()}
    leaked = [i for i, key in enumerate(comparison.keys) if any(key in seen for seen in seen_by.values())]
    if leaked:
        per_version = ", ".join(
            f"{who}: {sum(1 for i in leaked if comparison.keys[i] in seen)}" for who, seen in seen_by.items()
        )
        fix = (
            "compare on the benchmark only (drop --with-test-split)"
            if with_test_split
            else "retrain the version that saw them with the benchmark held out (data.benchmark)"
        )
        raise GateRefused(
            f"refused: {len(leaked)} of {len(comparison.keys)} comparison sentences were in the training or "
            f"validation data ({per_version}); {fix}"
        )
    if len(comparison.keys) < min_clean:
        raise GateRefused(
            f"refused: only {len(comparison.keys)} clean comparison sentences ({comparison.sources}), "
            f"fewer than the minimum {min_clean}: add --with-test-split, carve a larger benchmark, or lower "
            "--min-clean knowingly"
        )


def _predictions(
    client: Any,
    name: str,
    version: str,
    texts: Sequence[str],
    labels: Sequence[str],
    variant: str,
    root: Path,
) -> tuple[list[int], list[int]]:
    """(gold indices, predicted indices) of one version's registered `variant` files."""
    from newsmodel.evaluation.benchmark_scores import label_indices
    from newsmodel.predictor import OnnxPredictor
    from newsmodel.registry.digests import digests_from_tags
    from newsmodel.registry.model_files import fetch_model_files

    mv = get_version(client, name, version)
    files = fetch_model_files(
        client, str(client.tracking_uri), name, version, variant, root, digests_from_tags(mv.tags or {})
    )
    predictor = OnnxPredictor.from_dir(files.path, variant=variant)  # type: ignore[arg-type]
    truth = label_indices(labels, predictor.labels, f"{name} v{version}")
    if predictor.pair_aware:
        # As its training run read the benchmark: a sentence's single detected pair marked.
        from newsmodel.datasets.pair_examples import single_pair

        texts = predictor.pair_texts(list(texts), [single_pair(t) for t in texts])
    return truth, [int(i) for i in predictor.predict_proba(list(texts)).argmax(axis=1)]


def _log(client: Any, name: str, candidate: Any, result: GateDecision) -> None:
    """Tags on the candidate version and a `gate` run in its experiment: both figures and the interval."""
    tags = {
        "gate_decision": result.decision,
        "gate_champion": result.champion.version if result.champion else "",
    }
    if result.diff is not None:
        tags["gate_macro_f1_diff_ci"] = f"{result.diff:+.4f} [{result.ci_low:+.4f}, {result.ci_high:+.4f}]"
    for key, value in tags.items():
        client.set_model_version_tag(name, candidate.version, key, value)
    experiment = client.get_run(candidate.run_id).info.experiment_id
    run_name = f"gate-v{candidate.version}-vs-v{result.champion.version if result.champion else 'none'}"
    # The client's own store (not the fluent API's global URI): the gate may run beside other clients.
    run = client.create_run(experiment, run_name=run_name, tags={"newsmodel.kind": "gate"})
    run_id = run.info.run_id
    client.log_param(run_id, "candidate_version", candidate.version)
    client.log_param(run_id, "decision", result.decision)
    figures = {
        "candidate_macro_f1": result.candidate_score,
        "champion_macro_f1": result.champion_score,
        "macro_f1_diff": result.diff,
        "macro_f1_diff_ci_low": result.ci_low,
        "macro_f1_diff_ci_high": result.ci_high,
        "clean_sentences": float(result.clean_size),
    }
    for key, figure in figures.items():
        if figure is not None:
            client.log_metric(run_id, key, float(figure))
    client.log_text(run_id, json.dumps(result.record(), indent=2, default=str), "gate.json")
    client.set_terminated(run_id)


def gate(
    client: Any,
    name: str,
    candidate_version: str,
    *,
    alias: str = "champion",
    stage: str = "Production",
    challenger_alias: str = "challenger",
    with_test_split: bool = False,
    min_clean: int = 200,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    variant: str = "int8",
    data_dir: str | None = None,
    set_alias: bool = True,
    log_result: bool = True,
) -> GateDecision:
    """Compare the candidate with the live version (see the module docstring); GateRefused if it cannot."""
    from newsmodel.evaluation.paired_bootstrap import paired_macro_f1_difference

    candidate = get_version(client, name, candidate_version)
    rejected = rejection(candidate.tags or {})
    if rejected:
        raise GateRefused(
            f"v{candidate.version} is rejected by the quality floor ({rejected}): it is not compared"
        )
    live = resolve_live_version(client, name, alias, stage)
    if live is not None and live.version == str(candidate.version):
        return GateDecision("is-champion", str(candidate.version), live)
    manifest = _manifest(client, candidate)
    if live is None:
        result = GateDecision("no-champion", str(candidate.version), None)
    else:
        champion = get_version(client, name, live.version)
        manifests = {
            f"v{candidate.version} (candidate)": manifest,
            f"v{live.version} (champion)": _manifest(client, champion),
        }
        if manifests[f"v{live.version} (champion)"].scheme != manifest.scheme:
            raise GateRefused(
                f"v{candidate.version} is a {manifest.scheme} model, the champion v{live.version} is "
                f"{manifests[f'v{live.version} (champion)'].scheme}: they predict different labels"
            )
        comparison = comparison_set(client, candidate, manifest, with_test_split, data_dir)
        _check_clean(comparison, manifests, min_clean, with_test_split)
        with tempfile.TemporaryDirectory(prefix="newsmodel-gate-") as tmp:
            truth, cand_pred = _predictions(
                client, name, str(candidate.version), comparison.texts, comparison.labels, variant, Path(tmp)
            )
            _, champ_pred = _predictions(
                client, name, live.version, comparison.texts, comparison.labels, variant, Path(tmp)
            )
        from newsmodel.labels import get_scheme

        n_labels = len(get_scheme(manifest.scheme.split("@", 1)[0]).labels)
        paired = paired_macro_f1_difference(
            truth, champ_pred, cand_pred, n_labels, resamples=resamples, confidence=confidence, seed=seed
        )
        decision: Decision = "better" if paired.low > 0 else "worse" if paired.high < 0 else "inconclusive"
        result = GateDecision(
            decision,
            str(candidate.version),
            live,
            candidate_score=paired.b,
            champion_score=paired.a,
            ci_low=paired.low,
            ci_high=paired.high,
            confidence=confidence,
            resamples=resamples,
            clean_size=paired.n,
            sources=comparison.sources,
        )
    if set_alias and result.decision in ("better", "inconclusive", "no-champion"):
        client.set_registered_model_alias(name, challenger_alias, candidate.version)
        result = replace(result, challenger_alias=challenger_alias)
    if log_result:
        _log(client, name, candidate, result)
    log.info("gate", **{k: v for k, v in result.record().items() if k != "champion"})
    return result
