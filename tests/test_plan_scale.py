"""Planning a long story fast gives the plan a one-at-a-time computation gives: the shared
transition table (assemble/pairs.py), the incremental no-repeat rule (repair.NoRepeat), the
cost report asked once per sentence (costs.pieces_costs); and the whole planner on a story
far longer than its library."""

import numpy as np
import pytest

from tables import fake_library, make_table
from wam.assemble import pairs
from wam.assemble.costs import Piece, piece_costs, pieces_costs
from wam.assemble.diversity import footage_uses, kept_in_order, split_uses
from wam.assemble.pairs import TransitionCosts
from wam.assemble.plan import assemble, solve_diverse
from wam.assemble.problem import _transitions, build_problem, solve_problem
from wam.assemble.repair import NoRepeat
from wam.assemble.segment_dp import Segment
from wam.assemble.styles import PACES
from wam.assemble.terms import CostWeights
from wam.assemble.termset import default_terms
from wam.core.story import read_story
from wam.text.candidates import candidates_from_scores

STORY = "\n\n".join(" ".join(f"Scene {p} line {i} has some words about the harbour at night."
                             for i in range(4)) for p in range(6))


def problem_for(table, seed=0, story=STORY, k=8):
    sentences = read_story(story)
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.2, 0.8, (len(sentences), len(table))).astype(np.float32)
    cands = candidates_from_scores(scores, table.lengths(), [s.duration for s in sentences], k)
    return sentences, cands, build_problem(sentences, table, cands, pace=PACES["normal"], fps=30,
                                           weights=CostWeights())


def test_shared_transition_table_gives_each_pairs_own_costs(monkeypatch):
    t = fake_library(n_clips=6, shots_per_clip=3)
    _, _, problem = problem_for(t)
    terms = default_terms(CostWeights())

    def direct(a, b, **kw):
        return _transitions(terms, problem.ctx, a, b, **kw)

    shared = TransitionCosts(direct, problem.pools)
    assert shared._rows is not None  # 18 shots: one table for the whole story
    rng = np.random.default_rng(1)
    for across in (False, True):
        for _ in range(20):
            a = rng.choice(problem.pools[int(rng.integers(len(problem.pools)))], 5)
            b = problem.pools[int(rng.integers(len(problem.pools)))]
            # the same costs (a matrix product's last bits depend on the matrix's shape)
            assert np.allclose(shared(a, b, across_paragraph=across), direct(a, b, across_paragraph=across),
                               rtol=0, atol=1e-12)
    outside = np.array([len(t) + 3])  # not a candidate of the story: costed as it comes
    calls = []
    shared = TransitionCosts(lambda a, b, **kw: calls.append(1) or direct(np.minimum(a, len(t) - 1), b, **kw),
                             problem.pools)
    shared(outside, problem.pools[0], across_paragraph=False)
    assert calls == [1]
    # too many candidate shots for one table: every call is costed on its own
    monkeypatch.setattr(pairs, "SHARED_MAX_ROWS", 4)
    assert TransitionCosts(direct, problem.pools)._rows is None


@pytest.mark.parametrize("seed", range(4))
def test_the_problem_is_the_same_with_a_shared_transition_table(seed, monkeypatch):
    t = fake_library(n_clips=5, shots_per_clip=2)
    _, _, shared = problem_for(t, seed)
    monkeypatch.setattr(pairs, "SHARED_MAX_ROWS", 0)
    _, _, alone = problem_for(t, seed)
    for s in range(len(shared.pools)):
        assert np.array_equal(np.isinf(shared._within[s]), np.isinf(alone._within[s]))
        assert np.allclose(shared._within[s], alone._within[s], rtol=0, atol=1e-12)
        assert (shared._enter[s] is None) == (alone._enter[s] is None)
        if s:
            assert np.allclose(shared._enter[s], alone._enter[s], rtol=0, atol=1e-12)


def random_segments(problem, rng):
    """A tiling of the problem's sentences by shots of their pools (one to three cuts each)."""
    segs = []
    for s, (a, b) in enumerate(problem.frames):
        cuts = sorted(set(rng.integers(a + 1, b, int(rng.integers(0, 3))).tolist())) if b - a > 1 else []
        bounds = [a, *cuts, b]
        for lo, hi in zip(bounds, bounds[1:]):
            k = int(rng.integers(len(problem.pools[s])))
            segs.append(Segment(int(problem.pools[s][k]), lo, hi, s, k))
    return segs


@pytest.mark.parametrize("seed", range(6))
def test_no_repeat_follows_changes_as_a_fresh_count_does(seed):
    """Each change the spreading and the repair make (delta, then commit) leaves the rule
    where a rule built afresh on the changed plan is: the same frames repeated, the same
    repeats, each shot's uses split as ``split_uses`` splits them."""
    rng = np.random.default_rng(seed)
    t = make_table(7, starts=[0, 0, 0, 0, 0, 0, 0], ends=[2.0, 3.0, 4.0, 2.5, 6.0, 8.0, 3.0],
                   clip_ids=[0, 0, 1, 1, 2, 3, 4])
    _, _, problem = problem_for(t, seed, k=5)
    segs = random_segments(problem, rng)
    rule = NoRepeat(problem, segs)
    for _ in range(40):
        i = int(rng.integers(len(segs)))
        g = segs[i]
        k = int(rng.integers(len(problem.pools[g.span])))
        moved = Segment(int(problem.pools[g.span][k]), g.start, g.end, g.span, k)
        before = rule.count()
        delta = rule.delta([g], [moved])
        rule.commit([g], [moved])
        segs[i] = moved
        fresh = NoRepeat(problem, segs)
        assert rule.count() == fresh.count() == before + delta
        assert rule.broken() == fresh.broken()
        uses = footage_uses(problem, segs)
        assert sorted(rule.broken(), key=lambda x: x.start) == sorted((segs[j] for j in uses.repeats),
                                                                      key=lambda x: x.start)
        for row, idx in uses.by_row.items():
            kept, _ = split_uses(problem, row, [segs[j] for j in idx], rule.room(row))
            shown = sum(segs[idx[p]].end - segs[idx[p]].start for p in kept) / 30
            assert abs(rule.state[row][0] - shown) < 1e-9


def test_split_keeps_the_best_fits_that_still_fit():
    from types import SimpleNamespace

    problem = SimpleNamespace(fps=30, used={}, rooms={})
    # a 4 s shot: the best use (3 s) is kept, the next (2 s) no longer fits, the last (1 s) does
    assert kept_in_order(problem, 7, [90, 60, 30], 4.0) == [True, False, True]
    # the best is kept even too long
    assert kept_in_order(problem, 7, [150, 30, 30], 4.0) == [True, False, False]
    assert kept_in_order(problem, 7, [30, 30, 30, 30], 2.0) == [True, True, False, False]
    problem.rooms[7] = 1.0  # the rest of the plan shows it: nothing is kept beyond what it leaves
    assert kept_in_order(problem, 7, [150, 30, 30], 1.5) == [False, True, False]
    assert kept_in_order(problem, 7, [], 3.0) == []


def _one_piece(problem, p) -> dict[str, float]:
    """A piece's weighted terms, asked of each term one piece at a time (the reference)."""
    ctx, rows, out = problem.ctx, np.array([p.row]), {}
    for term in problem.terms:
        total = 0.0
        if (v := term.per_second(ctx, p.s, rows)) is not None:
            total += float(v[0]) * p.seconds
        if (v := term.per_sentence(ctx, p.s, rows)) is not None:
            total += float(v[0])
        if p.opens and (v := term.opening(ctx, p.s, rows)) is not None:  # a continuation may open too
            total += float(v[0])
        if p.cut_length is not None:
            if (v := term.per_cut(ctx, p.s, rows, np.array([p.cut_length]))) is not None:
                total += float(v[0, 0])
            if p.prev_row is not None:
                v = term.transition(ctx, np.array([p.prev_row]), rows, across_paragraph=p.across)
                total += 0.0 if v is None else float(v[0, 0])
        out[term.name] = term.weight * total
    return out


def test_costs_of_all_pieces_at_once_are_each_pieces_costs():
    t = make_table(8, starts=[0] * 8, ends=[1.0, 1.5, 9.0, 2.0, 12.0, 3.0, 1.2, 6.0],
                   clip_ids=[0, 0, 1, 2, 2, 3, 4, 5])
    sentences, cands, problem = problem_for(t, 3)
    # the diversity term too: per-second penalties and budgets (its per-cut cost)
    problem.ctx.penalties = [{int(r): 0.3 for r in pool[:2]} for pool in problem.pools]
    problem.ctx.budgets = [{int(r): 0.5 * i for i, r in enumerate(pool[:4])} for pool in problem.pools]
    segs = solve_problem(problem).segments
    pieces = []
    prev = None
    for seg in segs:
        s = seg.span
        first = True
        while s < len(problem.frames) and problem.frames[s][0] < seg.end:
            a, b = problem.frames[s]
            lo, hi = max(a, seg.start), min(b, seg.end)
            pieces.append(Piece(s, seg.row, (hi - lo) / 30, (seg.end - seg.start) / 30 if first else None,
                                opens=lo == a, prev_row=prev if first else None,
                                across=first and lo == a and sentences[s].paragraph_start))
            first = False
            s += 1
        prev = seg.row
    assert any(p.cut_length is None for p in pieces) or len(pieces) == len(segs)
    # continuations running on into the next sentence (they open it), whether or not the DP chose any
    pieces += [Piece(p.s + 1, p.row, 0.4, None, opens=True, prev_row=None, across=False)
               for p in pieces[::3] if p.s + 1 < len(sentences) and p.row in problem.pools[p.s + 1]]
    assert any(p.cut_length is None and p.opens for p in pieces)
    together = pieces_costs(problem, pieces)
    for p, costs in zip(pieces, together):
        alone = piece_costs(problem, p.s, p.row, p.seconds, p.cut_length, opens=p.opens, prev_row=p.prev_row,
                            across=p.across)
        assert costs == alone == _one_piece(problem, p)  # the same numbers, bit for bit, in the same order
    assert [c["diversity"] for c in pieces_costs(problem, pieces, only="diversity")] == \
        [c["diversity"] for c in together]


def test_a_story_far_longer_than_its_library_plans_every_sentence():
    """400 sentences on 8 shots: every sentence gets cuts, the plan tiles the story, repeats
    are forced and warned, and the same input gives the same plan."""
    story = "\n\n".join(" ".join(f"Day {p * 5 + i}: the boat crosses the bay at dawn." for i in range(5))
                        for p in range(80))
    sentences = read_story(story)
    t = fake_library(n_clips=4, shots_per_clip=2)
    scores = np.random.default_rng(0).uniform(0.3, 0.7, (len(sentences), len(t))).astype(np.float32)
    tl = assemble(sentences, t, scores, pace=PACES["normal"])
    assert len(tl.sentences) == len(sentences) == 400
    assert all(sp.cuts for sp in tl.sentences)
    assert tl.sentences[-1].end_frame == tl.frames
    assert any("too small" in w for w in tl.warnings)
    assert assemble(sentences, t, scores, pace=PACES["normal"]).to_json() == tl.to_json()


def test_cjk_detection_counts_letters_as_before():
    import random

    from wam.core.story import _CJK, is_cjk

    def by_letter(text):  # the definition: more than 30 % of the letters are CJK
        letters = [c for c in text if c.isalpha()]
        return bool(letters) and sum(1 for c in letters if _CJK.match(c)) / len(letters) > 0.3

    rng = random.Random(0)
    alphabet = "abcXYZ 五十、。日本語テキストかな한국어 ½Ⅻ１２3,.!?ÉéßΩ"
    texts = ["", "。、", "日本語 and English", "Hello 世界"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    assert [is_cjk(t) for t in texts] == [by_letter(t) for t in texts]
    assert is_cjk("日本語のテキスト") and not is_cjk("plain English text")


def test_candidates_are_the_top_k_best_first_then_by_row():
    from wam.text.candidates import candidates_from_scores

    rng = np.random.default_rng(2)
    scores = np.round(rng.uniform(0, 1, (30, 40)), 2).astype(np.float32)  # many ties
    lengths = rng.uniform(0.5, 6, 40)
    for k in (1, 5, 12):
        cands = candidates_from_scores(scores, lengths, [3.0] * 30, k)
        for c, row_scores, need in zip(cands, scores, [3.0] * 30):
            assert c.best == float(row_scores.max())
            assert np.array_equal(c.scores, row_scores[c.rows])
            assert all((-a, r) < (-b, q) for a, r, b, q in zip(c.scores, c.rows, c.scores[1:], c.rows[1:]))
            assert np.array_equal(np.sort(row_scores[c.rows])[::-1][:k], np.sort(row_scores)[::-1][:k])
            assert (lengths[c.rows] + 1e-6 >= need).any()  # a shot long enough is always offered


def test_an_uncosted_solve_gives_the_same_plan():
    t = fake_library(n_clips=2, shots_per_clip=2)  # too small: the plan is edited after the search
    results = []
    for costed in (True, False):
        _, _, problem = problem_for(t, 5)
        results.append(solve_diverse(problem, costed=costed))
    assert results[0].solution.segments == results[1].solution.segments
    assert results[0].uses.repeats == results[1].uses.repeats
    assert np.isfinite(results[0].solution.cost)
    assert np.isnan(results[1].solution.cost) or results[1].solution.cost == results[0].solution.cost
