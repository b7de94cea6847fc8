import numpy as np
import pytest

from tables import table as make_table
from wam.assemble.costs import (
    FORBIDDEN, GRAMMAR, CostWeights, establishing_cost, quality_cost, semantic_cost, tone_distance, transition_costs,
)
from wam.assemble.styles import PACES, pace
from wam.types import CAMERA_MOTIONS, SHOT_SCALES


def tbl(n=4):
    t = make_table(np.zeros((n, 4), np.float32))
    t.clip_ids = np.arange(n)
    h = np.zeros((n, 128), np.float32)
    for i in range(n):
        h[i, i] = 1.0
    t.histograms = h
    return t


def test_semantic_quality_establishing():
    assert semantic_cost(np.array([1.0, 0.25, -0.8])).tolist() == [0.0, 0.75, 1.5]
    t = tbl()
    t.quality = np.array([1, 0.5, 0, 1], np.float32)
    t.scale = np.array([SHOT_SCALES.index(s) for s in ("wide", "close-up", "medium", "wide")], np.int8)
    rows = np.arange(4)
    assert quality_cost(t, rows).tolist() == [0, 0.5, 1, 0]
    assert establishing_cost(t, rows).tolist() == [0, 1, 1, 0]


def test_tone_distance():
    t = tbl()
    t.histograms[3] = t.histograms[0]
    d = tone_distance(t, np.array([0]), np.array([0, 1, 3]))
    assert d[0, 0] == pytest.approx(0, abs=1e-3) and d[0, 1] == pytest.approx(1) and d[0, 2] == pytest.approx(0, abs=1e-3)


def test_transitions_judge_continuity():
    w = CostWeights()
    t = tbl(6)
    t.histograms[:] = 1 / 128  # same tone everywhere …
    t.histograms[5, :64] = 2 / 128  # … except shot 5
    t.histograms[5, 64:] = 0
    t.camera_motion = np.array([CAMERA_MOTIONS.index(m) for m in
                                ("pan_left", "pan_right", "pan_left", "static", "static", "static")], np.int8)
    t.scale = np.array([SHOT_SCALES.index(s) for s in ("wide", "wide", "wide", "close-up", "medium", "wide")], np.int8)
    a = np.array([0])
    c = transition_costs(t, a, np.arange(1, 6), w, across_paragraph=False)[0]
    # opposite pan (1) costs more than the same pan (2); wide → close-up (3) more than wide → medium (4)
    assert c[0] > c[1] and c[2] > c[3]
    assert c[2] - c[3] == pytest.approx(w.grammar * (GRAMMAR[2, 0] - GRAMMAR[2, 1]))
    # near-identical framing is a jump cut; a different tone is a jump in colour, not a jump cut
    assert c[1] >= w.jump_cut and c[4] < w.jump_cut
    relaxed = transition_costs(t, a, np.arange(1, 6), w, across_paragraph=True)[0]
    assert (relaxed <= c + 1e-9).all() and relaxed[0] < c[0]
    t.clip_ids[:] = 7  # one source: never back to back
    assert (transition_costs(t, a, np.arange(1, 6), w, across_paragraph=True) >= FORBIDDEN).all()


def test_pace_priors():
    assert PACES["calm"].asl > PACES["normal"].asl > PACES["fast"].asl
    p = pace("normal")
    mode = np.exp(p.mu - p.sigma**2)
    assert p.misfit(mode) == pytest.approx(0)
    assert p.misfit(mode * 2) > p.misfit(mode * 1.2) > 0
    with pytest.raises(ValueError):
        pace("warp")
