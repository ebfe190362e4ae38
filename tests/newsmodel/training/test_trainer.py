"""The fine-tuning loop on a tiny model: class weights, early stopping, best-epoch restore, export parity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsmodel.training.config import compose_config
from newsmodel.training.trainer import class_weights

LABELS = ("conflict", "neutral", "cooperation")


def test_balanced_class_weights_follow_inverse_frequency() -> None:
    weights = class_weights([0, 0, 0, 1, 2, 2], 3, "balanced")
    assert weights is not None
    assert np.allclose(weights, [6 / 9, 2.0, 1.0])
    assert class_weights([0, 1], 3, "none") is None


@pytest.fixture(scope="module")
def tiny_setup(conflibert_dir: Path):  # type: ignore[no-untyped-def]
    from newsmodel.training.data import encode, load_splits
    from newsmodel.training.models import build_classifier, build_tokenizer

    cfg = compose_config(["experiment=tiny-smoke", f"data.dir={conflibert_dir}", "data.limit=240"])
    splits = load_splits(cfg.data)
    tokenizer = build_tokenizer(cfg.model, [e.text for e in splits.train])
    enc = {n: encode(getattr(splits, n), tokenizer, LABELS, 64) for n in ("train", "validation", "test")}
    return cfg, tokenizer, enc, lambda: build_classifier(cfg.model, LABELS, len(tokenizer))


def test_early_stopping_keeps_the_best_validation_epoch(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from newsmodel.training.trainer import fit

    _, tokenizer, enc, make = tiny_setup
    trainer = compose_config(
        [
            "trainer=smoke",
            "trainer.epochs=6",
            "trainer.max_steps=null",
            "trainer.early_stopping_patience=1",
            "trainer.lr=0.0",
        ]
    ).trainer
    seen: list[tuple[int, dict[str, float]]] = []
    result = fit(
        make(),
        enc["train"],
        enc["validation"],
        trainer,
        tokenizer.pad_token_id,
        1,
        lambda e, m: seen.append((e, m)),
    )
    # lr=0: validation macro-F1 never improves after epoch 1, so patience 1 stops at epoch 2.
    assert result.epochs_run == 2 and result.best_epoch == 1
    assert [e for e, _ in seen] == [1, 2] and {"train_loss", "val_macro_f1", "val_accuracy"} <= set(
        seen[0][1]
    )
    assert result.device == "cpu" and result.precision == "fp32"


def test_training_is_seeded(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from newsmodel.training.trainer import fit, predict_logits, seed_everything

    cfg, tokenizer, enc, make = tiny_setup
    outs = []
    for _ in range(2):
        seed_everything(5)
        model = make()
        fit(model, enc["train"], enc["validation"], cfg.trainer, tokenizer.pad_token_id, 5)
        outs.append(predict_logits(model, enc["test"], 32, tokenizer.pad_token_id, "cpu"))
    assert np.allclose(outs[0], outs[1], atol=1e-5)


def test_refit_trains_again_on_train_and_validation_for_the_chosen_epochs(  # type: ignore[no-untyped-def]
    tiny_setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newsmodel.training.trainer as trainer
    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.data import load_splits

    cfg, *_ = tiny_setup
    cfg = compose_config(
        [
            "experiment=tiny-smoke",
            f"data.dir={cfg.data.dir}",
            "data.limit=240",
            "trainer.epochs=3",
            "trainer.max_steps=null",
            "trainer.early_stopping_patience=3",
            "trainer.average_top_k=2",
            "trainer.refit=true",
        ]
    )
    calls: list[tuple[Any, int, Any, Any]] = []
    real_fit = trainer.fit

    def spy(model, train, validation, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_fit(model, train, validation, *args, **kwargs)
        calls.append((model, len(train), kwargs.get("fixed_epochs"), result))
        return result

    monkeypatch.setattr(trainer, "fit", spy)
    splits = load_splits(cfg.data)
    refit = fit_candidate(cfg, splits)
    (first, n_first, fixed_first, chosen), (second, n_second, fixed, again) = calls
    assert fixed_first is None and n_first == len(splits.train)
    # The refit: a fresh model on train + validation, run to the chosen epochs and averaged alike.
    assert second is refit.model and first is not second
    assert n_second == refit.fit.refit_train_size == len(splits.train) + len(splits.validation)
    assert fixed == chosen.averaged_epochs and len(fixed) == 2 and again.averaged_epochs == fixed
    assert again.epochs_run == max(fixed) and refit.fit.refit_epochs == fixed
    assert refit.fit.best_epoch == chosen.best_epoch  # validation figures: the first fit's
    assert all("val_macro_f1" not in h for h in again.history)  # validation was training data
    # What must not read seen sentences gets the first model's held-out logits, not the refit's.
    pad = refit.pad_id
    for name, held_out in (("validation", refit.selection_logits), ("test", refit.selected_test_logits)):
        assert held_out is not None
        assert np.allclose(
            held_out, trainer.predict_logits(first, refit.encoded[name], 64, pad, "cpu"), atol=1e-5
        )
        assert not np.allclose(
            held_out, trainer.predict_logits(second, refit.encoded[name], 64, pad, "cpu"), atol=1e-5
        )
    assert fit_candidate(cfg, splits, refit=False).selection_logits is None


def test_onnx_export_matches_torch_for_every_tiny_architecture(tiny_setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from newsmodel.export.onnx_export import export_onnx
    from newsmodel.export.package import logit_parity
    from newsmodel.training.models import build_classifier

    _, tokenizer, enc, _ = tiny_setup
    for name in ("tiny-bert", "tiny-electra", "tiny-mobilebert"):
        cfg = compose_config([f"model={name}"])
        model = build_classifier(cfg.model, LABELS, len(tokenizer)).eval()
        path = tmp_path / f"{name}.onnx"
        assert export_onnx(model, path) == ("input_ids", "attention_mask")
        assert logit_parity(model, path, enc["test"].input_ids, tokenizer.pad_token_id) < 1e-4, name
