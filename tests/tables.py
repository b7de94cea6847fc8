"""Small shot tables and keyword indexes for the pure tests (no store, no media)."""

from __future__ import annotations

import numpy as np

from wam.core.types import ShotTable
from wam.text.keywords import WordIndex, content_words


def table(emb: np.ndarray) -> ShotTable:
    """One shot per row of ``emb``: each from its own clip, 2 s long, neutral features, quality 1.

    Tests overwrite the columns they care about (``t.scale = …``)."""
    n = len(emb)
    z = np.zeros(n, np.float32)
    return ShotTable(
        shot_ids=[f"s{i}" for i in range(n)], sources=[f"/c{i}.mp4" for i in range(n)],
        clip_ids=np.arange(n), starts=z.astype(np.float64), ends=z.astype(np.float64) + 2, embeddings=emb,
        histograms=np.zeros((n, 128), np.float32), brightness=z, motion=z,
        camera=np.zeros((n, 3), np.float32),
        camera_motion=np.zeros(n, np.int8), scale=np.zeros(n, np.int8), quality=z + 1,
        face_centres=np.full((n, 2), np.nan, np.float32),
    )


def word_index(human: list[str], machine: list[str]) -> WordIndex:
    """The keyword index of shots described by ``human`` texts and ``machine`` (name/label) texts."""
    return WordIndex.from_words([frozenset(content_words(h)) for h in human],
                                [frozenset(content_words(m)) for m in machine])


def make_table(n: int, *, dim: int = 16, seed: int = 0, clip_ids=None, starts=None, ends=None) -> ShotTable:
    """``n`` shots with random unit embeddings, wide, neutral features; 2 s long unless given."""
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n, dim)).astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    t = table(emb)
    t.starts = np.zeros(n) if starts is None else np.asarray(starts, np.float64)
    t.ends = t.starts + 2.0 if ends is None else np.asarray(ends, np.float64)
    if clip_ids is not None:
        t.clip_ids = np.asarray(clip_ids, np.int64)
        t.sources = [f"/clips/c{c}.mp4" for c in t.clip_ids]
    t.histograms = np.full((n, 128), 1 / 128, np.float32)
    t.brightness = np.full(n, 0.5, np.float32)
    t.scale = np.full(n, 2, np.int8)
    return t


def fake_library(n_clips=12, shots_per_clip=3, dim=16, seed=0, shot_len=6.0) -> ShotTable:
    """Clips of several consecutive shots each, with random colour, brightness, scale, motion, quality."""
    rng = np.random.default_rng(seed)
    n = n_clips * shots_per_clip
    starts = np.tile(np.arange(shots_per_clip) * shot_len, n_clips).astype(np.float64)
    t = make_table(n, dim=dim, seed=seed, clip_ids=np.repeat(np.arange(n_clips), shots_per_clip),
                   starts=starts, ends=starts + shot_len)
    t.histograms = rng.dirichlet(np.ones(128), n).astype(np.float32)
    t.brightness = rng.uniform(0.2, 0.8, n).astype(np.float32)
    t.scale = rng.integers(0, 3, n).astype(np.int8)
    t.camera_motion = rng.integers(0, 7, n).astype(np.int8)
    t.quality = rng.uniform(0.5, 1, n).astype(np.float32)
    return t
