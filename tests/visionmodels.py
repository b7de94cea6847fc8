"""Tiny, randomly initialised CLIP and SigLIP models saved as transformers folders, for tests
of ``wam index --vision`` that never download anything."""

from __future__ import annotations

from pathlib import Path


def byte_vocab() -> dict[str, int]:
    """A byte-level BPE vocabulary with no merges: every byte alone and as a word end."""
    from tokenizers.pre_tokenizers import ByteLevel

    vocab: dict[str, int] = {}
    for ch in sorted(ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    return vocab


def _quiet() -> None:
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def _image_processor(family: str):
    """transformers' PIL image processor of ``family`` (≥ 5 names it …Pil; its default needs torchvision)."""
    import transformers

    return getattr(transformers, f"{family}ImageProcessorPil", None) or getattr(transformers,
                                                                                f"{family}ImageProcessor")


def _towers(vocab_size: int, *, image: int = 32, text_length: int = 32) -> tuple[dict, dict]:
    text = dict(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=2, max_position_embeddings=text_length)
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  image_size=image, patch_size=8)
    return text, vision


def tiny_clip(folder: Path, seed: int = 0) -> Path:
    """A tiny CLIP (32-pixel images, 16-dimensional embeddings) saved in ``folder``."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTokenizer

    _quiet()
    vocab = byte_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=32)
    images = _image_processor("CLIP")(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    text, vision = _towers(len(vocab))
    text.update(bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
                pad_token_id=vocab["<|endoftext|>"])
    torch.manual_seed(seed)
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)).save_pretrained(folder)
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def tiny_siglip(folder: Path, seed: int = 0) -> Path:
    """A tiny SigLIP with a SentencePiece tokenizer trained here on a few sentences (needs
    sentencepiece, the ``wam[vision]`` extra), saved in ``folder``."""
    import io

    import sentencepiece as spm
    import torch
    from transformers import SiglipConfig, SiglipModel, SiglipProcessor, SiglipTokenizer

    _quiet()
    folder.mkdir(parents=True, exist_ok=True)
    corpus = ["a red bus in a busy street", "waves on a sandy beach", "a quiet green forest at dawn",
              "the blue sea under the sky", "people walk in the city at night"] * 20
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=model, vocab_size=36,
                                   model_type="unigram", character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2,
                                   bos_id=-1, pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
                                   minloglevel=2)
    (folder / "spiece.model").write_bytes(model.getvalue())
    tokenizer = SiglipTokenizer(vocab_file=str(folder / "spiece.model"), model_max_length=16)
    images = _image_processor("Siglip")(size={"height": 32, "width": 32})
    text, vision = _towers(tokenizer.vocab_size, text_length=16)
    text.update(bos_token_id=None, eos_token_id=1, pad_token_id=0)
    torch.manual_seed(seed)
    SiglipModel(SiglipConfig(text_config=text, vision_config=vision)).save_pretrained(folder)
    SiglipProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder
