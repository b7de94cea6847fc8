"""Cost terms on hand-built shot tables, with expectations written by hand."""

import numpy as np
import pytest

from tables import make_table
from wam.assemble.styles import PACES, pace
from wam.assemble.terms import (
    CostWeights,
    Duration,
    Establishing,
    Hold,
    JumpCut,
    PlanContext,
    Quality,
    Relevance,
    Semantic,
    Transition,
    duration_cost,
    tone_distance,
)
from wam.core.types import CAMERA_MOTIONS, SHOT_SCALES, FramingPairs


def ctx_for(table, scores, *, weak=False, paragraph_start=True, p="normal"):
    best = max(scores.values())
    return PlanContext(table=table, pace=PACES[p], weights=CostWeights(), scores=[scores],
                       best=[0.1 if weak else best], pool_best=[best], paragraph_start=[paragraph_start],
                       penalties=[{}], budgets=[{}], once=[set()])


def test_semantic_relevance_quality_per_second():
    t = make_table(4)
    t.quality = np.array([1, 0.5, 0, 1], np.float32)
    ctx = ctx_for(t, {0: 0.8, 1: 0.5, 2: 0.39, 3: 0.41})
    rows = np.arange(4)
    assert Semantic(1).per_second(ctx, 0, rows) == pytest.approx([0.2, 0.5, 0.61, 0.59])
    # under half the sentence's best candidate (0.8) is a last resort
    assert Relevance(1).per_second(ctx, 0, rows).tolist() == [0, 0, 1, 0]
    assert Quality(1).per_second(ctx, 0, rows).tolist() == [0, 0.5, 1, 0]


def test_establishing_opens_paragraphs_on_wide_shots_and_weak_sentences_prefer_them():
    t = make_table(3)
    t.scale = np.array([SHOT_SCALES.index(s) for s in ("wide", "close-up", "medium")], np.int8)
    rows = np.arange(3)
    term = Establishing(1)
    assert term.opening(ctx_for(t, {0: 0.5}), 0, rows).tolist() == [0, 1, 1]
    assert term.opening(ctx_for(t, {0: 0.5}, paragraph_start=False), 0, rows) is None
    assert term.per_second(ctx_for(t, {0: 0.5}), 0, rows) is None
    assert term.per_second(ctx_for(t, {0: 0.1}, weak=True), 0, rows).tolist() == [0, 0.25, 0.25]


def test_duration_prefers_the_pace_and_is_bounded():
    for name in ("calm", "normal", "fast"):
        p = pace(name)
        mode = float(np.exp(p.mu - p.sigma ** 2))
        at = duration_cost(p, np.array([mode, mode * 1.5, mode * 3, 0.3, 60.0]))
        assert at[0] == pytest.approx(p.per_cut) and at[0] < at[1] < at[2]
        assert at.max() <= 2.0 + 4.0 + p.per_cut  # no pacing gain can pay for a second of unrelated footage
    # a calm edit cuts reluctantly: the same cut costs more there, however long
    assert duration_cost(pace("calm"), np.array([4.0]))[0] > duration_cost(pace("normal"),
                                                                           np.array([2.6]))[0]
    t = make_table(2, starts=[0, 0], ends=[1.0, 5.0])
    ctx = ctx_for(t, {0: 0.5, 1: 0.5})
    assert Duration(1).per_cut(ctx, 0, np.arange(2), np.array([1.0, 3.0])).shape == (2, 2)
    # a cut longer than its shot holds the last frame for the difference
    assert np.allclose(Hold(1).per_cut(ctx, 0, np.arange(2), np.array([0.5, 3.0])), [[0, 2.25], [0, 0]],
                       atol=1e-5)


def test_transitions_judge_continuity():
    w = CostWeights()
    t = make_table(6)
    t.histograms[5, :64] = 2 / 128  # a different tone …
    t.histograms[5, 64:] = 0
    t.camera_motion = np.array([CAMERA_MOTIONS.index(m) for m in
                                ("pan_left", "pan_right", "pan_left", "static", "static", "static")],
                                np.int8)
    t.scale = np.array([SHOT_SCALES.index(s) for s in ("wide", "wide", "wide", "close-up", "medium",
                                                       "wide")], np.int8)
    ctx = ctx_for(t, {i: 0.5 for i in range(6)})
    c = Transition(1).transition(ctx, np.array([0]), np.arange(1, 6), across_paragraph=False)[0]
    # opposite pan (1) costs more than the same pan (2); shot sizes are the grammar's (sizes.py),
    # not continuity
    assert c[0] > c[1] and c[2] == pytest.approx(c[3])
    assert c[0] - c[1] == pytest.approx(w.motion)
    assert c[4] > c[1]  # a jump in colour
    relaxed = Transition(1).transition(ctx, np.array([0]), np.arange(1, 6), across_paragraph=True)[0]
    assert (relaxed <= c + 1e-9).all() and relaxed[0] < c[0]
    d = tone_distance(t, np.array([0]), np.array([0, 5]))
    assert d[0, 0] == pytest.approx(0, abs=1e-3) and d[0, 1] > 0.4


def test_jump_cuts_from_framing_pairs_thumbnails_and_the_fallback():
    t = make_table(5, clip_ids=[0, 0, 0, 1, 2])
    t.pks = np.arange(10, 15)
    rng = np.random.default_rng(1)
    t.thumbs = rng.integers(-100, 100, (5, 144)).astype(np.int8)
    t.thumbs[4] = t.thumbs[3]  # clips 1 and 2: two takes of one framing
    t.framing_known = np.array([True, True, True, True, True])
    t.framing = FramingPairs.from_pairs([(10, 11, 0.9)])  # in clip 0 only the cut 0 → 1 is a jump
    ctx = ctx_for(t, {i: 0.5 for i in range(5)})
    j = JumpCut(1).transition(ctx, np.arange(5), np.arange(5), across_paragraph=False)
    assert np.diag(j).tolist() == [1, 1, 1, 1, 1]  # the same shot again
    assert j[0, 1] == pytest.approx(0.9) and j[1, 0] == 0 and j[0, 2] == 0  # measured from the pictures
    assert j[3, 4] == pytest.approx(1.0) and j[0, 3] == 0  # near-identical thumbnails and colour
    # a clip indexed before framing was measured: same-clip cuts with the same colour count as jumps
    t.framing_known = np.array([False, False, False, True, True])
    j = JumpCut(1).transition(ctx, np.arange(3), np.arange(3), across_paragraph=False)
    assert j[0, 2] == 1 and j[1, 0] == 1
