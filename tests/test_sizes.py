"""Shot-size grammar (assemble/sizes.py) on arrays: wide → medium → close-up is the cheap way
through a sentence, a jump of two sizes or a step back costs, two shots of one measured size
and one subject back to back cost most; and a plan follows it where the shots allow."""

import itertools

import numpy as np
import pytest

from tables import make_table
from test_terms import ctx_for
from wam.assemble.plan import assemble
from wam.assemble.sizes import GRAMMAR, SAME_SUBJECT, SUBJECT_COSINE, ShotSize, size_grammar
from wam.assemble.styles import PACES
from wam.assemble.terms import CostWeights
from wam.core.story import read_story
from wam.core.types import SHOT_SCALES

CLOSE, MEDIUM, WIDE = (SHOT_SCALES.index(s) for s in ("close-up", "medium", "wide"))


def sized(scales, *, faces=True, clip_ids=None, emb=None):
    """A table of one shot per entry of ``scales`` (faces measured or not; own clips unless given)."""
    t = make_table(len(scales), clip_ids=clip_ids)
    t.scale = np.asarray(scales, np.int8)
    t.face_centres = np.full((len(scales), 2), 0.5 if faces else np.nan, np.float32)
    if emb is not None:
        t.embeddings = np.asarray(emb, np.float32)
    return t


def test_tightening_is_cheaper_than_loosening_or_jumping():
    g = GRAMMAR
    assert g[WIDE, MEDIUM] < g[WIDE, CLOSE]  # one size at a time …
    assert g[MEDIUM, CLOSE] < g[CLOSE, MEDIUM]  # … tightening, not loosening
    assert g[WIDE, MEDIUM] < g[MEDIUM, WIDE] and g[CLOSE, WIDE] == g.max()  # the step back is the dearest
    assert all(g[a, a] > 0 for a in range(3))  # the same size again is not free either
    # the progression wide → medium → close is the cheapest path over three sizes
    cost = {p: g[p[0], p[1]] + g[p[1], p[2]] for p in itertools.permutations(range(3))}
    assert min(cost, key=cost.get) == (WIDE, MEDIUM, CLOSE)


def test_same_size_and_subject_back_to_back_costs_most():
    # rows 0, 1: one clip, both medium; row 2: another clip described alike; row 3: unlike
    emb = np.zeros((4, 16), np.float32)
    emb[:3, 0] = 1.0
    emb[3, 1] = 1.0
    t = sized([MEDIUM, MEDIUM, MEDIUM, MEDIUM], clip_ids=[0, 0, 1, 2], emb=emb)
    c = size_grammar(t, np.array([0]), np.arange(1, 4))[0]
    base = GRAMMAR[MEDIUM, MEDIUM]
    assert c[0] == pytest.approx(base + SAME_SUBJECT)  # one clip: one subject
    assert c[1] == pytest.approx(base + SAME_SUBJECT)  # described alike (cosine 1 ≥ SUBJECT_COSINE)
    assert c[2] == pytest.approx(base)  # another subject
    assert (emb[0] @ emb[3]) < SUBJECT_COSINE
    # a shot without a face has no measured size: "wide" may be a guess, so no same-subject cost
    blind = sized([WIDE, WIDE], faces=False, clip_ids=[0, 0])
    assert size_grammar(blind, np.array([0]), np.array([1]))[0, 0] == pytest.approx(GRAMMAR[WIDE, WIDE])
    # another size of the same subject is an edit, not a jump
    t = sized([WIDE, MEDIUM], clip_ids=[0, 0])
    assert size_grammar(t, np.array([0]), np.array([1]))[0, 0] == pytest.approx(GRAMMAR[WIDE, MEDIUM])


def test_the_term_is_relaxed_across_a_paragraph():
    t = sized([CLOSE, WIDE])
    ctx = ctx_for(t, {0: 0.5, 1: 0.5})
    term = ShotSize(1)
    inside = term.transition(ctx, np.array([0]), np.array([1]), across_paragraph=False)[0, 0]
    across = term.transition(ctx, np.array([0]), np.array([1]), across_paragraph=True)[0, 0]
    assert inside == pytest.approx(GRAMMAR[CLOSE, WIDE])
    assert across == pytest.approx(inside * CostWeights().paragraph_relax)


@pytest.mark.parametrize("order", list(itertools.permutations([CLOSE, MEDIUM, WIDE])))
def test_a_sentence_cuts_wide_then_medium_then_close(order):
    """Three equally good shots of one scene (one of each size, faces measured), each a third
    of the sentence, after a medium shot in the sentence before (no paragraph opens here, so
    nothing asks for an establishing wide shot): whichever rows they are, the plan shows them
    wide → medium → close-up (without the grammar term the order follows the rows)."""
    sentences = read_story("Morning comes to the harbour. The old fisherman mends his net on the quay "
                           "while the gulls circle over the boats.")
    t = sized(list(order) + [MEDIUM], clip_ids=[0, 1, 2, 3])
    t.ends = t.starts + sentences[1].duration / 3 + 0.1
    t.ends[3] = 10.0
    scores = np.array([[0.1, 0.1, 0.1, 0.7], [0.7, 0.7, 0.7, 0.1]], np.float32)
    tl = assemble(sentences, t, scores, pace=PACES["fast"])
    shown = [int(t.scale[int(c.shot_id[1:])]) for c in tl.sentences[1].cuts]
    assert shown == [WIDE, MEDIUM, CLOSE], (order, shown)
