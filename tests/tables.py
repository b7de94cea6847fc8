"""Small shot tables and keyword indexes for the pure tests (no store, no media)."""

from __future__ import annotations

import numpy as np

from wam.keywords import WordIndex, content_words
from wam.types import ShotTable


def table(emb: np.ndarray) -> ShotTable:
    """One shot per row of ``emb``: each from its own clip, 2 s long, neutral features, quality 1.

    Tests overwrite the columns they care about (``t.scale = …``)."""
    n = len(emb)
    z = np.zeros(n, np.float32)
    return ShotTable(
        shot_ids=[f"s{i}" for i in range(n)], sources=[f"/c{i}.mp4" for i in range(n)],
        clip_ids=np.arange(n), starts=z.astype(np.float64), ends=z.astype(np.float64) + 2, embeddings=emb,
        histograms=np.zeros((n, 128), np.float32), brightness=z, motion=z, camera=np.zeros((n, 3), np.float32),
        camera_motion=np.zeros(n, np.int8), scale=np.zeros(n, np.int8), quality=z + 1,
        face_centres=np.full((n, 2), np.nan, np.float32),
    )


def word_index(human: list[str], machine: list[str]) -> WordIndex:
    """The keyword index of shots described by ``human`` texts and ``machine`` (name/label) texts."""
    return WordIndex.from_words([frozenset(content_words(h)) for h in human],
                                [frozenset(content_words(m)) for m in machine])
