"""Train a WordPiece tokenizer on our own corpus: the from-scratch path when no checkpoint is reachable.

Saved with `save_pretrained` so the directory holds `tokenizer.json` (what the ONNX predictor
reads) and the transformers files; never built from a bare vocab file (transformers 5 ignores it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsmodel.errors import DataError

__all__ = ["SPECIAL_TOKENS", "check_tokenizer", "load_tokenizer_dir", "train_wordpiece"]

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def train_wordpiece(
    texts: Iterable[str], vocab_size: int = 8000, lowercase: bool = True, min_frequency: int = 2
) -> Any:
    """A BERT-style uncased/cased WordPiece tokenizer, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = [t for t in texts if t and t.strip()]
    if not corpus:
        raise DataError("cannot train a tokenizer on an empty corpus: give it sentences")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=True,
        strip_accents=None if not lowercase else True,
        lowercase=lowercase,
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        continuing_subword_prefix="##",
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer, length=len(corpus))
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )
    check_tokenizer(fast, corpus[0])
    return fast


def load_tokenizer_dir(path: str | Path) -> Any:
    """Load a tokenizer saved by `newsmodel tokenizer train` (or any `save_pretrained` folder)."""
    from transformers import AutoTokenizer

    directory = Path(path)
    if not (directory / "tokenizer.json").is_file():
        raise DataError(f"{directory} has no tokenizer.json: train one with `newsmodel tokenizer train`")
    return AutoTokenizer.from_pretrained(str(directory))


def check_tokenizer(tokenizer: Any, sample: str) -> None:
    """Fail loudly if a known sentence tokenizes to nothing but [UNK] (a broken vocabulary)."""
    ids = tokenizer(sample, add_special_tokens=False)["input_ids"]
    if not ids or all(i == tokenizer.unk_token_id for i in ids):
        raise DataError(f"tokenizer maps every token of {sample[:60]!r} to [UNK]: its vocabulary is broken")
