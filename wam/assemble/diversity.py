"""Diversity: no footage shown twice while the library allows it, and use spread across clips.

Showing the same source range twice is a constraint on the whole plan, which the segment
DP (Markov over cuts) cannot see. So: solve; find footage shown twice; penalise the later
uses (per second, more the closer they are to the kept use) and solve again, keeping the
best plan found. A shot is *repeated* only when its uses together need more footage than
it holds: a 60 s shot may serve several sentences from different parts of it, and a
continuation across a sentence boundary is one use. The first round also penalises clips
that appear in far more sentences than their fair share. A long story gets fewer rounds
(``rounds_for``: the loop's work stays linear in the story).

``search`` is that loop, on a ``problem.Problem`` (the whole story's, or a window of it
that ``repair.py`` solves again); ``plan.solve_diverse`` then makes the plan's rules
constraints (``repair.enforce``), so that where the loop ends on near-ties does not decide
whether footage repeats, and moves the repeats a too-small library forces apart
(``spread.py``). ``footage_uses`` (which uses of a shot are kept and which repeat) is the
rule ``repair`` and ``report`` share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wam.assemble.allocation import allocate_footage
from wam.assemble.costs import Piece, pieces_costs
from wam.assemble.problem import frames_per_sentence, solve_problem
from wam.assemble.segment_dp import Segment, Solution

#: Solves at most (the first adds the spread penalties).
MAX_ROUNDS = 8
#: Sentences (of 4 s) solved by the loop in all its rounds, at most (a long story gets fewer rounds).
LOOP_WORK = 4000
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
    order = sorted(range(len(segs)), key=lambda i: (-use_fit(problem, segs[i]), i))
    kept = kept_in_order(problem, row, [segs[i].end - segs[i].start for i in order], room)
    return sorted(i for i, k in zip(order, kept) if k), sorted(i for i, k in zip(order, kept) if not k)


def kept_in_order(problem, row: int, frames: list[int], room: float) -> list[bool]:
    """``split_uses``' choice for uses of ``row`` lasting ``frames`` (in the order they are
    considered: best fit first): whether each is kept."""
    fps = problem.fps
    room += 1e-6
    free = row not in problem.used and row not in problem.rooms  # the best use is kept even if too long
    smallest = min(frames, default=0) / fps
    out = []
    for f in frames:
        if room < smallest and not free:  # nothing more fits: the rest repeat
            out.extend([False] * (len(frames) - len(out)))
            break
        need = f / fps
        keep = need <= room or free
        out.append(keep)
        if keep:
            room -= need
            free = False
    return out


def use_fit(problem, seg: Segment) -> float:
    """How well a segment's shot fits where it is shown: its best score over the sentences it covers."""
    scores = problem.ctx.scores
    if seg.end <= problem.frames[seg.span][1]:
        return scores[seg.span].get(seg.row, 0.0)
    return max(scores[s].get(seg.row, 0.0) for s, _ in frames_per_sentence(problem, seg))


def rounds_for(seconds: list[float]) -> int:
    """Solves the loop may make for sentences lasting ``seconds``: ``MAX_ROUNDS``, fewer for
    long stories, so that all rounds together solve about ``LOOP_WORK`` sentences of 4 s (a
    sentence's DP grows with the square of its length), and at least one."""
    work = sum(max(1.0, (x / 4.0) ** 2) for x in seconds)
    return max(1, min(MAX_ROUNDS, int(LOOP_WORK // max(1.0, work))))


def search(problem, max_rounds: int | None = None, base: list[dict[int, float]] | None = None):
    """Solve; while footage repeats, give each overused shot to the uses that fit it best and
    leave the other sentences only what is left of it (beyond that, ``reuse`` per second),
    and solve again. Keep the best plan found: fewest seconds of repeated footage, then
    repeats farthest apart, then the lowest cost without the diversity costs. Returns (its
    key, the DiverseResult, and the budgets and once-sets it was found with). ``max_rounds``:
    at most that many solves (default ``rounds_for`` the problem's sentences)."""
    ctx = problem.ctx
    n = len(problem.pools)
    where: dict[int, list[int]] = {}
    for s, rows in enumerate(problem.pools):
        for row in rows.tolist():
            where.setdefault(row, []).append(s)
    spread: dict[int, float] = {}  # per second, for shots of clips seen in too many sentences
    # forced repeats: dearer close to other uses (``base``: the penalties a window of a plan starts from)
    near: list[dict[int, float]] = [dict(p) for p in base] if base is not None else [{} for _ in range(n)]
    budgets: list[dict[int, float]] = [{} for _ in range(n)]
    once: list[set[int]] = [set() for _ in range(n)]
    elsewhere = problem.shown_elsewhere()
    if elsewhere:  # a window of a plan: what the rest of the plan shows is spoken for
        for row, left in zip(elsewhere, problem.capacity(elsewhere).tolist()):
            for s in where.get(row, ()):
                budgets[s][row] = left
    best = None
    allocated = False
    if max_rounds is None:
        max_rounds = rounds_for([(b - a) / problem.fps for a, b in problem.frames])
    for round_no in range(max_rounds):
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
        # see the whole contention at once: share the footage out by a transport LP
        if not allocated and USE_LP:
            allocated = True
            for s, b in enumerate(allocate_footage(problem)):
                b = {r: v for r, v in b.items() if r not in problem.free_rows}
                budgets[s].update(b)
                # a budget caps each cut; shown once, the cut is the sentence's whole share of the shot
                given = sorted((r for r, v in b.items() if v > 0), key=lambda r: -b[r])
                once[s].update(given[:3])
            continue
        _share_out(problem, sol.segments, uses, where, budgets, once)
        # what still repeats after the footage was shared out must repeat: far from its other uses
        _add_near(problem, sol.segments, uses, near, {sol.segments[i].row for i in uses.repeats})
    return best


def _share_out(problem, segments: list[Segment], uses: Uses, where, budgets, once) -> set[int]:
    """For every overused shot, and every shot already under a budget that the plan uses: the
    sentences of its kept uses may show what they show now (and what is left over); every
    other sentence only what is left (so reservations nobody used are released). Returns the
    rows whose repeats happened where nothing was left of them already (forced repeats)."""
    fps = problem.fps
    forced: set[int] = set()
    budgeted = {r for b in budgets for r in b}
    for row in ({segments[i].row for i in uses.repeats} | (budgeted & set(uses.by_row))) - problem.free_rows:
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
    pieces = [Piece(s, seg.row, frames / problem.fps, (seg.end - seg.start) / problem.fps if j == 0 else None,
                    opens=False, prev_row=None, across=False)
              for seg in segments for j, (s, frames) in enumerate(frames_per_sentence(problem, seg))]
    total = 0.0
    for costs in pieces_costs(problem, pieces, only="diversity"):
        total += costs["diversity"]
    return total


def _min_gap(segments: list[Segment], uses: Uses) -> int:
    """Smallest distance in sentences between a repeat and another use of its shot."""
    best = len(segments) + 1
    for idx in uses.by_row.values():  # each shot's uses in timeline order: the nearest is a neighbour
        for p, i in enumerate(idx):
            if i in uses.repeats:
                for q in (p - 1, p + 1):
                    if 0 <= q < len(idx):
                        best = min(best, abs(segments[i].span - segments[idx[q]].span))
    return best


def _add_spread(problem, segments: list[Segment], spread: dict[int, float]) -> bool:
    """Price the shots of clips that appear in more sentences than their fair share; True if any did."""
    ctx = problem.ctx
    clip_ids = np.asarray(ctx.table.clip_ids)
    sentences_of: dict[int, set[int]] = {}
    for seg in segments:
        if seg.row in problem.free_rows:
            continue
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
