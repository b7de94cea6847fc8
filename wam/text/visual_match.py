"""How a sentence matches what a shot shows: the visual similarity that candidate scoring
blends in (``candidates.visual_blend``), from the shots' visual vectors (ConSE mixes of
ImageNet class and visual-word embeddings, ``library/concepts.py``).

Two corrections of the plain cosine, both independent of the story:

* **A clip's shots share what it shows** (``clip_pooled``, applied when the column table is
  built, ``library/columns.py``): each shot's vector is mixed with the mean of its clip's, as
  a sidecar describes a whole clip. Single keyframes are noisy (a wide shot, a pan and a
  close-up of one photograph are tagged as different things), and a sentence should find
  all of a clip's footage, not one shot of it.
* **What every picture shares is not evidence** (``visual_similarity``): mixes of ImageNet
  classes all lie near one common direction, and a sentence close to that direction (to
  "objects" in general) is close to every shot. Its cosine with the library's mean vector
  (shrunk towards zero by ``PRIOR_SHOTS`` pseudo-shots, so that a library of one shot is not
  centred on itself) is subtracted: the sentence-side half of CSLS (Conneau et al., ICLR
  2018), measured against the library being searched. On bench/footage_blind.py's 90 dev
  sentences, right and wrong (sentence, shot) pairs separate far better across sentences
  (ROC AUC 0.89 → 0.96; 0.88 → 0.96 in libraries of 5 clips), which is what lets the planner
  tell a right clip from a near miss and a weak sentence from a strong one. The shot-side half
  (a shot's mean similarity to a fixed pool of sentences or classes) lowered that figure and
  is not used.

Pure numpy on arrays; used by ``wam.text.candidates`` and ``wam.library.columns``.
"""

from __future__ import annotations

import numpy as np

#: Weight of a clip's mean visual vector mixed into each of its shots' (then normalised):
#: 1 = the shot's own keyframes and its clip weigh alike.
CLIP_SHARE = 1.0
#: Pseudo-shots at the origin counted into the library's mean visual vector.
PRIOR_SHOTS = 5


def _unit_rows(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(norm > 1e-9, v / np.maximum(norm, 1e-9), 0.0).astype(np.float32)


def clip_pooled(visual: np.ndarray, clip_ids: np.ndarray, share: float = CLIP_SHARE) -> np.ndarray:
    """(N, D) unit visual vectors, each shot's mixed with ``share`` × the mean vector of its
    clip's shots (zero rows — no visual vector — are left out of the means and stay zero)."""
    visual = np.asarray(visual, np.float32)
    if visual.size == 0 or share == 0:
        return visual.copy()
    known = np.abs(visual).sum(axis=1) > 0
    _, group = np.unique(np.asarray(clip_ids), return_inverse=True)
    sums = np.zeros((int(group.max()) + 1, visual.shape[1]), np.float64)
    np.add.at(sums, group[known], visual[known])
    counts = np.bincount(group[known], minlength=len(sums)).astype(np.float64)
    means = sums / np.maximum(counts, 1.0)[:, None]
    mixed = _unit_rows(visual + share * means[group].astype(np.float32))
    mixed[~known] = 0.0
    return mixed


def library_centre(visual: np.ndarray, prior: float = PRIOR_SHOTS) -> np.ndarray:
    """(D,) the mean of the known visual vectors, with ``prior`` pseudo-shots at the origin."""
    visual = np.asarray(visual, np.float32)
    known = np.abs(visual).sum(axis=1) > 0
    return (visual[known].sum(axis=0, dtype=np.float64) / (known.sum() + prior)).astype(np.float32)


def visual_similarity(queries: np.ndarray, visual: np.ndarray) -> np.ndarray:
    """(queries, shots) cosine of each query with each visual vector, less the query's cosine
    with the library's centre (``library_centre``); 0 for shots without a visual vector."""
    q = np.asarray(queries, np.float32)
    visual = np.asarray(visual, np.float32)
    sims = q @ visual.T - (q @ library_centre(visual))[:, None]
    sims[:, np.abs(visual).sum(axis=1) == 0] = 0.0
    return sims.astype(np.float32)
