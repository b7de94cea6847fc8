"""Cost terms of the assembler: pure numpy functions over a ShotTable's columns.

Unary costs judge one cut (a sub-range of one shot under one sentence); pairwise costs
judge the transition between two consecutive cuts. Weights live in ``CostWeights``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wam.types import CAMERA_MOTIONS, SHOT_SCALES, ShotTable

#: A cost no acceptable solution pays (a forbidden choice).
FORBIDDEN = 1e6


@dataclass(frozen=True)
class CostWeights:
    """Weights of every term (documented defaults; all costs are roughly 0..1 before weighting).

    semantic      1 − match score (cosine + keyword evidence) — the story must be shown
    duration      misfit of the cut length against the pace's log-normal prior
    quality       1 − shot quality (blur, bad exposure, shake)
    establishing  a non-wide shot opening a paragraph
    tone          colour-histogram jump between consecutive cuts (Bhattacharyya distance)
    brightness    brightness jump between consecutive cuts
    motion        opposite camera motions back to back (pan left → pan right, zoom in → out)
    jump_cut      same source close in time, or near-identical framing
    grammar       harsh shot-size change (wide → close-up …)
    reuse         a shot used again in one plan (diversity)
    spread        per use of a source clip beyond its fair share (spread use across sources)
    paragraph_relax  factor on the continuity terms across a paragraph boundary
    """

    semantic: float = 3.0
    duration: float = 0.4
    quality: float = 0.5
    establishing: float = 0.3
    tone: float = 0.35
    brightness: float = 0.35
    motion: float = 0.3
    jump_cut: float = 1.0
    grammar: float = 0.25
    reuse: float = 2.0
    spread: float = 0.15
    paragraph_relax: float = 0.3


#: Shot-size grammar: cost of cutting from row scale to column scale (close-up, medium, wide).
GRAMMAR = np.array(
    [
        [0.3, 0.0, 0.4],  # close-up → close-up is repetitive, → wide is a big jump
        [0.0, 0.2, 0.0],  # medium goes anywhere
        [0.8, 0.0, 0.2],  # wide → close-up is harsh
    ],
    np.float32,
)

_OPPOSITE = {("pan_left", "pan_right"), ("pan_right", "pan_left"), ("tilt_up", "tilt_down"),
             ("tilt_down", "tilt_up"), ("zoom_in", "zoom_out"), ("zoom_out", "zoom_in")}
OPPOSITE_MOTION = np.array(
    [[1.0 if (a, b) in _OPPOSITE else 0.0 for b in CAMERA_MOTIONS] for a in CAMERA_MOTIONS], np.float32
)
_WIDE = SHOT_SCALES.index("wide")


def semantic_cost(scores: np.ndarray) -> np.ndarray:
    """1 − match score, clipped to [0, 1.5]."""
    return np.clip(1.0 - scores, 0.0, 1.5)


def quality_cost(table: ShotTable, rows: np.ndarray) -> np.ndarray:
    return 1.0 - table.quality[rows]


def establishing_cost(table: ShotTable, rows: np.ndarray) -> np.ndarray:
    """1 for shots that are not wide (used on the first cut of a paragraph)."""
    return (table.scale[rows] != _WIDE).astype(np.float32)


def tone_distance(table: ShotTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Bhattacharyya distance between colour histograms (0 same … 1 disjoint)."""
    ha = np.sqrt(np.maximum(table.histograms[a], 0))
    hb = np.sqrt(np.maximum(table.histograms[b], 0))
    bc = np.clip(ha @ hb.T, 0.0, 1.0)
    return np.sqrt(1.0 - bc)


def transition_costs(table: ShotTable, a: np.ndarray, b: np.ndarray, weights: CostWeights, *, across_paragraph: bool) -> np.ndarray:
    """(len(a), len(b)) cost of cutting from a shot in rows ``a`` to a shot in rows ``b``.

    Two cuts from the same source clip back to back are forbidden; so is the same shot.
    """
    tone = tone_distance(table, a, b)
    bright = np.abs(table.brightness[a][:, None] - table.brightness[b][None, :])
    motion = OPPOSITE_MOTION[table.camera_motion[a][:, None], table.camera_motion[b][None, :]]
    grammar = GRAMMAR[table.scale[a][:, None], table.scale[b][None, :]]
    continuity = weights.tone * tone + weights.brightness * np.minimum(bright * 2.0, 1.0) + weights.motion * motion
    continuity = continuity + weights.grammar * grammar
    if across_paragraph:
        continuity = continuity * weights.paragraph_relax
    same_source = table.clip_ids[a][:, None] == table.clip_ids[b][None, :]
    near_identical = tone < 0.08
    jump = near_identical.astype(np.float32) * weights.jump_cut
    cost = continuity + jump
    cost = np.where(same_source, FORBIDDEN, cost)
    return cost.astype(np.float64)
