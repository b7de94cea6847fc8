"""Diversity: no footage shown twice while the library allows it, and use spread across clips.

Showing the same source range twice is a constraint on the whole plan, which the segment
DP (Markov over cuts) cannot see. So: solve; find footage shown twice; penalise the later
uses (per second, more the closer they are to the kept use) and solve again, keeping the
best plan found. A shot is *repeated* only when its uses together need more footage than
it holds: a 60 s shot may serve several sentences from different parts of it, and a
continuation across a sentence boundary is one use. The first round also penalises clips
that appear in far more sentences than their fair share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wam.assemble.segments import Segment, Solution

#: Solves at most (the first adds the spread penalties).
MAX_ROUNDS = 8


@dataclass
class Uses:
    """How a solution uses footage: per row, its segments; which of them are repeats."""

    by_row: dict[int, list[int]]  # row → indices of segments showing it, in timeline order
    repeats: set[int]  # indices of segments that show footage already shown
    kept: dict[int, list[int]] = field(default_factory=dict)  # row → segments that keep it

    def repeat_seconds(self, segments: list[Segment], fps: int) -> float:
        return sum(segments[i].end - segments[i].start for i in self.repeats) / fps


@dataclass
class DiverseResult:
    solution: Solution
    uses: Uses
    penalties: list[dict[int, float]]  # the diversity penalties the solution was found with
    rounds: int


def footage_uses(problem, segments: list[Segment]) -> Uses:
    """Which segments repeat footage: per shot, keep the best-fitting uses while their
    lengths fit inside the shot; the rest are repeats."""
    fps = problem.fps
    shot_seconds = np.asarray(problem.ctx.table.ends) - np.asarray(problem.ctx.table.starts)
    by_row: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        by_row.setdefault(seg.row, []).append(i)
    repeats: set[int] = set()
    kept: dict[int, list[int]] = {}
    for row, idx in by_row.items():
        if len(idx) == 1:
            kept[row] = idx
            continue
        order = sorted(idx, key=lambda i: (-problem.ctx.scores[segments[i].span].get(row, 0.0), i))
        room = float(shot_seconds[row]) + 1e-6
        keep = []
        for i in order:
            need = (segments[i].end - segments[i].start) / fps
            if need <= room or not keep:
                keep.append(i)
                room -= need
            else:
                repeats.add(i)
        kept[row] = sorted(keep)
    return Uses(by_row, repeats, kept)


def solve_diverse(problem, candidates) -> DiverseResult:
    """Solve; while footage repeats, give each overused shot to the uses that fit it best and
    leave the other sentences only what is left of it (beyond that, ``reuse`` per second),
    and solve again. Keep the best plan found: fewest seconds of repeated footage, then
    repeats farthest apart, then the lowest cost without the diversity costs."""
    from wam.assemble.plan import solve_problem

    ctx = problem.ctx
    n = len(problem.pools)
    where: dict[int, list[int]] = {}
    for s, rows in enumerate(problem.pools):
        for row in rows.tolist():
            where.setdefault(row, []).append(s)
    spread: dict[int, float] = {}  # per second, for shots of clips seen in too many sentences
    near: list[dict[int, float]] = [{} for _ in range(n)]  # forced repeats: dearer close to other uses
    budgets: list[dict[int, float]] = [{} for _ in range(n)]
    once: list[set[int]] = [set() for _ in range(n)]
    best = None
    allocated = False
    for round_no in range(MAX_ROUNDS):
        penalties = _combine(where, spread, near)
        ctx.penalties, ctx.budgets, ctx.once = penalties, [dict(b) for b in budgets], [set(r) for r in once]
        sol = solve_problem(problem)
        uses = footage_uses(problem, sol.segments)
        base = sol.cost - _diversity_cost(problem, sol.segments)
        key = (round(uses.repeat_seconds(sol.segments, problem.fps), 3), -_min_gap(sol.segments, uses), base)
        if best is None or key < best[0]:
            best = (key, DiverseResult(sol, uses, ctx.penalties, round_no + 1), ctx.budgets, ctx.once)
        if round_no == 0 and _add_spread(problem, sol.segments, spread):
            continue
        if not uses.repeats:
            break
        if not allocated:  # see the whole contention at once: share the footage out by a transport LP
            allocated = True
            for s, b in enumerate(allocate_footage(problem)):
                budgets[s].update(b)
                # a budget caps each cut; shown once, the cut is the sentence's whole share of the shot
                given = sorted((r for r, v in b.items() if v > 0), key=lambda r: -b[r])
                once[s].update(given[:3])
            continue
        forced = _share_out(problem, sol.segments, uses, where, budgets, once)
        _add_near(problem, sol.segments, uses, near, forced)
    _, result, ctx.budgets, ctx.once = best
    ctx.penalties = result.penalties
    return result


def allocate_footage(problem) -> list[dict[int, float]]:
    """Seconds of each contended shot each sentence may show, from a transportation problem:
    every sentence needs its length in footage, every shot offers its length, each second
    of shot r in sentence s costs what the DP charges per second there (relevance, quality,
    …), and a second nobody can supply costs ``reuse``. Only shots whose whole length is
    given out get a budget (in every sentence that may use them); the others stay free,
    so they can still run on across sentence boundaries."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    ctx = problem.ctx
    fps = problem.fps
    n = len(problem.pools)
    rows_all = np.unique(np.concatenate(problem.pools))
    col_of = {int(r): i for i, r in enumerate(rows_all.tolist())}
    var_s, var_r, cost = [], [], []
    for s, rows in enumerate(problem.pools):
        rate = problem.rate(s) * fps
        var_s.extend([s] * len(rows))
        var_r.extend(col_of[int(r)] for r in rows.tolist())
        cost.extend(rate.tolist())
    m = len(var_s)
    need = np.array([(b - a) / fps for a, b in problem.frames])
    capacity = ctx.shot_seconds(rows_all)
    # variables: x (m) seconds of (sentence, shot), then y (n) seconds a sentence cannot get fresh
    c = np.concatenate([np.asarray(cost), np.full(n, ctx.weights.reuse + ctx.weights.relevance)])
    a_eq = coo_matrix((np.ones(m + n), (np.concatenate([var_s, np.arange(n)]), np.arange(m + n))), shape=(n, m + n))
    a_ub = coo_matrix((np.ones(m), (var_r, np.arange(m))), shape=(len(rows_all), m + n))
    res = linprog(c, A_ub=a_ub.tocsr(), b_ub=capacity, A_eq=a_eq.tocsr(), b_eq=need, bounds=(0, None), method="highs")
    out: list[dict[int, float]] = [{} for _ in range(n)]
    if res.status != 0:
        return out
    x = res.x[:m]
    given = np.bincount(var_r, weights=x, minlength=len(rows_all))
    binding = given >= capacity - 1e-6
    for s_, r_, v in zip(var_s, var_r, x):
        if binding[r_]:
            out[s_][int(rows_all[r_])] = float(v)
    return out


def _share_out(problem, segments: list[Segment], uses: Uses, where, budgets, once) -> set[int]:
    """For every overused shot: the sentences of its kept uses may show what they show now
    (and what is left over); every other sentence only what is left. Returns the rows whose
    repeats happened where nothing was left of them already (forced repeats)."""
    fps = problem.fps
    table = problem.ctx.table
    forced: set[int] = set()
    for row in {segments[i].row for i in uses.repeats}:
        capacity = float(table.ends[row] - table.starts[row])
        kept = uses.kept[row]
        left = max(0.0, capacity - sum((segments[i].end - segments[i].start) / fps for i in kept))
        spans_of = {i: [s for s, _ in _frames_per_sentence(problem, segments[i])] for i in uses.by_row[row]}
        kept_in: dict[int, float] = {}  # seconds of kept use per sentence
        count: dict[int, int] = {}  # uses per sentence
        free: set[int] = set()
        for i in uses.by_row[row]:
            for s in spans_of[i]:
                count[s] = count.get(s, 0) + 1
        for i in kept:
            if len(spans_of[i]) > 1:  # a continuation keeps its freedom to run on
                free.update(spans_of[i])
            s0 = spans_of[i][0]
            kept_in[s0] = kept_in.get(s0, 0.0) + (segments[i].end - segments[i].start) / fps
        for i in uses.repeats:
            if segments[i].row == row and all(budgets[s].get(row, 1.0) <= 1e-6 for s in spans_of[i]):
                forced.add(row)
        for s in where.get(row, ()):
            if s in free:
                budgets[s].pop(row, None)
            else:
                budgets[s][row] = kept_in.get(s, 0.0) + left
            if count.get(s, 0) > 1:  # shown twice in one sentence (A B A): from now on at most once
                once[s].add(row)
    return forced


def _combine(where, spread, near) -> list[dict[int, float]]:
    out = [dict(d) for d in near]
    for row, v in spread.items():
        if v > 0:
            for s in where.get(row, ()):
                out[s][row] = out[s].get(row, 0.0) + v
    return [{r: v for r, v in d.items() if v > 0} for d in out]


def _diversity_cost(problem, segments: list[Segment]) -> float:
    """What the diversity term adds to a solution's cost (with the context's current settings)."""
    from wam.assemble.report import piece_costs

    total = 0.0
    for seg in segments:
        for j, (s, frames) in enumerate(_frames_per_sentence(problem, seg)):
            total += piece_costs(problem, s, seg.row, frames / problem.fps,
                                 (seg.end - seg.start) / problem.fps if j == 0 else None,
                                 opens=False, prev_row=None, across=False, only="diversity")["diversity"]
    return total


def _frames_per_sentence(problem, seg: Segment):
    s = seg.span
    while s < len(problem.frames):
        a, b = problem.frames[s]
        lo, hi = max(a, seg.start), min(b, seg.end)
        if lo >= hi:
            break
        yield s, hi - lo
        s += 1


def _min_gap(segments: list[Segment], uses: Uses) -> int:
    """Smallest distance in sentences between a repeat and another use of its shot."""
    gaps = []
    for i in uses.repeats:
        row = segments[i].row
        others = [segments[j].span for j in uses.by_row[row] if j != i]
        gaps.append(min(abs(segments[i].span - o) for o in others))
    return min(gaps, default=len(segments) + 1)


def _add_spread(problem, segments: list[Segment], spread: dict[int, float]) -> bool:
    """Price the shots of clips that appear in more sentences than their fair share; True if any did."""
    ctx = problem.ctx
    clip_ids = np.asarray(ctx.table.clip_ids)
    sentences_of: dict[int, set[int]] = {}
    for seg in segments:
        for s, _ in _frames_per_sentence(problem, seg):
            sentences_of.setdefault(int(clip_ids[seg.row]), set()).add(s)
    n_clips = len(np.unique(clip_ids))
    fair = max(2, -(-len(problem.pools) // max(1, n_clips)))
    crowded = {c: len(v) - fair for c, v in sentences_of.items() if len(v) > fair}
    if not crowded:
        return False
    pooled = np.unique(np.concatenate(problem.pools))
    for row, clip in zip(pooled.tolist(), clip_ids[pooled].tolist()):
        extra = crowded.get(int(clip))
        if extra:
            spread[row] = ctx.weights.spread * extra
    return True


def _add_near(problem, segments: list[Segment], uses: Uses, near, forced: set[int]) -> None:
    """When footage must repeat (nothing is left of the shot), repeat it far away: the shot
    gets dearer in the sentences close to its kept uses (the closer, the dearer)."""
    ctx = problem.ctx
    for row in forced:
        kept_at = [segments[i].span for i in uses.kept[row]]
        for s, scores in enumerate(ctx.scores):
            if row not in scores or s in kept_at:
                continue
            distance = min(abs(s - k) for k in kept_at)
            near[s][row] = near[s].get(row, 0.0) + ctx.weights.nearby * 4.0 / (1 + distance) ** 2
