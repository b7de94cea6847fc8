"""The segment DP against brute-force enumeration of every tiling on small random instances."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wam.assemble.segment_dp import INF, Span, solve


def random_problem(seed: int):
    rng = np.random.default_rng(seed)
    n_spans = int(rng.integers(1, 4))
    ids = np.arange(4)
    row_len_cost = rng.uniform(0, 2, (4, 40))
    row_min = rng.integers(1, 3, 4)  # shortest allowed segment per row identity
    for r in range(4):
        row_len_cost[r, : row_min[r]] = INF
    spans = []
    prev_k = None
    for s in range(n_spans):
        frames = int(rng.integers(2, 6))
        inner = sorted(rng.choice(np.arange(1, frames), size=int(rng.integers(0, min(frames, 3))),
                                  replace=False).tolist()) if frames > 1 else []
        grid = np.array([0, *inner, frames], np.int64)
        k = int(rng.integers(1, 4))
        rows = np.sort(rng.choice(ids, size=k, replace=False)).astype(np.int64)
        within = rng.uniform(0, 1, (k, k))
        within[np.arange(k), np.arange(k)] = INF if rng.uniform() < 0.7 else within[np.arange(k),
                                                                                    np.arange(k)]
        enter = rng.uniform(0, 1, (prev_k, k)) if prev_k else None
        carry_ok = rng.uniform(size=k) < 0.8 if rng.uniform() < 0.5 else None
        once = np.nonzero(rng.uniform(size=k) < 0.5)[0] if rng.uniform() < 0.5 else None
        presence = rng.uniform(0, 1, k) if rng.uniform() < 0.5 else None
        spans.append(Span(frames=frames, grid=grid, rows=rows, rate=rng.uniform(0, 1, k),
                          opening=rng.uniform(0, 0.5, k),
                          within=within, enter=enter, continues=bool(s > 0 and rng.uniform() < 0.7),
                          carry_ok=carry_ok, once=once, presence=presence))
        prev_k = k
    max_len = int(rng.integers(2, 12))
    min_len = int(rng.integers(1, 3))
    row_len_cost[:, :min_len] = INF  # the solver applies min_len itself; the brute force sees it here

    def cut_cost(s, sp, cap):
        return row_len_cost[sp.rows][:, : cap + 1]

    return spans, cut_cost, max_len, row_len_cost, min_len


def brute_force(spans, row_len_cost, max_len):
    offsets = np.concatenate([[0], np.cumsum([sp.frames for sp in spans])])
    total = int(offsets[-1])
    span_of = np.concatenate([[s] * sp.frames for s, sp in enumerate(spans)])
    points = sorted({int(offsets[s] + g) for s, sp in enumerate(spans) for g in sp.grid[1:-1]})
    starts = {int(o): s for s, o in enumerate(offsets[:-1])}
    forced = {int(offsets[s]) for s in range(1, len(spans)) if not spans[s].continues}
    optional = [p for p in points] + [int(offsets[s]) for s in range(1, len(spans)) if spans[s].continues]
    best = INF
    for mask in itertools.product([0, 1], repeat=len(optional)):
        cuts = sorted(forced | {p for p, m in zip(optional, mask) if m})
        bounds = [0, *cuts, total]
        segs = list(zip(bounds, bounds[1:]))
        options = []
        for a, b in segs:
            covered = sorted(set(span_of[a:b].tolist()))
            ok_rows = set(spans[covered[0]].rows.tolist())
            for s in covered[1:]:
                ok_rows &= set(spans[s].rows.tolist())
            if len(covered) > 1 and b - a > max_len:
                ok_rows = set()
            if len(covered) > 1:
                for s in covered:
                    if spans[s].carry_ok is not None:
                        ok_rows -= {int(r) for r, ok in zip(spans[s].rows, spans[s].carry_ok) if not ok}
            options.append(sorted(ok_rows))
        for choice in itertools.product(*options):
            if not once_ok(spans, span_of, segs, choice):
                continue
            cost = 0.0
            for (a, b), r in zip(segs, choice):
                for s in set(span_of[a:b].tolist()):
                    sp = spans[s]
                    k = int(np.nonzero(sp.rows == r)[0][0])
                    lo, hi = max(a, offsets[s]), min(b, offsets[s + 1])
                    cost += sp.rate[k] * (hi - lo) + (sp.presence[k] if sp.presence is not None else 0.0)
                cost += row_len_cost[r, b - a]
                for o, s in starts.items():  # every span whose first frame it shows, afresh or running on
                    if a <= o < b:
                        cost += spans[s].opening[int(np.nonzero(spans[s].rows == r)[0][0])]
            for (_, b), r0, r1 in zip(segs, choice, choice[1:]):
                s1 = int(span_of[b])
                sp1 = spans[s1]
                k1 = int(np.nonzero(sp1.rows == r1)[0][0])
                if b in starts:
                    sp0 = spans[s1 - 1]
                    k0 = int(np.nonzero(sp0.rows == r0)[0][0])
                    cost += sp1.enter[k0, k1]
                else:
                    k0 = int(np.nonzero(sp1.rows == r0)[0][0])
                    cost += sp1.within[k0, k1]
            best = min(best, cost)
    return best


def once_ok(spans, span_of, segs, choice) -> bool:
    """No span shows one of its ``once`` rows in two segments."""
    for s, sp in enumerate(spans):
        if sp.once is None:
            continue
        limited = {int(sp.rows[k]) for k in sp.once}
        seen = [r for (a, b), r in zip(segs, choice) if r in limited and s in set(span_of[a:b].tolist())]
        if len(seen) != len(set(seen)):
            return False
    return True


def tiling_cost(spans, row_len_cost, segments):
    """Cost of the solver's own segments, recomputed from the problem (checks the back pointers)."""
    offsets = np.concatenate([[0], np.cumsum([sp.frames for sp in spans])])
    span_of = np.concatenate([[s] * sp.frames for s, sp in enumerate(spans)])
    cost = 0.0
    for seg in segments:
        for s in set(span_of[seg.start:seg.end].tolist()):
            sp = spans[s]
            k = int(np.nonzero(sp.rows == seg.row)[0][0])
            cost += sp.rate[k] * (min(seg.end, offsets[s + 1]) - max(seg.start, offsets[s]))
            cost += sp.presence[k] if sp.presence is not None else 0.0
        cost += row_len_cost[seg.row, seg.end - seg.start]
        for s in np.nonzero((offsets[:-1] >= seg.start) & (offsets[:-1] < seg.end))[0].tolist():
            cost += spans[s].opening[int(np.nonzero(spans[s].rows == seg.row)[0][0])]
    for a, b in zip(segments, segments[1:]):
        s1 = int(span_of[b.start])
        k1 = int(np.nonzero(spans[s1].rows == b.row)[0][0])
        if b.start == offsets[s1]:
            cost += spans[s1].enter[int(np.nonzero(spans[s1 - 1].rows == a.row)[0][0]), k1]
        else:
            cost += spans[s1].within[int(np.nonzero(spans[s1].rows == a.row)[0][0]), k1]
    return cost


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 1_000_000))
def test_segment_dp_matches_brute_force(seed):
    spans, cut_cost, max_len, table, min_len = random_problem(seed)
    expected = brute_force(spans, table, max_len)
    if not np.isfinite(expected):
        try:
            solve(spans, cut_cost, max_len, min_len)
        except ValueError:
            return
        raise AssertionError("solver found a tiling where none exists")
    got = solve(spans, cut_cost, max_len, min_len)
    assert np.isclose(got.cost, expected), (got.cost, expected)
    # the segments tile the timeline and cost what the solver says
    total = sum(sp.frames for sp in spans)
    assert got.segments[0].start == 0 and got.segments[-1].end == total
    assert all(a.end == b.start for a, b in zip(got.segments, got.segments[1:]))
    assert np.isclose(tiling_cost(spans, table, got.segments), got.cost)


def test_continuation_runs_one_shot_across_a_boundary():
    # two spans, one row each side in common (7); cutting costs a lot, so the shot runs on
    grid = np.array([0, 5], np.int64)
    big = np.full((1, 1), 5.0)
    a = Span(5, grid, np.array([7]), np.array([0.1]), np.array([0.0]), np.full((1, 1), INF))
    b = Span(5, grid, np.array([7]), np.array([0.1]), np.array([0.0]), np.full((1, 1), INF), enter=big,
             continues=True)
    sol = solve([a, b], lambda s, sp, cap: np.zeros((1, cap + 1)), 20)
    assert [(g.row, g.start, g.end) for g in sol.segments] == [(7, 0, 10)]
    assert np.isclose(sol.cost, 1.0)
    # not allowed across the boundary (a new paragraph): a cut at 5 with the enter cost
    b2 = Span(5, grid, np.array([7]), np.array([0.1]), np.array([0.0]), np.full((1, 1), INF), enter=big,
              continues=False)
    sol = solve([a, b2], lambda s, sp, cap: np.zeros((1, cap + 1)), 20)
    assert [(g.start, g.end) for g in sol.segments] == [(0, 5), (5, 10)]
    assert np.isclose(sol.cost, 6.0)


def test_once_rows_are_shown_at_most_once_in_a_span():
    # row 0 is cheap but at most 2 frames long; without the limit the best tiling is 0 1 0 1 0
    grid = np.arange(0, 11, dtype=np.int64)
    within = np.array([[INF, 0.0], [0.0, INF]])
    lengths = np.full((2, 41), INF)
    lengths[0, 1:3] = 0.0
    lengths[1, 1:41] = 0.0

    def cut_cost(s, sp, cap):
        return lengths[:, : cap + 1]

    free = Span(10, grid, np.array([0, 1]), np.array([0.0, 1.0]), np.zeros(2), within)
    sol = solve([free], cut_cost, 20)
    assert [g.row for g in sol.segments].count(0) >= 3
    limited = Span(10, grid, np.array([0, 1]), np.array([0.0, 1.0]), np.zeros(2), within, once=np.array([0]))
    sol = solve([limited], cut_cost, 20)
    rows = [g.row for g in sol.segments]
    assert rows.count(0) == 1 and np.isclose(sol.cost, 8.0)
