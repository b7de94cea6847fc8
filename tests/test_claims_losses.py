"""The story's losses behind the claims (assemble/claims.py, issue 20 third round): a clip
another sentence holds costs what the *story* loses if this sentence takes it — the holder's
loss, not the auction's price, which only says what the next bidder would pay — and what a
clip is worth to a sentence is its evidence above what unrelated footage scores for it.
On arrays (brute force beside ``story_losses``) and through the planner."""

import itertools

import numpy as np

from tables import make_table
from test_lead import _ctx
from wam.assemble.claims import (
    ASSIGN_CHUNK,
    CLAIM_MARGIN,
    LOSS_TIE,
    story_claims,
    story_held,
    story_losses,
    story_values,
)
from wam.assemble.plan import assemble
from wam.assemble.styles import PACES
from wam.core.story import read_story
from wam.text.candidates import candidates_from_scores


def assignments(values, fixed=None):
    """Brute force: every assignment of a different clip (or nothing) to each bidder, with
    bidder ``fixed[0]`` made to take clip ``fixed[1]``; yields (total, choice)."""
    clips = sorted({c for v in values for c in v})
    for choice in itertools.product([None] + clips, repeat=len(values)):
        taken = [c for c in choice if c is not None]
        valued = all(c is None or c in values[i] for i, c in enumerate(choice))
        if len(taken) != len(set(taken)) or not valued:
            continue
        if fixed is not None and choice[fixed[0]] != fixed[1]:
            continue
        yield sum(values[i][c] for i, c in enumerate(choice) if c is not None), choice


def assigned(values):
    held = story_held(values)
    return held, story_losses(values, held)


def test_losses_are_what_the_best_assignment_loses():
    rng = np.random.default_rng(3)
    for _ in range(60):
        n, m = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        values = [{c: round(float(v), 3) for c, v in enumerate(rng.uniform(0, 1, m)) if rng.random() < 0.75}
                  for _ in range(n)]
        held, losses = assigned(values)
        best = max(t for t, _ in assignments(values))
        taken = [c for c in held if c is not None]
        assert len(taken) == len(set(taken))
        assert sum(values[i][c] for i, c in enumerate(held) if c is not None) >= best - 1e-9
        for s, clip_losses in enumerate(losses):
            holders = {c: i for i, c in enumerate(held) if c is not None}
            # every clip this sentence values that another sentence holds has a loss, and only those
            assert set(clip_losses) == {c for c in values[s] if holders.get(c, s) != s}
            for c, loss in clip_losses.items():
                forced = max(t for t, _ in assignments(values, (s, c)))
                assert abs(loss - max(0.0, best - forced)) < 1e-9


def test_a_holder_with_nothing_else_claims_even_from_an_indifferent_sentence():
    """The band sentence scores the stadium crowd (0.450) as well as the band (0.444); the
    crowd sentence has nothing but the crowd. The auction's prices left the crowd free for
    the band sentence (its own indifference set the price); the story's loss does not."""
    t = make_table(4, clip_ids=[0, 0, 1, 1])  # 0: the crowd, 1: the band
    scores = [{0: 0.450, 1: 0.440, 2: 0.444, 3: 0.43},
              {0: 0.462, 1: 0.45}]
    ctx = _ctx(t, scores, paragraph_start=[True, True])
    pools = [np.array(sorted(s)) for s in scores]
    claims = story_claims(ctx, pools)
    assert set(claims[0]) == {0, 1} and min(claims[0].values()) >= 0.4 + CLAIM_MARGIN
    assert claims[1] == {}


def test_a_sentence_keeps_its_best_clip_when_the_holder_has_an_equal_alternative():
    """Sentence 0 wants clip 0 (0.5) more than clip 1 (0.4); sentence 1 values clip 0 as much
    as clip 2, whose sentence 2 may as well take clip 1. Two assignments are equally good:
    whichever the story holds, sentence 0 may show clip 0 at no loss — no claim on it — and
    whatever else it values, the one sentence that needs a clip claims it."""
    for values in ([{0: 0.5, 1: 0.4}, {0: 0.5, 2: 0.5}, {2: 0.5, 1: 0.4}],
                   [{1: 0.4, 0: 0.5}, {2: 0.5, 0: 0.5}, {1: 0.4, 2: 0.5}]):
        held, losses = assigned(values)
        assert losses[0].get(0, 0.0) <= LOSS_TIE and losses[0].get(1, 0.0) <= LOSS_TIE
    held, losses = assigned([{0: 0.5, 1: 0.4}, {0: 0.5}, {1: 0.1}])
    assert held == [1, 0, None] and abs(losses[0][0] - 0.3) < 1e-9  # sentence 1 has nothing else


def test_what_a_clip_is_worth_is_its_evidence_above_unrelated_footage():
    """A sentence whose own clip is not among its candidates (mean 0.2 over the library)
    must not take a sibling's clip from the sentence it belongs to (0.605, mean 0.25) and push
    that one to a third clip: on raw scores the sum prefers it (0.308 + 0.400 > 0.605), above
    each sentence's mean it does not (0.108 + 0.150 < 0.355)."""
    clips = np.array([0, 0, 1, 2])
    raw = [{1: 0.308}, {1: 0.605, 2: 0.400}]
    assert assigned(raw)[0] == [1, 2]
    values = [story_values(np.array([2]), np.array([0.308]), clips, 0.2),
              story_values(np.array([2, 3, 0]), np.array([0.605, 0.400, 0.1]), clips, 0.25)]
    assert values[1] == {1: 0.605 - 0.25, 2: 0.400 - 0.25}  # clip 0 scores under the mean: worth nothing
    held, _ = assigned(values)
    assert held == [None, 1]


def test_a_long_story_is_assigned_window_by_window():
    """Sentences contending for 100 clips, 8 each: each window of ASSIGN_CHUNK sentences is
    assigned on its own, exactly (each clip to one sentence in it; the losses those of an
    assignment solved again without the sentence and the clip)."""
    rng = np.random.default_rng(5)
    values = [{int(c): float(rng.uniform(0.01, 0.5)) for c in rng.choice(100, 8, replace=False)}
              for _ in range(ASSIGN_CHUNK + 10)]
    held, losses = assigned(values)
    assert len([c for c in held if c is not None]) > len(set(held) - {None})  # a clip held in both windows
    values, held, losses = values[:ASSIGN_CHUNK], held[:ASSIGN_CHUNK], losses[:ASSIGN_CHUNK]
    taken = [c for c in held if c is not None]
    assert len(taken) == len(set(taken))
    from scipy.optimize import linear_sum_assignment

    def total(vals):
        clips = sorted({c for v in vals for c in v})
        col = {c: i for i, c in enumerate(clips)}
        mat = np.full((len(vals), len(clips) + len(vals)), -np.inf)
        mat[:, len(clips):] = 0.0
        for i, v in enumerate(vals):
            for c, x in v.items():
                mat[i, col[c]] = x
        r, c = linear_sum_assignment(mat, maximize=True)
        return float(mat[r, c].sum())

    best = total(values)
    for s in range(0, ASSIGN_CHUNK, 6):
        for c, loss in sorted(losses[s].items())[:2]:
            rest = [v if i != s else {} for i, v in enumerate(values)]
            rest = [{k: x for k, x in v.items() if k != c} for v in rest]
            assert abs(loss - max(0.0, best - values[s][c] - total(rest))) < 1e-9


def test_the_band_sentence_shows_the_band_in_the_story():
    """Through the planner: the band sentence (scoring the crowd 0.006 above the band) shows
    the band at every pace, the crowd sentence the crowd."""
    sentences = read_story("Late at night the whole band plays, louder than any violin.\n\n"
                           "A baker pulls golden loaves from the hot oven.\n\n"
                           "The fans roar as their team scores under the floodlights.")
    t = make_table(6, clip_ids=[0, 0, 1, 1, 2, 2], ends=[6.0] * 6)  # 0: the crowd, 1: the band, 2: bread
    scores = np.array([[0.450, 0.44, 0.444, 0.435, 0.05, 0.05],
                       [0.05, 0.05, 0.05, 0.05, 0.7, 0.7],
                       [0.462, 0.45, 0.2, 0.2, 0.05, 0.05]], np.float32)
    cands = candidates_from_scores(scores, t.ends - t.starts, [s.duration for s in sentences], 24)
    for pace in ("calm", "normal", "fast"):
        tl = assemble(sentences, t, cands, pace=PACES[pace])
        assert {c.source for c in tl.sentences[0].cuts} == {"/clips/c1.mp4"}, pace
        assert {c.source for c in tl.sentences[2].cuts} == {"/clips/c0.mp4"}, pace
