"""The from-scratch path: `newsmodel tokenizer train` and `newsmodel dapt`, then fine-tuning from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def news_text(conflibert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Unlabeled sentences, one per line (the labels of the TSV are dropped)."""
    lines = (conflibert_dir / "train.tsv").read_text(encoding="utf-8", errors="replace").splitlines()
    path = tmp_path_factory.mktemp("corpus") / "sentences.txt"
    path.write_text("\n".join(line.rsplit("\t", 1)[0] for line in lines[:600]) + "\n", encoding="utf-8")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_tokenizer_train_command_learns_the_corpus_vocabulary(news_text: Path, tmp_path: Path) -> None:
    out = _cli(
        "tokenizer",
        "train",
        "--text-file",
        str(news_text),
        "--output",
        str(tmp_path / "tok"),
        "--vocab-size",
        "3000",
    )
    assert out.returncode == 0, out.stderr
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tmp_path / "tok" / "tokenizer.json"))
    assert tok.get_vocab_size() <= 3000
    tokens = tok.encode("Troops attacked the ministry").tokens
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "[UNK]" not in tokens
    assert "troops" in tokens  # lowercased, a whole word of this corpus


def test_tokenizer_train_needs_exactly_one_source(tmp_path: Path) -> None:
    out = _cli("tokenizer", "train", "--output", str(tmp_path / "tok"))
    assert out.returncode == 2 and "exactly one text source" in out.stderr and "Traceback" not in out.stderr


def test_dapt_then_fine_tune_from_the_checkpoint(news_text: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "dapt"
    out = _cli(
        "dapt",
        "model=tiny-bert",
        "model.max_length=48",
        "--text-file",
        str(news_text),
        "--output",
        str(ckpt),
        "--steps",
        "40",
        "--lr",
        "0.002",
        "--threads",
        "1",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.splitlines()[0])
    assert result["steps"] == 40 and result["last_loss"] < result["first_loss"]
    assert (ckpt / "config.json").is_file() and (ckpt / "tokenizer.json").is_file()

    import torch
    from safetensors.torch import load_file

    from newsmodel.training.config import compose_config
    from newsmodel.training.models import build_classifier, build_tokenizer

    cfg = compose_config(["model=tiny-bert", f"model.checkpoint={ckpt}"])
    tokenizer = build_tokenizer(cfg.model, ["a sentence"])
    model = build_classifier(cfg.model, ("conflict", "neutral", "cooperation"), len(tokenizer))
    saved = load_file(str(ckpt / "model.safetensors"))
    key = "bert.embeddings.word_embeddings.weight"
    assert torch.equal(model.state_dict()[key], saved[key])
    assert len(tokenizer) == saved[key].shape[0]


def test_dapt_from_data_reads_only_the_train_split(conflibert_dir: Path, tmp_path: Path) -> None:
    """Task-adaptive pre-training: the data config's train split, never its held-out sentences."""
    from newsmodel.training.config import compose_config
    from newsmodel.training.data import load_splits

    overrides = ["model=tiny-bert", "model.max_length=32", f"data.dir={conflibert_dir}", "data.limit=240"]
    out = _cli("dapt", *overrides, "--from-data", "--output", str(tmp_path / "tapt"), "--steps", "3")
    assert out.returncode == 0, out.stderr[-2000:]
    splits = load_splits(compose_config(overrides).data)
    assert json.loads(out.stdout.splitlines()[0])["sentences"] == len(splits.train)
    assert len(splits.train) < 240 - len(splits.test)  # validation and test stayed out
