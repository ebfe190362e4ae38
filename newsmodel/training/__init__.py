"""Training: configs, tokenizer training, DAPT, the fine-tuning loop and the run pipeline.

Heavy modules (torch, transformers) are imported by the submodules that need them, never here.
"""
