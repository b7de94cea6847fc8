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

from wam.assemble.allocation import allocate_footage
from wam.assemble.repair import enforce
from wam.assemble.segments import INF, Segment, Solution

#: Solves at most (the first adds the spread penalties).
MAX_ROUNDS = 8
USE_LP = True


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
    lengths fit inside the shot; the rest are repeats (``split_uses``)."""
    by_row: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        by_row.setdefault(seg.row, []).append(i)
    repeats: set[int] = set()
    kept: dict[int, list[int]] = {}
    rows = list(by_row)
    rooms = dict(zip(rows, problem.capacity(rows).tolist())) if rows else {}
    for row, idx in by_row.items():
        keep, again = split_uses(problem, row, [segments[i] for i in idx], rooms[row])
        kept[row] = [idx[p] for p in keep]
        repeats.update(idx[p] for p in again)
    return Uses(by_row, repeats, kept)


def split_uses(problem, row: int, segs: list[Segment], room: float) -> tuple[list[int], list[int]]:
    """Which uses of one shot (``segs``, in timeline order) are kept and which repeat (positions in ``segs``):
    the best-fitting first (then the earliest), each kept while its length fits in what is
    left of the shot's ``room`` seconds; the best one is kept even when longer than the shot
    (its last frame is held), unless the rest of the plan already shows the shot."""
    if len(segs) == 1 and row not in problem.used and row not in problem.rooms:
        return [0], []
    fps = problem.fps
    order = sorted(range(len(segs)), key=lambda i: (-_fit(problem, segs[i]), i))
    room += 1e-6
    keep, again = [], []
    for i in order:
        need = (segs[i].end - segs[i].start) / fps
        if need <= room or (not keep and row not in problem.used and row not in problem.rooms):
            keep.append(i)
            room -= need
        else:
            again.append(i)
    return sorted(keep), sorted(again)


def _fit(problem, seg: Segment) -> float:
    """How well a segment's shot fits where it is shown: its best score over the sentences it covers."""
    return max(problem.ctx.scores[s].get(seg.row, 0.0) for s, _ in frames_per_sentence(problem, seg))


def search(problem):
    """Solve; while footage repeats, give each overused shot to the uses that fit it best and
    leave the other sentences only what is left of it (beyond that, ``reuse`` per second),
    and solve again. Keep the best plan found: fewest seconds of repeated footage, then
    repeats farthest apart, then the lowest cost without the diversity costs. Returns (its
    key, the DiverseResult, and the budgets and once-sets it was found with)."""
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
    elsewhere = problem.shown_elsewhere()
    if elsewhere:  # a window of a plan: what the rest of the plan shows is spoken for
        for row, left in zip(elsewhere, problem.capacity(elsewhere).tolist()):
            for s in where.get(row, ()):
                budgets[s][row] = left
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
        if not allocated and USE_LP:  # see the whole contention at once: share the footage out by a transport LP
            allocated = True
            for s, b in enumerate(allocate_footage(problem)):
                budgets[s].update(b)
                # a budget caps each cut; shown once, the cut is the sentence's whole share of the shot
                given = sorted((r for r, v in b.items() if v > 0), key=lambda r: -b[r])
                once[s].update(given[:3])
            continue
        _share_out(problem, sol.segments, uses, where, budgets, once)
        # what still repeats after the footage was shared out must repeat: far from its other uses
        _add_near(problem, sol.segments, uses, near, {sol.segments[i].row for i in uses.repeats})
    return best


def solve_diverse(problem, candidates=None) -> DiverseResult:
    """The plan ``search`` finds, then its constraints enforced (``repair.enforce``: no footage
    shown twice while the library allows it, whatever way the loop's near-ties fell), and
    repeats the library forces moved apart."""
    ctx = problem.ctx
    _, result, ctx.budgets, ctx.once = search(problem)
    ctx.penalties = result.penalties
    segs = enforce(problem, result.solution.segments)
    if segs != result.solution.segments:
        cost = segments_cost(problem, segs)
        result = DiverseResult(Solution(cost if np.isfinite(cost) else INF, segs), footage_uses(problem, segs),
                               result.penalties, result.rounds)
    if result.uses.repeats:
        result = _spread_repeats(problem, result)
    return result


def _spread_repeats(problem, result: DiverseResult, max_moves: int = 200) -> DiverseResult:
    """When the library is too small, move repeats apart: repeatedly take the repeat closest
    to another use of its shot (the same sentence first) and show instead the cheapest shot
    of its sentence that is used farther away (or not at all), keeping the cut's length and
    every editing rule at its neighbours. The cost is then that of the edited plan."""
    from wam.assemble.plan import backwards_in_clip
    from wam.assemble.segments import INF, Solution

    ctx = problem.ctx
    segs = list(result.solution.segments)
    rate_of = {}

    def rate(s: int) -> dict[int, float]:
        if s not in rate_of:
            rate_of[s] = dict(zip(problem.pools[s].tolist(), problem.rate(s).tolist()))
        return rate_of[s]

    used_at: dict[int, list[tuple[int, int]]] = {}

    def distance(row: int, at: int, skip: int) -> int:
        return min((abs(at - x) for x, j in used_at.get(row, ()) if j != skip), default=len(problem.pools) + 1)

    for _ in range(max_moves):
        used_at.clear()
        for j, g in enumerate(segs):
            used_at.setdefault(g.row, []).append((g.span, j))
        uses = footage_uses(problem, segs)
        repeated = {segs[i].row for i in uses.repeats}
        single = [i for i, g in enumerate(segs) if g.row in repeated and len(list(frames_per_sentence(problem, g))) == 1]
        if not single:
            break
        moved = False
        for i in sorted(single, key=lambda i: (distance(segs[i].row, segs[i].span, i), i)):
            seg = segs[i]
            gap = distance(seg.row, seg.span, i)
            shot_seconds = ctx.shot_seconds(problem.pools[seg.span])
            length = (seg.end - seg.start) / problem.fps
            best = None
            for k, r in enumerate(problem.pools[seg.span].tolist()):
                if r == seg.row or shot_seconds[k] + 1e-6 < length:
                    continue
                far = distance(r, seg.span, i)
                if far <= gap or not _fits_between(problem, segs, i, r, backwards_in_clip):
                    continue
                if rate(seg.span)[r] > rate(seg.span)[seg.row] + ctx.weights.reuse / problem.fps:
                    continue  # worse than the repeat it would replace (e.g. a last resort)
                key = (rate(seg.span)[r], -far, r)
                if best is None or key < best[0]:
                    best = (key, r, k)
            if best is not None:
                segs[i] = Segment(best[1], seg.start, seg.end, seg.span, best[2])
                moved = True
                break
        if not moved:
            break
    uses = footage_uses(problem, segs)
    cost = segments_cost(problem, segs)
    return DiverseResult(Solution(cost if np.isfinite(cost) else INF, segs), uses, result.penalties, result.rounds)


def _fits_between(problem, segs: list[Segment], i: int, row: int, backwards_in_clip) -> bool:
    """Whether ``row`` may replace segment i: no same-shot neighbour, no going back inside a
    clip next to it in the same sentence, and not already shown elsewhere in the sentence."""
    seg = segs[i]
    table = problem.ctx.table
    for j in (i - 1, i + 1):
        if not 0 <= j < len(segs):
            continue
        other = segs[j]
        if other.row == row:
            return False
        if other.span == seg.span:
            a, b = (other.row, row) if j < i else (row, other.row)
            if backwards_in_clip(table, np.array([a, b]))[0, 1]:
                return False
    return not any(s.row == row and s.span == seg.span for s in segs)


def segments_cost(problem, segments: list[Segment]) -> float:
    """The objective of a tiling, term by term, as the report computes it."""
    from wam.assemble.report import piece_costs

    total = 0.0
    prev = None
    for seg in segments:
        for j, (s, frames) in enumerate(frames_per_sentence(problem, seg)):
            a = problem.frames[s][0]
            first = j == 0
            total += sum(piece_costs(problem, s, seg.row, frames / problem.fps,
                                     (seg.end - seg.start) / problem.fps if first else None,
                                     opens=first and seg.start == a, prev_row=prev if first else None,
                                     across=first and seg.start == a and problem.ctx.paragraph_start[s]).values())
        prev = seg.row
    return total


def _share_out(problem, segments: list[Segment], uses: Uses, where, budgets, once) -> set[int]:
    """For every overused shot, and every shot already under a budget that the plan uses: the
    sentences of its kept uses may show what they show now (and what is left over); every
    other sentence only what is left (so reservations nobody used are released). Returns the
    rows whose repeats happened where nothing was left of them already (forced repeats)."""
    fps = problem.fps
    forced: set[int] = set()
    budgeted = {r for b in budgets for r in b}
    for row in {segments[i].row for i in uses.repeats} | (budgeted & set(uses.by_row)):
        capacity = float(problem.capacity([row])[0])
        kept = uses.kept.get(row, [])
        left = max(0.0, capacity - sum((segments[i].end - segments[i].start) / fps for i in kept))
        spans_of = {i: [s for s, _ in frames_per_sentence(problem, segments[i])] for i in uses.by_row[row]}
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
        for j, (s, frames) in enumerate(frames_per_sentence(problem, seg)):
            total += piece_costs(problem, s, seg.row, frames / problem.fps,
                                 (seg.end - seg.start) / problem.fps if j == 0 else None,
                                 opens=False, prev_row=None, across=False, only="diversity")["diversity"]
    return total


def frames_per_sentence(problem, seg: Segment):
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
        gaps.append(min((abs(segments[i].span - o) for o in others), default=len(segments) + 1))
    return min(gaps, default=len(segments) + 1)


def _add_spread(problem, segments: list[Segment], spread: dict[int, float]) -> bool:
    """Price the shots of clips that appear in more sentences than their fair share; True if any did."""
    ctx = problem.ctx
    clip_ids = np.asarray(ctx.table.clip_ids)
    sentences_of: dict[int, set[int]] = {}
    for seg in segments:
        for s, _ in frames_per_sentence(problem, seg):
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
        kept_at = [segments[i].span for i in uses.kept.get(row, ())]
        if not kept_at:  # its other uses lie outside this window of the plan
            continue
        for s, scores in enumerate(ctx.scores):
            if row not in scores or s in kept_at:
                continue
            distance = min(abs(s - k) for k in kept_at)
            near[s][row] = near[s].get(row, 0.0) + ctx.weights.nearby * 4.0 / (1 + distance) ** 2
