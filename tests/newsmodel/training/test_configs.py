"""Every config composes and builds; overrides, sweeps and offline hub loading behave."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newsmodel.errors import ConfigError
from newsmodel.training.config import available_options, compose_config, flatten_config
from newsmodel.training.sweep import grid_space, parse_sweep_overrides

MODELS = available_options("model")


def test_config_groups_hold_the_issue_models() -> None:
    assert set(MODELS) >= {
        "bert",
        "electra",
        "mobilebert",
        "minilm",
        "tiny-bert",
        "tiny-electra",
        "tiny-mobilebert",
    }
    assert available_options("data") and available_options("trainer") and available_options("experiment")


@pytest.mark.parametrize("model", MODELS)
def test_every_model_config_builds(model: str) -> None:
    """Each architecture block makes a valid classifier (meta device: no memory for bert-base)."""
    from newsmodel.training.models import build_classifier

    cfg = compose_config([f"model={model}", "data.scheme=quad5"])
    labels = ("a", "b", "c", "d", "e")
    net = build_classifier(cfg.model, labels, vocab_size=int(cfg.model.vocab_size), meta=True)
    assert net.config.model_type == cfg.model.architecture
    assert net.config.num_labels == 5 and net.config.id2label[4] == "e"
    assert sum(p.numel() for p in net.parameters()) > 0


@pytest.mark.parametrize("group", ["data", "trainer", "experiment", "sweep"])
def test_every_other_config_composes(group: str) -> None:
    for option in available_options(group):
        cfg = compose_config([f"{group}={option}"])
        flat = flatten_config(cfg)
        assert flat["model.name"] and flat["data.scheme"] in ("relation3", "quad5", "binary")
        assert "trainer.lr" in flat and "mlflow.experiment" in flat


def test_tiny_models_build_for_real_with_a_corpus_tokenizer(conflibert_dir) -> None:  # type: ignore[no-untyped-def]
    from newsmodel.datasets import load_conflibert
    from newsmodel.training.models import build_classifier, build_tokenizer

    texts = [e.text for e in load_conflibert(conflibert_dir)][:300]
    for model in ("tiny-bert", "tiny-electra", "tiny-mobilebert"):
        cfg = compose_config([f"model={model}"])
        tokenizer = build_tokenizer(cfg.model, texts)
        net = build_classifier(cfg.model, ("conflict", "neutral", "cooperation"), len(tokenizer))
        assert net.config.num_hidden_layers == 2 and 64 <= net.config.hidden_size <= 128
        assert tokenizer.unk_token not in tokenizer.tokenize("troops attacked the border")


def test_experiment_and_command_line_overrides_win_over_defaults() -> None:
    cfg = compose_config(["experiment=tiny-smoke", "model=tiny-electra", "bench.repeats=9"])
    assert cfg.model.name == "tiny-electra"
    assert cfg.data.limit == 400 and cfg.bench.threads == 1 and cfg.bench.repeats == 9


def test_bad_override_is_one_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="model=bert"):
        compose_config(["model=gpt5"])


def test_multirun_sweeps_expand_to_the_cartesian_product() -> None:
    plain, sweeps = parse_sweep_overrides(
        ["model=tiny-bert,tiny-electra", "trainer.lr=1e-4,3e-4", "model.max_length=64"]
    )
    jobs = [[*plain, *point] for point in grid_space(sweeps)]
    assert len(jobs) == 4
    assert ["model.max_length=64", "model=tiny-electra", "trainer.lr=0.0003"] in jobs
    assert all(compose_config(job).model.max_length == 64 for job in jobs)


def test_hub_model_offline_fails_loudly_instead_of_random_init(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsmodel.training.models import build_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = compose_config(["model=electra"])
    with pytest.raises(ConfigError, match=r"model\.pretrained=false"):
        build_tokenizer(cfg.model, ["a sentence"])


def test_minilm_loads_offline_from_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsmodel.training.models import build_classifier, build_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = compose_config(["model=minilm"])
    tokenizer = build_tokenizer(cfg.model, ["Seoul and Tokyo signed a trade pact."])
    net = build_classifier(cfg.model, ("conflict", "neutral", "cooperation"), len(tokenizer))
    assert tokenizer.convert_tokens_to_ids("trade") != tokenizer.unk_token_id
    assert net.config.hidden_size == 384 and net.config.num_hidden_layers == 6


def test_cli_prints_resolved_configs_for_a_sweep() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsmodel.cli",
            "train",
            "--cfg",
            "--multirun",
            "model=tiny-bert,tiny-electra",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("# overrides:") == 2 and "name: tiny-electra" in out.stdout


def test_cli_refuses_a_sweep_without_multirun() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "train", "--cfg", "trainer.lr=1e-4,2e-4"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "--multirun" in out.stderr and "Traceback" not in out.stderr
