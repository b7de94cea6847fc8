"""Story-level claims on clips (assemble/claims.py): the story assigns contended clips to
the sentences the story needs them in, and a sentence leaves a clip the story gave to
another — on arrays, and through the planner (the "no crowd, just one player" sentence of
bench/montage_quality.py's confusable scenes)."""

import numpy as np

from tables import make_table
from test_lead import _ctx
from wam.assemble.claims import CLAIM_MARGIN, Claim, story_claims
from wam.assemble.plan import assemble
from wam.assemble.styles import PACES
from wam.assemble.terms import CostWeights
from wam.core.story import read_story
from wam.text.candidates import candidates_from_scores, clip_evidence


def test_clip_evidence_pools_shots_by_clip():
    clips = np.array([0, 0, 0, 1, 1])
    assert clip_evidence(np.array([0, 1, 3]), np.array([0.2, 0.7, 0.4]), clips) == {0: 0.7, 1: 0.4}


def test_a_contended_clip_goes_where_nothing_else_fits_and_costs_elsewhere():
    """Sentence 0 scores clip 1 best but clip 0 nearly as well; sentence 2 has nothing but
    clip 1: the story gives clip 1 to sentence 2, and clip 1 costs more than clip 0 is worth
    in sentence 0. Sentence 1 (a neighbour of 2 in one paragraph) may show clip 1 freely (a
    shot runs on into the next sentence); a clip nobody contends costs nothing."""
    t = make_table(7, clip_ids=[0, 0, 1, 1, 2, 3, 3])
    scores = [{0: 0.42, 1: 0.4, 2: 0.48, 3: 0.45},
              {2: 0.46, 4: 0.5},
              {2: 0.46, 3: 0.44, 5: 0.2}]
    ctx = _ctx(t, scores, paragraph_start=[True, True, False])
    pools = [np.array(sorted(s)) for s in scores]
    claims = story_claims(ctx, pools)
    assert set(claims[0]) == {2, 3}  # both shots of clip 1: a clip counts as a whole
    assert min(claims[0].values()) >= CLAIM_MARGIN
    assert 0.48 - claims[0][2] < 0.42  # clip 1 is worth less than clip 0 there now
    assert claims[1] == {} and claims[2] == {}
    ctx.claims = claims
    assert Claim(1).per_second(ctx, 0, pools[0]).tolist() == [0.0, 0.0, claims[0][2], claims[0][3]]


def test_the_story_gives_the_crowd_to_the_crowd_sentence():
    """"No crowd, no race: just one player and a ball" scores the stadium crowd above the
    tennis player; the crowd sentence has nothing else like the crowd. Planned on its own
    the tennis sentence would show the crowd; in the story it shows the tennis player and the
    crowd sentence the crowd."""
    sentences = read_story("No crowd and no race today, just one player and a racket.\n\n"
                           "The fans roar as their team scores under the floodlights.\n\n"
                           "A baker pulls golden loaves from the hot oven.")
    t = make_table(6, clip_ids=[0, 0, 1, 1, 2, 2], ends=[6.0] * 6)  # 0: the crowd, 1: tennis, 2: bread
    scores = np.array([[0.48, 0.47, 0.42, 0.41, 0.05, 0.05],
                       [0.46, 0.45, 0.2, 0.2, 0.05, 0.05],
                       [0.05, 0.05, 0.05, 0.05, 0.7, 0.7]], np.float32)
    cands = candidates_from_scores(scores, t.ends - t.starts, [s.duration for s in sentences], 24)
    for pace in ("calm", "normal", "fast"):
        tl = assemble(sentences, t, cands, pace=PACES[pace])
        assert {c.source for c in tl.sentences[0].cuts} == {"/clips/c1.mp4"}, pace
        assert {c.source for c in tl.sentences[1].cuts} == {"/clips/c0.mp4"}, pace
        alone = assemble(sentences, t, cands, pace=PACES[pace], weights=CostWeights(claim=0.0))
        # without the story's view, the tennis sentence shows the crowd
        assert "/clips/c0.mp4" in {c.source for c in alone.sentences[0].cuts}, pace
