"""A BERT sentence encoder in plain torch for the common sentence-transformers layout
(BERT → mean pooling → optional unit normalisation, e.g. the built-in all-MiniLM-L6-v2):
the same vectors as sentence-transformers (to float rounding, ≈ 1e-7: texts are batched by
their number of tokens and the padding is left out of all but the attention, ≈ 12 % less work
than sentence-transformers' batches by characters) without importing it or transformers, which costs
≈ 5 s of CPU at every start (``wam index``, the text model that ``wam plan`` / ``render``
start). Weights come from the model folder's ``model.safetensors``, the tokenizer from its
``tokenizer.json`` (the ``tokenizers`` library). Any other model layout is left to
sentence-transformers (``wam.text.embed``).

Used by ``wam.text.embed.load_encoder``; torch, safetensors and tokenizers are imported in
``BertMeanEncoder`` only.
"""

from __future__ import annotations

import json
import os

import numpy as np

#: Texts per forward pass (sorted by number of tokens first).
BATCH = 64
_MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling"]
_NORMALIZE = "sentence_transformers.models.Normalize"


def _read(folder: str, name: str) -> dict | list | None:
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def bert_layout(folder: str) -> dict | None:
    """The settings of the model in ``folder`` when it is a plain BERT with mean pooling (and
    optional normalisation) that ``BertMeanEncoder`` computes exactly, else None."""
    if not all(os.path.isfile(os.path.join(folder, f)) for f in ("model.safetensors", "tokenizer.json")):
        return None
    modules, config = _read(folder, "modules.json"), _read(folder, "config.json")
    if not isinstance(modules, list) or not isinstance(config, dict):
        return None
    types = [m.get("type") for m in modules if isinstance(m, dict)]
    if types not in (_MODULES, _MODULES + [_NORMALIZE]) or modules[0].get("path", "") != "":
        return None
    pooling = _read(folder, os.path.join(modules[1].get("path", ""), "config.json")) or {}
    means = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if means != ["pooling_mode_mean_tokens"]:
        return None
    if (config.get("model_type") != "bert" or config.get("hidden_act") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"):
        return None
    st = _read(folder, "sentence_bert_config.json") or {}
    return {"config": config,
            "max_length": int(st.get("max_seq_length") or config["max_position_embeddings"]),
            "lower": bool(st.get("do_lower_case")), "normalize": _NORMALIZE in types}


class BertMeanEncoder:
    """Unit-length float32 sentence vectors from a BERT model folder laid out as
    ``bert_layout`` accepts: those of ``wam.text.embed.SentenceTransformerEncoder`` to float
    rounding. ``hidden`` gives the last layer's token outputs (``wam.text.static`` reads them)."""

    def __init__(self, name: str, folder: str, layout: dict):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.name = name
        cfg = layout["config"]
        self.dim = int(cfg["hidden_size"])
        self._heads = int(cfg["num_attention_heads"])
        self._layers = int(cfg["num_hidden_layers"])
        self._eps = float(cfg.get("layer_norm_eps", 1e-12))
        self._lower, self._normalize = layout["lower"], layout["normalize"]
        weights = load_file(os.path.join(folder, "model.safetensors"))
        self._w = {k.removeprefix("bert."): v.float() for k, v in weights.items()}
        self._tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        self._tok.enable_truncation(max_length=layout["max_length"])
        self._tok.no_padding()
        self._pad = int(cfg.get("pad_token_id", 0) or 0)
        self._torch = torch

    def vocabulary(self) -> dict[str, int]:
        """The tokenizer's vocabulary: token → id."""
        return self._tok.get_vocab()

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's token ids as the model reads it ([CLS] … [SEP], truncated to its length)."""
        prepared = [str(t).strip() for t in texts]
        if self._lower:
            prepared = [t.lower() for t in prepared]
        return [e.ids for e in self._tok.encode_batch(prepared)]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        torch = self._torch
        ids = self.token_ids(texts)
        # batches of texts of about the same number of tokens (longest first): the padding
        # the attention needs is small, and the rest of the model runs on real tokens only
        order = np.argsort([-len(x) for x in ids], kind="stable")
        out = np.zeros((len(ids), self.dim), np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                x, seq, lengths = self.hidden([ids[i] for i in rows])
                pooled = torch.zeros((len(rows), self.dim), dtype=x.dtype).index_add_(0, seq, x)
                pooled = pooled / lengths[:, None].to(x.dtype)
                if self._normalize:  # the model's own Normalize module …
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                # … and again, as wam's encoders give unit vectors
                out[rows] = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        return out

    def hidden(self, batch: list[list[int]]):
        """The last layer's output for every token of the texts of ``batch`` (token ids), as
        ``(x, seq, lengths)``: ``x`` (tokens, dim), the tokens of all texts one after the other;
        ``seq`` the text of each token; ``lengths`` each text's number of tokens (torch tensors).

        The operations of transformers' BertModel (SDPA attention) in its order, except that
        everything but the attention runs on the real tokens only (no padding rows)."""
        torch = self._torch
        F = torch.nn.functional
        w, h, eps = self._w, self.dim, self._eps
        n, hd, size = self._heads, self.dim // self._heads, len(batch)
        lengths = torch.tensor([len(x) for x in batch], dtype=torch.long)
        length = int(lengths.max())
        ids = torch.tensor([i for x in batch for i in x], dtype=torch.long)
        seq = torch.repeat_interleave(torch.arange(size), lengths)
        pos = torch.cat([torch.arange(k) for k in lengths.tolist()])
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][0]
             + w["embeddings.position_embeddings.weight"][pos])
        x = F.layer_norm(x, (h,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        padded = bool((lengths < length).any())
        at = seq * length + pos  # each token's place in the padded (texts × length) layout
        allowed = None
        if padded:
            mask = torch.zeros(size * length, dtype=torch.bool)
            mask[at] = True
            allowed = mask.view(size, 1, 1, length).expand(size, 1, length, length)

        def linear(t, name):
            return F.linear(t, w[f"{name}.weight"], w[f"{name}.bias"])

        def heads(t):
            if padded:
                t = t.new_zeros((size * length, h)).index_copy_(0, at, t)
            return t.view(size, length, n, hd).transpose(1, 2)

        for k in range(self._layers):
            p = f"encoder.layer.{k}"
            q, key, v = (heads(linear(x, f"{p}.attention.self.{m}")) for m in ("query", "key", "value"))
            ctx = F.scaled_dot_product_attention(q, key, v, attn_mask=allowed, scale=hd ** -0.5)
            ctx = ctx.transpose(1, 2).reshape(size * length, h)
            if padded:
                ctx = ctx[at]
            a = F.layer_norm(linear(ctx, f"{p}.attention.output.dense") + x, (h,),
                             w[f"{p}.attention.output.LayerNorm.weight"],
                             w[f"{p}.attention.output.LayerNorm.bias"], eps)
            x = F.layer_norm(linear(F.gelu(linear(a, f"{p}.intermediate.dense")), f"{p}.output.dense") + a,
                             (h,), w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], eps)
        return x, seq, lengths
